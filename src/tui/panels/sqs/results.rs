//! What each of the SQS panel's messages (`messages`) changes.

use std::collections::HashMap;

use crate::domain::sqs::{QueueAttributes, QueueSummary, SqsError};
use crate::tui::panels::panel::{Job, PanelContext, Reply};
use crate::tui::panels::services::NoSession;

use super::jobs;
use super::messages::{Done, Message};
use super::state::{QueueRow, Reading, SqsPanel, View};
use crate::domain::sqs::message_view;

impl SqsPanel {
    pub(super) fn on_reply(&mut self, reply: Reply<Message>, context: &PanelContext) -> Vec<Job<Message>> {
        let message = match reply {
            Ok(message) => message,
            Err(no_session) => {
                self.no_session(no_session);
                return Vec::new();
            }
        };
        let role = &context.row.key;
        match message {
            Message::Listed { generation, result } => self.listed(generation, result, context),
            Message::Counted { generation, counts } => {
                self.counted(generation, counts, context);
                Vec::new()
            }
            Message::Sources { url: found, result } => {
                if let View::Detail { url, sources } = &mut self.view
                    && *url == found
                {
                    *sources = Some(result.map_err(|error| format!("{role}: {error}")));
                }
                Vec::new()
            }
            Message::Peeked { url: found, result } => {
                if let View::Peek { url, messages, selected, reading } = &mut self.view
                    && *url == found
                {
                    *selected = 0;
                    // Each message's view is worked out here, once, not on every frame.
                    *reading = Reading {
                        views: result
                            .as_ref()
                            .map(|found| found.iter().map(message_view::view).collect())
                            .unwrap_or_default(),
                        ..Reading::default()
                    };
                    *messages = Some(result.map_err(|error| format!("{role}: {error}")));
                }
                Vec::new()
            }
            Message::Done(done) => self.done(done, context),
            Message::ConsoleOpened(result) => {
                match result {
                    Ok(()) => self.notice("opened the queue's console page in the browser".to_owned(), false),
                    Err(reason) => self.notice(format!("{role}: console: {reason}"), true),
                }
                Vec::new()
            }
            Message::RedriveStep(step) => {
                if let View::Redrive(redrive) = &mut self.view {
                    redrive.progress = step;
                }
                Vec::new()
            }
            Message::MoveStarted { handle } => {
                if let View::Redrive(redrive) = &mut self.view {
                    redrive.handle = Some(handle);
                }
                Vec::new()
            }
            Message::MoveStatus(task) => {
                if let View::Redrive(redrive) = &mut self.view {
                    redrive.progress.moved = task.moved;
                    redrive.progress.total = task.to_move.unwrap_or(redrive.progress.total);
                    redrive.task = Some(task);
                }
                Vec::new()
            }
            Message::CopyNote(why) => {
                if let View::Redrive(redrive) = &mut self.view {
                    redrive.note = Some(why);
                }
                Vec::new()
            }
            Message::CancelAnswered(answer) => {
                match answer {
                    Ok(moved) => self.notice(format!("cancel asked; {moved} messages were moved before it"), false),
                    Err(error) => self.notice(format!("{role}: {error}"), true),
                }
                Vec::new()
            }
            Message::Redriven(done) => {
                if let View::Redrive(redrive) = &mut self.view {
                    redrive.result = Some(done.map_err(|error| format!("{role}: {error}")));
                }
                self.recount(context.now)
            }
        }
    }

    /// No session for a job: said in the notice, and in place of what the view waits for, so
    /// that it does not say "receiving…" or "moving…" forever.
    fn no_session(&mut self, why: NoSession) {
        self.loading = false;
        self.needs_mfa = matches!(why, NoSession::NeedsMfa { .. });
        let why = why.to_string();
        match &mut self.view {
            View::Peek { messages: waiting @ None, .. } => *waiting = Some(Err(why.clone())),
            View::Redrive(redrive) if redrive.result.is_none() => redrive.result = Some(Err(why.clone())),
            _ => {}
        }
        self.notice(why, true);
    }

    fn listed(
        &mut self,
        generation: u64,
        result: Result<Vec<QueueSummary>, SqsError>,
        context: &PanelContext,
    ) -> Vec<Job<Message>> {
        if generation != self.generation {
            return Vec::new();
        }
        self.loading = false;
        let found = match result {
            Ok(found) => found,
            Err(error) => {
                self.list_error = Some(format!("{}: {error}", context.row.key));
                return Vec::new();
            }
        };
        // Counts already known stay until the new ones arrive.
        let previous = std::mem::take(&mut self.queues);
        self.queues = found
            .into_iter()
            .map(|summary| {
                let attributes =
                    previous.iter().find(|row| row.summary.url == summary.url).and_then(|row| row.attributes.clone());
                QueueRow { summary, attributes, error: None }
            })
            .collect();
        self.list_error = None;
        self.selected = self.selected.min(self.queues.len().saturating_sub(1));
        self.index_dead_letters();
        self.recount(context.now)
    }

    fn counted(
        &mut self,
        generation: u64,
        counts: Vec<(String, Result<QueueAttributes, SqsError>)>,
        context: &PanelContext,
    ) {
        if generation != self.generation {
            return;
        }
        let index: HashMap<String, usize> =
            self.queues.iter().enumerate().map(|(at, row)| (row.summary.url.clone(), at)).collect();
        for (url, result) in counts {
            if let Some(row) = index.get(&url).and_then(|at| self.queues.get_mut(*at)) {
                match result {
                    Ok(attributes) => {
                        row.attributes = Some(attributes);
                        row.error = None;
                    }
                    Err(error) => row.error = Some(format!("{}: {error}", context.row.key)),
                }
            }
        }
        self.index_dead_letters();
    }

    fn done(&mut self, done: Done, context: &PanelContext) -> Vec<Job<Message>> {
        let name = self.name_of(&done.url);
        let mut jobs = self.recount(context.now);
        match done.result {
            Ok(()) => {
                self.notice(format!("{} {name}", done.what), false);
                match &self.view {
                    View::Send(_) => jobs.extend(self.detail(done.url)),
                    View::Peek { .. } => jobs.extend(self.start_peek(done.url)),
                    _ => {}
                }
            }
            Err(error) => self.notice(format!("{}: {error}", context.row.key), true),
        }
        jobs
    }

    pub fn relist(&mut self) -> Vec<Job<Message>> {
        self.generation += 1;
        self.loading = true;
        vec![jobs::list(self.generation)]
    }

    pub(super) fn recount(&mut self, now: jiff::Timestamp) -> Vec<Job<Message>> {
        self.counts_at = Some(now);
        jobs::count(self.generation, self.queues.iter().map(|row| row.summary.url.clone()).collect())
    }
}
