//! Sessions at rest: per layer, plain metadata (scope, layer, expiry, when obtained) beside
//! the sealed secret, so `list` and countdowns never decrypt. Used MFA codes sit in the same
//! document as keyed digests. In a file (shared by every process, updated under a lock) or,
//! when no keyring holds a key, in this process's memory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::file::{ReadError, SessionFile, Stamp};
use super::sealed::{Sealed, StoreKey};
pub use super::sealed_section::RawSealed;
use crate::domain::credentials::{Credentials, StoredCredentials};

/// Expired sessions stay this long so they can be shown as expired, then go at the next write.
const KEEP_EXPIRED: SignedDuration = SignedDuration::from_hours(24);
/// How old what `metadata` shows may be (a screen frame is 16 ms).
const DISPLAY_STALENESS: Duration = Duration::from_millis(20);

/// The metadata section of the file (parsed on every read) and the sealed secrets (a second
/// section, parsed only when a session is opened or the store is written): at 5,000 sessions
/// the secrets are most of the bytes, and `list` never needs them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Document {
    generation: u64,
    sessions: BTreeMap<String, SessionEntry>,
    /// Per `scope|device`: digests of codes sent recently.
    used_codes: BTreeMap<String, Vec<UsedCode>>,
    /// The secrets section as read, until something needs it parsed.
    #[serde(skip)]
    sealed_raw: Option<RawSealed>,
    /// The secrets, once parsed (always, while a document is being edited or written).
    #[serde(skip)]
    sealed: BTreeMap<String, Sealed>,
}

impl Document {
    pub fn with_sealed(mut self, raw: RawSealed) -> Self {
        self.sealed_raw = Some(raw);
        self
    }

    fn sealed_of(&self, entry_key: &str) -> Result<Option<&Sealed>, String> {
        match &self.sealed_raw {
            None => Ok(self.sealed.get(entry_key)),
            Some(raw) => raw.parsed().as_ref().map(|map| map.get(entry_key)).map_err(Clone::clone),
        }
    }

    /// Parses the secrets section for an edit; an error means the file is damaged.
    fn load_sealed(&mut self) -> Result<(), String> {
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
struct SessionEntry {
    scope: String,
    layer: String,
    expires_at: Option<Timestamp>,
    obtained_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct UsedCode {
    digest: String,
    at: Timestamp,
}

/// What is known about a cached session without opening it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionMeta {
    pub expires_at: Option<Timestamp>,
    pub obtained_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeMark {
    /// Recorded now: this process may send it.
    Fresh,
    /// Sent before (by any process) within the remembered window.
    AlreadyUsed,
}

enum Place {
    File(SessionFile),
    Memory,
}

pub struct SessionStore {
    key: StoreKey,
    place: Place,
    /// Opened without the store key (see `metadata_only`): sessions are neither opened nor
    /// written.
    metadata_only: bool,
    /// The last document read and the file stamp it was read at.
    snapshot: Mutex<(Stamp, Arc<Document>)>,
    /// When the file was last found unchanged; see `metadata`.
    checked_at: Mutex<Option<Instant>>,
    /// Sessions waiting to be written; see `put`.
    pending: Mutex<Vec<(String, SessionEntry, Sealed)>>,
    /// Held by the one thread writing the pending sessions.
    flushing: Mutex<()>,
    #[cfg(test)]
    pub(crate) reads: Mutex<Option<(String, tokio::sync::mpsc::UnboundedSender<()>)>>,
}

pub fn entry_key(scope: &str, layer: &str) -> String {
    format!("{scope}|{layer}")
}

impl SessionStore {
    pub fn in_memory() -> Self {
        Self::new(StoreKey::generate().0, Place::Memory)
    }

    pub fn in_file(dir: PathBuf, key: StoreKey) -> Result<Self, StoreError> {
        Ok(Self::new(key, Place::File(SessionFile::open(dir)?)))
    }

    /// The file's metadata (layers, expiry, when obtained) without its key: for `list`,
    /// which must not wait on a keyring round trip (or an unlock prompt) to show states.
    pub fn metadata_only(dir: PathBuf) -> Result<Self, StoreError> {
        let mut store = Self::new(StoreKey::generate().0, Place::File(SessionFile::open(dir)?));
        store.metadata_only = true;
        Ok(store)
    }

    fn new(key: StoreKey, place: Place) -> Self {
        Self {
            key,
            place,
            metadata_only: false,
            snapshot: Mutex::new((Stamp::of_generation(0), Arc::default())),
            checked_at: Mutex::default(),
            pending: Mutex::default(),
            flushing: Mutex::default(),
            #[cfg(test)]
            reads: Mutex::default(),
        }
    }

    /// The file, when sessions outlive this process.
    pub fn location(&self) -> Option<&Path> {
        match &self.place {
            Place::File(file) => Some(file.path()),
            Place::Memory => None,
        }
    }

    /// Changes whenever the stored sessions may have changed; one `stat`, no read.
    pub fn stamp(&self) -> Stamp {
        match &self.place {
            Place::File(file) => file.stamp(),
            Place::Memory => self.snapshot().0,
        }
    }

    fn snapshot(&self) -> MutexGuard<'_, (Stamp, Arc<Document>)> {
        self.snapshot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current document: the snapshot, re-read only when the file was replaced.
    fn current(&self) -> Arc<Document> {
        let Place::File(file) = &self.place else {
            return self.snapshot().1.clone();
        };
        let stamp = file.stamp();
        if self.snapshot().0 == stamp {
            *lock_ignoring_poison(&self.checked_at) = Some(Instant::now());
            return self.snapshot().1.clone();
        }
        let document = match file.read() {
            Ok(found) => Arc::new(found.unwrap_or_default()),
            Err(ReadError::Io(error)) => {
                tracing::warn!(%error, "session store");
                return Arc::default();
            }
            Err(ReadError::Corrupt(why)) if self.metadata_only => {
                tracing::warn!("session store damaged ({why}): the next command that uses a session sets it aside");
                return Arc::default();
            }
            Err(ReadError::Corrupt(_)) => {
                // Set aside under the lock, so a writer's fresh file is never the one moved.
                match self.update(|_| ()) {
                    Ok(()) => return self.snapshot().1.clone(),
                    Err(error) => {
                        tracing::warn!(%error, "session store");
                        return Arc::default();
                    }
                }
            }
        };
        *self.snapshot() = (stamp, document.clone());
        *lock_ignoring_poison(&self.checked_at) = Some(Instant::now());
        document
    }

    /// The current document for display: one `stat` per `DISPLAY_STALENESS` at most, so
    /// showing 5,000 rows costs one `stat`, not 5,000. Never used to decide on a renewal.
    fn current_for_display(&self) -> Arc<Document> {
        let recent = lock_ignoring_poison(&self.checked_at).is_some_and(|at| at.elapsed() < DISPLAY_STALENESS);
        if recent && matches!(self.place, Place::File(_)) {
            return self.snapshot().1.clone();
        }
        self.current()
    }

    #[cfg(test)]
    fn report_read(&self, entry_key: &str) {
        if let Some((watched, reads)) = self.reads.lock().unwrap_or_else(|p| p.into_inner()).as_ref()
            && watched == entry_key
        {
            let _ = reads.send(());
        }
    }

    /// Expiry and when obtained, for display: may be `DISPLAY_STALENESS` old.
    pub fn metadata(&self, entry_key: &str) -> Option<SessionMeta> {
        let document = self.current_for_display();
        let entry = document.sessions.get(entry_key)?;
        Some(SessionMeta { expires_at: entry.expires_at, obtained_at: entry.obtained_at })
    }

    /// The session, opened. A session that does not open (another store key) counts as absent.
    pub fn get(&self, entry_key: &str) -> Option<Credentials> {
        if self.metadata_only {
            return None;
        }
        let document = self.current();
        #[cfg(test)]
        self.report_read(entry_key);
        let entry = document.sessions.get(entry_key)?;
        let sealed = match document.sealed_of(entry_key) {
            Ok(Some(sealed)) => sealed,
            Ok(None) => return None,
            Err(_) => {
                // Set aside (under the lock) and start afresh; this session is obtained again.
                if let Err(error) = self.update(|_| ()) {
                    tracing::warn!(%error, "session store");
                }
                return None;
            }
        };
        let opened = match self.key.open(entry_key, sealed) {
            Ok(plain) => plain,
            Err(error) => {
                tracing::warn!(layer = entry.layer, %error, "ignoring a cached session");
                return None;
            }
        };
        match serde_json::from_slice::<StoredCredentials>(&opened) {
            Ok(stored) => Some(stored.into()),
            Err(_) => {
                tracing::warn!(layer = entry.layer, "ignoring an unreadable cached session");
                None
            }
        }
    }

    /// Stores one session. Puts from many threads at once (`refresh --all`, the screen) are
    /// written together: whoever gets to write takes every session waiting, so 5,000 renewals
    /// cost a handful of file writes, not 5,000.
    pub fn put(&self, scope: &str, layer: &str, credentials: &Credentials, now: Timestamp) -> Result<(), StoreError> {
        let entry = self.seal_entry(scope, layer, credentials, now)?;
        lock_ignoring_poison(&self.pending).push(entry);
        let _writer = lock_ignoring_poison(&self.flushing);
        let batch = std::mem::take(&mut *lock_ignoring_poison(&self.pending));
        if batch.is_empty() {
            // Another thread wrote ours along with its own.
            return Ok(());
        }
        self.update(|document| {
            let keep_after = now.checked_sub(KEEP_EXPIRED).unwrap_or(now);
            document.sessions.retain(|_, entry| entry.expires_at.is_none_or(|until| until > keep_after));
            document.insert(batch);
        })
    }

    fn seal_entry(
        &self,
        scope: &str,
        layer: &str,
        credentials: &Credentials,
        now: Timestamp,
    ) -> Result<(String, SessionEntry, Sealed), StoreError> {
        let key = entry_key(scope, layer);
        let plain = secrecy::zeroize::Zeroizing::new(
            serde_json::to_vec(&StoredCredentials::from(credentials)).map_err(|error| store_error(&error))?,
        );
        let sealed = self.key.seal(&key, &plain).map_err(|error| store_error(&error))?;
        let entry = SessionEntry {
            scope: scope.to_owned(),
            layer: layer.to_owned(),
            expires_at: credentials.expiration,
            obtained_at: now,
        };
        Ok((key, entry, sealed))
    }

    /// Stores many sessions in one write (filling a store, tests, benchmarks).
    pub fn put_many<'a>(
        &self,
        sessions: impl IntoIterator<Item = (&'a str, &'a str, &'a Credentials)>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut batch = Vec::new();
        for (scope, layer, credentials) in sessions {
            batch.push(self.seal_entry(scope, layer, credentials, now)?);
        }
        let _writer = lock_ignoring_poison(&self.flushing);
        self.update(|document| document.insert(batch))
    }

    pub fn remove(&self, scope: &str, layer: &str) -> Result<(), StoreError> {
        let key = entry_key(scope, layer);
        if !self.current().sessions.contains_key(&key) {
            return Ok(());
        }
        self.update(|document| {
            document.sessions.remove(&key);
            document.sealed.remove(&key);
        })
    }

    /// Checks and records a code in one step under the store lock: of two processes holding
    /// the same code, exactly one gets `Fresh`.
    pub fn mark_code_used(
        &self,
        device_key: &str,
        code: &str,
        now: Timestamp,
        remember_for: Duration,
    ) -> Result<CodeMark, StoreError> {
        let digest = self.key.digest(&[device_key, code]);
        self.update(|document| {
            let codes = document.used_codes.entry(device_key.to_owned()).or_default();
            codes.retain(|used| now.duration_since(used.at).unsigned_abs() < remember_for);
            if codes.iter().any(|used| used.digest == digest) {
                return CodeMark::AlreadyUsed;
            }
            codes.push(UsedCode { digest, at: now });
            CodeMark::Fresh
        })
    }

    /// Where a layer's cross-process renewal lock lives (`None` in memory: one process only).
    pub fn layer_lock_path(&self, scope: &str, layer: &str) -> Option<PathBuf> {
        match &self.place {
            Place::File(file) => Some(file.layer_lock_path(&entry_key(scope, layer))),
            Place::Memory => None,
        }
    }

    /// Read, edit and write back as one step: under the file lock for a file, under the
    /// snapshot mutex in memory.
    fn update<R>(&self, edit: impl FnOnce(&mut Document) -> R) -> Result<R, StoreError> {
        if self.metadata_only {
            return Err(StoreError {
                backend: "session store".into(),
                message: "opened to read states only; nothing is written".into(),
            });
        }
        let Place::File(file) = &self.place else {
            let mut snapshot = self.snapshot();
            let document = Arc::make_mut(&mut snapshot.1);
            let result = edit(document);
            let Document { sessions, sealed, .. } = document;
            sealed.retain(|key, _| sessions.contains_key(key));
            document.generation += 1;
            snapshot.0 = Stamp::of_generation(document.generation);
            return Ok(result);
        };
        let _held = file.lock()?;
        let stamp = file.stamp();
        let mut document = {
            let snapshot = self.snapshot();
            if snapshot.0 == stamp { Some(Document::clone(&snapshot.1)) } else { None }
        };
        if document.is_none() {
            document = match file.read() {
                Ok(found) => Some(found.unwrap_or_default()),
                Err(ReadError::Io(error)) => return Err(error),
                Err(ReadError::Corrupt(why)) => Some(self.set_aside(file, &why)?),
            };
        }
        let mut document = document.unwrap_or_default();
        if let Err(why) = document.load_sealed() {
            document = self.set_aside(file, &why)?;
        }
        let result = edit(&mut document);
        let sessions = &document.sessions;
        document.sealed.retain(|key, _| sessions.contains_key(key));
        document.generation += 1;
        file.write(&document)?;
        *self.snapshot() = (file.stamp(), Arc::new(document));
        *lock_ignoring_poison(&self.checked_at) = Some(Instant::now());
        Ok(result)
    }

    fn set_aside(&self, file: &SessionFile, why: &str) -> Result<Document, StoreError> {
        let aside = file.set_aside()?;
        tracing::warn!(
            "the session store {} was unreadable ({why}); moved it to {} and starting afresh: sessions will be obtained again",
            file.path().display(),
            aside.display()
        );
        Ok(Document::default())
    }

    /// How many sessions are stored (all scopes).
    pub fn len(&self) -> usize {
        self.current().sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Document {
    fn insert(&mut self, batch: Vec<(String, SessionEntry, Sealed)>) {
        for (key, entry, sealed) in batch {
            self.sessions.insert(key.clone(), entry);
            self.sealed.insert(key, sealed);
        }
    }
}

/// The read path of a session file's bytes: they are written as the store file of `dir`, which
/// is then read as any process reads it (header, checksums, metadata, the sealed section) and
/// every session opened with `key` (`None` for one that does not open). For the fuzz targets
/// (`src/fuzz_targets/`).
#[cfg(feature = "fuzzing")]
pub fn open_every_session(bytes: &[u8], dir: &Path, key: &StoreKey) -> Result<Vec<Option<Credentials>>, String> {
    let file = SessionFile::open(dir.to_owned()).map_err(|error| error.to_string())?;
    std::fs::write(file.path(), bytes).map_err(|error| error.to_string())?;
    let document = match file.read() {
        Ok(Some(document)) => document,
        Ok(None) => return Ok(Vec::new()),
        Err(ReadError::Corrupt(why)) => return Err(why),
        Err(ReadError::Io(error)) => return Err(error.to_string()),
    };
    let mut opened = Vec::with_capacity(document.sessions.len());
    for entry_key in document.sessions.keys() {
        let Some(sealed) = document.sealed_of(entry_key)? else {
            opened.push(None);
            continue;
        };
        let plain = key.open(entry_key, sealed).ok();
        opened.push(plain.and_then(|plain| serde_json::from_slice::<StoredCredentials>(&plain).ok()).map(Into::into));
    }
    Ok(opened)
}

/// The header line a session file of these two sections carries (for the fuzz targets).
#[cfg(feature = "fuzzing")]
pub fn session_file_header(metadata: &[u8], sealed: &[u8]) -> String {
    super::file::header(metadata, sealed)
}

fn lock_ignoring_poison<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn store_error(error: &dyn std::fmt::Display) -> StoreError {
    StoreError { backend: "session store".to_owned(), message: error.to_string() }
}

#[cfg(test)]
#[path = "sessions_tests.rs"]
mod tests;
