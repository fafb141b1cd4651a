//! The session store's fault matrix: a read-only or full state directory, a keyring that is
//! absent, hangs or is locked. Sessions are seeded first (sealed in the real store, its key in
//! a real gnome-keyring); then each fault is put in place, `refresh`, `env` and
//! `credential-process` run, and afterwards (the fault gone) `list` still shows the seeded
//! sessions valid: a failure never loses or overwrites what was cached.
//!
//! The state directory is a tmpfs of its own so it can be made read-only or full. That
//! needs root: in CI and as root a failed mount fails the test; a developer without root gets
//! the read-only case through chmod and is told the disk-full case was not run.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use crate::support::prerequisites::{Tmpfs, mount_tmpfs};
use crate::support::store::{Keyring, silent_bus, state_dir};
use crate::support::{Sandbox, run_with_deadline, stderr, stdout};

/// The store probe gives up on a silent keyring after 3 s (8 s behind a live bus); the
/// commands then work from memory, and STS answers in well under a second.
const DEADLINE: Duration = Duration::from_secs(20);

struct Bench {
    // First, so it is unmounted before the sandbox's directory is removed.
    _tmpfs: Option<Tmpfs>,
    sandbox: Sandbox,
    keyring: Keyring,
    mount: Option<PathBuf>,
}

impl Bench {
    fn new() -> Bench {
        let sandbox = Sandbox::with_fixture("faults.toml");
        let keyring = Keyring::start(sandbox.home.path());
        let dir = state_dir(&sandbox);
        std::fs::create_dir_all(&dir).unwrap();
        let tmpfs = mount_tmpfs(&dir, "a read-only (remounted) or full state directory");
        let mount = tmpfs.as_ref().map(|tmpfs| tmpfs.0.clone());
        Bench { _tmpfs: tmpfs, sandbox, keyring, mount }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = self.keyring.command(&self.sandbox, args);
        command.env("AWS_ENDPOINT_URL", &self.sandbox.moto.endpoint);
        command
    }

    fn list_states(&self) -> String {
        stdout(&self.command(&["list"]).output().unwrap())
    }

    fn sessions_file(&self) -> PathBuf {
        state_dir(&self.sandbox).join("sessions.v3")
    }
}

fn state_of(list: &str, account: &str, role: &str) -> String {
    list.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|words| words.first() == Some(&account) && words.get(2) == Some(&role))
        .and_then(|words| words.get(3).map(|state| state.to_string()))
        .unwrap_or_else(|| format!("no row for {account}/{role} in:\n{list}"))
}

fn assert_seeds_valid(bench: &Bench, case: &str) {
    let list = bench.list_states();
    for (account, role) in [("prod", "admin"), ("prod", "viewer")] {
        assert_eq!(state_of(&list, account, role), "valid", "{case}: {account}/{role} afterwards:\n{list}");
    }
}

/// What every command under a store fault must do: finish in time without a panic, and
/// either succeed or say in one line what failed for which role and what to do.
fn run_commands(bench: &Bench, case: &str, adjust: impl Fn(&mut Command)) -> Vec<(Vec<&'static str>, Output)> {
    let mut outputs = Vec::new();
    for args in [
        vec!["refresh", "prod/viewer"],
        vec!["env", "staging/viewer", "--format", "json"],
        vec!["credential-process", "staging/viewer"],
    ] {
        let mut command = bench.command(&args);
        adjust(&mut command);
        let (output, took) = run_with_deadline(command, DEADLINE).unwrap_or_else(|stuck| panic!("{stuck}"));
        let message = stderr(&output);
        assert!(!message.contains("panicked"), "{case} {args:?}: {message}");
        assert!(took < DEADLINE, "{case} {args:?} took {took:?}");
        outputs.push((args, output));
    }
    outputs
}

fn seed(bench: &Bench) {
    let seeded = bench.command(&["refresh", "prod/admin", "prod/viewer", "--mfa-code", "314159"]).output().unwrap();
    assert!(seeded.status.success(), "seeding: {}", stderr(&seeded));
    assert_seeds_valid(bench, "seeded");
}

#[test]
fn a_read_only_or_full_state_directory_fails_in_one_line_and_keeps_the_cache() {
    let bench = Bench::new();
    seed(&bench);
    let dir = state_dir(&bench.sandbox);
    let before = std::fs::read(bench.sessions_file()).unwrap();

    // Read-only: a remount (root ignores file modes), else the mode.
    let read_only = match &bench.mount {
        Some(mount) => Command::new("mount").args(["-o", "remount,ro"]).arg(mount).status().unwrap().success(),
        None => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).is_ok()
        }
    };
    assert!(read_only, "could not make {} read-only", dir.display());
    for (args, output) in run_commands(&bench, "read-only", |_| {}) {
        let message = stderr(&output);
        show(&args, &output);
        if bench.mount.is_some() {
            // The store cannot be opened for writing: sessions live in memory for this
            // command, which says so and works.
            assert!(output.status.success(), "{args:?}: {message}");
            assert!(
                message.contains("memory only") && message.contains("Read-only file system"),
                "{args:?}: {message}"
            );
        } else if !output.status.success() {
            let line = message.lines().find(|line| line.starts_with("switchboard: ") && line.contains("/viewer"));
            assert!(line.is_some_and(|line| line.contains(&dir.display().to_string())), "{args:?}: {message}");
        }
    }
    // What is stored is still used: the MFA role's session is handed out without a code, and
    // `list` shows it valid.
    let (stored, _) = run_with_deadline(bench.command(&["env", "prod/admin", "--format", "json"]), DEADLINE)
        .unwrap_or_else(|stuck| panic!("{stuck}"));
    assert!(stored.status.success(), "a stored MFA session is used from a read-only directory: {}", stderr(&stored));
    assert_seeds_valid(&bench, "read-only, while read-only");
    match &bench.mount {
        Some(mount) => assert!(Command::new("mount").args(["-o", "remount,rw"]).arg(mount).status().unwrap().success()),
        None => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
    }
    assert_eq!(std::fs::read(bench.sessions_file()).unwrap(), before, "the store file is untouched");
    assert_seeds_valid(&bench, "read-only");

    // Full: a filler takes every free block of the tmpfs.
    let Some(mount) = &bench.mount else {
        eprintln!("NOT RUN: the disk-full case: mounting a tmpfs needs root; CI runs it as root");
        return;
    };
    let filler = mount.join("filler");
    let _ = std::fs::write(&filler, vec![0u8; 1024 * 1024]);
    let full = std::fs::write(mount.join("probe"), [0u8; 4096]).is_err();
    assert!(full, "the tmpfs is not full");
    let before = std::fs::read(bench.sessions_file()).unwrap();
    for (args, output) in run_commands(&bench, "disk full", |_| {}) {
        show(&args, &output);
        let message = stderr(&output);
        // Either it worked (the session not kept), or one line names the role and the cause.
        if !output.status.success() {
            let line = message.lines().find(|line| line.starts_with("switchboard: staging/viewer: "));
            assert!(
                line.is_some_and(|line| line.contains("No space left on device") && line.contains("free some space")),
                "{args:?}: {message}"
            );
        }
    }
    assert_eq!(std::fs::read(bench.sessions_file()).unwrap(), before, "the store file is whole");
    let left: Vec<String> = std::fs::read_dir(mount)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left by the failed writes: {left:?}");
    std::fs::remove_file(&filler).unwrap();
    assert_seeds_valid(&bench, "disk full");
}

fn show(args: &[&str], output: &Output) {
    if std::env::var_os("FAULT_MATRIX_SHOW").is_some() {
        eprintln!("=== {args:?}: exit {:?}\n{}", output.status.code(), stderr(output));
    }
}

#[test]
fn an_absent_hung_or_locked_keyring_falls_back_to_memory_and_keeps_the_cache() {
    let bench = Bench::new();
    seed(&bench);
    let before = std::fs::read(bench.sessions_file()).unwrap();
    let absent = |command: &mut Command| {
        command.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    };
    let bus = silent_bus(bench.sandbox.home.path());
    let hung = |command: &mut Command| {
        command.env("DBUS_SESSION_BUS_ADDRESS", &bus);
    };
    for (case, adjust) in [("absent", &absent as &dyn Fn(&mut Command)), ("hung", &hung)] {
        for (args, output) in run_commands(&bench, case, adjust) {
            show(&args, &output);
            let message = stderr(&output);
            assert!(message.contains("session cache: memory only"), "{case} {args:?}: {message}");
            // staging/viewer needs no code: it works from memory. prod/viewer too.
            assert!(output.status.success(), "{case} {args:?}: {message}");
        }
        assert_eq!(std::fs::read(bench.sessions_file()).unwrap(), before, "{case}: the store file is untouched");
        assert_seeds_valid(&bench, case);
        // `list` shows the stored states without asking the keyring at all.
        let mut list = bench.command(&["list"]);
        adjust(&mut list);
        let (output, _) = run_with_deadline(list, DEADLINE).unwrap_or_else(|stuck| panic!("{stuck}"));
        let (shown, message) = (stdout(&output), stderr(&output));
        assert!(message.contains("the keyring is not asked") && !message.contains("memory only"), "{case}: {message}");
        for (account, role) in [("prod", "admin"), ("prod", "viewer")] {
            assert_eq!(state_of(&shown, account, role), "valid", "{case}: list without the keyring:\n{shown}");
        }
    }

    // Locked: the login collection locked over D-Bus; unlocking needs a prompt nobody answers.
    bench.keyring.lock();
    for (args, output) in run_commands(&bench, "locked", |_| {}) {
        show(&args, &output);
        let message = stderr(&output);
        assert!(message.contains("session cache: memory only"), "locked {args:?}: {message}");
        assert!(output.status.success(), "locked {args:?}: {message}");
    }
    assert_eq!(std::fs::read(bench.sessions_file()).unwrap(), before, "locked: the store file is untouched");
}
