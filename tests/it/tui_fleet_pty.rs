//! Marks and the fleet view end to end: the real binary in a pseudo-terminal, against moto.
//! Queues are seeded with the SDK in two accounts (prod 111111111111 and staging
//! 222222222222); then, through the screen only: filter the admins, mark them all with `*`,
//! refresh them with one MFA code (they share hub's MFA session), open the fleet view with
//! Enter, see every queue of both accounts sorted by dead-letter depth, and open the deepest
//! DLQ's detail in its own account's panels.

use aws_sdk_sqs::types::QueueAttributeName;

use crate::support;
use crate::support::pty::{Tui, footer, roles_are_shown, words};
use crate::support::{Sandbox, sqs_client_with};

/// Through `role`: `work` with a redrive policy to `work-dlq`, and `failed` messages in `work-dlq`.
fn seed(sandbox: &Sandbox, role: &str, work: &str, failed: usize) {
    let client = sqs_client_with(sandbox, role, &["--mfa-code", "123456"]);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dead_letter = format!("{work}-dlq");
        let dlq = client.create_queue().queue_name(&dead_letter).send().await.unwrap().queue_url().unwrap().to_owned();
        let arn = support::queue_arn(&client, &dlq).await;
        let policy = format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":"3"}}"#);
        client
            .create_queue()
            .queue_name(work)
            .attributes(QueueAttributeName::RedrivePolicy, policy)
            .send()
            .await
            .unwrap();
        for n in 0..failed {
            client.send_message().queue_url(&dlq).message_body(format!("failed {n}")).send().await.unwrap();
        }
    });
}

/// The words of the fleet table's row of `queue` listed through `role`, without the selection
/// marker: ROLE, QUEUE, VISIBLE, IN FLIGHT, DELAYED, then the DLQ column's words.
fn fleet_row(screen: &str, role: &str, queue: &str) -> Option<Vec<String>> {
    screen.lines().map(words).find_map(|words| {
        let cells: Vec<String> = words.into_iter().filter(|word| *word != "▸").map(str::to_owned).collect();
        (cells.len() >= 5 && cells[0] == role && cells[1] == queue).then_some(cells)
    })
}

fn is_valid(screen: &str, account_id: &str) -> bool {
    // Rows of the list: "admin  valid  59:5x ..." under each account's line.
    let mut lines = screen.lines().skip_while(|line| !line.contains(account_id));
    lines.nth(1).is_some_and(|line| line.contains("admin") && line.contains("valid"))
}

#[test]
fn mark_the_admins_refresh_them_with_one_code_and_browse_their_queues_in_the_fleet_view() {
    let sandbox = Sandbox::new();
    seed(&sandbox, "prod/viewer", "orders", 2);
    seed(&sandbox, "staging/admin", "builds", 3);
    let mut tui = Tui::start(&sandbox);
    tui.wait_for("the list of roles", roles_are_shown);

    // The three admins, one per account.
    tui.send("/admin");
    tui.wait_for("the filter being typed", |screen| footer(screen).contains("/ admin▏"));
    tui.send("\r");
    tui.wait_for("the filter to be kept", |screen| screen.contains("roles matching \"admin\" (3)"));
    tui.send("*");
    tui.wait_for("three marks", |screen| screen.contains("3 marked") && screen.matches("● admin").count() == 3);

    // r refreshes every marked role: they share hub's MFA session, so one modal, one code.
    tui.send("r");
    tui.wait_for("the MFA modal", |screen| screen.contains("MFA code"));
    tui.send("654321");
    tui.send("\r");
    let screen = tui.wait_for("every marked role renewed with the one code", |screen| {
        !screen.contains("MFA code")
            && ["111111111111", "222222222222", "333333333333"].iter().all(|id| is_valid(screen, id))
    });
    assert!(!screen.contains("needs MFA"), "no role waits for another code:\n{screen}");

    // Enter with marks: the fleet view, every queue of the marked roles with its counts,
    // the deepest dead-letter queue first.
    tui.send("\r");
    let screen = tui.wait_for("the fleet table with the counts of both accounts", |screen| {
        screen.contains("3 roles · 4 queues · sort: DLQ depth")
            && fleet_row(screen, "staging/admin", "builds-dlq").is_some_and(|row| row[2] == "3")
            && fleet_row(screen, "prod/admin", "orders-dlq").is_some_and(|row| row[2] == "2")
            && fleet_row(screen, "staging/admin", "builds")
                .is_some_and(|row| row[2] == "0" && row[5..] == ["→", "builds-dlq"])
            && fleet_row(screen, "prod/admin", "orders").is_some_and(|row| row[2] == "0")
    });
    let position = |queue: &str| screen.find(&format!(" {queue} ")).unwrap();
    assert!(position("builds-dlq") < position("orders-dlq"), "deepest DLQ first:\n{screen}");
    assert!(position("orders-dlq") < position("builds"), "dead-letter queues before the others:\n{screen}");
    assert!(screen.lines().any(|line| line.contains("▸ staging/admin")), "the first row is selected:\n{screen}");

    // Enter on the row: builds-dlq's detail in staging's panels, through staging/admin.
    tui.send("\r");
    tui.wait_for("builds-dlq's detail in staging's panels", |screen| {
        screen.contains(" staging ")
            && screen.contains("as admin")
            && screen.lines().any(|line| line.contains("/222222222222/builds-dlq"))
            && screen.lines().map(words).any(|words| words[..] == ["ApproximateNumberOfMessages", "3"])
    });

    // Esc: the detail to the account's list, then back to the fleet, then to the roles.
    tui.send("\x1b");
    tui.wait_for("staging's queue list", |screen| screen.contains(" queues (2)"));
    tui.send("\x1b");
    tui.wait_for("the fleet again", |screen| screen.contains("3 roles · 4 queues"));
    tui.send("\x1b");
    tui.wait_for("the roles, still marked", |screen| roles_are_shown(screen) && screen.contains("3 marked"));
    tui.send("q");
    assert!(tui.wait_for_exit().success());
}
