//! The interactive screen end to end: the real binary in a pseudo-terminal of a fixed size,
//! driven by keystrokes, read back through a terminal emulator (vt100). Filter, refresh with
//! an MFA code, watch the countdown tick, copy the exports over OSC 52 and use them against
//! the STS emulator; on quit and on SIGTERM the terminal is given back as it was found.

use base64::Engine as _;

use crate::support::pty::{Tui, footer};
use crate::support::{DEVICE, Sandbox, caller_account};

const OSC52: &[u8] = b"\x1b]52;c;";

fn list_is_shown(screen: &str) -> bool {
    screen.contains("STATE") && screen.contains("prod") && screen.contains("admin") && screen.contains(" roles ")
}

/// The MFA modal's line with the code typed so far.
fn code_line(screen: &str) -> &str {
    screen.lines().find(|line| line.contains("│code ")).unwrap_or_default()
}

/// The screen line of the role `name` (the selected one carries a "▸" marker).
fn role_line<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen.lines().find(|line| line.split_whitespace().any(|word| word == name) && line.contains("▸"))
}

/// The countdown of a valid role's line: "59:58" from "│▸ admin  valid  59:58  ...".
fn countdown(line: &str) -> Option<String> {
    let mut words = line.split_whitespace().skip_while(|word| *word != "valid");
    words.next()?;
    let left = words.next()?;
    let (minutes, seconds) = left.split_once(':')?;
    (minutes.parse::<u32>().is_ok() && seconds.len() == 2 && seconds.parse::<u32>().is_ok()).then(|| left.to_owned())
}

/// The text of the first complete OSC 52 sequence in `raw`, decoded.
fn osc52_text(raw: &[u8]) -> Option<String> {
    let start = raw.windows(OSC52.len()).position(|window| window == OSC52)? + OSC52.len();
    let length = raw[start..].iter().position(|byte| *byte == b'\x07' || *byte == b'\x1b')?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&raw[start..start + length])
        .unwrap_or_else(|error| panic!("the OSC 52 payload is not base64: {error}"));
    Some(String::from_utf8(decoded).expect("the copied exports are UTF-8"))
}

const EXPORTED: [&str; 5] =
    ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_ENDPOINT_URL"];

/// The copied bash exports, evaluated by bash itself: the values a shell would get.
fn evaluate_in_bash(exports: &str) -> serde_json::Map<String, serde_json::Value> {
    let print: Vec<String> = EXPORTED.iter().map(|name| format!("\"${name}\"")).collect();
    let script = format!("{exports}\nprintf '%s\\n' {}", print.join(" "));
    let output = std::process::Command::new("bash").arg("-c").arg(&script).env_clear().output().unwrap();
    assert!(
        output.status.success(),
        "bash could not evaluate:\n{exports}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout).unwrap();
    let values: Vec<&str> = printed.lines().collect();
    assert_eq!(values.len(), EXPORTED.len(), "{printed:?} from:\n{exports}");
    EXPORTED
        .iter()
        .zip(values)
        .map(|(name, value)| {
            assert!(!value.is_empty(), "{name} is empty in:\n{exports}");
            (name.to_string(), serde_json::Value::String(value.to_owned()))
        })
        .collect()
}

#[test]
fn filter_refresh_with_mfa_copy_and_quit_in_a_real_terminal() {
    let sandbox = Sandbox::new();
    let mut tui = Tui::start(&sandbox);
    tui.wait_for("the list of roles", list_is_shown);

    // The fuzzy filter looks through account, id, role, ARN and environment: "prod admin"
    // leaves prod/admin alone (the other admins are not in production, and no other prod
    // role has an "a…d…m" after the "prod").
    tui.send("/prod admin");
    tui.wait_for("the filter being typed", |screen| footer(screen).contains("/ prod admin▏"));
    tui.send("\r");
    // Kept: the list is still filtered, and the footer's typing cursor is gone.
    let screen = tui.wait_for("the filter to be kept", |screen| {
        screen.contains("roles matching \"prod admin\"") && !footer(screen).contains('▏')
    });
    assert!(screen.contains("roles matching \"prod admin\" (1)"), "{screen}");
    assert!(role_line(&screen, "admin").is_some(), "prod/admin is selected:\n{screen}");
    for other in ["viewer", "break-glass", "staging", "shared"] {
        assert!(!screen.contains(other), "{other} is filtered out:\n{screen}");
    }

    // Refresh: the hub source needs an MFA session first, so the modal asks for a code.
    tui.send("r");
    tui.wait_for("the MFA modal", |screen| screen.contains("MFA code") && screen.contains(DEVICE));
    tui.send("123456");
    let screen = tui.wait_for("the typed code, masked", |screen| code_line(screen).contains("••••••"));
    assert!(!code_line(&screen).contains("123456"), "the MFA code is not shown:\n{screen}");
    tui.send("\r");

    let first = tui.wait_until("prod/admin to be valid with a countdown", |tui| {
        let screen = tui.screen_text();
        let left = countdown(role_line(&screen, "admin")?)?;
        // A 1 h session: "59:5x" right after the renewal.
        left.starts_with("59:").then_some(left)
    });
    let second = tui.wait_until("the countdown to tick", |tui| {
        let screen = tui.screen_text();
        countdown(role_line(&screen, "admin")?).filter(|left| *left != first)
    });
    assert!(second < first, "the countdown goes down: {first} then {second}");
    assert!(!tui.screen_text().contains("MFA code"), "the modal is gone:\n{}", tui.screen_text());

    // Copy: the exports go out over OSC 52, in bash's format (SHELL=/bin/bash).
    tui.send("c");
    let exports = tui.wait_until("an OSC 52 sequence", |tui| osc52_text(&tui.raw));
    // The confirmation shows under the kept filter too.
    tui.wait_for("the copy to be confirmed", |screen| footer(screen).contains("copied the bash exports of prod/admin"));
    for name in EXPORTED {
        assert!(exports.contains(&format!("export {name}=")), "{name} in:\n{exports}");
    }
    let vars = evaluate_in_bash(&exports);
    assert_eq!(vars["AWS_ENDPOINT_URL"], sandbox.moto.endpoint.as_str());
    assert_eq!(vars["AWS_REGION"], "eu-central-1");
    let (account, arn) = caller_account(&sandbox.moto.endpoint, &vars);
    assert_eq!(account, "111111111111", "landed in {arn}");
    assert!(arn.contains(":assumed-role/Admin/"), "{arn}");

    // Esc clears the kept filter: every role is back.
    tui.send("\x1b");
    tui.wait_for("the filter to be cleared", |screen| {
        screen.contains(" roles ") && screen.contains("staging") && screen.contains("viewer")
    });

    tui.send("q");
    let status = tui.wait_for_exit();
    assert!(status.success(), "exit status {status:?}");
    tui.assert_terminal_restored();

    // The secret key went to the clipboard only: on no screen of the whole session, and
    // never written to the terminal as text.
    let secret = vars["AWS_SECRET_ACCESS_KEY"].as_str().unwrap();
    let token = vars["AWS_SESSION_TOKEN"].as_str().unwrap();
    assert!(secret.len() >= 16, "{secret:?}");
    for (index, screen) in tui.screens.iter().enumerate() {
        assert!(!screen.contains(secret), "screen {index} shows the secret access key:\n{screen}");
        assert!(!screen.contains(token), "screen {index} shows the session token:\n{screen}");
    }
    let plain = |needle: &str| tui.raw.windows(needle.len()).any(|window| window == needle.as_bytes());
    assert!(!plain(secret), "the secret access key was written to the terminal as text");
    assert!(tui.screens.len() > 5, "the session went through many screens: {}", tui.screens.len());
}

#[test]
fn sigterm_gives_the_terminal_back() {
    signal_gives_the_terminal_back(libc::SIGTERM);
}

#[test]
fn sigint_gives_the_terminal_back() {
    signal_gives_the_terminal_back(libc::SIGINT);
}

#[test]
fn sigquit_gives_the_terminal_back() {
    signal_gives_the_terminal_back(libc::SIGQUIT);
}

#[test]
fn sighup_gives_the_terminal_back() {
    signal_gives_the_terminal_back(libc::SIGHUP);
}

fn signal_gives_the_terminal_back(signal: libc::c_int) {
    let sandbox = Sandbox::new();
    let mut tui = Tui::start(&sandbox);
    tui.wait_for("the list of roles", list_is_shown);
    // One round trip through the loop (help on, help off), so the app is past its start.
    tui.send("?");
    tui.wait_for("the help", |screen| screen.contains("refresh the selected role"));
    tui.send("?");
    tui.wait_for("the help to close", |screen| !screen.contains("refresh the selected role"));

    let pid = tui.child.process_id().expect("the child's pid") as libc::pid_t;
    // SAFETY: kill(2) on the pid of our own child, which has not been reaped yet.
    let sent = unsafe { libc::kill(pid, signal) };
    assert_eq!(sent, 0, "kill: {}", std::io::Error::last_os_error());
    let status = tui.wait_for_exit();
    assert!(status.success(), "signal {signal} is a clean quit: exit status {status:?}");
    tui.assert_terminal_restored();
}
