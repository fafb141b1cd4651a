//! The processes that hold sessions for long (the agent, the screen, `exec --ecs-server`) are
//! not dumpable: no core dump with secrets in it, no `ptrace` by the same user. The command
//! `exec --ecs-server` starts is dumpable again (execve resets the flag).
//!
//! How it is seen from outside: a process that is not dumpable has its `/proc/PID` files
//! (`environ`) owned by root, whoever it runs as. So each process runs as a user other than
//! root (`nobody` when the test runs as root, as in CI, and the test's own user otherwise),
//! and the owner of its `/proc/PID/environ` says whether it is dumpable.

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::Sandbox;
use crate::support::agent::start_agent;
use crate::support::pty::{Tui, roles_are_shown};

const NOBODY: u32 = 65534;

/// The user the sandbox's processes run as: `nobody` (who then owns the sandbox) when the
/// test is root, else the test's own user.
fn user_of(sandbox: &Sandbox) -> u32 {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return unsafe { libc::geteuid() };
    }
    // The runtime directory the sandbox's commands make, made first so it is chowned too.
    drop(sandbox.command(&[]));
    let owned = Command::new("chown").arg("-R").arg(format!("{NOBODY}:{NOBODY}")).arg(sandbox.home.path()).status();
    assert!(owned.unwrap().success());
    NOBODY
}

/// The sandbox's command for `args`, as `uid`, run from a copy of the binary in the sandbox's
/// home: `uid` may not reach the build's own directory (a checkout in a `mktemp -d`, 0700).
fn command_as(sandbox: &Sandbox, uid: u32, args: &[&str]) -> Command {
    let template = sandbox.command(args);
    let binary = sandbox.home.path().join("switchboard");
    if !binary.exists() {
        std::fs::copy(template.get_program(), &binary).unwrap();
        std::os::unix::fs::chown(&binary, Some(uid), Some(uid)).unwrap();
    }
    let mut command = Command::new(&binary);
    command.args(template.get_args()).stdin(Stdio::null());
    for (name, value) in template.get_envs() {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    as_user(&mut command, uid);
    command
}

fn as_user(command: &mut Command, uid: u32) {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        command.uid(uid).gid(uid);
    }
}

/// Whether the process is dumpable: the owner of its `/proc/PID/environ` is its own user,
/// not root.
fn dumpable(pid: u32, uid: u32) -> bool {
    let owner = std::fs::metadata(format!("/proc/{pid}/environ")).unwrap().uid();
    assert!(owner == uid || owner == 0, "pid {pid}: /proc/{pid}/environ owned by {owner}");
    owner == uid
}

fn children(pid: u32) -> Vec<u32> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    text.split_whitespace().filter_map(|child| child.parse().ok()).collect()
}

#[test]
fn a_plain_command_is_dumpable_so_the_check_can_tell() {
    let sandbox = Sandbox::new();
    let uid = user_of(&sandbox);
    let mut sleeping = Command::new("sleep");
    sleeping.arg("30");
    as_user(&mut sleeping, uid);
    let mut sleeping = sleeping.spawn().unwrap();
    assert!(dumpable(sleeping.id(), uid), "a plain process of the same user must read as dumpable");
    sleeping.kill().unwrap();
    let _ = sleeping.wait();
}

#[test]
fn the_agent_is_not_dumpable() {
    let sandbox = Sandbox::new();
    let uid = user_of(&sandbox);
    let mut command = command_as(&sandbox, uid, &["agent"]);
    command.env("SWITCHBOARD_NOTIFY", "off");
    let agent = start_agent(command);
    assert!(!dumpable(agent.child.id(), uid), "the agent is dumpable");
}

#[test]
fn the_screen_is_not_dumpable() {
    let sandbox = Sandbox::new();
    let uid = user_of(&sandbox);
    let as_root = unsafe { libc::geteuid() } == 0;
    let mut tui = Tui::start_as(&sandbox, &[], as_root.then_some(uid));
    tui.wait_for("the list of roles", roles_are_shown);
    let pid = tui.child.process_id().unwrap();
    assert!(!dumpable(pid, uid), "the screen is dumpable");
    tui.send("q");
    tui.wait_for_exit();
}

#[test]
fn exec_ecs_server_is_not_dumpable_and_its_command_is() {
    let sandbox = Sandbox::new();
    let uid = user_of(&sandbox);
    let mut command = command_as(
        &sandbox,
        uid,
        &["exec", "--ecs-server", "prod/viewer", "--mfa-code", "123456", "--", "sleep", "30"],
    );
    let mut server: Child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = server.id();
    let deadline = Instant::now() + Duration::from_secs(30);
    let command_pid = loop {
        if let Some(child) = children(pid).first() {
            break *child;
        }
        assert!(Instant::now() < deadline, "exec --ecs-server started no command");
        assert!(server.try_wait().unwrap().is_none(), "exec --ecs-server ended: {:?}", server.wait_with_output());
        std::thread::sleep(Duration::from_millis(50));
    };
    // The command has been exec'd once its /proc/PID/exe is sleep.
    let exec_deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_link(format!("/proc/{command_pid}/exe")).is_ok_and(|exe| exe.ends_with("sleep")) {
        assert!(Instant::now() < exec_deadline, "the command never became sleep");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!dumpable(pid, uid), "exec --ecs-server is dumpable");
    assert!(dumpable(command_pid, uid), "the command exec --ecs-server started is not dumpable");
    unsafe {
        libc::kill(pid as i32, libc::SIGTERM);
    }
    let _ = server.wait();
}
