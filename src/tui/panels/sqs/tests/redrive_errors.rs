//! Redrive, errors on screen, and the counts' refresh on tick.

use super::support::*;

// --- redrive ------------------------------------------------------------------------------

#[tokio::test]
async fn a_confirmed_redrive_moves_the_messages_and_shows_its_progress() {
    let mut h = loaded("sandbox/dev").await;
    // The copy waits for messages in flight to come back: none here.
    h.sqs.set_in_flight("orders-dlq", 0);
    h.detail_of("orders-dlq").await;
    assert!(h.char('m').is_empty());
    let View::RedrivePick { choices, sources: 1, selected: 0, .. } = &h.panel.view else {
        panic!("{:?}", h.panel.view)
    };
    assert_eq!(choices[0], url("orders"), "its source comes first");
    assert!(choices.len() > 1, "any other queue can be chosen");
    assert!(!choices.contains(&url("orders-dlq")));
    h.key(KeyCode::Enter);
    let View::Confirm { confirm, action: Pending::Redrive { source, destination, total }, .. } = &h.panel.view else {
        panic!("{:?}", h.panel.view)
    };
    assert_eq!(
        (source.url.as_str(), destination.url.as_str(), *total),
        (url("orders-dlq").as_str(), url("orders").as_str(), 2)
    );
    assert_eq!(confirm.prompt, "Move the 2 messages of orders-dlq back to orders? Type the DLQ's name to confirm.");
    assert_eq!(confirm.expected, "orders-dlq");

    h.typed("orders");
    assert!(h.key(KeyCode::Enter).is_empty(), "the source queue's name is not the DLQ's");
    h.typed("-dlq");
    let jobs = h.key(KeyCode::Enter);
    assert_eq!(jobs.len(), 1);
    let View::Redrive(redrive) = &h.panel.view else { panic!("{:?}", h.panel.view) };
    assert!(redrive.result.is_none());
    assert_eq!(
        (redrive.from.as_str(), redrive.to.as_str(), redrive.progress.moved, redrive.progress.total),
        ("orders-dlq", "orders", 0, 2)
    );
    assert_eq!(h.panel.hints(), "c stop the copy");
    // Keys do not leave a running redrive.
    assert!(h.key(KeyCode::Esc).is_empty());
    assert!(matches!(&h.panel.view, View::Redrive(redrive) if redrive.result.is_none()));

    let done = h.run(jobs.into_iter().next().unwrap()).await;
    assert_eq!(
        h.calls(),
        [
            "StartMessageMoveTask orders-dlq -> orders",
            "ReceiveMessage orders-dlq max=10 visibility=120",
            "SendMessageBatch orders 2",
            "DeleteMessageBatch orders-dlq 2",
            "ReceiveMessage orders-dlq max=10 visibility=120",
            "ReceiveMessage orders-dlq max=10 visibility=120",
            "ReceiveMessage orders-dlq max=10 visibility=120",
            "GetQueueAttributes orders-dlq",
        ],
        "an empty receive alone does not end the copy: the count is asked"
    );
    let steps = std::mem::take(&mut *h.progress.lock().unwrap());
    assert!(matches!(&steps[..], [Message::CopyNote(_), Message::RedriveStep(_)]), "{steps:?}");
    for step in steps {
        assert!(h.result(Ok(step)).is_empty());
    }
    let View::Redrive(redrive) = &h.panel.view else { panic!("{:?}", h.panel.view) };
    assert_eq!((redrive.progress.moved, redrive.result.is_none()), (2, true));
    let screen = h.screen();
    assert!(screen.contains("2 moved · 0 failed · of about 2"), "{screen}");
    assert!(screen.contains("copied by switchboard"), "{screen}");
    assert!(screen.contains("this endpoint has no message move tasks"), "{screen}");

    let recount = h.result(Ok(done));
    let View::Redrive(redrive) = &h.panel.view else { panic!("{:?}", h.panel.view) };
    let Some(Ok(report)) = &redrive.result else { panic!("{:?}", h.panel.view) };
    assert_eq!((report.method, report.moved, report.failed), (MoveMethod::Copy, 2, 0));
    assert!(!recount.is_empty(), "counts are asked again");
    assert!(h.screen().contains("done: 2 moved, 0 failed"), "{}", h.screen());
    assert_eq!(h.panel.hints(), "Enter back to the list");

    let jobs = h.key(KeyCode::Enter);
    assert!(matches!(h.panel.view, View::List));
    h.settle(recount).await;
    h.settle(jobs).await;
    assert_eq!((h.visible_count("orders-dlq"), h.visible_count("orders")), (Some(0), Some(5)));
}

#[tokio::test]
async fn a_redrive_by_move_task_and_a_refused_one() {
    let mut h = redriven_by_move_task().await;
    assert_eq!(
        h.calls()[..3],
        [
            "StartMessageMoveTask orders-dlq -> orders",
            "ListMessageMoveTasks orders-dlq",
            "ListMessageMoveTasks orders-dlq"
        ]
    );
    let View::Redrive(redrive) = &h.panel.view else { panic!("{:?}", h.panel.view) };
    let Some(Ok(report)) = &redrive.result else { panic!("{:?}", h.panel.view) };
    assert_eq!((report.method, report.task_handle.as_deref()), (MoveMethod::MoveTask, Some("task-1")));
    h.feed_progress();
    assert!(h.screen().contains("the move task ended COMPLETED: 2 moved"), "{}", h.screen());

    h.key(KeyCode::Enter);
    h.sqs.deny("StartMessageMoveTask");
    h.detail_of("orders-dlq").await;
    h.char('m');
    h.key(KeyCode::Enter);
    h.typed("orders-dlq");
    let jobs = h.key(KeyCode::Enter);
    h.settle(jobs).await;
    let View::Redrive(redrive) = &h.panel.view else { panic!("{:?}", h.panel.view) };
    let Some(Err(error)) = &redrive.result else { panic!("{:?}", h.panel.view) };
    assert!(error.starts_with("sandbox/dev: StartMessageMoveTask: access denied"), "{error}");
    assert_eq!(h.sqs.visible("orders-dlq"), 2, "nothing was copied after the refusal");
}

#[tokio::test]
async fn only_a_dead_letter_queue_with_a_source_here_can_be_redriven() {
    let mut h = loaded("sandbox/dev").await;
    h.detail_of("audit").await;
    assert!(h.char('m').is_empty());
    let (text, error) = h.notice();
    assert!(error);
    assert_eq!(text, "audit is not the dead-letter queue of any queue here: nothing to redrive to");
    assert!(matches!(h.panel.view, View::Detail { .. }));

    // Before its sources arrived, a DLQ cannot be redriven either.
    h.panel.view = View::List;
    h.select("orders-dlq");
    h.key(KeyCode::Enter);
    assert!(h.char('m').is_empty());
    assert!(h.notice().1);
    assert!(matches!(h.panel.view, View::Detail { sources: None, .. }));
}

// --- errors -------------------------------------------------------------------------------

#[tokio::test]
async fn errors_are_shown_with_the_role_and_the_action() {
    // A listing refused.
    let sqs = standard_sqs();
    sqs.deny("ListQueues");
    let mut h = harness_with("sandbox/dev", sqs);
    let jobs = h.open();
    h.settle(jobs).await;
    assert!(!h.panel.loading);
    let error = h.panel.list_error.clone().unwrap();
    assert_eq!(
        error,
        "sandbox/dev: ListQueues: access denied: User: arn:aws:sts::333333333333:assumed-role/Developer/switchboard-alice is not authorized to perform: sqs:ListQueues on resource: arn:aws:sqs:eu-west-1:333333333333:*; use a role that is allowed to, or ask for the permission"
    );
    let screen = h.screen();
    // Long errors wrap: each part is on screen.
    assert!(screen.contains("sandbox/dev: ListQueues: access denied: User:"), "{screen}");
    assert!(screen.contains("not authorized to perform: sqs:ListQueues"), "{screen}");
    assert!(screen.contains("the queues could not be listed"), "{screen}");
    assert!(h.tick().is_empty(), "nothing to count");

    // Counts refused: each row says so, the list stays.
    let sqs = standard_sqs();
    sqs.deny("GetQueueAttributes");
    let mut h = harness_with("sandbox/dev", sqs);
    let jobs = h.open();
    h.settle(jobs).await;
    assert_eq!(h.names().len(), 4);
    let row = h.row("orders");
    assert!(
        row.error.as_deref().unwrap().starts_with("sandbox/dev: GetQueueAttributes: access denied"),
        "{:?}",
        row.error
    );

    // A purge refused.
    let mut h = loaded("sandbox/dev").await;
    h.sqs.deny("PurgeQueue");
    h.detail_of("audit").await;
    h.char('P');
    h.typed("audit");
    let jobs = h.key(KeyCode::Enter);
    h.settle(jobs).await;
    let (text, error) = h.notice();
    assert!(error);
    assert_eq!(
        text,
        "sandbox/dev: PurgeQueue: access denied: User: arn:aws:sts::333333333333:assumed-role/Developer/switchboard-alice is not authorized to perform: sqs:PurgeQueue on resource: arn:aws:sqs:eu-west-1:333333333333:*; use a role that is allowed to, or ask for the permission"
    );
    assert!(h.screen().contains("sandbox/dev: PurgeQueue: access denied"), "{}", h.screen());
    assert_eq!(h.sqs.visible("audit"), 12);

    // A peek refused, and a detail's sources refused.
    h.sqs.deny("ReceiveMessage");
    h.sqs.deny("ListDeadLetterSourceQueues");
    h.detail_of("audit").await;
    assert!(
        matches!(&h.panel.view, View::Detail { sources: Some(Err(error)), .. } if error.starts_with("sandbox/dev: ListDeadLetterSourceQueues: access denied"))
    );
    let jobs = h.char('p');
    h.settle(jobs).await;
    let View::Peek { messages: Some(Err(error)), .. } = &h.panel.view else { panic!("{:?}", h.panel.view) };
    assert!(error.starts_with("sandbox/dev: ReceiveMessage: access denied"), "{error}");
    assert!(h.screen().contains("ReceiveMessage: access denied"), "{}", h.screen());

    // No session for the job at all.
    h.result(Err(needs_mfa()));
    assert_eq!(h.notice(), (needs_mfa().to_string(), true));
}

/// Known problem (left unfixed here): the list puts a row's count error after its six
/// columns, but the name column takes all the width the others leave, so the error always
/// starts past the right border and is cut off: a queue whose GetQueueAttributes failed only
/// shows "…" forever, with no reason anywhere on screen.
#[tokio::test]
async fn a_row_whose_counts_failed_says_why() {
    let sqs = standard_sqs();
    sqs.deny("GetQueueAttributes");
    let mut h = harness_with("sandbox/dev", sqs);
    let jobs = h.open();
    h.settle(jobs).await;
    let screen = h.screen();
    assert!(line_with(&screen, "│orders ").contains("access denied"), "{screen}");
}

// --- refresh on tick ----------------------------------------------------------------------

#[tokio::test]
async fn counts_refresh_on_tick_after_the_interval_only_while_browsing() {
    let mut h = loaded("sandbox/dev").await;
    assert_eq!(h.panel.counts_at, Some(now()));
    h.later(4);
    assert!(h.tick().is_empty(), "not due yet");
    h.later(1);
    let jobs = h.tick();
    assert_eq!(jobs.len(), 1);
    assert_eq!(h.panel.counts_at, Some(h.now));
    assert!(h.tick().is_empty(), "just counted");
    h.settle(jobs).await;
    assert_eq!(h.calls().len(), 4, "one GetQueueAttributes per queue");

    // In a detail: yes.
    h.detail_of("orders").await;
    h.later(5);
    assert_eq!(h.tick().len(), 1);

    // Peeking, sending, confirming, redriving: no (the counts would move under the operator).
    h.later(5);
    h.char('n');
    assert!(matches!(h.panel.view, View::Send(_)));
    assert!(h.tick().is_empty());
    h.key(KeyCode::Esc);
    h.char('P');
    assert!(h.tick().is_empty());
    h.key(KeyCode::Esc);
    h.char('p');
    assert!(matches!(h.panel.view, View::PeekWarning { .. }));
    assert!(h.tick().is_empty());
    h.char('y');
    assert!(h.tick().is_empty());

    // Back in the list it catches up.
    h.key(KeyCode::Esc);
    h.key(KeyCode::Esc);
    assert!(matches!(h.panel.view, View::List));
    assert_eq!(h.tick().len(), 1);

    // Not while a listing is on its way.
    h.later(5);
    let relist = h.char('r');
    h.later(5);
    assert!(h.tick().is_empty());
    h.settle(relist).await;
    h.later(5);
    assert_eq!(h.tick().len(), 1);

    // The interval is the context's.
    h.refresh_every = Duration::from_secs(60);
    h.later(30);
    assert!(h.tick().is_empty());
    h.later(30);
    assert_eq!(h.tick().len(), 1);
}

#[tokio::test]
async fn peeking_again_warns_when_the_messages_shown_are_one_receive_from_the_dlq() {
    let mut h = loaded("sandbox/dev").await;
    h.peeked("orders").await; // receive 1 of 3
    let jobs = h.char('r');
    assert_eq!(jobs.len(), 1, "after one receive, peeking again needs no warning");
    h.settle(jobs).await; // receive 2 of 3: the next one moves them
    assert!(h.char('r').is_empty(), "no receive before the operator agrees");
    let View::PeekWarning { at_risk, max_receive: 3, .. } = &h.panel.view else { panic!("{:?}", h.panel.view) };
    assert_eq!(*at_risk, 3);
    let screen = h.screen();
    assert!(screen.contains("3 of the messages shown have been received 2 times"), "{screen}");
    assert!(screen.contains("moves them to orders-dlq"), "{screen}");
    assert!(screen.contains(" before peeking again "), "{screen}");
    let jobs = h.char('y');
    assert_eq!(jobs.len(), 1, "y peeks anyway");
}

// --- defects fixed with the typed messages ------------------------------------------------

#[tokio::test]
async fn enter_in_the_redrive_picker_stays_and_says_why_when_it_cannot_ask_yet() {
    let mut h = loaded("sandbox/dev").await;
    h.detail_of("orders-dlq").await;
    h.char('m');
    assert!(matches!(h.panel.view, View::RedrivePick { selected: 0, .. }));

    // The chosen destination's attributes (its ARN) are not known.
    let destination = h.panel.queues.iter_mut().find(|row| row.summary.url == url("orders")).unwrap();
    destination.attributes = None;
    assert!(h.key(KeyCode::Enter).is_empty());
    assert!(matches!(h.panel.view, View::RedrivePick { selected: 0, .. }), "{:?}", h.panel.view);
    assert_eq!(h.notice(), ("that queue's attributes have not arrived yet".to_owned(), true));
    assert!(h.screen().contains("that queue's attributes have not arrived yet"), "{}", h.screen());

    // The DLQ itself left the list (a refresh while the picker was open).
    h.panel.queues.retain(|row| row.summary.url != url("orders-dlq"));
    h.key(KeyCode::Enter);
    assert!(matches!(h.panel.view, View::RedrivePick { .. }), "{:?}", h.panel.view);
    let (text, error) = h.notice();
    assert!(error && text.contains("no longer listed"), "{text}");

    // Esc still goes back.
    h.key(KeyCode::Esc);
    assert!(matches!(h.panel.view, View::Detail { .. }));
}

#[tokio::test]
async fn no_session_for_a_peek_shows_why_instead_of_receiving_forever() {
    let mut h = loaded("sandbox/dev").await;
    h.detail_of("audit").await;
    let jobs = h.char('p');
    assert_eq!(jobs.len(), 1);
    assert!(h.screen().contains("receiving…"));
    // The executor could not get a session: the job never ran, its answer is the reason.
    assert!(h.result(Err(needs_mfa())).is_empty());
    let View::Peek { messages: Some(Err(error)), .. } = &h.panel.view else { panic!("{:?}", h.panel.view) };
    assert_eq!(error, "sandbox/dev: the session needs an MFA code (mfa-device): press r to enter it");
    let screen = h.screen();
    assert!(!screen.contains("receiving…"), "{screen}");
    assert!(screen.contains("the session needs an MFA code"), "{screen}");
    // r goes to the screen first (it renews the role and may ask for the code: the operator
    // pressed it); the panel says so. The next r peeks again.
    assert!(matches!(h.press(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::NONE)), KeyOutcome::Ignored));
    assert!(h.notice().0.starts_with("renewing the session"), "{:?}", h.notice());
    let jobs = h.char('r');
    assert_eq!(jobs.len(), 1);
    h.settle(jobs).await;
    assert!(matches!(&h.panel.view, View::Peek { messages: Some(Ok(found)), .. } if found.len() == 10));
}

#[tokio::test]
async fn no_session_for_a_redrive_ends_its_progress_with_why() {
    let mut h = loaded("sandbox/dev").await;
    h.detail_of("orders-dlq").await;
    h.char('m');
    h.key(KeyCode::Enter);
    h.typed("orders-dlq");
    assert_eq!(h.key(KeyCode::Enter).len(), 1);
    h.result(Err(needs_mfa()));
    assert!(
        matches!(&h.panel.view, View::Redrive(redrive) if matches!(&redrive.result, Some(Err(error)) if error.contains("MFA code"))),
        "{:?}",
        h.panel.view
    );
    assert_eq!(h.panel.hints(), "Enter back to the list");
    assert_eq!(h.sqs.visible("orders-dlq"), 2, "nothing moved");
}

/// What the executor answers when the role's session needs a code a job may not ask for.
fn needs_mfa() -> NoSession {
    NoSession::NeedsMfa { role: "sandbox/dev".parse().unwrap(), device: "mfa-device".to_owned() }
}
