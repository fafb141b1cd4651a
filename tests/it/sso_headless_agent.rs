//! A caller without a terminal (an SDK's credential_process) while `switchboard agent` runs
//! headless: the agent starts the Identity Center sign-in on its behalf, tells the person
//! with a desktop notification (a `notify-send` of the test's on the PATH), and
//! `switchboard login` in another terminal shows that same sign-in and waits on it instead
//! of starting its own. One device authorization and one token at the fake.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use crate::support::agent::{start_agent, without_terminal};
use crate::support::fake_sso::SsoSandbox;

/// `notify-send` that writes its arguments into a FIFO the test reads.
fn fake_notifier(sso: &SsoSandbox) -> (String, mpsc::Receiver<String>) {
    let bin = sso.sandbox.home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let fifo = sso.sandbox.home.path().join("notified");
    let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates the file.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    let script = bin.join("notify-send");
    std::fs::write(&script, format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n", fifo.display())).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let (sent, notified) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sent.send(std::fs::read_to_string(fifo).unwrap_or_default());
    });
    (format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()), notified)
}

fn code_in(text: &str) -> String {
    let (_, after) = text.split_once("confirm the code ").unwrap_or_else(|| panic!("no code in {text:?}"));
    after.split(|c: char| c == ',' || c.is_whitespace()).next().unwrap().to_owned()
}

#[test]
fn a_headless_agent_signs_in_for_a_caller_without_a_terminal_and_login_joins_that_sign_in() {
    let sso = SsoSandbox::new(&[]);
    let runtime = sso.sandbox.home.path().join("run");
    let (search, notified) = fake_notifier(&sso);
    // No browser on this machine (a systemd unit): the device flow, whose code the
    // notification carries.
    let on_this_desktop = |command: &mut std::process::Command| {
        command
            .env("XDG_RUNTIME_DIR", &runtime)
            .env_remove("BROWSER")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
    };
    let mut agent = sso.command(&["agent"]);
    on_this_desktop(&mut agent);
    agent.env("PATH", &search).env("SWITCHBOARD_NOTIFY", "on");
    let agent = start_agent(agent);

    let mut caller = sso.command(&["credential-process", "data/read"]);
    on_this_desktop(&mut caller);
    caller.env("SWITCHBOARD_MFA_WAIT", "90").env("SWITCHBOARD_NOTIFY", "off");
    let caller = without_terminal(&mut caller).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let caller = caller.spawn().unwrap();

    let text = notified.recv_timeout(Duration::from_secs(60)).expect("notify-send was never run");
    assert!(text.contains("sign-in needed"), "{text}");
    assert!(text.contains(&format!("pid {}", std::process::id())), "the caller is named: {text}");
    assert!(text.contains("https://sandbox.awsapps.com/start"), "{text}");
    assert!(text.contains("switchboard login"), "{text}");
    let code = code_in(&text);

    // The person runs `switchboard login` elsewhere: it waits on the agent's sign-in.
    let mut login = sso.command(&["login", "corp"]);
    on_this_desktop(&mut login);
    let mut login = login.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let (said, heard) = mpsc::channel();
    let stderr = login.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = said.send(line);
        }
    });
    let joined = loop {
        let line = heard.recv_timeout(Duration::from_secs(60)).expect("login never showed the sign-in");
        if line.contains("under way") {
            break line;
        }
    };
    assert!(joined.contains(&format!("started by pid {}", agent.child.id())), "{joined}");
    assert_eq!(code_in(&joined), code, "login shows the agent's code");

    sso.sso.control("/_fake/approve", serde_json::json!({ "userCode": code }));
    let output = caller.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["Version"], 1);
    let login = login.wait_with_output().unwrap();
    assert!(login.status.success(), "login: {:?}", login.status);
    let stats = sso.sso.stats();
    assert_eq!(stats["device_authorizations"], 1, "one sign-in, the agent's: {stats}");
    assert_eq!(stats["tokens_issued"], 1, "{stats}");
    assert!(sso.opened().is_empty(), "no browser was opened: {:?}", sso.opened());
}

#[test]
fn a_caller_whose_wait_ends_before_anyone_signs_in_gets_one_line_naming_login() {
    let sso = SsoSandbox::new(&[]);
    let runtime = sso.sandbox.home.path().join("run");
    let mut agent = sso.command(&["agent"]);
    agent.env("XDG_RUNTIME_DIR", &runtime).env_remove("BROWSER").env_remove("DISPLAY").env("SWITCHBOARD_NOTIFY", "off");
    let _agent = start_agent(agent);
    let mut caller = sso.command(&["credential-process", "payments/read"]);
    caller
        .env("XDG_RUNTIME_DIR", &runtime)
        .env_remove("BROWSER")
        .env_remove("DISPLAY")
        .env("SWITCHBOARD_MFA_WAIT", "2");
    let output = without_terminal(&mut caller).stdin(Stdio::null()).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|line| !line.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].contains("payments/read") && lines[0].contains("switchboard login"), "{stderr}");
    assert_eq!(sso.sso.stats()["tokens_issued"], 0);
}
