//! Reading messages: a long body scrolls, an SNS envelope shows its message with the envelope
//! one key away, binary attributes as a preview; `x` saves the peek as JSON Lines; `L` shows
//! the account's audit trail.

use super::support::*;
use crate::domain::sqs::MessageAttribute;

/// A queue `long` holding one SNS notification whose message is a 200-line text, with a
/// binary attribute.
fn long_message_sqs() -> FakeSqs {
    let text: Vec<String> = (1..=200).map(|line| format!("body line {line}")).collect();
    let envelope = serde_json::json!({
        "Type": "Notification",
        "MessageId": "sns-1",
        "TopicArn": "arn:aws:sns:eu-west-1:333333333333:orders-topic",
        "Message": text.join("\n"),
    });
    let mut sns = message("long-1", &envelope.to_string(), 0);
    sns.attributes.insert("blob".into(), MessageAttribute::binary("Binary", vec![0xca, 0xfe]));
    let long = FakeQueue { messages: vec![sns, message("long-2", r#"{"n":2}"#, 0)], ..FakeQueue::named("long") };
    FakeSqs::new("333333333333", "eu-west-1", vec![long])
}

#[tokio::test]
async fn a_long_sns_message_scrolls_and_its_envelope_is_one_key_away() {
    let mut h = harness_with("sandbox/dev", long_message_sqs());
    let jobs = h.open();
    h.settle(jobs).await;
    h.peeked("long").await;
    let screen = h.screen();
    assert!(screen.contains("SNS notification from orders-topic, message text (e: the envelope)"), "{screen}");
    assert!(screen.contains("body line 1"), "{screen}");
    assert!(!screen.contains("body line 150"), "{screen}");
    assert!(screen.contains("2 bytes · hex cafe · base64 yv4="), "{screen}");
    assert!(!screen.contains("TopicArn"), "the envelope is not shown first: {screen}");

    for _ in 0..7 {
        h.key(KeyCode::PageDown);
    }
    h.char('J');
    h.char('K');
    let screen = h.screen();
    assert!(screen.contains("body line 150"), "{screen}");
    assert!(!screen.contains("body line 1 "), "{screen}");

    h.char('e');
    let screen = h.screen();
    assert!(screen.contains("\"TopicArn\""), "{screen}");
    assert!(screen.contains("the SNS envelope (e: its message)"), "{screen}");
    h.char('e');

    // Another message: back at its top, JSON pretty.
    h.char('j');
    let View::Peek { reading, .. } = &h.panel.view else { panic!("{:?}", h.panel.view) };
    assert_eq!((reading.scroll, reading.views.len()), (0, 2));
    assert!(h.screen().contains("\"n\": 2"), "{}", h.screen());
}

#[tokio::test]
async fn x_saves_the_peeked_messages_as_json_lines_and_says_where() {
    let mut h = harness_with("sandbox/dev", long_message_sqs());
    let jobs = h.open();
    h.settle(jobs).await;
    h.peeked("long").await;
    assert!(h.char('x').is_empty());
    let (notice, error) = h.notice();
    assert!(!error, "{notice}");
    let saved_dir = h.dir.path().join("saved");
    let path = std::fs::read_dir(&saved_dir).unwrap().next().unwrap().unwrap().path();
    assert!(notice.contains(&format!("saved 2 messages to {}", path.display())), "{notice}");
    assert!(path.file_name().unwrap().to_str().unwrap().starts_with("sandbox-long-20261121T090000Z"), "{path:?}");
    let restored = crate::domain::sqs::message_file::read_messages(&path).unwrap();
    assert_eq!(restored.len(), 2);
    assert_eq!(restored[0].attributes["blob"], MessageAttribute::binary("Binary", vec![0xca, 0xfe]));
    assert!(restored[0].body.contains("body line 200"));
}

#[tokio::test]
async fn l_shows_the_accounts_recent_changes() {
    let mut h = loaded("sandbox/dev").await;
    h.select("audit");
    assert!(h.char('L').is_empty());
    assert!(h.screen().contains("no change recorded yet"), "{}", h.screen());
    h.key(KeyCode::Esc);
    assert!(matches!(h.panel.view, View::List));

    h.peeked("audit").await;
    let jobs = h.char('d');
    h.settle(jobs).await;
    h.panel.view = View::List;
    h.char('L');
    let screen = h.screen();
    let line = line_with(&screen, "delete");
    assert!(line.contains("sandbox/dev  audit  delete eu-west-1  count 1"), "{screen}");
    let trail = std::fs::read_to_string(h.panel.audit.path().unwrap()).unwrap();
    assert_eq!(trail.lines().count(), 1);
    assert!(trail.contains("\"message_ids\":[\"a-1\"]"), "{trail}");
    assert!(!trail.contains("\"n\":"), "no body: {trail}");
}
