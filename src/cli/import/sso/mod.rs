//! `switchboard import sso SOURCE [--dry-run] [--prune] [--role-filter GLOB]`: every account
//! and role the portal grants the signed-in user, merged into the inventory (see `merge`).
//! Signs in first when needed; progress on stderr; the inventory is read again right before
//! the merge, so an edit made meanwhile is kept; nothing is written when nothing changed.

mod merge;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::app::{AppError, GlobalOptions, output};
use crate::cli::context::Context;
use crate::domain::inventory::{self, Inventory};
use crate::domain::sso::portal::{self, Progress};

pub struct SsoArgs {
    pub source: String,
    pub dry_run: bool,
    pub prune: bool,
    pub role_filter: Option<String>,
}

/// Progress lines at most this often.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

pub async fn run(options: &GlobalOptions, args: SsoArgs) -> Result<ExitCode, AppError> {
    let role_filter = args
        .role_filter
        .as_deref()
        .map(|glob| {
            globset::Glob::new(glob)
                .map(|glob| glob.compile_matcher())
                .map_err(|error| AppError::Usage(format!("--role-filter {glob}: {error}")))
        })
        .transpose()?;
    let context = Context::open(options, true, true).await?;
    context.role_of_source(&args.source)?;
    let (center, sso, token) = context.engine.portal_session(&args.source).await?;
    let started = Instant::now();
    let last = std::sync::Mutex::new(Instant::now());
    let progress = |step: Progress| {
        let mut last = last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if last.elapsed() < PROGRESS_EVERY && step.accounts_listed < step.accounts_total {
            return;
        }
        *last = Instant::now();
        let left = step.left.map(|left| format!(", about {}s left", left.as_secs())).unwrap_or_default();
        output::warn(&format!(
            "listed the roles of {}/{} accounts ({} calls throttled{left})",
            step.accounts_listed, step.accounts_total, step.throttled
        ));
    };
    let granted = portal::discover(center.as_ref(), &sso, &token, &progress)
        .await
        .map_err(|error| AppError::Failed(format!("import sso {}: {error}; nothing was written", args.source)))?;
    for found in &granted {
        if let Err(why) = &found.roles {
            output::warn(&format!(
                "the roles of account {} ({}) could not be listed: {why}",
                found.account.name, found.account.id
            ));
        }
    }
    // Read now, after the portal's answers: an edit made meanwhile is merged into, not lost.
    let path = inventory::locate(options.inventory.as_deref())?;
    let existing = std::fs::read_to_string(&path)
        .map_err(|error| AppError::Failed(format!("cannot read the inventory {}: {error}", path.display())))?;
    let wanted = merge::Wanted { source: &args.source, role_filter: role_filter.as_ref(), prune: args.prune };
    let merged = merge::merge(&existing, &granted, &wanted)
        .map_err(|message| AppError::Failed(format!("{}: {message}", path.display())))?;
    for (from, to) in &merged.renamed {
        output::warn(&format!("\"{from}\" is named {to} in the inventory"));
    }
    for role in &merged.unassigned {
        let what = if args.prune { "removed" } else { "kept (--prune removes it)" };
        output::warn(&format!("no longer assigned: {role}: {what}"));
    }
    let roles: usize = granted.iter().filter_map(|found| found.roles.as_ref().ok()).map(Vec::len).sum();
    let summary = format!(
        "{} accounts and {roles} roles granted, listed in {:.1}s ({} calls throttled and retried)",
        granted.len(),
        started.elapsed().as_secs_f64(),
        crate::domain::sso::limiter::for_start_url(&sso.start_url).throttles()
    );
    if !merged.changes() {
        output::warn(&format!("{summary}; nothing changed: {} already lists them", path.display()));
        return Ok(ExitCode::SUCCESS);
    }
    Inventory::parse(&path, &merged.text).map_err(|error| {
        AppError::Failed(format!("the merged inventory would not pass check, so nothing was written:\n{error}"))
    })?;
    let added = format!(
        "{} accounts added, {} roles added to accounts already listed{}",
        merged.added_accounts.len(),
        merged.added_roles.len(),
        if args.prune { format!(", {} roles removed", merged.unassigned.len()) } else { String::new() }
    );
    if args.dry_run {
        output::println(&format!("--- {}\n+++ {} (with what the portal grants)", path.display(), path.display()))?;
        output::print(&crate::cli::import::organizations::diff(&existing, &merged.text))?;
        output::warn(&format!("{summary}; dry run: {added}; nothing was written"));
        return Ok(ExitCode::SUCCESS);
    }
    super::write_new_file(&path, &merged.text)?;
    output::warn(&format!("{summary}; {added} in {}", path.display()));
    Ok(ExitCode::SUCCESS)
}
