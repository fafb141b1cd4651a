//! switchboard as a library: the engine (`domain`), the front door every front end shares
//! (`app`), and the front ends (`cli`, `tui`). The binary in `main.rs` only parses arguments
//! and dispatches.

pub mod app;
pub mod cli;
pub mod domain;
pub mod tui;

#[cfg(any(test, feature = "test-support"))]
pub mod test_support;

/// The fuzz targets' bodies (`fuzz/`, `tests/it/fuzz_corpus_replay.rs`).
#[cfg(feature = "fuzzing")]
pub mod fuzz_targets;
