//! Every file of `fuzz/corpus/<target>/` through the same function the fuzz target calls
//! (`switchboard::fuzz_targets`), on stable, in the normal test run: a finding once fixed stays
//! fixed, and the corpora stay valid as the code changes. The export corpus is also read
//! back by the real shells (bash, sh, zsh, fish).
//!
//! `write_seed_corpus` (ignored) writes the hand-made seeds each corpus started from.

use std::path::{Path, PathBuf};
use std::process::Command;

use switchboard::domain::exports::{self, ExportFormat};
use switchboard::fuzz_targets::{self, FUZZ_STORE_KEY};

use crate::support::prerequisites::require_tool;

fn corpus(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join("corpus").join(target)
}

fn corpus_files(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(corpus(target))
        .unwrap_or_else(|error| panic!("{}: {error}", corpus(target).display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    files.sort();
    files
}

fn replay(target: &str) {
    let files = corpus_files(target);
    assert!(files.len() >= 3, "{target}: only {} corpus files", files.len());
    for (path, bytes) in files {
        let outcome = std::panic::catch_unwind(|| fuzz_targets::run(target, &bytes));
        assert!(outcome.is_ok(), "{target} fails on {}", path.display());
    }
}

#[test]
fn inventory_corpus_replays() {
    replay("inventory");
}

#[test]
fn exports_corpus_replays() {
    replay("exports");
}

#[test]
fn session_store_corpus_replays() {
    replay("session_store");
}

#[test]
fn sqs_message_corpus_replays() {
    replay("sqs_message");
}

#[test]
fn sts_answer_corpus_replays() {
    replay("sts_answer");
}

#[test]
fn agent_request_corpus_replays() {
    replay("agent_request");
}

#[test]
fn aws_config_corpus_replays() {
    replay("aws_config");
}

#[test]
fn every_target_has_a_corpus_and_a_fuzz_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for target in fuzz_targets::TARGETS {
        assert!(corpus(target).is_dir(), "no corpus for {target}");
        assert!(root.join("fuzz_targets").join(format!("{target}.rs")).is_file(), "no fuzz binary for {target}");
    }
}

/// The harnesses reach the code they are for: the SDK reads a real STS answer through the
/// canned client into a session, and a real session file opens with the seeds' key.
#[test]
fn seeds_reach_the_code_under_test() {
    use switchboard::domain::sts::StsError;
    let seed = |target: &str, name: &str| std::fs::read(corpus(target).join(format!("seed-{name}"))).unwrap();
    let session = fuzz_targets::sts_outcome(&seed("sts_answer", "session-token")).unwrap().unwrap();
    assert_eq!(session.access_key_id, "ASIAIOSFODNN7EXAMPLE");
    let assumed = fuzz_targets::sts_outcome(&seed("sts_answer", "assume-role")).unwrap().unwrap();
    assert_eq!(assumed.expiration.unwrap().to_string(), "2026-11-22T12:00:00Z");
    let denied = fuzz_targets::sts_outcome(&seed("sts_answer", "mfa-denied")).unwrap();
    assert!(matches!(denied, Err(StsError::InvalidMfaCode { .. })), "{denied:?}");
    let throttled = fuzz_targets::sts_outcome(&seed("sts_answer", "throttling")).unwrap();
    assert!(matches!(&throttled, Err(StsError::Service { code, .. }) if code == "Throttling"), "{throttled:?}");
    let missing = fuzz_targets::sts_outcome(&seed("sts_answer", "no-expiration")).unwrap();
    assert!(missing.is_err(), "a session without an expiry was accepted");
    // Every request the agent's clients send reads as a request, not as a malformed line.
    use switchboard::app::agent::protocol::{AgentRequest, parse_request};
    for name in AGENT_SEEDS.map(|(name, _)| name) {
        let request = parse_request(&seed("agent_request", name));
        assert!(request.is_ok(), "{name}: {request:?}");
    }
    let session = parse_request(&seed("agent_request", "session-headless")).unwrap();
    assert!(matches!(session, AgentRequest::Session { caller: Some(_), mfa_wait_seconds: Some(120), .. }));
    let key = switchboard::domain::store::StoreKey::from_text(FUZZ_STORE_KEY).unwrap();
    for name in ["file", "framed", "framed-v2"] {
        let bytes = seed("session_store", name);
        let file =
            if name == "file" { bytes[1..].to_vec() } else { fuzz_targets::framed_session_file(bytes[0], &bytes[1..]) };
        let dir = tempfile::tempdir().unwrap();
        let opened = switchboard::domain::store::sessions::open_every_session(&file, dir.path(), &key).unwrap();
        assert_eq!(opened.iter().flatten().count(), 2, "{name}: {opened:?}");
    }
}

/// How many corpus inputs (besides the seeds) go through the real shells.
const SHELL_SAMPLE: usize = 64;

/// Runs `script` then prints every variable NUL-terminated, in `shell`.
fn read_back_in(shell: &str, script: &str, names: &[&str]) -> Vec<String> {
    let mut full = format!("{script}\n");
    for name in names {
        full.push_str(&format!("printf '%s\\0' \"${name}\"\n"));
    }
    let output = Command::new(shell).arg("-c").arg(full).output().unwrap();
    assert!(output.status.success(), "{shell} failed: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).expect("UTF-8 values stay UTF-8");
    text.split_terminator('\0').map(str::to_owned).collect()
}

/// The real shells agree with the target's readers: every export input of the corpus, set in
/// bash (its own format), sh and zsh (the POSIX form zsh gets) and fish, reads back. A shell
/// that is missing fails the test (scripts/test.sh installs them).
#[test]
fn exports_corpus_reads_back_through_real_shells() {
    for (shell, package) in [("bash", "bash"), ("sh", "dash"), ("zsh", "zsh"), ("fish", "fish")] {
        require_tool(shell, package);
    }
    let mut checked = 0;
    // The seeds and a bounded sample of the rest: two shells per file cost milliseconds each.
    let files = corpus_files("exports");
    let sample = files
        .iter()
        .filter(|(path, _)| path.file_name().is_some_and(|name| name.to_string_lossy().starts_with("seed-")));
    for (path, bytes) in sample.chain(files.iter().take(SHELL_SAMPLE)) {
        let vars = fuzz_targets::export_variables(bytes);
        let names: Vec<&str> = vars.iter().map(|(name, _)| *name).collect();
        let values: Vec<String> = vars.iter().map(|(_, value)| value.clone()).collect();
        let shells = [
            (ExportFormat::Bash, "bash"),
            (ExportFormat::Zsh, "sh"),
            (ExportFormat::Zsh, "zsh"),
            (ExportFormat::Fish, "fish"),
        ];
        for (format, shell) in shells {
            let script = exports::render(format, &vars).unwrap();
            let script = if shell == "fish" { script } else { format!("set -e\n{script}") };
            let read = read_back_in(shell, &script, &names);
            assert!(read == values, "{shell} reads {} differently", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 4 * 8, "only {checked} shell runs");
}

/// The agent's request lines, one of each kind its clients send (`write_seed_corpus`).
const AGENT_SEEDS: [(&str, &str); 8] = [
    (
        "session",
        r#"{"op":"session","protocol":2,"inventory":"/home/op/.config/switchboard/accounts.toml","role":"prod/admin","renewal":{"within_seconds":900},"served_pid":4242}"#,
    ),
    (
        "session-headless",
        r#"{"op":"session","protocol":2,"inventory":"/i.toml","role":"staging/deploy","renewal":{"at_least_seconds":900},"caller":{"pid":77,"command":"terraform apply","client_pid":78},"mfa_wait_seconds":120}"#,
    ),
    ("status", r#"{"op":"status","protocol":2}"#),
    ("list", r#"{"op":"list","protocol":2,"inventory":"/i.toml","json":true}"#),
    ("whoami", r#"{"op":"whoami","protocol":2,"inventory":"/i.toml","role":"prod/viewer"}"#),
    ("pending", r#"{"op":"pending_mfa","protocol":2}"#),
    ("answer", r#"{"op":"answer_mfa","protocol":2,"id":3,"code":"123456"}"#),
    ("force", r#"{"op":"session","protocol":2,"inventory":"/i.toml","role":"a/b","renewal":"force"}"#),
];

/// Writes the seeds each corpus started from (then grown by the fuzzer and minimised with
/// `cargo fuzz cmin`).
/// `cargo nextest run --test it --run-ignored only -E 'test(=fuzz_corpus_replay::write_seed_corpus)'`.
#[test]
#[ignore = "writes into fuzz/corpus; run by hand when seeds change"]
fn write_seed_corpus() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let write = |target: &str, name: &str, bytes: &[u8]| {
        std::fs::create_dir_all(corpus(target)).unwrap();
        std::fs::write(corpus(target).join(format!("seed-{name}")), bytes).unwrap();
    };
    for fixture in ["minimal", "moto", "fleet", "panels", "screen", "sqs_panel", "update"] {
        write("inventory", fixture, &std::fs::read(manifest.join(format!("tests/fixtures/{fixture}.toml"))).unwrap());
    }
    write("inventory", "example", &std::fs::read(manifest.join("accounts.example.toml")).unwrap());

    let exports_seeds: [(&str, [&str; 5]); 4] = [
        (
            "plain",
            ["ASIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", "FwoGZXIvYXdzEBY", "eu-west-1", ""],
        ),
        (
            "quotes",
            ["AKID", r#"it's a "quoted" value $HOME %PATH% & more"#, "a\\b^c|d", "us-east-1", "http://127.0.0.1:5000"],
        ),
        ("controls", ["A\u{1}B", "tab\there\nnew line\r", "\u{1b}[31mred", "eu-central-1", "~/x #y *z"]),
        ("unicode", ["ключ", "it’s ‘typographic’", "emoji 🚀 \u{7f}", "ap-south-1", "é"]),
    ];
    for (name, values) in exports_seeds {
        write("exports", name, values.join("\0").as_bytes());
    }

    let dir = tempfile::tempdir().unwrap();
    let key = switchboard::domain::store::StoreKey::from_text(FUZZ_STORE_KEY).unwrap();
    let store = switchboard::domain::store::SessionStore::in_file(dir.path().to_owned(), key).unwrap();
    let now = jiff::Timestamp::now();
    let session = |n: u8| {
        switchboard::domain::credentials::Credentials::new(
            format!("ASIA{n}"),
            "seed-secret",
            Some("seed-token".into()),
            Some(now + jiff::SignedDuration::from_hours(1)),
        )
    };
    store.put("hub", "source", &session(1), now).unwrap();
    store.put("prod/admin", "role", &session(2), now).unwrap();
    let file = std::fs::read(dir.path().join("sessions.v3")).unwrap();
    write("session_store", "file", &[[0u8].as_slice(), &file].concat());
    let newline = file.iter().position(|&byte| byte == b'\n').unwrap();
    let header = std::str::from_utf8(&file[..newline]).unwrap();
    let length: usize = header.split(' ').find_map(|field| field.strip_prefix("meta=")).unwrap().parse().unwrap();
    let (metadata, sealed) = file[newline + 1..].split_at(length);
    let framed = |mode: u8, metadata: &[u8], sealed: &[u8]| {
        let length = u16::try_from(metadata.len()).unwrap().to_le_bytes();
        [[mode].as_slice(), &length, metadata, sealed].concat()
    };
    write("session_store", "framed", &framed(1, metadata, sealed));
    // The same two sessions as the v2 layout wrote them (JSON metadata; the sealed section is
    // the same in both layouts).
    let expires = now + jiff::SignedDuration::from_hours(1);
    let entry = |scope: &str, layer: &str| {
        format!(
            r#""{scope}|{layer}":{{"scope":"{scope}","layer":"{layer}","expires_at":"{expires}","obtained_at":"{now}"}}"#
        )
    };
    let v2_metadata = format!(
        r#"{{"generation":2,"sessions":{{{},{}}},"used_codes":{{}}}}"#,
        entry("hub", "source"),
        entry("prod/admin", "role")
    );
    write("session_store", "framed-v2", &framed(3, v2_metadata.as_bytes(), sealed));
    // generation 1, no sessions, no used codes; an empty sealed section.
    write("session_store", "empty-framed", &framed(1, &[1, 0, 0], b"{}"));

    let sqs_seeds: [(&str, &str); 4] = [
        (
            "json",
            "{\"order\":1,\"items\":[1.5,-0,\"x\"]}\0http://127.0.0.1:5000/111111111111/orders\0r\0ApproximateReceiveCount\x002\0SentTimestamp\x001763715600000",
        ),
        ("text", "plain text body\0http://127.0.0.1:5000/111111111111/events.fifo\0handle\0MessageGroupId\0g1"),
        (
            "sns",
            "{\"Type\":\"Notification\",\"MessageId\":\"m\",\"TopicArn\":\"arn:aws:sns:eu-west-1:111111111111:t\",\"Message\":\"{\\\"a\\\":1}\",\"MessageAttributes\":{\"k\":{\"Type\":\"String\",\"Value\":\"v\"}}}\0https://sqs.eu-west-1.amazonaws.com/111111111111/q\0AccessDenied\0x",
        ),
        (
            "s3",
            "{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"k%20x\",\"size\":5}}}]}\0u\0QueueDoesNotExist\0gone\0RedrivePolicy\0{\"deadLetterTargetArn\":\"arn:aws:sqs:eu-west-1:1:dlq\",\"maxReceiveCount\":\"3\"}",
        ),
    ];
    for (name, text) in sqs_seeds {
        write("sqs_message", name, text.as_bytes());
    }

    let credentials_xml = "<Credentials><AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId><SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey><SessionToken>FwoGZXIvYXdzEBY</SessionToken><Expiration>2026-11-22T12:00:00Z</Expiration></Credentials>";
    let namespace = "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"";
    let metadata = "<ResponseMetadata><RequestId>58c5dbae-abef-11e0-8cfe-09039844ac7d</RequestId></ResponseMetadata>";
    let error = |code: &str, message: &str| {
        format!(
            "<ErrorResponse {namespace}><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
        )
    };
    let sts_seeds: Vec<(&str, u8, String)> = vec![
        (
            "session-token",
            0,
            format!(
                "<GetSessionTokenResponse {namespace}><GetSessionTokenResult>{credentials_xml}</GetSessionTokenResult>{metadata}</GetSessionTokenResponse>"
            ),
        ),
        (
            "assume-role",
            0x80,
            format!(
                "<AssumeRoleResponse {namespace}><AssumeRoleResult>{credentials_xml}<AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/R/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult>{metadata}</AssumeRoleResponse>"
            ),
        ),
        (
            "no-expiration",
            0,
            format!(
                "<GetSessionTokenResponse {namespace}><GetSessionTokenResult><Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>S</SecretAccessKey><SessionToken>T</SessionToken></Credentials></GetSessionTokenResult></GetSessionTokenResponse>"
            ),
        ),
        (
            "mfa-denied",
            2,
            error("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code."),
        ),
        ("throttling", 1, error("Throttling", "Rate exceeded")),
        ("expired", 0x81, error("ExpiredToken", "The security token included in the request is expired")),
        (
            "duration",
            0x81,
            error("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
        ),
        ("unavailable", 4, "<html><body>Service Unavailable</body></html>".to_owned()),
        ("empty-500", 3, String::new()),
    ];
    for (name, first, body) in sts_seeds {
        write("sts_answer", name, &[[first].as_slice(), body.as_bytes()].concat());
    }
    for (name, line) in AGENT_SEEDS {
        write("agent_request", name, format!("{line}\n").as_bytes());
    }
}
