//! The bodies of the fuzz targets, one function each, shared by `fuzz/` (cargo fuzz, nightly)
//! and `tests/it/fuzz_corpus_replay.rs` (every corpus file, stable, each CI run). Each takes
//! arbitrary bytes; a panic is a finding: either the code under test panicked, or an
//! invariant checked here (a value that does not read back, a store that opened garbage)
//! does not hold. That is why this module, unlike the rest of the crate, panics.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod agent;
pub mod shells;
mod sts;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use crate::domain::credentials::Credentials;
use crate::domain::exports::{self, CONFLICTING, ExportError, ExportFormat};
use crate::domain::inventory::Inventory;
use crate::domain::sqs::message_file::SavedMessage;
use crate::domain::sqs::{self, MessageAttribute, PeekedMessage, QueueAttributes, QueueSummary, message_view};
use crate::domain::store::StoreKey;
use crate::domain::store::sessions::open_every_session;

pub use agent::agent_request;
pub use sts::{sts_answer, sts_outcome};

/// The names of the targets, as `fuzz/fuzz_targets/<name>.rs` and `fuzz/corpus/<name>/`.
pub const TARGETS: [&str; 7] =
    ["inventory", "exports", "session_store", "sqs_message", "sts_answer", "agent_request", "aws_config"];

/// Runs the target called `name` on `data` (the replay test's entry).
pub fn run(name: &str, data: &[u8]) {
    match name {
        "inventory" => inventory(data),
        "exports" => exports(data),
        "session_store" => session_store(data),
        "sqs_message" => sqs_message(data),
        "sts_answer" => sts_answer(data),
        "agent_request" => agent_request(data),
        "aws_config" => aws_config(data),
        _ => panic!("no fuzz target {name}"),
    }
}

/// Parts of an input separated by NUL (never part of an environment value or a header).
fn parts(data: &[u8]) -> Vec<String> {
    data.split(|&byte| byte == 0).map(|part| String::from_utf8_lossy(part).into_owned()).collect()
}

/// TOML text to an inventory or an error; every role of a valid one can be addressed.
pub fn inventory(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Inventory::parse(Path::new("/fuzz/accounts.toml"), text) {
        Ok(inventory) => {
            for (_, role) in inventory.roles() {
                let _ = inventory.root_source(role);
                let address = role.key.to_string();
                let found = inventory.find_role(&address).map(|found| found.key.clone());
                assert_eq!(found.as_ref().ok(), Some(&role.key), "role {address} of a valid inventory: {found:?}");
            }
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
}

/// An AWS config file through `import aws-config`: the import never panics, what it imports
/// passes `check`, and the inventory it checks in memory as it writes the text is the one the
/// text reads back as.
pub fn aws_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut import = crate::cli::import::awsconfig::import(text, Path::new("/fuzz/config"));
    let path = Path::new("/fuzz/accounts.toml");
    let raw = std::mem::take(&mut import.raw);
    let in_memory = Inventory::checked(path, &import.toml, raw)
        .unwrap_or_else(|error| panic!("the import does not pass check in memory: {error}\n{}", import.toml));
    let from_text = Inventory::parse(path, &import.toml)
        .unwrap_or_else(|error| panic!("the import's text does not pass check: {error}\n{}", import.toml));
    let parts = |inventory: &Inventory| {
        format!("{:?}", (&inventory.defaults, &inventory.sources, inventory.accounts(), &inventory.ui))
    };
    assert_eq!(parts(&in_memory), parts(&from_text), "in memory and read back differ:\n{}", import.toml);
}

/// Arbitrary session values through every export format; each must read back unchanged by
/// a reader as strict as its shell (see `shells`), or be refused as unrepresentable.
pub fn exports(data: &[u8]) {
    let vars = export_variables(data);
    for format in ExportFormat::all() {
        check_export(format, &vars);
    }
}

/// The variables of the session an `exports` input describes: access key, secret, token,
/// region and endpoint, separated by NUL.
pub fn export_variables(data: &[u8]) -> Vec<(&'static str, String)> {
    let parts = parts(data);
    let part = |index: usize| parts.get(index).cloned().unwrap_or_default();
    let expiration = jiff::Timestamp::from_second(1_763_715_600 + i64::from(data.first().copied().unwrap_or(0))).ok();
    let credentials = Credentials::new(part(0), part(1), parts.get(2).cloned(), expiration);
    let endpoint = parts.get(4).cloned();
    exports::variables(&credentials, &part(3), endpoint.as_deref())
}

fn check_export(format: ExportFormat, vars: &[(&str, String)]) {
    let rendered = exports::render(format, vars);
    let has_line_break = vars.iter().any(|(_, value)| value.contains(['\n', '\r']));
    if format == ExportFormat::Cmd && has_line_break {
        assert!(matches!(rendered, Err(ExportError::Unrepresentable { .. })), "cmd took a line break: {rendered:?}");
        return;
    }
    let out = rendered.unwrap_or_else(|error| panic!("{} refused {vars:?}: {error}", format.name()));
    let fail = |why: String| -> ! { panic!("{} output does not read back ({why}):\n{out}", format.name()) };
    match format {
        ExportFormat::Bash | ExportFormat::Zsh => {
            let mut expected: Vec<String> =
                vars.iter().flat_map(|(name, value)| ["export".to_owned(), format!("{name}={value}")]).collect();
            expected.push("unset".to_owned());
            expected.extend(CONFLICTING.iter().map(|name| (*name).to_owned()));
            let words = shells::posix_words(&out, format == ExportFormat::Bash).unwrap_or_else(|why| fail(why));
            if words != expected {
                fail(format!("read {words:?}"));
            }
            if format == ExportFormat::Zsh {
                let split = shell_words::split(&out).unwrap_or_else(|why| fail(why.to_string()));
                if split != expected {
                    fail(format!("shell-words read {split:?}"));
                }
            }
        }
        ExportFormat::Fish => {
            let mut expected: Vec<String> = vars
                .iter()
                .flat_map(|(name, value)| ["set".to_owned(), "-gx".to_owned(), (*name).to_owned(), value.clone()])
                .collect();
            expected
                .extend(CONFLICTING.iter().flat_map(|name| ["set".to_owned(), "-e".to_owned(), (*name).to_owned()]));
            let words = shells::fish_words(&out).unwrap_or_else(|why| fail(why));
            if words != expected {
                fail(format!("read {words:?}"));
            }
        }
        ExportFormat::Powershell => {
            let (assigned, removed) = shells::powershell_assignments(&out).unwrap_or_else(|why| fail(why));
            if !same_pairs(&assigned, vars) || removed != CONFLICTING {
                fail(format!("read {assigned:?} and removed {removed:?}"));
            }
        }
        ExportFormat::Cmd => {
            let lines: Vec<&str> = out.strip_suffix('\n').unwrap_or(&out).split('\n').collect();
            let (sets, unsets) = lines.split_at(vars.len().min(lines.len()));
            let assigned: Vec<(String, String)> =
                sets.iter().map(|line| shells::cmd_assignment(line).unwrap_or_else(|why| fail(why))).collect();
            let expected_unsets: Vec<String> = CONFLICTING.iter().map(|name| format!("set {name}=")).collect();
            if !same_pairs(&assigned, vars) || unsets != expected_unsets {
                fail(format!("read {assigned:?}"));
            }
        }
        ExportFormat::Dotenv => {
            let lines: Vec<&str> = out.strip_suffix('\n').unwrap_or(&out).split('\n').collect();
            let assigned: Vec<(String, String)> =
                lines.iter().map(|line| shells::dotenv_assignment(line).unwrap_or_else(|why| fail(why))).collect();
            if !same_pairs(&assigned, vars) {
                fail(format!("read {assigned:?}"));
            }
        }
        ExportFormat::Json => {
            let object: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&out).unwrap_or_else(|why| fail(why.to_string()));
            let assigned: Vec<(String, String)> = object
                .into_iter()
                .map(|(name, value)| (name, value.as_str().map(str::to_owned).unwrap_or_default()))
                .collect();
            if !same_pairs(&assigned, vars) {
                fail(format!("read {assigned:?}"));
            }
        }
    }
}

fn same_pairs(read: &[(String, String)], vars: &[(&str, String)]) -> bool {
    read.len() == vars.len()
        && read.iter().zip(vars).all(|((name, value), (want, wanted))| name == want && value == wanted)
}

/// The key the session-store seeds were sealed with, so mutations of them reach the opening.
pub const FUZZ_STORE_KEY: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

/// A session file's bytes (first byte even), or its two sections framed with a correct header
/// so the fuzzer gets past the checksums (odd; then two bytes of metadata length, little
/// endian, and the sections; `mode & 2` frames them as the v2 layout, else as v3), read by
/// the store's own reader from a scratch directory. Never a panic.
pub fn session_store(data: &[u8]) {
    static KEY: OnceLock<StoreKey> = OnceLock::new();
    let key = KEY.get_or_init(|| StoreKey::from_text(FUZZ_STORE_KEY).expect("a 32-byte key"));
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = if mode & 1 == 1 { framed_session_file(mode, rest) } else { rest.to_vec() };
    let dir = scratch_dir();
    if let Err(why) = open_every_session(&bytes, &dir, key) {
        assert!(!why.is_empty());
    }
}

/// A directory of this process and thread for the session file under test.
pub fn scratch_dir() -> std::path::PathBuf {
    let thread = format!("{:?}", std::thread::current().id()).replace(|c: char| !c.is_ascii_alphanumeric(), "");
    std::env::temp_dir().join(format!("switchboard-fuzz-{}-{thread}", std::process::id()))
}

/// The bytes of a session file around `LEN(2 bytes) metadata sealed`, with the header the
/// reader checks (v2's when `mode & 2`). The v3 metadata is binary, so its end is a length,
/// not a separator.
pub fn framed_session_file(mode: u8, framed: &[u8]) -> Vec<u8> {
    use crate::domain::store::sessions::session_file_header;
    let (length, sections) = match framed {
        [low, high, sections @ ..] => (usize::from(u16::from_le_bytes([*low, *high])), sections),
        _ => (0, framed),
    };
    let (metadata, sealed) = sections.split_at(length.min(sections.len()));
    let mut bytes = session_file_header(mode & 2 == 2, metadata, sealed).into_bytes();
    bytes.extend_from_slice(metadata);
    bytes.extend_from_slice(sealed);
    bytes
}

/// A received message (body, system attributes, message attributes, text and binary) as the
/// SQS panel reads it (the message view: JSON, SNS envelopes, S3 pointers) and saves it (a
/// saved message reads back as the same message), and a queue's attributes.
pub fn sqs_message(data: &[u8]) {
    let parts = parts(data);
    let part = |index: usize| parts.get(index).cloned().unwrap_or_default();
    let pairs: BTreeMap<String, String> = parts
        .get(3..)
        .unwrap_or_default()
        .chunks(2)
        .map(|pair| (pair[0].clone(), pair.get(1).cloned().unwrap_or_default()))
        .collect();
    let attributes = pairs
        .iter()
        .enumerate()
        .map(|(index, (name, value))| {
            let attribute = if index % 2 == 0 {
                MessageAttribute::text("String", value)
            } else {
                MessageAttribute::binary("Binary", value.as_bytes().to_vec())
            };
            (name.clone(), attribute)
        })
        .collect();
    let message =
        PeekedMessage { id: part(1), receipt_handle: String::new(), body: part(0), system: pairs.clone(), attributes };
    let _ = (message.receive_count(), message.sent_at(), message.group_id(), message.size());
    let pretty = message.pretty_body();
    match serde_json::from_str::<serde_json::Value>(&message.body) {
        Ok(value) => assert_eq!(serde_json::from_str::<serde_json::Value>(&pretty).ok(), Some(value), "{pretty}"),
        Err(_) => assert_eq!(pretty, message.body),
    }
    let view = message_view::view(&message);
    assert!(!view.kind.label().is_empty());
    assert_eq!(view.attributes.len(), message.attributes.len());
    let saved = SavedMessage::from_message(&message);
    let line = serde_json::to_string(&saved).expect("a saved message encodes");
    let read: SavedMessage = serde_json::from_str(&line).expect("a saved line reads back");
    assert_eq!(read.to_message().as_ref(), Ok(&message), "saved as {line}");
    let queue = QueueSummary::from_url(&part(1));
    assert!(part(1).ends_with(&queue.name) && queue.fifo == queue.name.ends_with(".fifo"));
    let mut attributes = QueueAttributes { all: pairs };
    attributes.all.insert("RedrivePolicy".to_owned(), part(0));
    attributes.all.insert("RedriveAllowPolicy".to_owned(), part(0));
    let _ = (attributes.arn(), attributes.visible(), attributes.in_flight(), attributes.delayed());
    let _ = (attributes.redrive_policy(), attributes.redrive_allow_policy());
    let error = sqs::classify("ReceiveMessage", &part(1), &part(2));
    assert!(!error.to_string().is_empty());
}
