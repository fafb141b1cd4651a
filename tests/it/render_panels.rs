//! Snapshots of an account's panels, rendered with ratatui's `TestBackend` at 120x36 with a
//! fixed `now`. The screen is driven as the running app drives it: keys go through `update`,
//! the panel jobs it returns run against an in-memory SQS (and STS), and their results come
//! back through `update` as `Action::PanelResult`. Only the text of the buffer is snapshotted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::{SignedDuration, Timestamp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use tokio::sync::Semaphore;

use switchboard::domain::credentials::Credentials;
use switchboard::domain::inventory::{Inventory, RoleKey};
use switchboard::domain::sqs::SqsService;
use switchboard::domain::sqs::{MessageAttribute, PeekedMessage};
use switchboard::domain::sts::StsService;
use switchboard::test_support::{FakeQueue, FakeSqs, FakeSts, line_with, text_of};
use switchboard::tui::action::Action;
use switchboard::tui::base::keys::Keymap;
use switchboard::tui::effect::Effect;
use switchboard::tui::overlays::Overlay;
use switchboard::tui::panels::{NoSession, PanelMessage, Progress, Services};
use switchboard::tui::state::State;
use switchboard::tui::update::update;

const INVENTORY: &str = include_str!("../fixtures/panels.toml");

const NOW: &str = "2026-11-21T09:00:00Z";
const WIDTH: u16 = 120;
const HEIGHT: u16 = 36;

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn key(address: &str) -> RoleKey {
    address.parse().unwrap()
}

fn at(seconds: i64) -> Timestamp {
    now().checked_add(SignedDuration::from_secs(seconds)).unwrap()
}

// --- the shared in-memory SQS and STS, with this file's sample queues ---------------------

fn message(id: &str, body: &str, receives: u32, sent_millis: i64) -> PeekedMessage {
    PeekedMessage {
        id: id.to_owned(),
        receipt_handle: format!("AQEB{id}"),
        body: body.to_owned(),
        system: [
            ("ApproximateReceiveCount".to_owned(), receives.to_string()),
            ("SentTimestamp".to_owned(), sent_millis.to_string()),
            ("ApproximateFirstReceiveTimestamp".to_owned(), (sent_millis + 2_150).to_string()),
            ("SenderId".to_owned(), "AROAEXAMPLEROLEID:checkout".to_owned()),
        ]
        .into(),
        attributes: BTreeMap::new(),
    }
}

/// A string attribute pair, as `FakeQueue::attributes` holds them.
fn attribute(name: &str, value: impl Into<String>) -> (String, String) {
    (name.to_owned(), value.into())
}

/// orders fails over to orders-retry, which fails over to orders-dlq; an audit log with a
/// backlog, a FIFO queue and an empty one.
fn sample(account: &str, region: &str) -> FakeSqs {
    let fake = FakeSqs::new(account, region, Vec::new());
    let redrive = |target: &str, max: u32| fake.redrive_to(target, max);
    let sent = 1_795_248_000_000; // 2026-11-21T08:00:00Z
    let mut order = message(
        "5f1c2d8e-8a43-4b7e-9c1a-2f6e0d9b7a11",
        r#"{"orderId":"A-10492","customer":{"id":"c-881","tier":"gold"},"items":[{"sku":"KB-2","qty":1},{"sku":"MS-7","qty":2}],"total":129.5}"#,
        0,
        sent,
    );
    order.attributes.insert("source".to_owned(), MessageAttribute::text("String", "checkout"));
    order.attributes.insert("attempt".to_owned(), MessageAttribute::text("Number", "1"));
    let queues = vec![
        FakeQueue {
            name: "audit-log".to_owned(),
            messages: Vec::new(),
            backlog: 1204,
            in_flight: 0,
            delayed: 0,
            attributes: vec![attribute("MessageRetentionPeriod", "1209600")],
        },
        FakeQueue {
            name: "billing-events.fifo".to_owned(),
            messages: Vec::new(),
            backlog: 7,
            in_flight: 1,
            delayed: 0,
            attributes: vec![attribute("FifoQueue", "true"), attribute("ContentBasedDeduplication", "true")],
        },
        FakeQueue {
            name: "notifications".to_owned(),
            messages: Vec::new(),
            backlog: 0,
            in_flight: 0,
            delayed: 0,
            attributes: Vec::new(),
        },
        FakeQueue {
            name: "orders".to_owned(),
            messages: vec![
                order,
                message(
                    "9b2e4c71-0d5a-4f38-b6e2-7c1d3a9f5e20",
                    r#"{"orderId":"A-10493","total":18}"#,
                    1,
                    sent + 60_000,
                ),
                message("c3d9a6f2-71be-4e05-8a4d-0f2b6c8e1d39", "plain text, not JSON", 1, sent + 120_000),
            ],
            backlog: 39,
            in_flight: 3,
            delayed: 2,
            attributes: vec![redrive("orders-retry", 3)],
        },
        FakeQueue {
            name: "orders-dlq".to_owned(),
            messages: vec![
                message(
                    "0a7f3e19-5c2d-4b86-9e41-d8c6b2a0f573",
                    r#"{"orderId":"A-10311","total":52}"#,
                    5,
                    sent - 3_600_000,
                ),
                message(
                    "6e18d4b0-93a7-4c2f-b5d8-1a9e7f3c0b64",
                    r#"{"orderId":"A-10350","total":7.25}"#,
                    5,
                    sent - 1_800_000,
                ),
                message(
                    "f2c05b8d-4e6a-4917-8d3b-5a0c9e2f7146",
                    r#"{"orderId":"A-10377","total":310}"#,
                    5,
                    sent - 600_000,
                ),
            ],
            backlog: 0,
            in_flight: 0,
            delayed: 0,
            attributes: vec![attribute(
                "RedriveAllowPolicy",
                format!(r#"{{"redrivePermission":"byQueue","sourceQueueArns":["{}"]}}"#, fake.arn("orders-retry")),
            )],
        },
        FakeQueue {
            name: "orders-retry".to_owned(),
            messages: Vec::new(),
            backlog: 6,
            in_flight: 0,
            delayed: 0,
            attributes: vec![redrive("orders-dlq", 5), attribute("VisibilityTimeout", "120")],
        },
    ];
    FakeSqs::new(account, region, queues)
}

// --- the screen ---------------------------------------------------------------------------

/// The running app's executor, in small: runs panel jobs and feeds their results to `update`.
struct Screen {
    state: State,
    services: Arc<Services>,
    progress: Arc<Mutex<Vec<PanelMessage>>>,
}

impl Screen {
    /// The main view with `address` selected, then Enter: its account's panels, the queue
    /// list loaded with its counts.
    async fn open(address: &str, sqs: FakeSqs) -> Screen {
        let inventory = Inventory::parse(Path::new("accounts.toml"), INVENTORY).unwrap();
        let mut state = State::new(switchboard::tui::rows(&inventory), now(), inventory.defaults.refresh_before);
        for row in &mut state.rows {
            row.expires_at = Some(at(42 * 60 + 5));
            let own = row.layers.len() - 1;
            for (index, layer) in row.layers.iter_mut().enumerate() {
                if !layer.is_source() {
                    layer.expires_at = Some(if index == own { at(42 * 60 + 5) } else { at(11 * 3600 + 31 * 60) });
                }
            }
        }
        state.backend = "keyring".to_owned();
        state.list.selected = Some(key(address));
        let row = state.row(&key(address)).unwrap();
        let progress: Arc<Mutex<Vec<PanelMessage>>> = Arc::default();
        let credentials = Credentials::new("ASIAEXAMPLE", "secret", Some("token".to_owned()), row.expires_at);
        let services = Services::builder(row.key.clone(), credentials, &row.region)
            .with::<StsService>(Arc::new(FakeSts::identity_of(&sqs.account)))
            .with::<SqsService>(Arc::new(sqs))
            .slots(Arc::new(Semaphore::new(4)))
            .offline()
            .build();
        let mut screen = Screen { state, services: Arc::new(services), progress };
        screen.press(KeyCode::Enter).await;
        assert!(screen.state.account().is_some(), "Enter opens the account's panels");
        screen
    }

    /// Where jobs report progress: kept, for a test to feed back when it chooses.
    fn progress_sink(&self) -> Progress<PanelMessage> {
        let sink = Arc::clone(&self.progress);
        Arc::new(move |message| sink.lock().unwrap().push(message))
    }

    /// Runs the effects' panel jobs, and those their results start, until none is left.
    async fn drive(&mut self, effects: Vec<Effect>) {
        let mut pending: VecDeque<Effect> = effects.into();
        while let Some(effect) = pending.pop_front() {
            if let Effect::Panel { role, view, job } = effect {
                let message = job.run(Arc::clone(&self.services), self.progress_sink()).await;
                pending.extend(update(&mut self.state, view.answer(&role, message)));
            }
        }
    }

    /// The key through `update`, and every job it starts run to its end.
    async fn press(&mut self, code: KeyCode) {
        let effects = self.key(code);
        self.drive(effects).await;
    }

    fn key(&mut self, code: KeyCode) -> Vec<Effect> {
        update(&mut self.state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    async fn typed(&mut self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c)).await;
        }
    }

    /// Moves the list's selection to `name`: Home, then Down as many rows as it is below the
    /// first one.
    async fn select(&mut self, name: &str) {
        let text = self.render();
        let lines: Vec<&str> = text.lines().collect();
        let header = lines.iter().position(|line| line.contains("│NAME")).unwrap();
        let row = lines
            .iter()
            .position(|line| line.starts_with(&format!("│{name} ")) || line.contains(&format!("││{name} ")))
            .unwrap_or_else(|| panic!("{name} is not in the list:\n{text}"));
        self.press(KeyCode::Home).await;
        for _ in 0..row - header - 1 {
            self.press(KeyCode::Down).await;
        }
    }

    fn render_buffer(&mut self) -> Buffer {
        self.state.size = (WIDTH, HEIGHT);
        let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).unwrap();
        terminal.draw(|frame| switchboard::tui::render::render(frame, &self.state)).unwrap();
        terminal.backend().buffer().clone()
    }

    fn render(&mut self) -> String {
        text_of(&self.render_buffer())
    }
}

fn sandbox() -> FakeSqs {
    sample("333333333333", "eu-west-1")
}

// --- the snapshots ------------------------------------------------------------------------

#[tokio::test]
async fn queue_list() {
    let mut screen = Screen::open("sandbox/dev", sandbox()).await;
    screen.select("orders").await;
    let text = screen.render();
    insta::assert_snapshot!("queue_list", text);
    assert!(text.contains(" sqs "), "{text}");
    assert!(text.contains(" queues (6)"), "{text}");
    assert!(!text.contains(" production "), "{text}");
    assert!(line_with(&text, "│audit-log").contains("1204"), "{text}");
    assert!(line_with(&text, "│billing-events.fifo").contains("FIFO"), "{text}");
    assert!(line_with(&text, "│orders ").contains("42"), "{text}");
    assert!(line_with(&text, "│orders ").contains("→ orders-retry"), "{text}");
    assert!(line_with(&text, "│orders-dlq").contains("is a DLQ"), "{text}");
    assert!(line_with(&text, "│orders-retry").contains("DLQ, → orders-dlq"), "{text}");
    assert!(text.contains("Enter detail · p peek"), "{text}");
}

#[tokio::test]
async fn queue_detail() {
    let mut screen = Screen::open("sandbox/dev", sandbox()).await;
    screen.select("orders-retry").await;
    screen.press(KeyCode::Enter).await;
    let text = screen.render();
    insta::assert_snapshot!("queue_detail", text);
    assert!(text.contains("https://sqs.eu-west-1.amazonaws.com/333333333333/orders-retry"), "{text}");
    assert!(line_with(&text, "redrive policy").contains("failures go to orders-dlq after 5 receives"), "{text}");
    assert!(line_with(&text, "DLQ of").contains("orders (m moves the messages back)"), "{text}");
    assert!(line_with(&text, "CreatedTimestamp").contains("2026-09-12T"), "{text}");
}

#[tokio::test]
async fn peek_warning() {
    let mut screen = Screen::open("sandbox/dev", sandbox()).await;
    screen.select("orders").await;
    screen.press(KeyCode::Enter).await;
    screen.press(KeyCode::Char('p')).await;
    let text = screen.render();
    insta::assert_snapshot!("peek_warning", text);
    assert!(text.contains(" before the first peek "), "{text}");
    assert!(text.contains("maxReceiveCount (3)"), "{text}");
    assert!(text.contains("y peek anyway · n back"), "{text}");
}

#[tokio::test]
async fn peek() {
    let mut screen = Screen::open("sandbox/dev", sandbox()).await;
    screen.select("orders").await;
    screen.press(KeyCode::Enter).await;
    screen.press(KeyCode::Char('p')).await;
    screen.press(KeyCode::Char('y')).await;
    let text = screen.render();
    insta::assert_snapshot!("peek", text);
    assert!(text.contains("peek orders (visibility timeout 0"), "{text}");
    // Receive counts against maxReceiveCount (the fake counts this peek's receive too).
    assert!(line_with(&text, "5f1c2d8e").contains("recv 1/3"), "{text}");
    assert!(line_with(&text, "9b2e4c71").contains("recv 2/3"), "{text}");
    // The JSON body pretty-printed.
    assert!(text.contains(r#""orderId": "A-10492","#), "{text}");
    assert!(text.contains(r#""tier": "gold""#), "{text}");
    assert!(line_with(&text, "attr attempt").contains("(Number) 1"), "{text}");
}

#[tokio::test]
async fn send_form() {
    let mut screen = Screen::open("sandbox/dev", sandbox()).await;
    screen.select("billing-events.fifo").await;
    screen.press(KeyCode::Enter).await;
    screen.press(KeyCode::Char('n')).await;
    screen.typed(r#"{"invoice":"INV-2041","amount":129.5}"#).await;
    screen.press(KeyCode::Tab).await;
    screen.typed("source=console, priority=2").await;
    let effects = update(&mut screen.state, Action::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)));
    assert!(effects.is_empty(), "a FIFO message without a group id is not sent");
    screen.press(KeyCode::Tab).await;
    let text = screen.render();
    insta::assert_snapshot!("send_form", text);
    assert!(text.contains("send to billing-events.fifo"), "{text}");
    assert!(text.contains("message group id"), "{text}");
    assert!(text.contains("deduplication id (optional)"), "{text}");
    assert!(!text.contains("delay seconds"), "{text}");
    assert!(text.contains("a FIFO queue needs a message group id"), "{text}");
}

#[tokio::test]
async fn purge_confirmation() {
    let mut screen = Screen::open("sandbox/dev", sandbox()).await;
    screen.select("orders").await;
    screen.press(KeyCode::Enter).await;
    screen.press(KeyCode::Char('P')).await;
    screen.typed("ord").await;
    let text = screen.render();
    insta::assert_snapshot!("purge_confirmation", text);
    assert!(text.contains(" confirm "), "{text}");
    assert!(text.contains("Purge orders?"), "{text}");
    assert!(text.contains("> ord▏"), "{text}");
}

#[tokio::test]
async fn redrive_progress() {
    let mut screen = Screen::open("sandbox/dev", sandbox()).await;
    screen.select("orders-dlq").await;
    screen.press(KeyCode::Enter).await;
    screen.press(KeyCode::Char('m')).await;
    screen.press(KeyCode::Enter).await;
    screen.typed("orders-dlq").await;
    // The redrive job runs to its end (the fake has no move tasks: a copy, one batch), but
    // only its progress reports are shown: the redrive as it runs.
    let effects = screen.key(KeyCode::Enter);
    assert_eq!(effects.len(), 1);
    let Some(Effect::Panel { role, view, job }) = effects.into_iter().next() else { panic!("no job") };
    let _final = job.run(Arc::clone(&screen.services), screen.progress_sink()).await;
    let steps = std::mem::take(&mut *screen.progress.lock().unwrap());
    assert_eq!(steps.len(), 2, "why it copies, then one batch");
    for step in steps {
        let effects = update(&mut screen.state, view.answer(&role, step));
        assert!(effects.is_empty());
    }
    let text = screen.render();
    insta::assert_snapshot!("redrive_progress", text);
    assert!(text.contains("redrive orders-dlq → orders-retry · copied by switchboard"), "{text}");
    assert!(text.contains("3 moved · 0 failed · of about 3"), "{text}");
    assert!(text.contains("this endpoint has no message move tasks"), "{text}");
    assert!(text.contains("c stop the copy"), "{text}");
}

#[tokio::test]
async fn identity_panel() {
    let mut screen = Screen::open("sandbox/dev", sandbox()).await;
    screen.press(KeyCode::Tab).await;
    let text = screen.render();
    insta::assert_snapshot!("identity_panel", text);
    assert!(line_with(&text, "arn ").contains("assumed-role/Developer/switchboard-alice"), "{text}");
    assert!(line_with(&text, "│session").contains("42:05 left"), "{text}");
    assert!(text.contains("r reload · Tab next panel · Esc back"), "{text}");
}

#[tokio::test]
async fn production_frame() {
    let mut screen = Screen::open("prod/admin", sample("111111111111", "eu-central-1")).await;
    let text = screen.render();
    insta::assert_snapshot!("production_frame", text);
    assert!(text.contains(" production "), "{text}");
    assert!(line_with(&text, "│orders ").contains("→ orders-retry"), "{text}");
    assert!(line_with(&text, " prod ").contains("111111111111"), "{text}");
    // The frame is red (the text cannot show it); other accounts get no frame at all.
    let buffer = screen.render_buffer();
    for (x, y) in [(0, 2), (WIDTH - 1, 2), (0, HEIGHT - 2), (WIDTH / 2, HEIGHT - 2)] {
        assert_eq!(buffer[(x, y)].fg, ratatui::style::Color::Red, "frame cell at {x},{y}");
    }
    let mut other = Screen::open("sandbox/dev", sandbox()).await;
    let other = other.render_buffer();
    assert_ne!(other[(0, 2)].fg, ratatui::style::Color::Red);
    assert!(!text_of(&other).contains(" production "));
}

#[tokio::test]
async fn access_denied() {
    let sqs = sandbox();
    sqs.deny("ListQueues");
    let mut screen = Screen::open("sandbox/dev", sqs).await;
    let text = screen.render();
    insta::assert_snapshot!("access_denied", text);
    assert!(text.contains("sandbox/dev: ListQueues: access denied"), "{text}");
}

// --- rendering problems seen in the snapshots, left unfixed here --------------------------

/// Known problem: a refused listing leaves the list saying "no queues in this account and
/// region", which the operator may well believe; the only hint that it is not so is the
/// error on the notice line below.
#[tokio::test]
async fn a_refused_listing_does_not_read_as_an_empty_account() {
    let sqs = sandbox();
    sqs.deny("ListQueues");
    let mut screen = Screen::open("sandbox/dev", sqs).await;
    let text = screen.render();
    assert!(!text.contains("no queues in this account and region"), "{text}");
}

/// Known problem: the panel's notice is one unwrapped line, so a long AWS error (an
/// AccessDenied names the principal, the action and the resource) is cut at the right edge,
/// losing the part that says what was refused on which resource.
#[tokio::test]
async fn a_long_error_is_readable_to_its_end() {
    let sqs = sandbox();
    sqs.deny("ListQueues");
    let mut screen = Screen::open("sandbox/dev", sqs).await;
    let text = screen.render();
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("sqs:ListQueues on resource"), "{text}");
}

/// Known problem: the peeked body is pretty-printed through serde_json's map, which sorts
/// the keys, so the JSON shown is not in the order the producer wrote it ("orderId" first
/// here is shown after "customer" and "items").
#[tokio::test]
async fn a_peeked_json_body_keeps_its_key_order() {
    let mut screen = Screen::open("sandbox/dev", sandbox()).await;
    screen.select("orders").await;
    screen.press(KeyCode::Enter).await;
    screen.press(KeyCode::Char('p')).await;
    screen.press(KeyCode::Char('y')).await;
    let text = screen.render();
    let order = text.find(r#""orderId""#).unwrap();
    let customer = text.find(r#""customer""#).unwrap();
    assert!(order < customer, "{text}");
}

// --- panel mode through update ----------------------------------------------------------

#[tokio::test]
async fn a_peek_without_a_session_says_why_on_screen() {
    let mut screen = Screen::open("sandbox/dev", sandbox()).await;
    screen.select("audit-log").await;
    screen.press(KeyCode::Enter).await;
    let effects = screen.key(KeyCode::Char('p'));
    let Some(Effect::Panel { role, view, job }) = effects.into_iter().next() else { panic!("no peek job") };
    assert!(screen.render().contains("receiving…"));
    // What the executor sends when the role's session cannot be had.
    let message = job.without_session(NoSession::Failed("sandbox/dev: renewing failed: AccessDenied".to_owned()));
    assert!(matches!(message, PanelMessage::Sqs(Err(_))), "{message:?}");
    assert!(update(&mut screen.state, view.answer(&role, message)).is_empty());
    let text = screen.render();
    assert!(!text.contains("receiving…"), "{text}");
    assert!(line_with(&text, "│sandbox/dev: renewing failed: AccessDenied").contains("│"), "{text}");
}

#[tokio::test]
async fn help_and_log_in_the_panels_follow_the_keymap_and_scroll() {
    let mut screen = Screen::open("sandbox/dev", sandbox()).await;
    let help = vec!["f1".to_owned()];
    let log = vec!["ctrl-l".to_owned()];
    screen.state.keymaps.list = Keymap::with_overrides([("help", help.as_slice()), ("log", log.as_slice())]).unwrap();
    screen.press(KeyCode::Char('?')).await;
    assert_eq!(screen.state.overlay, Overlay::None, "? is no longer the help key");
    screen.press(KeyCode::F(1)).await;
    assert_eq!(screen.state.overlay, Overlay::Help);
    screen.press(KeyCode::Char('j')).await;
    screen.press(KeyCode::Char('j')).await;
    assert_eq!(screen.state.overlay_scroll, 2, "j scrolls the help over the panels too");
    screen.press(KeyCode::Char('k')).await;
    assert_eq!(screen.state.overlay_scroll, 1);
    assert!(screen.state.account().is_some(), "keys under the help never reach the panel");
    screen.press(KeyCode::F(1)).await;
    assert_eq!((&screen.state.overlay, screen.state.overlay_scroll), (&Overlay::None, 0));
    update(&mut screen.state, Action::Key(KeyEvent::new(KeyCode::Char('l'), KeyModifiers::CONTROL)));
    assert_eq!(screen.state.overlay, Overlay::Log);
    screen.press(KeyCode::Esc).await;
    assert_eq!(screen.state.overlay, Overlay::None);
    assert!(screen.state.account().is_some(), "Esc closed the log, not the panels");
    screen.press(KeyCode::Esc).await;
    assert!(screen.state.account().is_none(), "Esc leaves the panels");
}
