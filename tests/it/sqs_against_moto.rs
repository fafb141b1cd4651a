//! SQS access through assumed sessions, against moto: each account sees only its own
//! queues; attributes, peek, send (standard and FIFO), delete, purge, DLQ sources, and a
//! redrive by the copy fallback (moto has no StartMessageMoveTask) that loses nothing.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use switchboard::domain::credentials::Credentials;

use switchboard::domain::sqs::{
    self, AwsSqs, CopyEnd, CopyLimits, MessageAttribute, MoveMethod, PeekedMessage, Queue, RedriveOptions, SendRequest,
    Sqs, SqsError,
};

use crate::support::Sandbox;

fn session(sandbox: &Sandbox, role: &str) -> (Credentials, String) {
    crate::support::role_session(sandbox, role, &["--mfa-code", "123456"])
}

/// A raw SDK client for seeding, with the same session.
fn seeder(credentials: &Credentials, region: &str, endpoint: &str) -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new(region.to_owned()))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            credentials.access_key_id.clone(),
            credentials.secret_access_key().to_owned(),
            credentials.session_token().map(str::to_owned),
            None,
            "seed",
        ))
        .endpoint_url(endpoint)
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

async fn create(client: &aws_sdk_sqs::Client, name: &str, attributes: &[(&str, String)]) -> String {
    let mut call = client.create_queue().queue_name(name);
    for (key, value) in attributes {
        call = call.attributes(aws_sdk_sqs::types::QueueAttributeName::from(*key), value.clone());
    }
    call.send().await.unwrap().queue_url().unwrap().to_owned()
}

async fn send_bodies(sqs: &dyn Sqs, url: &str, bodies: &[&str]) {
    for body in bodies {
        sqs.send(url, &SendRequest { body: (*body).to_owned(), ..SendRequest::default() }).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queues_are_listed_only_in_their_own_account() {
    let sandbox = Sandbox::new();
    let endpoint = sandbox.moto.endpoint.clone();
    let (prod, prod_region) = session(&sandbox, "prod/viewer");
    let (staging, staging_region) = session(&sandbox, "staging/admin");
    let prod_seed = seeder(&prod, &prod_region, &endpoint);
    let staging_seed = seeder(&staging, &staging_region, &endpoint);
    for index in 0..3 {
        create(&prod_seed, &format!("prod-queue-{index}"), &[]).await;
    }
    create(&staging_seed, "staging-only", &[]).await;

    let prod_sqs = AwsSqs::new(&prod, &prod_region, Some(endpoint.clone()));
    let staging_sqs = AwsSqs::new(&staging, &staging_region, Some(endpoint.clone()));
    let names = |queues: Vec<sqs::QueueSummary>| queues.into_iter().map(|queue| queue.name).collect::<Vec<_>>();
    assert_eq!(names(sqs::list_all_queues(&prod_sqs).await.unwrap()), ["prod-queue-0", "prod-queue-1", "prod-queue-2"]);
    assert_eq!(names(sqs::list_all_queues(&staging_sqs).await.unwrap()), ["staging-only"]);
    let url = sqs::list_all_queues(&prod_sqs).await.unwrap()[0].url.clone();
    assert!(url.contains("111111111111"), "{url}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attributes_peek_send_delete_and_purge() {
    let sandbox = Sandbox::new();
    let endpoint = sandbox.moto.endpoint.clone();
    let (credentials, region) = session(&sandbox, "prod/viewer");
    let seed = seeder(&credentials, &region, &endpoint);
    let dlq = create(&seed, "orders-dlq", &[]).await;
    let sqs = AwsSqs::new(&credentials, &region, Some(endpoint));
    let dlq_arn = sqs.attributes(&dlq).await.unwrap().arn().unwrap().to_owned();
    let policy = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"5"}}"#);
    let orders = create(&seed, "orders", &[("RedrivePolicy", policy)]).await;
    let fifo =
        create(&seed, "events.fifo", &[("FifoQueue", "true".into()), ("ContentBasedDeduplication", "true".into())])
            .await;

    let attributes = sqs.attributes(&orders).await.unwrap();
    assert_eq!(attributes.redrive_policy().unwrap().max_receive_count, 5);
    assert_eq!(attributes.redrive_policy().unwrap().dead_letter_target_arn, dlq_arn);
    assert_eq!(sqs.dead_letter_sources(&dlq).await.unwrap(), std::slice::from_ref(&orders));

    let mut request = SendRequest { body: r#"{"order":42}"#.into(), ..SendRequest::default() };
    request.attributes.insert("kind".into(), MessageAttribute::text("String", "test"));
    sqs.send(&orders, &request).await.unwrap();
    let first = sqs.receive(&orders, 10, 0).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attributes["kind"], MessageAttribute::text("String", "test"));
    assert_eq!(first[0].pretty_body(), "{\n  \"order\": 42\n}");
    let second = sqs.receive(&orders, 10, 0).await.unwrap();
    assert_eq!(second[0].receive_count(), Some(first[0].receive_count().unwrap() + 1), "a peek counts as a receive");

    let fifo_request = SendRequest { body: "e1".into(), group_id: Some("g1".into()), ..SendRequest::default() };
    sqs.send(&fifo, &fifo_request).await.unwrap();
    let peeked = sqs.receive(&fifo, 10, 0).await.unwrap();
    assert_eq!(peeked[0].group_id(), Some("g1"));

    sqs.delete(&orders, &second[0].receipt_handle).await.unwrap();
    assert!(sqs.receive(&orders, 10, 0).await.unwrap().is_empty(), "deleted");

    send_bodies(&sqs, &orders, &["a", "b", "c"]).await;
    sqs.purge(&orders).await.unwrap();
    assert!(sqs.receive(&orders, 10, 0).await.unwrap().is_empty(), "purged");
}

/// Quick to notice an empty queue, long enough for moto on a busy machine.
fn copy_options() -> RedriveOptions {
    let limits = CopyLimits {
        quiet_receives: 3,
        wait_seconds: 1,
        visibility_seconds: 60,
        idle_deadline: Duration::from_secs(60),
    };
    RedriveOptions { rate: None, force_copy: true, limits }
}

/// Every message of a queue, received and deleted (a FIFO group hands out its next message
/// only then) until it counts none.
async fn drain(sqs: &dyn Sqs, url: &str) -> Vec<PeekedMessage> {
    let mut found = Vec::new();
    for _ in 0..500 {
        let batch = sqs.receive(url, 10, 60).await.unwrap();
        if batch.is_empty() && sqs.attributes(url).await.unwrap().visible() == Some(0) {
            return found;
        }
        let receipts: Vec<(String, String)> = batch
            .iter()
            .enumerate()
            .map(|(index, message)| (format!("m{index}"), message.receipt_handle.clone()))
            .collect();
        if !receipts.is_empty() {
            assert!(sqs.delete_batch(url, &receipts).await.unwrap().failed.is_empty());
        }
        found.extend(batch);
    }
    panic!("{url} still counts messages after 500 receives");
}

/// Attributes of every kind: String, Number, Binary and custom types of each.
fn all_kinds(index: usize) -> BTreeMap<String, MessageAttribute> {
    BTreeMap::from([
        ("text".to_owned(), MessageAttribute::text("String", &format!("héllo {index}"))),
        ("json".to_owned(), MessageAttribute::text("String.json", r#"{"a":[1,2]}"#)),
        ("count".to_owned(), MessageAttribute::text("Number", &index.to_string())),
        ("ratio".to_owned(), MessageAttribute::text("Number.float", "0.25")),
        ("blob".to_owned(), MessageAttribute::binary("Binary", vec![0, 1, 2, 255, 254, index as u8])),
        ("gz".to_owned(), MessageAttribute::binary("Binary.gzip", vec![0x1f, 0x8b, 8, 0])),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_copy_redrive_keeps_every_attribute_byte_for_byte_and_counts() {
    let sandbox = Sandbox::new();
    let endpoint = sandbox.moto.endpoint.clone();
    let (credentials, region) = session(&sandbox, "prod/viewer");
    let seed = seeder(&credentials, &region, &endpoint);
    let sqs = AwsSqs::new(&credentials, &region, Some(endpoint));
    let dlq = create(&seed, "jobs-dlq", &[]).await;
    let jobs = create(&seed, "jobs", &[]).await;
    let mut sent = BTreeMap::new();
    for index in 0..23 {
        let request = SendRequest { body: format!("job-{index}"), attributes: all_kinds(index), ..Default::default() };
        sqs.send(&dlq, &request).await.unwrap();
        sent.insert(request.body, request.attributes);
    }
    let dlq_arn = sqs.attributes(&dlq).await.unwrap().arn().unwrap().to_owned();
    let jobs_arn = sqs.attributes(&jobs).await.unwrap().arn().unwrap().to_owned();
    let from = || Queue { url: &dlq, arn: &dlq_arn, fifo: false };
    let to = || Queue { url: &jobs, arn: &jobs_arn, fifo: false };

    // moto answers StartMessageMoveTask with an HTML page in a 500, not an unknown operation:
    // that is an error naming the copy, never a reason to copy by itself.
    let stop = AtomicBool::new(false);
    let refused = sqs::redrive(&sqs, from(), to(), 23, RedriveOptions::default(), &stop, |_| {}).await;
    assert!(matches!(refused, Err(SqsError::NoMoveTasks { .. })), "{refused:?}");
    assert_eq!(sqs.attributes(&dlq).await.unwrap().visible(), Some(23), "nothing moved after the refusal");

    let mut seen = Vec::new();
    let report = sqs::redrive(&sqs, from(), to(), 23, copy_options(), &stop, |progress| seen.push(progress.moved))
        .await
        .unwrap();
    assert_eq!(report.method, MoveMethod::Copy);
    assert_eq!((report.moved, report.failed, report.end), (23, 0, Some(CopyEnd::Drained)));
    assert_eq!(seen.last(), Some(&23));
    // Counted, not only collected by body (a message copied twice would hide in a map).
    let counts = sqs.attributes(&jobs).await.unwrap();
    assert_eq!((counts.visible(), counts.in_flight(), counts.delayed()), (Some(23), Some(0), Some(0)), "jobs' depth");
    let drained = drain(&sqs, &jobs).await;
    assert_eq!(drained.len(), 23, "23 messages received from jobs");
    let arrived: BTreeMap<String, BTreeMap<String, MessageAttribute>> =
        drained.into_iter().map(|message| (message.body, message.attributes)).collect();
    assert_eq!(arrived, sent, "every message arrived once with identical body and attributes");
    assert_eq!(sqs.attributes(&dlq).await.unwrap().visible(), Some(0), "and left the DLQ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_dead_letter_queue_is_copied_with_its_groups_in_order() {
    let sandbox = Sandbox::new();
    let endpoint = sandbox.moto.endpoint.clone();
    let (credentials, region) = session(&sandbox, "prod/viewer");
    let seed = seeder(&credentials, &region, &endpoint);
    let sqs = AwsSqs::new(&credentials, &region, Some(endpoint));
    let fifo = [("FifoQueue", "true".to_owned())];
    let dlq = create(&seed, "events-dlq.fifo", &fifo).await;
    let events = create(&seed, "events.fifo", &fifo).await;
    let mut original_ids = std::collections::BTreeSet::new();
    for index in 0..12 {
        let request = SendRequest {
            body: format!("event-{index}"),
            attributes: all_kinds(index),
            group_id: Some(format!("group-{}", index % 3)),
            deduplication_id: Some(format!("dedup-{index}")),
            ..Default::default()
        };
        original_ids.insert(sqs.send(&dlq, &request).await.unwrap());
    }
    let dlq_arn = sqs.attributes(&dlq).await.unwrap().arn().unwrap().to_owned();
    let events_arn = sqs.attributes(&events).await.unwrap().arn().unwrap().to_owned();
    let stop = AtomicBool::new(false);
    let report = sqs::redrive(
        &sqs,
        Queue { url: &dlq, arn: &dlq_arn, fifo: true },
        Queue { url: &events, arn: &events_arn, fifo: true },
        12,
        copy_options(),
        &stop,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!((report.moved, report.failed), (12, 0));

    let counts = sqs.attributes(&events).await.unwrap();
    assert_eq!((counts.visible(), counts.in_flight(), counts.delayed()), (Some(12), Some(0), Some(0)), "events' depth");
    let arrived = drain(&sqs, &events).await;
    assert_eq!(arrived.len(), 12);
    for message in &arrived {
        let index: usize = message.body.trim_start_matches("event-").parse().unwrap();
        assert_eq!(message.group_id(), Some(format!("group-{}", index % 3).as_str()), "{}", message.body);
        assert_eq!(message.attributes, all_kinds(index), "{}", message.body);
    }
    // Within each group the order is kept.
    for group in 0..3 {
        let order: Vec<&str> = arrived
            .iter()
            .filter(|message| message.group_id() == Some(&format!("group-{group}")))
            .map(|message| message.body.as_str())
            .collect();
        let expected: Vec<String> =
            (0..12).filter(|index| index % 3 == group).map(|index| format!("event-{index}")).collect();
        assert_eq!(order, expected);
    }
    // The deduplication id of each copy is its original's message id.
    let dedup_ids: std::collections::BTreeSet<String> =
        arrived.iter().filter_map(|message| message.system.get("MessageDeduplicationId")).cloned().collect();
    assert_eq!(dedup_ids, original_ids);
}
