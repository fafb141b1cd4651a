//! The session store on disk: one file, `sessions.v3`, in a private directory (0700, file 0600).
//! A header line carries a SHA-256 of the body, so a truncated or damaged file is recognised
//! as such instead of being half read. Writes go to a temporary file that is synced and then
//! renamed over the old one: a process killed mid-write leaves the previous file whole.
//!
//! The v2 file (`sessions`, the layout before) is read while there is no v3 file, and never
//! written or removed: a switchboard from before v3 still running keeps its own file instead
//! of setting aside one it cannot read.

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::StoreError;
use super::document::Document;
use super::layout::{self, Version};
use super::lock::{self, LockFile, io_error};
use super::sealed_section::RawSealed;

pub const FILE_NAME: &str = "sessions.v3";
/// The v2 layout's file, read until the first write of a v3 one.
const V2_FILE_NAME: &str = "sessions";
/// The lock keeps its v2 name: processes of both versions take the same one.
const LOCK_NAME: &str = "sessions.lock";
/// Every update holds the store lock only for a read, an edit and a write.
const STORE_LOCK_TIMEOUT: Duration = Duration::from_secs(10);
/// The header line is about 200 bytes; anything longer is not a store's header.
const MAX_HEADER: u64 = 4096;

/// Enough of a file's metadata to tell that it was replaced, without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamp {
    len: u64,
    modified_nanos: i128,
    inode: u64,
    generation: u64,
}

impl Stamp {
    pub fn of_generation(generation: u64) -> Self {
        Self { generation, ..Self::default() }
    }
}

#[derive(Debug)]
pub enum ReadError {
    Corrupt(String),
    Io(StoreError),
}

pub struct SessionFile {
    dir: PathBuf,
    path: PathBuf,
    v2_path: PathBuf,
    lock_path: PathBuf,
    /// `sessions.v3.tmp-<pid>`, with `.<n>` for the second store a process writes and on
    /// (tests, where many stores share a process).
    temporary: PathBuf,
}

/// Stores this process opened for writing so far: each writes its own temporary file.
static WRITERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl SessionFile {
    /// The store file of `dir`, which is made (0700) when missing. A directory that exists
    /// keeps its mode: `SWITCHBOARD_STATE_DIR` may name one of the operator's, and one open to
    /// others is only warned about. Nothing here needs `dir` to be writable (see `writable`).
    pub fn open(dir: PathBuf) -> Result<Self, StoreError> {
        create_private_dir(&dir)?;
        warn_if_open_to_others(&dir);
        Ok(Self {
            path: dir.join(FILE_NAME),
            v2_path: dir.join(V2_FILE_NAME),
            lock_path: dir.join(LOCK_NAME),
            temporary: dir.join(format!("{FILE_NAME}.tmp-{}", std::process::id())),
            dir,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this process may write here (the lock files and the store); the lock
    /// directory is made (0700) when missing. A read-only directory is no reason not to read.
    pub fn writable(&mut self) -> Result<(), StoreError> {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let path = std::ffi::CString::new(self.dir.as_os_str().as_bytes()).unwrap_or_default();
            // SAFETY: a NUL-terminated path; access reads it and changes nothing.
            if unsafe { libc::access(path.as_ptr(), libc::W_OK) } != 0 {
                return Err(io_error(&self.dir, "cannot write in", &std::io::Error::last_os_error()));
            }
        }
        create_private_dir(&self.dir.join("locks"))?;
        let writers = WRITERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if writers > 0 {
            self.temporary = self.dir.join(format!("{FILE_NAME}.tmp-{}.{writers}", std::process::id()));
        }
        Ok(())
    }

    pub fn lock_path(&self) -> &Path {
        &self.lock_path
    }

    /// The file read: the v3 one, or the v2 one while there is no v3 file yet.
    fn readable_path(&self) -> &Path {
        if self.v2_path.exists() && !self.path.exists() { &self.v2_path } else { &self.path }
    }

    pub fn stamp(&self) -> Stamp {
        let metadata = match fs::metadata(&self.path) {
            Ok(metadata) => metadata,
            Err(_) => match fs::metadata(&self.v2_path) {
                // Never equal to a v3 file's stamp: the first v3 write is seen as a change.
                Ok(metadata) => return Stamp { generation: 2, ..Self::stamp_of(&metadata) },
                Err(_) => return Stamp::default(),
            },
        };
        Self::stamp_of(&metadata)
    }

    fn stamp_of(metadata: &fs::Metadata) -> Stamp {
        let modified_nanos = metadata
            .modified()
            .ok()
            .and_then(|at| at.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|since| since.as_nanos() as i128)
            .unwrap_or_default();
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(metadata);
        #[cfg(not(unix))]
        let inode = 0;
        Stamp { len: metadata.len(), modified_nanos, inode, generation: 0 }
    }

    /// The document, `None` when there is no file yet. Only the header and the metadata
    /// section are read; the sealed section stays in the file until a session is opened.
    pub fn read(&self) -> Result<Option<Document>, ReadError> {
        let path = self.readable_path();
        let file = match File::open(path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(ReadError::Io(io_error(path, "cannot read", &error))),
        };
        let io = |error: std::io::Error| ReadError::Io(io_error(path, "cannot read", &error));
        let file_len = file.metadata().map_err(io)?.len();
        let mut reader = std::io::BufReader::with_capacity(64 * 1024, &file);
        let mut first = Vec::new();
        // The header is one short line; a longer "first line" is not a session store.
        std::io::BufRead::read_until(&mut (&mut reader).take(MAX_HEADER), b'\n', &mut first).map_err(io)?;
        let header = Header::parse(&first).map_err(ReadError::Corrupt)?;
        let body_start = first.len() as u64;
        if body_start + header.metadata_len > file_len {
            return Err(ReadError::Corrupt("it is shorter than its header says (truncated)".to_owned()));
        }
        let mut metadata = vec![0; usize::try_from(header.metadata_len).unwrap_or(usize::MAX)];
        reader.read_exact(&mut metadata).map_err(io)?;
        drop(reader);
        let sealed_start = body_start + header.metadata_len;
        let document = header.metadata(&metadata).map_err(ReadError::Corrupt)?;
        let sealed = RawSealed::in_file(Arc::new(file), sealed_start, file_len - sealed_start, header.sealed_sum);
        Ok(Some(document.with_sealed(sealed)))
    }

    /// Writes `document` in place of the file, under `lock`: the stamp of the file written,
    /// or `None` when the lock's file was deleted or replaced before the new file went in
    /// (another process may hold the new lock and be writing), and nothing was changed. A
    /// temporary file left by a failure is removed; one planted as a symlink is refused, never
    /// followed.
    pub fn write(&self, document: &Document, lock: &LockFile) -> Result<Option<Stamp>, StoreError> {
        let encode_error = |error: String| StoreError {
            backend: "session store".into(),
            message: format!("cannot encode the session store: {error}"),
        };
        let metadata = layout::encode(document).map_err(encode_error)?;
        let sealed = serde_json::to_vec(document.sealed_section()).map_err(|error| encode_error(error.to_string()))?;
        let temporary = &self.temporary;
        let mut file = create_temporary(temporary)?;
        let written = file
            .write_all(header(&metadata, &sealed).as_bytes())
            .and_then(|()| file.write_all(&metadata))
            .and_then(|()| file.write_all(&sealed))
            .and_then(|()| file.sync_all())
            // Of this very file: whatever the path names a moment after the rename may be
            // another process's already, if the lock file was deleted.
            .and_then(|()| file.metadata());
        drop(file);
        let stamp = match written {
            Ok(metadata) => Self::stamp_of(&metadata),
            Err(error) => {
                let _ = fs::remove_file(temporary);
                return Err(io_error(temporary, "cannot write", &error));
            }
        };
        if !lock.still_exclusive() {
            let _ = fs::remove_file(temporary);
            return Ok(None);
        }
        if let Err(error) = fs::rename(temporary, &self.path) {
            let _ = fs::remove_file(temporary);
            return Err(io_error(&self.path, "cannot replace", &error));
        }
        // The rename itself must reach the disk too, or a crash could bring back the old file.
        if let Ok(dir) = File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(Some(stamp))
    }

    /// Moves an unreadable file out of the way (kept for a post-mortem, never read again).
    pub fn set_aside(&self) -> Result<PathBuf, StoreError> {
        let path = self.readable_path().to_owned();
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or(FILE_NAME);
        let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string();
        let aside = self.dir.join(format!("{name}.corrupt-{stamp}-{}", std::process::id()));
        fs::rename(&path, &aside).map_err(|error| io_error(&path, "cannot move aside", &error))?;
        Ok(aside)
    }

    pub fn lock(&self) -> Result<LockFile, StoreError> {
        lock::lock_blocking(&self.lock_path, STORE_LOCK_TIMEOUT, "the session store")
    }

    /// The lock file one layer's renewal holds, named by a digest of its key.
    pub fn layer_lock_path(&self, entry_key: &str) -> PathBuf {
        let digest = Sha256::digest(entry_key.as_bytes());
        let name: String = digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect();
        self.dir.join("locks").join(format!("{name}.lock"))
    }
}

/// Makes `dir` (and its missing parents) 0700; an existing one is left as it is.
pub(super) fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|error| io_error(dir, "cannot create", &error))
}

/// One line, once per process, when the state directory is open to the group or others.
fn warn_if_open_to_others(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        let Ok(metadata) = fs::metadata(dir) else { return };
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 && !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
            tracing::warn!(
                "the state directory {} is open to other users (mode {mode:o}): the session file is sealed and 0600, but make the directory private (chmod 700 {})",
                dir.display(),
                dir.display()
            );
        }
    }
}

/// A new file, 0600, never through a symlink: a leftover of a process that had this pid and
/// died mid-write is replaced; a symlink planted under the name is refused.
fn create_temporary(path: &Path) -> Result<File, StoreError> {
    let create = || {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        options.open(path)
    };
    match create() {
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            let found = fs::symlink_metadata(path).map_err(|error| io_error(path, "cannot write", &error))?;
            if found.file_type().is_symlink() {
                return Err(StoreError {
                    backend: "session store".into(),
                    message: format!(
                        "{} is a symbolic link, not a file of switchboard's: remove it (it is not followed)",
                        path.display()
                    ),
                });
            }
            fs::remove_file(path).map_err(|error| io_error(path, "cannot replace", &error))?;
            create().map_err(|error| io_error(path, "cannot write", &error))
        }
        created => created.map_err(|error| io_error(path, "cannot write", &error)),
    }
}

pub fn checksum(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `MAGIC meta=LEN meta_sha256=HEX sealed_sha256=HEX`: the metadata section's length and both
/// sections' checksums.
pub(super) fn header(metadata: &[u8], sealed: &[u8]) -> String {
    header_of(Version::WRITTEN, metadata, sealed)
}

pub(super) fn header_of(version: Version, metadata: &[u8], sealed: &[u8]) -> String {
    let magic = version.magic();
    format!("{magic} meta={} meta_sha256={} sealed_sha256={}\n", metadata.len(), checksum(metadata), checksum(sealed))
}

/// The first line: `MAGIC meta=LEN meta_sha256=HEX sealed_sha256=HEX`.
struct Header {
    version: Version,
    metadata_len: u64,
    metadata_sum: String,
    sealed_sum: String,
}

impl Header {
    /// `first`: the first line with its newline (a file without one is not a store).
    fn parse(first: &[u8]) -> Result<Self, String> {
        let line = first.strip_suffix(b"\n").ok_or("no header line")?;
        let line = std::str::from_utf8(line).map_err(|_| "not a switchboard session store")?;
        let (version, fields) = Version::of_header(line).ok_or("not a switchboard session store")?;
        let field = |name: &str| {
            fields.split_whitespace().find_map(|field| field.strip_prefix(name)?.strip_prefix('=')).map(str::to_owned)
        };
        let (Some(length), Some(metadata_sum), Some(sealed_sum)) =
            (field("meta"), field("meta_sha256"), field("sealed_sha256"))
        else {
            return Err("its header is incomplete".to_owned());
        };
        let metadata_len = length.parse().map_err(|_| "its header is unreadable")?;
        Ok(Self { version, metadata_len, metadata_sum, sealed_sum })
    }

    fn metadata(&self, metadata: &[u8]) -> Result<Document, String> {
        if checksum(metadata) != self.metadata_sum {
            return Err("its checksum does not match (truncated or damaged)".to_owned());
        }
        layout::decode(self.version, metadata).map_err(|error| format!("unreadable contents: {error}"))
    }
}
