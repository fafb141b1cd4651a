//! The rails of `sqs send` and `sqs redrive`, through the real binary against moto: a
//! read_only role is refused with the rails' own message (`domain::sqs::changes`, the one the
//! screen shows), exit 2, before anything changes: the queues keep their messages and the
//! audit trail gets no line. Reading through the role (`sqs dump`) stays allowed.

use crate::support::{Sandbox, assert_success, jobs_with_dead_letter_queue, sqs_client_with, stderr};

const ROLE: &str = "prod/viewer";
const CODE: [&str; 2] = ["--mfa-code", "123456"];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// A sandbox whose prod/viewer is read_only (marked after the seeding client got its session).
fn marked_read_only(sandbox: &Sandbox) {
    let inventory = std::fs::read_to_string(sandbox.inventory()).unwrap();
    let marked = inventory.replacen("role_name = \"Viewer\"\n", "role_name = \"Viewer\"\n  read_only = true\n", 1);
    assert_ne!(marked, inventory, "the Viewer role is in support::INVENTORY");
    std::fs::write(sandbox.inventory(), marked).unwrap();
}

/// The queue's messages, visible or not (the dump hides what it received for a while).
fn held(client: &aws_sdk_sqs::Client, url: &str) -> u64 {
    use aws_sdk_sqs::types::QueueAttributeName as Name;
    runtime().block_on(async {
        let output = client.get_queue_attributes().queue_url(url).attribute_names(Name::All).send().await.unwrap();
        let attributes = output.attributes().unwrap();
        let count = |name: Name| attributes[&name].parse::<u64>().unwrap();
        count(Name::ApproximateNumberOfMessages) + count(Name::ApproximateNumberOfMessagesNotVisible)
    })
}

fn assert_refused(output: &std::process::Output, change: &str) {
    let said = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{said}");
    let refusal = format!(
        "switchboard: {ROLE} is read_only: switchboard will not {change} through it (the inventory marks it so)"
    );
    assert!(said.lines().any(|line| line == refusal), "no {refusal:?} in:\n{said}");
}

fn assert_no_audit_line(sandbox: &Sandbox) {
    let trail = sandbox.home.path().join(".local/state/switchboard/audit.jsonl");
    let text = std::fs::read_to_string(&trail).unwrap_or_default();
    assert_eq!(text, "", "the audit trail records no refused change");
}

#[test]
fn sqs_send_through_a_read_only_role_is_refused_by_the_rails_and_sends_nothing() {
    let sandbox = Sandbox::new();
    let client = sqs_client_with(&sandbox, ROLE, &CODE);
    let url = runtime().block_on(async {
        let url = client.create_queue().queue_name("orders").send().await.unwrap().queue_url.unwrap();
        client.send_message().queue_url(&url).message_body("order 1").send().await.unwrap();
        url
    });
    marked_read_only(&sandbox);
    let file = sandbox.home.path().join("orders.jsonl");
    let file = file.to_str().unwrap();
    let run = |args: &[&str]| sandbox.run(&[args, &CODE[..]].concat());

    // Reading is allowed: the dump that the send would replay.
    assert_success(&run(&["sqs", "dump", ROLE, "orders", "--out", file]));
    let sent = run(&["sqs", "send", ROLE, "orders", "--from-file", file, "--confirm", "orders"]);
    assert_refused(&sent, "send messages");
    // The rail comes before the dry run: a read_only role is not shown what it would send.
    let dry = run(&["sqs", "send", ROLE, "orders", "--from-file", file, "--dry-run"]);
    assert_refused(&dry, "send messages");
    assert_eq!(crate::support::stdout(&dry), "");

    assert_eq!(held(&client, &url), 1, "nothing was sent");
    assert_no_audit_line(&sandbox);
}

#[test]
fn sqs_redrive_through_a_read_only_role_is_refused_by_the_rails_and_moves_nothing() {
    let sandbox = Sandbox::new();
    let client = sqs_client_with(&sandbox, ROLE, &CODE);
    let (dlq, jobs) = runtime().block_on(async {
        let (dlq, jobs) = jobs_with_dead_letter_queue(&client).await;
        for index in 0..2 {
            client.send_message().queue_url(&dlq).message_body(format!("job-{index}")).send().await.unwrap();
        }
        (dlq, jobs)
    });
    marked_read_only(&sandbox);

    for copy in [false, true] {
        let mut args = vec!["sqs", "redrive", ROLE, "jobs-dlq", "--confirm", "jobs-dlq"];
        if copy {
            args.push("--copy");
        }
        args.extend(CODE);
        assert_refused(&sandbox.run(&args), "redrive messages");
    }

    assert_eq!((held(&client, &dlq), held(&client, &jobs)), (2, 0), "nothing was moved");
    assert_no_audit_line(&sandbox);
}
