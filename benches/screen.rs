//! What the screen does on every key and every tick, at sizes bigger than any operator's
//! inventory: the goal is a frame well inside 16 ms (see the README's "Speed" section).
//!
//! `cargo bench --bench screen`

// A benchmark whose setup fails should stop loudly, as a test does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use switchboard::domain::inventory::Inventory;
use switchboard::domain::plan::plans;
use switchboard::domain::sqs::{QueueAttributes, QueueSummary};
use switchboard::tui::action::Action;
use switchboard::tui::base::theme::Theme;
use switchboard::tui::fleet::view::FleetView;
use switchboard::tui::list::SortOrder;
use switchboard::tui::panels::sqs::{Column, QueueRow, SqsPanel};
use switchboard::tui::panels::{Panel, PanelContext};
use switchboard::tui::state::{Screen, State};
use switchboard::tui::{render, rows, update::update};

const ROLES_PER_ACCOUNT: usize = 5;
const ACCOUNTS: usize = 1000;
const ROLES: usize = ACCOUNTS * ROLES_PER_ACCOUNT;

fn inventory() -> Inventory {
    Inventory::parse(Path::new("bench.toml"), &inventory_text()).unwrap_or_else(|error| panic!("{error}"))
}

fn inventory_text() -> String {
    let mut text = String::from(
        "[sources.hub]\nprofile = \"hub\"\nmfa_serial = \"arn:aws:iam::123456789012:mfa/a\"\nsession_duration = \"12h\"\n",
    );
    for account in 0..ACCOUNTS {
        let _ = write!(
            text,
            "\n[[accounts]]\nname = \"account-{account}\"\nid = \"{:012}\"\ntags = [\"team-{}\"]\n",
            100_000_000_000u64 + account as u64,
            account % 7
        );
        for role in 0..ROLES_PER_ACCOUNT {
            let _ = write!(
                text,
                "  [[accounts.roles]]\n  name = \"role-{role}\"\n  role_name = \"Role{role}\"\n  source = \"hub\"\n  mfa = {}\n",
                role % 2 == 0
            );
        }
    }
    text
}

fn now() -> jiff::Timestamp {
    "2026-11-21T09:00:00Z".parse().unwrap_or_else(|error| panic!("{error}"))
}

fn state() -> State {
    let now = now();
    let mut rows = rows(&inventory());
    for (index, row) in rows.iter_mut().enumerate() {
        row.expires_at = now.checked_add(jiff::SignedDuration::from_secs(60 * index as i64)).ok();
    }
    State::new(rows, now, Duration::from_secs(300))
}

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn draw(terminal: &mut Terminal<TestBackend>, state: &State) {
    terminal.draw(|frame| render::render(frame, state)).map(drop).unwrap_or_default()
}

fn screen(c: &mut Criterion) {
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap_or_else(|error| panic!("{error}"));
    let inventory = inventory();
    c.bench_function(&format!("first frame: rows, state and draw, {ROLES} roles (160x48)"), |b| {
        b.iter(|| {
            let mut state = State::new(rows(&inventory), now(), Duration::from_secs(300));
            state.list.selected = state.list.roles(&state.rows).first().map(|row| row.key.clone());
            let mut fresh = Terminal::new(TestBackend::new(160, 48)).unwrap_or_else(|error| panic!("{error}"));
            draw(&mut fresh, &state);
        })
    });
    // What comes before the first frame and is not the screen's: the inventory and the plans.
    let text = inventory_text();
    c.bench_function(&format!("parse and check an inventory of {ROLES} roles"), |b| {
        b.iter(|| Inventory::parse(Path::new("bench.toml"), &text).map(|parsed| parsed.roles().count()).unwrap_or(0))
    });
    c.bench_function(&format!("plans of {ROLES} roles"), |b| b.iter(|| plans(&inventory).len()));
    c.bench_function(&format!("rows of {ROLES} roles (plans included)"), |b| b.iter(|| rows(&inventory).len()));
    let mut state = state();
    c.bench_function(&format!("draw {ROLES} roles (160x48)"), |b| b.iter(|| draw(&mut terminal, &state)));
    c.bench_function(&format!("tick and draw, {ROLES} roles"), |b| {
        let mut now = state.now;
        b.iter(|| {
            now = now.checked_add(jiff::SignedDuration::from_secs(1)).unwrap_or(now);
            update(&mut state, Action::Tick(now));
            draw(&mut terminal, &state);
        })
    });
    c.bench_function(&format!("key j and draw, {ROLES} roles"), |b| {
        b.iter(|| {
            update(&mut state, key(KeyCode::Char('j')));
            draw(&mut terminal, &state);
        })
    });
    state.list.sort = SortOrder::TimeLeft;
    c.bench_function(&format!("key j and draw, {ROLES} roles sorted by time left"), |b| {
        b.iter(|| {
            update(&mut state, key(KeyCode::Char('j')));
            draw(&mut terminal, &state);
        })
    });
    state.list.sort = SortOrder::Name;
    // Typing a filter one key at a time, each key followed by a frame; reported per key.
    let typed = "acc 12 role 3";
    c.bench_function(&format!("fuzzy filter, one key and draw, {ROLES} roles"), |b| {
        b.iter_custom(|iterations| {
            let keys = typed.chars().count() as u32 + 2;
            let start = Instant::now();
            for _ in 0..iterations {
                update(&mut state, key(KeyCode::Char('/')));
                for typed_char in typed.chars() {
                    update(&mut state, key(KeyCode::Char(typed_char)));
                    draw(&mut terminal, &state);
                }
                update(&mut state, key(KeyCode::Esc));
                draw(&mut terminal, &state);
            }
            start.elapsed() / keys
        })
    });
    // The worst key: one that does not extend the filter (a backspace, an edit inside), so
    // every role is matched again.
    let (one, other) = ("acc 12 role 3", "acc 12 role 4");
    c.bench_function(&format!("fuzzy filter over every role, {ROLES} roles"), |b| {
        b.iter(|| {
            state.list.filter.text = if state.list.filter.text == one { other } else { one }.to_owned();
            state.list.shown(&state.rows).len()
        })
    });
    state.list.filter.text.clear();
}

/// An account with thousands of queues, a third of them with a dead-letter queue.
fn queues(count: usize) -> Vec<QueueRow> {
    (0..count)
        .map(|index| {
            let name = format!("queue-{index:05}");
            let mut attributes = QueueAttributes::default();
            attributes.all.insert("QueueArn".into(), format!("arn:aws:sqs:eu-west-1:111111111111:{name}"));
            attributes.all.insert("ApproximateNumberOfMessages".into(), (index * 7 % 1000).to_string());
            if index % 3 == 0 && index + 1 < count {
                let policy = format!(
                    r#"{{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:111111111111:queue-{:05}","maxReceiveCount":5}}"#,
                    index + 1
                );
                attributes.all.insert("RedrivePolicy".into(), policy);
            }
            QueueRow {
                summary: QueueSummary::from_url(&format!("https://sqs.eu-west-1.amazonaws.com/111111111111/{name}")),
                attributes: Some(attributes),
                error: None,
            }
        })
        .collect()
}

fn sqs_panel(c: &mut Criterion) {
    let state = state();
    let row = &state.rows[0];
    let context = PanelContext { row, read_only: false, now: state.now, refresh_every: Duration::from_secs(5) };
    let mut panel = SqsPanel::with_queues(queues(5000));
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap_or_else(|error| panic!("{error}"));
    let theme = Theme { color: true };
    c.bench_function("draw 5000 queues sorted by name (160x48)", |b| {
        b.iter(|| {
            terminal.draw(|frame| panel.render(frame, frame.area(), &context, theme)).map(drop).unwrap_or_default()
        })
    });
    panel.sort = Column::DeadLetter;
    c.bench_function("draw 5000 queues sorted by DLQ (160x48)", |b| {
        b.iter(|| {
            terminal.draw(|frame| panel.render(frame, frame.area(), &context, theme)).map(drop).unwrap_or_default()
        })
    });
}

/// The fleet view of 100 marked accounts with 50 queues each: 5,000 rows across accounts,
/// sorted by dead-letter depth on every frame.
fn fleet(c: &mut Criterion) {
    let mut state = state();
    let roles: Vec<_> = state.rows.iter().step_by(ROLES_PER_ACCOUNT).take(100).map(|row| row.key.clone()).collect();
    let mut fleet = FleetView::new(1, roles.iter().cloned(), &state.keymaps);
    for account in &mut fleet.accounts {
        account.panels.sqs = SqsPanel::with_queues(queues(50));
        account.started = true;
    }
    state.list.marks.extend(roles);
    state.screens.push(Screen::Fleet(fleet));
    state.size = (160, 48);
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap_or_else(|error| panic!("{error}"));
    c.bench_function("draw the fleet table, 100 accounts x 50 queues (160x48)", |b| {
        b.iter(|| terminal.draw(|frame| render::render(frame, &state)).map(drop).unwrap_or_default())
    });
}

criterion_group!(benches, screen, sqs_panel, fleet);
criterion_main!(benches);
