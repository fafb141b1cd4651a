//! `switchboard run` against moto: each child lands in its own account, lines stay whole and
//! prefixed, the summary and exit code tell the truth, and Ctrl-C stops every child.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use crate::support::{Sandbox, assert_success, python_path, stderr, stdout};

/// The sandbox with the fleet of `tests/fixtures/fleet.toml` as its inventory.
fn fleet() -> Sandbox {
    Sandbox::with_fixture("fleet.toml")
}

/// A child that asks STS where its credentials land, then writes a long line in small
/// pieces, so a writer that interleaved children mid-line would show it.
const WHOAMI: &str = "
import sys, boto3
identity = boto3.client('sts').get_caller_identity()
print('account', identity['Account'], flush=True)
for _ in range(200):
    sys.stdout.write('x' * 100)
    sys.stdout.flush()
print(flush=True)
print('to stderr', file=sys.stderr, flush=True)
";

/// The summary's row of a role (the table after the last `ROLE` header on stderr).
fn summary_row<'a>(log: &'a str, role: &str) -> &'a str {
    let table = &log[log.rfind("\nROLE ").unwrap_or_else(|| panic!("no summary:\n{log}"))..];
    table
        .lines()
        .find(|line| line.starts_with(&format!("{role} ")))
        .unwrap_or_else(|| panic!("no row for {role}:\n{log}"))
}

#[test]
fn each_child_lands_in_its_own_account_with_whole_prefixed_lines_after_one_mfa_prompt() {
    let sandbox = fleet();
    let python = python_path();
    let output = sandbox.run(&[
        "-v",
        "run",
        "--mfa-code",
        "123456",
        "*/admin",
        "gamma/readonly",
        "--",
        python.to_str().unwrap(),
        "-c",
        WHOAMI,
    ]);
    assert_success(&output);
    let log = stderr(&output);
    // --mfa-code answers one prompt: both admin roles shared the device's session token.
    assert_eq!(log.matches("renewing: GetSessionToken").count(), 1, "{log}");
    let printed = stdout(&output);
    for (role, account) in
        [("alpha/admin", "111111111111"), ("beta/admin", "222222222222"), ("gamma/readonly", "333333333333")]
    {
        let lines: Vec<&str> = printed.lines().filter(|line| line.starts_with(&format!("{role} "))).collect();
        assert_eq!(lines.len(), 2, "{role}:\n{printed}");
        assert_eq!(lines[0].split_whitespace().collect::<Vec<_>>(), [role, "account", account], "{printed}");
        assert_eq!(lines[1].split_whitespace().collect::<Vec<_>>(), [role, "x".repeat(20_000).as_str()]);
        assert!(log.lines().any(|line| line.starts_with(role) && line.ends_with(" to stderr")), "{log}");
        assert!(summary_row(&log, role).split_whitespace().nth(1) == Some("0"), "{log}");
    }
    assert_eq!(printed.lines().count(), 6, "only prefixed lines of the three roles:\n{printed}");
    assert!(log.contains("3 roles, 3 succeeded, 0 failed"), "{log}");
}

#[test]
fn one_failing_child_or_missing_session_makes_the_exit_code_non_zero_and_the_rest_still_run() {
    let sandbox = fleet();
    let output = sandbox.run(&[
        "run",
        "--parallel",
        "2",
        "*/readonly",
        "delta/ci",
        "--",
        "sh",
        "-c",
        r#"echo "ran in $SWITCHBOARD_ROLE"; test "$SWITCHBOARD_ROLE" != beta/readonly"#,
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let (printed, log) = (stdout(&output), stderr(&output));
    for role in ["alpha/readonly", "beta/readonly", "gamma/readonly"] {
        let ran = printed.lines().any(|line| line.split_whitespace().collect::<Vec<_>>() == [role, "ran", "in", role]);
        assert!(ran, "{printed}");
    }
    let exit = |role| summary_row(&log, role).split_whitespace().nth(1).map(str::to_owned);
    assert_eq!(exit("alpha/readonly").as_deref(), Some("0"), "{log}");
    assert_eq!(exit("beta/readonly").as_deref(), Some("1"), "{log}");
    assert_eq!(exit("gamma/readonly").as_deref(), Some("0"), "{log}");
    assert!(summary_row(&log, "delta/ci").contains("no session: "), "{log}");
    assert!(!printed.contains("delta/ci"), "no session, no run:\n{printed}");
    assert!(log.contains("4 roles, 2 succeeded, 2 failed"), "{log}");
}

#[test]
fn json_gives_one_object_per_role_and_group_gives_one_block_per_role() {
    let sandbox = fleet();
    let script = r#"echo "one $SWITCHBOARD_ROLE"; echo "oops" >&2; echo "two $SWITCHBOARD_ROLE"; exit 3"#;
    let output = sandbox.run(&["run", "--json", "--env", "staging", "--", "sh", "-c", script]);
    assert_eq!(output.status.code(), Some(1));
    let objects: Vec<serde_json::Value> =
        stdout(&output).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let mut roles: Vec<&str> = objects.iter().map(|object| object["role"].as_str().unwrap()).collect();
    roles.sort();
    assert_eq!(roles, ["beta/admin", "beta/readonly", "delta/ci", "gamma/readonly"]);
    for object in &objects {
        let role = object["role"].as_str().unwrap();
        if role == "delta/ci" || role == "beta/admin" {
            // delta has no keys stored; beta/admin needs an MFA code nobody gave.
            assert!(
                object["exit_code"].is_null() && object["error"].as_str().unwrap().contains("no session"),
                "{object}"
            );
            continue;
        }
        assert_eq!(object["exit_code"], 3, "{object}");
        assert_eq!(object["stdout"], format!("one {role}\ntwo {role}\n"));
        assert_eq!(object["stderr"], "oops\n");
        assert_eq!(object["account"], role.split('/').next().unwrap());
        assert!(object["duration_ms"].is_u64());
    }

    let output = sandbox.run(&["run", "--group", "*/readonly", "--", "sh", "-c", script]);
    let printed = stdout(&output);
    for role in ["alpha/readonly", "beta/readonly", "gamma/readonly"] {
        let block = format!("=== {role} (exit 3, ");
        let start = printed.find(&block).unwrap_or_else(|| panic!("{printed}"));
        let lines: Vec<&str> = printed[start..].lines().skip(1).take(2).collect();
        assert_eq!(lines, [format!("one {role}"), format!("two {role}")], "{printed}");
    }
}

#[test]
fn ctrl_c_stops_every_child_and_the_summary_still_prints() {
    let sandbox = fleet();
    let mut command = sandbox.command(&["run", "*/readonly", "--", "sh", "-c", "echo started $$; exec sleep 60"]);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    // Its own process group, as a shell gives a foreground job: the SIGINT of a Ctrl-C goes
    // to that group, and the test runner is not in it.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().unwrap();
    let group = child.id() as libc::pid_t;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut pids = Vec::new();
    while pids.len() < 3 {
        let line = lines.next().expect("three children start").unwrap();
        pids.push(line.rsplit(' ').next().unwrap().parse::<libc::pid_t>().unwrap());
    }
    assert_eq!(unsafe { libc::killpg(group, libc::SIGINT) }, 0);
    let (done, wait) = std::sync::mpsc::channel();
    let mut stderr_pipe = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        let mut log = String::new();
        std::io::Read::read_to_string(&mut stderr_pipe, &mut log).unwrap();
        let _ = done.send((child.wait().unwrap(), log));
    });
    let (status, log) = wait.recv_timeout(Duration::from_secs(20)).expect("run ends after Ctrl-C");
    assert_eq!(status.code(), Some(130), "{log}");
    for role in ["alpha/readonly", "beta/readonly", "gamma/readonly"] {
        assert!(summary_row(&log, role).contains("killed by signal 2"), "{log}");
    }
    for pid in pids {
        // Reaped by switchboard, so gone: not even a zombie is left.
        assert_eq!(unsafe { libc::kill(pid, 0) }, -1, "child {pid} still exists");
    }
}

#[test]
fn an_empty_selection_says_what_matched_nothing() {
    let sandbox = fleet();
    let output = sandbox.run(&["run", "--tag", "pci", "*/readonly", "--", "true"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no account has tag \"pci\""), "{}", stderr(&output));
    let output = sandbox.run(&["run", "--", "true"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("name the roles"), "{}", stderr(&output));
}

#[test]
fn a_second_ctrl_c_kills_children_that_ignore_the_first() {
    let sandbox = fleet();
    // `trap '' INT` makes the shell and its `sleep`s ignore SIGINT, as a stubborn tool would.
    let script = "trap '' INT; echo started $$; while :; do sleep 1; done";
    let mut command = sandbox.command(&["run", "*/readonly", "--", "sh", "-c", script]);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().unwrap();
    let group = child.id() as libc::pid_t;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..3 {
        assert!(lines.next().expect("three children start").unwrap().contains(" started "));
    }
    let mut log = BufReader::new(child.stderr.take().unwrap());
    assert_eq!(unsafe { libc::killpg(group, libc::SIGINT) }, 0);
    // The second Ctrl-C only once the first was seen: signals sent together may merge.
    let mut seen = String::new();
    while !seen.contains("Ctrl-C again to kill them") {
        assert_ne!(log.read_line(&mut seen).unwrap(), 0, "run ended before a second Ctrl-C:\n{seen}");
    }
    assert_eq!(unsafe { libc::killpg(group, libc::SIGINT) }, 0);
    let (done, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut log, &mut rest).unwrap();
        let _ = done.send((child.wait().unwrap(), rest));
    });
    let (status, rest) = wait.recv_timeout(Duration::from_secs(20)).expect("run ends after a second Ctrl-C");
    assert_eq!(status.code(), Some(130), "{rest}");
    for role in ["alpha/readonly", "beta/readonly", "gamma/readonly"] {
        assert!(summary_row(&rest, role).contains("killed by signal 9"), "{rest}");
    }
}

#[test]
fn after_ctrl_c_the_roles_still_waiting_for_a_slot_never_start() {
    let sandbox = fleet();
    let mut command =
        sandbox.command(&["run", "--parallel", "1", "*/readonly", "--", "sh", "-c", "echo started; exec sleep 60"]);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let child = command.spawn().unwrap();
    let group = child.id() as libc::pid_t;
    let mut child = child;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("one child starts").unwrap();
    assert_eq!(unsafe { libc::killpg(group, libc::SIGINT) }, 0);
    let output = child.wait_with_output().unwrap();
    let log = stderr(&output);
    assert_eq!(output.status.code(), Some(130), "{log}");
    let started = first.split_whitespace().next().unwrap();
    assert!(summary_row(&log, started).contains("killed by signal 2"), "{log}");
    let waiting: Vec<&str> =
        ["alpha/readonly", "beta/readonly", "gamma/readonly"].into_iter().filter(|role| *role != started).collect();
    for role in waiting {
        assert!(summary_row(&log, role).contains("not started (interrupted)"), "{log}");
    }
    assert!(lines.all(|line| !line.unwrap().contains("started")), "nothing else started");
}
