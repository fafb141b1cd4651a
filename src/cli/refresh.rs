//! `switchboard refresh`: renews sessions now. Roles are renewed together; roles that share
//! an MFA session wait for its one prompt instead of asking again.

use std::process::ExitCode;
use std::sync::Arc;

use futures::StreamExt;

use crate::domain::duration::{format_countdown, time_left};
use crate::domain::engine::{Renewal, SessionState};
use crate::domain::exports::rfc3339;
use crate::domain::inventory::RoleKey;

use super::AppError;
use super::GlobalOptions;
use super::context::Context;
use super::output;
use crate::app::progress::Progress;

/// Renewals in flight at once.
const RENEWALS_IN_FLIGHT: usize = 32;

pub async fn run(
    options: &GlobalOptions,
    addresses: Vec<String>,
    all: bool,
    expiring: bool,
) -> Result<ExitCode, AppError> {
    if addresses.is_empty() && !all && !expiring {
        return Err(AppError::Usage(
            "name the roles to refresh (ACCOUNT/ROLE ...), or pass --all or --expiring".into(),
        ));
    }
    let context = Context::open(options, true, true).await?;
    let engine = context.engine.clone();
    let mut roles: Vec<RoleKey> = Vec::new();
    if all || expiring {
        for (_, role) in engine.inventory().roles() {
            let state = engine.status(&role.key).await?.state;
            if all || matches!(state, SessionState::Expiring | SessionState::Expired) {
                roles.push(role.key.clone());
            }
        }
    } else {
        for address in &addresses {
            roles.push(context.role(address)?);
        }
    }
    if roles.is_empty() {
        output::println("nothing to refresh: no session is expiring or expired")?;
        return Ok(ExitCode::SUCCESS);
    }
    let renewal = if expiring && !all { Renewal::IfNeeded } else { Renewal::Force };
    let progress = Progress::bar("refreshing", roles.len() as u64);
    let mut failures = 0;
    // A bounded number in flight: thousands of roles at once would only queue at STS past
    // the SDK's timeout. Roles that share a layer still share its one call (and prompt).
    let results: Vec<_> = futures::stream::iter(roles.iter().cloned().map(|role| {
        let engine = Arc::clone(&engine);
        tokio::spawn(async move {
            // The agent renews it in its memory when it can; a code is asked for here.
            #[cfg(unix)]
            if let Some(session) =
                crate::app::agent::client::session_from_agent(engine.inventory(), &role, renewal).await
            {
                return Ok(session);
            }
            engine.session(&role, renewal).await
        })
    }))
    .buffered(RENEWALS_IN_FLIGHT)
    .inspect(|result| {
        if !matches!(result, Ok(Ok(_))) {
            failures += 1;
            progress.say(format!("{failures} failed"));
        }
        progress.advance(1);
    })
    .collect()
    .await;
    drop(progress);
    let mut failed = 0;
    for (role, result) in roles.iter().zip(results) {
        match result {
            Ok(Ok(session)) => {
                let until = session.credentials.expiration;
                let left =
                    until.map(|until| format_countdown(time_left(engine.now(), until))).unwrap_or_else(|| "-".into());
                let until = until.map(rfc3339).unwrap_or_else(|| "never".into());
                output::println(&format!("{role}: valid, {left} left (until {until})"))?;
            }
            Ok(Err(error)) => {
                failed += 1;
                output::warn(&error.to_string());
            }
            Err(join_error) => {
                failed += 1;
                output::warn(&format!("{role}: {join_error}"));
            }
        }
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
