//! What the tests share, in the library so unit tests and integration tests use the same
//! parts: an in-memory SQS that records every call, a scripted STS that records every call,
//! and the text of a rendered buffer. Built for `cargo test` (the crate's own tests, and the
//! integration tests through the `test-support` feature); never in the binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod buffer;
mod sources;
mod sqs;
mod sts;

pub use buffer::{line_with, text_of};
pub use sources::{FakeSources, source_key};
pub use sqs::{FakeQueue, FakeSqs};
pub use sts::{Call, FakeSts, Kind};

/// A fixture file of `tests/fixtures/`, read at run time.
pub fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}
