//! The session cache: temporary credentials per layer (kind, role or source, MFA device,
//! endpoint), in the session store so every switchboard process shares them, under a scope
//! (the effective STS endpoint and the inventory file) so a session obtained for an emulator
//! or another inventory is never served here. Long-term keys never come here.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use super::credentials::Credentials;
use super::store::lock::{self, LockFile};
use super::store::{Backend, CodeMark, SecretStore, SessionMeta, SessionStore, Stamp, StoreError};

/// How long a process waits for another one renewing the same layer. The lock is held only
/// around the STS exchange (never while a person types), so this is generous.
const LAYER_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct SessionCache {
    store: Arc<dyn SecretStore>,
    sessions: Arc<SessionStore>,
    scope: String,
}

/// A cached session and when it was obtained: what a renewal is judged by.
#[derive(Debug, Clone)]
pub struct Cached {
    pub credentials: Credentials,
    pub obtained_at: Timestamp,
}

/// Held while one process renews a layer; others wait for it and then re-read the store.
#[derive(Debug)]
pub struct LayerLock {
    _file: Option<LockFile>,
}

impl SessionCache {
    pub fn new(store: Arc<dyn SecretStore>) -> Self {
        let sessions = store.sessions().clone();
        Self { store, sessions, scope: String::new() }
    }

    /// The same store, with keys scoped (by the engine: endpoint and inventory).
    pub fn scoped(self, scope: String) -> Self {
        Self { scope, ..self }
    }

    pub fn scope(&self) -> &str {
        &self.scope
    }

    pub fn backend(&self) -> &Backend {
        self.store.backend()
    }

    pub fn store(&self) -> Arc<dyn SecretStore> {
        self.store.clone()
    }

    /// Changes when any process changed the stored sessions; one `stat`, no read.
    pub fn stamp(&self) -> Stamp {
        self.sessions.stamp()
    }

    /// The cached session of a layer, unless it has expired.
    pub async fn get(&self, layer_id: &str, now: Timestamp) -> Option<Credentials> {
        self.lookup(layer_id, now).await.map(|cached| cached.credentials)
    }

    /// `get` with when the session was obtained, from the same read of the store.
    pub async fn lookup(&self, layer_id: &str, now: Timestamp) -> Option<Cached> {
        let (credentials, meta) = self.sessions.get_with_meta(&self.scope, layer_id)?;
        if credentials.expiration.is_some_and(|until| until <= now) {
            return None;
        }
        Some(Cached { credentials, obtained_at: meta.obtained_at })
    }

    /// The cached session of a layer even if it has expired.
    pub async fn peek(&self, layer_id: &str) -> Option<Credentials> {
        self.sessions.get(&self.scope, layer_id)
    }

    /// `peek` without awaiting (one decryption; the screen asks it for one role at a time).
    pub fn peek_now(&self, layer_id: &str) -> Option<Credentials> {
        self.sessions.get(&self.scope, layer_id)
    }

    /// Expiry and when obtained, without opening the sealed secret.
    pub fn metadata(&self, layer_id: &str) -> Option<SessionMeta> {
        self.sessions.metadata(&self.scope, layer_id)
    }

    /// Stores a session. A failing store costs a cached session, not the command: the failure
    /// is logged (without values).
    pub async fn put(&self, layer_id: &str, credentials: &Credentials, now: Timestamp) {
        let (sessions, scope, layer, credentials) =
            (self.sessions.clone(), self.scope.clone(), layer_id.to_owned(), credentials.clone());
        self.blocking(move || sessions.put(&scope, &layer, &credentials, now)).await;
    }

    pub async fn remove(&self, layer_id: &str) {
        let (sessions, scope, layer) = (self.sessions.clone(), self.scope.clone(), layer_id.to_owned());
        self.blocking(move || sessions.remove(&scope, &layer)).await;
    }

    /// Checks and records a code for a device in one step under the store lock. The device
    /// is scoped by the endpoint (part of the scope) so an emulator's codes stay apart.
    pub async fn mark_code_used(
        &self,
        device: &str,
        code: &str,
        now: Timestamp,
        remember_for: Duration,
    ) -> Result<CodeMark, StoreError> {
        let sessions = self.sessions.clone();
        let (device, code) = (format!("{}|{device}", self.endpoint_scope()), code.to_owned());
        let code = secrecy::SecretString::from(code);
        tokio::task::spawn_blocking(move || {
            use secrecy::ExposeSecret;
            sessions.mark_code_used(&device, code.expose_secret(), now, remember_for)
        })
        .await
        .map_err(|error| StoreError { backend: "session store".into(), message: error.to_string() })?
    }

    /// The endpoint part of the scope: used codes belong to a device, whatever the inventory.
    fn endpoint_scope(&self) -> &str {
        self.scope.split_once('#').map(|(endpoint, _)| endpoint).unwrap_or(&self.scope)
    }

    /// Waits (at most a minute) until no other process renews this layer. In memory there is
    /// no other process, and the engine's own lock keeps this one to one call.
    pub async fn lock_layer(&self, layer_id: &str, label: &str) -> Result<LayerLock, StoreError> {
        let Some(path): Option<PathBuf> = self.sessions.layer_lock_path(&self.scope, layer_id) else {
            return Ok(LayerLock { _file: None });
        };
        let file = lock::lock_async(path, LAYER_LOCK_TIMEOUT, format!("renewing {label}")).await?;
        Ok(LayerLock { _file: Some(file) })
    }

    async fn blocking(&self, call: impl FnOnce() -> Result<(), StoreError> + Send + 'static) {
        match tokio::task::spawn_blocking(call).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "session cache"),
            Err(error) => tracing::warn!(%error, "session cache task"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::store::MemoryStore;

    #[tokio::test]
    async fn expired_sessions_are_not_served_but_still_shown() {
        let cache = SessionCache::new(Arc::new(MemoryStore::new("test"))).scoped("aws#inv".into());
        let until: Timestamp = "2026-01-01T01:00:00Z".parse().unwrap();
        let session = Credentials::new("ASIA1", "secret", Some("token".into()), Some(until));
        let before: Timestamp = "2026-01-01T00:59:59Z".parse().unwrap();
        cache.put("layer", &session, before).await;
        assert_eq!(cache.get("layer", before).await.map(|c| c.access_key_id), Some("ASIA1".to_owned()));
        assert!(cache.get("layer", until).await.is_none());
        assert!(cache.peek("layer").await.is_some(), "kept to be shown as expired");
        assert_eq!(cache.metadata("layer").map(|meta| meta.expires_at), Some(Some(until)));
    }

    #[tokio::test]
    async fn scopes_keep_sessions_apart_on_one_store() {
        let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::new("test"));
        let emulator = SessionCache::new(store.clone()).scoped("http://127.0.0.1:5000#inv".into());
        let real = SessionCache::new(store).scoped("aws#inv".into());
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let until: Timestamp = "2026-01-01T01:00:00Z".parse().unwrap();
        emulator.put("layer", &Credentials::new("ASIA1", "s", None, Some(until)), now).await;
        assert!(real.get("layer", now).await.is_none());
        let window = Duration::from_secs(300);
        assert_eq!(emulator.mark_code_used("dev", "123456", now, window).await, Ok(CodeMark::Fresh));
        assert_eq!(real.mark_code_used("dev", "123456", now, window).await, Ok(CodeMark::Fresh));
        let other_inventory = SessionCache::new(real.store()).scoped("aws#other".into());
        assert_eq!(other_inventory.mark_code_used("dev", "123456", now, window).await, Ok(CodeMark::AlreadyUsed));
    }
}
