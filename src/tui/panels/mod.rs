//! Per-account panels that work through the role's session. A panel is one module that
//! implements `Panel`, registered in `registry`. The screen routes keys, ticks and job
//! results to the active panel; jobs are closures the executor runs with `Services` built
//! from the role's (renewed if needed) session.

pub mod identity;
pub mod sqs;

use std::any::Any;
use std::sync::Arc;

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

/// What a job needs: the role's session and clients built from it.
pub struct Services {
    pub role: RoleKey,
    pub credentials: Credentials,
    pub region: String,
    pub sqs: Arc<dyn Sqs>,
    pub sts: Arc<dyn Sts>,
    /// Bounds the concurrent background requests of all panels (e.g. queue attributes).
    pub slots: Arc<Semaphore>,
    /// Intermediate results (progress); the job's return value is the final one.
    pub progress: Box<dyn Fn(Payload) + Send + Sync>,
}

pub type Payload = Box<dyn Any + Send>;

/// Background work of a panel; update creates it, the executor runs it.
pub type Job = Box<dyn FnOnce(Arc<Services>) -> BoxFuture<'static, Payload> + Send>;

pub fn job<F, T>(work: impl FnOnce(Arc<Services>) -> F + Send + 'static) -> Job
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Any + Send,
{
    Box::new(move |services| Box::pin(async move { Box::new(work(services).await) as Payload }))
}

/// What a panel may know of the role it works for.
pub struct PanelContext<'a> {
    pub row: &'a RoleRow,
    pub read_only: bool,
    pub now: Timestamp,
    pub refresh_every: std::time::Duration,
}

pub enum KeyOutcome {
    /// The panel used the key (and maybe started jobs).
    Handled(Vec<Job>),
    /// Not for the panel: the screen may use it (Tab, Esc at the top level, ...).
    Ignored,
}

pub trait Panel: Send + std::fmt::Debug {
    fn title(&self) -> &'static str;
    /// Shown for the first time (or again after Tab): start loading.
    fn open(&mut self, context: &PanelContext) -> Vec<Job>;
    fn on_key(&mut self, key: KeyEvent, context: &PanelContext) -> KeyOutcome;
    fn on_paste(&mut self, _text: &str) -> bool {
        false
    }
    /// A job's result; `Err` when no session could be had for it.
    fn on_result(&mut self, result: Result<Payload, String>, context: &PanelContext) -> Vec<Job>;
    fn on_tick(&mut self, _context: &PanelContext) -> Vec<Job> {
        Vec::new()
    }
    fn render(&self, frame: &mut Frame, area: Rect, context: &PanelContext, theme: Theme);
    /// Key hints for the status line.
    fn hints(&self) -> String;
}

/// The panels every account gets, in tab order. A new service panel is added here.
pub fn registry() -> Vec<Box<dyn Panel>> {
    vec![Box::new(sqs::SqsPanel::default()), Box::new(identity::IdentityPanel::default())]
}
