//! `switchboard sqs dump ROLE QUEUE [--max N] [--out FILE]`: up to N messages as JSON Lines
//! (body, attributes with binary as base64, system attributes, ids), to a file or stdout.
//! Also the opening of one queue through a role, shared by `sqs send` and `sqs redrive`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::domain::audit::AuditLog;
use crate::domain::engine::Renewal;
use crate::domain::sqs::changes::{ActingRole, SqsChanges};
use crate::domain::sqs::message_file::{MessageFileError, MessagesOut};
use crate::domain::sqs::{self, AwsSqs, PeekedMessage, QueueSummary, Sqs, message_file};

use super::context::Context;
use super::{AppError, GlobalOptions};

/// Receives in a row that bring nothing new before a dump ends.
const QUIET_RECEIVES: u32 = 3;
/// How long dumped messages stay hidden, so that the next receive brings others.
const DUMP_VISIBILITY_SECONDS: u32 = 30;

/// A queue opened through a role's session, with what the safety rails need to know.
pub(super) struct OpenedQueue {
    pub sqs: AwsSqs,
    pub role: ActingRole,
    pub region: String,
    pub queue: QueueSummary,
    pub audit: AuditLog,
    pub max_receive: Option<u32>,
}

impl OpenedQueue {
    /// Changes to the queue's account and region through the role: the rails and the audit.
    pub fn changes(&self) -> SqsChanges<'_> {
        SqsChanges::new(&self.role, &self.region, &self.sqs, &self.audit)
    }
}

pub(super) fn failed(error: impl std::fmt::Display) -> AppError {
    AppError::Failed(error.to_string())
}

pub(super) async fn open_queue(options: &GlobalOptions, address: &str, queue: &str) -> Result<OpenedQueue, AppError> {
    let context = Context::open(options, true, false).await?;
    let inventory = context.engine.inventory();
    let role = inventory.find_role(address)?.clone();
    let production = inventory.account(&role.key.account).is_some_and(|account| account.is_production());
    let endpoint = inventory.endpoint_for("AWS_ENDPOINT_URL_SQS");
    let session = context.session(&role.key, Renewal::IfNeeded).await?;
    let sqs = AwsSqs::new(&session.credentials, &session.region, endpoint);
    let queue = sqs::find_queue(&sqs, queue).await.map_err(|error| failed(format!("{}: {error}", role.key)))?;
    let max_receive = sqs
        .attributes(&queue.url)
        .await
        .ok()
        .and_then(|attributes| attributes.redrive_policy())
        .map(|policy| policy.max_receive_count);
    Ok(OpenedQueue {
        sqs,
        role: ActingRole { key: role.key, read_only: role.read_only, production },
        region: session.region,
        queue,
        audit: AuditLog::from_env(),
        max_receive,
    })
}

/// Up to `max` distinct messages: each receive hides what it got for a while, so the next
/// one brings others; it ends after a few receives in a row that bring nothing new.
pub(super) async fn receive_up_to(sqs: &dyn Sqs, url: &str, max: usize) -> Result<Vec<PeekedMessage>, AppError> {
    let mut found: Vec<PeekedMessage> = Vec::new();
    let mut quiet = 0;
    while found.len() < max && quiet < QUIET_RECEIVES {
        let want = u8::try_from((max - found.len()).min(10)).unwrap_or(10);
        let batch = sqs.receive_waiting(url, want, DUMP_VISIBILITY_SECONDS, 1).await.map_err(failed)?;
        let before = found.len();
        for message in batch {
            if !found.iter().any(|known| known.id == message.id) {
                found.push(message);
            }
        }
        quiet = if found.len() == before { quiet + 1 } else { 0 };
    }
    found.truncate(max);
    Ok(found)
}

/// `--out FILE` opened before the session is asked for and anything received: a place that
/// cannot be written costs no MFA code, no receive count and no hidden message.
fn open_out(address: &str, path: &Path, replace: bool) -> Result<MessagesOut, AppError> {
    MessagesOut::create(path, replace).map_err(|error| {
        let shown = path.display();
        failed(match error {
            MessageFileError::Exists { .. } => {
                format!("{address}: --out {shown} already exists; name a new file, or add --force to replace it")
            }
            MessageFileError::IsDirectory { .. } => {
                format!("{address}: --out {shown} is a directory; name a file in it (such as {shown}/messages.jsonl)")
            }
            other => format!("{address}: cannot write --out {other}; name a file in a directory you can write"),
        })
    })
}

/// `out`: the file and whether to replace it when it exists (`--force`); stdout when `None`.
pub async fn run(
    options: &GlobalOptions,
    address: &str,
    queue: &str,
    max: usize,
    out: Option<(PathBuf, bool)>,
) -> Result<ExitCode, AppError> {
    let file = out.as_ref().map(|(path, replace)| open_out(address, path, *replace)).transpose()?;
    let opened = open_queue(options, address, queue).await?;
    let messages = receive_up_to(&opened.sqs, &opened.queue.url, max)
        .await
        .map_err(|error| failed(format!("{}: {error}", opened.role.key)))?;
    let whither = file.as_ref().map_or_else(|| "stdout".to_owned(), |file| file.path().display().to_string());
    match file {
        Some(file) => file.write(&messages).map_err(|error| {
            failed(format!(
                "{}: {error}; free some space or dump to another file (the {} messages received stay in {}, hidden for {DUMP_VISIBILITY_SECONDS}s)",
                opened.role.key,
                messages.len(),
                opened.queue.name
            ))
        })?,
        None => {
            let lines = message_file::to_lines(&messages);
            if !lines.is_empty() {
                super::output::print_json(lines.trim_end())?;
            }
        }
    }
    eprintln!("switchboard: {} messages of {} written to {whither}", messages.len(), opened.queue.name);
    if !messages.is_empty() {
        let limit = opened
            .max_receive
            .map(|max| format!("; maxReceiveCount is {max}, a message received that often goes to the DLQ"))
            .unwrap_or_default();
        eprintln!(
            "switchboard: each dumped message was received once more (its receive count rose) and is hidden for {DUMP_VISIBILITY_SECONDS}s{limit}"
        );
    }
    Ok(ExitCode::SUCCESS)
}
