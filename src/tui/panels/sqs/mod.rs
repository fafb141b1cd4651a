//! The SQS panel: the account's queues with their counts, a queue's detail (attributes,
//! redrive policies, DLQ sources), peek, send, delete, purge and DLQ redrive, with the
//! safety rails of read-only roles and production accounts.

mod forms;
mod jobs;
mod render;
#[cfg(test)]
mod tests;

use std::collections::HashSet;

use crossterm::event::{KeyCode, KeyEvent};
use jiff::Timestamp;

use crate::domain::sqs::{PeekedMessage, QueueAttributes, QueueSummary, RedriveProgress, RedriveReport};

use super::{Job, KeyOutcome, Panel, PanelContext, Payload};
use forms::{Confirm, ConfirmOutcome, FormOutcome, SendForm};
use jobs::RedriveTarget;

#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    pub summary: QueueSummary,
    pub attributes: Option<QueueAttributes>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    Kind,
    Visible,
    InFlight,
    Delayed,
    DeadLetter,
}

impl Column {
    pub const ALL: [Column; 6] =
        [Column::Name, Column::Kind, Column::Visible, Column::InFlight, Column::Delayed, Column::DeadLetter];
}

#[derive(Debug)]
pub enum Pending {
    Purge { url: String },
    Delete { url: String, receipt_handle: String },
    Redrive { source: RedriveTarget, destination: RedriveTarget, total: u64 },
}

impl std::fmt::Debug for RedriveTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

#[derive(Debug)]
pub enum View {
    List,
    Detail {
        url: String,
        sources: Option<Result<Vec<String>, String>>,
    },
    PeekWarning {
        url: String,
        max_receive: u32,
        /// Messages just peeked that one more receive moves to the DLQ (asked every time).
        at_risk: usize,
    },
    /// Where a DLQ's messages go: its sources first, then any other queue.
    RedrivePick {
        url: String,
        choices: Vec<String>,
        sources: usize,
        selected: usize,
    },
    Peek {
        url: String,
        messages: Option<Result<Vec<PeekedMessage>, String>>,
        selected: usize,
    },
    Send(SendForm),
    Confirm {
        confirm: Confirm,
        action: Pending,
        back: String,
    },
    Redrive {
        from: String,
        to: String,
        progress: RedriveProgress,
        result: Option<Result<RedriveReport, String>>,
    },
}

#[derive(Debug)]
pub struct SqsPanel {
    pub queues: Vec<QueueRow>,
    pub loading: bool,
    pub list_error: Option<String>,
    pub generation: u64,
    pub selected: usize,
    pub filter: String,
    pub filtering: bool,
    pub sort: Column,
    pub descending: bool,
    pub view: View,
    pub notice: Option<(String, bool)>,
    /// Queues whose receive-count warning the operator has accepted.
    pub warned: HashSet<String>,
    pub counts_at: Option<Timestamp>,
    /// ARNs that some queue's redrive policy points at; kept with the attributes so that
    /// thousands of queues are drawn without comparing each with each.
    dead_letter_targets: HashSet<String>,
}

impl Default for SqsPanel {
    fn default() -> Self {
        Self {
            queues: Vec::new(),
            loading: false,
            list_error: None,
            generation: 0,
            selected: 0,
            filter: String::new(),
            filtering: false,
            sort: Column::Name,
            descending: false,
            view: View::List,
            notice: None,
            warned: HashSet::new(),
            counts_at: None,
            dead_letter_targets: HashSet::new(),
        }
    }
}

fn name_of_arn(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

impl SqsPanel {
    /// A panel already holding `queues` (benchmarks and tests start from here).
    pub fn with_queues(queues: Vec<QueueRow>) -> Self {
        let mut panel = Self { queues, generation: 1, ..Self::default() };
        panel.index_dead_letters();
        panel
    }

    pub fn queue(&self, url: &str) -> Option<&QueueRow> {
        self.queues.iter().find(|row| row.summary.url == url)
    }

    fn queue_by_arn(&self, arn: &str) -> Option<&QueueRow> {
        self.queues
            .iter()
            .find(|row| row.attributes.as_ref().and_then(QueueAttributes::arn) == Some(arn))
            .or_else(|| self.queues.iter().find(|row| row.summary.name == name_of_arn(arn)))
    }

    /// The name of the queue's dead-letter queue, if it has a redrive policy.
    pub fn dead_letter_of(&self, row: &QueueRow) -> Option<String> {
        let policy = row.attributes.as_ref()?.redrive_policy()?;
        Some(name_of_arn(&policy.dead_letter_target_arn).to_owned())
    }

    /// Whether another queue of the account sends its failures here.
    pub fn is_dead_letter(&self, row: &QueueRow) -> bool {
        row.attributes.as_ref().and_then(QueueAttributes::arn).is_some_and(|arn| self.dead_letter_targets.contains(arn))
    }

    fn index_dead_letters(&mut self) {
        self.dead_letter_targets = self
            .queues
            .iter()
            .filter_map(|row| row.attributes.as_ref()?.redrive_policy())
            .map(|policy| policy.dead_letter_target_arn)
            .collect();
    }

    pub fn visible(&self) -> Vec<&QueueRow> {
        let filter = self.filter.to_lowercase();
        let mut rows: Vec<&QueueRow> =
            self.queues.iter().filter(|row| row.summary.name.to_lowercase().contains(&filter)).collect();
        let count = |row: &QueueRow, pick: fn(&QueueAttributes) -> Option<u64>| row.attributes.as_ref().and_then(pick);
        match self.sort {
            Column::Name => rows.sort_by(|a, b| a.summary.name.cmp(&b.summary.name)),
            Column::Kind => rows.sort_by_cached_key(|row| (row.summary.fifo, row.summary.name.clone())),
            Column::Visible => {
                rows.sort_by_cached_key(|row| (count(row, QueueAttributes::visible), row.summary.name.clone()))
            }
            Column::InFlight => {
                rows.sort_by_cached_key(|row| (count(row, QueueAttributes::in_flight), row.summary.name.clone()))
            }
            Column::Delayed => {
                rows.sort_by_cached_key(|row| (count(row, QueueAttributes::delayed), row.summary.name.clone()))
            }
            Column::DeadLetter => rows.sort_by_cached_key(|row| {
                (!self.is_dead_letter(row), self.dead_letter_of(row).is_none(), row.summary.name.clone())
            }),
        }
        if self.descending {
            rows.reverse();
        }
        rows
    }

    fn selected_url(&self) -> Option<String> {
        self.visible().get(self.selected).map(|row| row.summary.url.clone())
    }

    fn current_url(&self) -> Option<String> {
        match &self.view {
            View::List => self.selected_url(),
            View::Detail { url, .. }
            | View::PeekWarning { url, .. }
            | View::Peek { url, .. }
            | View::RedrivePick { url, .. } => Some(url.clone()),
            View::Send(form) => Some(form.url.clone()),
            View::Confirm { back, .. } => Some(back.clone()),
            View::Redrive { .. } => None,
        }
    }

    fn relist(&mut self) -> Vec<Job> {
        self.generation += 1;
        self.loading = true;
        vec![jobs::list(self.generation)]
    }

    fn recount(&mut self, now: Timestamp) -> Vec<Job> {
        self.counts_at = Some(now);
        jobs::count(self.generation, self.queues.iter().map(|row| row.summary.url.clone()).collect())
    }

    fn notice(&mut self, text: String, error: bool) {
        self.notice = Some((text, error));
    }

    fn refuse_if_read_only(&mut self, context: &PanelContext, action: &str) -> bool {
        if context.read_only {
            self.notice(
                format!(
                    "{} is read_only: switchboard will not {action} through it (the inventory marks it so)",
                    context.row.key
                ),
                true,
            );
        }
        context.read_only
    }

    fn detail(&mut self, url: String) -> Vec<Job> {
        self.view = View::Detail { url: url.clone(), sources: None };
        vec![jobs::sources(url)]
    }

    fn start_peek(&mut self, url: String) -> Vec<Job> {
        let max_receive = self
            .queue(&url)
            .and_then(|row| row.attributes.as_ref()?.redrive_policy())
            .map(|policy| policy.max_receive_count);
        match max_receive {
            Some(max_receive) if !self.warned.contains(&url) => {
                self.view = View::PeekWarning { url, max_receive, at_risk: 0 };
                Vec::new()
            }
            _ => self.peek_now(url),
        }
    }

    fn peek_now(&mut self, url: String) -> Vec<Job> {
        self.view = View::Peek { url: url.clone(), messages: None, selected: 0 };
        vec![jobs::peek(url)]
    }

    /// Peeking again: warns when the messages on screen are one receive from their DLQ.
    fn peek_again(&mut self, url: String, shown: &[PeekedMessage]) -> Vec<Job> {
        let max_receive = self
            .queue(&url)
            .and_then(|row| row.attributes.as_ref()?.redrive_policy())
            .map(|policy| policy.max_receive_count);
        let at_risk = max_receive.map_or(0, |max| {
            shown.iter().filter(|message| message.receive_count().is_some_and(|count| count + 1 >= max)).count()
        });
        match max_receive {
            Some(max_receive) if at_risk > 0 => {
                self.view = View::PeekWarning { url, max_receive, at_risk };
                Vec::new()
            }
            _ => self.start_peek(url),
        }
    }

    fn ask_purge(&mut self, context: &PanelContext, url: String) {
        if self.refuse_if_read_only(context, "purge queues") {
            return;
        }
        let name = self.queue(&url).map_or_else(|| url.clone(), |row| row.summary.name.clone());
        let prompt = format!("Purge {name}? Every message in it is deleted, for good. Type the queue name to confirm.");
        self.view = View::Confirm {
            confirm: Confirm { prompt, expected: name, typed: String::new(), mismatch: false },
            action: Pending::Purge { url: url.clone() },
            back: url,
        };
    }

    fn ask_redrive(&mut self, context: &PanelContext, url: String) -> Vec<Job> {
        if self.refuse_if_read_only(context, "redrive messages") {
            return Vec::new();
        }
        let Some(row) = self.queue(&url) else { return Vec::new() };
        if row.attributes.as_ref().and_then(QueueAttributes::arn).is_none() {
            self.notice("the queue's attributes have not arrived yet".into(), true);
            return Vec::new();
        }
        let name = row.summary.name.clone();
        let sources = match &self.view {
            View::Detail { sources: Some(Ok(sources)), .. } => sources.clone(),
            _ => Vec::new(),
        };
        if sources.is_empty() {
            self.notice(format!("{name} is not the dead-letter queue of any queue here: nothing to redrive to"), true);
            return Vec::new();
        }
        // Its sources first (the usual way back), then any other queue of the account.
        let mut choices: Vec<String> = sources.iter().filter(|source| self.queue(source).is_some()).cloned().collect();
        choices.extend(
            self.queues
                .iter()
                .map(|other| other.summary.url.clone())
                .filter(|other| *other != url && !sources.contains(other)),
        );
        self.view = View::RedrivePick { url, choices, sources: sources.len(), selected: 0 };
        Vec::new()
    }

    fn confirm_redrive(&mut self, url: String, destination_url: &str) {
        let Some(row) = self.queue(&url) else { return };
        let Some(arn) = row.attributes.as_ref().and_then(QueueAttributes::arn).map(str::to_owned) else { return };
        let name = row.summary.name.clone();
        let total = row.attributes.as_ref().and_then(QueueAttributes::visible).unwrap_or(0);
        let Some(destination) = self.queue(destination_url) else { return };
        let Some(destination_arn) = destination.attributes.as_ref().and_then(QueueAttributes::arn).map(str::to_owned)
        else {
            self.notice("that queue's attributes have not arrived yet".into(), true);
            self.view = View::Detail { url, sources: None };
            return;
        };
        let destination = RedriveTarget {
            url: destination.summary.url.clone(),
            arn: destination_arn,
            fifo: destination.summary.fifo,
        };
        let destination_name = name_of_arn(&destination.arn).to_owned();
        let prompt =
            format!("Move the {total} messages of {name} back to {destination_name}? Type the DLQ's name to confirm.");
        let source = RedriveTarget { url: url.clone(), arn, fifo: row.summary.fifo };
        self.view = View::Confirm {
            confirm: Confirm { prompt, expected: name, typed: String::new(), mismatch: false },
            action: Pending::Redrive { source, destination, total },
            back: url,
        };
    }

    fn on_list_key(&mut self, key: KeyEvent, context: &PanelContext) -> KeyOutcome {
        if self.filtering {
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
            return KeyOutcome::Handled(Vec::new());
        }
        let count = self.visible().len();
        let jobs = match key.code {
            KeyCode::Char('j') | KeyCode::Down => {
                self.selected = (self.selected + 1).min(count.saturating_sub(1));
                Vec::new()
            }
            KeyCode::Char('k') | KeyCode::Up => {
                self.selected = self.selected.saturating_sub(1);
                Vec::new()
            }
            KeyCode::PageDown => {
                self.selected = (self.selected + 20).min(count.saturating_sub(1));
                Vec::new()
            }
            KeyCode::PageUp => {
                self.selected = self.selected.saturating_sub(20);
                Vec::new()
            }
            KeyCode::Home | KeyCode::Char('g') => {
                self.selected = 0;
                Vec::new()
            }
            KeyCode::End | KeyCode::Char('G') => {
                self.selected = count.saturating_sub(1);
                Vec::new()
            }
            KeyCode::Char('/') => {
                self.filtering = true;
                Vec::new()
            }
            KeyCode::Char(digit @ '1'..='6') => {
                let column = Column::ALL[usize::from(digit as u8 - b'1')];
                self.descending = column == self.sort && !self.descending;
                self.sort = column;
                Vec::new()
            }
            KeyCode::Char('r') => {
                let mut jobs = self.relist();
                jobs.extend(self.recount(context.now));
                jobs
            }
            KeyCode::Esc if !self.filter.is_empty() => {
                self.filter.clear();
                Vec::new()
            }
            KeyCode::Enter => match self.selected_url() {
                Some(url) => self.detail(url),
                None => Vec::new(),
            },
            _ => return self.on_queue_key(key, context),
        };
        KeyOutcome::Handled(jobs)
    }

    /// Keys that act on "the current queue", in the list and in the detail.
    fn on_queue_key(&mut self, key: KeyEvent, context: &PanelContext) -> KeyOutcome {
        let Some(url) = self.current_url() else { return KeyOutcome::Ignored };
        let jobs = match key.code {
            KeyCode::Char('p') => self.start_peek(url),
            KeyCode::Char('n') => {
                if !self.refuse_if_read_only(context, "send messages") {
                    let (name, fifo) = self
                        .queue(&url)
                        .map_or((String::new(), false), |row| (row.summary.name.clone(), row.summary.fifo));
                    self.view = View::Send(SendForm::new(url, name, fifo));
                }
                Vec::new()
            }
            KeyCode::Char('P') => {
                self.ask_purge(context, url);
                Vec::new()
            }
            _ => return KeyOutcome::Ignored,
        };
        KeyOutcome::Handled(jobs)
    }

    fn on_detail_key(&mut self, key: KeyEvent, context: &PanelContext, url: String) -> KeyOutcome {
        let jobs = match key.code {
            KeyCode::Esc | KeyCode::Char('q') => {
                self.view = View::List;
                Vec::new()
            }
            KeyCode::Char('r') => {
                let mut jobs = self.recount(context.now);
                jobs.extend(self.detail(url));
                jobs
            }
            KeyCode::Char('D') => {
                let target = self
                    .queue(&url)
                    .and_then(|row| row.attributes.as_ref()?.redrive_policy())
                    .map(|policy| policy.dead_letter_target_arn);
                match target.and_then(|arn| self.queue_by_arn(&arn)).map(|row| row.summary.url.clone()) {
                    Some(dead_letter) => self.detail(dead_letter),
                    None => {
                        self.notice("this queue has no dead-letter queue here".into(), false);
                        Vec::new()
                    }
                }
            }
            KeyCode::Char('m') => self.ask_redrive(context, url),
            _ => return self.on_queue_key(key, context),
        };
        KeyOutcome::Handled(jobs)
    }

    fn back_to_detail(&mut self, url: String) -> Vec<Job> {
        self.detail(url)
    }
}

impl Panel for SqsPanel {
    fn title(&self) -> &'static str {
        "sqs"
    }

    fn open(&mut self, context: &PanelContext) -> Vec<Job> {
        if self.generation > 0 {
            return Vec::new();
        }
        self.counts_at = Some(context.now);
        self.relist()
    }

    fn on_key(&mut self, key: KeyEvent, context: &PanelContext) -> KeyOutcome {
        self.notice = None;
        let view = std::mem::replace(&mut self.view, View::List);
        match view {
            View::List => {
                self.view = View::List;
                if key.code == KeyCode::Esc && self.filter.is_empty() && !self.filtering {
                    return KeyOutcome::Ignored;
                }
                self.on_list_key(key, context)
            }
            View::Detail { url, sources } => {
                self.view = View::Detail { url: url.clone(), sources };
                self.on_detail_key(key, context, url)
            }
            View::RedrivePick { url, choices, sources, selected } => match key.code {
                KeyCode::Esc | KeyCode::Char('q') => KeyOutcome::Handled(self.back_to_detail(url)),
                KeyCode::Enter => {
                    match choices.get(selected) {
                        Some(destination) => self.confirm_redrive(url, destination),
                        None => self.view = View::Detail { url, sources: None },
                    }
                    KeyOutcome::Handled(Vec::new())
                }
                KeyCode::Char('j') | KeyCode::Down => {
                    let selected = (selected + 1).min(choices.len().saturating_sub(1));
                    self.view = View::RedrivePick { url, choices, sources, selected };
                    KeyOutcome::Handled(Vec::new())
                }
                KeyCode::Char('k') | KeyCode::Up => {
                    self.view = View::RedrivePick { url, choices, sources, selected: selected.saturating_sub(1) };
                    KeyOutcome::Handled(Vec::new())
                }
                _ => {
                    self.view = View::RedrivePick { url, choices, sources, selected };
                    KeyOutcome::Handled(Vec::new())
                }
            },
            View::PeekWarning { url, max_receive, at_risk } => match key.code {
                KeyCode::Char('y') | KeyCode::Enter => {
                    self.warned.insert(url.clone());
                    KeyOutcome::Handled(self.peek_now(url))
                }
                KeyCode::Char('n') | KeyCode::Esc => KeyOutcome::Handled(self.back_to_detail(url)),
                _ => {
                    self.view = View::PeekWarning { url, max_receive, at_risk };
                    KeyOutcome::Handled(Vec::new())
                }
            },
            View::Peek { url, messages, selected } => {
                let count = messages.as_ref().and_then(|found| found.as_ref().ok()).map_or(0, Vec::len);
                let receipt = messages
                    .as_ref()
                    .and_then(|found| found.as_ref().ok())
                    .and_then(|found| found.get(selected))
                    .map(|message| message.receipt_handle.clone());
                match key.code {
                    KeyCode::Esc | KeyCode::Char('q') => KeyOutcome::Handled(self.back_to_detail(url)),
                    KeyCode::Char('j') | KeyCode::Down => {
                        self.view = View::Peek { url, messages, selected: (selected + 1).min(count.saturating_sub(1)) };
                        KeyOutcome::Handled(Vec::new())
                    }
                    KeyCode::Char('k') | KeyCode::Up => {
                        self.view = View::Peek { url, messages, selected: selected.saturating_sub(1) };
                        KeyOutcome::Handled(Vec::new())
                    }
                    KeyCode::Char('r') | KeyCode::Char('p') => {
                        let shown = messages.and_then(Result::ok).unwrap_or_default();
                        KeyOutcome::Handled(self.peek_again(url, &shown))
                    }
                    KeyCode::Char('d') => {
                        let Some(receipt_handle) = receipt else {
                            self.view = View::Peek { url, messages, selected };
                            return KeyOutcome::Handled(Vec::new());
                        };
                        self.view = View::Peek { url: url.clone(), messages, selected };
                        if self.refuse_if_read_only(context, "delete messages") {
                            return KeyOutcome::Handled(Vec::new());
                        }
                        if context.row.production {
                            let name = self.queue(&url).map_or_else(|| url.clone(), |row| row.summary.name.clone());
                            let prompt = format!(
                                "{} is a production account. Delete this message from {name}? Type the queue name to confirm.",
                                context.row.key.account
                            );
                            self.view = View::Confirm {
                                confirm: Confirm { prompt, expected: name, typed: String::new(), mismatch: false },
                                action: Pending::Delete { url: url.clone(), receipt_handle },
                                back: url,
                            };
                            return KeyOutcome::Handled(Vec::new());
                        }
                        KeyOutcome::Handled(vec![jobs::delete(url, receipt_handle)])
                    }
                    _ => {
                        self.view = View::Peek { url, messages, selected };
                        KeyOutcome::Handled(Vec::new())
                    }
                }
            }
            View::Send(mut form) => match form.on_key(key) {
                FormOutcome::Editing => {
                    self.view = View::Send(form);
                    KeyOutcome::Handled(Vec::new())
                }
                FormOutcome::Cancel => KeyOutcome::Handled(self.back_to_detail(form.url)),
                FormOutcome::Submit(request) => {
                    let url = form.url.clone();
                    self.view = View::Send(form);
                    self.notice("sending…".into(), false);
                    KeyOutcome::Handled(vec![jobs::send(url, request)])
                }
            },
            View::Confirm { mut confirm, action, back } => match confirm.on_key(key) {
                ConfirmOutcome::Typing => {
                    self.view = View::Confirm { confirm, action, back };
                    KeyOutcome::Handled(Vec::new())
                }
                ConfirmOutcome::Cancel => {
                    self.notice("cancelled; nothing changed".into(), false);
                    KeyOutcome::Handled(self.back_to_detail(back))
                }
                ConfirmOutcome::Confirmed => {
                    let jobs = match action {
                        Pending::Purge { url } => {
                            // Back to the detail as it was: its DLQ sources are asked again.
                            let mut jobs = self.detail(url.clone());
                            jobs.push(jobs::purge(url));
                            jobs
                        }
                        Pending::Delete { url, receipt_handle } => {
                            self.view = View::Peek { url: url.clone(), messages: None, selected: 0 };
                            vec![jobs::delete(url, receipt_handle)]
                        }
                        Pending::Redrive { source, destination, total } => {
                            self.view = View::Redrive {
                                from: name_of_arn(&source.arn).to_owned(),
                                to: name_of_arn(&destination.arn).to_owned(),
                                progress: RedriveProgress { moved: 0, failed: 0, total },
                                result: None,
                            };
                            vec![jobs::redrive(source, destination, total)]
                        }
                    };
                    KeyOutcome::Handled(jobs)
                }
            },
            View::Redrive { from, to, progress, result } => {
                if result.is_some() && matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) {
                    let mut jobs = self.recount(context.now);
                    self.view = View::List;
                    jobs.extend(Vec::new());
                    return KeyOutcome::Handled(jobs);
                }
                self.view = View::Redrive { from, to, progress, result };
                KeyOutcome::Handled(Vec::new())
            }
        }
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

    fn on_result(&mut self, result: Result<Payload, String>, context: &PanelContext) -> Vec<Job> {
        let role = &context.row.key;
        let payload = match result {
            Ok(payload) => payload,
            Err(message) => {
                self.loading = false;
                self.notice(message, true);
                return Vec::new();
            }
        };
        let payload = match payload.downcast::<jobs::Listed>() {
            Ok(listed) => {
                if listed.generation != self.generation {
                    return Vec::new();
                }
                self.loading = false;
                match listed.result {
                    Ok(found) => {
                        let previous = std::mem::take(&mut self.queues);
                        self.queues = found
                            .into_iter()
                            .map(|summary| {
                                let attributes = previous
                                    .iter()
                                    .find(|row| row.summary.url == summary.url)
                                    .and_then(|row| row.attributes.clone());
                                QueueRow { summary, attributes, error: None }
                            })
                            .collect();
                        self.list_error = None;
                        self.selected = self.selected.min(self.queues.len().saturating_sub(1));
                        self.index_dead_letters();
                        return self.recount(context.now);
                    }
                    Err(error) => {
                        self.list_error = Some(format!("{role}: {error}"));
                        return Vec::new();
                    }
                }
            }
            Err(other) => other,
        };
        let payload = match payload.downcast::<jobs::Counted>() {
            Ok(counted) => {
                if counted.generation == self.generation {
                    let index: std::collections::HashMap<String, usize> =
                        self.queues.iter().enumerate().map(|(at, row)| (row.summary.url.clone(), at)).collect();
                    for (url, result) in counted.counts {
                        if let Some(row) = index.get(&url).and_then(|at| self.queues.get_mut(*at)) {
                            match result {
                                Ok(attributes) => {
                                    row.attributes = Some(attributes);
                                    row.error = None;
                                }
                                Err(error) => row.error = Some(format!("{role}: {error}")),
                            }
                        }
                    }
                    self.index_dead_letters();
                }
                return Vec::new();
            }
            Err(other) => other,
        };
        let payload = match payload.downcast::<jobs::Sources>() {
            Ok(found) => {
                if let View::Detail { url, sources } = &mut self.view
                    && *url == found.url
                {
                    *sources = Some(found.result.map_err(|error| format!("{role}: {error}")));
                }
                return Vec::new();
            }
            Err(other) => other,
        };
        let payload = match payload.downcast::<jobs::Peeked>() {
            Ok(peeked) => {
                if let View::Peek { url, messages, selected } = &mut self.view
                    && *url == peeked.url
                {
                    *selected = 0;
                    *messages = Some(peeked.result.map_err(|error| format!("{role}: {error}")));
                }
                return Vec::new();
            }
            Err(other) => other,
        };
        let payload = match payload.downcast::<jobs::Done>() {
            Ok(done) => {
                let name = self.queue(&done.url).map_or_else(|| done.url.clone(), |row| row.summary.name.clone());
                let mut jobs = self.recount(context.now);
                match done.result {
                    Ok(()) => {
                        self.notice(format!("{} {name}", done.what), false);
                        match &self.view {
                            View::Send(_) => jobs.extend(self.back_to_detail(done.url)),
                            View::Peek { .. } => jobs.extend(self.start_peek(done.url)),
                            _ => {}
                        }
                    }
                    Err(error) => self.notice(format!("{role}: {error}"), true),
                }
                return jobs;
            }
            Err(other) => other,
        };
        let payload = match payload.downcast::<jobs::RedriveStep>() {
            Ok(step) => {
                if let View::Redrive { progress, .. } = &mut self.view {
                    *progress = step.0;
                }
                return Vec::new();
            }
            Err(other) => other,
        };
        if let Ok(done) = payload.downcast::<jobs::Redriven>() {
            if let View::Redrive { result, .. } = &mut self.view {
                *result = Some(done.0.map_err(|error| format!("{role}: {error}")));
            }
            return self.recount(context.now);
        }
        Vec::new()
    }

    fn on_tick(&mut self, context: &PanelContext) -> Vec<Job> {
        let due = self
            .counts_at
            .is_none_or(|at| context.now.duration_since(at).as_secs() >= context.refresh_every.as_secs() as i64);
        let browsing = matches!(self.view, View::List | View::Detail { .. });
        if due && browsing && !self.loading && !self.queues.is_empty() { self.recount(context.now) } else { Vec::new() }
    }

    fn render(
        &self,
        frame: &mut ratatui::Frame,
        area: ratatui::layout::Rect,
        context: &PanelContext,
        theme: crate::tui::ui::theme::Theme,
    ) {
        render::render(self, frame, area, context, theme);
    }

    fn hints(&self) -> String {
        match &self.view {
            View::List if self.filtering => "type to filter · Enter keeps · Esc clears".into(),
            View::List => {
                "Enter detail · p peek · n send · P purge · / filter · 1-6 sort · r refresh · Tab panel · Esc back"
                    .into()
            }
            View::Detail { url, sources } => {
                let mut hints = String::from("p peek · n send · P purge");
                if self.queue(url).and_then(|row| row.attributes.as_ref()?.redrive_policy()).is_some() {
                    hints.push_str(" · D its DLQ");
                }
                if matches!(sources, Some(Ok(found)) if !found.is_empty()) {
                    hints.push_str(" · m redrive");
                }
                hints.push_str(" · r refresh · Esc list");
                hints
            }
            View::PeekWarning { .. } => "y peek anyway · n back".into(),
            View::RedrivePick { .. } => "j/k choose where the messages go · Enter confirm · Esc back".into(),
            View::Peek { .. } => "j/k select · d delete · r peek again · Esc back".into(),
            View::Send(_) => "Tab/↑↓ field · Enter on the last field or Ctrl-s sends · Esc cancels".into(),
            View::Confirm { .. } => "type the name · Enter confirms · Esc cancels".into(),
            View::Redrive { result: None, .. } => "moving messages…".into(),
            View::Redrive { .. } => "Enter back to the list".into(),
        }
    }
}
