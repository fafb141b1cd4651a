//! A source's `mfa_command` (a YubiKey's `ykman`, here a shell one-liner) gives the MFA code:
//! the CLI sends it without asking, the screen's modal shows it filled in (Enter sends it);
//! a failing command falls back to asking. The code sent is checked at a proxy before moto.

use std::io::Write as _;
use std::process::Stdio;

use crate::support::pty::{Tui, footer};
use crate::support::store::{CountingProxy, set_inventory_endpoint};
use crate::support::{Sandbox, assert_success, stderr};

const SESSION_LINE: &str = "session_duration = \"12h\"\n";

fn sandbox_with_command(command: &str) -> (Sandbox, CountingProxy) {
    let sandbox = Sandbox::new();
    let text = std::fs::read_to_string(sandbox.inventory()).unwrap();
    let with_command = text.replacen(SESSION_LINE, &format!("{SESSION_LINE}mfa_command = {command:?}\n"), 1);
    assert_ne!(text, with_command);
    std::fs::write(sandbox.inventory(), with_command).unwrap();
    let proxy = CountingProxy::start(&sandbox.moto.endpoint);
    set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
    (sandbox, proxy)
}

#[test]
fn the_cli_sends_the_code_of_mfa_command_without_asking() {
    let (sandbox, proxy) = sandbox_with_command("printf ' 246810\\n'");
    let output = sandbox.run(&["env", "prod/admin", "--format", "json"]);
    assert_success(&output);
    assert!(stderr(&output).contains("from mfa_command"), "{}", stderr(&output));
    assert_eq!(proxy.count("GetSessionToken"), 1);
    assert!(proxy.seen().contains("TokenCode=246810"), "the command's code was sent");
}

#[test]
fn a_failing_mfa_command_falls_back_to_asking() {
    let (sandbox, proxy) = sandbox_with_command("echo 'no YubiKey detected' >&2; exit 2");
    let mut child = sandbox
        .command(&["--mfa-code", "-", "env", "prod/admin", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"135790\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert_success(&output);
    let text = stderr(&output);
    assert!(text.contains("mfa_command for") && text.contains("no YubiKey detected"), "{text}");
    assert!(proxy.seen().contains("TokenCode=135790"), "the code asked for was sent");
}

#[test]
fn mfa_command_fills_the_modal_in_a_real_terminal() {
    let (sandbox, proxy) = sandbox_with_command("printf 246810");
    let mut tui = Tui::start(&sandbox);
    tui.wait_for("the list of roles", |screen| screen.contains("STATE") && screen.contains(" roles "));
    tui.send("/prod admin");
    tui.wait_for("the filter being typed", |screen| footer(screen).contains("/ prod admin▏"));
    tui.send("\r");
    tui.wait_for("the filter to be kept", |screen| screen.contains("roles matching \"prod admin\" (1)"));
    tui.send("r");
    let screen = tui.wait_for("the modal filled in by mfa_command", |screen| {
        screen.contains("MFA code") && screen.contains("filled in from mfa_command")
    });
    let code_line = screen.lines().find(|line| line.contains("│code ")).unwrap_or_default();
    assert!(code_line.contains("••••••") && !code_line.contains("246810"), "filled, masked:\n{screen}");
    tui.send("\r");
    tui.wait_for("the modal to close and the role to be valid", |screen| {
        !screen.contains("MFA code") && screen.contains("valid")
    });
    assert!(proxy.seen().contains("TokenCode=246810"), "the filled-in code was sent");
    tui.send("q");
    assert!(tui.wait_for_exit().success());
}

#[test]
fn typing_replaces_the_filled_in_code() {
    let (sandbox, proxy) = sandbox_with_command("printf 246810");
    let mut tui = Tui::start(&sandbox);
    tui.wait_for("the list of roles", |screen| screen.contains("STATE") && screen.contains(" roles "));
    tui.send("/prod admin\r");
    tui.wait_for("the filter to be kept", |screen| screen.contains("roles matching \"prod admin\" (1)"));
    tui.send("r");
    tui.wait_for("the modal filled in", |screen| screen.contains("filled in from mfa_command"));
    tui.send("1");
    tui.wait_for("typing to replace the code", |screen| {
        !screen.contains("filled in from mfa_command")
            && screen.lines().any(|line| line.contains("│code ") && line.contains("•_____"))
    });
    tui.send("11111\r");
    tui.wait_for("the role to be valid", |screen| !screen.contains("MFA code") && screen.contains("valid"));
    assert!(proxy.seen().contains("TokenCode=111111"), "the typed code was sent");
    tui.send("q");
    assert!(tui.wait_for_exit().success());
}
