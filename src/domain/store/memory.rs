//! Everything in this process's memory: when no keyring answers, or when asked for
//! (`SWITCHBOARD_CACHE=memory`), and in tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Backend, SecretStore, SessionStore, StoreError};

pub struct MemoryStore {
    entries: Mutex<HashMap<String, String>>,
    backend: Backend,
    sessions: Arc<SessionStore>,
}

impl MemoryStore {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            entries: Mutex::default(),
            backend: Backend::Memory { reason: reason.into() },
            sessions: Arc::new(SessionStore::in_memory()),
        }
    }

    /// Sessions kept elsewhere (see `open_states_only`), long-term keys in memory.
    pub fn with_sessions(backend: Backend, sessions: SessionStore) -> Self {
        Self { entries: Mutex::default(), backend, sessions: Arc::new(sessions) }
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

    fn sessions(&self) -> &Arc<SessionStore> {
        &self.sessions
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
        assert!(store.sessions().location().is_none());
    }
}
