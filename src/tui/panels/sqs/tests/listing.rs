//! The queue list: listing, counts, filter and sort.

use super::support::*;

// --- listing and counts -------------------------------------------------------------------

#[tokio::test]
async fn the_list_is_usable_before_its_counts_arrive() {
    let mut h = harness("sandbox/dev");
    let jobs = h.open();
    assert_eq!(jobs.len(), 1);
    assert!(h.panel.loading);
    assert_eq!(h.panel.counts_at, Some(now()));
    assert!(h.screen().contains("listing queues…"), "{}", h.screen());
    assert!(h.open().is_empty(), "showing the panel again does not list again");

    let listed = h.run(jobs.into_iter().next().unwrap()).await;
    assert!(matches!(listed, Message::Listed { generation: 1, result: Ok(_) }), "{listed:?}");
    assert_eq!(h.calls(), ["ListQueues"]);
    let counts = h.result(Ok(listed));
    assert!(!h.panel.loading);
    assert_eq!(counts.len(), 1, "four queues' counts come in one batch");
    assert_eq!(h.names(), ["audit", "events.fifo", "orders", "orders-dlq"]);
    assert!(h.panel.queues.iter().all(|row| row.attributes.is_none()));
    let screen = h.screen();
    assert!(screen.contains(" queues (4)"), "{screen}");
    for name in ["│audit ", "│events.fifo ", "│orders ", "│orders-dlq "] {
        assert!(line_with(&screen, name).contains('…'), "{name} has no placeholder:\n{screen}");
    }

    // Usable already: move, and open a detail.
    h.char('j');
    h.char('j');
    assert_eq!(h.panel.selected, 2);
    let detail = h.key(KeyCode::Enter);
    assert!(matches!(&h.panel.view, View::Detail { url: shown, sources: None } if *shown == url("orders")));
    assert!(h.screen().contains("attributes are on their way…"));
    assert_eq!(detail.len(), 1);

    let more = h.run_all(counts).await;
    assert!(more.is_empty());
    let mut calls = h.calls();
    calls.sort();
    assert_eq!(
        calls,
        [
            "GetQueueAttributes audit",
            "GetQueueAttributes events.fifo",
            "GetQueueAttributes orders",
            "GetQueueAttributes orders-dlq"
        ]
    );
    assert_eq!(h.visible_count("audit"), Some(12));
    assert_eq!(h.visible_count("orders"), Some(3));
    h.key(KeyCode::Esc);
    let screen = h.screen();
    let audit = line_with(&screen, "│audit ");
    assert!(audit.contains("12") && !audit.contains('…'), "{screen}");
}

#[tokio::test]
async fn a_listing_from_an_older_generation_is_dropped() {
    let mut h = harness("sandbox/dev");
    let first = h.open();
    assert_eq!((first.len(), h.panel.generation), (1, 1));
    // Refresh before the first listing came back: only the second one counts.
    let second = h.char('r');
    assert_eq!(h.panel.generation, 2);

    let stale = h.feed(Message::Listed { generation: 1, result: Ok(vec![QueueSummary::from_url(&url("gone"))]) });
    assert!(stale.is_empty());
    assert!(h.panel.queues.is_empty());
    assert!(h.panel.loading, "still waiting for the current listing");
    let stale_error = h.feed(Message::Listed {
        generation: 1,
        result: Err(SqsError::Unreachable { action: "ListQueues", message: "old".into() }),
    });
    assert!(stale_error.is_empty());
    assert_eq!(h.panel.list_error, None);

    h.settle(second).await;
    assert_eq!(h.names(), ["audit", "events.fifo", "orders", "orders-dlq"]);
    assert_eq!(h.visible_count("audit"), Some(12));

    // Counts of an older generation are dropped too.
    let stale_counts = h.feed(Message::Counted { generation: 1, counts: vec![(url("audit"), Ok(attributes(99)))] });
    assert!(stale_counts.is_empty());
    assert_eq!(h.visible_count("audit"), Some(12));
    drop(first);
}

#[tokio::test]
async fn a_new_listing_keeps_the_counts_already_known() {
    let mut h = loaded("sandbox/dev").await;
    let jobs = h.char('r');
    assert_eq!(jobs.len(), 2, "a listing, and the known queues' counts right away");
    assert!(h.panel.loading);
    let list = jobs.into_iter().next().unwrap();
    let listed = h.run(list).await;
    h.result(Ok(listed));
    assert!(!h.panel.loading);
    assert_eq!(h.visible_count("orders"), Some(3), "counts stay until the new ones arrive");
}

// --- filter and sort ----------------------------------------------------------------------

#[tokio::test]
async fn the_filter_narrows_the_list_and_esc_clears_it() {
    let mut h = loaded("sandbox/dev").await;
    h.panel.selected = 3;
    h.char('/');
    assert!(h.panel.filtering);
    assert_eq!(h.panel.hints(), "type to filter · Enter keeps · Esc clears");
    // While filtering, letters are text, not commands ('r' would refresh).
    assert!(h.typed("ORDr").is_empty());
    assert_eq!(h.panel.filter, "ORDr");
    h.key(KeyCode::Backspace);
    assert_eq!(h.names(), ["orders", "orders-dlq"], "case-insensitive");
    assert_eq!(h.panel.selected, 0);
    assert!(h.screen().contains(" / ORD▏ "), "{}", h.screen());
    h.key(KeyCode::Enter);
    assert!(!h.panel.filtering);
    assert_eq!(h.names(), ["orders", "orders-dlq"]);

    // The selection indexes the filtered rows.
    h.char('j');
    h.key(KeyCode::Enter);
    assert!(matches!(&h.panel.view, View::Detail { url: shown, .. } if *shown == url("orders-dlq")));
    h.key(KeyCode::Esc);
    assert!(matches!(h.panel.view, View::List));
    assert_eq!(h.panel.filter, "ORD", "the filter outlives a look at a detail");

    h.typed("/zzz");
    h.key(KeyCode::Enter);
    assert!(h.names().is_empty());
    assert!(h.screen().contains("no queue matches the filter"));

    // Esc clears a kept filter; only then does it leave the panel.
    h.key(KeyCode::Esc);
    assert_eq!(h.panel.filter, "");
    assert_eq!(h.names().len(), 4);
    assert!(matches!(h.press(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)), KeyOutcome::Ignored));

    // Esc while typing drops the filter.
    h.typed("/aud");
    h.key(KeyCode::Esc);
    assert!(!h.panel.filtering);
    assert_eq!(h.names().len(), 4);
}

#[tokio::test]
async fn every_column_sorts_and_its_key_again_reverses() {
    let mut h = loaded("sandbox/dev").await;
    assert_eq!((h.panel.sort, h.panel.descending), (Column::Name, false));
    assert_eq!(h.names(), ["audit", "events.fifo", "orders", "orders-dlq"]);
    let cases: [(char, Column, [&str; 4]); 6] = [
        ('2', Column::Kind, ["audit", "orders", "orders-dlq", "events.fifo"]),
        // visible: audit 12, events 0, orders 3, orders-dlq 2
        ('3', Column::Visible, ["events.fifo", "orders-dlq", "orders", "audit"]),
        // in flight: audit 0, events 4, orders 1, orders-dlq 3
        ('4', Column::InFlight, ["audit", "orders", "orders-dlq", "events.fifo"]),
        // delayed: audit 2, events 0, orders 5, orders-dlq 1
        ('5', Column::Delayed, ["events.fifo", "orders-dlq", "audit", "orders"]),
        // DLQs first, then queues with a DLQ, then the rest by name
        ('6', Column::DeadLetter, ["orders-dlq", "orders", "audit", "events.fifo"]),
        ('1', Column::Name, ["audit", "events.fifo", "orders", "orders-dlq"]),
    ];
    for (digit, column, ascending) in cases {
        // A new column sorts ascending (Name is already the sort: its key reverses it first).
        if column == Column::Name {
            h.char('2');
        }
        h.char(digit);
        assert_eq!((h.panel.sort, h.panel.descending), (column, false), "{column:?}");
        assert_eq!(h.names(), ascending, "{column:?} ascending");
        h.char(digit);
        assert_eq!((h.panel.sort, h.panel.descending), (column, true), "{column:?}");
        let mut descending = ascending.to_vec();
        descending.reverse();
        assert_eq!(h.names(), descending, "{column:?} descending");
        let header = h.screen();
        assert!(header.contains('↓'), "the header marks the descending column:\n{header}");
        h.char(digit);
        assert!(!h.panel.descending, "{column:?}: a third press sorts ascending again");
    }
}

#[tokio::test]
async fn queues_without_counts_sort_before_counted_ones() {
    let mut h = loaded("sandbox/dev").await;
    h.panel.queues.iter_mut().find(|row| row.summary.name == "orders").unwrap().attributes = None;
    h.char('3');
    assert_eq!(h.names(), ["orders", "events.fifo", "orders-dlq", "audit"]);
}

#[tokio::test]
async fn the_hints_offer_the_commands_of_the_view_with_their_keys() {
    let mut h = loaded("sandbox/dev").await;
    assert_eq!(
        h.panel.hints(),
        "Enter detail · p peek · n send · P purge · / filter · 1-6 sort · r refresh · Tab panel · Esc back"
    );
    h.detail_of("audit").await;
    assert_eq!(h.panel.hints(), "p peek · n send · P purge · r refresh · Esc list", "no D or m for audit");
    h.detail_of("orders").await;
    assert_eq!(h.panel.hints(), "p peek · n send · P purge · D its DLQ · r refresh · Esc list");
    h.detail_of("orders-dlq").await;
    assert_eq!(h.panel.hints(), "p peek · n send · P purge · m redrive · r refresh · Esc list");
    h.peeked("audit").await;
    assert_eq!(h.panel.hints(), "j/k select · J/K scroll · x save · d delete · r peek again · Esc back");
    // Keys without a command in a list view are not the panel's: the screen may use them.
    h.panel.view = View::List;
    assert!(matches!(h.press(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)), KeyOutcome::Ignored));
    assert!(matches!(h.press(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE)), KeyOutcome::Ignored));
}

#[tokio::test]
async fn a_server_repeating_its_next_token_stops_the_listing_with_an_error() {
    let sqs = standard_sqs();
    sqs.repeat_next_token();
    let mut h = harness_with("sandbox/dev", sqs);
    let jobs = h.open();
    h.settle(jobs).await;
    let error = h.panel.list_error.clone().unwrap();
    assert!(error.contains("the same NextToken twice"), "{error}");
    let lists = h.calls().iter().filter(|call| call.starts_with("ListQueues")).count();
    assert_eq!(lists, 2, "the second answer with the same token ends it");
}
