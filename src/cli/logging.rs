//! Diagnostics go to stderr, quiet by default. Only switchboard's own events are raised
//! by `-v`; other crates (the SDK, hyper, rustls) never pass `info`, whatever
//! `SWITCHBOARD_LOG` says, so request internals and secrets never reach the terminal.

pub fn init(verbose: u8) {
    crate::app::logging::init_stderr(verbose);
}
