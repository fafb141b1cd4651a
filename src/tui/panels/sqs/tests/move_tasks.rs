//! Redrive by move task: its status followed to the end, `c` cancelling it, a FAILED task with
//! its reason, and the copy taken only on an unknown-operation answer.

use super::support::*;

/// The redrive of orders-dlq back to orders confirmed; its job returned.
fn confirmed_redrive(h: &mut Harness) -> Job<Message> {
    h.char('m');
    h.key(KeyCode::Enter);
    h.typed("orders-dlq");
    let mut jobs = h.key(KeyCode::Enter);
    assert_eq!(jobs.len(), 1);
    jobs.remove(0)
}

fn audit_actions(h: &Harness) -> Vec<String> {
    h.panel.audit.recent("sandbox", 50).unwrap().into_iter().map(|entry| entry.action).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_move_task_shows_its_progress_and_c_cancels_it() {
    let sqs = standard_sqs();
    sqs.offer_move_tasks();
    sqs.script_move_task(vec![FakeSqs::move_step(MoveStatus::Running, 4, 10, None)]);
    let mut h = harness_with("sandbox/dev", sqs);
    h.panel.move_poll_every = Duration::from_millis(5);
    let jobs = h.open();
    h.settle(jobs).await;
    h.detail_of("orders-dlq").await;
    let job = confirmed_redrive(&mut h);

    let (sender, mut steps) = tokio::sync::mpsc::unbounded_channel();
    let progress: Progress<Message> = Arc::new(move |message| drop(sender.send(message)));
    let running = tokio::spawn(job.run(Arc::clone(&h.services), progress));
    let started = steps.recv().await.unwrap();
    assert!(matches!(&started, Message::MoveStarted { handle } if handle == "task-1"), "{started:?}");
    h.feed(started);
    let status = steps.recv().await.unwrap();
    assert!(matches!(&status, Message::MoveStatus(task) if task.moved == 4), "{status:?}");
    h.feed(status);
    let screen = h.screen();
    assert!(screen.contains("RUNNING · 4 of 10 moved"), "{screen}");
    assert!(screen.contains("SQS move task"), "{screen}");
    assert_eq!(h.panel.hints(), "c cancel the move task");

    let cancel = h.char('c');
    assert_eq!(cancel.len(), 1);
    assert!(h.char('c').is_empty(), "asked once");
    h.settle(cancel).await;
    assert_eq!(h.notice().0, "cancel asked; 4 messages were moved before it");

    let done = running.await.unwrap();
    while let Ok(step) = steps.try_recv() {
        h.feed(step);
    }
    h.feed(done);
    let View::Redrive(redrive) = &h.panel.view else { panic!("{:?}", h.panel.view) };
    assert_eq!(redrive.task.as_ref().map(|task| task.status), Some(MoveStatus::Cancelled));
    assert!(h.screen().contains("the move task ended CANCELLED: 4 moved"), "{}", h.screen());
    assert!(h.calls().contains(&"CancelMessageMoveTask task-1".to_owned()));
    // The cancel and the CANCELLING status are recorded by two tasks: their order may vary.
    let mut actions = audit_actions(&h);
    assert_eq!(
        (actions.first().map(String::as_str), actions.last().map(String::as_str)),
        (Some("redrive-start"), Some("redrive-end"))
    );
    actions.sort();
    assert_eq!(actions, ["move-cancel", "redrive-end", "redrive-progress", "redrive-progress", "redrive-start"]);
    let trail = h.panel.audit.recent("sandbox", 10).unwrap();
    let end = trail.last().unwrap();
    assert_eq!((end.ok, end.count), (true, 4));
    assert!(end.detail.as_deref().unwrap().contains("the move task task-1 ended CANCELLED"), "{end:?}");
}

#[tokio::test]
async fn a_failed_move_task_is_shown_with_its_reason() {
    let sqs = standard_sqs();
    sqs.offer_move_tasks();
    let reason = "AWS.SimpleQueueService.NonExistentQueue: the destination was deleted";
    sqs.script_move_task(vec![
        FakeSqs::move_step(MoveStatus::Running, 3, 10, None),
        FakeSqs::move_step(MoveStatus::Failed, 3, 10, Some(reason)),
    ]);
    let mut h = harness_with("sandbox/dev", sqs);
    let jobs = h.open();
    h.settle(jobs).await;
    h.detail_of("orders-dlq").await;
    let job = confirmed_redrive(&mut h);
    h.settle(vec![job]).await;
    h.feed_progress();
    let screen = h.screen();
    assert!(screen.contains("FAILED · 3 of 10 moved"), "{screen}");
    assert!(screen.contains(&format!("the move task FAILED: {reason}")), "{screen}");
    let trail = h.panel.audit.recent("sandbox", 10).unwrap();
    let actions: Vec<&str> = trail.iter().map(|entry| entry.action.as_str()).collect();
    assert_eq!(actions, ["redrive-start", "redrive-progress", "redrive-end"]);
    let end = trail.last().unwrap();
    assert_eq!((end.count, end.queue.as_str(), end.ok), (3, "orders-dlq", false));
    assert!(end.detail.as_deref().unwrap().ends_with(reason), "{end:?}");
}

#[tokio::test]
async fn only_an_unknown_operation_answer_turns_into_the_copy() {
    let refusals = [
        SqsError::Service {
            action: "StartMessageMoveTask",
            code: "ThrottlingException".into(),
            message: "slow down".into(),
        },
        SqsError::AccessDenied { action: "StartMessageMoveTask", message: "not authorized".into() },
    ];
    for refusal in refusals {
        let shown = refusal.to_string();
        let sqs = standard_sqs();
        sqs.fail_move_start(refusal);
        let mut h = harness_with("sandbox/dev", sqs);
        let jobs = h.open();
        h.settle(jobs).await;
        h.detail_of("orders-dlq").await;
        let job = confirmed_redrive(&mut h);
        h.settle(vec![job]).await;
        let View::Redrive(redrive) = &h.panel.view else { panic!("{:?}", h.panel.view) };
        assert_eq!(redrive.result.as_ref().unwrap().as_ref().unwrap_err(), &format!("sandbox/dev: {shown}"));
        assert_eq!(h.calls().iter().filter(|call| call.starts_with("SendMessage")).count(), 0, "{shown}: no copy");
        assert_eq!(h.sqs.visible("orders-dlq"), 2);
    }

    // The endpoint does not know the operation: the copy, and the panel says why.
    let mut h = loaded("sandbox/dev").await;
    h.sqs.set_in_flight("orders-dlq", 0);
    h.detail_of("orders-dlq").await;
    let job = confirmed_redrive(&mut h);
    h.settle(vec![job]).await;
    h.feed_progress();
    let View::Redrive(redrive) = &h.panel.view else { panic!("{:?}", h.panel.view) };
    assert!(redrive.note.as_ref().unwrap().contains("UnknownOperationException"), "{:?}", redrive.note);
    assert_eq!((h.sqs.visible("orders-dlq"), h.sqs.visible("orders")), (0, 5));
    assert_eq!(audit_actions(&h), ["redrive-start", "redrive-progress", "redrive-end"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_stops_a_copy_after_its_batch_and_nothing_is_lost() {
    let mut h = harness("sandbox/dev");
    let jobs = h.open();
    h.settle(jobs).await;
    h.detail_of("orders-dlq").await;
    let job = confirmed_redrive(&mut h);
    // Asked before the job runs: it stops before its first receive.
    assert!(h.char('c').is_empty());
    assert_eq!(h.notice().0, "stopping the copy after the current batch…");
    let done = h.run(job).await;
    h.feed_progress();
    h.feed(done);
    let View::Redrive(redrive) = &h.panel.view else { panic!("{:?}", h.panel.view) };
    let report = redrive.result.as_ref().unwrap().as_ref().unwrap();
    assert_eq!((report.moved, report.end), (0, Some(crate::domain::sqs::CopyEnd::Stopped)));
    assert_eq!(h.sqs.visible("orders-dlq"), 2, "nothing was lost");
    assert!(h.screen().contains("stopped as asked: 0 moved"), "{}", h.screen());
}
