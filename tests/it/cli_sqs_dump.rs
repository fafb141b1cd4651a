//! `switchboard sqs dump --out` against moto: where the file cannot be written, nothing is
//! received (no receive count rises, nothing is hidden); an existing file is never replaced
//! without `--force`, and a replaced one is private (0600) too; a write that fails (a full
//! disk) fails the command.

use aws_sdk_sqs::types::QueueAttributeName;

use crate::support::{Sandbox, assert_success, sqs_client_with, stderr};

const ROLE: &str = "prod/viewer";
const CODE: [&str; 2] = ["--mfa-code", "123456"];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// `orders` with three messages; the SDK client and the queue's URL.
fn seeded(sandbox: &Sandbox) -> (aws_sdk_sqs::Client, String) {
    let client = sqs_client_with(sandbox, ROLE, &CODE);
    let url = runtime().block_on(async {
        let url = client.create_queue().queue_name("orders").send().await.unwrap().queue_url.unwrap();
        for index in 0..3 {
            client.send_message().queue_url(&url).message_body(format!("order {index}")).send().await.unwrap();
        }
        url
    });
    (client, url)
}

/// Visible and in-flight counts of the queue.
fn counts(client: &aws_sdk_sqs::Client, url: &str) -> (String, String) {
    runtime().block_on(async {
        let output =
            client.get_queue_attributes().queue_url(url).attribute_names(QueueAttributeName::All).send().await.unwrap();
        let attributes = output.attributes().unwrap();
        let count = |name: QueueAttributeName| attributes[&name].clone();
        (
            count(QueueAttributeName::ApproximateNumberOfMessages),
            count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        )
    })
}

/// The receive count of each message, by a receive that hides nothing: its own receive
/// counts, so 1 is a message nobody had received before.
fn receive_counts(client: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    runtime().block_on(async {
        let output = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .unwrap();
        let mut counts: Vec<String> = output
            .messages()
            .iter()
            .map(|message| {
                let attributes = message.attributes().unwrap();
                attributes[&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount].clone()
            })
            .collect();
        counts.sort();
        counts
    })
}

fn dump(sandbox: &Sandbox, out: &str, more: &[&str]) -> std::process::Output {
    let mut args = vec!["sqs", "dump", ROLE, "orders", "--max", "10", "--out", out];
    args.extend_from_slice(more);
    args.extend_from_slice(&CODE);
    sandbox.run(&args)
}

#[test]
fn an_out_that_is_a_directory_fails_before_anything_is_received() {
    let sandbox = Sandbox::new();
    let (client, url) = seeded(&sandbox);
    let dir = sandbox.home.path().join("dumps");
    std::fs::create_dir(&dir).unwrap();

    let output = dump(&sandbox, dir.to_str().unwrap(), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let said = stderr(&output);
    assert_eq!(counts(&client, &url), ("3".to_owned(), "0".to_owned()), "nothing hidden: {said}");
    assert_eq!(receive_counts(&client, &url), ["1", "1", "1"], "received by this check only: {said}");
    let error = said.lines().last().unwrap_or_default();
    assert!(error.contains("is a directory") && error.contains(ROLE), "{said}");
}

#[test]
fn an_existing_file_is_refused_unless_forced_and_a_forced_one_is_private() {
    let sandbox = Sandbox::new();
    let (client, url) = seeded(&sandbox);
    let file = sandbox.home.path().join("orders.jsonl");
    std::fs::write(&file, "someone's notes\n").unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();

    let refused = dump(&sandbox, file.to_str().unwrap(), &[]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let said = stderr(&refused);
    assert!(said.contains("exists") && said.contains("--force"), "{said}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "someone's notes\n", "the file is untouched");
    assert_eq!(counts(&client, &url), ("3".to_owned(), "0".to_owned()), "nothing received: {said}");

    let forced = dump(&sandbox, file.to_str().unwrap(), &["--force"]);
    assert_success(&forced);
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the replaced file is private as a new one is");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_fails_the_dump_with_the_reason() {
    let sandbox = Sandbox::new();
    let (client, url) = seeded(&sandbox);

    // /dev/full exists: refused before anything is received.
    let refused = dump(&sandbox, "/dev/full", &[]);
    assert_ne!(refused.status.code(), Some(0), "{}", stderr(&refused));
    assert_eq!(counts(&client, &url), ("3".to_owned(), "0".to_owned()), "{}", stderr(&refused));

    // Forced: every write fails with ENOSPC, and the command says so.
    let full = dump(&sandbox, "/dev/full", &["--force"]);
    let said = stderr(&full);
    assert_eq!(full.status.code(), Some(1), "{said}");
    assert!(said.contains("No space left on device"), "{said}");
    assert!(said.contains(ROLE), "the error names the role: {said}");
    assert!(!said.contains("messages of orders written"), "{said}");
}
