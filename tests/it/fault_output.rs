//! What the command line prints under hostile conditions: a stdout closed by its reader
//! (`| head -1`) ends every subcommand quietly with exit 141, and strings a server sends
//! (an ARN, an error message) cannot drive the terminal.

use std::process::{Command, Output, Stdio};

use crate::support::fault_proxy::{Fault, FaultProxy};
use crate::support::store::set_inventory_endpoint;
use crate::support::{Sandbox, assert_success, python_path, stderr, stdout};

/// Runs the command with a stdout whose reader is already gone: every write fails with EPIPE.
fn with_closed_stdout(mut command: Command) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    command.stdout(writer).stderr(Stdio::piped());
    let child = command.spawn().unwrap();
    drop(command);
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_stdout_ends_every_subcommand_quietly() {
    let sandbox = Sandbox::new();
    let python = python_path();
    let python = python.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["check"],
        vec!["list"],
        vec!["list", "--json"],
        vec!["env", "prod/viewer", "--format", "bash"],
        vec!["env", "prod/viewer", "--unset", "--format", "bash"],
        vec!["credential-process", "prod/viewer"],
        vec!["refresh", "--all", "--mfa-code", "123456"],
        vec!["whoami", "prod/viewer"],
        vec!["sqs", "list", "prod/viewer"],
        vec!["sqs", "list", "prod/viewer", "--json"],
        vec!["agent", "--status"],
        vec!["completions", "bash"],
        vec!["man"],
    ];
    for args in &cases {
        let output = with_closed_stdout(sandbox.command(args));
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(141), "{args:?}: exit {:?}\n{message}", output.status);
        assert!(!message.contains("panicked"), "{args:?}: {message}");
        assert!(!message.contains("Broken pipe") && !message.contains("stdout"), "{args:?}: {message}");
    }
    // `run` passes its children's exit codes on; their lines have nowhere to go, and that is
    // the reader's choice: it neither panics nor says anything about it.
    let run = ["run", "prod/viewer", "--", python, "-c", "print('x' * 100000)"];
    let output = with_closed_stdout(sandbox.command(&run));
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{message}");
    assert!(!message.contains("panicked") && !message.contains("Broken pipe"), "{message}");
}

#[test]
fn an_escape_sequence_in_a_servers_answer_prints_as_text() {
    let sandbox = Sandbox::new();
    let proxy = FaultProxy::start(&sandbox.moto.endpoint);
    set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
    proxy.always(
        Some("GetCallerIdentity"),
        Fault::Rewrite { from: "<Arn>".into(), to: "<Arn>&#x1b;]0;pwned&#x7;&#x9b;2J".into() },
    );
    let output = sandbox.run(&["whoami", "prod/viewer"]);
    assert_success(&output);
    let printed = stdout(&output);
    assert!(printed.contains("arn      \\x1b]0;pwned\\x07\\u{9b}2Jarn:aws:"), "{printed:?}");
    assert!(!printed.chars().any(|c| c.is_control() && c != '\n'), "{printed:?}");

    proxy.clear();
    proxy.always(
        Some("AssumeRole"),
        Fault::ServiceError {
            status: 403,
            code: "AccessDenied".into(),
            message: "no&#x1b;[2J&#x1b;]0;pwned&#x7;way".into(),
        },
    );
    let denied = sandbox.run(&["env", "prod/viewer"]);
    let message = stderr(&denied);
    assert_eq!(denied.status.code(), Some(1), "{message}");
    assert!(message.contains("access denied: no\\x1b[2J\\x1b]0;pwned\\x07way"), "{message:?}");
    // (The log lines of the SDK are the logging's business; switchboard's own lines are checked.)
    let ours: String = message.lines().filter(|line| line.starts_with("switchboard:")).collect();
    assert!(!ours.chars().any(char::is_control), "{message:?}");
}

/// A queue named `invoice` + RIGHT-TO-LEFT OVERRIDE + `fdp.exe` shows as `invoiceexe.pdf` on a
/// terminal that honours it: the override prints as `\u{202e}`.
pub const QUEUE_WITH_OVERRIDE: &str = "invoice\u{202e}fdp.exe";

/// Creates `invoice` and has the proxy name it `QUEUE_WITH_OVERRIDE` in every ListQueues.
pub fn queue_with_a_bidi_override(sandbox: &Sandbox, proxy: &FaultProxy) {
    let client = crate::support::sqs_client(sandbox, "prod/viewer");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(client.create_queue().queue_name("invoice").send()).unwrap();
    proxy.always(
        Some("ListQueues"),
        Fault::Rewrite { from: "/invoice\"".into(), to: format!("/{QUEUE_WITH_OVERRIDE}\"") },
    );
}

#[test]
fn a_bidi_override_in_a_queue_name_prints_escaped() {
    let sandbox = Sandbox::new();
    let proxy = FaultProxy::start(&sandbox.moto.endpoint);
    set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
    queue_with_a_bidi_override(&sandbox, &proxy);
    let output = sandbox.run(&["sqs", "list", "--no-counts", "prod/viewer"]);
    assert_success(&output);
    let printed = stdout(&output);
    assert!(printed.contains("invoice\\u{202e}fdp.exe"), "{printed:?}");
    assert!(!printed.contains('\u{202e}'), "{printed:?}");
    // JSON keeps the name's value, with the override written as an escape.
    let json = sandbox.run(&["sqs", "list", "--no-counts", "--json", "prod/viewer"]);
    assert_success(&json);
    assert!(!stdout(&json).contains('\u{202e}') && stdout(&json).contains("\\u202e"), "{}", stdout(&json));
    let accounts: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(accounts[0]["queues"][0]["name"], QUEUE_WITH_OVERRIDE, "{accounts}");
}

#[test]
fn a_clock_offset_measured_by_one_command_is_known_to_list_and_check_which_make_no_call() {
    let sandbox = Sandbox::new();
    let proxy = FaultProxy::start(&sandbox.moto.endpoint);
    set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
    // STS's Date says AWS is ten minutes behind this machine's clock.
    proxy.always(None, Fault::ShiftClock(jiff::SignedDuration::from_mins(-10)));
    let refreshed = sandbox.run(&["refresh", "prod/viewer"]);
    assert_success(&refreshed);
    assert!(stderr(&refreshed).contains("clock 10m ahead of AWS"), "{}", stderr(&refreshed));
    proxy.reset_counts();
    let list = sandbox.run(&["list"]);
    assert_success(&list);
    assert_eq!(proxy.count("AssumeRole") + proxy.count("GetCallerIdentity"), 0, "list makes no call");
    assert!(stderr(&list).contains("clock 10m ahead of AWS"), "{}", stderr(&list));
    let check = sandbox.run(&["check"]);
    assert_success(&check);
    assert!(stdout(&check).contains("note: clock 10m ahead of AWS"), "{}", stdout(&check));
    assert_eq!(proxy.count("AssumeRole") + proxy.count("GetCallerIdentity"), 0, "check makes no call either");
    // (The sandbox keeps sessions in memory, so list has none to show; the engine judges
    // stored ones with this clock: `domain::clock` tests.)
}

#[test]
fn diagnostics_written_to_a_pipe_carry_no_colour_codes() {
    let sandbox = Sandbox::new();
    let output = sandbox.run(&["-vv", "list"]);
    assert_success(&output);
    let message = stderr(&output);
    assert!(message.contains("DEBUG") || message.contains("INFO"), "-vv logs something: {message}");
    assert!(!message.contains('\x1b'), "escape codes in piped diagnostics: {message:?}");
}
