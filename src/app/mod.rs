//! The front door every front end shares (the screen and the commands): the global options,
//! the inventory loaded and validated whole (screen keys included), the engine assembled
//! with a front end's own `MfaPrompt`, the error type with its exit code, the defaults read
//! from the environment, and the agent (`agent`: its protocol, its client with the fallback,
//! and its server, hosted by `switchboard agent` or by the screen).
//!
//! The layering rule, checked by `tests/it/architecture.rs`: `domain` imports no front end
//! and no terminal crate; `app` imports `domain` only; `cli` and `tui` import `app` and
//! `domain` and never each other.

pub mod agent;
mod engine;
mod error;
pub mod hardening;
pub mod keys;
pub mod listing;
pub mod logging;
mod options;
pub mod output;
pub mod progress;

pub use engine::{
    build_engine, build_engine_signing_in, open_secret_store, open_states_store, remembered_clock, start_opening_store,
};
pub use error::AppError;
pub use options::{GlobalOptions, LoadedInventory, load_inventory, shell_export_format};
