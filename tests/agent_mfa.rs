//! MFA for callers without a terminal, with a headless agent: `credential-process` run with
//! no controlling terminal (an SDK, Terraform, an IDE) waits while the agent holds its
//! request, and `switchboard mfa` answers it from another terminal; nobody answering gives
//! one line that says what to do. Real binary, moto behind a counting proxy.

#![cfg(unix)]

mod support;

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use support::agent::{AgentSandbox, without_terminal};
use support::{assert_success, stderr};

#[test]
fn a_caller_without_a_terminal_waits_for_switchboard_mfa_and_gets_its_session() {
    let sandbox = AgentSandbox::new();
    let agent = sandbox.start_agent();
    let mut caller = sandbox.command(&["credential-process", "prod/admin"]);
    without_terminal(&mut caller).stdout(Stdio::piped()).stderr(Stdio::piped());
    let caller = caller.spawn().unwrap();
    let switchboard_pid = caller.id();

    let logged = agent.wait_for_log("MFA code needed", Duration::from_secs(60));
    assert!(logged.contains(&format!("pid {}", std::process::id())), "names the caller's parent: {logged}");
    let mut answer = sandbox.command(&["mfa"]).stdin(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    answer.stdin.take().unwrap().write_all(b"123456\n").unwrap();
    let answered = answer.wait_with_output().unwrap();
    assert_success(&answered);
    let listed = stderr(&answered);
    assert!(listed.contains(&format!("for pid {}", std::process::id())), "{listed}");
    assert!(listed.contains(&format!("through switchboard pid {switchboard_pid}")), "{listed}");
    assert!(listed.contains("unlocks") && listed.contains("prod/admin"), "{listed}");
    assert!(listed.contains("code sent"), "{listed}");

    let output = caller.wait_with_output().unwrap();
    assert_success(&output);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(json["AccessKeyId"].as_str().is_some_and(|key| !key.is_empty()));
    assert_eq!(sandbox.proxy.count("GetSessionToken"), 1, "the code made the MFA session once");
    let none = sandbox.run(&["mfa"]);
    assert_success(&none);
    assert!(String::from_utf8_lossy(&none.stdout).contains("no MFA request is waiting"));
}

#[test]
fn a_caller_nobody_answers_fails_with_one_line_that_says_what_to_do() {
    let sandbox = AgentSandbox::new();
    let agent = sandbox.start_agent();
    let mut caller = sandbox.command(&["credential-process", "prod/admin"]);
    caller.env("SWITCHBOARD_MFA_WAIT", "1");
    let output = without_terminal(&mut caller).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert_eq!(message.trim_end().lines().count(), 1, "one line: {message}");
    assert!(message.contains("nobody gave it within 1 s"), "{message}");
    assert!(message.contains("run `switchboard mfa`"), "{message}");
    assert_eq!(sandbox.proxy.count("GetSessionToken"), 0);
    agent.wait_for_log("MFA code needed", Duration::from_secs(5));
}

#[test]
fn a_caller_with_a_code_still_asks_itself() {
    let sandbox = AgentSandbox::new();
    let _agent = sandbox.start_agent();
    let mut caller = sandbox.command(&["-vv", "credential-process", "prod/admin", "--mfa-code", "123456"]);
    let output = without_terminal(&mut caller).output().unwrap();
    assert_success(&output);
    assert!(stderr(&output).contains("MfaNeeded"), "the agent left the code to the caller: {}", stderr(&output));
}
