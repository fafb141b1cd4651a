//! switchboard as a library: the engine (`domain`) and its command-line face (`cli`). The
//! binary in `main.rs` only parses arguments and reports errors.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod cli;
pub mod domain;
pub mod tui;
