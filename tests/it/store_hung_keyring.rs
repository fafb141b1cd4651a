//! A D-Bus socket that accepts connections and never answers: commands fall back to the
//! in-memory cache, say so once, and still exit promptly (no keyring thread keeps them alive).

use std::time::Duration;

use crate::support::store::silent_bus;
use crate::support::{Sandbox, assert_success, run_with_deadline, stderr};

const DEADLINE: Duration = Duration::from_secs(10);

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
        let (output, _) = run_with_deadline(command, DEADLINE).unwrap_or_else(|stuck| panic!("{args:?}: {stuck}"));
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
