#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| switchboard::fuzz_targets::session_store(data));
