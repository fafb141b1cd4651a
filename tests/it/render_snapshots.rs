//! Snapshots of the interactive screen, rendered with ratatui's `TestBackend` from a state
//! built out of an inline inventory and a fixed `now`, so every countdown is reproducible.
//! Only the text of the buffer is snapshotted (colours and modifiers are not).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use switchboard::domain::exports::ExportFormat;
use switchboard::domain::inventory::{Inventory, RoleKey};
use switchboard::domain::mfa::seconds_to_next_code;
use switchboard::domain::sqs::{QueueAttributes, QueueSummary};
use switchboard::test_support::{line_with, text_of};
use switchboard::tui::base::mfa_reply::MfaReply;
use switchboard::tui::base::row::Activity;
use switchboard::tui::exports::ExportPopup;
use switchboard::tui::fleet::view::FleetView;
use switchboard::tui::list::SortOrder;
use switchboard::tui::mfa::MfaAsk;
use switchboard::tui::overlays::Overlay;
use switchboard::tui::panels::sqs::{QueueRow, SqsPanel};
use switchboard::tui::state::{Screen, State};

const INVENTORY: &str = include_str!("../fixtures/screen.toml");

const NOW: &str = "2026-11-21T09:00:00Z";
const HUB_MFA: &str = "arn:aws:iam::123456789012:mfa/alice";
const LEGACY_MFA: &str = "arn:aws:iam::123456789012:mfa/bob";
const FAILURE: &str = "AccessDenied: User arn:aws:iam::123456789012:user/alice is not authorized to perform sts:AssumeRole on resource arn:aws:iam::333333333333:role/PowerUser";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn key(address: &str) -> RoleKey {
    address.parse().unwrap()
}

/// `now` plus hours, minutes and seconds (negative for the past).
fn at(hours: i64, minutes: i64, seconds: i64) -> Timestamp {
    now().checked_add(SignedDuration::from_secs(hours * 3600 + minutes * 60 + seconds)).unwrap()
}

/// The screen's state: every session with a fixed expiry, the layers' expiries filled in as
/// `StatusLoaded` would (by layer id), and one role in each activity.
fn fixture() -> State {
    let inventory = Inventory::parse(Path::new("accounts.toml"), INVENTORY).unwrap();
    let rows = switchboard::tui::rows(&inventory);
    assert_eq!(rows.len(), 8);
    let mut state = State::new(rows, now(), inventory.defaults.refresh_before);

    let sessions: [(&str, Option<Timestamp>, Activity); 8] = [
        ("prod/admin", Some(at(0, 59, 12)), Activity::Idle),
        ("prod/viewer", Some(at(0, 3, 10)), Activity::Idle),
        ("prod/billing", None, Activity::NeedsMfa { device: LEGACY_MFA.to_owned() }),
        (
            "shared/deploy",
            Some(at(0, 42, 5)),
            Activity::Refreshing { request: 7, since: at(0, 0, 0).checked_sub(SignedDuration::from_secs(4)).unwrap() },
        ),
        ("shared/ci", Some(at(0, -5, 0)), Activity::Idle),
        ("shared/network", Some(at(11, 58, 3)), Activity::Idle),
        ("sandbox/dev", None, Activity::Idle),
        ("sandbox/poweruser", None, Activity::Failed { message: FAILURE.to_owned() }),
    ];
    // Each role's own layer expires with its session; hub's MFA session has its own expiry.
    let mut layer_expiry: HashMap<String, Timestamp> = HashMap::new();
    for (address, expires_at, activity) in sessions {
        let row = state.row_mut(&key(address)).unwrap();
        row.expires_at = expires_at;
        row.activity = activity;
        if let Some(until) = expires_at {
            layer_expiry.insert(row.layers.last().unwrap().id().to_owned(), until);
        }
        for layer in &row.layers {
            if layer.id().starts_with("mfa-session|hub|") {
                layer_expiry.insert(layer.id().to_owned(), at(11, 31, 40));
            }
        }
    }
    for row in &mut state.rows {
        for layer in &mut row.layers {
            if !layer.is_source() {
                layer.expires_at = layer_expiry.get(layer.id()).copied();
            }
        }
    }
    state.list.selected = Some(key("prod/admin"));
    state.backend = "keyring".to_owned();
    state
}

fn mfa_ask(problem: Option<&str>, reused: bool) -> MfaAsk {
    MfaAsk {
        device: HUB_MFA.to_owned(),
        roles: vec![key("shared/deploy"), key("prod/admin")],
        problem: problem.map(str::to_owned),
        reused,
        caller: None,
        reply: MfaReply::new(tokio::sync::oneshot::channel().0),
    }
}

fn render_buffer(state: &mut State, width: u16, height: u16) -> Buffer {
    state.size = (width, height);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| switchboard::tui::render::render(frame, state)).unwrap();
    terminal.backend().buffer().clone()
}

fn render(state: &mut State, width: u16, height: u16) -> String {
    text_of(&render_buffer(state, width, height))
}

#[test]
fn main_view_120x36() {
    let mut state = fixture();
    let screen = render(&mut state, 120, 36);
    insta::assert_snapshot!("main_view_120x36", screen);

    // The production account says so on its header line, and in the chain pane.
    assert!(line_with(&screen, "111111111111").contains("production"));
    // Every countdown sits on its own role's row.
    assert!(line_with(&screen, "▸ admin").contains("59:12"));
    assert!(line_with(&screen, "▸ admin").contains("valid"));
    assert!(line_with(&screen, "viewer").contains("3:10"));
    assert!(line_with(&screen, "viewer").contains("expiring"));
    assert!(line_with(&screen, "network").contains("11:58:03"));
    assert!(line_with(&screen, "│  ci ").contains("expired"));
    assert!(line_with(&screen, "billing").contains("needs MFA"));
    assert!(line_with(&screen, "deploy").contains("refreshing"));
    assert!(line_with(&screen, "deploy").contains("refreshing …4s"), "a refresh shows how long it has waited");
    assert!(line_with(&screen, "poweruser").contains("error"));
    assert!(line_with(&screen, "  dev ").contains("none"));
    // The chain pane: the MFA session's and the role's own countdowns.
    assert!(screen.contains("MFA session  11:31:40"), "{screen}");
    assert!(screen.contains("assume role  59:12"), "{screen}");
    assert!(screen.contains("no expiry"), "{screen}");
}

#[test]
fn main_view_without_chain_100x30() {
    let mut state = fixture();
    state.list.show_chain = false;
    let screen = render(&mut state, 100, 30);
    insta::assert_snapshot!("main_view_without_chain_100x30", screen);
    assert!(!screen.contains(" chain "));
    assert!(line_with(&screen, "▸ admin").contains("59:12"));
}

#[test]
fn chain_view_narrow_80x30() {
    let mut state = fixture();
    state.list.selected = Some(key("shared/deploy"));
    let screen = render(&mut state, 80, 30);
    insta::assert_snapshot!("chain_view_narrow_80x30", screen);
    assert!(screen.contains(" chain "));
    assert!(line_with(&screen, "shared/deploy").contains("shared-services"));
    assert!(screen.contains("MFA session  11:31:40"), "{screen}");
}

/// Known problem (left unfixed here): below 110 columns the chain pane is a fixed 40% of the
/// height and does not scroll, so the long "why" sentences push the role's own layer (the
/// countdown that matters) out of sight, with nothing saying the pane is cut.
#[test]
fn narrow_chain_shows_the_roles_own_layer() {
    let mut state = fixture();
    state.list.selected = Some(key("shared/deploy"));
    for (width, height) in [(80, 30), (80, 24)] {
        let screen = render(&mut state, width, height);
        assert!(screen.contains("chained role  42:05"), "{width}x{height}:\n{screen}");
    }
}

/// Known problem (left unfixed here): the log overlay keeps as many entries as it has rows,
/// but entries wrap, so with long lines the newest entries fall below the bottom edge.
#[test]
fn log_shows_the_newest_entry_when_entries_wrap() {
    let mut state = fixture();
    state.overlay = Overlay::Log;
    state.log = (0..40).map(|n| format!("entry {n} {}", "x".repeat(150))).collect();
    let screen = render(&mut state, 120, 36);
    assert!(screen.contains("entry 39"), "{screen}");
}

#[test]
fn mfa_modal_120x36() {
    let mut state = fixture();
    state.mfa.asks.push(mfa_ask(None, false));
    state.mfa.input = "123".to_owned();
    let screen = render(&mut state, 120, 36);
    insta::assert_snapshot!("mfa_modal_120x36", screen);
    // Typed digits are masked.
    assert!(screen.contains("•••___"), "{screen}");
    assert!(!screen.contains("123___"));
    assert!(line_with(&screen, "unlocks").contains("prod/admin, shared/deploy"));
}

#[test]
fn mfa_modal_rejected_120x36() {
    let mut state = fixture();
    state.mfa.asks.push(mfa_ask(
        Some("AWS rejected the code: MultiFactorAuthentication failed with invalid MFA one time pass code."),
        false,
    ));
    let screen = render(&mut state, 120, 36);
    insta::assert_snapshot!("mfa_modal_rejected_120x36", screen);
    assert!(screen.contains("AWS rejected the code"));
    assert!(screen.contains("6 digits · Enter sends · Esc cancels"), "{screen}");
}

#[test]
fn mfa_modal_reused_120x36() {
    let mut state = fixture();
    state.mfa.asks.push(mfa_ask(Some("that code was already used"), true));
    let screen = render(&mut state, 120, 36);
    insta::assert_snapshot!("mfa_modal_reused_120x36", screen);
    assert_eq!(seconds_to_next_code(now()), 30);
    assert!(screen.contains("the next one comes in 30s"), "{screen}");

    // The wait is computed from `now`, not from a clock.
    state.now = now().checked_add(SignedDuration::from_secs(17)).unwrap();
    let later = render(&mut state, 120, 36);
    assert!(later.contains("the next one comes in 13s"), "{later}");
}

#[test]
fn export_popup_120x36() {
    let mut state = fixture();
    let fish = ExportFormat::all().iter().position(|format| *format == ExportFormat::Fish).unwrap();
    state.overlay = Overlay::Exports(ExportPopup { role: key("prod/admin"), selected: fish });
    let buffer = render_buffer(&mut state, 120, 36);
    let screen = text_of(&buffer);
    insta::assert_snapshot!("export_popup_120x36", screen);
    // The text cannot show it: the selected format is the reversed one.
    let (row, line) = screen.split('\n').enumerate().find(|(_, line)| line.contains(" fish ")).unwrap();
    let column = line.chars().position(|c| c == 'f').unwrap();
    let cell = &buffer[(column as u16, row as u16)];
    assert!(cell.modifier.contains(ratatui::style::Modifier::REVERSED), "fish is not highlighted");
    let (row, line) = screen.split('\n').enumerate().find(|(_, line)| line.contains(" bash ")).unwrap();
    let column = line.chars().position(|c| c == 'b').unwrap();
    assert!(!buffer[(column as u16, row as u16)].modifier.contains(ratatui::style::Modifier::REVERSED));
    assert!(screen.contains("set -gx AWS_ACCESS_KEY_ID"), "the fish preview is shown: {screen}");
    assert!(screen.contains("ASIA****************"), "{screen}");
    assert!(screen.contains("set -gx AWS_REGION 'eu-central-1'"), "{screen}");
    assert!(line_with(&screen, "AWS_CREDENTIAL_EXPIRATION").contains("2026-11-21T09"), "{screen}");
    // No secret-looking text: the state holds none, and the preview must not invent any.
    for secret in ["wJalrXUtnFEMI", "AKIA", "FwoGZXIvYXdzE"] {
        assert!(!screen.contains(secret), "{secret} on screen:\n{screen}");
    }
}

#[test]
fn help_120x36() {
    let mut state = fixture();
    state.overlay = Overlay::Help;
    let screen = render(&mut state, 120, 36);
    insta::assert_snapshot!("help_120x36", screen);
    assert!(screen.contains("refresh every expiring or expired role"));
    assert!(screen.contains("Esc closes"));
}

#[test]
fn filter_120x36() {
    let mut state = fixture();
    state.list.filter.text = "prod".to_owned();
    state.list.filter.editing = true;
    let screen = render(&mut state, 120, 36);
    insta::assert_snapshot!("filter_120x36", screen);
    assert!(screen.contains("roles matching \"prod\""), "{screen}");
    assert!(line_with(&screen, " / ").contains("prod▏"));
}

#[test]
fn small_60x15() {
    let mut state = fixture();
    let screen = render(&mut state, 60, 15);
    insta::assert_snapshot!("small_60x15", screen);
    assert!(line_with(&screen, "▸ admin").contains("59:12"));
}

#[test]
fn log_pane_120x36() {
    let mut state = fixture();
    state.overlay = Overlay::Log;
    state.log = vec![
        "09:00:00 INFO inventory accounts.toml · session cache: keyring".to_owned(),
        "09:00:01 INFO prod/admin: session valid until 2026-11-21T09:59:12Z".to_owned(),
        "09:00:02 WARN prod/billing: renewing needs an MFA code from arn:aws:iam::123456789012:mfa/bob".to_owned(),
        format!("09:00:03 ERROR sandbox/poweruser: {FAILURE}"),
    ];
    let screen = render(&mut state, 120, 36);
    insta::assert_snapshot!("log_pane_120x36", screen);
    assert!(screen.contains(" log (Esc closes) "));
    assert!(screen.contains("09:00:02 WARN prod/billing"));
}

#[test]
fn sorted_by_time_left_120x36() {
    let mut state = fixture();
    state.list.sort = SortOrder::TimeLeft;
    let screen = render(&mut state, 120, 36);
    insta::assert_snapshot!("sorted_by_time_left_120x36", screen);
    assert!(screen.contains("sort: time left"));
    // shared holds the soonest expiry (the expired ci), so it comes first, ci at its top.
    let shared = screen.find("222222222222").unwrap();
    let prod = screen.find("111111111111").unwrap();
    let sandbox = screen.find("333333333333").unwrap();
    assert!(shared < prod && prod < sandbox, "{screen}");
    let viewer = screen.find("viewer").unwrap();
    let admin = screen.find("▸ admin").unwrap();
    assert!(viewer < admin, "the expiring viewer comes before admin:\n{screen}");
}

/// Every overlay at every small size: rendering must never panic (and the buffer stays the
/// terminal's size).
#[test]
fn tiny_sizes_never_panic() {
    type Setup = fn(&mut State);
    let variants: Vec<(&str, Setup)> = vec![
        ("main", |_| {}),
        ("no chain", |state| state.list.show_chain = false),
        ("help", |state| state.overlay = Overlay::Help),
        ("log empty", |state| state.overlay = Overlay::Log),
        ("log", |state| {
            state.overlay = Overlay::Log;
            state.log = (0..50).map(|n| format!("line {n} {}", "x".repeat(n))).collect();
        }),
        ("exports", |state| state.overlay = Overlay::Exports(ExportPopup { role: key("prod/admin"), selected: 6 })),
        ("mfa", |state| {
            state.mfa.asks.push(mfa_ask(None, false));
            state.mfa.input = "123456".to_owned();
        }),
        ("mfa rejected", |state| state.mfa.asks.push(mfa_ask(Some(FAILURE), false))),
        ("mfa reused", |state| state.mfa.asks.push(mfa_ask(None, true))),
        ("filter", |state| {
            state.list.filter.text = "prod".to_owned();
            state.list.filter.editing = true;
        }),
        ("filter no match", |state| state.list.filter.text = "zzzzzz".to_owned()),
        ("chained selected", |state| state.list.selected = Some(key("shared/deploy"))),
        ("failed selected", |state| state.list.selected = Some(key("sandbox/poweruser"))),
        ("scrolled", |state| state.list.scroll = 9),
        ("no selection", |state| state.list.selected = None),
        ("sorted", |state| state.list.sort = SortOrder::TimeLeft),
        ("everything", |state| {
            state.overlay = Overlay::Help;
            state.list.filter.text = "a".to_owned();
            state.status =
                Some(switchboard::tui::state::StatusLine { text: "copied".to_owned(), error: false, at: state.now });
            state.mfa.asks.push(mfa_ask(Some(FAILURE), false));
        }),
    ];
    let mut sizes: Vec<(u16, u16)> = vec![(0, 0), (1, 1), (1, 10), (10, 1), (10, 3), (3, 10), (13, 4), (200, 5)];
    for width in 20..=60 {
        for height in 5..=15 {
            sizes.push((width, height));
        }
    }
    for (name, setup) in &variants {
        let mut state = fixture();
        setup(&mut state);
        for &(width, height) in &sizes {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| render(&mut state, width, height)));
            let screen = result.unwrap_or_else(|_| panic!("{name} at {width}x{height} panicked"));
            if width > 0 {
                assert_eq!(screen.split('\n').count(), usize::from(height), "{name} at {width}x{height}");
            }
        }
    }
}

#[test]
fn marked_rows_120x36() {
    let mut state = fixture();
    for address in ["prod/admin", "prod/viewer", "shared/ci"] {
        state.list.marks.insert(key(address));
    }
    let screen = render(&mut state, 120, 36);
    insta::assert_snapshot!("marked_rows_120x36", screen);
    assert!(line_with(&screen, "switchboard").contains("3 marked"), "{screen}");
    assert!(line_with(&screen, "▸ ● admin").contains("valid"), "{screen}");
    assert!(line_with(&screen, "  ● ci").contains("expired"), "{screen}");
    assert!(line_with(&screen, "    network").contains("valid"), "unmarked rows keep the column:\n{screen}");
}

/// A queue of `account` with `visible` messages, a dead-letter queue named `dead_letter` when given.
fn fleet_queue(account: &str, name: &str, visible: u64, dead_letter: Option<&str>) -> QueueRow {
    let mut attributes = QueueAttributes::default();
    attributes.all.insert("QueueArn".into(), format!("arn:aws:sqs:eu-west-1:{account}:{name}"));
    attributes.all.insert("ApproximateNumberOfMessages".into(), visible.to_string());
    attributes.all.insert("ApproximateNumberOfMessagesNotVisible".into(), "1".into());
    attributes.all.insert("ApproximateNumberOfMessagesDelayed".into(), "0".into());
    if let Some(target) = dead_letter {
        let policy =
            format!(r#"{{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:{account}:{target}","maxReceiveCount":5}}"#);
        attributes.all.insert("RedrivePolicy".into(), policy);
    }
    QueueRow {
        summary: QueueSummary::from_url(&format!("https://sqs.eu-west-1.amazonaws.com/{account}/{name}")),
        attributes: Some(attributes),
        error: None,
    }
}

#[test]
fn fleet_table_120x30() {
    let mut state = fixture();
    let roles = ["prod/viewer", "sandbox/poweruser", "shared/deploy"];
    let mut fleet = FleetView::new(99, roles.iter().map(|address| key(address)), &state.keymaps);
    let queues = [
        vec![
            fleet_queue("111111111111", "payments", 12, Some("payments-dlq")),
            fleet_queue("111111111111", "payments-dlq", 3, None),
        ],
        Vec::new(),
        vec![
            fleet_queue("222222222222", "builds", 0, Some("builds-dlq")),
            fleet_queue("222222222222", "builds-dlq", 41, None),
            fleet_queue("222222222222", "events", 5, None),
        ],
    ];
    for (account, queues) in fleet.accounts.iter_mut().zip(queues) {
        account.panels.sqs = SqsPanel::with_queues(queues);
        account.started = true;
    }
    fleet.accounts[1].panels.sqs.list_error = Some(format!("sandbox/poweruser: {FAILURE}"));
    state.screens.push(Screen::Fleet(fleet));
    let screen = render(&mut state, 120, 30);
    insta::assert_snapshot!("fleet_table_120x30", screen);
    assert!(screen.contains("3 roles · 5 queues · sort: DLQ depth"), "{screen}");
    let deepest = screen.find("builds-dlq").unwrap();
    let next = screen.find("payments-dlq    ").unwrap_or(usize::MAX);
    assert!(line_with(&screen, "builds-dlq").contains("41"), "{screen}");
    assert!(
        deepest < next && screen.find("AccessDenied").unwrap() < deepest,
        "failed accounts, then DLQ depth:\n{screen}"
    );
}
