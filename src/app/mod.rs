//! The front door every front end shares (the screen, the commands, later the agent): the
//! global options, the inventory loaded and validated whole (screen keys included), the
//! engine assembled with a front end's own `MfaPrompt`, the error type with its exit code,
//! and the defaults read from the environment.
//!
//! The layering rule, checked by `tests/architecture.rs`: `domain` imports no front end and
//! no terminal crate; `app` imports `domain` only; `cli` and `tui` import `app` and `domain`
//! and never each other.

#[cfg(unix)]
pub mod agent_client;
pub mod agent_protocol;
#[cfg(unix)]
pub mod agent_server;
mod engine;
mod error;
pub mod keys;
pub mod listing;
pub mod logging;
mod options;
pub mod output;

pub use engine::{build_engine, open_secret_store, open_states_store, remembered_clock, start_opening_store};
pub use error::AppError;
pub use options::{GlobalOptions, LoadedInventory, load_inventory, shell_export_format};
