//! Identity Center sign-in, end to end: the real binary against the stateful fake of
//! `scripts/fake_sso.py` (OIDC and the portal) and moto (the role credentials it hands out
//! are moto's, so they land in the right account; a chained role is assumed at moto). The
//! session store is shared through a real gnome-keyring, as on a desktop. Counts are read
//! at the fake (registrations, tokens, refreshes, role credentials).

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use crate::support::fake_sso::{START_URL, SsoSandbox};
use crate::support::{assert_success, caller_account, exports, run_with_deadline, stderr, stdout};

#[test]
fn a_pkce_sign_in_through_the_browser_lands_in_the_account_and_the_registration_is_reused() {
    let sso = SsoSandbox::new(&["--auto-approve"]);
    let login = sso.run(&["login", "corp"]);
    assert_success(&login);
    assert!(stderr(&login).contains(&format!("signed in to {START_URL}: the token lasts")), "{}", stderr(&login));
    assert_eq!(sso.opened().len(), 1, "one browser tab: {:?}", sso.opened());
    assert!(sso.opened()[0].contains("/authorize?response_type=code"), "{:?}", sso.opened());
    assert!(sso.opened()[0].contains("code_challenge_method=S256"), "{:?}", sso.opened());

    let vars = exports(&sso.run(&["env", "payments/admin", "--format", "json"]));
    let (account, arn) = caller_account(&sso.sandbox.moto.endpoint, &vars);
    assert_eq!(account, "111111111111");
    assert!(arn.contains("AWSReservedSSO_AdministratorAccess"), "{arn}");
    assert_eq!(sso.opened().len(), 1, "the kept token served `env`: no second sign-in");

    let again = sso.run(&["login", "corp", "--force"]);
    assert_success(&again);
    let stats = sso.sso.stats();
    assert_eq!(stats["registrations"], 1, "one registration for two sign-ins: {stats}");
    assert_eq!(sso.opened().len(), 2, "--force signs in again");
}

#[test]
fn a_device_code_sign_in_shows_the_code_and_finishes_when_it_is_approved() {
    let sso = SsoSandbox::new(&[]);
    let mut child = sso
        .command(&["login", "corp", "--device-code"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines().map_while(Result::ok);
    let mut before = Vec::new();
    let shown = lines
        .by_ref()
        .find(|line| {
            before.push(line.clone());
            line.contains("confirm the code")
        })
        .unwrap_or_else(|| panic!("the code is shown: {before:?}"));
    let code = shown.split("confirm the code ").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    assert_eq!(code.len(), 9, "ABCD-EFGH: {shown}");
    assert!(shown.contains("/device"), "the verification address is shown: {shown}");
    sso.sso.control("/_fake/approve", serde_json::json!({ "userCode": code }));
    let rest: Vec<String> = lines.collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "{rest:?}");
    assert!(rest.iter().any(|line| line.contains("signed in to")), "{rest:?}");
    let stats = sso.sso.stats();
    assert_eq!(stats["device_authorizations"], 1, "{stats}");
    assert!(sso.opened().len() <= 1, "the device address at most once: {:?}", sso.opened());
}

#[test]
fn a_token_near_its_end_is_refreshed_without_a_new_sign_in() {
    let sso = SsoSandbox::new(&["--auto-approve", "--token-seconds", "60"]);
    assert_success(&sso.run(&["login", "corp"]));
    // Sixty seconds is within the minute a token must have left to be used: renewed at once.
    let vars = exports(&sso.run(&["env", "data/read", "--format", "json"]));
    assert_eq!(caller_account(&sso.sandbox.moto.endpoint, &vars).0, "222222222222");
    let stats = sso.sso.stats();
    assert_eq!(stats["refreshes"], 1, "{stats}");
    assert_eq!(sso.opened().len(), 1, "no second sign-in: {:?}", sso.opened());
}

#[test]
fn a_role_chained_from_a_permission_set_is_assumed_with_its_session() {
    let sso = SsoSandbox::new(&["--auto-approve"]);
    let vars = exports(&sso.run(&["env", "payments/deploy", "--format", "json"]));
    let (account, arn) = caller_account(&sso.sandbox.moto.endpoint, &vars);
    assert_eq!(account, "111111111111");
    assert!(arn.contains("assumed-role/Deploy/"), "{arn}");
    assert_eq!(sso.sso.stats()["role_credentials"], 1);
}

#[test]
fn logout_revokes_the_token_at_the_portal_and_forgets_its_sessions() {
    let sso = SsoSandbox::new(&["--auto-approve"]);
    assert_success(&sso.run(&["env", "payments/admin", "--format", "json"]));
    let logout = sso.run(&["logout", "corp"]);
    assert_success(&logout);
    assert!(
        stderr(&logout).contains("token revoked at the portal; 1 session(s) it gave forgotten"),
        "{}",
        stderr(&logout)
    );
    assert_eq!(sso.sso.stats()["logouts"], 1);
    let list = sso.run(&["list", "--json"]);
    assert_success(&list);
    assert!(!stdout(&list).contains("\"valid\""), "nothing is valid after logout: {}", stdout(&list));
    // The next use signs in again.
    assert_success(&sso.run(&["env", "payments/admin", "--format", "json"]));
    assert_eq!(sso.opened().len(), 2);
}

#[test]
fn a_role_no_longer_assigned_says_so_in_one_line_and_keeps_the_sign_in() {
    let sso = SsoSandbox::new(&["--auto-approve"]);
    assert_success(&sso.run(&["login", "corp"]));
    sso.sso.control("/_fake/unassign", serde_json::json!({ "accountId": "222222222222", "roleName": "ReadOnly" }));
    let refused = sso.run(&["env", "data/read", "--format", "json"]);
    assert!(!refused.status.success());
    let text = stderr(&refused);
    assert!(text.contains("data/read") && text.contains("no longer assigned to you"), "{text}");
    assert_eq!(text.trim().lines().filter(|line| line.contains("no longer assigned")).count(), 1, "{text}");
    assert_success(&sso.run(&["env", "payments/admin", "--format", "json"]));
    assert_eq!(sso.opened().len(), 1, "the sign-in was kept");
}

#[test]
fn a_portal_that_ended_the_session_drops_the_token_and_says_to_sign_in_again() {
    let sso = SsoSandbox::new(&["--auto-approve"]);
    assert_success(&sso.run(&["login", "corp"]));
    sso.sso.control("/_fake/revoke-all", serde_json::json!({}));
    let refused = sso.run(&["env", "payments/admin", "--format", "json"]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("session ended"), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("sign in again"), "{}", stderr(&refused));
    // The dead token was dropped: the next use signs in instead of failing again.
    assert_success(&sso.run(&["env", "payments/admin", "--format", "json"]));
    assert_eq!(sso.opened().len(), 2);
}

#[test]
fn a_throttling_portal_is_waited_out_and_never_starts_a_sign_in() {
    let sso = SsoSandbox::new(&["--auto-approve", "--rate", "1", "--burst", "1"]);
    assert_success(&sso.run(&["login", "corp"]));
    for role in ["payments/admin", "payments/read", "data/read"] {
        assert_success(&sso.run(&["env", role, "--format", "json"]));
    }
    let stats = sso.sso.stats();
    assert!(stats["throttled"].as_u64().unwrap() >= 1, "the fake throttled: {stats}");
    assert_eq!(stats["role_credentials"], 3, "{stats}");
    assert_eq!(sso.opened().len(), 1, "a 429 never signs in again");
}

#[test]
fn an_identity_center_that_does_not_answer_is_one_line_within_the_timeout() {
    let sso = SsoSandbox::new(&[]);
    let mut command = sso.command(&["login", "corp"]);
    command.env("AWS_ENDPOINT_URL_SSO_OIDC", "http://127.0.0.1:9");
    let (output, took) = run_with_deadline(command, Duration::from_secs(40)).unwrap();
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(text.contains("cannot reach Identity Center sign-in"), "{text}");
    assert!(took < Duration::from_secs(30), "{took:?}");
}
