//! Changes to queues: read-only roles, purge, delete and send.

use super::support::*;

// --- read-only roles ----------------------------------------------------------------------

#[tokio::test]
async fn read_only_roles_may_look_but_not_change_anything() {
    let mut h = loaded("prod/viewer").await;
    assert!(h.row.read_only);
    let refused = |h: &Harness, action: &str| {
        let (text, error) = h.notice();
        assert!(error, "{text}");
        assert!(text.starts_with("prod/viewer is read_only"), "{text}");
        assert!(text.contains(action), "{text}");
    };

    h.select("orders");
    assert!(h.char('n').is_empty());
    refused(&h, "send messages");
    assert!(matches!(h.panel.view, View::List));
    assert!(h.char('P').is_empty());
    refused(&h, "purge queues");
    assert!(matches!(h.panel.view, View::List));

    h.detail_of("orders-dlq").await;
    assert!(h.char('n').is_empty());
    refused(&h, "send messages");
    assert!(h.char('P').is_empty());
    refused(&h, "purge queues");
    assert!(h.char('m').is_empty());
    refused(&h, "redrive messages");
    assert!(matches!(h.panel.view, View::Detail { .. }), "{:?}", h.panel.view);

    // Peeking is allowed; deleting the peeked message is not.
    h.peeked("orders-dlq").await;
    assert!(matches!(&h.panel.view, View::Peek { messages: Some(Ok(found)), .. } if found.len() == 2));
    assert!(h.char('d').is_empty());
    refused(&h, "delete messages");
    assert!(matches!(h.panel.view, View::Peek { messages: Some(Ok(_)), .. }), "the peek stays");
    assert!(h.screen().contains("prod/viewer is read_only"), "the refusal is shown:\n{}", h.screen());

    // The next key clears the notice.
    h.char('j');
    assert_eq!(h.panel.notice, None);

    let changes = ["SendMessage", "DeleteMessage", "PurgeQueue", "StartMessageMoveTask"];
    let calls = h.calls();
    assert!(!calls.iter().any(|call| changes.iter().any(|change| call.starts_with(change))), "{calls:?}");
}

// --- purge and delete ---------------------------------------------------------------------

#[tokio::test]
async fn a_purge_needs_the_exact_queue_name() {
    let mut h = loaded("sandbox/dev").await;
    h.detail_of("orders").await;
    assert!(h.char('P').is_empty());
    let View::Confirm { confirm, action: Pending::Purge { url: target }, back } = &h.panel.view else {
        panic!("{:?}", h.panel.view)
    };
    assert_eq!((target.as_str(), back.as_str()), (url("orders").as_str(), url("orders").as_str()));
    assert_eq!(confirm.expected, "orders");
    assert!(confirm.prompt.starts_with("Purge orders?"), "{}", confirm.prompt);
    assert!(h.screen().contains(" confirm "));

    // A prefix, or the wrong case, is not the name.
    assert!(h.typed("order").is_empty());
    assert!(h.key(KeyCode::Enter).is_empty());
    assert!(matches!(h.panel.view, View::Confirm { .. }));
    h.typed("S");
    assert!(h.key(KeyCode::Enter).is_empty());
    h.key(KeyCode::Backspace);
    h.char('s');
    let jobs = h.key(KeyCode::Enter);
    assert!(matches!(&h.panel.view, View::Detail { url: shown, .. } if *shown == url("orders")));
    h.settle(jobs).await;
    let calls = h.calls();
    assert_eq!(calls.iter().filter(|call| *call == "PurgeQueue orders").count(), 1, "{calls:?}");
    assert!(calls.contains(&"GetQueueAttributes orders".to_owned()), "counted again after the purge: {calls:?}");
    assert_eq!(h.notice(), ("purged orders".to_owned(), false));
    assert_eq!(h.visible_count("orders"), Some(0));
    assert_eq!(h.sqs.visible("orders"), 0);

    // Esc cancels and changes nothing.
    h.detail_of("audit").await;
    h.char('P');
    h.typed("audit");
    let jobs = h.key(KeyCode::Esc);
    assert_eq!(h.notice(), ("cancelled; nothing changed".to_owned(), false));
    assert!(matches!(&h.panel.view, View::Detail { url: shown, .. } if *shown == url("audit")));
    h.settle(jobs).await;
    assert!(!h.calls().iter().any(|call| call.starts_with("PurgeQueue")));
    assert_eq!(h.sqs.visible("audit"), 12);
}

#[tokio::test]
async fn after_a_purge_the_detail_still_knows_the_queues_it_is_the_dlq_of() {
    let mut h = loaded("sandbox/dev").await;
    h.detail_of("orders-dlq").await;
    h.char('P');
    h.typed("orders-dlq");
    let jobs = h.key(KeyCode::Enter);
    h.settle(jobs).await;
    assert!(
        matches!(&h.panel.view, View::Detail { sources: Some(Ok(sources)), .. } if *sources == [url("orders")]),
        "{:?}",
        h.panel.view
    );
    assert!(h.screen().contains("DLQ of"), "{}", h.screen());
}

#[tokio::test]
async fn production_accounts_need_the_typed_name_before_a_delete() {
    let mut h = loaded("prod/admin").await;
    assert!(h.row.production);
    h.peeked("orders-dlq").await;
    h.char('j');
    assert!(h.char('d').is_empty(), "nothing is deleted yet");
    let View::Confirm { confirm, action: Pending::Delete { url: target, receipt_handle, .. }, .. } = &h.panel.view
    else {
        panic!("{:?}", h.panel.view)
    };
    assert_eq!((target.as_str(), receipt_handle.as_str()), (url("orders-dlq").as_str(), "rh-d-2"));
    assert!(confirm.prompt.starts_with("prod is a production account."), "{}", confirm.prompt);
    assert_eq!(confirm.expected, "orders-dlq");

    h.typed("orders-dlq");
    let jobs = h.key(KeyCode::Enter);
    assert_eq!(jobs.len(), 1);
    assert!(matches!(h.panel.view, View::Peek { messages: None, .. }));
    let done = h.run(jobs.into_iter().next().unwrap()).await;
    assert_eq!(h.calls(), ["DeleteMessage orders-dlq rh-d-2"]);
    let next = h.result(Ok(done));
    assert_eq!(h.notice(), ("deleted a message from orders-dlq".to_owned(), false));
    h.settle(next).await;
    let calls = h.calls();
    assert!(calls.contains(&"ReceiveMessage orders-dlq max=10 visibility=0".to_owned()), "peeked again: {calls:?}");
    assert!(matches!(&h.panel.view, View::Peek { messages: Some(Ok(found)), .. } if found.len() == 1));
    assert_eq!(h.visible_count("orders-dlq"), Some(1));
}

#[tokio::test]
async fn other_accounts_delete_the_peeked_message_directly() {
    let mut h = loaded("sandbox/dev").await;
    assert!(!h.row.production);
    h.peeked("audit").await;
    let jobs = h.char('d');
    assert_eq!(jobs.len(), 1);
    assert!(matches!(h.panel.view, View::Peek { messages: Some(Ok(_)), .. }));
    h.settle(jobs).await;
    let calls = h.calls();
    assert_eq!(calls.first().map(String::as_str), Some("DeleteMessage audit rh-a-1"));
    assert_eq!(h.sqs.visible("audit"), 11);

    // Nothing to delete in an empty peek.
    h.peeked("events.fifo").await;
    assert!(h.screen().contains("no message was available"));
    assert!(h.char('d').is_empty());
}

// --- send ---------------------------------------------------------------------------------

#[tokio::test]
async fn the_send_form_checks_its_fields_and_a_sent_message_returns_to_the_detail() {
    let mut h = loaded("sandbox/dev").await;
    h.detail_of("events.fifo").await;
    assert!(h.char('n').is_empty());
    let View::Send(form) = &h.panel.view else { panic!("{:?}", h.panel.view) };
    assert!(form.fifo);
    assert_eq!(form.fields(), [Field::Body, Field::Attributes, Field::GroupId, Field::DeduplicationId]);

    // Empty body, then no group id: refused with the reason, no job.
    assert!(h.ctrl('s').is_empty());
    assert!(matches!(&h.panel.view, View::Send(form) if form.error.as_deref() == Some("the body is empty")));
    h.typed(r#"{"order":7}"#);
    assert!(h.ctrl('s').is_empty());
    let View::Send(form) = &h.panel.view else { panic!() };
    assert_eq!(form.error.as_deref(), Some("a FIFO queue needs a message group id"));
    assert!(h.screen().contains("a FIFO queue needs a message group id"), "{}", h.screen());

    h.key(KeyCode::Tab);
    h.typed("kind=test");
    h.key(KeyCode::Tab);
    h.typed("g1");
    let jobs = h.ctrl('s');
    assert_eq!(jobs.len(), 1);
    assert_eq!(h.notice(), ("sending…".to_owned(), false));
    let done = h.run(jobs.into_iter().next().unwrap()).await;
    assert_eq!(h.calls(), [r#"SendMessage events.fifo {"order":7} group=g1"#]);
    let next = h.result(Ok(done));
    assert_eq!(h.notice(), ("sent a message to events.fifo".to_owned(), false));
    assert!(matches!(&h.panel.view, View::Detail { url: shown, sources: None } if *shown == url("events.fifo")));
    h.settle(next).await;
    let calls = h.calls();
    assert!(calls.contains(&"GetQueueAttributes events.fifo".to_owned()), "re-counted: {calls:?}");
    assert!(calls.contains(&"ListDeadLetterSourceQueues events.fifo".to_owned()), "{calls:?}");
    assert_eq!(h.visible_count("events.fifo"), Some(1));
}

#[tokio::test]
async fn a_standard_queue_gets_a_delay_field_and_esc_cancels_the_form() {
    let mut h = loaded("sandbox/dev").await;
    h.detail_of("audit").await;
    h.char('n');
    let View::Send(form) = &h.panel.view else { panic!("{:?}", h.panel.view) };
    assert_eq!(form.fields(), [Field::Body, Field::Attributes, Field::Delay]);
    h.typed("hello");
    h.key(KeyCode::Down);
    h.key(KeyCode::Down);
    h.typed("901");
    // Enter on the last field submits.
    assert!(h.key(KeyCode::Enter).is_empty());
    assert!(
        matches!(&h.panel.view, View::Send(form) if form.error.as_deref() == Some("the delay is 0 to 900 seconds"))
    );
    let jobs = h.key(KeyCode::Esc);
    assert!(matches!(&h.panel.view, View::Detail { url: shown, .. } if *shown == url("audit")));
    h.settle(jobs).await;
    assert!(!h.calls().iter().any(|call| call.starts_with("SendMessage")));
}

#[tokio::test]
async fn a_failed_send_keeps_the_form_and_names_the_role_and_action() {
    let mut h = loaded("sandbox/dev").await;
    h.sqs.deny("SendMessage");
    h.detail_of("audit").await;
    h.char('n');
    h.typed("hello");
    let jobs = h.ctrl('s');
    h.settle(jobs).await;
    let (text, error) = h.notice();
    assert!(error);
    assert!(text.starts_with("sandbox/dev: SendMessage: access denied"), "{text}");
    assert!(matches!(&h.panel.view, View::Send(form) if form.value(Field::Body) == "hello"), "the typed text stays");
}
