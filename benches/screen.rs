//! What the screen does on every key and every tick, at sizes bigger than any operator's
//! inventory: the goal is a frame well inside 16 ms (see the README's "Speed" section).
//!
//! `cargo bench --bench screen`

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use switchboard::domain::inventory::Inventory;
use switchboard::domain::sqs::{QueueAttributes, QueueSummary};
use switchboard::tui::action::Action;
use switchboard::tui::panels::sqs::{Column, QueueRow, SqsPanel};
use switchboard::tui::panels::{Panel, PanelContext};
use switchboard::tui::state::State;
use switchboard::tui::ui::theme::Theme;
use switchboard::tui::{rows, ui, update::update, view};

const ROLES_PER_ACCOUNT: usize = 5;
const ACCOUNTS: usize = 200;

fn inventory() -> Inventory {
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
    Inventory::parse(Path::new("bench.toml"), &text).unwrap_or_else(|error| panic!("{error}"))
}

fn state() -> State {
    let now: jiff::Timestamp = "2026-11-21T09:00:00Z".parse().unwrap_or_else(|error| panic!("{error}"));
    let mut rows = rows(&inventory());
    for (index, row) in rows.iter_mut().enumerate() {
        row.expires_at = now.checked_add(jiff::SignedDuration::from_secs(60 * index as i64)).ok();
    }
    State::new(rows, now, Duration::from_secs(300))
}

fn screen(c: &mut Criterion) {
    let mut state = state();
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap_or_else(|error| panic!("{error}"));
    c.bench_function("draw 1000 roles (160x48)", |b| {
        b.iter(|| terminal.draw(|frame| ui::render(frame, &state)).map(drop).unwrap_or_default())
    });
    c.bench_function("tick 1000 roles", |b| {
        let now = state.now;
        b.iter(|| update(&mut state, Action::Tick(now)))
    });
    state.filter.text = "acc 12 role 3".to_owned();
    c.bench_function("fuzzy filter 1000 roles", |b| b.iter(|| view::lines(&state).len()));
    state.filter.text.clear();
    c.bench_function("key j over 1000 roles", |b| {
        b.iter(|| update(&mut state, Action::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE))))
    });
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

criterion_group!(benches, screen, sqs_panel);
criterion_main!(benches);
