//! An account's panels end to end: the real binary in a pseudo-terminal, against moto.
//! Queues seeded in account 111111111111 with the SDK; then, through the screen only: open
//! prod/viewer's panels, wait for the queue counts, open a queue's detail, peek past the
//! maxReceiveCount warning, send a message with the form, purge with the typed confirmation,
//! go back to the roles and quit. Each change is checked against moto with the SDK. A
//! read-only role is refused purge and send.

use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};

use crate::support;
use crate::support::pty::{Tui, footer, open_panels, queue_counts, queue_row, roles_are_shown, words};
use crate::support::{INVENTORY, Sandbox, sqs_client};

const ACCOUNT: &str = "111111111111";

struct Seeded {
    client: aws_sdk_sqs::Client,
    runtime: tokio::runtime::Runtime,
    orders: String,
}

impl Seeded {
    fn visible(&self, url: &str) -> u64 {
        let attributes = self
            .runtime
            .block_on(
                self.client
                    .get_queue_attributes()
                    .queue_url(url)
                    .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
                    .send(),
            )
            .unwrap();
        attributes.attributes().unwrap()[&QueueAttributeName::ApproximateNumberOfMessages].parse().unwrap()
    }

    /// The bodies (and `kind` attributes) of what `url` holds, received with visibility 0.
    fn bodies(&self, url: &str) -> Vec<(String, Option<String>)> {
        let output = self
            .runtime
            .block_on(
                self.client
                    .receive_message()
                    .queue_url(url)
                    .max_number_of_messages(10)
                    .visibility_timeout(0)
                    .message_attribute_names("All")
                    .message_system_attribute_names(MessageSystemAttributeName::All)
                    .send(),
            )
            .unwrap();
        output
            .messages()
            .iter()
            .map(|message| {
                let kind = message
                    .message_attributes()
                    .and_then(|attributes| attributes.get("kind"))
                    .and_then(|value| value.string_value())
                    .map(str::to_owned);
                (message.body().unwrap_or_default().to_owned(), kind)
            })
            .collect()
    }
}

/// In account 111111111111, through prod/viewer's session: `orders` (2 messages) with a
/// redrive policy to `orders-dlq` (maxReceiveCount 3), and `events.fifo` (1 message).
fn seed(sandbox: &Sandbox) -> Seeded {
    let client = sqs_client(sandbox, "prod/viewer");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let orders = runtime.block_on(async {
        let create = |name: &'static str, attributes: Vec<(QueueAttributeName, String)>| {
            let mut call = client.create_queue().queue_name(name);
            for (key, value) in attributes {
                call = call.attributes(key, value);
            }
            async move { call.send().await.unwrap().queue_url().unwrap().to_owned() }
        };
        let dlq = create("orders-dlq", vec![]).await;
        let dlq_arn = support::queue_arn(&client, &dlq).await;
        let policy = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"3"}}"#);
        let orders = create("orders", vec![(QueueAttributeName::RedrivePolicy, policy)]).await;
        let events = create(
            "events.fifo",
            vec![
                (QueueAttributeName::FifoQueue, "true".into()),
                (QueueAttributeName::ContentBasedDeduplication, "true".into()),
            ],
        )
        .await;
        for body in [r#"{"order":1}"#, r#"{"order":2}"#] {
            client.send_message().queue_url(&orders).message_body(body).send().await.unwrap();
        }
        client.send_message().queue_url(&events).message_body("e1").message_group_id("g1").send().await.unwrap();
        orders
    });
    assert!(orders.contains(ACCOUNT), "{orders}");
    Seeded { client, runtime, orders }
}

/// The queue list with every queue's counts in.
fn wait_for_counts(tui: &mut Tui, expected: &[(&str, [u64; 3])]) -> String {
    tui.wait_for("the queues with their counts", |screen| {
        screen.contains(&format!(" queues ({})", expected.len()))
            && expected.iter().all(|(name, counts)| queue_counts(screen, name) == Some(*counts))
    })
}

fn has_line(screen: &str, text: &str) -> bool {
    screen.lines().any(|line| line.contains(text))
}

/// The value of a queue attribute in the detail view ("ApproximateNumberOfMessages  3").
fn attribute<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen.lines().map(words).find(|words| words.first() == Some(&name)).and_then(|words| words.get(1).copied())
}

#[test]
fn browse_peek_send_and_purge_a_queue_through_the_panels() {
    let sandbox = Sandbox::new();
    let seeded = seed(&sandbox);
    let mut tui = Tui::start(&sandbox);
    open_panels(&mut tui, "prod viewer", "viewer");

    // The list: the counts are moto's, the DLQ column knows who sends failures where. (Every
    // check is part of a wait's condition: a screen may be caught halfway through a frame.)
    wait_for_counts(&mut tui, &[("events.fifo", [1, 0, 0]), ("orders", [2, 0, 0]), ("orders-dlq", [0, 0, 0])]);
    tui.wait_for("the kinds and the DLQ column", |screen| {
        screen.contains("┌ production ")
            && queue_row(screen, "events.fifo").is_some_and(|row| row[1] == "FIFO")
            && queue_row(screen, "orders").is_some_and(|row| row[1..] == ["std", "2", "0", "0", "→", "orders-dlq"])
            && queue_row(screen, "orders-dlq").is_some_and(|row| row[5..] == ["is", "a", "DLQ"])
    });

    // Sorted by name: events.fifo, orders, orders-dlq. j goes to orders, Enter opens it.
    tui.send("j");
    tui.send("\r");
    tui.wait_for("the detail of orders, its redrive policy and 2 messages", |screen| {
        has_line(screen, &format!("/{ACCOUNT}/orders "))
            && screen.contains("failures go to orders-dlq after 3 receives")
            && attribute(screen, "ApproximateNumberOfMessages") == Some("2")
    });

    // Peek: the queue has a redrive policy, so first the warning; y accepts it.
    tui.send("p");
    tui.wait_for("the warning before the first peek", |screen| {
        screen.contains("before the first peek") && screen.contains("maxReceiveCount (3)")
    });
    tui.send("y");
    // Both messages, received once of the 3 allowed, and the selected one's body
    // pretty-printed next to the list.
    tui.wait_for("the peeked messages", |screen| {
        screen.contains("peek orders")
            && screen.matches("recv 1/3").count() == 2
            && screen.contains("receives   1")
            && (screen.contains(r#""order": 1"#) || screen.contains(r#""order": 2"#))
    });

    // Esc goes back to the detail; n opens the send form.
    tui.send("\x1b");
    tui.wait_for("the detail again", |screen| {
        !screen.contains("peek orders") && attribute(screen, "ApproximateNumberOfMessages").is_some()
    });
    tui.send("n");
    tui.wait_for("the send form", |screen| screen.contains("send a message") && screen.contains("send to orders"));
    tui.send(r#"{"order":99}"#);
    tui.wait_for("the body being typed", |screen| screen.contains(r#"{"order":99}▏"#));
    tui.send("\t");
    tui.send("kind=pty");
    tui.wait_for("the attributes being typed", |screen| screen.contains("kind=pty▏"));
    tui.send("\t");
    tui.wait_for("the focus on the delay, the last field", |screen| {
        screen.lines().skip_while(|line| !line.contains("delay seconds")).nth(1).is_some_and(|line| line.contains('▏'))
    });
    // Enter on the last field sends; the form closes onto the detail, recounted.
    tui.send("\r");
    tui.wait_for("the message to be sent and counted", |screen| {
        !screen.contains("send a message")
            && has_line(screen, "sent a message to orders")
            && attribute(screen, "ApproximateNumberOfMessages") == Some("3")
    });
    assert_eq!(seeded.visible(&seeded.orders), 3, "moto holds the new message");
    let bodies = seeded.bodies(&seeded.orders);
    assert!(
        bodies.contains(&(r#"{"order":99}"#.to_owned(), Some("pty".to_owned()))),
        "the body and its attribute arrived: {bodies:?}"
    );

    // Purge: the name must be typed in full; Enter on a prefix leaves the confirmation open.
    tui.send("P");
    tui.wait_for("the purge confirmation", |screen| {
        screen.contains("Purge orders?") && screen.contains("Type the queue") && screen.contains("> ▏")
    });
    tui.send("order");
    tui.wait_for("the name being typed", |screen| screen.contains("> order▏"));
    tui.send("\r");
    tui.send("s");
    tui.wait_for("the whole name, in the confirmation still open", |screen| {
        screen.contains("Purge orders?") && screen.contains("> orders▏")
    });
    tui.send("\r");
    tui.wait_for("the purge to be done and counted", |screen| {
        !screen.contains("Purge orders?")
            && has_line(screen, "purged orders")
            && attribute(screen, "ApproximateNumberOfMessages") == Some("0")
    });
    assert_eq!(seeded.visible(&seeded.orders), 0, "moto says the queue is empty");
    assert!(seeded.bodies(&seeded.orders).is_empty(), "nothing left to receive");

    // Tab: the identity panel shows who the session is; Shift-Tab, back to the queue.
    tui.send("\t");
    tui.wait_for("the identity panel", |screen| {
        screen.contains(&format!("arn:aws:sts::{ACCOUNT}:assumed-role/Viewer/"))
    });
    tui.send("\x1b[Z");
    tui.wait_for("the SQS panel again", |screen| attribute(screen, "ApproximateNumberOfMessages").is_some());

    // Esc: detail -> list (the purged count is there), list -> the roles.
    tui.send("\x1b");
    wait_for_counts(&mut tui, &[("events.fifo", [1, 0, 0]), ("orders", [0, 0, 0]), ("orders-dlq", [0, 0, 0])]);
    tui.send("\x1b");
    tui.wait_for("the roles again", |screen| roles_are_shown(screen) && !screen.contains(" queues ("));

    tui.send("q");
    let status = tui.wait_for_exit();
    assert!(status.success(), "exit status {status:?}");
    tui.assert_terminal_restored();
}

#[test]
fn a_read_only_role_is_refused_purge_and_send() {
    let sandbox = Sandbox::new();
    // prod/viewer marked read_only in this HOME's inventory; the shared one is untouched.
    let inventory = std::fs::read_to_string(sandbox.inventory()).unwrap();
    let marked = inventory.replacen("role_name = \"Viewer\"\n", "role_name = \"Viewer\"\n  read_only = true\n", 1);
    assert_ne!(marked, inventory, "the Viewer role is in support::INVENTORY");
    assert!(INVENTORY.contains("role_name = \"Viewer\""));
    std::fs::write(sandbox.inventory(), marked).unwrap();
    let seeded = seed(&sandbox);

    let mut tui = Tui::start(&sandbox);
    open_panels(&mut tui, "prod viewer", "viewer");
    wait_for_counts(&mut tui, &[("events.fifo", [1, 0, 0]), ("orders", [2, 0, 0]), ("orders-dlq", [0, 0, 0])]);
    tui.wait_for("the header to say read-only", |screen| {
        screen.lines().next().is_some_and(|line| line.contains("as viewer") && line.contains("read-only"))
    });

    tui.send("j");
    tui.send("\r");
    tui.wait_for("the detail of orders", |screen| {
        has_line(screen, &format!("/{ACCOUNT}/orders "))
            && attribute(screen, "ApproximateNumberOfMessages") == Some("2")
    });
    tui.send("P");
    tui.wait_for("the purge to be refused, with no confirmation offered", |screen| {
        has_line(screen, "prod/viewer is read_only: switchboard will not purge queues through it")
            && !screen.contains("Purge orders?")
    });
    tui.send("n");
    tui.wait_for("the send to be refused, with no form offered", |screen| {
        has_line(screen, "prod/viewer is read_only: switchboard will not send messages through it")
            && !screen.contains("send a message")
    });
    // Peeking only reads: allowed.
    tui.send("p");
    tui.wait_for("the warning before the first peek", |screen| screen.contains("before the first peek"));
    tui.send("y");
    tui.wait_for("the peeked messages", |screen| {
        screen.contains("peek orders") && screen.matches("recv 1/3").count() == 2
    });
    assert_eq!(seeded.visible(&seeded.orders), 2, "both messages are still there");

    tui.send("\x1b");
    tui.wait_for("the detail again", |screen| !screen.contains("peek orders"));
    tui.send("\x1b");
    tui.wait_for("the queue list", |screen| screen.contains(" queues (3)"));
    tui.send("\x1b");
    tui.wait_for("the roles again", |screen| roles_are_shown(screen) && !screen.contains(" queues ("));
    tui.send("q");
    let status = tui.wait_for_exit();
    assert!(status.success(), "exit status {status:?}");
    tui.assert_terminal_restored();
}

#[test]
fn a_rebound_panel_key_works_and_the_help_shows_it() {
    let sandbox = Sandbox::new();
    let inventory = std::fs::read_to_string(sandbox.inventory()).unwrap();
    std::fs::write(sandbox.inventory(), format!("{inventory}\n[ui.keys.sqs]\npeek = [\"v\"]\n")).unwrap();
    let seeded = seed(&sandbox);
    let mut tui = Tui::start(&sandbox);
    open_panels(&mut tui, "prod viewer", "viewer");
    wait_for_counts(&mut tui, &[("events.fifo", [1, 0, 0]), ("orders", [2, 0, 0]), ("orders-dlq", [0, 0, 0])]);
    tui.wait_for("the hints to offer v for peek", |screen| footer(screen).contains("v peek"));

    tui.send("?");
    tui.wait_for("the panel's help with the rebound key", |screen| {
        screen.contains("the sqs panel:") && screen.contains("│v               peek at up to 10 messages")
    });
    tui.send("?");
    tui.wait_for("the help closed", |screen| !screen.contains("the sqs panel:"));

    // p is no longer peek; v is. j goes to orders (sorted by name), Enter opens it.
    tui.send("j");
    tui.send("\r");
    tui.wait_for("the detail of orders", |screen| attribute(screen, "ApproximateNumberOfMessages") == Some("2"));
    tui.send("p");
    tui.send("v");
    tui.wait_for("the warning before the first peek", |screen| screen.contains("before the first peek"));
    tui.send("y");
    tui.wait_for("the peeked messages", |screen| {
        screen.contains("peek orders") && screen.matches("recv 1/3").count() == 2
    });
    assert_eq!(seeded.visible(&seeded.orders), 2, "peeking moves nothing");

    // One Esc at a time: two in a row would read as one Alt-Esc.
    tui.send("\x1b");
    tui.wait_for("the detail again", |screen| !screen.contains("peek orders"));
    tui.send("\x1b");
    tui.wait_for("the queue list", |screen| screen.contains(" queues (3)") && !screen.contains("ApproximateNumber"));
    tui.send("\x1b");
    tui.wait_for("the roles again", |screen| roles_are_shown(screen) && !screen.contains(" queues ("));
    tui.send("q");
    assert!(tui.wait_for_exit().success());
}

/// A queue `long` (in account 111111111111) holding one message whose body is 200 lines,
/// with a binary attribute.
fn seed_long_message(sandbox: &Sandbox) {
    let client = sqs_client(sandbox, "prod/viewer");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let url = client.create_queue().queue_name("long").send().await.unwrap().queue_url.unwrap();
        let body: Vec<String> = (1..=200).map(|line| format!("body line {line}")).collect();
        let blob = aws_sdk_sqs::types::MessageAttributeValue::builder()
            .data_type("Binary")
            .binary_value(aws_sdk_sqs::primitives::Blob::new(vec![0xca, 0xfe]))
            .build()
            .unwrap();
        client
            .send_message()
            .queue_url(&url)
            .message_body(body.join("\n"))
            .message_attributes("blob", blob)
            .send()
            .await
            .unwrap();
    });
}

/// The number of the first body line shown ("body line 141" at the top of the body).
fn first_body_line(screen: &str) -> Option<u32> {
    let after = screen.split("body line ").nth(1)?;
    after.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// Waits for the body's first shown line to be `line`; fails with the screen otherwise.
fn scrolled_to(tui: &mut Tui, what: &str, line: u32) -> u32 {
    tui.wait_for(&format!("{what}: line {line} first"), |screen| first_body_line(screen) == Some(line));
    line
}

#[test]
fn a_long_body_scrolls_and_x_saves_the_peek_to_a_file_that_parses() {
    let sandbox = Sandbox::new();
    seed_long_message(&sandbox);
    let mut tui = Tui::start(&sandbox);
    open_panels(&mut tui, "prod viewer", "viewer");
    wait_for_counts(&mut tui, &[("long", [1, 0, 0])]);
    tui.send("\r");
    tui.wait_for("the detail of long", |screen| has_line(screen, &format!("/{ACCOUNT}/long ")));
    tui.send("p");
    tui.wait_for("the peeked message, its first lines and its binary attribute", |screen| {
        screen.contains("peek long")
            && screen.contains("body line 1 ")
            && !screen.contains("body line 150")
            && screen.contains("2 bytes · hex cafe · base64 yv4=")
    });

    // PgDn pages through the body 20 lines at a time, J one line down, K one up: each key
    // waits for the one position only the right scroll gives (the body's first line shown).
    tui.send("\x1b[6~");
    let mut top =
        tui.wait_until("the first page down", |tui| first_body_line(&tui.screen_text()).filter(|top| *top > 1));
    for _ in 0..6 {
        tui.send("\x1b[6~");
        top = scrolled_to(&mut tui, "a page down", top + 20);
    }
    assert!(top > 100, "seven pages down show line {top} first");
    for (key, what, to) in [("J", "J", top + 1), ("J", "J again", top + 2), ("K", "K", top + 1), ("J", "J", top + 2)] {
        tui.send(key);
        scrolled_to(&mut tui, what, to);
    }
    let screen = tui.screen_text();
    assert!(screen.contains("body line 150") && !screen.contains("body line 1 "), "{screen}");

    tui.send("x");
    let dir = sandbox.home.path().join(".local/state/switchboard/messages");
    let screen = tui.wait_for("the saved file's path", |screen| screen.contains("saved 1 messages to "));
    let saved: Vec<std::path::PathBuf> = std::fs::read_dir(&dir).unwrap().map(|entry| entry.unwrap().path()).collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    let name = saved[0].file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("prod-long-") && name.ends_with(".jsonl"), "{name}");
    assert!(screen.contains(name), "the path is shown: {screen}");
    let text = std::fs::read_to_string(&saved[0]).unwrap();
    let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(line["body"].as_str().unwrap().lines().count(), 200);
    assert_eq!(line["attributes"]["blob"], serde_json::json!({"type": "Binary", "base64": "yv4="}));

    tui.send("\x1b");
    tui.wait_for("the detail again", |screen| !screen.contains("peek long"));
    tui.send("\x1b");
    tui.wait_for("the list again", |screen| screen.contains(" queues (1)"));
    tui.send("\x1b");
    tui.wait_for("the roles again", roles_are_shown);
    tui.send("q");
    let status = tui.wait_for_exit();
    assert!(status.success(), "exit status {status:?}");
}

/// The screen escapes a right-to-left override in a queue's name as the commands do.
#[test]
fn a_bidi_override_in_a_queue_name_shows_escaped_in_the_panel() {
    let sandbox = Sandbox::new();
    let proxy = support::fault_proxy::FaultProxy::start(&sandbox.moto.endpoint);
    support::store::set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
    crate::fault_output::queue_with_a_bidi_override(&sandbox, &proxy);
    let mut tui = Tui::start(&sandbox);
    open_panels(&mut tui, "prod viewer", "viewer");
    let screen = tui.wait_for("the queue's name, escaped", |screen| screen.contains("invoice\\u{202e}fdp.exe"));
    assert!(!screen.contains('\u{202e}'), "{screen}");
    assert!(!tui.raw.windows(3).any(|bytes| bytes == "\u{202e}".as_bytes()), "the override reached the terminal");
}
