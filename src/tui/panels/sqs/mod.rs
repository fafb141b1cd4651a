//! The SQS panel: the account's queues with their counts, a queue's detail (attributes,
//! redrive policies, DLQ sources), peek, send, delete, purge and DLQ redrive, with the
//! safety rails of read-only roles and production accounts.
//!
//! `state` holds what the panel knows, `keys` its commands, `input` what keys do in each
//! view, `actions` the flows they start, `jobs` the SQS calls, `results` what their answers
//! (`Message`) change, and `render`/`render_queue` the drawing.

mod actions;
mod commands;
mod forms;
mod input;
mod jobs;
mod messages;
pub mod keys;
mod reading;
mod render;
mod render_queue;
mod render_redrive;
mod results;
mod state;
#[cfg(test)]
mod tests;

use crossterm::event::KeyEvent;

use super::panel::{Job, KeyOutcome, Panel, PanelContext, PanelUpdate, Reply};
use crate::app::keys::Keymap;

pub use keys::{SqsCommand, command_for};
pub use messages::{Done, Message};
pub use state::{Column, QueueRow, RedriveView, SqsPanel, View};

impl PanelUpdate for SqsPanel {
    type Message = Message;
    type Commands = SqsCommand;
    const IN_FLEET: bool = true;

    fn new(keys: Keymap<SqsCommand>) -> Self {
        Self::with_keys(keys)
    }

    fn reload(&mut self, _context: &PanelContext) -> Vec<Job<Message>> {
        self.relist()
    }

    fn open(&mut self, context: &PanelContext) -> Vec<Job<Message>> {
        if self.generation > 0 {
            return Vec::new();
        }
        self.counts_at = Some(context.now);
        self.relist()
    }

    fn on_key(&mut self, key: KeyEvent, context: &PanelContext) -> KeyOutcome<Message> {
        self.on_key_event(key, context)
    }

    fn on_paste(&mut self, text: &str) -> bool {
        match &mut self.view {
            View::Send(form) => {
                form.paste(text);
                true
            }
            View::Confirm { confirm, .. } => {
                confirm.typed.push_str(text.trim());
                true
            }
            _ => false,
        }
    }

    fn on_result(&mut self, reply: Reply<Message>, context: &PanelContext) -> Vec<Job<Message>> {
        self.on_reply(reply, context)
    }

    /// Counts refresh by themselves while the operator browses the list or a detail.
    fn on_tick(&mut self, context: &PanelContext) -> Vec<Job<Message>> {
        let due = self
            .counts_at
            .is_none_or(|at| context.now.duration_since(at).as_secs() >= context.refresh_every.as_secs() as i64);
        let browsing = matches!(self.view, View::List | View::Detail { .. });
        if due && browsing && !self.loading && !self.queues.is_empty() { self.recount(context.now) } else { Vec::new() }
    }
}

impl Panel for SqsPanel {
    fn title(&self) -> &'static str {
        "sqs"
    }

    fn render(
        &self,
        frame: &mut ratatui::Frame,
        area: ratatui::layout::Rect,
        _context: &PanelContext,
        theme: crate::tui::base::theme::Theme,
    ) {
        render::render(self, frame, area, theme);
    }

    fn commands(&self) -> Vec<(String, &'static str)> {
        self.keys.help()
    }

    fn hints(&self) -> String {
        keys::hints(self)
    }
}
