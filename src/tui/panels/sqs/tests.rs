//! The SQS panel's state machine, driven directly: keys, ticks and results in, views and jobs
//! out. Jobs are run against an in-memory SQS, so the tests also show which SQS operation each
//! step calls, and their payloads are fed back as the executor would.

use std::any::Any;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::{SignedDuration, Timestamp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::Semaphore;

use crate::domain::credentials::Credentials;
use crate::domain::inventory::Inventory;
use crate::domain::sqs::{MoveMethod, PeekedMessage, QueueAttributes, QueueSummary, SendRequest, Sqs, SqsError};
use crate::domain::sts::{AssumeRoleRequest, CallerIdentity, SessionTokenRequest, Sts, StsError};
use crate::tui::panels::{Job, KeyOutcome, Panel, PanelContext, Payload, Services};
use crate::tui::state::RoleRow;
use crate::tui::ui::theme::Theme;

use super::forms::Field;
use super::{Column, Pending, SqsPanel, View, jobs};

const INVENTORY: &str = r#"
[defaults]
region = "eu-west-1"

[sources.hub]
profile = "hub"

[[accounts]]
name = "prod"
id = "111111111111"
environment = "production"

  [[accounts.roles]]
  name = "admin"
  role_name = "Admin"
  source = "hub"

  [[accounts.roles]]
  name = "viewer"
  role_name = "ReadOnly"
  source = "hub"
  read_only = true

[[accounts]]
name = "sandbox"
id = "333333333333"
environment = "development"

  [[accounts.roles]]
  name = "dev"
  role_name = "Developer"
  source = "hub"
"#;

const ENDPOINT: &str = "https://sqs.eu-west-1.amazonaws.com/333333333333";

fn url(name: &str) -> String {
    format!("{ENDPOINT}/{name}")
}

fn arn(name: &str) -> String {
    format!("arn:aws:sqs:eu-west-1:333333333333:{name}")
}

fn name_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

fn now() -> Timestamp {
    "2026-11-21T09:00:00Z".parse().unwrap()
}

fn message(id: &str, body: &str, receives: u32) -> PeekedMessage {
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

// --- an in-memory SQS ---------------------------------------------------------------------

struct FakeQueue {
    name: &'static str,
    messages: Vec<PeekedMessage>,
    in_flight: u64,
    delayed: u64,
    /// The dead-letter queue's name and maxReceiveCount.
    dead_letter: Option<(&'static str, u32)>,
}

/// Queues with messages; every call is recorded as "Action queue details", and the actions in
/// `denied` answer AccessDenied.
#[derive(Default)]
struct FakeSqs {
    queues: Mutex<Vec<FakeQueue>>,
    calls: Mutex<Vec<String>>,
    denied: Mutex<Vec<&'static str>>,
    /// StartMessageMoveTask answers Unsupported unless set (then it answers with a task handle).
    move_task: bool,
}

impl FakeSqs {
    /// audit (12 messages), events.fifo (empty), orders (3, failures to orders-dlq after 3
    /// receives) and orders-dlq (2).
    fn standard() -> Self {
        let numbered = |prefix: &str, count: usize| -> Vec<PeekedMessage> {
            (1..=count).map(|n| message(&format!("{prefix}-{n}"), &format!(r#"{{"n":{n}}}"#), 0)).collect()
        };
        let queues = vec![
            FakeQueue {
                name: "orders",
                messages: numbered("o", 3),
                in_flight: 1,
                delayed: 5,
                dead_letter: Some(("orders-dlq", 3)),
            },
            FakeQueue { name: "audit", messages: numbered("a", 12), in_flight: 0, delayed: 2, dead_letter: None },
            FakeQueue { name: "orders-dlq", messages: numbered("d", 2), in_flight: 3, delayed: 1, dead_letter: None },
            FakeQueue { name: "events.fifo", messages: Vec::new(), in_flight: 4, delayed: 0, dead_letter: None },
        ];
        Self { queues: Mutex::new(queues), ..Self::default() }
    }

    fn deny(&self, action: &'static str) {
        self.denied.lock().unwrap().push(action);
    }

    fn call(&self, action: &'static str, detail: String) -> Result<(), SqsError> {
        self.calls.lock().unwrap().push(format!("{action} {detail}").trim_end().to_owned());
        if self.denied.lock().unwrap().contains(&action) {
            return Err(SqsError::AccessDenied { action, message: format!("not authorized to perform sqs:{action}") });
        }
        Ok(())
    }

    fn with_queue<T>(
        &self,
        action: &'static str,
        url: &str,
        work: impl FnOnce(&mut FakeQueue) -> T,
    ) -> Result<T, SqsError> {
        let mut queues = self.queues.lock().unwrap();
        let queue =
            queues.iter_mut().find(|queue| queue.name == name_of(url)).ok_or(SqsError::NoSuchQueue { action })?;
        Ok(work(queue))
    }

    /// The calls since the last look, in order.
    fn take_calls(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }

    fn visible(&self, name: &str) -> usize {
        self.queues.lock().unwrap().iter().find(|queue| queue.name == name).map_or(0, |queue| queue.messages.len())
    }
}

#[async_trait]
impl Sqs for FakeSqs {
    async fn list_queues_page(&self, next: Option<String>) -> Result<(Vec<QueueSummary>, Option<String>), SqsError> {
        self.call("ListQueues", next.unwrap_or_default())?;
        let queues = self.queues.lock().unwrap();
        Ok((queues.iter().map(|queue| QueueSummary::from_url(&url(queue.name))).collect(), None))
    }

    async fn attributes(&self, queue_url: &str) -> Result<QueueAttributes, SqsError> {
        self.call("GetQueueAttributes", name_of(queue_url).to_owned())?;
        self.with_queue("GetQueueAttributes", queue_url, |queue| {
            let mut all = BTreeMap::new();
            all.insert("QueueArn".to_owned(), arn(queue.name));
            all.insert("ApproximateNumberOfMessages".to_owned(), queue.messages.len().to_string());
            all.insert("ApproximateNumberOfMessagesNotVisible".to_owned(), queue.in_flight.to_string());
            all.insert("ApproximateNumberOfMessagesDelayed".to_owned(), queue.delayed.to_string());
            if let Some((dead_letter, max)) = queue.dead_letter {
                all.insert(
                    "RedrivePolicy".to_owned(),
                    format!(r#"{{"deadLetterTargetArn":"{}","maxReceiveCount":{max}}}"#, arn(dead_letter)),
                );
            }
            QueueAttributes { all }
        })
    }

    async fn dead_letter_sources(&self, queue_url: &str) -> Result<Vec<String>, SqsError> {
        self.call("ListDeadLetterSourceQueues", name_of(queue_url).to_owned())?;
        let queues = self.queues.lock().unwrap();
        Ok(queues
            .iter()
            .filter(|queue| queue.dead_letter.is_some_and(|(target, _)| target == name_of(queue_url)))
            .map(|queue| url(queue.name))
            .collect())
    }

    async fn receive(&self, queue_url: &str, max: u8, visibility_seconds: u32) -> Result<Vec<PeekedMessage>, SqsError> {
        self.call("ReceiveMessage", format!("{} max={max} visibility={visibility_seconds}", name_of(queue_url)))?;
        self.with_queue("ReceiveMessage", queue_url, |queue| {
            queue
                .messages
                .iter_mut()
                .take(usize::from(max))
                .map(|message| {
                    let count = message.receive_count().unwrap_or(0) + 1;
                    message.system.insert("ApproximateReceiveCount".to_owned(), count.to_string());
                    message.clone()
                })
                .collect()
        })
    }

    async fn send(&self, queue_url: &str, request: &SendRequest) -> Result<String, SqsError> {
        let group = request.group_id.as_ref().map(|group| format!(" group={group}")).unwrap_or_default();
        self.call("SendMessage", format!("{} {}{group}", name_of(queue_url), request.body))?;
        self.with_queue("SendMessage", queue_url, |queue| {
            let id = format!("{}-sent-{}", queue.name, queue.messages.len() + 1);
            let mut sent = message(&id, &request.body, 0);
            sent.attributes = request.attributes.clone();
            if let Some(group) = &request.group_id {
                sent.system.insert("MessageGroupId".to_owned(), group.clone());
            }
            queue.messages.push(sent);
            id
        })
    }

    async fn delete(&self, queue_url: &str, receipt_handle: &str) -> Result<(), SqsError> {
        self.call("DeleteMessage", format!("{} {receipt_handle}", name_of(queue_url)))?;
        self.with_queue("DeleteMessage", queue_url, |queue| {
            let before = queue.messages.len();
            queue.messages.retain(|message| message.receipt_handle != receipt_handle);
            before != queue.messages.len()
        })?
        .then_some(())
        .ok_or_else(|| SqsError::Service {
            action: "DeleteMessage",
            code: "ReceiptHandleIsInvalid".into(),
            message: receipt_handle.into(),
        })
    }

    async fn purge(&self, queue_url: &str) -> Result<(), SqsError> {
        self.call("PurgeQueue", name_of(queue_url).to_owned())?;
        self.with_queue("PurgeQueue", queue_url, |queue| queue.messages.clear())
    }

    async fn start_move(&self, source_arn: &str, destination_arn: Option<&str>) -> Result<String, SqsError> {
        let name = |arn: &str| arn.rsplit(':').next().unwrap_or_default().to_owned();
        self.call(
            "StartMessageMoveTask",
            format!("{} -> {}", name(source_arn), destination_arn.map_or_else(String::new, name)),
        )?;
        if self.move_task {
            Ok("task-1".to_owned())
        } else {
            Err(SqsError::Unsupported { action: "StartMessageMoveTask", message: "not in this fake".into() })
        }
    }
}

/// The panels under test only need SQS; identity is not asked here.
struct NoSts;

#[async_trait]
impl Sts for NoSts {
    async fn get_session_token(
        &self,
        _: &Credentials,
        _: &str,
        _: SessionTokenRequest,
    ) -> Result<Credentials, StsError> {
        Err(StsError::Unreachable("no STS in these tests".into()))
    }

    async fn assume_role(&self, _: &Credentials, _: &str, _: AssumeRoleRequest) -> Result<Credentials, StsError> {
        Err(StsError::Unreachable("no STS in these tests".into()))
    }

    async fn caller_identity(&self, _: &Credentials, _: &str) -> Result<CallerIdentity, StsError> {
        Err(StsError::Unreachable("no STS in these tests".into()))
    }
}

// --- the harness --------------------------------------------------------------------------

struct Harness {
    panel: SqsPanel,
    row: RoleRow,
    now: Timestamp,
    refresh_every: Duration,
    sqs: Arc<FakeSqs>,
    services: Arc<Services>,
    /// What jobs reported as progress (redrive steps), in order.
    progress: Arc<Mutex<Vec<Payload>>>,
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

fn harness_with(address: &str, sqs: FakeSqs) -> Harness {
    let inventory = Inventory::parse(Path::new("accounts.toml"), INVENTORY).unwrap();
    let row = crate::tui::rows(&inventory).into_iter().find(|row| row.key.to_string() == address).unwrap();
    let sqs = Arc::new(sqs);
    let progress: Arc<Mutex<Vec<Payload>>> = Arc::default();
    let sink = Arc::clone(&progress);
    let services = Services {
        role: row.key.clone(),
        credentials: Credentials::new("ASIATEST", "secret", Some("token".to_owned()), None),
        region: row.region.clone(),
        sqs: Arc::clone(&sqs) as Arc<dyn Sqs>,
        sts: Arc::new(NoSts),
        slots: Arc::new(Semaphore::new(4)),
        progress: Box::new(move |payload| sink.lock().unwrap().push(payload)),
    };
    Harness {
        panel: SqsPanel::default(),
        row,
        now: now(),
        refresh_every: Duration::from_secs(5),
        sqs,
        services: Arc::new(services),
        progress,
    }
}

fn harness(address: &str) -> Harness {
    harness_with(address, FakeSqs::standard())
}

/// The panel opened and every job run: the list with its counts.
async fn loaded(address: &str) -> Harness {
    let mut harness = harness(address);
    let jobs = harness.open();
    harness.settle(jobs).await;
    harness.sqs.take_calls();
    harness
}

impl Harness {
    fn open(&mut self) -> Vec<Job> {
        let context = context!(self);
        self.panel.open(&context)
    }

    fn press(&mut self, key: KeyEvent) -> KeyOutcome {
        let context = context!(self);
        self.panel.on_key(key, &context)
    }

    fn key(&mut self, code: KeyCode) -> Vec<Job> {
        match self.press(KeyEvent::new(code, KeyModifiers::NONE)) {
            KeyOutcome::Handled(jobs) => jobs,
            KeyOutcome::Ignored => panic!("{code:?} was ignored in {:?}", self.panel.view),
        }
    }

    fn char(&mut self, c: char) -> Vec<Job> {
        self.key(KeyCode::Char(c))
    }

    fn ctrl(&mut self, c: char) -> Vec<Job> {
        match self.press(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)) {
            KeyOutcome::Handled(jobs) => jobs,
            KeyOutcome::Ignored => panic!("Ctrl-{c} was ignored"),
        }
    }

    fn typed(&mut self, text: &str) -> Vec<Job> {
        text.chars().flat_map(|c| self.char(c)).collect()
    }

    fn result(&mut self, result: Result<Payload, String>) -> Vec<Job> {
        let context = context!(self);
        self.panel.on_result(result, &context)
    }

    fn feed<T: Any + Send>(&mut self, payload: T) -> Vec<Job> {
        self.result(Ok(Box::new(payload)))
    }

    fn tick(&mut self) -> Vec<Job> {
        let context = context!(self);
        self.panel.on_tick(&context)
    }

    fn later(&mut self, seconds: i64) {
        self.now = self.now.checked_add(SignedDuration::from_secs(seconds)).unwrap();
    }

    /// Runs the job as the executor would, without feeding its result back.
    async fn run(&self, job: Job) -> Payload {
        job(Arc::clone(&self.services)).await
    }

    /// Runs the jobs and feeds their results back; the jobs those start are returned.
    async fn run_all(&mut self, jobs: Vec<Job>) -> Vec<Job> {
        let mut next = Vec::new();
        for job in jobs {
            let payload = self.run(job).await;
            next.extend(self.result(Ok(payload)));
        }
        next
    }

    /// Runs jobs, and the jobs they start, until none is left.
    async fn settle(&mut self, mut jobs: Vec<Job>) {
        while !jobs.is_empty() {
            jobs = self.run_all(jobs).await;
        }
    }

    fn calls(&self) -> Vec<String> {
        self.sqs.take_calls()
    }

    fn names(&self) -> Vec<String> {
        self.panel.visible().iter().map(|row| row.summary.name.clone()).collect()
    }

    fn select(&mut self, name: &str) {
        self.panel.selected = self.names().iter().position(|shown| shown == name).unwrap();
    }

    fn notice(&self) -> (String, bool) {
        self.panel.notice.clone().unwrap_or_else(|| panic!("no notice; view {:?}", self.panel.view))
    }

    fn row(&self, name: &str) -> &super::QueueRow {
        self.panel.queue(&url(name)).unwrap()
    }

    fn visible_count(&self, name: &str) -> Option<u64> {
        self.row(name).attributes.as_ref().and_then(QueueAttributes::visible)
    }

    /// The panel drawn at 120x30, as text.
    fn screen(&self) -> String {
        let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
        let context = context!(self);
        terminal.draw(|frame| self.panel.render(frame, frame.area(), &context, Theme { color: false })).unwrap();
        let buffer = terminal.backend().buffer();
        buffer
            .content()
            .chunks(usize::from(buffer.area.width))
            .map(|row| row.iter().map(|cell| cell.symbol()).collect::<String>().trim_end().to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Opens the queue's detail from the list and loads its DLQ sources.
    async fn detail_of(&mut self, name: &str) {
        self.panel.view = View::List;
        self.panel.filter.clear();
        self.select(name);
        let jobs = self.key(KeyCode::Enter);
        self.settle(jobs).await;
        self.calls();
    }

    /// Peeks the queue (from its detail, accepting the warning if one comes), messages loaded.
    async fn peeked(&mut self, name: &str) {
        self.detail_of(name).await;
        let mut jobs = self.char('p');
        if matches!(self.panel.view, View::PeekWarning { .. }) {
            jobs = self.char('y');
        }
        self.settle(jobs).await;
        self.calls();
    }
}

fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen.lines().find(|line| line.contains(needle)).unwrap_or_else(|| panic!("no line with {needle:?}:\n{screen}"))
}

fn attributes(visible: u64) -> QueueAttributes {
    QueueAttributes { all: [("ApproximateNumberOfMessages".to_owned(), visible.to_string())].into() }
}

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
    assert!(listed.is::<jobs::Listed>());
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

    let stale = h.feed(jobs::Listed { generation: 1, result: Ok(vec![QueueSummary::from_url(&url("gone"))]) });
    assert!(stale.is_empty());
    assert!(h.panel.queues.is_empty());
    assert!(h.panel.loading, "still waiting for the current listing");
    let stale_error = h.feed(jobs::Listed {
        generation: 1,
        result: Err(SqsError::Unreachable { action: "ListQueues", message: "old".into() }),
    });
    assert!(stale_error.is_empty());
    assert_eq!(h.panel.list_error, None);

    h.settle(second).await;
    assert_eq!(h.names(), ["audit", "events.fifo", "orders", "orders-dlq"]);
    assert_eq!(h.visible_count("audit"), Some(12));

    // Counts of an older generation are dropped too.
    let stale_counts = h.feed(jobs::Counted { generation: 1, counts: vec![(url("audit"), Ok(attributes(99)))] });
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

// --- detail and dead-letter queues --------------------------------------------------------

#[tokio::test]
async fn enter_opens_the_detail_and_asks_for_its_dead_letter_sources() {
    let mut h = loaded("sandbox/dev").await;
    h.select("orders-dlq");
    let jobs = h.key(KeyCode::Enter);
    assert!(matches!(&h.panel.view, View::Detail { url: shown, sources: None } if *shown == url("orders-dlq")));
    assert_eq!(jobs.len(), 1);
    let payload = h.run(jobs.into_iter().next().unwrap()).await;
    assert_eq!(h.calls(), ["ListDeadLetterSourceQueues orders-dlq"]);
    assert!(payload.is::<jobs::Sources>());

    // Sources of another queue (a detail left behind) are ignored.
    h.feed(jobs::Sources { url: url("audit"), result: Ok(vec![url("x")]) });
    assert!(matches!(&h.panel.view, View::Detail { sources: None, .. }));

    assert!(h.result(Ok(payload)).is_empty());
    let View::Detail { sources: Some(Ok(sources)), .. } = &h.panel.view else { panic!("{:?}", h.panel.view) };
    assert_eq!(sources, &[url("orders")]);
    let screen = h.screen();
    assert!(line_with(&screen, "DLQ of").contains("orders (m moves the messages back)"), "{screen}");
    assert!(line_with(&screen, "ApproximateNumberOfMessages ").contains('2'), "{screen}");
    assert!(h.panel.hints().starts_with("p peek"));

    // r refreshes the counts and the sources; Esc goes back to the list.
    let jobs = h.char('r');
    assert_eq!(jobs.len(), 2);
    h.settle(jobs).await;
    let mut calls = h.calls();
    calls.sort();
    assert_eq!(calls.len(), 5, "{calls:?}");
    assert!(calls.contains(&"ListDeadLetterSourceQueues orders-dlq".to_owned()));
    h.key(KeyCode::Esc);
    assert!(matches!(h.panel.view, View::List));
}

#[tokio::test]
async fn dead_letter_queues_and_their_sources_are_recognised() {
    let mut h = loaded("sandbox/dev").await;
    assert!(h.panel.is_dead_letter(h.row("orders-dlq")));
    for name in ["audit", "events.fifo", "orders"] {
        assert!(!h.panel.is_dead_letter(h.row(name)), "{name}");
    }
    assert_eq!(h.panel.dead_letter_of(h.row("orders")).as_deref(), Some("orders-dlq"));
    for name in ["audit", "events.fifo", "orders-dlq"] {
        assert_eq!(h.panel.dead_letter_of(h.row(name)), None, "{name}");
    }
    let screen = h.screen();
    assert!(line_with(&screen, "│orders ").contains("→ orders-dlq"), "{screen}");
    assert!(line_with(&screen, "│orders-dlq ").contains("is a DLQ"), "{screen}");
    assert!(!line_with(&screen, "│audit ").contains("DLQ"), "{screen}");

    // D in a queue's detail opens its dead-letter queue.
    h.detail_of("orders").await;
    assert!(h.screen().contains("failures go to orders-dlq after 3 receives"), "{}", h.screen());
    let jobs = h.char('D');
    assert!(matches!(&h.panel.view, View::Detail { url: shown, sources: None } if *shown == url("orders-dlq")));
    assert_eq!(jobs.len(), 1);

    // ... and says so when there is none.
    h.detail_of("audit").await;
    assert!(h.char('D').is_empty());
    assert_eq!(h.notice(), ("this queue has no dead-letter queue here".to_owned(), false));
    assert!(matches!(&h.panel.view, View::Detail { url: shown, .. } if *shown == url("audit")));

    // Before the counts, nothing is known to be a DLQ.
    let mut fresh = harness("sandbox/dev");
    let jobs = fresh.open();
    let listed = fresh.run(jobs.into_iter().next().unwrap()).await;
    fresh.result(Ok(listed));
    assert!(!fresh.panel.is_dead_letter(fresh.row("orders-dlq")));
    assert_eq!(fresh.panel.dead_letter_of(fresh.row("orders")), None);
}

// --- peek ---------------------------------------------------------------------------------

#[tokio::test]
async fn the_peek_warning_comes_only_for_redrive_queues_and_only_before_the_first_peek() {
    let mut h = loaded("sandbox/dev").await;
    h.detail_of("orders").await;
    assert!(h.char('p').is_empty(), "no receive before the operator agrees");
    assert!(matches!(&h.panel.view, View::PeekWarning { max_receive: 3, .. }), "{:?}", h.panel.view);
    assert!(h.screen().contains("Each receive counts toward maxReceiveCount (3)"), "{}", h.screen());
    assert_eq!(h.panel.hints(), "y peek anyway · n back");
    // Other keys keep the warning.
    assert!(h.char('x').is_empty());
    assert!(matches!(h.panel.view, View::PeekWarning { .. }));

    // n goes back to the detail; the next p warns again.
    let back = h.char('n');
    assert!(matches!(&h.panel.view, View::Detail { url: shown, .. } if *shown == url("orders")));
    h.settle(back).await;
    assert!(!h.calls().iter().any(|call| call.starts_with("ReceiveMessage")));
    h.char('p');
    assert!(matches!(h.panel.view, View::PeekWarning { .. }));

    // y peeks.
    let jobs = h.char('y');
    assert_eq!(jobs.len(), 1);
    assert!(matches!(&h.panel.view, View::Peek { messages: None, .. }));
    h.settle(jobs).await;
    assert_eq!(h.calls(), ["ReceiveMessage orders max=10 visibility=0"]);
    let View::Peek { messages: Some(Ok(messages)), selected: 0, .. } = &h.panel.view else {
        panic!("{:?}", h.panel.view)
    };
    assert_eq!(messages.len(), 3);
    assert!(h.screen().contains("recv 1/3"), "{}", h.screen());

    // Accepted once: peeking again (r, or p from the detail) does not warn.
    let again = h.char('r');
    assert_eq!(again.len(), 1);
    assert!(matches!(h.panel.view, View::Peek { messages: None, .. }));
    h.settle(again).await;
    h.key(KeyCode::Esc);
    let again = h.char('p');
    assert_eq!(again.len(), 1);
    assert!(matches!(h.panel.view, View::Peek { .. }));

    // A queue without a redrive policy never warns, even from the list.
    h.panel.view = View::List;
    h.select("audit");
    let jobs = h.char('p');
    assert_eq!(jobs.len(), 1);
    assert!(matches!(&h.panel.view, View::Peek { url: shown, .. } if *shown == url("audit")));
    // Nor does a DLQ (it has no redrive policy of its own).
    h.detail_of("orders-dlq").await;
    assert_eq!(h.char('p').len(), 1);
    assert!(matches!(h.panel.view, View::Peek { .. }));
}

#[tokio::test]
async fn a_peek_receives_up_to_ten_with_visibility_zero() {
    let mut h = loaded("sandbox/dev").await;
    h.detail_of("audit").await;
    let jobs = h.char('p');
    let payload = h.run(jobs.into_iter().next().unwrap()).await;
    assert_eq!(h.calls(), ["ReceiveMessage audit max=10 visibility=0"]);
    let peeked = payload.downcast_ref::<jobs::Peeked>().unwrap();
    assert_eq!(peeked.url, url("audit"));
    assert_eq!(peeked.result.as_ref().unwrap().len(), 10);
    h.result(Ok(payload));
    assert_eq!(h.sqs.visible("audit"), 12, "a peek takes nothing away");

    // j/k move within the messages, and stop at the ends.
    for _ in 0..12 {
        h.char('j');
    }
    assert!(matches!(h.panel.view, View::Peek { selected: 9, .. }));
    h.char('k');
    assert!(matches!(h.panel.view, View::Peek { selected: 8, .. }));
    let screen = h.screen();
    assert!(screen.contains("a-9"), "{screen}");

    // A late result of another queue's peek is ignored.
    h.feed(jobs::Peeked { url: url("orders"), result: Ok(vec![]) });
    assert!(matches!(&h.panel.view, View::Peek { messages: Some(Ok(found)), .. } if found.len() == 10));
}

// --- read-only roles ----------------------------------------------------------------------

#[tokio::test]
async fn read_only_roles_may_look_but_not_change_anything() {
    let mut h = loaded("prod/viewer").await;
    assert!(h.row.read_only);
    let refused = |h: &Harness, action: &str| {
        let (text, error) = h.notice();
        assert!(error, "{text}");
        assert!(text.starts_with("prod/viewer is read_only"), "{text}");
        assert!(text.contains(action), "{text}");
    };

    h.select("orders");
    assert!(h.char('n').is_empty());
    refused(&h, "send messages");
    assert!(matches!(h.panel.view, View::List));
    assert!(h.char('P').is_empty());
    refused(&h, "purge queues");
    assert!(matches!(h.panel.view, View::List));

    h.detail_of("orders-dlq").await;
    assert!(h.char('n').is_empty());
    refused(&h, "send messages");
    assert!(h.char('P').is_empty());
    refused(&h, "purge queues");
    assert!(h.char('m').is_empty());
    refused(&h, "redrive messages");
    assert!(matches!(h.panel.view, View::Detail { .. }), "{:?}", h.panel.view);

    // Peeking is allowed; deleting the peeked message is not.
    h.peeked("orders-dlq").await;
    assert!(matches!(&h.panel.view, View::Peek { messages: Some(Ok(found)), .. } if found.len() == 2));
    assert!(h.char('d').is_empty());
    refused(&h, "delete messages");
    assert!(matches!(h.panel.view, View::Peek { messages: Some(Ok(_)), .. }), "the peek stays");
    assert!(h.screen().contains("prod/viewer is read_only"), "the refusal is shown:\n{}", h.screen());

    // The next key clears the notice.
    h.char('j');
    assert_eq!(h.panel.notice, None);

    let changes = ["SendMessage", "DeleteMessage", "PurgeQueue", "StartMessageMoveTask"];
    let calls = h.calls();
    assert!(!calls.iter().any(|call| changes.iter().any(|change| call.starts_with(change))), "{calls:?}");
}

// --- purge and delete ---------------------------------------------------------------------

#[tokio::test]
async fn a_purge_needs_the_exact_queue_name() {
    let mut h = loaded("sandbox/dev").await;
    h.detail_of("orders").await;
    assert!(h.char('P').is_empty());
    let View::Confirm { confirm, action: Pending::Purge { url: target }, back } = &h.panel.view else {
        panic!("{:?}", h.panel.view)
    };
    assert_eq!((target.as_str(), back.as_str()), (url("orders").as_str(), url("orders").as_str()));
    assert_eq!(confirm.expected, "orders");
    assert!(confirm.prompt.starts_with("Purge orders?"), "{}", confirm.prompt);
    assert!(h.screen().contains(" confirm "));

    // A prefix, or the wrong case, is not the name.
    assert!(h.typed("order").is_empty());
    assert!(h.key(KeyCode::Enter).is_empty());
    assert!(matches!(h.panel.view, View::Confirm { .. }));
    h.typed("S");
    assert!(h.key(KeyCode::Enter).is_empty());
    h.key(KeyCode::Backspace);
    h.char('s');
    let jobs = h.key(KeyCode::Enter);
    assert!(matches!(&h.panel.view, View::Detail { url: shown, .. } if *shown == url("orders")));
    h.settle(jobs).await;
    let calls = h.calls();
    assert_eq!(calls.iter().filter(|call| *call == "PurgeQueue orders").count(), 1, "{calls:?}");
    assert!(calls.contains(&"GetQueueAttributes orders".to_owned()), "counted again after the purge: {calls:?}");
    assert_eq!(h.notice(), ("purged orders".to_owned(), false));
    assert_eq!(h.visible_count("orders"), Some(0));
    assert_eq!(h.sqs.visible("orders"), 0);

    // Esc cancels and changes nothing.
    h.detail_of("audit").await;
    h.char('P');
    h.typed("audit");
    let jobs = h.key(KeyCode::Esc);
    assert_eq!(h.notice(), ("cancelled; nothing changed".to_owned(), false));
    assert!(matches!(&h.panel.view, View::Detail { url: shown, .. } if *shown == url("audit")));
    h.settle(jobs).await;
    assert!(!h.calls().iter().any(|call| call.starts_with("PurgeQueue")));
    assert_eq!(h.sqs.visible("audit"), 12);
}

#[tokio::test]
async fn after_a_purge_the_detail_still_knows_the_queues_it_is_the_dlq_of() {
    let mut h = loaded("sandbox/dev").await;
    h.detail_of("orders-dlq").await;
    h.char('P');
    h.typed("orders-dlq");
    let jobs = h.key(KeyCode::Enter);
    h.settle(jobs).await;
    assert!(
        matches!(&h.panel.view, View::Detail { sources: Some(Ok(sources)), .. } if *sources == [url("orders")]),
        "{:?}",
        h.panel.view
    );
    assert!(h.screen().contains("DLQ of"), "{}", h.screen());
}

#[tokio::test]
async fn production_accounts_need_the_typed_name_before_a_delete() {
    let mut h = loaded("prod/admin").await;
    assert!(h.row.production);
    h.peeked("orders-dlq").await;
    h.char('j');
    assert!(h.char('d').is_empty(), "nothing is deleted yet");
    let View::Confirm { confirm, action: Pending::Delete { url: target, receipt_handle }, .. } = &h.panel.view else {
        panic!("{:?}", h.panel.view)
    };
    assert_eq!((target.as_str(), receipt_handle.as_str()), (url("orders-dlq").as_str(), "rh-d-2"));
    assert!(confirm.prompt.starts_with("prod is a production account."), "{}", confirm.prompt);
    assert_eq!(confirm.expected, "orders-dlq");

    h.typed("orders-dlq");
    let jobs = h.key(KeyCode::Enter);
    assert_eq!(jobs.len(), 1);
    assert!(matches!(h.panel.view, View::Peek { messages: None, .. }));
    let done = h.run(jobs.into_iter().next().unwrap()).await;
    assert_eq!(h.calls(), ["DeleteMessage orders-dlq rh-d-2"]);
    let next = h.result(Ok(done));
    assert_eq!(h.notice(), ("deleted a message from orders-dlq".to_owned(), false));
    h.settle(next).await;
    let calls = h.calls();
    assert!(calls.contains(&"ReceiveMessage orders-dlq max=10 visibility=0".to_owned()), "peeked again: {calls:?}");
    assert!(matches!(&h.panel.view, View::Peek { messages: Some(Ok(found)), .. } if found.len() == 1));
    assert_eq!(h.visible_count("orders-dlq"), Some(1));
}

#[tokio::test]
async fn other_accounts_delete_the_peeked_message_directly() {
    let mut h = loaded("sandbox/dev").await;
    assert!(!h.row.production);
    h.peeked("audit").await;
    let jobs = h.char('d');
    assert_eq!(jobs.len(), 1);
    assert!(matches!(h.panel.view, View::Peek { messages: Some(Ok(_)), .. }));
    h.settle(jobs).await;
    let calls = h.calls();
    assert_eq!(calls.first().map(String::as_str), Some("DeleteMessage audit rh-a-1"));
    assert_eq!(h.sqs.visible("audit"), 11);

    // Nothing to delete in an empty peek.
    h.peeked("events.fifo").await;
    assert!(h.screen().contains("no message was available"));
    assert!(h.char('d').is_empty());
}

// --- send ---------------------------------------------------------------------------------

#[tokio::test]
async fn the_send_form_checks_its_fields_and_a_sent_message_returns_to_the_detail() {
    let mut h = loaded("sandbox/dev").await;
    h.detail_of("events.fifo").await;
    assert!(h.char('n').is_empty());
    let View::Send(form) = &h.panel.view else { panic!("{:?}", h.panel.view) };
    assert!(form.fifo);
    assert_eq!(form.fields(), [Field::Body, Field::Attributes, Field::GroupId, Field::DeduplicationId]);

    // Empty body, then no group id: refused with the reason, no job.
    assert!(h.ctrl('s').is_empty());
    assert!(matches!(&h.panel.view, View::Send(form) if form.error.as_deref() == Some("the body is empty")));
    h.typed(r#"{"order":7}"#);
    assert!(h.ctrl('s').is_empty());
    let View::Send(form) = &h.panel.view else { panic!() };
    assert_eq!(form.error.as_deref(), Some("a FIFO queue needs a message group id"));
    assert!(h.screen().contains("a FIFO queue needs a message group id"), "{}", h.screen());

    h.key(KeyCode::Tab);
    h.typed("kind=test");
    h.key(KeyCode::Tab);
    h.typed("g1");
    let jobs = h.ctrl('s');
    assert_eq!(jobs.len(), 1);
    assert_eq!(h.notice(), ("sending…".to_owned(), false));
    let done = h.run(jobs.into_iter().next().unwrap()).await;
    assert_eq!(h.calls(), [r#"SendMessage events.fifo {"order":7} group=g1"#]);
    let next = h.result(Ok(done));
    assert_eq!(h.notice(), ("sent a message to events.fifo".to_owned(), false));
    assert!(matches!(&h.panel.view, View::Detail { url: shown, sources: None } if *shown == url("events.fifo")));
    h.settle(next).await;
    let calls = h.calls();
    assert!(calls.contains(&"GetQueueAttributes events.fifo".to_owned()), "re-counted: {calls:?}");
    assert!(calls.contains(&"ListDeadLetterSourceQueues events.fifo".to_owned()), "{calls:?}");
    assert_eq!(h.visible_count("events.fifo"), Some(1));
}

#[tokio::test]
async fn a_standard_queue_gets_a_delay_field_and_esc_cancels_the_form() {
    let mut h = loaded("sandbox/dev").await;
    h.detail_of("audit").await;
    h.char('n');
    let View::Send(form) = &h.panel.view else { panic!("{:?}", h.panel.view) };
    assert_eq!(form.fields(), [Field::Body, Field::Attributes, Field::Delay]);
    h.typed("hello");
    h.key(KeyCode::Down);
    h.key(KeyCode::Down);
    h.typed("901");
    // Enter on the last field submits.
    assert!(h.key(KeyCode::Enter).is_empty());
    assert!(
        matches!(&h.panel.view, View::Send(form) if form.error.as_deref() == Some("the delay is 0 to 900 seconds"))
    );
    let jobs = h.key(KeyCode::Esc);
    assert!(matches!(&h.panel.view, View::Detail { url: shown, .. } if *shown == url("audit")));
    h.settle(jobs).await;
    assert!(!h.calls().iter().any(|call| call.starts_with("SendMessage")));
}

#[tokio::test]
async fn a_failed_send_keeps_the_form_and_names_the_role_and_action() {
    let mut h = loaded("sandbox/dev").await;
    h.sqs.deny("SendMessage");
    h.detail_of("audit").await;
    h.char('n');
    h.typed("hello");
    let jobs = h.ctrl('s');
    h.settle(jobs).await;
    let (text, error) = h.notice();
    assert!(error);
    assert!(text.starts_with("sandbox/dev: SendMessage: access denied"), "{text}");
    assert!(matches!(&h.panel.view, View::Send(form) if form.value(Field::Body) == "hello"), "the typed text stays");
}

// --- redrive ------------------------------------------------------------------------------

#[tokio::test]
async fn a_confirmed_redrive_moves_the_messages_and_shows_its_progress() {
    let mut h = loaded("sandbox/dev").await;
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
    let View::Redrive { from, to, progress, result: None } = &h.panel.view else { panic!("{:?}", h.panel.view) };
    assert_eq!((from.as_str(), to.as_str(), progress.moved, progress.total), ("orders-dlq", "orders", 0, 2));
    assert_eq!(h.panel.hints(), "moving messages…");
    // Keys do not leave a running redrive.
    assert!(h.key(KeyCode::Esc).is_empty());
    assert!(matches!(h.panel.view, View::Redrive { result: None, .. }));

    let done = h.run(jobs.into_iter().next().unwrap()).await;
    assert_eq!(
        h.calls(),
        [
            "StartMessageMoveTask orders-dlq -> orders",
            "ReceiveMessage orders-dlq max=10 visibility=60",
            r#"SendMessage orders {"n":1}"#,
            "DeleteMessage orders-dlq rh-d-1",
            r#"SendMessage orders {"n":2}"#,
            "DeleteMessage orders-dlq rh-d-2",
            "ReceiveMessage orders-dlq max=10 visibility=60",
        ]
    );
    let steps = std::mem::take(&mut *h.progress.lock().unwrap());
    assert_eq!(steps.len(), 2);
    for (index, step) in steps.into_iter().enumerate() {
        assert!(step.is::<jobs::RedriveStep>());
        assert!(h.result(Ok(step)).is_empty());
        assert!(
            matches!(&h.panel.view, View::Redrive { progress, result: None, .. } if progress.moved == index as u64 + 1)
        );
    }
    assert!(h.screen().contains("2 moved · 0 failed · of about 2"), "{}", h.screen());

    let recount = h.result(Ok(done));
    let View::Redrive { result: Some(Ok(report)), .. } = &h.panel.view else { panic!("{:?}", h.panel.view) };
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
    let mut sqs = FakeSqs::standard();
    sqs.move_task = true;
    let mut h = harness_with("sandbox/dev", sqs);
    let jobs = h.open();
    h.settle(jobs).await;
    h.detail_of("orders-dlq").await;
    h.char('m');
    h.key(KeyCode::Enter);
    h.typed("orders-dlq");
    let jobs = h.key(KeyCode::Enter);
    h.settle(jobs).await;
    assert_eq!(h.calls().first().map(String::as_str), Some("StartMessageMoveTask orders-dlq -> orders"));
    let View::Redrive { result: Some(Ok(report)), .. } = &h.panel.view else { panic!("{:?}", h.panel.view) };
    assert_eq!((report.method, report.task_handle.as_deref()), (MoveMethod::MoveTask, Some("task-1")));
    assert!(h.screen().contains("SQS is moving the messages"), "{}", h.screen());

    h.key(KeyCode::Enter);
    h.sqs.deny("StartMessageMoveTask");
    h.detail_of("orders-dlq").await;
    h.char('m');
    h.key(KeyCode::Enter);
    h.typed("orders-dlq");
    let jobs = h.key(KeyCode::Enter);
    h.settle(jobs).await;
    let View::Redrive { result: Some(Err(error)), .. } = &h.panel.view else { panic!("{:?}", h.panel.view) };
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
    let sqs = FakeSqs::standard();
    sqs.deny("ListQueues");
    let mut h = harness_with("sandbox/dev", sqs);
    let jobs = h.open();
    h.settle(jobs).await;
    assert!(!h.panel.loading);
    let error = h.panel.list_error.clone().unwrap();
    assert_eq!(error, "sandbox/dev: ListQueues: access denied: not authorized to perform sqs:ListQueues");
    let screen = h.screen();
    assert!(screen.contains(&error), "{screen}");
    assert!(screen.contains("the queues could not be listed"), "{screen}");
    assert!(h.tick().is_empty(), "nothing to count");

    // Counts refused: each row says so, the list stays.
    let sqs = FakeSqs::standard();
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
    assert_eq!(text, "sandbox/dev: PurgeQueue: access denied: not authorized to perform sqs:PurgeQueue");
    assert!(h.screen().contains(&text));
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
    h.result(Err("sandbox/dev: renewing needs an MFA code".to_owned()));
    assert_eq!(h.notice(), ("sandbox/dev: renewing needs an MFA code".to_owned(), true));
}

/// Known problem (left unfixed here): the list puts a row's count error after its six
/// columns, but the name column takes all the width the others leave, so the error always
/// starts past the right border and is cut off: a queue whose GetQueueAttributes failed only
/// shows "…" forever, with no reason anywhere on screen.
#[tokio::test]
async fn a_row_whose_counts_failed_says_why() {
    let sqs = FakeSqs::standard();
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
