//! What `switchboard doctor` asks of the keyring and the session file, without opening the
//! store: each answer typed, since the doctor calls one a problem and another a warning.
//! Blocking, and with no timeout of their own: the caller runs them on a thread it can
//! abandon (a hung Secret Service never answers).

use std::path::{Path, PathBuf};

use secrecy::zeroize::Zeroizing;

use super::StoreKey;
use super::file::{FILE_NAME, ReadError, SessionFile};
use super::keyring;

/// The keyring as the session store would find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyringProbe {
    /// It answered; `store_key` says whether the session store's key is there yet (it is
    /// made by the first command that keeps a session).
    Ready { store_key: StoreKeyState },
    /// It answered but would not give the item: a locked collection whose unlock prompt was
    /// dismissed, or access refused.
    Locked(String),
    /// None to talk to: no D-Bus session, no Secret Service, an unsupported platform.
    Unavailable(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKeyState {
    Present,
    Absent,
    /// An item that is not a store key (32 bytes in base64): sessions sealed with it cannot
    /// be opened, and the first command replaces nothing; the operator should delete it.
    Malformed,
}

/// Reads the session store's key item (never printed, zeroed when dropped).
pub fn probe_keyring() -> KeyringProbe {
    if let Err(error) = ::keyring::Entry::store_status() {
        return KeyringProbe::Unavailable(error.to_string());
    }
    let entry = match keyring::entry(super::STORE_KEY_ITEM) {
        Ok(entry) => entry,
        Err(message) => return KeyringProbe::Unavailable(message),
    };
    match entry.get_password().map(Zeroizing::new) {
        Ok(text) if StoreKey::from_text(&text).is_ok() => KeyringProbe::Ready { store_key: StoreKeyState::Present },
        Ok(_) => KeyringProbe::Ready { store_key: StoreKeyState::Malformed },
        Err(::keyring::Error::NoEntry) => KeyringProbe::Ready { store_key: StoreKeyState::Absent },
        Err(error @ ::keyring::Error::NoStorageAccess(_)) => KeyringProbe::Locked(error.to_string()),
        Err(error) => KeyringProbe::Unavailable(error.to_string()),
    }
}

/// The session file of a state directory, read as every process reads it (header, checksum,
/// metadata) but without its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFileReport {
    pub path: PathBuf,
    pub state: SessionFileState,
    /// Permission bits of the file and of its directory (Unix), when they exist.
    pub mode: Option<u32>,
    pub dir_mode: Option<u32>,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionFileState {
    /// No state directory yet, or no file in it: nothing kept so far.
    Absent,
    Readable {
        sessions: usize,
    },
    /// Not a session file any more (truncated, overwritten): the next command sets it aside.
    Damaged(String),
    /// The operating system refused to read it (permissions).
    Unreadable(String),
}

pub fn inspect_session_file(dir: &Path) -> SessionFileReport {
    let path = dir.join(FILE_NAME);
    let mut report = SessionFileReport {
        path: path.clone(),
        state: SessionFileState::Absent,
        mode: mode_of(&path),
        dir_mode: mode_of(dir),
        size: std::fs::metadata(&path).map(|metadata| metadata.len()).unwrap_or(0),
    };
    // Opening makes a missing directory; the doctor only looks.
    if !dir.is_dir() {
        return report;
    }
    let file = match SessionFile::open(dir.to_path_buf()) {
        Ok(file) => file,
        Err(error) => {
            report.state = SessionFileState::Unreadable(error.message);
            return report;
        }
    };
    report.state = match file.read() {
        Ok(None) => SessionFileState::Absent,
        Ok(Some(document)) => {
            SessionFileState::Readable { sessions: document.sessions.values().map(|layers| layers.len()).sum() }
        }
        Err(ReadError::Corrupt(why)) => SessionFileState::Damaged(why),
        Err(ReadError::Io(error)) => SessionFileState::Unreadable(error.message),
    };
    report
}

#[cfg(unix)]
fn mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).ok().map(|metadata| metadata.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode_of(_path: &Path) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_is_absent_and_is_not_made() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("state");
        let report = inspect_session_file(&dir);
        assert_eq!(report.state, SessionFileState::Absent);
        assert!(!dir.exists(), "the doctor only looks");
    }

    #[test]
    fn a_damaged_file_is_told_apart_from_a_readable_one() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().to_path_buf();
        std::fs::write(dir.join(FILE_NAME), "not a session store\n").unwrap();
        assert!(matches!(inspect_session_file(&dir).state, SessionFileState::Damaged(_)));

        std::fs::remove_file(dir.join(FILE_NAME)).unwrap();
        let store = super::super::SessionStore::in_file(dir.clone(), StoreKey::generate().0).unwrap();
        let credentials = crate::domain::credentials::Credentials::new("ASIAEXAMPLE", "secret", Some("t".into()), None);
        store.put("scope", "layer", &credentials, jiff::Timestamp::now()).unwrap();
        let report = inspect_session_file(&dir);
        assert_eq!(report.state, SessionFileState::Readable { sessions: 1 });
        assert!(report.size > 0);
        #[cfg(unix)]
        assert_eq!(report.mode, Some(0o600));
    }
}
