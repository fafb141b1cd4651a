//! What the SQS panel's jobs take and answer: the floor of the panel (its jobs, its state and
//! the handling of its results all import this file; it imports none of them).

use crate::domain::sqs::changes::ChangeError;
use crate::domain::sqs::{MoveTask, PeekedMessage, QueueAttributes, QueueSummary, RedriveProgress, RedriveReport, SqsError};

/// What a job of the SQS panel sends back.
#[derive(Debug)]
pub enum Message {
    /// The account's queues, for the listing of `generation` (older ones are dropped).
    Listed {
        generation: u64,
        result: Result<Vec<QueueSummary>, SqsError>,
    },
    /// Attributes (counts) of a batch of queues.
    Counted {
        generation: u64,
        counts: Vec<(String, Result<QueueAttributes, SqsError>)>,
    },
    /// The queues that send their failures to `url`.
    Sources {
        url: String,
        result: Result<Vec<String>, SqsError>,
    },
    Peeked {
        url: String,
        result: Result<Vec<PeekedMessage>, SqsError>,
    },
    /// A send, delete or purge finished.
    Done(Done),
    /// How far a running redrive is (progress, before `Redriven`).
    RedriveStep(RedriveProgress),
    /// SQS took the move task.
    MoveStarted {
        handle: String,
    },
    /// The move task's status, as last listed.
    MoveStatus(MoveTask),
    /// The endpoint has no move tasks: switchboard copies, and says why.
    CopyNote(String),
    /// CancelMessageMoveTask answered (messages moved before the cancel).
    CancelAnswered(Result<u64, ChangeError>),
    Redriven(Result<RedriveReport, ChangeError>),
    /// The browser was started on the queue's console page (or why not).
    ConsoleOpened(Result<(), String>),
}

/// A change made to a queue: what it was (for the notice and the log), where, and how it went.
#[derive(Debug)]
pub struct Done {
    pub what: String,
    pub url: String,
    pub result: Result<(), ChangeError>,
}

/// A queue at either end of a redrive.
pub struct RedriveTarget {
    pub url: String,
    pub arn: String,
    pub fifo: bool,
}

impl std::fmt::Debug for RedriveTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

/// A queue's name from its ARN.
pub fn name_of_arn(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

