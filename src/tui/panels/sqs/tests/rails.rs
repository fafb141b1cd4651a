//! The panel's changes go through the audited changes of `domain::sqs::changes`: a change job
//! asks the rails again when it runs (not only the key that made it), and the trail gets the
//! lines the command line writes too.

use super::super::jobs::{self, ChangeBy, RedriveRun};
use super::super::messages::{Done, RedriveTarget};
use super::support::*;
use crate::domain::inventory::RoleKey;
use crate::domain::sqs::SendRequest;
use crate::domain::sqs::changes::{ActingRole, Change, ChangeError, Refused};

fn by(h: &Harness, read_only: bool, production: bool) -> ChangeBy {
    let role = ActingRole { key: h.row.key.clone(), read_only, production };
    ChangeBy { role, audit: h.panel.audit.clone() }
}

fn target(h: &Harness, name: &str) -> RedriveTarget {
    RedriveTarget { url: url(name), arn: h.sqs.arn(name), fifo: false }
}

fn refusal(key: &RoleKey, change: Change) -> ChangeError {
    ChangeError::Refused(Refused::ReadOnly { role: key.clone(), change })
}

#[tokio::test]
async fn a_change_job_made_for_a_read_only_role_is_refused_when_it_runs() {
    let h = loaded("sandbox/dev").await;
    let key = h.row.key.clone();
    let viewer = by(&h, true, false);
    let request = SendRequest { body: "hello".into(), ..SendRequest::default() };
    let run = RedriveRun {
        by: viewer.clone(),
        typed_name: "orders-dlq".into(),
        total: 2,
        stop: Arc::default(),
        poll_every: Duration::ZERO,
    };
    let changes = [
        (jobs::send(viewer.clone(), url("audit"), request), Change::SendMessage),
        (jobs::delete(viewer.clone(), url("audit"), ("a-1".into(), "rh-a-1".into()), None), Change::Delete),
        (jobs::purge(viewer.clone(), url("audit"), Some("audit".into())), Change::Purge),
        (jobs::redrive(target(&h, "orders-dlq"), target(&h, "orders"), run), Change::Redrive),
        (jobs::cancel_move(viewer, url("orders-dlq"), "task-1".into()), Change::CancelMove),
    ];
    for (job, change) in changes {
        let refused = refusal(&key, change);
        match h.run(job).await {
            Message::Done(Done { result, .. }) => assert_eq!(result, Err(refused)),
            Message::Redriven(result) => assert_eq!(result, Err(refused)),
            Message::CancelAnswered(result) => assert_eq!(result, Err(refused)),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(h.calls(), Vec::<String>::new(), "nothing reached SQS");
    assert!(h.progress.lock().unwrap().is_empty(), "the redrive never started");
    assert!(!h.panel.audit.path().unwrap().exists(), "nothing was recorded");
    assert_eq!(h.sqs.visible("audit"), 12);
}

#[tokio::test]
async fn a_production_delete_without_the_typed_name_is_refused_when_it_runs() {
    let h = loaded("prod/admin").await;
    let job = jobs::delete(by(&h, false, true), url("orders-dlq"), ("d-1".into(), "rh-d-1".into()), None);
    let Message::Done(Done { result, .. }) = h.run(job).await else { panic!() };
    assert!(
        matches!(result, Err(ChangeError::Refused(Refused::NotConfirmed { change: Change::Delete, .. }))),
        "{result:?}"
    );
    assert_eq!(h.calls(), Vec::<String>::new());
    assert_eq!(h.sqs.visible("orders-dlq"), 2);
}

#[tokio::test]
async fn a_redrive_from_the_panel_writes_the_lines_the_command_writes() {
    let h = redriven_by_move_task().await;

    let trail = h.panel.audit.recent("sandbox", 10).unwrap();
    let lines: Vec<(&str, u64, bool, Option<&str>)> = trail
        .iter()
        .map(|entry| (entry.action.as_str(), entry.count, entry.ok, entry.detail.as_deref()))
        .collect();
    // As `tests/it/cli_sqs_move_task.rs` finds them after `switchboard sqs redrive`.
    assert_eq!(
        lines,
        [
            ("redrive-start", 2, true, Some("to orders")),
            ("redrive-progress", 1, true, Some("to orders; move task task-1 RUNNING")),
            ("redrive-end", 2, true, Some("to orders; the move task task-1 ended COMPLETED")),
        ]
    );
}
