//! Messages to files and back against moto: `sqs dump` → purge → `sqs send --from-file`
//! restores the same bodies and attributes; a production account gets a dry run first; the
//! audit trail has one line per change with the right counts and no body text. Messages are
//! counted, never only collected by body: the file's lines, the entries sent at a fault proxy
//! in front of moto and the queue's depth, so a message sent twice (or a dry run that sent)
//! fails.

use std::collections::BTreeMap;

use aws_sdk_sqs::primitives::Blob;
use aws_sdk_sqs::types::MessageAttributeValue;

use crate::support::fault_proxy::FaultProxy;
use crate::support::store::set_inventory_endpoint;
use crate::support::{Sandbox, assert_success, sqs_client_with, stderr, stdout};

const ROLE: &str = "prod/viewer";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Each line of a messages file: body -> (id, attributes as JSON text); every body once.
fn lines_of(text: &str) -> BTreeMap<String, (String, String)> {
    let lines: BTreeMap<String, (String, String)> = text
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let body = value["body"].as_str().unwrap().to_owned();
            (body, (value["id"].as_str().unwrap().to_owned(), value["attributes"].to_string()))
        })
        .collect();
    assert_eq!(lines.len(), text.lines().count(), "a body written twice:\n{text}");
    lines
}

/// The messages the queue holds, as SQS counts them (visible, in flight, delayed).
fn depth(client: &aws_sdk_sqs::Client, url: &str) -> [u64; 3] {
    use aws_sdk_sqs::types::QueueAttributeName as Name;
    let names = [
        Name::ApproximateNumberOfMessages,
        Name::ApproximateNumberOfMessagesNotVisible,
        Name::ApproximateNumberOfMessagesDelayed,
    ];
    let output = runtime()
        .block_on(client.get_queue_attributes().queue_url(url).set_attribute_names(Some(names.to_vec())).send());
    let attributes = output.unwrap().attributes.unwrap();
    names.map(|name| attributes[&name].parse().unwrap())
}

/// Messages sent through the proxy so far: the entries of every SendMessageBatch and every
/// SendMessage.
fn entries_sent(proxy: &FaultProxy) -> usize {
    let batches: usize = proxy
        .bodies("SendMessageBatch")
        .iter()
        .map(|body| serde_json::from_str::<serde_json::Value>(body).unwrap()["Entries"].as_array().unwrap().len())
        .sum();
    batches + proxy.count("SendMessage")
}

#[test]
fn dump_purge_and_send_back_restores_bodies_and_attributes_and_the_audit_counts() {
    let sandbox = Sandbox::new();
    // The commands talk to moto through a proxy that counts what they send; the test's own
    // client talks to moto directly.
    let proxy = FaultProxy::start(&sandbox.moto.endpoint);
    set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
    let client = sqs_client_with(&sandbox, ROLE, &["--mfa-code", "123456"]);
    let url = runtime().block_on(async {
        let url = client.create_queue().queue_name("orders").send().await.unwrap().queue_url.unwrap();
        for index in 0..5u8 {
            let text = MessageAttributeValue::builder().data_type("String.json").string_value("{\"a\":1}").build();
            let number = MessageAttributeValue::builder().data_type("Number").string_value(index.to_string()).build();
            let binary = MessageAttributeValue::builder().data_type("Binary").binary_value(Blob::new(vec![0, index]));
            client
                .send_message()
                .queue_url(&url)
                .message_body(format!("secret order body {index} ✓"))
                .message_attributes("text", text.unwrap())
                .message_attributes("number", number.unwrap())
                .message_attributes("binary", binary.build().unwrap())
                .send()
                .await
                .unwrap();
        }
        url
    });
    let file = sandbox.home.path().join("orders.jsonl");
    let file_arg = file.to_str().unwrap();
    let code = ["--mfa-code", "123456"];
    let run = |args: &[&str]| sandbox.run(&[args, &code[..]].concat());

    let dumped = run(&["sqs", "dump", ROLE, "orders", "--max", "50", "--out", file_arg]);
    assert_success(&dumped);
    assert!(stderr(&dumped).contains("5 messages of orders written to"), "{}", stderr(&dumped));
    assert!(stderr(&dumped).contains("receive count rose"), "{}", stderr(&dumped));
    let saved = lines_of(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(saved.len(), 5);
    assert_eq!(depth(&client, &url), [0, 5, 0], "the dump received each of the 5 once and left them in flight");
    let (_, attributes) = &saved["secret order body 3 ✓"];
    assert_eq!(
        attributes,
        r#"{"binary":{"type":"Binary","base64":"AAM="},"number":{"type":"Number","string":"3"},"text":{"type":"String.json","string":"{\"a\":1}"}}"#
    );

    runtime().block_on(client.purge_queue().queue_url(&url).send()).unwrap();
    assert_eq!(depth(&client, &url), [0, 0, 0], "purged");

    // prod is a production account: without --confirm, a dry run.
    let dry = run(&["sqs", "send", ROLE, "orders", "--from-file", file_arg]);
    assert_success(&dry);
    assert!(stderr(&dry).contains("dry run: would send 5 messages to orders"), "{}", stderr(&dry));
    assert!(stderr(&dry).contains("add --confirm orders"), "{}", stderr(&dry));
    assert_eq!(stdout(&dry).lines().count(), 5, "one line per message: {}", stdout(&dry));
    assert!(!stdout(&dry).contains("secret order body"), "the dry run shows no body");
    let wrong = run(&["sqs", "send", ROLE, "orders", "--from-file", file_arg, "--confirm", "order"]);
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));
    assert_eq!(entries_sent(&proxy), 0, "neither the dry run nor the wrong name sent anything");
    assert_eq!(depth(&client, &url), [0, 0, 0], "and the queue is still empty");

    let sent = run(&["sqs", "send", ROLE, "orders", "--from-file", file_arg, "--confirm", "orders"]);
    assert_success(&sent);
    assert!(stderr(&sent).contains("sent 5 messages to orders, 0 refused"), "{}", stderr(&sent));
    assert_eq!(entries_sent(&proxy), 5, "each message sent once");
    assert_eq!(depth(&client, &url), [5, 0, 0], "the queue holds the 5 messages, each once");

    let again = sandbox.home.path().join("again.jsonl");
    assert_success(&run(&["sqs", "dump", ROLE, "orders", "--max", "50", "--out", again.to_str().unwrap()]));
    let restored = lines_of(&std::fs::read_to_string(&again).unwrap());
    assert_eq!(restored.len(), 5, "the second dump has 5 lines");
    let without_ids = |lines: &BTreeMap<String, (String, String)>| -> BTreeMap<String, String> {
        lines.iter().map(|(body, (_, attributes))| (body.clone(), attributes.clone())).collect()
    };
    assert_eq!(without_ids(&restored), without_ids(&saved), "the same bodies and attributes");

    let trail = std::fs::read_to_string(sandbox.home.path().join(".local/state/switchboard/audit.jsonl")).unwrap();
    assert_eq!(trail.lines().count(), 1, "one change (the send; dumps and dry runs change nothing): {trail}");
    let entry: serde_json::Value = serde_json::from_str(trail.lines().next().unwrap()).unwrap();
    assert_eq!((entry["action"].as_str(), entry["count"].as_u64()), (Some("send"), Some(5)));
    assert_eq!((entry["role"].as_str(), entry["queue"].as_str()), (Some(ROLE), Some("orders")));
    let mut ids: Vec<&str> = entry["message_ids"].as_array().unwrap().iter().map(|id| id.as_str().unwrap()).collect();
    ids.sort();
    let mut original: Vec<&str> = saved.values().map(|(id, _)| id.as_str()).collect();
    original.sort();
    assert_eq!(ids, original);
    assert!(!trail.contains("secret order body"), "no body in the audit trail");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&sandbox.home.path().join(".local/state/switchboard/audit.jsonl")), 0o600);
        assert_eq!(mode(&file), 0o600);
    }
}
