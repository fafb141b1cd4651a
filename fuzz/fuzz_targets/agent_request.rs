#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| switchboard::fuzz_targets::agent_request(data));
