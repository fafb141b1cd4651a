//! MFA for callers without a terminal, with a headless agent: `credential-process` run with
//! no controlling terminal (an SDK, Terraform, an IDE) waits while the agent holds its
//! request, and `switchboard mfa` answers it from another terminal; nobody answering gives
//! one line that says what to do. Real binary, moto behind a counting proxy.

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use crate::support::agent::{AgentSandbox, without_terminal};
use crate::support::{assert_success, run_with_deadline, stderr};

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

#[test]
fn a_headless_agent_sends_a_desktop_notification_naming_the_caller() {
    let sandbox = AgentSandbox::new();
    // A notify-send of our own on the PATH writes its arguments into a FIFO this test reads.
    let bin = sandbox.sandbox.home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let fifo = sandbox.sandbox.home.path().join("notified");
    let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates the file.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    let script = bin.join("notify-send");
    std::fs::write(&script, format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n", fifo.display())).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let search = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let _agent = sandbox.start_agent_with(|agent| {
        agent.env("PATH", &search).env("SWITCHBOARD_NOTIFY", "on");
    });
    let (sent, notified) = std::sync::mpsc::channel();
    let reading = fifo.clone();
    std::thread::spawn(move || {
        let _ = sent.send(std::fs::read_to_string(reading).unwrap_or_default());
    });
    let mut caller = sandbox.command(&["credential-process", "prod/admin"]);
    caller.env("SWITCHBOARD_MFA_WAIT", "30");
    let caller = without_terminal(&mut caller).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let text = notified.recv_timeout(Duration::from_secs(60)).expect("notify-send was never run");
    assert!(text.contains("MFA code needed"), "{text}");
    assert!(text.contains(&format!("pid {}", std::process::id())), "{text}");
    assert!(text.contains("switchboard mfa"), "{text}");
    let mut answer = sandbox.command(&["mfa"]).stdin(Stdio::piped()).spawn().unwrap();
    answer.stdin.take().unwrap().write_all(b"123456\n").unwrap();
    assert!(answer.wait().unwrap().success());
    assert!(caller.wait_with_output().unwrap().status.success());
}

#[test]
fn a_caller_with_a_code_is_not_held_up_by_another_callers_pending_prompt() {
    let sandbox = AgentSandbox::new();
    let agent = sandbox.start_agent();
    let mut waiting = sandbox.command(&["credential-process", "prod/admin"]);
    let waiting = without_terminal(&mut waiting).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    agent.wait_for_log("MFA code needed", Duration::from_secs(60));

    // The agent holds no lock while nobody answers, and does not queue this caller (it has a
    // code of its own) behind that prompt: it is told at once to ask itself.
    let with_code = sandbox.command(&["refresh", "prod/admin", "--mfa-code", "111111"]);
    let (output, took) = run_with_deadline(with_code, Duration::from_secs(30))
        .unwrap_or_else(|problem| panic!("held up by the pending prompt: {problem}"));
    assert_success(&output);
    assert!(took < Duration::from_secs(10), "took {took:?}");

    // The pending caller still gets its session once its code comes.
    let mut answer = sandbox.command(&["mfa"]).stdin(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    answer.stdin.take().unwrap().write_all(b"222222\n").unwrap();
    assert_success(&answer.wait_with_output().unwrap());
    assert_success(&waiting.wait_with_output().unwrap());
}
