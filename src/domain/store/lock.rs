//! Advisory file locks between switchboard processes (flock through `fs4`). The holder writes
//! its pid into the lock file, so a waiter that gives up can say who holds it. A lock is
//! released when its `LockFile` is dropped (or its process dies, even by kill -9).
//!
//! A lock file deleted while held (a cleaner of the state directory, an `rm`) must not let a
//! second process in, who would create a new file and lock that one:
//! - on Linux the lock is also an abstract socket, bound under a name made of the lock file's
//!   place (its directory's device and inode, its name, the user) while the lock is held and
//!   gone with its process. No file deletion removes it, so a process arriving after the file
//!   was deleted still finds the lock held. Only this keeps a layer's STS call single when its
//!   lock file is deleted mid-call: the holder could notice the deletion, not undo the call
//!   another process then makes.
//! - where there is no such socket (another system, a sandbox without them), the file alone
//!   decides: after taking the flock, the path must still name the file locked (same device
//!   and inode), else it is locked again; and a holder asks again before and after committing
//!   (`LockFile::still_exclusive`), which the session store does around each write.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::StoreError;

/// Between tries the wait grows to this, so 50 waiters do not spin on one file.
const MAX_PAUSE: Duration = Duration::from_millis(50);
const FIRST_PAUSE: Duration = Duration::from_millis(2);
/// How often one try opens the path again when it found its file replaced.
const REOPENS: usize = 10;

#[derive(Debug)]
pub struct LockFile {
    file: File,
    path: PathBuf,
    /// The socket beside the file, where there is one.
    guard: Option<guard::Held>,
}

impl LockFile {
    /// Whether no other process can hold this lock now: the socket beside it is held, or (with
    /// the file alone) the path still names the file locked (same device and inode). False
    /// once the file was deleted or replaced, and another process may have locked a new one.
    pub fn still_exclusive(&self) -> bool {
        self.guard.is_some() || same_file(&self.file, &self.path)
    }
}

/// One try: the lock, or `None` when another holder has it.
pub fn try_lock(path: &Path) -> Result<Option<LockFile>, StoreError> {
    let guard = match guard::bind(path) {
        guard::Guard::Held(held) => Some(held),
        guard::Guard::Busy => return Ok(None),
        guard::Guard::Unavailable => None,
    };
    for _ in 0..REOPENS {
        let mut file = open(path)?;
        match fs4::fs_std::FileExt::try_lock_exclusive(&file) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(error) => return Err(io_error(path, "cannot lock", &error)),
        }
        if guard.is_none() && !same_file(&file, path) {
            // Deleted (or replaced) between our open and our lock: the lock is on a file
            // nobody else will open again. Open the path anew.
            tracing::debug!("lock file {} was replaced while it was being locked; locking again", path.display());
            continue;
        }
        let pid = std::process::id().to_string();
        let written = file.set_len(0).and_then(|()| file.rewind()).and_then(|()| file.write_all(pid.as_bytes()));
        written.map_err(|error| io_error(path, "cannot write the pid into", &error))?;
        return Ok(Some(LockFile { file, path: path.to_owned(), guard }));
    }
    Ok(None)
}

/// Whether `path` (not followed) names the same file as `file`.
fn same_file(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::symlink_metadata(path)) {
            (Ok(held), Ok(named)) => held.dev() == named.dev() && held.ino() == named.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

mod guard {
    //! The abstract socket beside a lock file (Linux): bound while the lock is held, gone with
    //! the process. Named by the lock file's directory (device and inode, so two spellings of
    //! one path agree), its name and the user.

    use std::path::Path;

    pub enum Guard {
        Held(Held),
        /// Another holder has it.
        Busy,
        /// No abstract socket here: the flock alone decides.
        Unavailable,
    }

    #[derive(Debug)]
    pub struct Held {
        #[cfg(target_os = "linux")]
        _listener: std::os::unix::net::UnixListener,
    }

    #[cfg(test)]
    thread_local! {
        /// Unit tests of the file-only path turn the socket off in their threads.
        pub static OFF: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    #[cfg(target_os = "linux")]
    pub fn bind(path: &Path) -> Guard {
        use std::os::linux::net::SocketAddrExt;
        use std::os::unix::fs::MetadataExt;
        use std::os::unix::net::{SocketAddr, UnixListener};

        use sha2::{Digest, Sha256};

        #[cfg(test)]
        if OFF.with(std::cell::Cell::get) {
            return Guard::Unavailable;
        }
        let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
        // No directory yet: opening the lock file will say so.
        let Ok(metadata) = std::fs::metadata(dir) else { return Guard::Unavailable };
        let mut digest = Sha256::new();
        digest.update(format!("{}:{}:", metadata.dev(), metadata.ino()));
        digest.update(path.file_name().map(|name| name.as_encoded_bytes()).unwrap_or_default());
        let hex: String = digest.finalize().iter().take(16).map(|byte| format!("{byte:02x}")).collect();
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() };
        let name = format!("switchboard-lock/{uid}/{hex}");
        let Ok(address) = SocketAddr::from_abstract_name(name.as_bytes()) else { return Guard::Unavailable };
        match UnixListener::bind_addr(&address) {
            Ok(listener) => Guard::Held(Held { _listener: listener }),
            Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => Guard::Busy,
            Err(error) => {
                tracing::debug!("no abstract socket beside the lock {}: {error}", path.display());
                Guard::Unavailable
            }
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub fn bind(_path: &Path) -> Guard {
        Guard::Unavailable
    }
}

/// Runs `body` with the file alone deciding (no socket beside the lock files), in this thread.
#[cfg(test)]
pub(crate) fn without_guard<R>(body: impl FnOnce() -> R) -> R {
    guard::OFF.with(|off| off.set(true));
    let result = body();
    guard::OFF.with(|off| off.set(false));
    result
}

/// Waits for the lock in this thread, at most `timeout`.
pub fn lock_blocking(path: &Path, timeout: Duration, what: &str) -> Result<LockFile, StoreError> {
    let started = Instant::now();
    let mut pause = FIRST_PAUSE;
    loop {
        if let Some(lock) = try_lock(path)? {
            return Ok(lock);
        }
        if started.elapsed() >= timeout {
            return Err(timed_out(path, timeout, what));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// Waits for the lock without holding up a tokio worker, at most `timeout`.
pub async fn lock_async(path: PathBuf, timeout: Duration, what: String) -> Result<LockFile, StoreError> {
    let started = Instant::now();
    let mut pause = FIRST_PAUSE;
    loop {
        if let Some(lock) = try_lock(&path)? {
            return Ok(lock);
        }
        if started.elapsed() >= timeout {
            return Err(timed_out(&path, timeout, &what));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

fn open(path: &Path) -> Result<File, StoreError> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A symlink planted where a lock file goes is refused, not followed: the pid would be
        // written into whatever it points at.
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path).map_err(|error| io_error(path, "cannot open", &error))
}

/// Who holds the lock, as its pid file says (best effort: it may have just been released).
pub fn holder(path: &Path) -> Option<u32> {
    let mut text = String::new();
    File::open(path).ok()?.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

fn timed_out(path: &Path, timeout: Duration, what: &str) -> StoreError {
    let holder = holder(path).map(|pid| format!("process {pid}")).unwrap_or_else(|| "another process".to_owned());
    StoreError {
        backend: "session store".to_owned(),
        message: format!(
            "{holder} held the lock on {what} for more than {}s ({}); try again, or end that process",
            timeout.as_secs(),
            path.display()
        ),
    }
}

pub fn io_error(path: &Path, doing: &str, error: &std::io::Error) -> StoreError {
    let remedy = match error.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            "; free some space there (or point SWITCHBOARD_STATE_DIR elsewhere) and try again"
        }
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
            "; make it writable for this user (or point SWITCHBOARD_STATE_DIR elsewhere) and try again"
        }
        _ => "",
    };
    StoreError { backend: "session store".to_owned(), message: format!("{doing} {}: {error}{remedy}", path.display()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_makes_a_waiter_give_up_naming_the_holder_pid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layer.lock");
        let held = try_lock(&path).unwrap().expect("free at first");
        assert_eq!(holder(&path), Some(std::process::id()));
        assert!(try_lock(&path).unwrap().is_none(), "flock conflicts between two opens, even in one process");
        let error = lock_blocking(&path, Duration::ZERO, "the test layer").unwrap_err();
        assert!(error.message.contains(&format!("process {}", std::process::id())), "{error}");
        assert!(error.message.contains("the test layer"), "{error}");
        drop(held);
        assert!(try_lock(&path).unwrap().is_some(), "released on drop");
    }

    #[cfg(unix)]
    #[test]
    fn with_the_file_alone_a_lock_whose_file_is_deleted_or_replaced_knows_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layer.lock");
        without_guard(|| {
            let held = try_lock(&path).unwrap().expect("free at first");
            assert!(held.still_exclusive());
            std::fs::remove_file(&path).unwrap();
            assert!(!held.still_exclusive(), "deleted");
            std::fs::write(&path, "").unwrap();
            assert!(!held.still_exclusive(), "replaced by another file");
        });
    }

    /// The file deleted while held: a process arriving afterwards creates a new file, which no
    /// flock holds; the abstract socket beside the lock still says it is held.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_lock_whose_file_is_deleted_is_still_held_against_newcomers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layer.lock");
        let held = try_lock(&path).unwrap().expect("free at first");
        std::fs::remove_file(&path).unwrap();
        assert!(try_lock(&path).unwrap().is_none(), "a newcomer took the lock whose file was deleted");
        drop(held);
        let again = try_lock(&path).unwrap().expect("released on drop");
        assert!(again.still_exclusive());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_planted_as_a_lock_file_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious.txt");
        std::fs::write(&target, "keep me").unwrap();
        let path = dir.path().join("layer.lock");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let error = try_lock(&path).unwrap_err();
        assert!(error.message.contains("cannot open"), "{error}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    }
}
