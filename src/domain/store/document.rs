//! The store's contents: per scope and layer, what is known without the key (expiry, when
//! obtained), the sealed secrets, and the digests of used MFA codes.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::layout::compact_time;
use super::sealed::Sealed;
use super::sealed_section::RawSealed;

/// The metadata section of the file (parsed on every read) and the sealed secrets (a second
/// section, parsed only when a session is opened or the store is written): at 5,000 sessions
/// the secrets are most of the bytes, and `list` never needs them. Serialized as the v3
/// layout (see `layout`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Document {
    pub(super) generation: u64,
    /// Per scope (endpoint and inventory), per layer id.
    pub(super) sessions: BTreeMap<String, BTreeMap<String, SessionMeta>>,
    /// Per `scope|device`: digests of codes sent recently.
    pub(super) used_codes: BTreeMap<String, Vec<UsedCode>>,
    /// The secrets section as read, until something needs it parsed.
    #[serde(skip)]
    pub(super) sealed_raw: Option<RawSealed>,
    /// The secrets, once parsed (always, while a document is being edited or written).
    #[serde(skip)]
    pub(super) sealed: BTreeMap<String, Sealed>,
}

impl Document {
    pub(super) fn from_parts(
        generation: u64,
        sessions: BTreeMap<String, BTreeMap<String, SessionMeta>>,
        used_codes: BTreeMap<String, Vec<UsedCode>>,
    ) -> Self {
        Self { generation, sessions, used_codes, ..Self::default() }
    }

    pub(super) fn meta(&self, scope: &str, layer: &str) -> Option<SessionMeta> {
        self.sessions.get(scope)?.get(layer).copied()
    }

    pub(super) fn contains(&self, scope: &str, layer: &str) -> bool {
        self.sessions.get(scope).is_some_and(|layers| layers.contains_key(layer))
    }

    /// Every stored session as (scope, layer).
    pub(super) fn session_keys(&self) -> impl Iterator<Item = (&str, &str)> {
        self.sessions
            .iter()
            .flat_map(|(scope, layers)| layers.keys().map(move |layer| (scope.as_str(), layer.as_str())))
    }

    #[cfg(test)]
    pub(super) fn generation(&self) -> u64 {
        self.generation
    }

    #[cfg(test)]
    pub(super) fn used_code_count(&self, device_key: &str) -> usize {
        self.used_codes.get(device_key).map_or(0, Vec::len)
    }

    pub fn with_sealed(mut self, raw: RawSealed) -> Self {
        self.sealed_raw = Some(raw);
        self
    }

    pub(super) fn sealed_of(&self, entry_key: &str) -> Result<Option<&Sealed>, String> {
        match &self.sealed_raw {
            None => Ok(self.sealed.get(entry_key)),
            Some(raw) => raw.parsed().as_ref().map(|map| map.get(entry_key)).map_err(Clone::clone),
        }
    }

    /// Parses the secrets section for an edit; an error means the file is damaged.
    pub(super) fn load_sealed(&mut self) -> Result<(), String> {
        if let Some(raw) = self.sealed_raw.take() {
            self.sealed = raw.parsed().clone()?;
        }
        Ok(())
    }

    /// The secrets, as the file writes them (a document being written has them parsed).
    pub fn sealed_section(&self) -> &BTreeMap<String, Sealed> {
        &self.sealed
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct UsedCode {
    pub(super) digest: String,
    #[serde(with = "compact_time")]
    pub(super) at: Timestamp,
}

/// What is known about a cached session without opening it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionMeta {
    #[serde(with = "compact_time::option")]
    pub expires_at: Option<Timestamp>,
    #[serde(with = "compact_time")]
    pub obtained_at: Timestamp,
}

/// The sealed section's key of a session, also its sealing's associated data.
pub fn entry_key(scope: &str, layer: &str) -> String {
    format!("{scope}|{layer}")
}

/// A session sealed and waiting to be written.
pub(super) struct PendingSession {
    pub(super) scope: String,
    pub(super) layer: String,
    pub(super) meta: SessionMeta,
    pub(super) sealed: Sealed,
}

impl Document {
    /// Copies: an update may apply its edit again (see `SessionStore::update`).
    pub(super) fn insert(&mut self, batch: &[PendingSession]) {
        for PendingSession { scope, layer, meta, sealed } in batch {
            self.sealed.insert(entry_key(scope, layer), sealed.clone());
            self.sessions.entry(scope.clone()).or_default().insert(layer.clone(), *meta);
        }
    }

    /// Drops the secrets of sessions no longer listed, and scopes left empty.
    pub(super) fn drop_orphans(&mut self) {
        self.sessions.retain(|_, layers| !layers.is_empty());
        let listed: std::collections::HashSet<String> =
            self.session_keys().map(|(scope, layer)| entry_key(scope, layer)).collect();
        self.sealed.retain(|key, _| listed.contains(key));
    }
}
