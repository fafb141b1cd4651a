//! SQS access through assumed sessions, against moto: each account sees only its own
//! queues; attributes, peek, send (standard and FIFO), delete, purge, DLQ sources, and a
//! redrive by the copy fallback (moto has no StartMessageMoveTask) that loses nothing.

mod support;

use std::collections::BTreeSet;

use switchboard::domain::credentials::Credentials;
use switchboard::domain::sqs::{self, AwsSqs, MoveMethod, Queue, SendRequest, Sqs};

use support::{Sandbox, exports};

fn session(sandbox: &Sandbox, role: &str) -> (Credentials, String) {
    let vars = exports(&sandbox.run(&["env", role, "--format", "json", "--mfa-code", "123456"]));
    let text = |name: &str| vars[name].as_str().unwrap().to_owned();
    let credentials = Credentials::new(
        text("AWS_ACCESS_KEY_ID"),
        text("AWS_SECRET_ACCESS_KEY"),
        Some(text("AWS_SESSION_TOKEN")),
        None,
    );
    (credentials, text("AWS_REGION"))
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
    request.attributes.insert("kind".into(), ("String".into(), "test".into()));
    sqs.send(&orders, &request).await.unwrap();
    let first = sqs.receive(&orders, 10, 0).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attributes["kind"], ("String".to_owned(), "test".to_owned()));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redrive_falls_back_to_copying_and_accounts_for_every_message() {
    let sandbox = Sandbox::new();
    let endpoint = sandbox.moto.endpoint.clone();
    let (credentials, region) = session(&sandbox, "prod/viewer");
    let seed = seeder(&credentials, &region, &endpoint);
    let sqs = AwsSqs::new(&credentials, &region, Some(endpoint));
    let dlq = create(&seed, "jobs-dlq", &[]).await;
    let jobs = create(&seed, "jobs", &[]).await;
    let bodies: Vec<String> = (0..23).map(|index| format!("job-{index}")).collect();
    send_bodies(&sqs, &dlq, &bodies.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let dlq_arn = sqs.attributes(&dlq).await.unwrap().arn().unwrap().to_owned();
    let jobs_arn = sqs.attributes(&jobs).await.unwrap().arn().unwrap().to_owned();

    let mut seen = Vec::new();
    let report = sqs::redrive(
        &sqs,
        Queue { url: &dlq, arn: &dlq_arn, fifo: false },
        Queue { url: &jobs, arn: &jobs_arn, fifo: false },
        23,
        |progress| seen.push(progress.moved),
    )
    .await
    .unwrap();
    assert_eq!(report.method, MoveMethod::Copy, "moto has no StartMessageMoveTask: the fallback was chosen");
    assert_eq!((report.moved, report.failed), (23, 0));
    assert_eq!(seen.last(), Some(&23));
    let mut arrived = BTreeSet::new();
    loop {
        let batch = sqs.receive(&jobs, 10, 60).await.unwrap();
        if batch.is_empty() {
            break;
        }
        arrived.extend(batch.into_iter().map(|message| message.body));
    }
    assert_eq!(arrived, bodies.into_iter().collect::<BTreeSet<_>>(), "every message arrived exactly once");
    assert!(sqs.receive(&dlq, 10, 0).await.unwrap().is_empty(), "and left the DLQ");
}
