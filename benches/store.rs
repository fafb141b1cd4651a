//! The session store at 5,000 sessions: reading every session's metadata (what `list` and
//! the screen's countdowns need) in a fresh process and in a warm one, and one put (lock,
//! read, seal, write, fsync, rename). Numbers for the README's "Speed" section.
//!
//! `cargo bench --bench store`

// A benchmark whose setup fails should stop loudly, as a test does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use jiff::Timestamp;
use switchboard::domain::credentials::Credentials;
use switchboard::domain::store::{SessionStore, StoreKey};

const SESSIONS: usize = 5_000;
const SCOPE: &str = "aws#/home/operator/.config/switchboard/accounts.toml";

fn layer(index: usize) -> String {
    format!(
        "assume-role|account-{}/role-{}|arn:aws:iam::{:012}:role/Role{}|from:hub",
        index / 5,
        index % 5,
        index,
        index % 5
    )
}

fn session(index: usize, now: Timestamp) -> Credentials {
    Credentials::new(
        format!("ASIA{index:016}"),
        format!("secret-access-key-{index:024}"),
        Some("session-token-".repeat(40)),
        now.checked_add(jiff::SignedDuration::from_hours(1)).ok(),
    )
}

fn filled_store(dir: &std::path::Path, key_text: &str, now: Timestamp) -> SessionStore {
    let store = SessionStore::in_file(dir.to_path_buf(), key(key_text)).unwrap_or_else(|error| panic!("{error}"));
    let layers: Vec<String> = (0..SESSIONS).map(layer).collect();
    let sessions: Vec<Credentials> = (0..SESSIONS).map(|index| session(index, now)).collect();
    let batch = layers.iter().zip(&sessions).map(|(layer, session)| (SCOPE, layer.as_str(), session));
    store.put_many(batch, now).unwrap_or_else(|error| panic!("{error}"));
    store
}

fn key(text: &str) -> StoreKey {
    StoreKey::from_text(text).unwrap_or_else(|error| panic!("{error}"))
}

fn store(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let (_, key_text) = StoreKey::generate();
    let now = Timestamp::now();
    let warm = filled_store(dir.path(), &key_text, now);
    let layers: Vec<String> = (0..SESSIONS).map(layer).collect();

    let mut group = c.benchmark_group("store");
    group.sample_size(20).measurement_time(Duration::from_secs(10));
    group.bench_function("metadata of 5,000 sessions, fresh process (read + parse the file)", |b| {
        b.iter_batched(
            || SessionStore::in_file(dir.path().to_path_buf(), key(&key_text)).unwrap_or_else(|e| panic!("{e}")),
            |fresh| layers.iter().filter(|layer| fresh.metadata(SCOPE, layer).is_some()).count(),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("metadata of 5,000 sessions, warm (file unchanged)", |b| {
        b.iter(|| layers.iter().filter(|layer| warm.metadata(SCOPE, layer).is_some()).count())
    });
    group.bench_function("open one sealed session of 5,000", |b| b.iter(|| warm.get(SCOPE, &layers[SESSIONS / 2])));
    let mut index = 0;
    group.bench_function("one put into a 5,000-entry store (lock, seal, write, fsync, rename)", |b| {
        b.iter(|| {
            index = (index + 1) % SESSIONS;
            warm.put(SCOPE, &layer(index), &session(index, now), now).unwrap_or_else(|error| panic!("{error}"))
        })
    });
    group.finish();
}

criterion_group!(benches, store);
criterion_main!(benches);
