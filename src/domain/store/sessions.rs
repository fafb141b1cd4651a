//! Sessions at rest: per layer, plain metadata (scope, layer, expiry, when obtained) beside
//! the sealed secret, so `list` and countdowns never decrypt. Used MFA codes sit in the same
//! document as keyed digests. In a file (shared by every process, updated under a lock) or,
//! when no keyring holds a key, in this process's memory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};

use super::StoreError;
use super::document::{Document, PendingSession, UsedCode};
pub use super::document::{SessionMeta, entry_key};
use super::file::{ReadError, SessionFile, Stamp};
use super::sealed::StoreKey;
use crate::domain::credentials::{Credentials, StoredCredentials};

/// Expired sessions stay this long so they can be shown as expired, then go at the next write.
const KEEP_EXPIRED: SignedDuration = SignedDuration::from_hours(24);
/// How old what `metadata` shows may be (a screen frame is 16 ms).
const DISPLAY_STALENESS: Duration = Duration::from_millis(20);
/// How long an update keeps starting again because its lock file was deleted while held.
const LOCK_REPLACED_FOR: Duration = Duration::from_secs(10);

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

/// What `SessionStore::open_file` found.
pub enum Opened {
    Shared(SessionStore),
    /// A copy of the file in memory, and why the file cannot be written.
    ReadOnly {
        sessions: SessionStore,
        why: StoreError,
    },
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
    pending: Mutex<Vec<PendingSession>>,
    /// Held by the one thread writing the pending sessions.
    flushing: Mutex<()>,
    #[cfg(test)]
    pub(crate) reads: Mutex<Option<(String, tokio::sync::mpsc::UnboundedSender<()>)>>,
}

impl SessionStore {
    pub fn in_memory() -> Self {
        Self::new(StoreKey::generate().0, Place::Memory)
    }

    /// The store of `dir`, which must be writable (tests, benchmarks; see `open_file`).
    pub fn in_file(dir: PathBuf, key: StoreKey) -> Result<Self, StoreError> {
        let mut file = SessionFile::open(dir)?;
        file.writable()?;
        Ok(Self::new(key, Place::File(file)))
    }

    /// The store of `dir`, shared with every process; where this process cannot write (a
    /// read-only directory), a copy in memory of what is stored there: stored sessions are
    /// still used (an MFA role is not asked for a code again), new ones end with the process.
    pub fn open_file(dir: PathBuf, key: StoreKey) -> Result<Opened, StoreError> {
        let mut file = SessionFile::open(dir)?;
        let Err(why) = file.writable() else {
            return Ok(Opened::Shared(Self::new(key, Place::File(file))));
        };
        let mut document = match file.read() {
            Ok(found) => found.unwrap_or_default(),
            Err(ReadError::Io(error)) => return Err(error),
            Err(ReadError::Corrupt(damage)) => {
                tracing::warn!("the session store {} is unreadable ({damage}); not using it", file.path().display());
                Document::default()
            }
        };
        if document.load_sealed().is_err() {
            document = Document::default();
        }
        let sessions = Self::new(key, Place::Memory);
        *sessions.snapshot() = (Stamp::of_generation(document.generation), Arc::new(document));
        Ok(Opened::ReadOnly { sessions, why })
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
    pub fn metadata(&self, scope: &str, layer: &str) -> Option<SessionMeta> {
        self.current_for_display().meta(scope, layer)
    }

    /// The session, opened. A session that does not open (another store key) counts as absent.
    pub fn get(&self, scope: &str, layer: &str) -> Option<Credentials> {
        self.get_with_meta(scope, layer).map(|(credentials, _)| credentials)
    }

    /// The session, opened, with its metadata from the same read: what a renewal is judged
    /// by (unlike `metadata`, never stale).
    pub fn get_with_meta(&self, scope: &str, layer: &str) -> Option<(Credentials, SessionMeta)> {
        if self.metadata_only {
            return None;
        }
        let document = self.current();
        let entry_key = &entry_key(scope, layer);
        #[cfg(test)]
        self.report_read(entry_key);
        let meta = document.meta(scope, layer)?;
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
                tracing::warn!(layer, %error, "ignoring a cached session");
                return None;
            }
        };
        match serde_json::from_slice::<StoredCredentials>(&opened) {
            Ok(stored) => Some((stored.into(), meta)),
            Err(_) => {
                tracing::warn!(layer, "ignoring an unreadable cached session");
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
            for layers in document.sessions.values_mut() {
                layers.retain(|_, meta| meta.expires_at.is_none_or(|until| until > keep_after));
            }
            document.insert(&batch);
        })
    }

    fn seal_entry(
        &self,
        scope: &str,
        layer: &str,
        credentials: &Credentials,
        now: Timestamp,
    ) -> Result<PendingSession, StoreError> {
        let plain = secrecy::zeroize::Zeroizing::new(
            serde_json::to_vec(&StoredCredentials::from(credentials)).map_err(|error| store_error(&error))?,
        );
        let sealed = self.key.seal(&entry_key(scope, layer), &plain).map_err(|error| store_error(&error))?;
        Ok(PendingSession {
            scope: scope.to_owned(),
            layer: layer.to_owned(),
            meta: SessionMeta { expires_at: credentials.expiration, obtained_at: now },
            sealed,
        })
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
        self.update(|document| document.insert(&batch))
    }

    pub fn remove(&self, scope: &str, layer: &str) -> Result<(), StoreError> {
        if !self.current().contains(scope, layer) {
            return Ok(());
        }
        self.update(|document| {
            if let Some(layers) = document.sessions.get_mut(scope) {
                layers.remove(layer);
            }
            document.sealed.remove(&entry_key(scope, layer));
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
            codes.push(UsedCode { digest: digest.clone(), at: now });
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
    /// snapshot mutex in memory. The lock file may be deleted while held (a cleaner of the
    /// state directory): then another process can lock a new one and read the store at the
    /// same time. So the lock is checked before the new file goes in (still ours: write;
    /// replaced: nothing written, lock and edit again) and after (replaced meanwhile: the
    /// other process may have read the store before our write and overwrite it, so the edit
    /// is made again once we hold the new lock). `edit` may run more than once; the result of
    /// the first edit written is returned.
    fn update<R>(&self, mut edit: impl FnMut(&mut Document) -> R) -> Result<R, StoreError> {
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
            document.drop_orphans();
            document.generation += 1;
            snapshot.0 = Stamp::of_generation(document.generation);
            return Ok(result);
        };
        let (mut written, started, mut replaced) = (None, Instant::now(), 0);
        while replaced == 0 || started.elapsed() < LOCK_REPLACED_FOR {
            let held = file.lock()?;
            let mut document = self.document_under_lock(file)?;
            let result = edit(&mut document);
            document.drop_orphans();
            document.generation += 1;
            let Some(stamp) = file.write(&document, &held)? else {
                replaced += 1;
                tracing::debug!("the session store's lock file was replaced while held; locking again");
                continue;
            };
            *self.snapshot() = (stamp, Arc::new(document));
            *lock_ignoring_poison(&self.checked_at) = Some(Instant::now());
            let first = written.take().unwrap_or(result);
            if held.still_exclusive() {
                return Ok(first);
            }
            written = Some(first);
            replaced += 1;
            tracing::debug!(
                "the session store's lock file was replaced while writing; writing again under the new lock"
            );
        }
        Err(lock_lost(file, replaced))
    }

    /// The document to edit, read under the store lock (the snapshot when the file is
    /// unchanged); an unreadable file is set aside.
    fn document_under_lock(&self, file: &SessionFile) -> Result<Document, StoreError> {
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
        Ok(document)
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
        self.current().sessions.values().map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
    let mut opened = Vec::new();
    for (scope, layer) in document.session_keys() {
        let entry_key = &entry_key(scope, layer);
        let Some(sealed) = document.sealed_of(entry_key)? else {
            opened.push(None);
            continue;
        };
        let plain = key.open(entry_key, sealed).ok();
        opened.push(plain.and_then(|plain| serde_json::from_slice::<StoredCredentials>(&plain).ok()).map(Into::into));
    }
    Ok(opened)
}

/// The header line a session file of these two sections carries, in layout v2 or v3 (for the
/// fuzz targets).
#[cfg(feature = "fuzzing")]
pub fn session_file_header(v2: bool, metadata: &[u8], sealed: &[u8]) -> String {
    let version = if v2 { super::layout::Version::V2 } else { super::layout::Version::V3 };
    super::file::header_of(version, metadata, sealed)
}

fn lock_ignoring_poison<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn lock_lost(file: &SessionFile, times: usize) -> StoreError {
    StoreError {
        backend: "session store".to_owned(),
        message: format!(
            "its lock file {} was deleted {times} times while held within {}s; stop whatever deletes files in that directory, then try again",
            file.lock_path().display(),
            LOCK_REPLACED_FOR.as_secs()
        ),
    }
}

fn store_error(error: &dyn std::fmt::Display) -> StoreError {
    StoreError { backend: "session store".to_owned(), message: error.to_string() }
}

#[cfg(test)]
#[path = "sessions_tests.rs"]
mod tests;
