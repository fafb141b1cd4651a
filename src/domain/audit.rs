//! The audit trail of changes made through switchboard (sends, deletes, purges, redrives,
//! move-task cancels): one JSON line per change in `<state dir>/audit.jsonl`, mode 0600.
//! A line says when, through which role, in which account, region and queue, what, which
//! message ids and how many; never a body, an attribute value or a secret.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::inventory::RoleKey;

pub const AUDIT_FILE: &str = "audit.jsonl";
/// How much of the end of the file `recent` reads: enough for the entries a screen shows.
const TAIL_BYTES: u64 = 512 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("no state directory for the audit trail (set SWITCHBOARD_STATE_DIR)")]
    NoStateDir,
    #[error("the audit trail {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub time: Timestamp,
    /// ACCOUNT/ROLE of the inventory.
    pub role: String,
    /// The account's name in the inventory.
    pub account: String,
    /// The account id, from the queue's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    pub region: String,
    pub queue: String,
    /// send, delete, purge, redrive-start, redrive-progress, redrive-end, move-cancel.
    pub action: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub message_ids: Vec<String>,
    pub count: u64,
    pub ok: bool,
    /// The destination, the method, an error: never message content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl AuditEntry {
    pub fn new(role: &RoleKey, region: &str, queue_url: &str, action: &str) -> Self {
        let mut parts = queue_url.trim_end_matches('/').rsplit('/');
        let queue = parts.next().unwrap_or(queue_url).to_owned();
        let account_id = parts.next().filter(|id| id.chars().all(|c| c.is_ascii_digit())).map(str::to_owned);
        Self {
            time: Timestamp::now(),
            role: role.to_string(),
            account: role.account.to_string(),
            account_id,
            region: region.to_owned(),
            queue,
            action: action.to_owned(),
            message_ids: Vec::new(),
            count: 0,
            ok: true,
            detail: None,
        }
    }

    pub fn ids(mut self, ids: Vec<String>) -> Self {
        self.message_ids = ids;
        self
    }

    pub fn count(mut self, count: u64) -> Self {
        self.count = count;
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The outcome: an error marks the entry failed and says why.
    pub fn outcome<T, E: std::fmt::Display>(mut self, result: &Result<T, E>) -> Self {
        if let Err(error) = result {
            self.ok = false;
            self.detail = Some(match self.detail.take() {
                Some(detail) => format!("{detail}; {error}"),
                None => error.to_string(),
            });
        }
        self
    }
}

/// Where the trail is: a file, or nowhere (no state directory; appends then fail loudly).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditLog {
    path: Option<PathBuf>,
}

impl AuditLog {
    /// `audit.jsonl` in the state directory (`$SWITCHBOARD_STATE_DIR`, else XDG's).
    pub fn from_env() -> Self {
        Self { path: crate::domain::store::state_dir().map(|dir| dir.join(AUDIT_FILE)) }
    }

    pub fn at(path: PathBuf) -> Self {
        Self { path: Some(path) }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn file(&self) -> Result<&Path, AuditError> {
        self.path.as_deref().ok_or(AuditError::NoStateDir)
    }

    /// Appends one line (a single write on an O_APPEND file, so processes do not interleave).
    pub fn append(&self, entry: &AuditEntry) -> Result<(), AuditError> {
        let path = self.file()?;
        let io = |source| AuditError::Io { path: path.to_owned(), source };
        if let Some(dir) = path.parent() {
            create_private_dir(dir).map_err(io)?;
        }
        let mut line = serde_json::to_string(entry).map_err(|error| io(std::io::Error::other(error)))?;
        line.push('\n');
        let mut file = open_private(path).map_err(io)?;
        file.write_all(line.as_bytes()).map_err(io)
    }

    /// Appends, or says in the log why the trail misses this change.
    pub fn record(&self, entry: &AuditEntry) {
        if let Err(error) = self.append(entry) {
            tracing::warn!("{error}: {} {} not recorded", entry.action, entry.queue);
        }
    }

    /// The newest `limit` entries of `account`, oldest first.
    pub fn recent(&self, account: &str, limit: usize) -> Result<Vec<AuditEntry>, AuditError> {
        let path = self.file()?;
        let io = |source| AuditError::Io { path: path.to_owned(), source };
        let mut file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(io(error)),
        };
        let length = file.metadata().map_err(io)?.len();
        let start = length.saturating_sub(TAIL_BYTES);
        file.seek(SeekFrom::Start(start)).map_err(io)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let text = String::from_utf8_lossy(&bytes);
        // A read from the middle starts inside a line: that first piece is skipped.
        let lines = text.lines().skip(usize::from(start > 0));
        let mut entries: Vec<AuditEntry> = lines
            .filter_map(|line| serde_json::from_str::<AuditEntry>(line).ok())
            .filter(|entry| entry.account == account)
            .collect();
        let skip = entries.len().saturating_sub(limit);
        Ok(entries.split_off(skip))
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = std::fs::OpenOptions::new().append(true).create(true).mode(0o600).open(path)?;
    // A file made earlier by hand keeps its mode through `mode` above: narrow it.
    if file.metadata()?.permissions().mode() & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().append(true).create(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(account: &str) -> RoleKey {
        RoleKey { account: account.into(), role: "admin".into() }
    }

    #[test]
    fn entries_are_private_lines_read_back_per_account() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::at(dir.path().join("state").join(AUDIT_FILE));
        let url = "https://sqs.eu-west-1.amazonaws.com/111111111111/orders";
        for index in 0..3 {
            log.append(
                &AuditEntry::new(&role("prod"), "eu-west-1", url, "send").ids(vec![format!("m{index}")]).count(1),
            )
            .unwrap();
        }
        let failed: Result<(), String> = Err("access denied".into());
        log.append(&AuditEntry::new(&role("staging"), "eu-west-1", url, "purge").outcome(&failed)).unwrap();

        let recent = log.recent("prod", 2).unwrap();
        assert_eq!(recent.iter().map(|entry| entry.message_ids[0].as_str()).collect::<Vec<_>>(), ["m1", "m2"]);
        assert_eq!((recent[0].queue.as_str(), recent[0].account_id.as_deref()), ("orders", Some("111111111111")));
        let staging = log.recent("staging", 10).unwrap();
        assert_eq!((staging[0].ok, staging[0].detail.as_deref()), (false, Some("access denied")));
        let text = std::fs::read_to_string(log.path().unwrap()).unwrap();
        assert_eq!(text.lines().count(), 4);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(log.path().unwrap()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn without_a_state_dir_nothing_is_written_and_it_says_so() {
        let log = AuditLog { path: None };
        let entry = AuditEntry::new(&role("prod"), "eu-west-1", "q", "send");
        assert!(matches!(log.append(&entry), Err(AuditError::NoStateDir)));
    }
}
