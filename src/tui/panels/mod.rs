//! Per-account panels that work through the role's session. A panel is one module that
//! implements `Panel` (what the screen draws) and `PanelUpdate` (its keys, jobs and their
//! results, with its own `Message` type), and is held by `Panels`. The screen routes keys,
//! ticks and job results to the panels; jobs are closures the executor runs with `Services`
//! built from the role's (renewed if needed) session.
//!
//! A job's result travels as a `PanelMessage`: one variant per panel, each with that panel's
//! own message enum, so `Panels::on_result` hands it to its panel with one exhaustive `match`.

pub mod clients;
pub mod identity;
pub mod sqs;

use std::sync::Arc;

use crate::app::keys::Keymaps;

use crossterm::event::KeyEvent;
use futures::future::BoxFuture;
use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use tokio::sync::Semaphore;

use crate::domain::credentials::Credentials;
use crate::domain::inventory::RoleKey;
use crate::domain::sqs::Sqs;
use crate::domain::sts::Sts;

use super::state::RoleRow;
use super::ui::theme::Theme;

/// What a job needs: the role's session and clients for it (built once per session and region,
/// see `clients`).
pub struct Services {
    pub role: RoleKey,
    pub credentials: Credentials,
    pub region: String,
    pub sqs: Arc<dyn Sqs>,
    pub sts: Arc<dyn Sts>,
    /// Bounds the concurrent background requests of all panels (e.g. queue attributes).
    pub slots: Arc<Semaphore>,
    /// Where console sign-in tokens come from (`console::federation_url`).
    pub federation_url: String,
}

/// Where a job sends intermediate results (progress); its return value is the final one.
pub type Progress<M> = Arc<dyn Fn(M) + Send + Sync>;

/// Why a job could not run: no session could be had for its role (already names the role).
pub type NoSession = String;

/// A panel's answer to one of its jobs: its message, or why the job could not run.
pub type Reply<M> = Result<M, NoSession>;

type Work<M> = Box<dyn FnOnce(Arc<Services>, Progress<M>) -> BoxFuture<'static, M> + Send>;

/// Background work of a panel, answering with the panel's own message type `M`.
pub struct Job<M>(Work<M>);

pub fn job<M, F>(work: impl FnOnce(Arc<Services>, Progress<M>) -> F + Send + 'static) -> Job<M>
where
    F: std::future::Future<Output = M> + Send + 'static,
{
    Job(Box::new(move |services, progress| Box::pin(work(services, progress))))
}

impl<M: Send + 'static> Job<M> {
    /// Runs the job (tests run panels' jobs directly; the executor runs `PanelJob`s).
    pub fn run(self, services: Arc<Services>, progress: Progress<M>) -> BoxFuture<'static, M> {
        (self.0)(services, progress)
    }
}

/// A job's result, or its progress, addressed to the panel whose job it was.
#[derive(Debug)]
pub enum PanelMessage {
    Sqs(Reply<sqs::Message>),
    Identity(Reply<identity::Message>),
    /// An SQS job of the fleet view, for the marked role `role`.
    Fleet {
        role: RoleKey,
        reply: Reply<sqs::Message>,
    },
}

/// A panel's job as the executor sees it: every answer, even "no session", is a `PanelMessage`.
pub struct PanelJob {
    work: Work<PanelMessage>,
    no_session: Box<dyn FnOnce(NoSession) -> PanelMessage + Send>,
}

impl PanelJob {
    /// A panel's job whose every answer is wrapped by `wrap` (a `PanelMessage` variant, or a
    /// closure that also says which role answered, as the fleet view needs).
    pub fn of<M: Send + 'static>(
        job: Job<M>,
        wrap: impl Fn(Reply<M>) -> PanelMessage + Send + Sync + 'static,
    ) -> PanelJob {
        let wrap = Arc::new(wrap);
        let for_work = Arc::clone(&wrap);
        PanelJob {
            work: Box::new(move |services, progress: Progress<PanelMessage>| {
                let for_progress = Arc::clone(&for_work);
                let inner: Progress<M> = Arc::new(move |message| progress(for_progress(Ok(message))));
                let answer = (job.0)(services, inner);
                Box::pin(async move { for_work(Ok(answer.await)) })
            }),
            no_session: Box::new(move |why| wrap(Err(why))),
        }
    }

    pub fn run(self, services: Arc<Services>, progress: Progress<PanelMessage>) -> BoxFuture<'static, PanelMessage> {
        (self.work)(services, progress)
    }

    /// The answer when no session could be had for the job.
    pub fn without_session(self, why: NoSession) -> PanelMessage {
        (self.no_session)(why)
    }
}

impl std::fmt::Debug for PanelJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PanelJob")
    }
}

/// What a panel may know of the role it works for.
pub struct PanelContext<'a> {
    pub row: &'a RoleRow,
    pub read_only: bool,
    pub now: Timestamp,
    pub refresh_every: std::time::Duration,
}

pub enum KeyOutcome<M> {
    /// The panel used the key (and maybe started jobs).
    Handled(Vec<Job<M>>),
    /// Not for the panel: the screen may use it (Tab, Esc at the top level, ...).
    Ignored,
}

/// What the screen draws of a panel.
pub trait Panel: Send + std::fmt::Debug {
    fn title(&self) -> &'static str;
    fn render(&self, frame: &mut Frame, area: Rect, context: &PanelContext, theme: Theme);
    /// Key hints for the status line, for the view the panel shows now.
    fn hints(&self) -> String;
    /// Every command of the panel with its keys (overrides applied), for the help.
    fn commands(&self) -> Vec<(String, &'static str)>;
}

/// How a panel reacts: keys, ticks and its jobs' results in, state changes and jobs out.
pub trait PanelUpdate: Panel {
    type Message: Send + 'static;
    /// Shown for the first time (or again after Tab): start loading.
    fn open(&mut self, context: &PanelContext) -> Vec<Job<Self::Message>>;
    fn on_key(&mut self, key: KeyEvent, context: &PanelContext) -> KeyOutcome<Self::Message>;
    fn on_paste(&mut self, _text: &str) -> bool {
        false
    }
    fn on_result(&mut self, reply: Reply<Self::Message>, context: &PanelContext) -> Vec<Job<Self::Message>>;
    fn on_tick(&mut self, _context: &PanelContext) -> Vec<Job<Self::Message>> {
        Vec::new()
    }
}

/// The panels every account gets. A new service panel is a field here, a `PanelMessage`
/// variant, and an arm in each `match` below (the compiler lists the ones missing).
#[derive(Debug, Default)]
pub struct Panels {
    pub sqs: sqs::SqsPanel,
    pub identity: identity::IdentityPanel,
}

/// What the screen asks of the active panel; one `match` on the tab index turns it into a
/// typed call of that panel and its jobs into `PanelJob`s.
pub enum Request<'k> {
    Open,
    Key(KeyEvent),
    Tick,
    Paste(&'k str),
}

/// The answer to a `Request`: jobs to run, and whether the panel used the key or paste.
pub struct Answer {
    pub jobs: Vec<PanelJob>,
    pub used: bool,
}

impl Panels {
    pub const COUNT: usize = 2;

    /// Fresh panels with the inventory's keys (`[ui.keys.sqs]`, `[ui.keys.identity]`).
    pub fn new(keymaps: &Keymaps) -> Self {
        Panels {
            sqs: sqs::SqsPanel::with_keys(keymaps.sqs.clone()),
            identity: identity::IdentityPanel::with_keys(keymaps.identity.clone()),
        }
    }

    /// The panels in tab order; `ask` below uses the same order.
    fn all(&self) -> [&dyn Panel; Self::COUNT] {
        [&self.sqs, &self.identity]
    }

    pub fn len(&self) -> usize {
        Self::COUNT
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn iter(&self) -> impl Iterator<Item = &dyn Panel> {
        self.all().into_iter()
    }

    pub fn get(&self, index: usize) -> Option<&dyn Panel> {
        self.all().get(index).copied()
    }

    /// The request to the panel at tab `index`.
    pub fn ask(&mut self, index: usize, request: Request, context: &PanelContext) -> Answer {
        match index {
            0 => answer(&mut self.sqs, request, context, PanelMessage::Sqs),
            1 => answer(&mut self.identity, request, context, PanelMessage::Identity),
            _ => Answer { jobs: Vec::new(), used: false },
        }
    }

    /// A job's result (or progress) to the panel whose job it was.
    pub fn on_result(&mut self, message: PanelMessage, context: &PanelContext) -> Vec<PanelJob> {
        match message {
            PanelMessage::Sqs(reply) => lift(self.sqs.on_result(reply, context), PanelMessage::Sqs),
            PanelMessage::Identity(reply) => lift(self.identity.on_result(reply, context), PanelMessage::Identity),
            // The fleet view's answers are routed to it before they reach an account's panels.
            PanelMessage::Fleet { .. } => Vec::new(),
        }
    }
}

pub fn lift<M: Send + 'static>(jobs: Vec<Job<M>>, wrap: fn(Reply<M>) -> PanelMessage) -> Vec<PanelJob> {
    jobs.into_iter().map(|job| PanelJob::of(job, wrap)).collect()
}

fn answer<P: PanelUpdate>(
    panel: &mut P,
    request: Request,
    context: &PanelContext,
    wrap: fn(Reply<P::Message>) -> PanelMessage,
) -> Answer {
    let (jobs, used) = match request {
        Request::Open => (panel.open(context), true),
        Request::Tick => (panel.on_tick(context), true),
        Request::Paste(text) => (Vec::new(), panel.on_paste(text)),
        Request::Key(key) => match panel.on_key(key, context) {
            KeyOutcome::Handled(jobs) => (jobs, true),
            KeyOutcome::Ignored => (Vec::new(), false),
        },
    };
    Answer { jobs: lift(jobs, wrap), used }
}
