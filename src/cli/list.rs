//! `switchboard list`: every role and its session state, from the cache only.

use std::process::ExitCode;

use super::AppError;
use super::GlobalOptions;
use super::context::Context;
use super::output;

pub async fn run(options: &GlobalOptions, json: bool) -> Result<ExitCode, AppError> {
    #[cfg(unix)]
    if let Some(listed) = super::list_agent::run(options, json).await {
        return listed;
    }
    let context = Context::open_states_only(options)?;
    // Metadata only: the store file is parsed once, nothing is decrypted. The text is the
    // agent's too (`app::listing`), so both ways of answering print the same.
    let text = crate::app::listing::render(&context.engine, json).map_err(AppError::Failed)?;
    if json {
        output::print_json(&text)?
    } else {
        output::print(&text)?
    }
    // Freeing thousands of plans and stored states one by one takes longer than the rest of
    // the exit; the process ends now and the system takes the memory back at once.
    context.say_clock_skew();
    std::mem::forget(context);
    Ok(ExitCode::SUCCESS)
}
