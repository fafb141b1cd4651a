//! What the SQS panel's tests share: a sample inventory, an in-memory SQS that records every
//! call, and a harness that drives the panel directly (keys, ticks and results in, views and
//! jobs out) and runs its jobs as the executor would.

pub(super) use std::collections::BTreeMap;
pub(super) use std::path::Path;
pub(super) use std::sync::{Arc, Mutex};
pub(super) use std::time::Duration;

pub(super) use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
pub(super) use jiff::{SignedDuration, Timestamp};
pub(super) use ratatui::Terminal;
pub(super) use ratatui::backend::TestBackend;
pub(super) use tokio::sync::Semaphore;

pub(super) use crate::domain::audit::AuditLog;
pub(super) use crate::domain::credentials::Credentials;
pub(super) use crate::domain::inventory::Inventory;
pub(super) use crate::domain::sqs::{
    MoveMethod, MoveStatus, PeekedMessage, QueueAttributes, QueueSummary, Sqs, SqsError,
};
pub(super) use crate::tui::panels::{Job, KeyOutcome, NoSession, Panel, PanelContext, PanelUpdate, Progress, Reply, Services};
pub(super) use crate::domain::sqs::SqsService;
pub(super) use crate::domain::sts::StsService;
pub(super) use crate::tui::base::row::RoleRow;
pub(super) use crate::tui::base::theme::Theme;

pub(super) use super::super::forms::Field;
pub(super) use super::super::state::Pending;
pub(super) use super::super::{Column, Message, QueueRow, SqsPanel, View};

pub(super) const INVENTORY: &str = include_str!("../../../../../tests/fixtures/sqs_panel.toml");

pub(super) const ENDPOINT: &str = "https://sqs.eu-west-1.amazonaws.com/333333333333";

pub(super) fn url(name: &str) -> String {
    format!("{ENDPOINT}/{name}")
}

pub(super) fn now() -> Timestamp {
    "2026-11-21T09:00:00Z".parse().unwrap()
}

pub(super) fn message(id: &str, body: &str, receives: u32) -> PeekedMessage {
    PeekedMessage {
        id: id.to_owned(),
        receipt_handle: format!("rh-{id}"),
        body: body.to_owned(),
        system: [
            ("ApproximateReceiveCount".to_owned(), receives.to_string()),
            ("SentTimestamp".to_owned(), "1795251600000".to_owned()),
        ]
        .into(),
        attributes: BTreeMap::new(),
    }
}

// --- the in-memory SQS of the shared test support ------------------------------------------

pub(super) use crate::test_support::{FakeQueue, FakeSqs, FakeSts};

/// audit (12 messages), events.fifo (empty), orders (3, failures to orders-dlq after 3
/// receives) and orders-dlq (2), in the account and region of `ENDPOINT`.
pub(super) fn standard_sqs() -> FakeSqs {
    let numbered = |prefix: &str, count: usize| -> Vec<PeekedMessage> {
        (1..=count).map(|n| message(&format!("{prefix}-{n}"), &format!(r#"{{"n":{n}}}"#), 0)).collect()
    };
    let queue =
        |name: &str, messages, in_flight, delayed| FakeQueue { messages, in_flight, delayed, ..FakeQueue::named(name) };
    let sqs = FakeSqs::new("333333333333", "eu-west-1", Vec::new());
    let mut orders = queue("orders", numbered("o", 3), 1, 5);
    orders.attributes.push(sqs.redrive_to("orders-dlq", 3));
    let queues = vec![
        orders,
        queue("audit", numbered("a", 12), 0, 2),
        queue("orders-dlq", numbered("d", 2), 3, 1),
        queue("events.fifo", Vec::new(), 4, 0),
    ];
    FakeSqs::new("333333333333", "eu-west-1", queues)
}

// --- the harness --------------------------------------------------------------------------

pub(super) struct Harness {
    pub(super) panel: SqsPanel,
    pub(super) row: RoleRow,
    pub(super) now: Timestamp,
    pub(super) refresh_every: Duration,
    pub(super) sqs: Arc<FakeSqs>,
    pub(super) services: Arc<Services>,
    /// What jobs reported as progress (redrive steps), in order.
    pub(super) progress: Arc<Mutex<Vec<Message>>>,
    /// Holds the panel's audit trail (and anything else a test writes).
    pub(super) dir: tempfile::TempDir,
}

macro_rules! context {
    ($harness:expr) => {
        PanelContext {
            row: &$harness.row,
            read_only: $harness.row.read_only,
            now: $harness.now,
            refresh_every: $harness.refresh_every,
        }
    };
}

pub(super) fn harness_with(address: &str, sqs: FakeSqs) -> Harness {
    let inventory = Inventory::parse(Path::new("accounts.toml"), INVENTORY).unwrap();
    let row = crate::tui::base::row::rows(&inventory).into_iter().find(|row| row.key.to_string() == address).unwrap();
    let sqs = Arc::new(sqs);
    let progress: Arc<Mutex<Vec<Message>>> = Arc::default();
    let credentials = Credentials::new("ASIATEST", "secret", Some("token".to_owned()), None);
    let services = Services::builder(row.key.clone(), credentials, &row.region)
        .with::<SqsService>(Arc::clone(&sqs) as Arc<dyn Sqs>)
        .with::<StsService>(Arc::new(FakeSts::refusing()))
        .slots(Arc::new(Semaphore::new(4)))
        .offline()
        .build();
    let dir = tempfile::tempdir().unwrap();
    let mut panel = SqsPanel::default();
    panel.audit = AuditLog::at(dir.path().join("audit.jsonl"));
    panel.move_poll_every = Duration::ZERO;
    panel.saves_dir = Some(dir.path().join("saved"));
    Harness {
        panel,
        dir,
        row,
        now: now(),
        refresh_every: Duration::from_secs(5),
        sqs,
        services: Arc::new(services),
        progress,
    }
}

pub(super) fn harness(address: &str) -> Harness {
    harness_with(address, standard_sqs())
}

/// The panel opened and every job run: the list with its counts.
pub(super) async fn loaded(address: &str) -> Harness {
    let mut harness = harness(address);
    let jobs = harness.open();
    harness.settle(jobs).await;
    harness.sqs.take_calls();
    harness
}

impl Harness {
    pub(super) fn open(&mut self) -> Vec<Job<Message>> {
        let context = context!(self);
        self.panel.open(&context)
    }

    pub(super) fn press(&mut self, key: KeyEvent) -> KeyOutcome<Message> {
        let context = context!(self);
        self.panel.on_key(key, &context)
    }

    pub(super) fn key(&mut self, code: KeyCode) -> Vec<Job<Message>> {
        match self.press(KeyEvent::new(code, KeyModifiers::NONE)) {
            KeyOutcome::Handled(jobs) => jobs,
            KeyOutcome::Ignored => panic!("{code:?} was ignored in {:?}", self.panel.view),
        }
    }

    pub(super) fn char(&mut self, c: char) -> Vec<Job<Message>> {
        self.key(KeyCode::Char(c))
    }

    pub(super) fn ctrl(&mut self, c: char) -> Vec<Job<Message>> {
        match self.press(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)) {
            KeyOutcome::Handled(jobs) => jobs,
            KeyOutcome::Ignored => panic!("Ctrl-{c} was ignored"),
        }
    }

    pub(super) fn typed(&mut self, text: &str) -> Vec<Job<Message>> {
        text.chars().flat_map(|c| self.char(c)).collect()
    }

    pub(super) fn result(&mut self, result: Reply<Message>) -> Vec<Job<Message>> {
        let context = context!(self);
        self.panel.on_result(result, &context)
    }

    pub(super) fn feed(&mut self, message: Message) -> Vec<Job<Message>> {
        self.result(Ok(message))
    }

    pub(super) fn tick(&mut self) -> Vec<Job<Message>> {
        let context = context!(self);
        self.panel.on_tick(&context)
    }

    pub(super) fn later(&mut self, seconds: i64) {
        self.now = self.now.checked_add(SignedDuration::from_secs(seconds)).unwrap();
    }

    /// Runs the job as the executor would, without feeding its result back.
    pub(super) async fn run(&self, job: Job<Message>) -> Message {
        let sink = Arc::clone(&self.progress);
        let progress: Progress<Message> = Arc::new(move |message| sink.lock().unwrap().push(message));
        job.run(Arc::clone(&self.services), progress).await
    }

    /// Runs the jobs and feeds their results back; the jobs those start are returned.
    pub(super) async fn run_all(&mut self, jobs: Vec<Job<Message>>) -> Vec<Job<Message>> {
        let mut next = Vec::new();
        for job in jobs {
            let payload = self.run(job).await;
            next.extend(self.result(Ok(payload)));
        }
        next
    }

    /// Runs jobs, and the jobs they start, until none is left.
    pub(super) async fn settle(&mut self, mut jobs: Vec<Job<Message>>) {
        while !jobs.is_empty() {
            jobs = self.run_all(jobs).await;
        }
    }

    /// Feeds what jobs reported as progress, in order; the jobs that starts are returned.
    pub(super) fn feed_progress(&mut self) -> Vec<Job<Message>> {
        let steps = std::mem::take(&mut *self.progress.lock().unwrap());
        steps.into_iter().flat_map(|step| self.feed(step)).collect()
    }

    pub(super) fn calls(&self) -> Vec<String> {
        self.sqs.take_calls()
    }

    pub(super) fn names(&self) -> Vec<String> {
        self.panel.visible().iter().map(|row| row.summary.name.clone()).collect()
    }

    pub(super) fn select(&mut self, name: &str) {
        self.panel.selected = self.names().iter().position(|shown| shown == name).unwrap();
    }

    pub(super) fn notice(&self) -> (String, bool) {
        self.panel.notice.clone().unwrap_or_else(|| panic!("no notice; view {:?}", self.panel.view))
    }

    pub(super) fn row(&self, name: &str) -> &QueueRow {
        self.panel.queue(&url(name)).unwrap()
    }

    pub(super) fn visible_count(&self, name: &str) -> Option<u64> {
        self.row(name).attributes.as_ref().and_then(QueueAttributes::visible)
    }

    /// The panel drawn at 120x30, as text.
    pub(super) fn screen(&self) -> String {
        let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
        let context = context!(self);
        terminal.draw(|frame| self.panel.render(frame, frame.area(), &context, Theme { color: false })).unwrap();
        crate::test_support::text_of(terminal.backend().buffer())
    }

    /// Opens the queue's detail from the list and loads its DLQ sources.
    pub(super) async fn detail_of(&mut self, name: &str) {
        self.panel.view = View::List;
        self.panel.filter.clear();
        self.select(name);
        let jobs = self.key(KeyCode::Enter);
        self.settle(jobs).await;
        self.calls();
    }

    /// Peeks the queue (from its detail, accepting the warning if one comes), messages loaded.
    pub(super) async fn peeked(&mut self, name: &str) {
        self.detail_of(name).await;
        let mut jobs = self.char('p');
        if matches!(self.panel.view, View::PeekWarning { .. }) {
            jobs = self.char('y');
        }
        self.settle(jobs).await;
        self.calls();
    }
}

pub(super) fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen.lines().find(|line| line.contains(needle)).unwrap_or_else(|| panic!("no line with {needle:?}:\n{screen}"))
}

pub(super) fn attributes(visible: u64) -> QueueAttributes {
    QueueAttributes { all: [("ApproximateNumberOfMessages".to_owned(), visible.to_string())].into() }
}

/// sandbox/dev's orders-dlq redriven to orders from the panel by a move task that completes
/// in two steps (m, Enter, the DLQ's name, Enter), every job settled.
pub(super) async fn redriven_by_move_task() -> Harness {
    let sqs = standard_sqs();
    sqs.offer_move_tasks();
    sqs.script_move_task(vec![
        FakeSqs::move_step(MoveStatus::Running, 1, 2, None),
        FakeSqs::move_step(MoveStatus::Completed, 2, 2, None),
    ]);
    let mut h = harness_with("sandbox/dev", sqs);
    let jobs = h.open();
    h.settle(jobs).await;
    h.detail_of("orders-dlq").await;
    h.char('m');
    h.key(KeyCode::Enter);
    h.typed("orders-dlq");
    let jobs = h.key(KeyCode::Enter);
    h.settle(jobs).await;
    h
}
