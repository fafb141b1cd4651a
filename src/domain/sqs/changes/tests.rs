//! The audited changes against the in-memory SQS: the rails refuse before anything reaches
//! SQS or the trail; every change that goes ahead, failed or not, writes its line.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::*;
use crate::domain::audit::AUDIT_FILE;
use crate::domain::inventory::RoleKey;
use crate::domain::sqs::copy::CopyLimits;
use crate::domain::sqs::{CopyEnd, MoveMethod, MoveStatus, Queue};
use crate::test_support::{FakeQueue, FakeSqs};

const REGION: &str = "eu-west-1";

/// An audit line as a test compares it: action, message ids, count, ok, detail.
type TrailLine<'a> = (&'a str, Vec<&'a str>, u64, bool, Option<&'a str>);

fn role(read_only: bool, production: bool) -> ActingRole {
    ActingRole { key: RoleKey { account: "prod".into(), role: "admin".into() }, read_only, production }
}

fn message(id: &str, body: &str) -> PeekedMessage {
    PeekedMessage {
        id: id.into(),
        receipt_handle: format!("rh-{id}"),
        body: body.into(),
        system: BTreeMap::new(),
        attributes: BTreeMap::new(),
    }
}

/// `orders` with two messages, `orders-dlq` (its DLQ) with three, and an audit trail.
struct Bench {
    sqs: FakeSqs,
    audit: AuditLog,
    _dir: tempfile::TempDir,
}

impl Bench {
    fn new() -> Self {
        let sqs = FakeSqs::new("111111111111", REGION, Vec::new());
        let mut orders =
            FakeQueue { messages: vec![message("o-1", "one"), message("o-2", "two")], ..FakeQueue::named("orders") };
        orders.attributes.push(sqs.redrive_to("orders-dlq", 3));
        let dlq = FakeQueue {
            messages: vec![message("d-1", "x"), message("d-2", "y"), message("d-3", "z")],
            ..FakeQueue::named("orders-dlq")
        };
        let sqs = FakeSqs::new("111111111111", REGION, vec![orders, dlq]);
        let dir = tempfile::tempdir().unwrap();
        Self { sqs, audit: AuditLog::at(dir.path().join(AUDIT_FILE)), _dir: dir }
    }

    fn changes<'a>(&'a self, role: &'a ActingRole) -> SqsChanges<'a> {
        SqsChanges::new(role, REGION, &self.sqs, &self.audit)
    }

    fn url(&self, name: &str) -> String {
        self.sqs.url(name)
    }

    fn trail(&self) -> Vec<AuditEntry> {
        self.audit.recent("prod", 100).unwrap()
    }

    fn actions(&self) -> Vec<String> {
        self.trail().into_iter().map(|entry| entry.action).collect()
    }

    /// The redrive of orders-dlq back to orders.
    async fn redrive(
        &self,
        role: &ActingRole,
        copy_instead: Option<String>,
        typed: Option<&str>,
    ) -> (Result<Redriven, ChangeError>, Vec<RedriveEvent>) {
        let (dlq_url, orders_url) = (self.url("orders-dlq"), self.url("orders"));
        let (dlq_arn, orders_arn) = (self.sqs.arn("orders-dlq"), self.sqs.arn("orders"));
        let stop = AtomicBool::new(false);
        let limits = CopyLimits { wait_seconds: 0, idle_deadline: Duration::from_millis(50), ..CopyLimits::default() };
        let plan = RedrivePlan {
            source: Queue { url: &dlq_url, arn: &dlq_arn, fifo: false },
            destination: Queue { url: &orders_url, arn: &orders_arn, fifo: false },
            total: 3,
            rate: None,
            copy_instead,
            limits,
            poll_every: Duration::ZERO,
            stop: &stop,
        };
        let mut events = Vec::new();
        let result = self.changes(role).redrive(plan, typed, |event| events.push(event)).await;
        (result, events)
    }
}

#[tokio::test]
async fn a_read_only_role_is_refused_every_change_and_nothing_reaches_sqs_or_the_trail() {
    let bench = Bench::new();
    let viewer = role(true, false);
    let changes = bench.changes(&viewer);
    let orders = bench.url("orders");
    let refused = |change| ChangeError::Refused(Refused::ReadOnly { role: viewer.key.clone(), change });

    let request = SendRequest { body: "hello".into(), ..SendRequest::default() };
    assert_eq!(changes.send(&orders, &request).await, Err(refused(Change::SendMessage)));
    let (queue, saved) = (QueueSummary::from_url(&orders), vec![message("s-1", "again")]);
    let replay = changes.send_saved(&queue, saved, Path::new("saved.jsonl"), Some("orders")).await;
    assert_eq!(replay.map_err(ChangeError::from), Err(refused(Change::SendSaved)));
    assert_eq!(changes.delete(&orders, "o-1", "rh-o-1", Some("orders")).await, Err(refused(Change::Delete)));
    assert_eq!(changes.purge(&orders, Some("orders")).await, Err(refused(Change::Purge)));
    assert_eq!(changes.cancel_move(&bench.url("orders-dlq"), "task-1").await, Err(refused(Change::CancelMove)));
    let (redriven, events) = bench.redrive(&viewer, None, Some("orders-dlq")).await;
    assert_eq!(redriven, Err(refused(Change::Redrive)));
    assert!(events.is_empty());

    assert_eq!(bench.sqs.take_calls(), Vec::<String>::new(), "nothing reached SQS");
    assert!(!bench.audit.path().unwrap().exists(), "nothing was recorded");
    assert_eq!((bench.sqs.visible("orders"), bench.sqs.visible("orders-dlq")), (2, 3));
    assert_eq!(
        refused(Change::Purge).to_string(),
        "prod/admin is read_only: switchboard will not purge queues through it (the inventory marks it so)"
    );
}

#[test]
fn purges_and_redrives_need_the_name_everywhere_deletes_and_replays_in_production() {
    let everywhere = [Change::Purge, Change::Redrive];
    let in_production = [Change::Delete, Change::SendSaved];
    let never = [Change::SendMessage, Change::CancelMove];
    for production in [false, true] {
        let admin = role(false, production);
        for change in everywhere.into_iter().chain(in_production).chain(never) {
            let needs_name = everywhere.contains(&change) || (production && in_production.contains(&change));
            let expected = if needs_name { Confirmation::QueueName } else { Confirmation::Nothing };
            assert_eq!(admin.confirmation(change), Ok(expected), "{change:?}, production {production}");
            assert_eq!(admin.allows(change, "orders", Some("orders")), Ok(()), "{change:?}");
            // A name typed though none was needed must still be the queue's.
            let mismatch = Refused::NameMismatch { typed: "order".into(), queue: "orders".into() };
            assert_eq!(admin.allows(change, "orders", Some("order")), Err(mismatch), "{change:?}");
            let untyped = admin.allows(change, "orders", None);
            assert_eq!(untyped.is_err(), needs_name, "{change:?}, production {production}: {untyped:?}");
        }
    }
    let refusal = role(false, true).allows(Change::Delete, "orders", None).unwrap_err();
    assert_eq!(
        refusal.to_string(),
        "switchboard will not delete messages in orders without its name typed to confirm (prod is a production account)"
    );
}

#[tokio::test]
async fn an_unconfirmed_change_reaches_neither_sqs_nor_the_trail() {
    let bench = Bench::new();
    let admin = role(false, true);
    let changes = bench.changes(&admin);
    let orders = bench.url("orders");
    assert!(matches!(
        changes.delete(&orders, "o-1", "rh-o-1", None).await,
        Err(ChangeError::Refused(Refused::NotConfirmed { change: Change::Delete, .. }))
    ));
    assert!(matches!(
        changes.purge(&orders, Some("orders-dlq")).await,
        Err(ChangeError::Refused(Refused::NameMismatch { .. }))
    ));
    let (redriven, _) = bench.redrive(&admin, None, None).await;
    assert!(matches!(redriven, Err(ChangeError::Refused(Refused::NotConfirmed { change: Change::Redrive, .. }))));
    assert_eq!(bench.sqs.take_calls(), Vec::<String>::new());
    assert!(!bench.audit.path().unwrap().exists());
}

#[tokio::test]
async fn each_change_writes_its_audit_line() {
    let bench = Bench::new();
    let admin = role(false, false);
    let changes = bench.changes(&admin);
    let orders = bench.url("orders");

    let request = SendRequest { body: "hello".into(), ..SendRequest::default() };
    let id = changes.send(&orders, &request).await.unwrap();
    changes.delete(&orders, "o-1", "rh-o-1", None).await.unwrap();
    changes.purge(&orders, Some("orders")).await.unwrap();
    let saved = vec![message("s-1", "again"), message("s-2", "and again")];
    let report =
        changes.send_saved(&QueueSummary::from_url(&orders), saved, Path::new("saved.jsonl"), None).await.unwrap();
    assert_eq!(report, SendReport { sent: vec!["s-1".into(), "s-2".into()], refused: Vec::new(), failure: None });
    assert_eq!(
        bench.sqs.take_calls(),
        ["SendMessage orders hello", "DeleteMessage orders rh-o-1", "PurgeQueue orders", "SendMessageBatch orders 2"]
    );

    let trail = bench.trail();
    let lines: Vec<TrailLine> = trail
        .iter()
        .map(|entry| {
            let ids = entry.message_ids.iter().map(String::as_str).collect();
            (entry.action.as_str(), ids, entry.count, entry.ok, entry.detail.as_deref())
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("send", vec![id.as_str()], 1, true, None),
            ("delete", vec!["o-1"], 1, true, None),
            ("purge", vec![], 0, true, None),
            ("send", vec!["s-1", "s-2"], 2, true, Some("from saved.jsonl")),
        ]
    );
    for entry in &trail {
        assert_eq!(
            (entry.role.as_str(), entry.queue.as_str(), entry.region.as_str()),
            ("prod/admin", "orders", REGION)
        );
        assert_eq!(entry.account_id.as_deref(), Some("111111111111"));
    }
    let text = std::fs::read_to_string(bench.audit.path().unwrap()).unwrap();
    assert!(!text.contains("hello") && !text.contains("again"), "no body in the trail: {text}");
}

#[tokio::test]
async fn a_failed_call_writes_its_failure_line() {
    let bench = Bench::new();
    let admin = role(false, false);
    let changes = bench.changes(&admin);
    let orders = bench.url("orders");
    for action in ["SendMessage", "DeleteMessage", "PurgeQueue", "SendMessageBatch", "CancelMessageMoveTask"] {
        bench.sqs.deny(action);
    }

    let request = SendRequest { body: "hello".into(), ..SendRequest::default() };
    assert!(matches!(changes.send(&orders, &request).await, Err(ChangeError::Sqs(SqsError::AccessDenied { .. }))));
    assert!(changes.delete(&orders, "o-1", "rh-o-1", None).await.is_err());
    assert!(changes.purge(&orders, Some("orders")).await.is_err());
    let saved = vec![message("s-1", "again")];
    let report =
        changes.send_saved(&QueueSummary::from_url(&orders), saved, Path::new("saved.jsonl"), None).await.unwrap();
    assert!(report.sent.is_empty() && matches!(report.failure, Some(SqsError::AccessDenied { .. })), "{report:?}");
    assert!(changes.cancel_move(&bench.url("orders-dlq"), "task-1").await.is_err());

    let trail = bench.trail();
    let actions: Vec<&str> = trail.iter().map(|entry| entry.action.as_str()).collect();
    assert_eq!(actions, ["send", "delete", "purge", "send", "move-cancel"]);
    for entry in &trail {
        assert_eq!((entry.ok, entry.count), (false, 0), "{entry:?}");
        assert!(entry.detail.as_deref().unwrap().contains(": access denied: "), "{entry:?}");
    }
    assert_eq!(trail[1].message_ids, ["o-1"], "a failed delete names the message it meant");
    assert!(trail[3].detail.as_deref().unwrap().starts_with("from saved.jsonl; SendMessageBatch: access denied"));
    assert!(trail[4].detail.as_deref().unwrap().starts_with("task-1; CancelMessageMoveTask: access denied"));
}

#[tokio::test]
async fn a_move_task_is_followed_to_its_end_and_each_status_is_a_line() {
    let bench = Bench::new();
    bench.sqs.offer_move_tasks();
    bench.sqs.script_move_task(vec![
        FakeSqs::move_step(MoveStatus::Running, 1, 3, None),
        FakeSqs::move_step(MoveStatus::Running, 2, 3, None),
        FakeSqs::move_step(MoveStatus::Completed, 3, 3, None),
    ]);
    let admin = role(false, true);
    let (redriven, events) = bench.redrive(&admin, None, Some("orders-dlq")).await;
    let Ok(Redriven::MoveTask { handle, task }) = redriven else { panic!("{redriven:?}") };
    assert_eq!((handle.as_str(), task.status, task.moved), ("task-1", MoveStatus::Completed, 3));
    assert_eq!(events.first(), Some(&RedriveEvent::MoveStarted { handle: "task-1".into() }));
    assert_eq!(events.iter().filter(|event| matches!(event, RedriveEvent::MoveStatus(_))).count(), 3);

    let trail = bench.trail();
    let lines: Vec<(&str, u64, bool, &str)> = trail
        .iter()
        .map(|entry| (entry.action.as_str(), entry.count, entry.ok, entry.detail.as_deref().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [
            ("redrive-start", 3, true, "to orders"),
            ("redrive-progress", 1, true, "to orders; move task task-1 RUNNING"),
            ("redrive-end", 3, true, "to orders; the move task task-1 ended COMPLETED"),
        ],
        "one progress line per change of status"
    );
    assert!(trail.iter().all(|entry| entry.queue == "orders-dlq"));
}

#[tokio::test]
async fn a_failed_move_task_ends_with_a_failed_line_and_its_reason() {
    let bench = Bench::new();
    bench.sqs.offer_move_tasks();
    let reason = "AWS.SimpleQueueService.NonExistentQueue";
    bench.sqs.script_move_task(vec![FakeSqs::move_step(MoveStatus::Failed, 1, 3, Some(reason))]);
    let (redriven, _) = bench.redrive(&role(false, false), None, Some("orders-dlq")).await;
    let report = redriven.unwrap().report();
    assert_eq!((report.method, report.first_error.as_deref()), (MoveMethod::MoveTask, Some(reason)));
    let end = bench.trail().pop().unwrap();
    assert_eq!((end.action.as_str(), end.ok, end.count), ("redrive-end", false, 1));
    assert_eq!(
        end.detail.as_deref(),
        Some("to orders; the move task task-1 ended FAILED: AWS.SimpleQueueService.NonExistentQueue")
    );
}

#[tokio::test]
async fn a_refused_start_ends_the_redrive_with_a_failed_line() {
    let bench = Bench::new();
    bench.sqs.fail_move_start(SqsError::Service {
        action: "StartMessageMoveTask",
        code: "ThrottlingException".into(),
        message: "slow down".into(),
    });
    let (redriven, events) = bench.redrive(&role(false, false), None, Some("orders-dlq")).await;
    assert!(matches!(redriven, Err(ChangeError::Sqs(SqsError::Service { .. }))), "{redriven:?}");
    assert!(events.is_empty(), "no copy: {events:?}");
    let trail = bench.trail();
    assert_eq!(bench.actions(), ["redrive-start", "redrive-end"]);
    let end = &trail[1];
    assert!(!end.ok);
    assert_eq!(
        end.detail.as_deref(),
        Some("to orders; StartMessageMoveTask: ThrottlingException: slow down; try again in a moment")
    );
    assert_eq!(bench.sqs.visible("orders-dlq"), 3);
}

#[tokio::test]
async fn the_copy_reports_each_batch_and_how_it_ended() {
    let bench = Bench::new();
    // The fake knows no move tasks: the copy, and why.
    let (redriven, events) = bench.redrive(&role(false, false), None, Some("orders-dlq")).await;
    let Ok(Redriven::Copy { why, report }) = redriven else { panic!("{redriven:?}") };
    assert!(why.contains("UnknownOperationException"), "{why}");
    assert_eq!((report.moved, report.failed, report.end), (3, 0, CopyEnd::Drained));
    assert!(matches!(&events[0], RedriveEvent::Copying { why: said } if *said == why));
    assert!(events.iter().any(|event| matches!(event, RedriveEvent::Copied(step) if step.moved == 3)), "{events:?}");
    assert_eq!((bench.sqs.visible("orders-dlq"), bench.sqs.visible("orders")), (0, 5));

    let trail = bench.trail();
    assert_eq!(trail.first().map(|entry| entry.action.as_str()), Some("redrive-start"));
    assert!(trail[1..trail.len() - 1].iter().all(|entry| entry.action == "redrive-progress"));
    let end = trail.last().unwrap();
    assert_eq!((end.action.as_str(), end.ok, end.count), ("redrive-end", true, 3));
    assert_eq!(end.detail.as_deref(), Some("to orders; copy; 0 failed; Drained"));

    // A copy asked for starts no move task, and says the reason it was given.
    let bench = Bench::new();
    bench.sqs.offer_move_tasks();
    let (redriven, events) = bench.redrive(&role(false, false), Some("as asked".into()), Some("orders-dlq")).await;
    assert!(matches!(redriven, Ok(Redriven::Copy { .. })), "{redriven:?}");
    assert_eq!(events[0], RedriveEvent::Copying { why: "as asked".into() });
    assert!(!bench.sqs.take_calls().iter().any(|call| call.starts_with("StartMessageMoveTask")));
}
