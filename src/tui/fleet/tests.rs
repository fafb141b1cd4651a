//! Marks and the fleet view through `update`: keys in, effects out; the fleet's jobs run
//! against an in-memory SQS per account and their answers are fed back as the executor would.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::Semaphore;

use crate::domain::credentials::Credentials;
use crate::domain::inventory::{Inventory, RoleKey};
use crate::domain::sqs::Sqs;
use crate::test_support::{FakeQueue, FakeSqs, FakeSts, line_with, text_of};

use super::view::{ACCOUNTS_AT_ONCE, FleetRow};
use crate::domain::cloudwatch::fake::FakeCloudWatch;
use crate::domain::cloudwatch::{AlarmState, CloudWatch, CloudWatchService};
use crate::domain::sqs::SqsService;
use crate::domain::sts::StsService;
use crate::tui::action::Action;
use crate::tui::effect::{Effect, RenewMode};
use crate::tui::panels::sqs::{SqsCommand, View};
use crate::tui::panels::{NoSession, PanelId, PanelMessage, Progress, Services};
use crate::tui::state::State;
use crate::tui::update::update;

/// `accounts` accounts (acct-00, acct-01, ...), each with an `admin` and a `viewer` role.
fn state(accounts: usize) -> State {
    let mut text =
        String::from("[sources.hub]\nprofile = \"hub\"\nmfa_serial = \"arn:aws:iam::123456789012:mfa/alice\"\n");
    for account in 0..accounts {
        let _ = write!(
            text,
            "[[accounts]]\nname = \"acct-{account:02}\"\nid = \"{:012}\"\n",
            100_000_000_000u64 + account as u64
        );
        for role in ["admin", "viewer"] {
            let _ = write!(
                text,
                "  [[accounts.roles]]\n  name = \"{role}\"\n  role_name = \"R\"\n  source = \"hub\"\n  mfa = true\n"
            );
        }
    }
    let inventory = Inventory::parse(Path::new("accounts.toml"), &text).unwrap();
    let now: Timestamp = "2026-11-21T09:00:00Z".parse().unwrap();
    let mut state = State::new(crate::tui::rows(&inventory), now, Duration::from_secs(300));
    state.last_status_load = Some(now);
    state
}

fn role(address: &str) -> RoleKey {
    address.parse().unwrap()
}

fn press(state: &mut State, code: KeyCode) -> Vec<Effect> {
    update(state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(state: &mut State, text: &str) {
    for c in text.chars() {
        press(state, KeyCode::Char(c));
    }
}

fn screen(state: &State, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| crate::tui::render::render(frame, state)).unwrap();
    text_of(terminal.backend().buffer())
}

#[test]
fn space_marks_and_unmarks_the_selected_role_and_the_header_counts_marks() {
    let mut state = state(3);
    state.list.selected = Some(role("acct-01/viewer"));
    press(&mut state, KeyCode::Char(' '));
    assert_eq!(state.list.marks.iter().cloned().collect::<Vec<_>>(), vec![role("acct-01/viewer")]);
    press(&mut state, KeyCode::Down);
    press(&mut state, KeyCode::Char(' '));
    assert_eq!(state.list.marks.len(), 2);
    let shown = screen(&state, 100, 20);
    assert!(line_with(&shown, "switchboard").contains("2 marked"), "{shown}");
    assert!(line_with(&shown, "● viewer").contains("●"), "the marked row shows its mark:\n{shown}");
    press(&mut state, KeyCode::Char(' '));
    assert_eq!(state.list.marks.len(), 1, "space again unmarks");
    assert!(!screen(&state, 100, 20).contains("2 marked"));
}

#[test]
fn star_marks_what_the_filter_shows_and_again_unmarks_it() {
    let mut state = state(4);
    state.list.marks.insert(role("acct-00/admin"));
    press(&mut state, KeyCode::Char('/'));
    typed(&mut state, "viewer");
    press(&mut state, KeyCode::Enter);
    press(&mut state, KeyCode::Char('*'));
    let viewers: Vec<RoleKey> = (0..4).map(|n| role(&format!("acct-{n:02}/viewer"))).collect();
    assert_eq!(state.list.marks.len(), 5);
    assert!(viewers.iter().all(|viewer| state.list.marks.contains(viewer)));
    press(&mut state, KeyCode::Char('*'));
    assert_eq!(
        state.list.marks.iter().cloned().collect::<Vec<_>>(),
        vec![role("acct-00/admin")],
        "only the shown ones"
    );
    // Esc clears the filter first, then the marks.
    press(&mut state, KeyCode::Esc);
    assert!(state.list.filter.text.is_empty() && state.list.marks.len() == 1);
    press(&mut state, KeyCode::Esc);
    assert!(state.list.marks.is_empty());
}

#[test]
fn refresh_with_marks_renews_every_marked_role_once() {
    let mut state = state(3);
    for address in ["acct-00/admin", "acct-01/viewer", "acct-02/admin"] {
        state.list.marks.insert(role(address));
    }
    let effects = press(&mut state, KeyCode::Char('r'));
    let mut renewed: Vec<(RoleKey, RenewMode)> = effects
        .iter()
        .map(|effect| match effect {
            Effect::Renew { role, mode, .. } => (role.clone(), *mode),
            other => panic!("expected renewals only, got {other:?}"),
        })
        .collect();
    renewed.sort_by(|a, b| a.0.cmp(&b.0));
    let expected: Vec<(RoleKey, RenewMode)> =
        ["acct-00/admin", "acct-01/viewer", "acct-02/admin"].iter().map(|a| (role(a), RenewMode::Force)).collect();
    assert_eq!(renewed, expected);
}

/// The queues of an account: `work`, and `work-dlq` (its dead-letter queue) with `failed` messages.
fn account_sqs(account_id: &str, failed: u64) -> FakeSqs {
    let bare = FakeSqs::new(account_id, "us-east-1", Vec::new());
    let mut work = FakeQueue { backlog: 7, ..FakeQueue::named("work") };
    work.attributes.push(bare.redrive_to("work-dlq", 3));
    FakeSqs::new(account_id, "us-east-1", vec![work, FakeQueue { backlog: failed, ..FakeQueue::named("work-dlq") }])
}

/// Runs every panel job against its role's SQS and feeds the answers back, until none is left.
/// Returns how many accounts had work out at most at once.
async fn settle(state: &mut State, effects: Vec<Effect>, sqs: &HashMap<String, Arc<FakeSqs>>) -> usize {
    settle_with(state, effects, sqs, &HashMap::new()).await
}

/// `settle`, with the CloudWatch alarms of some accounts (the others have none).
async fn settle_with(
    state: &mut State,
    mut effects: Vec<Effect>,
    sqs: &HashMap<String, Arc<FakeSqs>>,
    alarms: &HashMap<String, Arc<FakeCloudWatch>>,
) -> usize {
    let mut most_at_once = 0;
    while !effects.is_empty() {
        let mut accounts: Vec<&str> = effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::Panel { role, .. } => Some(role.account.as_str()),
                _ => None,
            })
            .collect();
        accounts.dedup();
        most_at_once =
            most_at_once.max(state.fleet().map_or(0, |fleet| fleet.accounts.iter().filter(|a| a.busy()).count()));
        let mut next = Vec::new();
        for effect in effects {
            let Effect::Panel { role, view, job } = effect else { continue };
            let fake = Arc::clone(&sqs[role.account.as_str()]);
            let credentials = Credentials::new("ASIATEST", "secret", Some("token".to_owned()), None);
            let mut services = Services::builder(role.clone(), credentials, "us-east-1")
                .with::<SqsService>(fake as Arc<dyn Sqs>)
                .with::<StsService>(Arc::new(FakeSts::refusing()))
                .slots(Arc::new(Semaphore::new(4)));
            if let Some(cloudwatch) = alarms.get(role.account.as_str()) {
                services = services.with::<CloudWatchService>(Arc::clone(cloudwatch) as Arc<dyn CloudWatch>);
            }
            let services = services.offline().build();
            let progress: Progress<PanelMessage> = Arc::new(|_| {});
            let message = job.run(Arc::new(services), progress).await;
            next.extend(update(state, view.answer(&role, message)));
        }
        effects = next;
    }
    most_at_once
}

fn fleet_of(accounts: usize) -> (State, HashMap<String, Arc<FakeSqs>>) {
    let mut state = state(accounts);
    let mut sqs = HashMap::new();
    for n in 0..accounts {
        state.list.marks.insert(role(&format!("acct-{n:02}/viewer")));
        let id = format!("{:012}", 100_000_000_000u64 + n as u64);
        sqs.insert(format!("acct-{n:02}"), Arc::new(account_sqs(&id, n as u64)));
    }
    (state, sqs)
}

#[tokio::test]
async fn enter_with_marks_lists_every_marked_account_a_few_at_a_time_dead_letters_first() {
    let (mut state, sqs) = fleet_of(6);
    let effects = press(&mut state, KeyCode::Enter);
    assert!(state.account().is_none() && state.fleet().is_some(), "Enter with marks opens the fleet, not one account");
    // Each account's panels in the fleet start at once: count the accounts.
    let first: std::collections::BTreeSet<&RoleKey> = effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Panel { role, .. } => Some(role),
            _ => None,
        })
        .collect();
    assert_eq!(first.len(), ACCOUNTS_AT_ONCE, "only a few accounts list at once: {first:?}");
    let most = settle(&mut state, effects, &sqs).await;
    assert!(most <= ACCOUNTS_AT_ONCE, "{most} accounts worked at once");
    let fleet = state.fleet().unwrap();
    assert_eq!(fleet.queue_count(), 12);
    let order: Vec<String> = fleet
        .rows()
        .iter()
        .map(|row| match row {
            FleetRow::Queue { account, queue, .. } => {
                format!("{} {}", fleet.accounts[*account].role, queue.summary.name)
            }
            FleetRow::Failed { error, .. } => error.to_string(),
            FleetRow::Fire { fire, .. } => fire.name.clone(),
        })
        .collect();
    assert_eq!(order[..3], ["acct-05/viewer work-dlq", "acct-04/viewer work-dlq", "acct-03/viewer work-dlq"]);
    let shown = screen(&state, 120, 30);
    assert!(line_with(&shown, "acct-05/viewer").contains("work-dlq"), "{shown}");
    assert!(shown.contains("6 roles · 12 queues · sort: DLQ depth"), "{shown}");
}

#[tokio::test]
async fn enter_on_a_fleet_row_opens_the_queue_in_its_own_account_and_esc_comes_back() {
    let (mut state, sqs) = fleet_of(3);
    let effects = press(&mut state, KeyCode::Enter);
    settle(&mut state, effects, &sqs).await;
    press(&mut state, KeyCode::Down); // acct-01's DLQ, after acct-02's
    let effects = press(&mut state, KeyCode::Enter);
    let view = state.account().expect("the account's panels are open");
    assert_eq!(view.role, role("acct-01/viewer"));
    let View::Detail { url, .. } = &view.panels.sqs.view else { panic!("not the detail: {:?}", view.panels.sqs.view) };
    assert_eq!(url, &sqs["acct-01"].url("work-dlq"));
    assert!(effects.iter().all(|effect| matches!(effect, Effect::Panel { role, .. } if *role == view.role)));
    press(&mut state, KeyCode::Esc); // the detail back to the account's list
    press(&mut state, KeyCode::Esc); // the account back to the fleet
    assert!(state.account().is_none() && state.fleet().is_some());
    press(&mut state, KeyCode::Esc);
    assert!(state.fleet().is_none(), "Esc leaves the fleet for the roles");
    assert_eq!(state.list.marks.len(), 3, "and the marks stay");
}

#[tokio::test]
async fn fleet_sorts_like_the_account_panel() {
    let (mut state, sqs) = fleet_of(3);
    let effects = press(&mut state, KeyCode::Enter);
    settle(&mut state, effects, &sqs).await;
    let sort_key = state.keymaps.panel::<SqsCommand>().keys_of(SqsCommand::SortByName);
    let key = sort_key.split(' ').next().unwrap().chars().next().unwrap();
    press(&mut state, KeyCode::Char(key));
    let fleet = state.fleet().unwrap();
    let names: Vec<&str> = fleet
        .rows()
        .iter()
        .filter_map(|row| match row {
            FleetRow::Queue { queue, .. } => Some(queue.summary.name.as_str()),
            FleetRow::Failed { .. } | FleetRow::Fire { .. } => None,
        })
        .collect();
    assert_eq!(names, ["work", "work", "work", "work-dlq", "work-dlq", "work-dlq"]);
}

#[tokio::test]
async fn an_account_without_a_session_gets_a_row_saying_why_and_the_others_still_list() {
    let (mut state, sqs) = fleet_of(2);
    let effects = press(&mut state, KeyCode::Enter);
    let view = state.fleet().unwrap().id;
    let (refused, others): (Vec<Effect>, Vec<Effect>) = effects
        .into_iter()
        .partition(|effect| matches!(effect, Effect::Panel { role, .. } if role.account == "acct-00"));
    for effect in refused {
        let Effect::Panel { role, job, .. } = effect else { continue };
        let message = job.without_session(NoSession::Failed(format!("{role}: AccessDenied")));
        update(&mut state, Action::FleetResult { view, role, message });
    }
    settle(&mut state, others, &sqs).await;
    let fleet = state.fleet().unwrap();
    let rows = fleet.rows();
    assert!(
        matches!(rows.first(), Some(FleetRow::Failed { account: 0, error }) if error.contains("AccessDenied")),
        "{rows:?}"
    );
    assert_eq!(fleet.queue_count(), 2, "acct-01's queues are listed");
    assert!(screen(&state, 120, 20).contains("acct-00/viewer: AccessDenied"));
}

#[tokio::test]
async fn the_selected_queue_stays_selected_when_a_new_sort_moves_it() {
    let (mut state, sqs) = fleet_of(3);
    let effects = press(&mut state, KeyCode::Enter);
    settle(&mut state, effects, &sqs).await;
    press(&mut state, KeyCode::Down);
    let selected = |state: &State| {
        let fleet = state.fleet().unwrap();
        let rows = fleet.rows();
        match &rows[fleet.place(&rows)] {
            FleetRow::Queue { account, queue, .. } => {
                format!("{} {}", fleet.accounts[*account].role, queue.summary.name)
            }
            FleetRow::Failed { .. } | FleetRow::Fire { .. } => String::new(),
        }
    };
    assert_eq!(selected(&state), "acct-01/viewer work-dlq");
    let by_name = state.keymaps.panel::<SqsCommand>().keys_of(SqsCommand::SortByName);
    press(&mut state, KeyCode::Char(by_name.chars().next().unwrap()));
    assert_eq!(selected(&state), "acct-01/viewer work-dlq", "the same queue, at its new place");
}

#[tokio::test]
async fn an_alarm_in_alarm_tops_the_fleet_and_enter_opens_its_account_on_the_alarms() {
    let (mut state, sqs) = fleet_of(3);
    let deep = FakeCloudWatch::alarm("work-dlq-depth", AlarmState::Alarm, "Threshold Crossed: 7 > 0");
    let fine = FakeCloudWatch::alarm("work-age", AlarmState::Ok, "fine");
    let alarms = HashMap::from([("acct-01".to_owned(), Arc::new(FakeCloudWatch::new(vec![deep, fine])))]);
    let effects = press(&mut state, KeyCode::Enter);
    settle_with(&mut state, effects, &sqs, &alarms).await;
    let fleet = state.fleet().unwrap();
    let rows = fleet.rows();
    assert!(
        matches!(&rows[0], FleetRow::Fire { account: 1, panel: PanelId::Alarms, fire } if fire.name == "work-dlq-depth"),
        "the alarm in ALARM first, above the dead-letter queues: {rows:?}"
    );
    assert_eq!(rows.iter().filter(|row| matches!(row, FleetRow::Fire { .. })).count(), 1, "only alarms in ALARM");
    let shown = screen(&state, 120, 20);
    assert!(line_with(&shown, "work-dlq-depth").contains("Threshold Crossed: 7 > 0"), "{shown}");
    assert!(shown.contains("3 roles · 1 on fire · 6 queues"), "{shown}");

    // Enter on it: acct-01's panels, on the alarms, which read the account's alarms.
    let effects = press(&mut state, KeyCode::Enter);
    let view = state.account().expect("the account's panels are open");
    assert_eq!((view.role.clone(), view.active), (role("acct-01/viewer"), PanelId::Alarms));
    assert_eq!(effects.len(), 1, "the alarms panel reads: {effects:?}");
    settle_with(&mut state, effects, &sqs, &alarms).await;
    assert!(screen(&state, 120, 20).contains("2 alarms · 1 in ALARM"), "{}", screen(&state, 120, 20));
    press(&mut state, KeyCode::Esc);
    assert!(state.account().is_none() && state.fleet().is_some(), "Esc: back to the fleet");
}
