//! Keys in the SQS panel. The views that list or show things act on commands (`keys.rs`);
//! the filter, the send form and the confirmations read the raw keys, since they take text.

use crossterm::event::{KeyCode, KeyEvent};

use crate::tui::panels::panel::{Job, KeyOutcome, PanelContext};

use super::forms::{ConfirmOutcome, FormOutcome};
use super::jobs;
use super::keys::{SqsCommand, command_for};
use super::messages::Message;
use super::state::{Column, SqsPanel, View};

type Outcome = KeyOutcome<Message>;

/// Rows a page key moves in the list, and lines in a message's body.
const PAGE: usize = 20;
const BODY_PAGE: u16 = 20;

fn handled(jobs: Vec<Job<Message>>) -> Outcome {
    KeyOutcome::Handled(jobs)
}

fn sort_column(command: SqsCommand) -> Option<Column> {
    Some(match command {
        SqsCommand::SortByName => Column::Name,
        SqsCommand::SortByType => Column::Kind,
        SqsCommand::SortByVisible => Column::Visible,
        SqsCommand::SortByInFlight => Column::InFlight,
        SqsCommand::SortByDelayed => Column::Delayed,
        SqsCommand::SortByDeadLetter => Column::DeadLetter,
        _ => return None,
    })
}

impl SqsPanel {
    pub(super) fn on_key_event(&mut self, key: KeyEvent, context: &PanelContext) -> Outcome {
        self.notice = None;
        let command = command_for(&self.keys, &key);
        // The panel never asks for a code itself; r, pressed by the operator, lets the screen
        // renew the role (and ask). The next r reloads the panel.
        if self.needs_mfa
            && command == Some(SqsCommand::Refresh)
            && matches!(self.view, View::List | View::Detail { .. } | View::Peek { .. })
        {
            self.needs_mfa = false;
            self.notice("renewing the session (the code is asked for); r reloads the panel after".into(), false);
            return KeyOutcome::Ignored;
        }
        match &self.view {
            View::List if self.filtering => self.on_filter_key(key),
            View::List => command.map_or(KeyOutcome::Ignored, |command| self.on_list(command, context)),
            View::Detail { url, .. } => {
                let url = url.clone();
                command.map_or(KeyOutcome::Ignored, |command| self.on_detail(command, context, url))
            }
            View::PeekWarning { .. } => self.on_warning_key(key),
            View::RedrivePick { .. } => self.on_pick(command),
            View::Peek { .. } => self.on_peek(command, context),
            View::Audit { .. } => self.on_audit(command),
            View::Send(_) => self.on_form_key(key, context),
            View::Confirm { .. } => self.on_confirm_key(key, context),
            View::Redrive(redrive) => {
                let finished = redrive.result.is_some();
                if finished && matches!(command, Some(SqsCommand::Open | SqsCommand::Back)) {
                    self.view = View::List;
                    return handled(self.recount(context.now));
                }
                if command == Some(SqsCommand::Cancel) {
                    return handled(self.cancel_redrive(context));
                }
                handled(Vec::new())
            }
        }
    }

    fn on_filter_key(&mut self, key: KeyEvent) -> Outcome {
        match key.code {
            KeyCode::Char(c) => self.filter.push(c),
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Enter => self.filtering = false,
            KeyCode::Esc => {
                self.filter.clear();
                self.filtering = false;
            }
            _ => {}
        }
        self.selected = 0;
        handled(Vec::new())
    }

    fn on_list(&mut self, command: SqsCommand, context: &PanelContext) -> Outcome {
        let last = self.visible().len().saturating_sub(1);
        if let Some(column) = sort_column(command) {
            self.descending = column == self.sort && !self.descending;
            self.sort = column;
            return handled(Vec::new());
        }
        let jobs = match command {
            SqsCommand::Down => {
                self.selected = (self.selected + 1).min(last);
                Vec::new()
            }
            SqsCommand::Up => {
                self.selected = self.selected.saturating_sub(1);
                Vec::new()
            }
            SqsCommand::PageDown => {
                self.selected = (self.selected + PAGE).min(last);
                Vec::new()
            }
            SqsCommand::PageUp => {
                self.selected = self.selected.saturating_sub(PAGE);
                Vec::new()
            }
            SqsCommand::Top => {
                self.selected = 0;
                Vec::new()
            }
            SqsCommand::Bottom => {
                self.selected = last;
                Vec::new()
            }
            SqsCommand::Filter => {
                self.filtering = true;
                Vec::new()
            }
            SqsCommand::Refresh => {
                let mut jobs = self.relist();
                jobs.extend(self.recount(context.now));
                jobs
            }
            // Back clears a filter first; without one it leaves the panel (the screen's part).
            SqsCommand::Back if !self.filter.is_empty() => {
                self.filter.clear();
                Vec::new()
            }
            SqsCommand::Open => self.selected_url().map(|url| self.detail(url)).unwrap_or_default(),
            other => return self.on_queue(other, context, self.selected_url()),
        };
        handled(jobs)
    }

    /// Commands on "the current queue", in the list and in the detail.
    fn on_queue(&mut self, command: SqsCommand, context: &PanelContext, url: Option<String>) -> Outcome {
        if command == SqsCommand::AuditTrail {
            self.show_audit(context);
            return handled(Vec::new());
        }
        let Some(url) = url else { return KeyOutcome::Ignored };
        match command {
            SqsCommand::Peek => handled(self.start_peek(url)),
            SqsCommand::Send => {
                self.open_send(context, url);
                handled(Vec::new())
            }
            SqsCommand::Purge => handled(self.ask_purge(context, url)),
            SqsCommand::Console => {
                self.notice("opening the queue's console page…".to_owned(), false);
                handled(vec![jobs::open_console(url)])
            }
            _ => KeyOutcome::Ignored,
        }
    }

    fn on_detail(&mut self, command: SqsCommand, context: &PanelContext, url: String) -> Outcome {
        let jobs = match command {
            SqsCommand::Back => {
                self.view = View::List;
                Vec::new()
            }
            SqsCommand::Refresh => {
                let mut jobs = self.recount(context.now);
                jobs.extend(self.detail(url));
                jobs
            }
            SqsCommand::DeadLetter => self.open_dead_letter(&url),
            SqsCommand::Redrive => {
                self.ask_redrive(context, url);
                Vec::new()
            }
            other => return self.on_queue(other, context, Some(url)),
        };
        handled(jobs)
    }

    /// The redrive picker: choose, take the choice, or go back. When the confirmation cannot
    /// be asked yet, the picker stays and says why.
    fn on_pick(&mut self, command: Option<SqsCommand>) -> Outcome {
        let View::RedrivePick { url, choices, selected, .. } = &mut self.view else { return handled(Vec::new()) };
        match command {
            Some(SqsCommand::Down) => *selected = (*selected + 1).min(choices.len().saturating_sub(1)),
            Some(SqsCommand::Up) => *selected = selected.saturating_sub(1),
            Some(SqsCommand::Back) => {
                let url = url.clone();
                return handled(self.detail(url));
            }
            Some(SqsCommand::Open) => {
                let (url, destination) = (url.clone(), choices.get(*selected).cloned());
                let asked = match destination {
                    Some(destination) => self.confirm_redrive(&url, &destination),
                    None => Err("there is no other queue to move the messages to".to_owned()),
                };
                if let Err(why) = asked {
                    self.notice(why, true);
                }
            }
            _ => {}
        }
        handled(Vec::new())
    }

    fn on_warning_key(&mut self, key: KeyEvent) -> Outcome {
        let View::PeekWarning { url, .. } = &self.view else { return handled(Vec::new()) };
        let url = url.clone();
        match key.code {
            KeyCode::Char('y') | KeyCode::Enter => {
                self.warned.insert(url.clone());
                handled(self.peek_now(url))
            }
            KeyCode::Char('n') | KeyCode::Esc => handled(self.detail(url)),
            _ => handled(Vec::new()),
        }
    }

    fn on_peek(&mut self, command: Option<SqsCommand>, context: &PanelContext) -> Outcome {
        let View::Peek { url, messages, selected, reading } = &mut self.view else { return handled(Vec::new()) };
        let shown = messages.as_ref().and_then(|found| found.as_ref().ok()).cloned().unwrap_or_default();
        let url = url.clone();
        match command {
            Some(SqsCommand::Down) => {
                *selected = (*selected + 1).min(shown.len().saturating_sub(1));
                reading.scroll = 0;
            }
            Some(SqsCommand::Up) => {
                *selected = selected.saturating_sub(1);
                reading.scroll = 0;
            }
            Some(SqsCommand::ScrollDown) => reading.scroll = reading.scroll.saturating_add(1),
            Some(SqsCommand::ScrollUp) => reading.scroll = reading.scroll.saturating_sub(1),
            Some(SqsCommand::PageDown) => reading.scroll = reading.scroll.saturating_add(BODY_PAGE),
            Some(SqsCommand::PageUp) => reading.scroll = reading.scroll.saturating_sub(BODY_PAGE),
            Some(SqsCommand::Envelope) => {
                reading.envelope = !reading.envelope;
                reading.scroll = 0;
            }
            Some(SqsCommand::Save) => self.save_peeked(context, &url, &shown),
            Some(SqsCommand::Back) => return handled(self.detail(url)),
            Some(SqsCommand::Refresh | SqsCommand::Peek) => return handled(self.peek_again(url, &shown)),
            Some(SqsCommand::Delete) => {
                let message = shown.get(*selected).map(|message| (message.id.clone(), message.receipt_handle.clone()));
                if let Some(message) = message {
                    return handled(self.ask_delete(context, url, message));
                }
            }
            _ => {}
        }
        handled(Vec::new())
    }

    fn on_form_key(&mut self, key: KeyEvent, context: &PanelContext) -> Outcome {
        let View::Send(form) = &mut self.view else { return handled(Vec::new()) };
        match form.on_key(key) {
            FormOutcome::Editing => handled(Vec::new()),
            FormOutcome::Cancel => {
                let url = form.url.clone();
                handled(self.detail(url))
            }
            FormOutcome::Submit(request) => {
                let url = form.url.clone();
                self.notice("sending…".into(), false);
                handled(vec![jobs::send(self.change_by(context), url, request)])
            }
        }
    }

    fn on_confirm_key(&mut self, key: KeyEvent, context: &PanelContext) -> Outcome {
        let View::Confirm { confirm, back, .. } = &mut self.view else { return handled(Vec::new()) };
        match confirm.on_key(key) {
            ConfirmOutcome::Typing => handled(Vec::new()),
            ConfirmOutcome::Cancel => {
                let back = back.clone();
                self.notice("cancelled; nothing changed".into(), false);
                handled(self.detail(back))
            }
            ConfirmOutcome::Confirmed => {
                let View::Confirm { action, confirm, .. } = std::mem::replace(&mut self.view, View::List) else {
                    return handled(Vec::new());
                };
                handled(self.confirmed(context, action, confirm.typed))
            }
        }
    }
}
