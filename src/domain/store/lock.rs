//! Advisory file locks between switchboard processes (flock through `fs4`). The holder writes
//! its pid into the lock file, so a waiter that gives up can say who holds it. A lock is
//! released when its `LockFile` is dropped (or its process dies, even by kill -9).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::StoreError;

/// Between tries the wait grows to this, so 50 waiters do not spin on one file.
const MAX_PAUSE: Duration = Duration::from_millis(50);
const FIRST_PAUSE: Duration = Duration::from_millis(2);

#[derive(Debug)]
pub struct LockFile {
    _file: File,
}

/// One try: the lock, or `None` when another holder has it.
pub fn try_lock(path: &Path) -> Result<Option<LockFile>, StoreError> {
    let mut file = open(path)?;
    match fs4::fs_std::FileExt::try_lock_exclusive(&file) {
        Ok(true) => {}
        Ok(false) => return Ok(None),
        Err(error) => return Err(io_error(path, "cannot lock", &error)),
    }
    let pid = std::process::id().to_string();
    let written = file.set_len(0).and_then(|()| file.rewind()).and_then(|()| file.write_all(pid.as_bytes()));
    written.map_err(|error| io_error(path, "cannot write the pid into", &error))?;
    Ok(Some(LockFile { _file: file }))
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
