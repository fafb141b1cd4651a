//! The session cache: temporary credentials per layer (kind, role or source, MFA device,
//! endpoint), kept in the secret store so every switchboard process shares them. Long-term
//! keys never come here. Expired entries are dropped when seen.

use std::sync::Arc;

use jiff::Timestamp;

use super::credentials::{Credentials, StoredCredentials};
use super::store::{Backend, SecretStore};

#[derive(Clone)]
pub struct SessionCache {
    store: Arc<dyn SecretStore>,
}

impl SessionCache {
    pub fn new(store: Arc<dyn SecretStore>) -> Self {
        Self { store }
    }

    pub fn backend(&self) -> &Backend {
        self.store.backend()
    }

    pub fn store(&self) -> Arc<dyn SecretStore> {
        self.store.clone()
    }

    fn session_key(layer_id: &str) -> String {
        format!("session|{layer_id}")
    }

    /// The cached session of a layer, unless it has expired (then it is removed).
    pub async fn get(&self, layer_id: &str, now: Timestamp) -> Option<Credentials> {
        let credentials = self.peek(layer_id).await?;
        if credentials.expiration.is_some_and(|until| until <= now) {
            self.remove(layer_id).await;
            return None;
        }
        Some(credentials)
    }

    /// The cached session of a layer even if it has expired, so it can be shown as expired.
    pub async fn peek(&self, layer_id: &str) -> Option<Credentials> {
        let key = Self::session_key(layer_id);
        let stored = self.blocking(move |store| store.get(&key)).await.flatten()?;
        let credentials: Credentials = match serde_json::from_str::<StoredCredentials>(&stored) {
            Ok(parsed) => parsed.into(),
            Err(_) => {
                tracing::warn!(layer = layer_id, "dropping an unreadable cached session");
                self.remove(layer_id).await;
                return None;
            }
        };
        Some(credentials)
    }

    pub async fn put(&self, layer_id: &str, credentials: &Credentials) {
        let Ok(value) = serde_json::to_string(&StoredCredentials::from(credentials)) else {
            return;
        };
        let key = Self::session_key(layer_id);
        self.blocking(move |store| store.set(&key, &value)).await;
    }

    pub async fn remove(&self, layer_id: &str) {
        let key = Self::session_key(layer_id);
        self.blocking(move |store| store.delete(&key)).await;
    }

    /// Plain values (like used MFA codes) that other processes should see too.
    pub async fn get_note(&self, key: &str) -> Option<String> {
        let key = format!("note|{key}");
        self.blocking(move |store| store.get(&key)).await.flatten()
    }

    pub async fn put_note(&self, key: &str, value: String) {
        let key = format!("note|{key}");
        self.blocking(move |store| store.set(&key, &value)).await;
    }

    /// Runs a store call off the async threads. A failing store costs a cached session, not
    /// the command: the failure is logged (without values) and treated as a miss.
    async fn blocking<T: Send + 'static>(
        &self,
        call: impl FnOnce(&dyn SecretStore) -> Result<T, super::store::StoreError> + Send + 'static,
    ) -> Option<T> {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || call(store.as_ref())).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(error)) => {
                tracing::warn!(%error, "session cache");
                None
            }
            Err(error) => {
                tracing::warn!(%error, "session cache task");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::store::MemoryStore;

    #[tokio::test]
    async fn expired_sessions_are_dropped_when_read() {
        let store = Arc::new(MemoryStore::new("test"));
        let cache = SessionCache::new(store.clone());
        let until: Timestamp = "2026-01-01T01:00:00Z".parse().unwrap();
        let session = Credentials::new("ASIA1", "secret", Some("token".into()), Some(until));
        cache.put("layer", &session).await;
        let before: Timestamp = "2026-01-01T00:59:59Z".parse().unwrap();
        assert_eq!(cache.get("layer", before).await.map(|c| c.access_key_id), Some("ASIA1".to_owned()));
        assert!(cache.get("layer", until).await.is_none());
        assert_eq!(store.get("session|layer"), Ok(None), "the expired entry is removed from the store");
    }
}
