//! The agent, in one place: one process per user that holds one engine for every caller, so
//! sessions come from its memory and concurrent callers share one STS call. `protocol` is
//! what travels on its socket (one JSON line each way); `client` is how any front end asks
//! it, falling back to its own engine when none answers; `server` listens and answers,
//! hosted by `switchboard agent` (`cli::agent`) or by the screen.

#[cfg(unix)]
pub mod client;
pub mod protocol;
#[cfg(unix)]
pub mod server;
