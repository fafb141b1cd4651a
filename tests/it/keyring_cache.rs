//! The session cache with a real Secret Service (gnome-keyring under its own D-Bus session)
//! holding the store key: sessions and used MFA codes survive a restart, long-term keys are
//! stored and used, nothing secret lands on disk in plain text; and the in-memory fallback
//! when no keyring answers.

use std::path::Path;
use std::process::Command;

use crate::support;
use crate::support::prerequisites::require_tool;
use crate::support::store::files_containing;
use crate::support::{Sandbox, caller_account, clean_env, stderr};

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}

fn json(dir: &Path, name: &str) -> serde_json::Map<String, serde_json::Value> {
    let text = read(dir, name);
    serde_json::from_str::<serde_json::Value>(&text)
        .unwrap_or_else(|error| {
            panic!("{name}: {error}: {text:?}\nstderr: {}", read(dir, &name.replace(".json", ".err")))
        })
        .as_object()
        .unwrap()
        .clone()
}

#[test]
fn sessions_survive_a_restart_in_the_secret_service_and_never_touch_disk_in_plain_text() {
    require_tool("dbus-run-session", "dbus");
    require_tool("gnome-keyring-daemon", "gnome-keyring");
    let sandbox = Sandbox::new();
    let out = tempfile::tempdir().unwrap();
    // Each line is a separate switchboard process inside one D-Bus session with one keyring.
    let script = r#"
        set -u
        echo -n "keyring-test-password" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
        "$BIN" env prod/admin --format json --mfa-code 123456 >"$OUT/first.json" 2>"$OUT/first.err"
        "$BIN" env prod/admin --format json >"$OUT/second.json" 2>"$OUT/second.err"
        "$BIN" list --json >"$OUT/list.json" 2>"$OUT/list.err"
        "$BIN" refresh prod/break-glass --mfa-code 654321 >"$OUT/code1.out" 2>"$OUT/code1.err"
        "$BIN" refresh prod/break-glass --mfa-code 654321 >"$OUT/code2.out" 2>"$OUT/code2.err"; echo $? >"$OUT/code2.status"
        printf 'AKIAVAULTKEY00000001\nvault-secret-value\n' | "$BIN" keys add vault >"$OUT/keys-add.out" 2>&1
        "$BIN" keys list >"$OUT/keys-list.out" 2>&1
        "$BIN" env staging/ci --format json >"$OUT/ci.json" 2>"$OUT/ci.err"
        "$BIN" keys remove vault >"$OUT/keys-remove.out" 2>&1
        "$BIN" keys list vault >"$OUT/keys-after.out" 2>&1
    "#;
    let mut command = Command::new("dbus-run-session");
    command.args(["--", "sh", "-c", script]);
    clean_env(&mut command, sandbox.home.path());
    command
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("BIN", env!("CARGO_BIN_EXE_switchboard"))
        .env("OUT", out.path())
        .env("SWITCHBOARD_INVENTORY", sandbox.inventory())
        .env("XDG_DATA_HOME", sandbox.home.path().join(".local/share"))
        .env("SWITCHBOARD_STATE_DIR", sandbox.home.path().join(".local/state/switchboard"))
        .stdin(std::process::Stdio::null());
    let status = command.output().unwrap();
    assert!(status.status.success(), "{}", stderr(&status));
    let dir = out.path();

    let first = json(dir, "first.json");
    let second = json(dir, "second.json");
    assert!(!read(dir, "first.err").contains("memory only"), "the keyring was used: {}", read(dir, "first.err"));
    assert_eq!(
        first["AWS_ACCESS_KEY_ID"], second["AWS_ACCESS_KEY_ID"],
        "the second process reused the cached session without a code"
    );
    assert!(
        read(dir, "list.err").contains("session states read from"),
        "list names where the states come from: {}",
        read(dir, "list.err")
    );
    let list: serde_json::Value = serde_json::from_str(&read(dir, "list.json")).unwrap();
    let admin = list.as_array().unwrap().iter().find(|row| row["account"] == "prod" && row["role"] == "admin").unwrap();
    assert_eq!(admin["state"], "valid");

    assert!(read(dir, "code1.out").contains("prod/break-glass: valid"), "{}", read(dir, "code1.err"));
    assert_eq!(read(dir, "code2.status").trim(), "1");
    assert!(read(dir, "code2.err").contains("was already used; enter the next code"), "{}", read(dir, "code2.err"));

    assert!(
        read(dir, "keys-add.out").contains("stored keys AKIA…0001 for source vault"),
        "{}",
        read(dir, "keys-add.out")
    );
    let listed = read(dir, "keys-list.out");
    assert!(listed.contains("vault  AKIA…0001") && !listed.contains("vault-secret-value"), "{listed}");
    let ci = json(dir, "ci.json");
    assert_eq!(caller_account(&sandbox.moto.endpoint, &ci).0, "222222222222");
    assert!(read(dir, "keys-after.out").contains("no keys stored"), "{}", read(dir, "keys-after.out"));

    let store = sandbox.home.path().join(".local/state/switchboard/sessions.v3");
    assert!(store.exists(), "sessions are kept in the sealed store file, which the scan below covers");
    let session_secret = first["AWS_SECRET_ACCESS_KEY"].as_str().unwrap();
    for secret in [session_secret, "vault-secret-value"] {
        assert_eq!(files_containing(sandbox.home.path(), secret), Vec::<String>::new(), "plain-text secret on disk");
    }
    let keyrings = std::fs::read_dir(sandbox.home.path().join(".local/share/keyrings"))
        .map(|entries| entries.count())
        .unwrap_or(0);
    assert!(keyrings > 0, "gnome-keyring kept the entries in its (encrypted) keyring file");
}

#[test]
fn without_a_reachable_keyring_sessions_stay_in_memory_and_the_command_says_so() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .command(&["env", "prod/viewer", "--format", "json"])
        .env_remove("SWITCHBOARD_CACHE")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/switchboard-test-bus")
        .output()
        .unwrap();
    support::assert_success(&output);
    let message = stderr(&output);
    assert_eq!(message.matches("session cache: memory only").count(), 1, "said once: {message}");
    assert!(message.contains("no keyring reachable"), "{message}");
    let keys = sandbox
        .command(&["keys", "list"])
        .env_remove("SWITCHBOARD_CACHE")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/switchboard-test-bus")
        .output()
        .unwrap();
    assert_eq!(keys.status.code(), Some(1));
    assert!(stderr(&keys).contains("keeps its keys in the OS keyring, which is not reachable"), "{}", stderr(&keys));
}
