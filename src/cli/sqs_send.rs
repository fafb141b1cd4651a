//! `switchboard sqs send ROLE QUEUE --from-file FILE [--dry-run] [--confirm NAME]`: the
//! messages of a JSON Lines file (as `sqs dump` writes them) sent back with their attributes
//! and, to a FIFO queue, their group and a deduplication id from their original id. In a
//! production account it is a dry run unless `--confirm` names the queue.

use std::path::Path;
use std::process::ExitCode;

use crate::domain::sqs::changes::{Change, Refused};
use crate::domain::sqs::message_file;

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
    // The rails decide; a change they want confirmed is shown as a dry run instead.
    let unconfirmed = match opened.role.allows(Change::SendSaved, &name, args.confirm) {
        Ok(()) => None,
        Err(Refused::NameMismatch { typed, queue }) => {
            return Err(AppError::Usage(format!("--confirm {typed} does not match the queue's name {queue}")));
        }
        Err(Refused::NotConfirmed { production_account, .. }) => Some(match production_account {
            Some(account) => format!("; {account} is a production account: add --confirm {name} to send"),
            None => format!("; add --confirm {name} to send"),
        }),
        Err(refused @ Refused::ReadOnly { .. }) => return Err(AppError::Usage(refused.to_string())),
    };
    if args.dry_run || unconfirmed.is_some() {
        for message in &messages {
            let attributes: Vec<&str> = message.attributes.keys().map(String::as_str).collect();
            let group = message.group_id().map(|group| format!(" group {group}")).unwrap_or_default();
            let line =
                format!("{}  {} bytes{group}  attributes: {}", message.id, message.body.len(), attributes.join(", "));
            super::output::println(&line)?;
        }
        let why = unconfirmed.unwrap_or_default();
        eprintln!("switchboard: dry run: would send {} messages to {name}{why}", messages.len());
        return Ok(ExitCode::SUCCESS);
    }
    let report = opened
        .changes()
        .send_saved(&opened.queue, messages, args.file, args.confirm)
        .await
        .map_err(|refused| AppError::Usage(refused.to_string()))?;
    if let Some(error) = report.failure {
        return Err(failed(format!("{}: {error}; {} sent before", opened.role.key, report.sent.len())));
    }
    for (id, why) in &report.refused {
        eprintln!("switchboard: not sent: {id}: {why}");
    }
    eprintln!("switchboard: sent {} messages to {name}, {} refused", report.sent.len(), report.refused.len());
    Ok(if report.refused.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
