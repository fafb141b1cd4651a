//! No Identity Center secret anywhere but the sealed store: a PKCE sign-in, a device-code
//! sign-in, a refresh, role credentials, a chained role, the screen's modal and logout, all
//! at `SWITCHBOARD_LOG=trace`; then every access token, refresh token, client secret and
//! device code the fake handed out is searched for in every output, every file under HOME
//! (the sealed store, the log file, the state directory) and what the screen drew.

use std::process::{Output, Stdio};

use crate::support::fake_sso::SsoSandbox;
use crate::support::pty::{Tui, roles_are_shown};
use crate::support::stderr;

fn traced(sso: &SsoSandbox, args: &[&str]) -> Output {
    let output = sso.command(args).env("SWITCHBOARD_LOG", "trace").stdin(Stdio::null()).output().unwrap();
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    output
}

#[test]
fn a_trace_run_of_every_sign_in_path_leaves_no_token_in_any_output_or_file() {
    let sso = SsoSandbox::new(&["--auto-approve", "--token-seconds", "60"]);
    let mut outputs: Vec<(String, Vec<u8>)> = Vec::new();
    for args in [
        &["login", "corp"][..],
        &["login", "corp", "--force", "--device-code"],
        &["env", "payments/admin", "--format", "json"],
        &["credential-process", "data/read"],
        &["whoami", "payments/deploy"],
        &["list"],
        &["check"],
        &["logout", "corp"],
    ] {
        let output = traced(&sso, args);
        outputs.push((format!("stderr of {args:?}"), output.stderr));
        if !matches!(args[0], "env" | "credential-process") {
            outputs.push((format!("stdout of {args:?}"), output.stdout));
        }
    }
    let trace_lines = outputs
        .iter()
        .filter(|(label, bytes)| label.starts_with("stderr") && bytes.windows(5).any(|w| w == b"TRACE"))
        .count();
    assert!(trace_lines > 0, "trace was on: some command logged at TRACE");

    // The screen, signing in through its modal (the device flow is approved at the fake).
    let browser = sso.sandbox.home.path().join("browser").to_string_lossy().into_owned();
    let mut tui = Tui::start_with(
        &sso.sandbox,
        &[
            ("AWS_ENDPOINT_URL_SSO_OIDC", &sso.sso.endpoint),
            ("AWS_ENDPOINT_URL_SSO", &sso.sso.endpoint),
            ("BROWSER", &browser),
            ("SWITCHBOARD_LOG", "trace"),
        ],
    );
    tui.wait_for("the list of roles", roles_are_shown);
    tui.send("r");
    tui.wait_for("the row to turn valid", |screen| {
        screen.lines().any(|line| line.contains("valid") && line.contains(':'))
    });
    tui.send("q");
    tui.wait_for_exit();
    outputs.push(("what the screen drew".into(), tui.raw.clone()));

    let secrets: Vec<String> = sso.sso.control_get("/_fake/secrets")["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|secret| secret.as_str().unwrap().to_owned())
        .collect();
    assert!(secrets.len() >= 6, "tokens, refresh tokens, client secrets and a device code: {}", secrets.len());
    let files = sso.files();
    assert!(files.iter().any(|(path, _)| path.ends_with("switchboard.log")), "the log file is scanned too");
    for (label, bytes) in outputs
        .iter()
        .map(|(label, bytes)| (label.clone(), bytes))
        .chain(files.iter().map(|(path, bytes)| (path.display().to_string(), bytes)))
    {
        for secret in &secrets {
            assert!(
                !bytes.windows(secret.len()).any(|window| window == secret.as_bytes()),
                "{label} holds a secret the fake handed out ({}…)",
                &secret[..6.min(secret.len())]
            );
        }
    }
}
