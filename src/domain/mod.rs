//! The engine: inventory, plans, providers, session cache, MFA and exports. Nothing in here
//! knows about a terminal UI (no ratatui, no crossterm).

pub mod audit;
pub mod aws;
pub mod cache;
pub mod clock;
pub mod cloudwatch;
pub mod console;
pub mod credentials;
pub mod duration;
pub mod engine;
#[cfg(test)]
mod engine_tests;
pub mod exports;
pub mod http;
pub mod inventory;
pub mod mfa;
pub mod mfa_command;
pub mod plan;
pub mod selection;
pub mod sources;
pub mod sqs;
pub mod sso;
pub mod store;
pub mod sts;
pub mod text;
