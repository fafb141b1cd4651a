//! `switchboard sqs list` against moto: exactly each account's queues with their counts and
//! dead-letter links, a failing account isolated in its own row, and JSON that parses.

use crate::support::fault_proxy::FaultProxy;
use crate::support::{Sandbox, sqs_client, stderr, stdout};

/// The sandbox with the fleet of `tests/fixtures/fleet.toml` as its inventory.
fn fleet() -> Sandbox {
    Sandbox::with_fixture("fleet.toml")
}

/// alpha: `orders` (dead letters to `orders-dlq`, two messages waiting) and `orders-dlq`;
/// beta: `events`; gamma: nothing. delta's role has no keys, so it cannot be listed.
fn seed(sandbox: &Sandbox) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let alpha = sqs_client(sandbox, "alpha/readonly");
    let beta = sqs_client(sandbox, "beta/readonly");
    runtime.block_on(async {
        let dlq = alpha.create_queue().queue_name("orders-dlq").send().await.unwrap();
        let dlq_arn = alpha
            .get_queue_attributes()
            .queue_url(dlq.queue_url().unwrap())
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes()
            .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
            .clone();
        let policy = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"3"}}"#);
        let orders = alpha
            .create_queue()
            .queue_name("orders")
            .attributes(aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy, policy)
            .send()
            .await
            .unwrap();
        for body in ["one", "two"] {
            alpha.send_message().queue_url(orders.queue_url().unwrap()).message_body(body).send().await.unwrap();
        }
        beta.create_queue().queue_name("events").send().await.unwrap();
    });
}

#[test]
fn every_selected_account_lists_exactly_its_queues_and_a_failing_one_gets_its_row() {
    let sandbox = fleet();
    seed(&sandbox);
    let output = sandbox.run(&["sqs", "list", "*/readonly", "delta/ci"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let printed = stdout(&output);
    let rows: Vec<Vec<&str>> = printed.lines().map(|line| line.split_whitespace().collect()).collect();
    assert_eq!(rows[0][..4], ["ACCOUNT", "ROLE", "REGION", "QUEUE"], "{printed}");
    let accounts: Vec<&str> = rows[1..].iter().map(|row| row[0]).collect();
    assert_eq!(accounts, ["alpha", "alpha", "beta", "delta", "gamma"], "sorted by account:\n{printed}");
    assert_eq!(rows[1][..5], ["alpha", "readonly", "eu-west-1", "orders", "2"], "{printed}");
    assert!(printed.lines().nth(1).unwrap().ends_with("dlq: orders-dlq"), "{printed}");
    assert_eq!(rows[2][3..5], ["orders-dlq", "0"], "{printed}");
    assert!(printed.lines().nth(2).unwrap().ends_with("dlq of: orders"), "{printed}");
    assert_eq!(rows[3][..5], ["beta", "readonly", "eu-west-1", "events", "0"], "{printed}");
    assert_eq!(rows[4][..4], ["delta", "ci", "eu-west-1", "error:"], "{printed}");
    assert_eq!(rows[5][..4], ["gamma", "readonly", "eu-west-1", "(no"], "{printed}");
    assert!(stderr(&output).contains("1 of 4 accounts could not be listed"), "{}", stderr(&output));
}

#[test]
fn json_is_one_array_with_each_account_its_queues_or_its_error() {
    let sandbox = fleet();
    seed(&sandbox);
    // No pattern: every account, each listed once, through the role that needs no MFA code
    // where there is one (no --mfa-code is given).
    let output = sandbox.run(&["sqs", "list", "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let accounts: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let summary: Vec<(String, String, Vec<String>, bool)> = accounts
        .iter()
        .map(|account| {
            let queues = account["queues"].as_array().unwrap();
            (
                account["account"].as_str().unwrap().to_owned(),
                account["role"].as_str().unwrap().to_owned(),
                queues.iter().map(|queue| queue["name"].as_str().unwrap().to_owned()).collect(),
                account["error"].is_null(),
            )
        })
        .collect();
    let expected = [
        ("alpha", "readonly", vec!["orders", "orders-dlq"], true),
        ("beta", "readonly", vec!["events"], true),
        ("delta", "ci", vec![], false),
        ("gamma", "readonly", vec![], true),
    ];
    let expected: Vec<(String, String, Vec<String>, bool)> = expected
        .into_iter()
        .map(|(account, role, queues, ok)| {
            (account.into(), role.into(), queues.into_iter().map(String::from).collect(), ok)
        })
        .collect();
    assert_eq!(summary, expected, "{}", stdout(&output));
    let orders = &accounts[0]["queues"][0];
    assert_eq!(orders["visible"], 2);
    assert_eq!(orders["dead_letter_queue"], "orders-dlq");
    assert_eq!(orders["max_receive_count"], 3);
    assert_eq!(accounts[0]["queues"][1]["dead_letter_for"], serde_json::json!(["orders"]));
    assert_eq!(accounts[0]["account_id"], "111111111111");
}

#[test]
fn a_selection_that_matches_nothing_is_refused() {
    let sandbox = fleet();
    let output = sandbox.run(&["sqs", "list", "--env", "qa"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no account is in environment \"qa\""), "{}", stderr(&output));
}

#[test]
fn no_counts_lists_names_with_one_list_call_per_account_and_no_attribute_reads() {
    let sandbox = fleet();
    seed(&sandbox);
    // Every request of the command goes through a proxy that counts them by action.
    let proxy = FaultProxy::start(&sandbox.moto.endpoint);
    let inventory = std::fs::read_to_string(sandbox.inventory()).unwrap();
    std::fs::write(sandbox.inventory(), inventory.replace(&sandbox.moto.endpoint, &proxy.endpoint)).unwrap();
    let output = sandbox.run(&["sqs", "list", "--no-counts", "--json", "alpha/readonly", "beta/readonly"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let accounts: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<Vec<&str>> = accounts
        .iter()
        .map(|account| account["queues"].as_array().unwrap().iter().map(|q| q["name"].as_str().unwrap()).collect())
        .collect();
    assert_eq!(names, [vec!["orders", "orders-dlq"], vec!["events"]], "{}", stdout(&output));
    assert!(accounts[0]["queues"][0]["visible"].is_null(), "no counts were read: {}", stdout(&output));
    assert_eq!(proxy.count("ListQueues"), 2, "one listing per account");
    assert_eq!(proxy.count("GetQueueAttributes"), 0, "no attributes read");
}
