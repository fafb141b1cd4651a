//! The CLI prints through the app's output helpers (shared with the agent front end).

pub use crate::app::output::*;
