//! A D-Bus socket that accepts connections and never answers: commands fall back to the
//! in-memory cache, say so once, and still exit promptly (no keyring thread keeps them alive).

mod support;

use std::process::{Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::store::silent_bus;
use support::{Sandbox, assert_success, stderr};

const DEADLINE: Duration = Duration::from_secs(10);

/// Runs the command; `None` if it has not exited within the deadline (then it is killed).
fn run_with_deadline(mut command: std::process::Command) -> Option<Output> {
    let child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    match receiver.recv_timeout(DEADLINE) {
        Ok(output) => Some(output.unwrap()),
        Err(_) => {
            unsafe {
                libc::kill(pid as i32, libc::SIGKILL);
            }
            None
        }
    }
}

#[test]
fn list_and_env_exit_promptly_with_the_memory_notice_when_the_bus_never_answers() {
    let sandbox = Sandbox::new();
    let bus = silent_bus(sandbox.home.path());
    for args in [vec!["list"], vec!["env", "prod/viewer", "--format", "json"]] {
        let mut command = sandbox.command(&args);
        command
            .env_remove("SWITCHBOARD_CACHE")
            .env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .env("SWITCHBOARD_STATE_DIR", sandbox.home.path().join("state"));
        let output = run_with_deadline(command).unwrap_or_else(|| panic!("{args:?} still running after {DEADLINE:?}"));
        assert_success(&output);
        let message = stderr(&output);
        if args[0] == "list" {
            // `list` reads the stored states only and never asks the keyring.
            assert!(message.contains("the keyring is not asked"), "{args:?}: {message}");
            continue;
        }
        assert_eq!(message.matches("session cache: memory only").count(), 1, "{args:?}: {message}");
        assert!(message.contains("did not answer"), "{args:?}: {message}");
    }
}
