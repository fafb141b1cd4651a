//! The agent's socket: a private directory (0700, ours), the socket in it (0600), one agent
//! at a time (a lock held for the agent's life names its pid), a stale socket replaced.

use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tokio::net::UnixListener;

use crate::app::AppError;
use crate::domain::store::lock::{LockFile, try_lock};

/// The bound socket and the lock that makes it this agent's; dropping it removes the socket.
pub struct AgentSocket {
    pub listener: UnixListener,
    pub path: PathBuf,
    _lock: LockFile,
}

impl Drop for AgentSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn own_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Refuses a directory of another user; tightens ours to 0700.
fn private_dir(dir: &Path) -> Result<(), AppError> {
    let failed = |what: &str, error: std::io::Error| AppError::Failed(format!("{what} {}: {error}", dir.display()));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|error| failed("cannot create", error))?;
    let meta = std::fs::metadata(dir).map_err(|error| failed("cannot read", error))?;
    if meta.uid() != own_uid() {
        return Err(AppError::Failed(format!(
            "{} belongs to another user (uid {}); the agent's socket must be in a directory of yours",
            dir.display(),
            meta.uid()
        )));
    }
    if meta.mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|error| failed("cannot make private", error))?;
    }
    Ok(())
}

/// Binds the agent's socket at `path`, or says which agent already serves there.
pub fn bind(path: &Path) -> Result<AgentSocket, AppError> {
    let dir = path.parent().ok_or_else(|| AppError::Usage(format!("{} is not a socket path", path.display())))?;
    private_dir(dir)?;
    let lock_path = path.with_extension("lock");
    let lock = try_lock(&lock_path).map_err(|error| AppError::Failed(error.to_string()))?;
    let Some(lock) = lock else {
        let pid = std::fs::read_to_string(&lock_path).unwrap_or_default();
        return Err(AppError::Failed(format!(
            "another agent already serves on {} (pid {}); stop it first, or check it with `switchboard agent --status`",
            path.display(),
            pid.trim()
        )));
    };
    // We hold the lock, so whatever socket file is there belongs to an agent that died.
    if std::fs::symlink_metadata(path).is_ok() {
        tracing::info!("agent: replacing the stale socket {}", path.display());
        std::fs::remove_file(path)
            .map_err(|error| AppError::Failed(format!("cannot remove the stale {}: {error}", path.display())))?;
    }
    let listener = UnixListener::bind(path)
        .map_err(|error| AppError::Failed(format!("cannot listen on {}: {error}", path.display())))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|error| AppError::Failed(format!("cannot set the mode of {}: {error}", path.display())))?;
    Ok(AgentSocket { listener, path: path.to_path_buf(), _lock: lock })
}

/// Only processes of the agent's own user may ask it for sessions.
pub fn peer_allowed(peer_uid: u32) -> bool {
    peer_uid == own_uid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_of_another_uid_is_refused() {
        assert!(peer_allowed(own_uid()));
        assert!(!peer_allowed(own_uid().wrapping_add(1)));
    }

    #[tokio::test]
    async fn the_directory_is_0700_the_socket_0600_and_a_second_agent_is_refused() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("runtime/switchboard");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.join("agent.sock");
        let first = bind(&path).unwrap();
        assert_eq!(std::fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        let refused = bind(&path).err().unwrap().to_string();
        assert!(refused.contains(&format!("pid {}", std::process::id())), "{refused}");
        drop(first);
        assert!(!path.exists(), "the socket goes with its agent");
    }

    #[tokio::test]
    async fn a_stale_socket_file_is_replaced() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("switchboard/agent.sock");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        let socket = bind(&path).unwrap();
        assert!(std::os::unix::net::UnixStream::connect(&socket.path).is_ok());
    }
}
