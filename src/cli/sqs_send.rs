//! `switchboard sqs send ROLE QUEUE --from-file FILE [--dry-run] [--confirm NAME]`: the
//! messages of a JSON Lines file (as `sqs dump` writes them) sent back with their attributes
//! and, to a FIFO queue, their group and a deduplication id from their original id. In a
//! production account it is a dry run unless `--confirm` names the queue.

use std::path::Path;
use std::process::ExitCode;

use crate::domain::audit::AuditEntry;
use crate::domain::sqs::copy::{batches, copy_request};
use crate::domain::sqs::{BatchEntry, Sqs, message_file};

use super::sqs_dump::{failed, open_queue};
use super::{AppError, GlobalOptions};

pub struct SendArgs<'a> {
    pub role: &'a str,
    pub queue: &'a str,
    pub file: &'a Path,
    pub dry_run: bool,
    pub confirm: Option<&'a str>,
}

pub async fn run(options: &GlobalOptions, args: SendArgs<'_>) -> Result<ExitCode, AppError> {
    let messages = message_file::read_messages(args.file).map_err(|error| AppError::Usage(error.to_string()))?;
    let opened = open_queue(options, args.role, args.queue).await?;
    let name = opened.queue.name.clone();
    if opened.read_only {
        return Err(AppError::Usage(format!("{} is read_only: switchboard will not send through it", opened.role)));
    }
    if let Some(confirm) = args.confirm.filter(|confirm| *confirm != name) {
        return Err(AppError::Usage(format!("--confirm {confirm} does not match the queue's name {name}")));
    }
    let production_dry_run = opened.production && args.confirm.is_none();
    if args.dry_run || production_dry_run {
        for message in &messages {
            let attributes: Vec<&str> = message.attributes.keys().map(String::as_str).collect();
            let group = message.group_id().map(|group| format!(" group {group}")).unwrap_or_default();
            let line =
                format!("{}  {} bytes{group}  attributes: {}", message.id, message.body.len(), attributes.join(", "));
            super::output::println(&line)?;
        }
        let why = if production_dry_run {
            format!("; {} is a production account: add --confirm {name} to send", opened.role.account)
        } else {
            String::new()
        };
        eprintln!("switchboard: dry run: would send {} messages to {name}{why}", messages.len());
        return Ok(ExitCode::SUCCESS);
    }
    let (mut sent, mut refused) = (Vec::new(), Vec::new());
    for batch in batches(messages) {
        let entries: Vec<BatchEntry> = batch
            .iter()
            .enumerate()
            .map(|(index, message)| BatchEntry {
                id: format!("m{index}"),
                request: copy_request(message, opened.queue.fifo),
            })
            .collect();
        let outcome = opened.sqs.send_batch(&opened.queue.url, &entries).await;
        let entry = AuditEntry::new(&opened.role, &opened.region, &opened.queue.url, "send");
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                opened
                    .audit
                    .record(&entry.detail(format!("from {}", args.file.display())).outcome(&Err::<(), _>(&error)));
                return Err(failed(format!("{}: {error}; {} sent before", opened.role, sent.len())));
            }
        };
        let mut batch_sent = Vec::new();
        for (index, message) in batch.iter().enumerate() {
            let id = format!("m{index}");
            match outcome.failed.iter().find(|(failed, _)| *failed == id) {
                Some((_, why)) => refused.push(format!("{}: {why}", message.id)),
                None => batch_sent.push(message.id.clone()),
            }
        }
        let count = batch_sent.len() as u64;
        opened
            .audit
            .record(&entry.ids(batch_sent.clone()).count(count).detail(format!("from {}", args.file.display())));
        sent.extend(batch_sent);
    }
    for why in &refused {
        eprintln!("switchboard: not sent: {why}");
    }
    eprintln!("switchboard: sent {} messages to {name}, {} refused", sent.len(), refused.len());
    Ok(if refused.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
