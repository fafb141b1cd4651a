use std::time::Duration;

use jiff::Timestamp;

use super::*;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn session(key_id: &str, until: &str) -> Credentials {
    Credentials::new(key_id, format!("secret-of-{key_id}"), Some(format!("token-of-{key_id}")), Some(at(until)))
}

/// Two stores on one directory and one key: two processes.
fn pair() -> (tempfile::TempDir, SessionStore, SessionStore) {
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = StoreKey::generate();
    let a = SessionStore::in_file(dir.path().join("state"), StoreKey::from_text(&text).unwrap()).unwrap();
    let b = SessionStore::in_file(dir.path().join("state"), StoreKey::from_text(&text).unwrap()).unwrap();
    (dir, a, b)
}

const NOW: &str = "2026-01-01T00:00:00Z";

#[test]
fn sessions_written_by_one_process_are_read_by_another_and_the_secret_is_sealed() {
    let (dir, a, b) = pair();
    a.put("scope", "layer", &session("ASIAONE", "2026-01-01T01:00:00Z"), at(NOW)).unwrap();
    let seen = b.get("scope", "layer").expect("b reads what a wrote");
    assert_eq!(seen.secret_access_key(), "secret-of-ASIAONE");
    assert_eq!(seen.session_token(), Some("token-of-ASIAONE"));
    assert_eq!(
        b.metadata("scope", "layer"),
        Some(SessionMeta { expires_at: Some(at("2026-01-01T01:00:00Z")), obtained_at: at(NOW) })
    );
    assert!(b.get("other-scope", "layer").is_none(), "scopes are apart");
    let bytes = std::fs::read(a.location().unwrap()).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("secret-of-ASIAONE") && !text.contains("token-of-ASIAONE"), "{text}");
    assert!(text.contains("scope") && text.contains("layer"), "the metadata is readable without the key: {text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(a.location().unwrap()), 0o600);
        assert_eq!(mode(&dir.path().join("state")), 0o700);
    }
}

#[test]
fn the_stamp_changes_with_every_write_and_not_otherwise() {
    let (_dir, a, b) = pair();
    let before = b.stamp();
    assert_eq!(b.stamp(), before);
    a.put("s", "l", &session("ASIAONE", "2026-01-01T01:00:00Z"), at(NOW)).unwrap();
    let after = b.stamp();
    assert_ne!(after, before);
    a.remove("s", "l").unwrap();
    assert_ne!(b.stamp(), after);
    assert!(b.get("s", "l").is_none(), "b sees the removal");
    let memory = SessionStore::in_memory();
    let first = memory.stamp();
    memory.put("s", "l", &session("ASIAONE", "2026-01-01T01:00:00Z"), at(NOW)).unwrap();
    assert_ne!(memory.stamp(), first);
}

#[test]
fn a_code_is_fresh_exactly_once_across_processes_within_the_window() {
    let (_dir, a, b) = pair();
    let window = Duration::from_secs(300);
    assert_eq!(a.mark_code_used("dev", "123456", at(NOW), window).unwrap(), CodeMark::Fresh);
    assert_eq!(b.mark_code_used("dev", "123456", at(NOW), window).unwrap(), CodeMark::AlreadyUsed);
    assert_eq!(b.mark_code_used("other-dev", "123456", at(NOW), window).unwrap(), CodeMark::Fresh);
    assert_eq!(b.mark_code_used("dev", "123456", at("2026-01-01T00:05:01Z"), window).unwrap(), CodeMark::Fresh);
    let text = String::from_utf8_lossy(&std::fs::read(a.location().unwrap()).unwrap()).into_owned();
    assert!(!text.contains("123456"), "codes are kept as digests: {text}");
}

#[test]
fn racing_threads_on_separate_opens_get_one_fresh_mark() {
    let (_dir, a, b) = pair();
    let (a, b) = (Arc::new(a), Arc::new(b));
    let marks: Vec<CodeMark> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|index| {
                let store = if index % 2 == 0 { a.clone() } else { b.clone() };
                scope.spawn(move || store.mark_code_used("dev", "654321", at(NOW), Duration::from_secs(300)).unwrap())
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    assert_eq!(marks.iter().filter(|mark| **mark == CodeMark::Fresh).count(), 1, "{marks:?}");
}

#[test]
fn a_damaged_or_truncated_file_is_set_aside_and_the_store_starts_afresh() {
    for damage in ["truncate", "flip", "garbage"] {
        let (dir, a, b) = pair();
        a.put("s", "l", &session("ASIAONE", "2026-01-01T01:00:00Z"), at(NOW)).unwrap();
        let path = a.location().unwrap().to_path_buf();
        let mut bytes = std::fs::read(&path).unwrap();
        match damage {
            "truncate" => bytes.truncate(bytes.len() / 2),
            "flip" => {
                let last = bytes.len() - 10;
                bytes[last] ^= 0x01;
            }
            _ => bytes = b"not a store at all".to_vec(),
        }
        std::fs::write(&path, &bytes).unwrap();

        assert!(b.get("s", "l").is_none(), "{damage}: nothing is served from a damaged file");
        let aside: Vec<String> = std::fs::read_dir(dir.path().join("state"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(&format!("{}.corrupt-", super::super::file::FILE_NAME)))
            .collect();
        assert_eq!(aside.len(), 1, "{damage}: set aside once: {aside:?}");
        b.put("s", "l", &session("ASIATWO", "2026-01-01T01:00:00Z"), at(NOW)).unwrap();
        assert_eq!(a.get("s", "l").unwrap().access_key_id, "ASIATWO", "{damage}: works again");
    }
}

#[test]
fn a_session_sealed_under_another_key_counts_as_absent() {
    let dir = tempfile::tempdir().unwrap();
    let a = SessionStore::in_file(dir.path().to_path_buf(), StoreKey::generate().0).unwrap();
    let b = SessionStore::in_file(dir.path().to_path_buf(), StoreKey::generate().0).unwrap();
    a.put("s", "l", &session("ASIAONE", "2026-01-01T01:00:00Z"), at(NOW)).unwrap();
    assert!(b.get("s", "l").is_none());
    assert!(b.metadata("s", "l").is_some(), "metadata needs no key");
}

#[test]
fn long_expired_sessions_are_dropped_at_the_next_write() {
    let store = SessionStore::in_memory();
    store.put("s", "old", &session("ASIAOLD", "2025-12-30T00:00:00Z"), at(NOW)).unwrap();
    store.put("s", "recent", &session("ASIAREC", "2025-12-31T12:00:00Z"), at(NOW)).unwrap();
    store.put("s", "new", &session("ASIANEW", "2026-01-01T01:00:00Z"), at(NOW)).unwrap();
    assert!(store.metadata("s", "old").is_none(), "expired more than a day ago");
    assert!(store.metadata("s", "recent").is_some(), "still shown as expired");
    assert_eq!(store.len(), 2);
}

#[test]
fn puts_from_many_threads_all_land_even_when_written_together() {
    let (_dir, a, b) = pair();
    let a = Arc::new(a);
    std::thread::scope(|scope| {
        for index in 0..16 {
            let store = a.clone();
            scope.spawn(move || {
                let credentials = session(&format!("ASIA{index:04}"), "2026-01-01T01:00:00Z");
                store.put("s", &format!("layer-{index}"), &credentials, at(NOW)).unwrap();
            });
        }
    });
    for index in 0..16 {
        let found = b.get("s", &format!("layer-{index}")).map(|c| c.access_key_id);
        assert_eq!(found, Some(format!("ASIA{index:04}")));
    }
}

/// The bytes of a v2 store (the layout before v3) holding one session, as a v2 switchboard wrote it.
fn v2_file(key: &StoreKey, scope: &str, layer: &str, credentials: &Credentials) -> Vec<u8> {
    let entry_key = entry_key(scope, layer);
    let plain = serde_json::to_vec(&StoredCredentials::from(credentials)).unwrap();
    let sealed =
        serde_json::to_vec(&BTreeMap::from([(entry_key.clone(), key.seal(&entry_key, &plain).unwrap())])).unwrap();
    let expires = credentials.expiration.unwrap();
    let metadata = format!(
        r#"{{"generation":3,"sessions":{{"{entry_key}":{{"scope":"{scope}","layer":"{layer}","expires_at":"{expires}","obtained_at":"{NOW}"}}}},"used_codes":{{}}}}"#
    );
    let checksum = super::super::file::checksum;
    let header = format!(
        "switchboard-sessions v2 meta={} meta_sha256={} sealed_sha256={}\n",
        metadata.len(),
        checksum(metadata.as_bytes()),
        checksum(&sealed)
    );
    [header.as_bytes(), metadata.as_bytes(), &sealed].concat()
}

#[test]
fn a_v2_store_is_read_until_the_first_write_which_makes_a_v3_file_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = StoreKey::generate();
    let v2 = v2_file(&StoreKey::from_text(&text).unwrap(), "s", "old", &session("ASIAOLD", "2026-01-01T01:00:00Z"));
    std::fs::write(dir.path().join("sessions"), &v2).unwrap();
    let store = SessionStore::in_file(dir.path().to_owned(), StoreKey::from_text(&text).unwrap()).unwrap();
    assert_eq!(store.get("s", "old").map(|c| c.access_key_id).as_deref(), Some("ASIAOLD"), "v2 sessions are served");
    assert_eq!(store.metadata("s", "old").unwrap().obtained_at, at(NOW));

    store.put("s", "new", &session("ASIANEW", "2026-01-01T01:00:00Z"), at(NOW)).unwrap();
    assert_eq!(store.location().unwrap().file_name().unwrap(), "sessions.v3");
    let other = SessionStore::in_file(dir.path().to_owned(), StoreKey::from_text(&text).unwrap()).unwrap();
    for (layer, key_id) in [("old", "ASIAOLD"), ("new", "ASIANEW")] {
        assert_eq!(other.get("s", layer).map(|c| c.access_key_id).as_deref(), Some(key_id), "{layer} moved to v3");
    }
    assert_eq!(std::fs::read(dir.path().join("sessions")).unwrap(), v2, "the v2 file is left to the old version");
}

/// With the lock file alone deciding (no socket beside it), a lock file deleted while held is
/// noticed by its holder before and after each write: twenty "processes" (stores of their
/// own, each on its own thread) writing while `sessions.lock` is deleted again and again keep
/// every session.
#[test]
fn with_the_file_alone_a_deleted_store_lock_loses_no_session() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (_, text) = StoreKey::generate();
    let open = || SessionStore::in_file(state.clone(), StoreKey::from_text(&text).unwrap()).unwrap();
    let stores: Vec<SessionStore> = (0..20).map(|_| open()).collect();
    let done = std::sync::atomic::AtomicBool::new(false);
    let deleted = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                if std::fs::remove_file(state.join("sessions.lock")).is_ok() {
                    deleted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let writers: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(index, store)| {
                scope.spawn(move || {
                    super::super::lock::without_guard(|| {
                        (0..5).try_for_each(|round| {
                            let layer = format!("layer-{index}-{round}");
                            store.put("scope", &layer, &session("ASIAONE", "2026-01-01T01:00:00Z"), at(NOW))
                        })
                    })
                })
            })
            .collect();
        let failed: Vec<String> = writers
            .into_iter()
            .filter_map(|writer| {
                writer.join().map_or(Some("panicked".to_owned()), |done| done.err().map(|e| e.to_string()))
            })
            .collect();
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(failed.is_empty(), "{failed:?}");
    });
    assert!(deleted.into_inner() > 0, "the lock file was never deleted: the test proves nothing");
    let reader = open();
    let missing: Vec<String> = (0..20)
        .flat_map(|index| (0..5).map(move |round| format!("layer-{index}-{round}")))
        .filter(|layer| reader.metadata("scope", layer).is_none())
        .collect();
    assert!(missing.is_empty(), "lost: {missing:?}");
}
