//! The screen hosts the agent: with the screen open, `credential-process` run without a
//! terminal (as an SDK, Terraform or an IDE runs it) needs a code; the screen's modal names
//! the process it is for, and the code typed there completes the call. Real binary in a
//! pseudo-terminal, against moto.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::support::agent::without_terminal;
use crate::support::pty::{Tui, roles_are_shown};
use crate::support::{Sandbox, assert_success, stdout};

#[test]
fn the_screen_asks_for_a_caller_without_a_terminal_and_names_it() {
    let sandbox = Sandbox::new();
    let mut tui = Tui::start(&sandbox);
    tui.wait_for("the list of roles", roles_are_shown);
    tui.wait_for("the header naming the screen as the agent", |screen| screen.contains("agent: this screen"));

    let mut caller = sandbox.command(&["credential-process", "prod/admin"]);
    without_terminal(&mut caller).stdout(Stdio::piped()).stderr(Stdio::piped());
    let caller = caller.spawn().unwrap();
    let named = format!("pid {} · switchboard pid {}", std::process::id(), caller.id());
    let modal = tui.wait_for("the modal naming the caller", |screen| screen.contains(&named));
    assert!(modal.contains("MFA code") && modal.contains("prod/admin"), "{modal}");

    tui.send("123456\r");
    let output = caller.wait_with_output().unwrap();
    assert_success(&output);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(json["AccessKeyId"].as_str().is_some_and(|key| key.starts_with("ASIA")), "{json}");
    tui.wait_for("the modal closed", |screen| !screen.contains(&named));

    // The screen holds that session now: the next call is served at once, no code asked.
    let again = sandbox.run(&["credential-process", "prod/admin"]);
    assert_success(&again);
    let second: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(second["AccessKeyId"], json["AccessKeyId"]);

    // Who is served: credential-process's parent (this test) holds prod/admin's session.
    tui.wait_for("the chain pane counting who is served", |screen| screen.contains("served by the agent to 1 process"));
    let status = sandbox.run(&["agent", "--status"]);
    assert_success(&status);
    assert!(stdout(&status).starts_with("the switchboard screen pid "), "{}", stdout(&status));
    assert!(stdout(&status).contains("served  prod/admin  1 process(es)"), "{}", stdout(&status));
}

#[test]
fn another_agent_serving_is_named_by_the_screen() {
    let sandbox = Sandbox::new();
    let mut agent = sandbox.command(&["agent"]).stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(agent.stderr.take().unwrap()).lines();
    assert!(lines.by_ref().map_while(Result::ok).any(|line| line.contains("switchboard agent: pid")));
    std::thread::spawn(move || for _ in lines {});
    let mut tui = Tui::start(&sandbox);
    let pid = agent.id();
    tui.wait_for("the header naming the agent's pid", |screen| screen.contains(&format!("agent: pid {pid}")));
    // SAFETY: a signal to the agent this test started and has not reaped.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let _ = agent.wait();
}
