//! What the SQS panel's commands do: open a detail, peek (with its receive-count warning),
//! open the send form, and ask for the typed confirmation of a purge, delete or redrive.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::domain::sqs::changes::{ActingRole, Change, Confirmation};
use crate::domain::sqs::{PeekedMessage, QueueAttributes, QueueSummary, RedriveProgress};
use crate::tui::panels::panel::{Job, PanelContext};

use super::forms::{Confirm, SendForm};
use super::jobs;
use super::messages::{Message, RedriveTarget, name_of_arn};

use super::state::{Pending, Reading, RedriveView, SqsPanel, View};

fn confirm(prompt: String, expected: String) -> Confirm {
    Confirm { prompt, expected, typed: String::new(), mismatch: false }
}

impl SqsPanel {
    /// Who makes the panel's changes, and where they are recorded.
    pub(super) fn change_by(&self, context: &PanelContext) -> jobs::ChangeBy {
        let role =
            ActingRole { key: context.row.key.clone(), read_only: context.read_only, production: context.row.production };
        jobs::ChangeBy { role, audit: self.audit.clone() }
    }

    /// What the rails ask before `change`; None, and the refusal said, when the role may not.
    fn rails(&mut self, context: &PanelContext, change: Change) -> Option<Confirmation> {
        match self.change_by(context).role.confirmation(change) {
            Ok(needed) => Some(needed),
            Err(refused) => {
                self.notice(refused.to_string(), true);
                None
            }
        }
    }

    /// Opens the queue's detail (from the fleet view, in the queue's own account).
    pub fn open_queue(&mut self, url: String) -> Vec<Job<Message>> {
        self.detail(url)
    }

    /// The queue's detail, asking again which queues send their failures to it.
    pub(super) fn detail(&mut self, url: String) -> Vec<Job<Message>> {
        self.view = View::Detail { url: url.clone(), sources: None };
        vec![jobs::sources(url)]
    }

    /// The detail of the queue's dead-letter queue.
    pub(super) fn open_dead_letter(&mut self, url: &str) -> Vec<Job<Message>> {
        let target = self
            .queue(url)
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

    pub(super) fn start_peek(&mut self, url: String) -> Vec<Job<Message>> {
        match self.max_receive_of(&url) {
            Some(max_receive) if !self.warned.contains(&url) => {
                self.view = View::PeekWarning { url, max_receive, at_risk: 0 };
                Vec::new()
            }
            _ => self.peek_now(url),
        }
    }

    pub(super) fn peek_now(&mut self, url: String) -> Vec<Job<Message>> {
        self.view = View::Peek { url: url.clone(), messages: None, selected: 0, reading: Reading::default() };
        vec![jobs::peek(url)]
    }

    /// Peeking again: warns when the messages on screen are one receive from their DLQ.
    pub(super) fn peek_again(&mut self, url: String, shown: &[PeekedMessage]) -> Vec<Job<Message>> {
        let max_receive = self.max_receive_of(&url);
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

    pub(super) fn open_send(&mut self, context: &PanelContext, url: String) {
        if self.rails(context, Change::SendMessage).is_none() {
            return;
        }
        let (name, fifo) =
            self.queue(&url).map_or((String::new(), false), |row| (row.summary.name.clone(), row.summary.fifo));
        self.view = View::Send(SendForm::new(url, name, fifo));
    }

    /// Purges the queue once its name is typed (when the rails want it typed).
    pub(super) fn ask_purge(&mut self, context: &PanelContext, url: String) -> Vec<Job<Message>> {
        match self.rails(context, Change::Purge) {
            None => return Vec::new(),
            Some(Confirmation::Nothing) => return vec![jobs::purge(self.change_by(context), url, None)],
            Some(Confirmation::QueueName) => {}
        }
        // The name the rails compare the typed one with (a queue no longer listed has one too).
        let name = QueueSummary::from_url(&url).name;
        let prompt = format!("Purge {name}? Every message in it is deleted, for good. Type the queue name to confirm.");
        self.view =
            View::Confirm { confirm: confirm(prompt, name), action: Pending::Purge { url: url.clone() }, back: url };
        Vec::new()
    }

    /// Deletes the peeked message; asks for the queue's name first when the rails want it
    /// (in production accounts).
    pub(super) fn ask_delete(
        &mut self,
        context: &PanelContext,
        url: String,
        (id, receipt_handle): (String, String),
    ) -> Vec<Job<Message>> {
        match self.rails(context, Change::Delete) {
            None => return Vec::new(),
            Some(Confirmation::Nothing) => {
                return vec![jobs::delete(self.change_by(context), url, (id, receipt_handle), None)];
            }
            Some(Confirmation::QueueName) => {}
        }
        // The name the rails compare the typed one with (a queue no longer listed has one too).
        let name = QueueSummary::from_url(&url).name;
        let prompt = format!(
            "{} is a production account. Delete this message from {name}? Type the queue name to confirm.",
            context.row.key.account
        );
        self.view = View::Confirm {
            confirm: confirm(prompt, name),
            action: Pending::Delete { url: url.clone(), id, receipt_handle },
            back: url,
        };
        Vec::new()
    }

    /// The picker of where a DLQ's messages go: its sources first, then any other queue.
    pub(super) fn ask_redrive(&mut self, context: &PanelContext, url: String) {
        // The screen always asks for the DLQ's name: its confirmation also says how many move.
        if self.rails(context, Change::Redrive).is_none() {
            return;
        }
        let Some(row) = self.queue(&url) else { return };
        if row.attributes.as_ref().and_then(QueueAttributes::arn).is_none() {
            self.notice("the queue's attributes have not arrived yet".into(), true);
            return;
        }
        let name = row.summary.name.clone();
        let sources = match &self.view {
            View::Detail { sources: Some(Ok(sources)), .. } => sources.clone(),
            _ => Vec::new(),
        };
        if sources.is_empty() {
            self.notice(format!("{name} is not the dead-letter queue of any queue here: nothing to redrive to"), true);
            return;
        }
        let mut choices: Vec<String> = sources.iter().filter(|source| self.queue(source).is_some()).cloned().collect();
        choices.extend(
            self.queues
                .iter()
                .map(|other| other.summary.url.clone())
                .filter(|other| *other != url && !sources.contains(other)),
        );
        self.view = View::RedrivePick { url, choices, sources: sources.len(), selected: 0 };
    }

    /// The typed confirmation of a redrive from the DLQ at `url` to `destination_url`, or
    /// why it cannot be asked yet (the picker stays on screen and says so).
    pub(super) fn confirm_redrive(&mut self, url: &str, destination_url: &str) -> Result<(), String> {
        let row = self.queue(url).ok_or("the dead-letter queue is no longer listed; r refreshes the list")?;
        let arn = row
            .attributes
            .as_ref()
            .and_then(QueueAttributes::arn)
            .ok_or("the queue's attributes have not arrived yet")?
            .to_owned();
        let name = row.summary.name.clone();
        let total = row.attributes.as_ref().and_then(QueueAttributes::visible).unwrap_or(0);
        let source = RedriveTarget { url: url.to_owned(), arn, fifo: row.summary.fifo };
        let destination = self.queue(destination_url).ok_or("that queue is no longer listed")?;
        let destination_arn = destination
            .attributes
            .as_ref()
            .and_then(QueueAttributes::arn)
            .ok_or("that queue's attributes have not arrived yet")?
            .to_owned();
        let destination = RedriveTarget {
            url: destination.summary.url.clone(),
            arn: destination_arn,
            fifo: destination.summary.fifo,
        };
        let destination_name = name_of_arn(&destination.arn).to_owned();
        let prompt =
            format!("Move the {total} messages of {name} back to {destination_name}? Type the DLQ's name to confirm.");
        self.view = View::Confirm {
            confirm: confirm(prompt, name),
            action: Pending::Redrive { source, destination, total },
            back: url.to_owned(),
        };
        Ok(())
    }

    /// The name was typed: do what was asked (the rails see the typed name again).
    pub(super) fn confirmed(&mut self, context: &PanelContext, action: Pending, typed: String) -> Vec<Job<Message>> {
        let by = self.change_by(context);
        match action {
            Pending::Purge { url } => {
                // Back to the detail as it was: its DLQ sources are asked again.
                let mut jobs = self.detail(url.clone());
                jobs.push(jobs::purge(by, url, Some(typed)));
                jobs
            }
            Pending::Delete { url, id, receipt_handle } => {
                self.view = View::Peek { url: url.clone(), messages: None, selected: 0, reading: Reading::default() };
                vec![jobs::delete(by, url, (id, receipt_handle), Some(typed))]
            }
            Pending::Redrive { source, destination, total } => {
                let stop = Arc::new(AtomicBool::new(false));
                self.view = View::Redrive(Box::new(RedriveView {
                    from: name_of_arn(&source.arn).to_owned(),
                    to: name_of_arn(&destination.arn).to_owned(),
                    source_url: source.url.clone(),
                    progress: RedriveProgress { moved: 0, failed: 0, total },
                    handle: None,
                    task: None,
                    note: None,
                    stop: Arc::clone(&stop),
                    cancel_asked: false,
                    result: None,
                }));
                let run =
                    jobs::RedriveRun { by, typed_name: typed, total, stop, poll_every: self.move_poll_every };
                vec![jobs::redrive(source, destination, run)]
            }
        }
    }

    /// `c` during a redrive: a move task is cancelled (CancelMessageMoveTask); a copy stops
    /// after its current batch (what was copied stays copied, nothing is lost).
    pub(super) fn cancel_redrive(&mut self, context: &PanelContext) -> Vec<Job<Message>> {
        let by = self.change_by(context);
        let View::Redrive(redrive) = &mut self.view else { return Vec::new() };
        if redrive.result.is_some() || redrive.cancel_asked {
            return Vec::new();
        }
        redrive.cancel_asked = true;
        match redrive.handle.clone() {
            Some(handle) => {
                let source_url = redrive.source_url.clone();
                self.notice("cancelling the move task…".into(), false);
                vec![jobs::cancel_move(by, source_url, handle)]
            }
            None => {
                redrive.stop.store(true, Ordering::SeqCst);
                self.notice("stopping the copy after the current batch…".into(), false);
                Vec::new()
            }
        }
    }
}
