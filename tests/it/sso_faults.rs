//! Identity Center faults the README promises an answer for, against the fake: a device code
//! that expires, a refresh token refused (the sign-in is needed again, cached role sessions
//! stay), a command that cannot reach a person, a hung OIDC endpoint, an HTML page.

use std::time::Duration;

use crate::support::fake_sso::SsoSandbox;
use crate::support::{assert_success, run_with_deadline, stderr, stdout};

#[test]
fn a_device_code_that_expires_before_it_is_approved_is_said_and_nothing_is_kept() {
    let sso = SsoSandbox::new(&["--device-expires", "2", "--device-interval", "1"]);
    let mut command = sso.command(&["login", "corp", "--device-code"]);
    command.env_remove("BROWSER");
    let (output, _) = run_with_deadline(command, Duration::from_secs(30)).unwrap();
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(text.contains("expired before it was approved: sign in again for a new code"), "{text}");
    assert_eq!(sso.sso.stats()["tokens_issued"], 0);
}

#[test]
fn a_refused_refresh_token_makes_the_sign_in_needed_and_keeps_the_cached_role_sessions() {
    let sso = SsoSandbox::new(&["--auto-approve", "--token-seconds", "60"]);
    assert_success(&sso.run(&["env", "payments/admin", "--format", "json"]));
    // The Identity Center session ends: the refresh token is refused from now on.
    sso.sso.control("/_fake/revoke-all", serde_json::json!({}));
    let mut command = sso.command(&["env", "data/read", "--format", "json"]);
    // No browser and no terminal: nobody can sign in from here.
    command.env_remove("BROWSER").env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    let (refused, _) = run_with_deadline(command, Duration::from_secs(30)).unwrap();
    assert!(!refused.status.success());
    let text = stderr(&refused);
    assert!(
        text.contains("sign in to https://sandbox.awsapps.com/start first: run `switchboard login corp`"),
        "{text}"
    );
    assert_eq!(sso.sso.stats()["refreshes"], 0, "the refresh was refused: {}", sso.sso.stats());
    // The role session obtained before is still served.
    assert_success(&sso.run(&["env", "payments/admin", "--format", "json"]));
    let list = sso.run(&["list"]);
    let admin = stdout(&list).lines().find(|line| line.contains("admin")).unwrap_or_default().to_owned();
    assert!(admin.contains("valid"), "{}", stdout(&list));
    assert_eq!(sso.opened().len(), 1, "no sign-in was started without a person");
}

#[test]
fn a_hung_sign_in_endpoint_is_one_line_within_the_timeout() {
    let sso = SsoSandbox::new(&[]);
    sso.sso.control("/_fake/fail", serde_json::json!({ "path": "/client/register", "delaySeconds": 120, "count": -1 }));
    let (output, took) = run_with_deadline(sso.command(&["login", "corp"]), Duration::from_secs(60)).unwrap();
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(text.contains("did not answer within 20s"), "{text}");
    assert!(took < Duration::from_secs(40), "{took:?}");
}

#[test]
fn an_html_page_from_the_sign_in_endpoint_is_one_line_without_the_page() {
    let sso = SsoSandbox::new(&[]);
    sso.sso.control(
        "/_fake/fail",
        serde_json::json!({
            "path": "/client/register", "status": 502, "count": -1, "contentType": "text/html",
            "body": "<!doctype html><title>502 Bad Gateway</title><h1>Bad Gateway</h1>",
        }),
    );
    let output = sso.run(&["login", "corp"]);
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(text.contains("HTTP 502 with an HTML page"), "{text}");
    assert!(!text.contains('<') && !text.contains("Bad Gateway"), "{text}");
}

#[test]
fn a_browser_that_never_comes_back_is_given_up_and_its_listener_closed() {
    let sso = SsoSandbox::new(&[]);
    // A browser that opens nothing: the fake never approves, nothing calls back.
    let mut command = sso.command(&["login", "corp"]);
    command.env("BROWSER", "/bin/true").env("SWITCHBOARD_BROWSER_WAIT", "2");
    let (output, took) = run_with_deadline(command, Duration::from_secs(30)).unwrap();
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(text.contains("no browser came back within 2s: the sign-in was given up"), "{text}");
    assert!(took < Duration::from_secs(20), "{took:?}");
    // The address it showed pointed at its listener: closed now.
    let port: u16 = text
        .split("127.0.0.1%3A")
        .nth(1)
        .and_then(|rest| rest.split('%').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no callback port in {text}"));
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "the listener on {port} is closed");
    assert_eq!(sso.sso.stats()["tokens_issued"], 0);
}
