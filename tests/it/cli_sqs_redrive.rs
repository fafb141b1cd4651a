//! `switchboard sqs redrive` against moto, killed with SIGKILL midway and started again:
//! every original message arrives (duplicates allowed, losses not), with its attributes,
//! and the audit trail tells the story.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use aws_sdk_sqs::primitives::Blob;
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};

use crate::support::{Sandbox, assert_success, jobs_with_dead_letter_queue, sqs_client_with, stderr};

const MESSAGES: usize = 300;
const ROLE: &str = "prod/viewer";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// `jobs-dlq` (the DLQ of `jobs`) holding MESSAGES messages, each with a String, a Number and
/// a Binary attribute and its number in the body.
fn seed(client: &aws_sdk_sqs::Client) -> (String, String) {
    runtime().block_on(async {
        let (dlq, jobs) = jobs_with_dead_letter_queue(client).await;
        for chunk in (0..MESSAGES).collect::<Vec<_>>().chunks(10) {
            let mut call = client.send_message_batch().queue_url(&dlq);
            for index in chunk {
                let text = MessageAttributeValue::builder().data_type("String").string_value("kept").build().unwrap();
                let number = MessageAttributeValue::builder()
                    .data_type("Number")
                    .string_value(index.to_string())
                    .build()
                    .unwrap();
                let binary = MessageAttributeValue::builder()
                    .data_type("Binary")
                    .binary_value(Blob::new(vec![0xde, 0xad, (*index % 256) as u8]))
                    .build()
                    .unwrap();
                let entry = SendMessageBatchRequestEntry::builder()
                    .id(format!("e{index}"))
                    .message_body(format!("job-{index}"))
                    .message_attributes("text", text)
                    .message_attributes("number", number)
                    .message_attributes("binary", binary)
                    .build()
                    .unwrap();
                call = call.entries(entry);
            }
            assert!(call.send().await.unwrap().failed().is_empty());
        }
        (dlq, jobs)
    })
}

/// Every message of `url`, received and deleted: body -> (times seen, attributes as text).
fn drain(client: &aws_sdk_sqs::Client, url: &str) -> BTreeMap<String, (usize, String)> {
    runtime().block_on(async {
        let mut seen: BTreeMap<String, (usize, String)> = BTreeMap::new();
        for _ in 0..500 {
            let output = client
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .message_attribute_names("All")
                .send()
                .await
                .unwrap();
            let messages = output.messages();
            if messages.is_empty() {
                return seen;
            }
            for message in messages {
                let attributes: BTreeMap<String, String> = message
                    .message_attributes()
                    .unwrap()
                    .iter()
                    .map(|(name, value)| (name.clone(), format!("{value:?}")))
                    .collect();
                let entry = seen.entry(message.body().unwrap().to_owned()).or_default();
                entry.0 += 1;
                entry.1 =
                    attributes.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join(" ");
                client
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(message.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
        panic!("{url} never emptied");
    })
}

fn counts(client: &aws_sdk_sqs::Client, url: &str) -> (u64, u64) {
    use aws_sdk_sqs::types::QueueAttributeName as Name;
    runtime().block_on(async {
        let output = client.get_queue_attributes().queue_url(url).attribute_names(Name::All).send().await.unwrap();
        let attributes = output.attributes().unwrap();
        let count = |name: Name| attributes[&name].parse::<u64>().unwrap();
        (count(Name::ApproximateNumberOfMessages), count(Name::ApproximateNumberOfMessagesNotVisible))
    })
}

#[test]
fn a_copy_redrive_killed_midway_and_restarted_loses_nothing() {
    let sandbox = Sandbox::new();
    let client = sqs_client_with(&sandbox, ROLE, &["--mfa-code", "123456"]);
    let (dlq, jobs) = seed(&client);
    let args = [
        "sqs",
        "redrive",
        ROLE,
        "jobs-dlq",
        "--confirm",
        "jobs-dlq",
        "--copy",
        "--visibility",
        "5",
        "--mfa-code",
        "123456",
    ];

    // The first run: killed with SIGKILL as soon as it reports progress.
    let mut first = sandbox.command(&args).stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    let lines = BufReader::new(first.stderr.take().unwrap());
    let (sender, progress) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in lines.lines().map_while(Result::ok) {
            let is_progress = line.starts_with("switchboard: progress:");
            let _ = sender.send(line);
            if is_progress {
                return;
            }
        }
    });
    let mut said = Vec::new();
    loop {
        let line = progress.recv_timeout(Duration::from_secs(120)).unwrap_or_else(|_| panic!("no progress: {said:?}"));
        said.push(line.clone());
        if line.starts_with("switchboard: progress:") {
            break;
        }
    }
    first.kill().unwrap();
    first.wait().unwrap();
    reader.join().unwrap();
    let (visible, hidden) = counts(&client, &dlq);
    assert!(visible + hidden > 0, "killed midway: messages remain in the DLQ ({said:?})");

    // The second run finishes the job, waiting for what the killed one had hidden.
    let second = sandbox.run(&args);
    assert_success(&second);
    assert!(stderr(&second).contains("done (Drained)"), "{}", stderr(&second));
    assert_eq!(counts(&client, &dlq), (0, 0), "the DLQ is empty");

    let arrived = drain(&client, &jobs);
    let expected: BTreeSet<String> = (0..MESSAGES).map(|index| format!("job-{index}")).collect();
    assert_eq!(arrived.keys().cloned().collect::<BTreeSet<_>>(), expected, "every original message arrived");
    let duplicates = arrived.values().filter(|(times, _)| *times > 1).count();
    assert!(duplicates <= 10, "at most the batch in flight at the kill came twice: {duplicates}");
    for (body, (_, attributes)) in &arrived {
        let index: usize = body.trim_start_matches("job-").parse().unwrap();
        assert!(attributes.contains(&format!("string_value: Some(\"{index}\")")), "{body}: {attributes}");
        assert!(attributes.contains(&format!("Blob {{ inner: [222, 173, {}] }}", index % 256)), "{body}: {attributes}");
    }

    let trail = std::fs::read_to_string(sandbox.home.path().join(".local/state/switchboard/audit.jsonl")).unwrap();
    let entries: Vec<serde_json::Value> = trail.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let actions: Vec<&str> = entries.iter().map(|entry| entry["action"].as_str().unwrap()).collect();
    assert_eq!(actions.iter().filter(|action| **action == "redrive-start").count(), 2, "{actions:?}");
    assert_eq!(actions.iter().filter(|action| **action == "redrive-end").count(), 1, "the killed run has no end");
    let end = entries.iter().rfind(|entry| entry["action"] == "redrive-end").unwrap();
    assert_eq!((end["queue"].as_str(), end["ok"].as_bool()), (Some("jobs-dlq"), Some(true)));
    assert_eq!(end["account_id"], "111111111111");
    // Counts: the second run's end says what its last progress said; both runs together moved
    // no more than there were (a copy is counted once its original is deleted).
    let second_start = actions.iter().rposition(|action| *action == "redrive-start").unwrap();
    let last_progress = |range: &[serde_json::Value]| {
        range
            .iter()
            .rfind(|entry| entry["action"] == "redrive-progress")
            .map_or(0, |entry| entry["count"].as_u64().unwrap())
    };
    let (first_moved, second_moved) =
        (last_progress(&entries[..second_start]), last_progress(&entries[second_start..]));
    assert!(first_moved > 0 && second_moved > 0, "{first_moved} then {second_moved}");
    assert_eq!(end["count"].as_u64(), Some(second_moved));
    assert!(first_moved + second_moved <= MESSAGES as u64, "{first_moved} + {second_moved}");
    assert!(!trail.contains("job-"), "no body in the audit trail");
}
