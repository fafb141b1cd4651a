//! A queue's detail, its dead-letter queues, and peeking at its messages.

use super::support::*;

// --- detail and dead-letter queues --------------------------------------------------------

#[tokio::test]
async fn enter_opens_the_detail_and_asks_for_its_dead_letter_sources() {
    let mut h = loaded("sandbox/dev").await;
    h.select("orders-dlq");
    let jobs = h.key(KeyCode::Enter);
    assert!(matches!(&h.panel.view, View::Detail { url: shown, sources: None } if *shown == url("orders-dlq")));
    assert_eq!(jobs.len(), 1);
    let payload = h.run(jobs.into_iter().next().unwrap()).await;
    assert_eq!(h.calls(), ["ListDeadLetterSourceQueues orders-dlq"]);
    assert!(matches!(&payload, Message::Sources { url: asked, .. } if *asked == url("orders-dlq")), "{payload:?}");

    // Sources of another queue (a detail left behind) are ignored.
    h.feed(Message::Sources { url: url("audit"), result: Ok(vec![url("x")]) });
    assert!(matches!(&h.panel.view, View::Detail { sources: None, .. }));

    assert!(h.result(Ok(payload)).is_empty());
    let View::Detail { sources: Some(Ok(sources)), .. } = &h.panel.view else { panic!("{:?}", h.panel.view) };
    assert_eq!(sources, &[url("orders")]);
    let screen = h.screen();
    assert!(line_with(&screen, "DLQ of").contains("orders (m moves the messages back)"), "{screen}");
    assert!(line_with(&screen, "ApproximateNumberOfMessages ").contains('2'), "{screen}");
    assert!(h.panel.hints().starts_with("p peek"));

    // r refreshes the counts and the sources; Esc goes back to the list.
    let jobs = h.char('r');
    assert_eq!(jobs.len(), 2);
    h.settle(jobs).await;
    let mut calls = h.calls();
    calls.sort();
    assert_eq!(calls.len(), 5, "{calls:?}");
    assert!(calls.contains(&"ListDeadLetterSourceQueues orders-dlq".to_owned()));
    h.key(KeyCode::Esc);
    assert!(matches!(h.panel.view, View::List));
}

#[tokio::test]
async fn dead_letter_queues_and_their_sources_are_recognised() {
    let mut h = loaded("sandbox/dev").await;
    assert!(h.panel.is_dead_letter(h.row("orders-dlq")));
    for name in ["audit", "events.fifo", "orders"] {
        assert!(!h.panel.is_dead_letter(h.row(name)), "{name}");
    }
    assert_eq!(h.panel.dead_letter_of(h.row("orders")).as_deref(), Some("orders-dlq"));
    for name in ["audit", "events.fifo", "orders-dlq"] {
        assert_eq!(h.panel.dead_letter_of(h.row(name)), None, "{name}");
    }
    let screen = h.screen();
    assert!(line_with(&screen, "│orders ").contains("→ orders-dlq"), "{screen}");
    assert!(line_with(&screen, "│orders-dlq ").contains("is a DLQ"), "{screen}");
    assert!(!line_with(&screen, "│audit ").contains("DLQ"), "{screen}");

    // D in a queue's detail opens its dead-letter queue.
    h.detail_of("orders").await;
    assert!(h.screen().contains("failures go to orders-dlq after 3 receives"), "{}", h.screen());
    let jobs = h.char('D');
    assert!(matches!(&h.panel.view, View::Detail { url: shown, sources: None } if *shown == url("orders-dlq")));
    assert_eq!(jobs.len(), 1);

    // ... and says so when there is none.
    h.detail_of("audit").await;
    assert!(h.char('D').is_empty());
    assert_eq!(h.notice(), ("this queue has no dead-letter queue here".to_owned(), false));
    assert!(matches!(&h.panel.view, View::Detail { url: shown, .. } if *shown == url("audit")));

    // Before the counts, nothing is known to be a DLQ.
    let mut fresh = harness("sandbox/dev");
    let jobs = fresh.open();
    let listed = fresh.run(jobs.into_iter().next().unwrap()).await;
    fresh.result(Ok(listed));
    assert!(!fresh.panel.is_dead_letter(fresh.row("orders-dlq")));
    assert_eq!(fresh.panel.dead_letter_of(fresh.row("orders")), None);
}

// --- peek ---------------------------------------------------------------------------------

#[tokio::test]
async fn the_peek_warning_comes_only_for_redrive_queues_and_only_before_the_first_peek() {
    let mut h = loaded("sandbox/dev").await;
    h.detail_of("orders").await;
    assert!(h.char('p').is_empty(), "no receive before the operator agrees");
    assert!(matches!(&h.panel.view, View::PeekWarning { max_receive: 3, .. }), "{:?}", h.panel.view);
    assert!(h.screen().contains("Each receive counts toward maxReceiveCount (3)"), "{}", h.screen());
    assert_eq!(h.panel.hints(), "y peek anyway · n back");
    // Other keys keep the warning.
    assert!(h.char('x').is_empty());
    assert!(matches!(h.panel.view, View::PeekWarning { .. }));

    // n goes back to the detail; the next p warns again.
    let back = h.char('n');
    assert!(matches!(&h.panel.view, View::Detail { url: shown, .. } if *shown == url("orders")));
    h.settle(back).await;
    assert!(!h.calls().iter().any(|call| call.starts_with("ReceiveMessage")));
    h.char('p');
    assert!(matches!(h.panel.view, View::PeekWarning { .. }));

    // y peeks.
    let jobs = h.char('y');
    assert_eq!(jobs.len(), 1);
    assert!(matches!(&h.panel.view, View::Peek { messages: None, .. }));
    h.settle(jobs).await;
    assert_eq!(h.calls(), ["ReceiveMessage orders max=10 visibility=0"]);
    let View::Peek { messages: Some(Ok(messages)), selected: 0, .. } = &h.panel.view else {
        panic!("{:?}", h.panel.view)
    };
    assert_eq!(messages.len(), 3);
    assert!(h.screen().contains("recv 1/3"), "{}", h.screen());

    // Accepted once: peeking again (r, or p from the detail) does not warn.
    let again = h.char('r');
    assert_eq!(again.len(), 1);
    assert!(matches!(h.panel.view, View::Peek { messages: None, .. }));
    h.settle(again).await;
    h.key(KeyCode::Esc);
    let again = h.char('p');
    assert_eq!(again.len(), 1);
    assert!(matches!(h.panel.view, View::Peek { .. }));

    // A queue without a redrive policy never warns, even from the list.
    h.panel.view = View::List;
    h.select("audit");
    let jobs = h.char('p');
    assert_eq!(jobs.len(), 1);
    assert!(matches!(&h.panel.view, View::Peek { url: shown, .. } if *shown == url("audit")));
    // Nor does a DLQ (it has no redrive policy of its own).
    h.detail_of("orders-dlq").await;
    assert_eq!(h.char('p').len(), 1);
    assert!(matches!(h.panel.view, View::Peek { .. }));
}

#[tokio::test]
async fn a_peek_receives_up_to_ten_with_visibility_zero() {
    let mut h = loaded("sandbox/dev").await;
    h.detail_of("audit").await;
    let jobs = h.char('p');
    let payload = h.run(jobs.into_iter().next().unwrap()).await;
    assert_eq!(h.calls(), ["ReceiveMessage audit max=10 visibility=0"]);
    let Message::Peeked { url: peeked, result } = &payload else { panic!("{payload:?}") };
    assert_eq!(*peeked, url("audit"));
    assert_eq!(result.as_ref().unwrap().len(), 10);
    h.result(Ok(payload));
    assert_eq!(h.sqs.visible("audit"), 12, "a peek takes nothing away");

    // j/k move within the messages, and stop at the ends.
    for _ in 0..12 {
        h.char('j');
    }
    assert!(matches!(h.panel.view, View::Peek { selected: 9, .. }));
    h.char('k');
    assert!(matches!(h.panel.view, View::Peek { selected: 8, .. }));
    let screen = h.screen();
    assert!(screen.contains("a-9"), "{screen}");

    // A late result of another queue's peek is ignored.
    h.feed(Message::Peeked { url: url("orders"), result: Ok(vec![]) });
    assert!(matches!(&h.panel.view, View::Peek { messages: Some(Ok(found)), .. } if found.len() == 10));
}
