//! Agents and clients of different builds: every request and reply names its protocol, so a
//! client meeting an agent of another protocol says so in one line (the agent's pid and
//! build, and to restart it) and works without it; it never misreads a reply. The "agents"
//! here are fakes on the socket that speak as another build would.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::process::Output;
use std::sync::mpsc;

use crate::support::agent::AgentSandbox;
use crate::support::{assert_success, stderr};

/// Listens where the agent would and answers every connection with `greeting`, then with
/// `reply` to the first request line, which it passes to the test.
fn fake_agent(sandbox: &AgentSandbox, greeting: &'static str, reply: Option<&'static str>) -> mpsc::Receiver<String> {
    std::fs::create_dir_all(sandbox.socket().parent().unwrap()).unwrap();
    let listener = UnixListener::bind(sandbox.socket()).unwrap();
    let (heard, requests) = mpsc::channel();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let _ = writeln!(stream, "{greeting}");
            let mut request = String::new();
            let _ = BufReader::new(&stream).read_line(&mut request);
            let _ = heard.send(request);
            if let Some(reply) = reply {
                let _ = writeln!(stream, "{reply}");
            }
        }
    });
    requests
}

/// The lines `switchboard:` printed on stderr about an agent (at the default verbosity).
fn said(output: &Output) -> Vec<String> {
    let about_an_agent = |line: &&str| line.starts_with("switchboard:") && line.contains("agent");
    stderr(output).lines().filter(about_an_agent).map(str::to_owned).collect()
}

fn credential_process(sandbox: &AgentSandbox) -> Output {
    sandbox.run(&["credential-process", "prod/viewer"])
}

#[test]
fn an_agent_of_an_older_protocol_is_named_once_and_the_client_works_without_it() {
    let sandbox = AgentSandbox::new();
    let requests = fake_agent(&sandbox, r#"{"protocol":1,"pid":4242,"version":"0.0.9"}"#, None);
    let output = credential_process(&sandbox);
    assert_success(&output);
    let lines = said(&output);
    assert_eq!(lines.len(), 1, "one line: {lines:#?}");
    let line = &lines[0];
    for part in ["agent pid 4242 runs switchboard 0.0.9 (protocol 1)", "this is switchboard 0.1.0 (", "(protocol 2)"] {
        assert!(line.contains(part), "{part:?} in {line}");
    }
    assert!(line.contains("systemctl --user restart switchboard-agent"), "{line}");
    let sent: Vec<String> = requests.try_iter().filter(|line| !line.is_empty()).collect();
    assert!(sent.is_empty(), "no request is sent to an agent of another protocol: {sent:?}");
    assert_eq!(sandbox.proxy.count("AssumeRole"), 1, "the client's own engine got the session");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["Version"], 1);
}

#[test]
fn a_reply_of_another_protocol_is_never_read_as_a_session() {
    let sandbox = AgentSandbox::new();
    // Greets as this build does, then answers as a build of protocol 3 would: a session
    // whose fields may mean something else there.
    let reply = r#"{"reply":"session","protocol":3,"role":"prod/viewer","region":"eu-west-1","access_key_id":"ASIAFAKE","secret_access_key":"fake","session_token":"fake","expiration":null}"#;
    let requests = fake_agent(&sandbox, r#"{"protocol":2,"pid":4243,"version":"0.3.0 (abc)"}"#, Some(reply));
    let output = credential_process(&sandbox);
    assert_success(&output);
    let request: serde_json::Value = serde_json::from_str(&requests.recv().unwrap()).unwrap();
    assert_eq!(request["protocol"], 2, "the request names its protocol: {request}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_ne!(json["AccessKeyId"], "ASIAFAKE", "the other protocol's reply was not used");
    let lines = said(&output);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("agent pid 4243 runs switchboard 0.3.0 (abc) (protocol 3)"), "{}", lines[0]);
}

#[test]
fn an_agent_refusing_our_protocol_is_named_and_garbage_is_not_an_agent() {
    let sandbox = AgentSandbox::new();
    let refusal = r#"{"reply":"error","protocol":2,"kind":"other_protocol","message":"agent pid 4244 runs switchboard 0.2.0 (protocol 2)"}"#;
    let _requests = fake_agent(&sandbox, r#"{"protocol":2,"pid":4244,"version":"0.2.0 (def)"}"#, Some(refusal));
    let output = credential_process(&sandbox);
    assert_success(&output);
    let lines = said(&output);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("agent pid 4244 runs switchboard 0.2.0 (def)"), "{}", lines[0]);

    let garbage = AgentSandbox::new();
    let _requests = fake_agent(&garbage, "HTTP/1.1 400 Bad Request", None);
    let output = garbage.run(&["-vv", "credential-process", "prod/viewer"]);
    assert_success(&output);
    assert!(stderr(&output).contains("its greeting is not switchboard's"), "{}", stderr(&output));
    assert_eq!(garbage.proxy.count("AssumeRole"), 1);
}

#[test]
fn agent_status_names_the_build_of_the_running_agent() {
    let sandbox = AgentSandbox::new();
    let agent = sandbox.start_agent();
    let status = sandbox.run(&["agent", "--status"]);
    assert_success(&status);
    let text = String::from_utf8_lossy(&status.stdout);
    let version = sandbox.run(&["--version"]);
    let build = String::from_utf8_lossy(&version.stdout).trim().trim_start_matches("switchboard ").to_owned();
    assert!(build.starts_with("0.1.0 ("), "{build}");
    assert!(text.contains(&format!("agent pid {}", agent.child.id())), "{text}");
    assert!(text.contains(&format!("(switchboard {build})")), "{text}");
}
