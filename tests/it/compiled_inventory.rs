//! The compiled copies of inventories in `SWITCHBOARD_CACHE_DIR/inventory/`: old ones are
//! removed when a new one is written, and only those: a file switchboard did not write stays,
//! however old, whatever its name.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::support::{DEVICE, INVENTORY, assert_success, clean_env};

/// `switchboard list` (it parses the inventory, so writes its compiled copy) with this
/// inventory and cache directory; no network.
fn list(home: &Path, inventory: &Path, cache: &Path) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command.arg("list");
    clean_env(&mut command, home);
    command.env("SWITCHBOARD_INVENTORY", inventory).env("SWITCHBOARD_CACHE_DIR", cache);
    assert_success(&command.output().unwrap());
}

fn inventory(home: &Path, name: &str) -> PathBuf {
    let path = home.join(name);
    std::fs::write(&path, INVENTORY.replace("ENDPOINT", "http://127.0.0.1:9").replace("DEVICE", DEVICE)).unwrap();
    path
}

fn age(path: &Path, days: u64) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(days * 24 * 3600)).unwrap();
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn only_switchboards_own_old_copies_are_removed_from_the_cache_directory() {
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join("cache");
    let copies = cache.join("inventory");
    let first = inventory(home.path(), "first.toml");
    list(home.path(), &first, &cache);
    let own = files(&copies);
    assert_eq!(own.len(), 1, "one copy for the first inventory: {own:?}");
    let own = copies.join(&own[0]);

    // Someone else's files, 40 days old: one with a name of its own, one named as a copy is.
    let hosts = copies.join("hosts.ini");
    std::fs::write(&hosts, "[web]\nhost1\n").unwrap();
    let lookalike = copies.join("0123456789abcdef01234567.bin");
    std::fs::write(&lookalike, vec![7u8; 200]).unwrap();
    for path in [&own, &hosts, &lookalike] {
        age(path, 40);
    }

    // A copy of another inventory is written: the month-old copies go, and only they.
    let second = inventory(home.path(), "second.toml");
    list(home.path(), &second, &cache);
    assert!(hosts.exists(), "a file switchboard did not write was removed: {:?}", files(&copies));
    assert!(lookalike.exists(), "a foreign file with a copy's name was removed: {:?}", files(&copies));
    assert!(!own.exists(), "switchboard's own month-old copy stayed: {:?}", files(&copies));
    assert_eq!(files(&copies).len(), 3, "the new copy and the two foreign files: {:?}", files(&copies));
}
