//! What a panel is: `Panel` (what the screen draws) and `PanelUpdate` (its keys, jobs and
//! their results, with its own `Message` type and command set), and the jobs it starts. The
//! floor of the panels: every panel imports this file; it imports no panel.

use std::sync::Arc;

use crossterm::event::KeyEvent;
use futures::future::BoxFuture;
use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::services::{NoSession, Services};
use crate::app::keys::{CommandSet, Keymap};
use crate::tui::base::row::RoleRow;
use crate::tui::base::theme::Theme;

/// Where a job sends intermediate results (progress); its return value is the final one.
pub type Progress<M> = Arc<dyn Fn(M) + Send + Sync>;

/// A panel's answer to one of its jobs: its message, or why the job could not run.
pub type Reply<M> = Result<M, NoSession>;

pub(super) type Work<M> = Box<dyn FnOnce(Arc<Services>, Progress<M>) -> BoxFuture<'static, M> + Send>;

/// Background work of a panel, answering with the panel's own message type `M`.
pub struct Job<M>(pub(super) Work<M>);

pub fn job<M, F>(work: impl FnOnce(Arc<Services>, Progress<M>) -> F + Send + 'static) -> Job<M>
where
    F: Future<Output = M> + Send + 'static,
{
    Job(Box::new(move |services, progress| Box::pin(work(services, progress))))
}

impl<M: Send + 'static> Job<M> {
    /// Runs the job (tests run panels' jobs directly; the executor runs `PanelJob`s).
    pub fn run(self, services: Arc<Services>, progress: Progress<M>) -> BoxFuture<'static, M> {
        (self.0)(services, progress)
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
    /// What is on fire in the account, for the fleet view's table (panels in the fleet).
    fn fires(&self) -> Vec<Fire> {
        Vec::new()
    }
}

/// Something a panel found on fire in its account (an alarm in ALARM), as the fleet view
/// shows it beside the dead-letter queues.
#[derive(Debug, Clone, PartialEq)]
pub struct Fire {
    /// What is on fire: an alarm's name.
    pub name: String,
    /// Its state, as the service says it: "ALARM".
    pub state: String,
    /// Why, in one line: the state reason.
    pub detail: String,
}

/// How a panel reacts: keys, ticks and its jobs' results in, state changes and jobs out.
pub trait PanelUpdate: Panel + Sized {
    type Message: Send + 'static;
    /// Its keys, rebound in `[ui.keys.SECTION]` (see `app::keys::CommandSet`).
    type Commands: CommandSet;
    /// Runs for every marked account in the fleet view (its `fires` join the table).
    const IN_FLEET: bool = false;
    /// A fresh panel with the inventory's keys for it.
    fn new(keys: Keymap<Self::Commands>) -> Self;
    /// Shown for the first time (or again after Tab): start loading.
    fn open(&mut self, context: &PanelContext) -> Vec<Job<Self::Message>>;
    /// Load everything again (the fleet's refresh); by default as when opened.
    fn reload(&mut self, context: &PanelContext) -> Vec<Job<Self::Message>> {
        self.open(context)
    }
    fn on_key(&mut self, key: KeyEvent, context: &PanelContext) -> KeyOutcome<Self::Message>;
    fn on_paste(&mut self, _text: &str) -> bool {
        false
    }
    fn on_result(&mut self, reply: Reply<Self::Message>, context: &PanelContext) -> Vec<Job<Self::Message>>;
    fn on_tick(&mut self, _context: &PanelContext) -> Vec<Job<Self::Message>> {
        Vec::new()
    }
}
