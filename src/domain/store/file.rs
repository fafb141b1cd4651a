//! The session store on disk: one file, `sessions`, in a private directory (0700, file 0600).
//! A header line carries a SHA-256 of the body, so a truncated or damaged file is recognised
//! as such instead of being half read. Writes go to a temporary file that is synced and then
//! renamed over the old one: a process killed mid-write leaves the previous file whole.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::StoreError;
use super::lock::{self, LockFile, io_error};
use super::sessions::Document;

const MAGIC: &str = "switchboard-sessions v1";
const FILE_NAME: &str = "sessions";
/// Every update holds the store lock only for a read, an edit and a write.
const STORE_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

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
    lock_path: PathBuf,
}

impl SessionFile {
    pub fn open(dir: PathBuf) -> Result<Self, StoreError> {
        fs::create_dir_all(dir.join("locks")).map_err(|error| io_error(&dir, "cannot create", &error))?;
        #[cfg(unix)]
        for private in [dir.clone(), dir.join("locks")] {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&private, fs::Permissions::from_mode(0o700))
                .map_err(|error| io_error(&private, "cannot make private", &error))?;
        }
        Ok(Self { path: dir.join(FILE_NAME), lock_path: dir.join(format!("{FILE_NAME}.lock")), dir })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn stamp(&self) -> Stamp {
        let Ok(metadata) = fs::metadata(&self.path) else {
            return Stamp::default();
        };
        let modified_nanos = metadata
            .modified()
            .ok()
            .and_then(|at| at.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|since| since.as_nanos() as i128)
            .unwrap_or_default();
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&metadata);
        #[cfg(not(unix))]
        let inode = 0;
        Stamp { len: metadata.len(), modified_nanos, inode, generation: 0 }
    }

    /// The document, `None` when there is no file yet.
    pub fn read(&self) -> Result<Option<Document>, ReadError> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(ReadError::Io(io_error(&self.path, "cannot read", &error))),
        };
        parse(&bytes).map(Some).map_err(ReadError::Corrupt)
    }

    pub fn write(&self, document: &Document) -> Result<(), StoreError> {
        let body = serde_json::to_vec(document).map_err(|error| StoreError {
            backend: "session store".into(),
            message: format!("cannot encode the session store: {error}"),
        })?;
        let temporary = self.dir.join(format!("{FILE_NAME}.tmp-{}", std::process::id()));
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options.open(&temporary).and_then(|mut file| {
            file.write_all(header(&body).as_bytes())?;
            file.write_all(&body)?;
            file.sync_all()
        });
        written.map_err(|error| io_error(&temporary, "cannot write", &error))?;
        fs::rename(&temporary, &self.path).map_err(|error| io_error(&self.path, "cannot replace", &error))?;
        // The rename itself must reach the disk too, or a crash could bring back the old file.
        if let Ok(dir) = File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// Moves an unreadable file out of the way (kept for a post-mortem, never read again).
    pub fn set_aside(&self) -> Result<PathBuf, StoreError> {
        let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string();
        let aside = self.dir.join(format!("{FILE_NAME}.corrupt-{stamp}-{}", std::process::id()));
        fs::rename(&self.path, &aside).map_err(|error| io_error(&self.path, "cannot move aside", &error))?;
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

fn header(body: &[u8]) -> String {
    let digest: String = Sha256::digest(body).iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{MAGIC} sha256={digest}\n")
}

fn parse(bytes: &[u8]) -> Result<Document, String> {
    let newline = bytes.iter().position(|&byte| byte == b'\n').ok_or("no header line")?;
    let (first, body) = (&bytes[..=newline], &bytes[newline + 1..]);
    if !first.starts_with(MAGIC.as_bytes()) {
        return Err("not a switchboard session store".to_owned());
    }
    if first != header(body).as_bytes() {
        return Err("its checksum does not match (truncated or damaged)".to_owned());
    }
    serde_json::from_slice(body).map_err(|error| format!("unreadable contents: {error}"))
}
