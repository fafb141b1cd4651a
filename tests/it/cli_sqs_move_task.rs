//! `switchboard sqs redrive` by move task, end to end: the real binary against moto, with the
//! two move-task calls moto lacks (StartMessageMoveTask, ListMessageMoveTasks) answered by the
//! fault proxy the way SQS answers them. What is checked: the call SQS gets (source, destination,
//! rate), the progress lines, the exit code, and the audit trail, for a task that completes and
//! one that fails.

use std::time::Duration;

use crate::support::fault_proxy::{Fault, FaultProxy};
use crate::support::{Sandbox, jobs_with_dead_letter_queue, queue_arn, run_with_deadline, sqs_client_with, stderr};

const ROLE: &str = "prod/viewer";
/// Two polls two seconds apart, and the sessions first.
const DEADLINE: Duration = Duration::from_secs(60);

struct Queues {
    dlq_arn: String,
    jobs_arn: String,
}

/// `jobs-dlq` (the DLQ of `jobs`) holding three messages.
fn seed(sandbox: &Sandbox) -> Queues {
    let client = sqs_client_with(sandbox, ROLE, &["--mfa-code", "123456"]);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (dlq, jobs) = jobs_with_dead_letter_queue(&client).await;
        for index in 0..3 {
            client.send_message().queue_url(&dlq).message_body(format!("job-{index}")).send().await.unwrap();
        }
        Queues { dlq_arn: queue_arn(&client, &dlq).await, jobs_arn: queue_arn(&client, &jobs).await }
    })
}

/// One task as ListMessageMoveTasks lists it.
fn listed(queues: &Queues, status: &str, moved: u64, extra: &str) -> Fault {
    Fault::Answer(format!(
        r#"{{"Results":[{{"Status":"{status}","SourceArn":"{}","DestinationArn":"{}","MaxNumberOfMessagesPerSecond":5,"ApproximateNumberOfMessagesMoved":{moved},"ApproximateNumberOfMessagesToMove":3,"StartedTimestamp":1763790000000{extra}}}]}}"#,
        queues.dlq_arn, queues.jobs_arn
    ))
}

fn audit(sandbox: &Sandbox) -> Vec<serde_json::Value> {
    let trail = std::fs::read_to_string(sandbox.home.path().join(".local/state/switchboard/audit.jsonl")).unwrap();
    trail.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

/// A proxy in front of moto, and the inventory pointed at it from now on.
fn proxy_for(sandbox: &Sandbox) -> FaultProxy {
    let proxy = FaultProxy::start(&sandbox.moto.endpoint);
    let text = std::fs::read_to_string(sandbox.inventory()).unwrap();
    std::fs::write(sandbox.inventory(), text.replace(&sandbox.moto.endpoint, &proxy.endpoint)).unwrap();
    proxy
}

/// Runs the redrive: its stderr and exit code.
fn redrive(sandbox: &Sandbox) -> (String, Option<i32>) {
    let args = ["sqs", "redrive", ROLE, "jobs-dlq", "--confirm", "jobs-dlq", "--rate", "5", "--mfa-code", "123456"];
    let (output, _) = run_with_deadline(sandbox.command(&args), DEADLINE).unwrap_or_else(|stuck| panic!("{stuck}"));
    (stderr(&output), output.status.code())
}

#[test]
fn a_move_task_is_started_with_the_queues_and_rate_followed_to_completion_and_audited() {
    let sandbox = Sandbox::new();
    let queues = seed(&sandbox);
    let proxy = proxy_for(&sandbox);
    proxy.always(Some("StartMessageMoveTask"), Fault::Answer(r#"{"TaskHandle":"task-1"}"#.into()));
    proxy.next(Some("ListMessageMoveTasks"), 1, listed(&queues, "RUNNING", 1, r#","TaskHandle":"task-1""#));
    proxy.always(Some("ListMessageMoveTasks"), listed(&queues, "COMPLETED", 3, ""));

    let (said, code) = redrive(&sandbox);
    assert_eq!(code, Some(0), "{said}");
    for line in [
        "redrive jobs-dlq -> jobs: about 3 messages",
        "move task task-1 started",
        "progress: RUNNING 1 of 3 moved",
        "done: 3 moved",
    ] {
        assert!(said.contains(line), "no {line:?} in:\n{said}");
    }
    let start = proxy.last_body("StartMessageMoveTask").unwrap();
    let start: serde_json::Value = serde_json::from_str(&start).unwrap();
    assert_eq!(start["SourceArn"], queues.dlq_arn.as_str(), "{start}");
    assert_eq!(start["DestinationArn"], queues.jobs_arn.as_str(), "{start}");
    assert_eq!(start["MaxNumberOfMessagesPerSecond"], 5, "{start}");
    assert_eq!(proxy.count("StartMessageMoveTask"), 1);
    assert_eq!(proxy.count("ListMessageMoveTasks"), 2, "polled until it completed, then no more");
    assert_eq!(proxy.count("ReceiveMessage"), 0, "a move task, not the copy");

    let trail = audit(&sandbox);
    let actions: Vec<&str> = trail.iter().map(|entry| entry["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["redrive-start", "redrive-progress", "redrive-end"], "{trail:?}");
    let end = &trail[2];
    assert_eq!((end["ok"].as_bool(), end["count"].as_u64()), (Some(true), Some(3)), "{end}");
    // The lines of the audited changes (`domain::sqs::changes`), as the screen writes them too.
    assert_eq!(trail[1]["detail"], "to jobs; move task task-1 RUNNING", "{trail:?}");
    assert_eq!(end["detail"], "to jobs; the move task task-1 ended COMPLETED", "{end}");
}

#[test]
fn a_failed_move_task_exits_non_zero_with_its_reason_and_the_audit_says_so() {
    let sandbox = Sandbox::new();
    let queues = seed(&sandbox);
    let proxy = proxy_for(&sandbox);
    proxy.always(Some("StartMessageMoveTask"), Fault::Answer(r#"{"TaskHandle":"task-2"}"#.into()));
    let reason = r#","FailureReason":"AWS.SimpleQueueService.NonExistentQueue""#;
    proxy.always(Some("ListMessageMoveTasks"), listed(&queues, "FAILED", 1, reason));

    let (said, code) = redrive(&sandbox);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("the move task ended FAILED: AWS.SimpleQueueService.NonExistentQueue"), "{said}");
    let trail = audit(&sandbox);
    let end = trail.iter().rfind(|entry| entry["action"] == "redrive-end").unwrap();
    assert_eq!(end["ok"].as_bool(), Some(false), "{end}");
    assert!(end["detail"].as_str().unwrap().contains("FAILED: AWS.SimpleQueueService.NonExistentQueue"), "{end}");
}

/// moto's answer to a move task: Werkzeug's page for an exception, HTML in a 500.
const HTML_500: &str = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n\
    <h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to complete your \
    request. Either the server is overloaded or there is an error in the application.</p>\n";

#[test]
fn an_endpoint_answering_the_move_task_with_an_html_page_gets_one_line_naming_copy() {
    let sandbox = Sandbox::new();
    seed(&sandbox);
    let proxy = proxy_for(&sandbox);
    let page = Fault::Raw { status: 500, content_type: "text/html; charset=utf-8".into(), body: HTML_500.into() };
    proxy.always(Some("StartMessageMoveTask"), page);

    let (said, code) = redrive(&sandbox);
    assert_eq!(code, Some(1), "{said}");
    let error = said.lines().last().unwrap_or_default();
    eprintln!("the operator reads: {error}");
    assert!(!said.contains('<'), "the page reached the operator:\n{said}");
    assert!(!said.contains("try again in a moment"), "a retry will not help:\n{said}");
    for part in [ROLE, "StartMessageMoveTask", "HTTP 500", "text/html", "--copy"] {
        assert!(error.contains(part), "no {part:?} in the error line {error:?}:\n{said}");
    }
    assert_eq!(proxy.count("StartMessageMoveTask"), 1, "asked once, not retried");
    assert_eq!(proxy.count("ReceiveMessage"), 0, "no copy without --copy");
}

#[test]
fn an_empty_or_json_answer_that_is_no_aws_error_gets_one_line_naming_copy_too() {
    let sandbox = Sandbox::new();
    seed(&sandbox);
    let proxy = proxy_for(&sandbox);
    for (status, content_type, body) in
        [(502, "", ""), (404, "application/json", r#"{"detail":"Not Found"}"#), (501, "text/plain", "nope")]
    {
        proxy.clear();
        let fault = Fault::Raw { status, content_type: content_type.into(), body: body.into() };
        proxy.always(Some("StartMessageMoveTask"), fault);
        let (said, code) = redrive(&sandbox);
        assert_eq!(code, Some(1), "{said}");
        let error = said.lines().last().unwrap_or_default();
        assert!(error.contains(&format!("HTTP {status}")) && error.contains("--copy"), "{error:?}:\n{said}");
        assert!(body.is_empty() || !said.contains(body), "the body reached the operator:\n{said}");
        assert_eq!(said.lines().filter(|line| line.contains("HTTP")).count(), 1, "one line:\n{said}");
    }
}
