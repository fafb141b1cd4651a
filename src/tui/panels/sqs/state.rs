//! What the SQS panel holds: the account's queues with their counts, the list's filter and
//! sort, and the view on screen (a queue's detail, a peek, a form, a confirmation, ...).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use jiff::Timestamp;

use super::commands::SqsCommand;
use crate::app::keys::Keymap;
use crate::domain::audit::{AuditEntry, AuditLog};
use crate::domain::sqs::message_view::MessageView;
use crate::domain::sqs::{MoveTask, PeekedMessage, QueueAttributes, QueueSummary, RedriveProgress, RedriveReport};

use super::forms::{Confirm, SendForm};
use super::messages::{RedriveTarget, name_of_arn};

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

/// A destructive action waiting for its typed confirmation.
#[derive(Debug)]
pub enum Pending {
    Purge { url: String },
    Delete { url: String, id: String, receipt_handle: String },
    Redrive { source: RedriveTarget, destination: RedriveTarget, total: u64 },
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
        reading: Reading,
    },
    /// The account's recent changes from the audit trail.
    Audit {
        entries: Result<Vec<AuditEntry>, String>,
        scroll: u16,
    },
    Send(SendForm),
    Confirm {
        confirm: Confirm,
        action: Pending,
        back: String,
    },
    Redrive(Box<RedriveView>),
}

/// How the peeked messages read: each one's view worked out once when it arrived, the
/// selected body's scroll, and whether an SNS message shows its envelope.
#[derive(Debug, Default)]
pub struct Reading {
    pub views: Vec<MessageView>,
    pub scroll: u16,
    pub envelope: bool,
}

/// A redrive on screen: a move task SQS runs (its last listed status), or switchboard's copy.
#[derive(Debug)]
pub struct RedriveView {
    pub from: String,
    pub to: String,
    pub source_url: String,
    pub progress: RedriveProgress,
    /// The move task's handle once it started (what `c` cancels).
    pub handle: Option<String>,
    pub task: Option<MoveTask>,
    /// Why switchboard copies instead (the endpoint has no move tasks).
    pub note: Option<String>,
    /// Asks the copy to stop after its current batch.
    pub stop: Arc<AtomicBool>,
    pub cancel_asked: bool,
    pub result: Option<Result<RedriveReport, String>>,
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
    /// The panel's keymap: defaults with `[ui.keys.sqs]` applied.
    pub keys: Keymap<SqsCommand>,
    /// Where changes are recorded (and `L` reads them back).
    pub audit: AuditLog,
    /// Between two looks at a running move task.
    pub move_poll_every: Duration,
    /// Where `x` saves peeked messages (None: the state directory's `messages/`).
    pub saves_dir: Option<std::path::PathBuf>,
    /// A job was refused for want of an MFA code: `r` goes to the screen, which asks for it.
    pub needs_mfa: bool,
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
            keys: Keymap::default(),
            audit: AuditLog::from_env(),
            move_poll_every: crate::domain::sqs::move_task::POLL_EVERY,
            saves_dir: None,
            needs_mfa: false,
        }
    }
}

impl SqsPanel {
    /// An empty panel whose keys are `keys` (the inventory's `[ui.keys.sqs]` applied).
    pub(super) fn with_keys(keys: Keymap<SqsCommand>) -> Self {
        Self { keys, ..Self::default() }
    }


    /// A panel already holding `queues` (benchmarks and tests start from here).
    pub fn with_queues(queues: Vec<QueueRow>) -> Self {
        let mut panel = Self { queues, generation: 1, ..Self::default() };
        panel.index_dead_letters();
        panel
    }

    pub fn queue(&self, url: &str) -> Option<&QueueRow> {
        self.queues.iter().find(|row| row.summary.url == url)
    }

    /// The queue's name, or its URL when it is no longer listed.
    pub(super) fn name_of(&self, url: &str) -> String {
        self.queue(url).map_or_else(|| url.to_owned(), |row| row.summary.name.clone())
    }

    pub(super) fn queue_by_arn(&self, arn: &str) -> Option<&QueueRow> {
        self.queues
            .iter()
            .find(|row| row.attributes.as_ref().and_then(QueueAttributes::arn) == Some(arn))
            .or_else(|| self.queues.iter().find(|row| row.summary.name == name_of_arn(arn)))
    }

    /// The queue's maxReceiveCount, if it has a redrive policy.
    pub(super) fn max_receive_of(&self, url: &str) -> Option<u32> {
        self.queue(url).and_then(|row| row.attributes.as_ref()?.redrive_policy()).map(|policy| policy.max_receive_count)
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

    pub(super) fn index_dead_letters(&mut self) {
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

    pub(super) fn selected_url(&self) -> Option<String> {
        self.visible().get(self.selected).map(|row| row.summary.url.clone())
    }

    pub(super) fn notice(&mut self, text: String, error: bool) {
        self.notice = Some((text, error));
    }
}
