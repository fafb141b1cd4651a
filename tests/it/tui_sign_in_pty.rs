//! The sign-in modal in a real terminal: `r` on an Identity Center role with no token opens
//! the modal (start URL, what it unlocks, the address and the user code), the fake approves
//! the code as a person in the browser would, the modal closes by itself and the row turns
//! valid with its countdown. Esc on the modal cancels the sign-in.

use crate::support::fake_sso::{START_URL, SsoSandbox};
use crate::support::pty::{Tui, footer, roles_are_shown};

fn start(sso: &SsoSandbox) -> Tui {
    let browser = sso.sandbox.home.path().join("browser");
    let browser = browser.to_string_lossy();
    Tui::start_with(
        &sso.sandbox,
        &[
            ("AWS_ENDPOINT_URL_SSO_OIDC", &sso.sso.endpoint),
            ("AWS_ENDPOINT_URL_SSO", &sso.sso.endpoint),
            // Over SSH the device flow is used: the modal shows a code to confirm.
            ("SSH_CONNECTION", "10.0.0.1 50000 10.0.0.2 22"),
            ("BROWSER", &browser),
        ],
    )
}

/// The whole modal is drawn (its last line is there).
fn modal_shown(screen: &str) -> bool {
    screen.contains("┌ Identity Center sign-in") && screen.contains("Esc cancels")
}

/// The code the modal shows on its `code` line.
fn user_code(screen: &str) -> Option<String> {
    let line = screen.lines().find(|line| line.trim_start_matches(['│', ' ']).starts_with("code "))?;
    let code = line.split_whitespace().find(|word| word.len() == 9 && word.as_bytes()[4] == b'-')?;
    Some(code.to_owned())
}

#[test]
fn the_sign_in_modal_shows_the_code_closes_when_approved_and_the_row_turns_valid() {
    let sso = SsoSandbox::new(&[]);
    let mut tui = start(&sso);
    tui.wait_for("the list of roles", roles_are_shown);
    tui.send("/payments admin\r");
    tui.wait_for("the filter", |screen| screen.contains("payments") && !screen.contains("data "));
    tui.send("r");
    let screen = tui.wait_for("the sign-in modal", |screen| modal_shown(screen) && user_code(screen).is_some());
    assert!(screen.contains(START_URL), "{screen}");
    assert!(screen.contains("unlocks"), "{screen}");
    assert!(screen.contains("waiting for the browser"), "{screen}");
    assert!(screen.contains("expires in"), "{screen}");
    let code = user_code(&screen).unwrap();
    sso.sso.control("/_fake/approve", serde_json::json!({ "userCode": code }));
    let screen = tui.wait_for("the modal to close and the row to turn valid", |screen| {
        !modal_shown(screen) && screen.lines().any(|line| line.contains("admin") && line.contains("valid"))
    });
    assert!(footer(&screen).contains("payments/admin") || footer(&screen).contains("signed in"), "{screen}");
    let row = screen.lines().find(|line| line.contains("admin") && line.contains("valid")).unwrap();
    assert!(row.contains(':'), "a countdown on the row: {row}");
    assert_eq!(sso.sso.stats()["device_authorizations"], 1);
    tui.send("q");
    tui.wait_for_exit();
}

#[test]
fn esc_cancels_the_sign_in_and_nothing_is_renewed() {
    let sso = SsoSandbox::new(&[]);
    let mut tui = start(&sso);
    tui.wait_for("the list of roles", roles_are_shown);
    tui.send("r");
    tui.wait_for("the sign-in modal", |screen| modal_shown(screen) && user_code(screen).is_some());
    tui.send("\x1b");
    let screen =
        tui.wait_for("the modal to close", |screen| !modal_shown(screen) && footer(screen).contains("cancelled"));
    assert!(footer(&screen).contains("cancelled"), "{screen}");
    assert_eq!(sso.sso.stats()["tokens_issued"], 0);
    tui.send("q");
    tui.wait_for_exit();
}

#[test]
fn a_caller_without_a_terminal_signs_in_through_the_screen_hosting_the_agent() {
    let sso = SsoSandbox::new(&[]);
    let mut tui = start(&sso);
    tui.wait_for("the screen hosting the agent", |screen| {
        roles_are_shown(screen) && screen.contains("agent: this screen")
    });
    // An SDK's credential_process: no terminal, no browser of its own.
    let mut caller = sso.sandbox.command(&["credential-process", "data/read"]);
    crate::support::agent::without_terminal(&mut caller)
        .env("AWS_ENDPOINT_URL_SSO_OIDC", &sso.sso.endpoint)
        .env("AWS_ENDPOINT_URL_SSO", &sso.sso.endpoint)
        .env_remove("BROWSER")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let caller = caller.spawn().unwrap();
    let screen =
        tui.wait_for("the sign-in modal for the caller", |screen| modal_shown(screen) && user_code(screen).is_some());
    assert!(screen.contains("data/read"), "{screen}");
    sso.sso.control("/_fake/approve", serde_json::json!({ "userCode": user_code(&screen).unwrap() }));
    let output = caller.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["Version"], 1);
    tui.wait_for("the modal closed", |screen| !modal_shown(screen));
    assert_eq!(sso.sso.stats()["device_authorizations"], 1, "one sign-in, the screen's");
    tui.send("q");
    tui.wait_for_exit();
}
