//! Where secrets rest between runs: the OS keyring (Secret Service, Keychain, Windows
//! Credential Manager) through `keyring` 4.x, or process memory when no keyring answers.
//! Nothing here ever writes a file.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The keyring "service" every switchboard entry is filed under.
const KEYRING_SERVICE: &str = "switchboard";
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the {backend} refused: {message}")]
pub struct StoreError {
    pub backend: String,
    pub message: String,
}

/// Blocking on purpose: keyring calls are short D-Bus/OS calls; async callers run them
/// on the blocking pool (see `SessionCache`).
pub trait SecretStore: Send + Sync {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    fn set(&self, key: &str, value: &str) -> Result<(), StoreError>;
    fn delete(&self, key: &str) -> Result<(), StoreError>;
    fn backend(&self) -> &Backend;
}

#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    Keyring,
    Memory { reason: String },
}

impl Backend {
    /// A few words for a header line; `Display` gives the reason too.
    pub fn short_label(&self) -> &'static str {
        match self {
            Backend::Keyring => keyring_name(),
            Backend::Memory { .. } => "memory only",
        }
    }

    pub fn is_persistent(&self) -> bool {
        matches!(self, Backend::Keyring)
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::Keyring => f.write_str(keyring_name()),
            Backend::Memory { reason } => write!(f, "memory only ({reason}); sessions end with this process"),
        }
    }
}

fn keyring_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "macOS Keychain"
    } else if cfg!(windows) {
        "Windows Credential Manager"
    } else {
        "Secret Service keyring"
    }
}

pub struct KeyringStore {
    backend: Backend,
}

impl KeyringStore {
    fn entry(&self, key: &str) -> Result<keyring::Entry, StoreError> {
        keyring::Entry::new(KEYRING_SERVICE, key).map_err(|error| self.error(error))
    }

    fn error(&self, error: keyring::Error) -> StoreError {
        StoreError { backend: self.backend.to_string(), message: error.to_string() }
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        match self.entry(key)?.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(self.error(error)),
        }
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.entry(key)?.set_password(value).map_err(|error| self.error(error))
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(self.error(error)),
        }
    }

    fn backend(&self) -> &Backend {
        &self.backend
    }
}

pub struct MemoryStore {
    entries: Mutex<HashMap<String, String>>,
    backend: Backend,
}

impl MemoryStore {
    pub fn new(reason: impl Into<String>) -> Self {
        Self { entries: Mutex::default(), backend: Backend::Memory { reason: reason.into() } }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.entries().get(key).cloned())
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.entries().insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.entries().remove(key);
        Ok(())
    }

    fn backend(&self) -> &Backend {
        &self.backend
    }
}

/// Which store the operator asked for (`SWITCHBOARD_CACHE=keyring|memory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreChoice {
    /// The OS keyring when it answers, memory otherwise.
    Auto,
    Memory,
}

impl StoreChoice {
    pub fn from_env() -> Self {
        match std::env::var("SWITCHBOARD_CACHE").as_deref() {
            Ok("memory") => StoreChoice::Memory,
            _ => StoreChoice::Auto,
        }
    }
}

/// Opens the keyring if it answers a harmless read within a few seconds; a locked or absent
/// Secret Service must not hang a command, so it falls back to memory and says why.
pub async fn open_store(choice: StoreChoice) -> Arc<dyn SecretStore> {
    if choice == StoreChoice::Memory {
        return Arc::new(MemoryStore::new("SWITCHBOARD_CACHE=memory"));
    }
    let probe = tokio::task::spawn_blocking(|| {
        if let Err(error) = keyring::Entry::store_status() {
            return Err(error.to_string());
        }
        let store = KeyringStore { backend: Backend::Keyring };
        store.get("probe").map(|_| store).map_err(|error| error.message)
    });
    match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
        Ok(Ok(Ok(store))) => Arc::new(store),
        Ok(Ok(Err(reason))) => Arc::new(MemoryStore::new(format!("no keyring reachable: {reason}"))),
        Ok(Err(join_error)) => Arc::new(MemoryStore::new(format!("keyring probe failed: {join_error}"))),
        Err(_) => Arc::new(MemoryStore::new(format!("the keyring did not answer within {}s", PROBE_TIMEOUT.as_secs()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_keeps_values_until_deleted() {
        let store = MemoryStore::new("test");
        assert_eq!(store.get("a"), Ok(None));
        store.set("a", "1").unwrap();
        assert_eq!(store.get("a"), Ok(Some("1".to_owned())));
        store.delete("a").unwrap();
        assert_eq!(store.get("a"), Ok(None));
        assert!(!store.backend().is_persistent());
        assert!(store.backend().to_string().contains("memory only (test)"));
    }
}
