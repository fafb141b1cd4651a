//! `switchboard check` refuses everything the screen would refuse, keys included, as an
//! inventory error: exit 2 and `file:line:col: key: why`.

use std::process::Command;

fn check(ui: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("accounts.toml");
    let base = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/minimal.toml")).unwrap();
    std::fs::write(&inventory, format!("{base}\n{ui}")).unwrap();
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("--inventory")
        .arg(&inventory)
        .arg("check")
        .env("HOME", dir.path())
        .env("SWITCHBOARD_CACHE", "memory")
        .output()
        .unwrap()
}

fn line_of(text: &str, needle: &str) -> usize {
    let base = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/minimal.toml")).unwrap();
    format!("{base}\n{text}").lines().position(|line| line.contains(needle)).unwrap() + 1
}

#[test]
fn an_unknown_key_command_fails_check_with_its_line() {
    let ui = "[ui.keys]\nnot_a_command = [\"x\"]\nrefresh = [\"ctrl-shift-q\"]\n";
    let output = check(ui);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    let unknown = format!(
        "accounts.toml:{}:17: ui.keys.not_a_command: no command \"not_a_command\"",
        line_of(ui, "not_a_command")
    );
    let bad_key =
        format!("accounts.toml:{}:11: ui.keys.refresh: \"ctrl-shift-q\" is not a key", line_of(ui, "ctrl-shift-q"));
    assert!(stderr.contains(&unknown), "expected {unknown:?} in:\n{stderr}");
    assert!(stderr.contains(&bad_key), "expected {bad_key:?} in:\n{stderr}");
    assert!(output.stdout.is_empty(), "nothing is called valid: {}", String::from_utf8_lossy(&output.stdout));
}

#[test]
fn a_panel_section_with_an_unknown_command_fails_check() {
    let ui = "[ui.keys.sqs]\nfly = [\"x\"]\n";
    let output = check(ui);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains(&format!("accounts.toml:{}:", line_of(ui, "fly"))), "{stderr}");
}

#[test]
fn valid_overrides_pass_check() {
    let output = check("[ui.keys]\nrefresh = [\"f5\", \"r\"]\n");
    assert_eq!(output.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains(": valid ("));
}
