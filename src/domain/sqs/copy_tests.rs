//! The copy against the fake SQS: a refused entry stays in the DLQ and is counted, a copy
//! whose original could not be deleted is deleted when it comes back (not sent again), and
//! an empty receive alone does not end the copy.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::{CopyEnd, CopyLimits, copy_messages};
use crate::domain::sqs::{MessageAttribute, PeekedMessage, Queue};
use crate::test_support::{FakeQueue, FakeSqs};

fn message(id: &str, body: &str) -> PeekedMessage {
    PeekedMessage {
        id: id.into(),
        receipt_handle: format!("rh-{id}"),
        body: body.into(),
        system: BTreeMap::new(),
        attributes: BTreeMap::from([
            ("blob".to_owned(), MessageAttribute::binary("Binary.custom", vec![0, 255, 7])),
            ("n".to_owned(), MessageAttribute::text("Number.float", "1.5")),
        ]),
    }
}

fn fake(bodies: &[&str]) -> FakeSqs {
    let messages = bodies.iter().enumerate().map(|(index, body)| message(&format!("d{index}"), body)).collect();
    let dlq = FakeQueue { messages, ..FakeQueue::named("dlq") };
    FakeSqs::new("333333333333", "eu-west-1", vec![dlq, FakeQueue::named("jobs")])
}

const LIMITS: CopyLimits =
    CopyLimits { quiet_receives: 2, wait_seconds: 0, visibility_seconds: 30, idle_deadline: Duration::from_secs(30) };

async fn copy(sqs: &FakeSqs) -> super::CopyReport {
    let (dlq, jobs) = (sqs.url("dlq"), sqs.url("jobs"));
    let (dlq_arn, jobs_arn) = (sqs.arn("dlq"), sqs.arn("jobs"));
    let source = Queue { url: &dlq, arn: &dlq_arn, fifo: false };
    let destination = Queue { url: &jobs, arn: &jobs_arn, fifo: false };
    copy_messages(sqs, &source, &destination, 5, LIMITS, &AtomicBool::new(false), |_| {}).await.unwrap()
}

#[tokio::test]
async fn a_refused_entry_stays_in_the_dlq_and_is_counted_while_the_others_move() {
    let sqs = fake(&["a", "poison", "b", "c", "d"]);
    sqs.refuse_sends_containing("poison");
    let report = copy(&sqs).await;
    assert_eq!((report.moved, report.failed, report.end), (4, 1, CopyEnd::Drained));
    assert!(report.first_error.unwrap().contains("InvalidMessageContents"));
    assert_eq!((sqs.visible("dlq"), sqs.visible("jobs")), (1, 4), "the refused one stays, nothing is lost");
    let calls = sqs.take_calls();
    assert_eq!(calls.iter().filter(|call| call.starts_with("SendMessageBatch")).count(), 1, "{calls:?}");
    assert_eq!(calls.iter().filter(|call| call.starts_with("GetQueueAttributes")).count(), 1, "{calls:?}");
}

#[tokio::test]
async fn a_copy_whose_original_was_not_deleted_is_deleted_when_it_comes_back_not_sent_twice() {
    let sqs = fake(&["a", "b", "c"]);
    sqs.refuse_delete_batches(1);
    let report = copy(&sqs).await;
    assert_eq!((report.moved, report.failed, report.not_deleted), (3, 0, 0));
    assert_eq!((sqs.visible("dlq"), sqs.visible("jobs")), (0, 3), "each arrived once");
    let calls = sqs.take_calls();
    let batches: Vec<&String> = calls
        .iter()
        .filter(|call| call.starts_with("SendMessageBatch") || call.starts_with("DeleteMessageBatch"))
        .collect();
    assert_eq!(batches, ["SendMessageBatch jobs 3", "DeleteMessageBatch dlq 3", "DeleteMessageBatch dlq 3"]);
}

#[tokio::test]
async fn a_queue_still_counting_messages_keeps_the_copy_going_until_its_deadline() {
    let sqs = fake(&["a"]);
    // Hidden messages (in flight elsewhere) that never come back within the deadline.
    sqs.set_in_flight("dlq", 2);
    let (dlq, jobs) = (sqs.url("dlq"), sqs.url("jobs"));
    let (dlq_arn, jobs_arn) = (sqs.arn("dlq"), sqs.arn("jobs"));
    let limits = CopyLimits { idle_deadline: Duration::from_millis(50), ..LIMITS };
    let report = copy_messages(
        &sqs,
        &Queue { url: &dlq, arn: &dlq_arn, fifo: false },
        &Queue { url: &jobs, arn: &jobs_arn, fifo: false },
        3,
        limits,
        &AtomicBool::new(false),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!((report.moved, report.end), (1, CopyEnd::Idle), "not ended by an empty receive");
    assert!(sqs.take_calls().iter().filter(|call| call.starts_with("GetQueueAttributes")).count() >= 1);
}
