//! `switchboard sqs list [PATTERN...]`: every queue of every selected account and region,
//! with its counts and dead-letter links. Roles are assumed and queues listed concurrently
//! (bounded); an account that fails is a row with its error and the others still print.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;

use crate::domain::engine::{Engine, Renewal};
use crate::domain::inventory::RoleKey;
use crate::domain::selection::Selector;
use crate::domain::sqs::{AwsSqs, QueueAttributes, Sqs, list_all_queues};

use super::AppError;
use super::GlobalOptions;
use super::context::Context;
use super::output;

/// Accounts worked on at once, and queues of one account read at once.
const ACCOUNTS_AT_ONCE: usize = 32;
const QUEUES_AT_ONCE: usize = 8;
/// A bound on one account's listing once its session is there (each call has its own 30 s
/// timeout too; this caps an account with many queues on a slow endpoint).
const ACCOUNT_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Serialize)]
struct AccountQueues {
    account: String,
    account_id: String,
    role: String,
    region: String,
    queues: Vec<QueueRow>,
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct QueueRow {
    name: String,
    url: String,
    visible: Option<u64>,
    in_flight: Option<u64>,
    delayed: Option<u64>,
    /// The queue this one's failures go to (its redrive policy), by name.
    dead_letter_queue: Option<String>,
    max_receive_count: Option<u32>,
    /// The queues of this account whose failures come here.
    dead_letter_for: Vec<String>,
    error: Option<String>,
}

/// Whether each queue's attributes (counts, redrive policy) are read: one more request per
/// queue, most of the command's time on a fleet with many queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counts {
    Read,
    Skip,
}

impl QueueRow {
    /// A queue as ListQueues names it, nothing read about it.
    fn named(queue: crate::domain::sqs::QueueSummary) -> Self {
        QueueRow {
            visible: None,
            in_flight: None,
            delayed: None,
            dead_letter_queue: None,
            max_receive_count: None,
            dead_letter_for: Vec::new(),
            error: None,
            name: queue.name,
            url: queue.url,
        }
    }
}

pub async fn run(
    options: &GlobalOptions,
    selector: Selector,
    json: bool,
    counts: Counts,
) -> Result<ExitCode, AppError> {
    let context = Context::open(options, true, false).await?;
    let engine = Arc::clone(&context.engine);
    let roles = selector.select(engine.inventory()).map_err(|error| AppError::Usage(error.to_string()))?;
    let endpoint = engine.inventory().endpoint_for("AWS_ENDPOINT_URL_SQS");
    let targets = one_role_per_account_and_region(&engine, roles);
    tracing::info!(accounts = targets.len(), "sqs list: {} accounts", targets.len());
    let mut accounts: Vec<AccountQueues> = futures::stream::iter(targets)
        .map(|target| list_account(Arc::clone(&engine), target, endpoint.clone(), counts))
        .buffer_unordered(ACCOUNTS_AT_ONCE)
        .collect()
        .await;
    accounts.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    let failed = accounts.iter().filter(|account| account.error.is_some()).count();
    if json {
        let text = serde_json::to_string_pretty(&accounts).map_err(|error| AppError::Failed(error.to_string()))?;
        output::print_json(&text)?;
    } else {
        // Queue names and error messages come from the server: `print` escapes controls.
        output::print(&table(&accounts))?;
    }
    if failed > 0 {
        output::warn(&format!("{failed} of {} accounts could not be listed", accounts.len()));
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Queues belong to an account and region, not to a role: one selected role of each pair
/// lists it, so `prod/*` does not list prod's queues twice. The least powerful one is
/// preferred: a read-only role, else one without MFA (no prompt), else the first.
fn one_role_per_account_and_region(engine: &Engine, roles: Vec<RoleKey>) -> Vec<(RoleKey, String, String)> {
    let inventory = engine.inventory();
    let mut chosen: BTreeMap<(String, String), (RoleKey, (bool, bool))> = BTreeMap::new();
    let mut order = Vec::new();
    for key in roles {
        let (Some(account), Some(role)) = (inventory.account(&key.account), inventory.role(&key)) else {
            continue;
        };
        let place = (account.id.to_string(), role.region.to_string());
        let rank = (!role.read_only, role.mfa);
        match chosen.get(&place) {
            Some((_, best)) if *best <= rank => {}
            Some(_) => {
                chosen.insert(place, (key, rank));
            }
            None => {
                order.push(place.clone());
                chosen.insert(place, (key, rank));
            }
        }
    }
    order.into_iter().filter_map(|place| chosen.remove(&place).map(|(key, _)| (key, place.0, place.1))).collect()
}

async fn list_account(
    engine: Arc<Engine>,
    (role, account_id, region): (RoleKey, String, String),
    endpoint: Option<String>,
    counts: Counts,
) -> AccountQueues {
    let mut result = AccountQueues {
        account: role.account.to_string(),
        account_id,
        role: role.role.to_string(),
        region,
        queues: Vec::new(),
        error: None,
    };
    let listed = match engine.session(&role, Renewal::IfNeeded).await {
        Ok(session) => {
            let sqs = AwsSqs::new(&session.credentials, &session.region, endpoint);
            tokio::time::timeout(ACCOUNT_TIMEOUT, list_queues(&sqs, counts))
                .await
                .unwrap_or_else(|_| Err(format!("timed out after {}s", ACCOUNT_TIMEOUT.as_secs())))
        }
        Err(error) => Err(error.to_string()),
    };
    match listed {
        Ok(queues) => {
            tracing::info!(role = %role, queues = queues.len(), "sqs list: {} queues in {}", queues.len(), result.region);
            result.queues = queues;
        }
        Err(error) => {
            tracing::info!(role = %role, "sqs list: failed: {error}");
            result.error = Some(error);
        }
    }
    result
}

async fn list_queues(sqs: &dyn Sqs, counts: Counts) -> Result<Vec<QueueRow>, String> {
    let summaries = list_all_queues(sqs).await.map_err(|error| error.to_string())?;
    if counts == Counts::Skip {
        return Ok(summaries.into_iter().map(QueueRow::named).collect());
    }
    let attributes: Vec<Result<QueueAttributes, String>> = futures::stream::iter(&summaries)
        .map(|queue| async move { sqs.attributes(&queue.url).await.map_err(|error| error.to_string()) })
        .buffered(QUEUES_AT_ONCE)
        .collect()
        .await;
    let name_of_arn = |arn: &str| arn.rsplit(':').next().unwrap_or(arn).to_owned();
    let mut sources: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (queue, attributes) in summaries.iter().zip(&attributes) {
        if let Some(policy) = attributes.as_ref().ok().and_then(QueueAttributes::redrive_policy) {
            sources.entry(name_of_arn(&policy.dead_letter_target_arn)).or_default().push(queue.name.clone());
        }
    }
    Ok(summaries
        .into_iter()
        .zip(attributes)
        .map(|(queue, attributes)| {
            let policy = attributes.as_ref().ok().and_then(QueueAttributes::redrive_policy);
            let count = |read: fn(&QueueAttributes) -> Option<u64>| attributes.as_ref().ok().and_then(read);
            QueueRow {
                visible: count(QueueAttributes::visible),
                in_flight: count(QueueAttributes::in_flight),
                delayed: count(QueueAttributes::delayed),
                dead_letter_queue: policy.as_ref().map(|policy| name_of_arn(&policy.dead_letter_target_arn)),
                max_receive_count: policy.map(|policy| policy.max_receive_count),
                dead_letter_for: sources.remove(&queue.name).unwrap_or_default(),
                error: attributes.err(),
                name: queue.name,
                url: queue.url,
            }
        })
        .collect())
}

fn table(accounts: &[AccountQueues]) -> String {
    let header = ["ACCOUNT", "ROLE", "REGION", "QUEUE", "VISIBLE", "IN-FLIGHT", "DELAYED", "DEAD-LETTER"];
    let number = |value: Option<u64>| value.map(|value| value.to_string()).unwrap_or_else(|| "-".into());
    let mut rows: Vec<[String; 8]> = Vec::new();
    for account in accounts {
        let lead = [account.account.clone(), account.role.clone(), account.region.clone()];
        let row = |rest: [String; 5]| {
            let [a, b, c] = lead.clone();
            let [d, e, f, g, h] = rest;
            [a, b, c, d, e, f, g, h]
        };
        if let Some(error) = &account.error {
            rows.push(row([format!("error: {error}"), String::new(), String::new(), String::new(), String::new()]));
            continue;
        }
        if account.queues.is_empty() {
            rows.push(row(["(no queues)".into(), String::new(), String::new(), String::new(), String::new()]));
        }
        for queue in &account.queues {
            let mut links = Vec::new();
            if let Some(target) = &queue.dead_letter_queue {
                links.push(format!("dlq: {target}"));
            }
            if !queue.dead_letter_for.is_empty() {
                links.push(format!("dlq of: {}", queue.dead_letter_for.join(", ")));
            }
            if let Some(error) = &queue.error {
                links.push(format!("error: {error}"));
            }
            rows.push(row([
                queue.name.clone(),
                number(queue.visible),
                number(queue.in_flight),
                number(queue.delayed),
                links.join("; "),
            ]));
        }
    }
    // The error text of an account is left out of the widths: it is the last cell that has text.
    let widths: Vec<usize> = (0..header.len())
        .map(|column| {
            rows.iter()
                .filter(|row| !row[3].starts_with("error: ") || column != 3)
                .map(|row| row[column].chars().count())
                .chain([header[column].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
            + "\n"
    };
    let mut text = line(header.to_vec());
    for row in &rows {
        text += &line(row.iter().map(String::as_str).collect());
    }
    text
}
