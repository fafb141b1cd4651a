//! Messages to files and back: JSON Lines, one message a line, with its id, body, system
//! attributes and message attributes (binary ones as base64), so that `sqs send --from-file`
//! restores bodies, attributes and FIFO fields exactly. Files are written mode 0600: bodies
//! can hold customer data.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::{AttributeValue, MessageAttribute, PeekedMessage};

#[derive(Debug, thiserror::Error)]
pub enum MessageFileError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}, line {line}: {message}")]
    Invalid { path: PathBuf, line: usize, message: String },
    /// A file is there already, and replacing it was not asked for.
    #[error("{path} already exists")]
    Exists { path: PathBuf },
    #[error("{path} is a directory")]
    IsDirectory { path: PathBuf },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedAttribute {
    #[serde(rename = "type")]
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64: Option<String>,
}

/// One line of a messages file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedMessage {
    pub id: String,
    pub body: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, SavedAttribute>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub system: BTreeMap<String, String>,
}

impl SavedMessage {
    pub fn from_message(message: &PeekedMessage) -> Self {
        let attributes = message
            .attributes
            .iter()
            .map(|(name, attribute)| {
                let saved = match &attribute.value {
                    AttributeValue::Text(text) => SavedAttribute {
                        data_type: attribute.data_type.clone(),
                        string: Some(text.clone()),
                        base64: None,
                    },
                    AttributeValue::Binary(bytes) => SavedAttribute {
                        data_type: attribute.data_type.clone(),
                        string: None,
                        base64: Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
                    },
                };
                (name.clone(), saved)
            })
            .collect();
        Self { id: message.id.clone(), body: message.body.clone(), attributes, system: message.system.clone() }
    }

    /// The message as it was received (no receipt handle: it cannot be deleted from here).
    pub fn to_message(&self) -> Result<PeekedMessage, String> {
        let mut attributes = BTreeMap::new();
        for (name, saved) in &self.attributes {
            let value = match (&saved.string, &saved.base64) {
                (Some(text), None) => AttributeValue::Text(text.clone()),
                (None, Some(encoded)) => AttributeValue::Binary(
                    base64::engine::general_purpose::STANDARD
                        .decode(encoded)
                        .map_err(|error| format!("attribute {name}: not base64: {error}"))?,
                ),
                _ => return Err(format!("attribute {name}: needs exactly one of \"string\" and \"base64\"")),
            };
            attributes.insert(name.clone(), MessageAttribute { data_type: saved.data_type.clone(), value });
        }
        Ok(PeekedMessage {
            id: self.id.clone(),
            receipt_handle: String::new(),
            body: self.body.clone(),
            system: self.system.clone(),
            attributes,
        })
    }
}

/// Writes `messages` as JSON Lines to a new private file, or in place of an existing one.
pub fn write_messages(path: &Path, messages: &[PeekedMessage]) -> Result<(), MessageFileError> {
    MessagesOut::create(path, true)?.write(messages)
}

/// A messages file opened before there is anything to put in it, so that a place that cannot
/// be written is found before a message is received. A new file is created private (0600);
/// an existing one is refused unless `replace`, and then written anew beside it (0600 too)
/// and renamed over it once whole. A device or a pipe (`/dev/stdout`) is written as it is.
/// Dropped before `write` succeeded, it leaves nothing behind: no new file, no temporary one.
#[derive(Debug)]
pub struct MessagesOut {
    path: PathBuf,
    file: std::fs::File,
    pending: Pending,
}

#[derive(Debug)]
enum Pending {
    /// A file created here: removed unless written whole.
    New,
    /// A private file beside the one it replaces once written whole.
    Replacing {
        temporary: PathBuf,
    },
    /// Not a regular file: nothing to create or remove.
    Device,
    Written,
}

impl MessagesOut {
    pub fn create(path: &Path, replace: bool) -> Result<Self, MessageFileError> {
        let io = |source| MessageFileError::Io { path: path.to_owned(), source };
        let exists = || MessageFileError::Exists { path: path.to_owned() };
        let (file, pending) = match std::fs::metadata(path) {
            Ok(found) if found.is_dir() => return Err(MessageFileError::IsDirectory { path: path.to_owned() }),
            Ok(_) if !replace => return Err(exists()),
            Ok(found) if found.is_file() => {
                let temporary = temporary_beside(path);
                let file = private_file(&temporary).map_err(io)?;
                (file, Pending::Replacing { temporary })
            }
            Ok(_) => (std::fs::OpenOptions::new().write(true).open(path).map_err(io)?, Pending::Device),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                match private_file(path) {
                    Ok(file) => (file, Pending::New),
                    // Created meanwhile, or a link to nowhere.
                    Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => return Err(exists()),
                    Err(error) => return Err(io(error)),
                }
            }
            Err(error) => return Err(io(error)),
        };
        Ok(Self { path: path.to_owned(), file, pending })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The messages as JSON Lines, on disk (synced) before this returns; any failure (a full
    /// disk) is an error, and what was half written is removed.
    pub fn write(mut self, messages: &[PeekedMessage]) -> Result<(), MessageFileError> {
        let io = |source| MessageFileError::Io { path: self.path.clone(), source };
        let mut text = String::new();
        for message in messages {
            let line = serde_json::to_string(&SavedMessage::from_message(message))
                .map_err(|error| io(std::io::Error::other(error)))?;
            text.push_str(&line);
            text.push('\n');
        }
        self.file.write_all(text.as_bytes()).and_then(|()| self.file.flush()).map_err(io)?;
        match &self.pending {
            Pending::New => self.file.sync_all().map_err(io)?,
            Pending::Replacing { temporary } => {
                self.file.sync_all().map_err(io)?;
                std::fs::rename(temporary, &self.path).map_err(io)?;
            }
            Pending::Device | Pending::Written => {}
        }
        self.pending = Pending::Written;
        Ok(())
    }
}

impl Drop for MessagesOut {
    fn drop(&mut self) {
        let unfinished = match &self.pending {
            Pending::New => Some(self.path.as_path()),
            Pending::Replacing { temporary } => Some(temporary.as_path()),
            Pending::Device | Pending::Written => None,
        };
        if let Some(unfinished) = unfinished {
            let _ = std::fs::remove_file(unfinished);
        }
    }
}

/// `.NAME.PID.tmp` in the same directory, so the rename over `path` stays on one file system.
fn temporary_beside(path: &Path) -> PathBuf {
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// JSON Lines of `messages`, for standard output.
pub fn to_lines(messages: &[PeekedMessage]) -> String {
    messages
        .iter()
        .filter_map(|message| serde_json::to_string(&SavedMessage::from_message(message)).ok())
        .map(|line| line + "\n")
        .collect()
}

/// Reads a messages file; blank lines are skipped, a bad line is an error that names it.
pub fn read_messages(path: &Path) -> Result<Vec<PeekedMessage>, MessageFileError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| MessageFileError::Io { path: path.to_owned(), source })?;
    let invalid = |line: usize, message: String| MessageFileError::Invalid { path: path.to_owned(), line, message };
    let mut messages = Vec::new();
    for (index, line) in text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
        let saved: SavedMessage = serde_json::from_str(line).map_err(|error| invalid(index + 1, error.to_string()))?;
        messages.push(saved.to_message().map_err(|message| invalid(index + 1, message))?);
    }
    Ok(messages)
}

/// A new file only this user can read (0600); an existing one is an error.
#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).create_new(true).open(path)
}

/// Where the panel saves peeked messages: `<dir>/<account>-<queue>-<time>.jsonl`, `dir`
/// being `<state dir>/messages` unless given.
pub fn saved_messages_path(dir: Option<&Path>, account: &str, queue: &str, at: jiff::Timestamp) -> Option<PathBuf> {
    let stamp = at.strftime("%Y%m%dT%H%M%SZ").to_string();
    let safe = |text: &str| -> String {
        text.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect()
    };
    let dir = match dir {
        Some(dir) => dir.to_owned(),
        None => crate::domain::store::state_dir()?.join("messages"),
    };
    Some(dir.join(format!("{}-{}-{stamp}.jsonl", safe(account), safe(queue))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_goes_to_a_line_and_back_unchanged() {
        let message = PeekedMessage {
            id: "id-1".into(),
            receipt_handle: String::new(),
            body: "{\"a\":1}\nsecond line ✓".into(),
            system: [("MessageGroupId".to_owned(), "g1".to_owned())].into(),
            attributes: [
                ("blob".to_owned(), MessageAttribute::binary("Binary.gz", vec![0, 159, 255])),
                ("n".to_owned(), MessageAttribute::text("Number.int", "42")),
            ]
            .into(),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out").join("m.jsonl");
        write_messages(&path, std::slice::from_ref(&message)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(text.contains(r#""blob":{"type":"Binary.gz","base64":"AJ//"}"#), "{text}");
        assert_eq!(read_messages(&path).unwrap(), [message]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn an_existing_file_is_refused_unless_replaced_and_a_replaced_one_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.jsonl");
        std::fs::write(&path, "notes\n").unwrap();
        #[cfg(unix)]
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
        let refused = MessagesOut::create(&path, false).unwrap_err();
        assert!(matches!(refused, MessageFileError::Exists { .. }), "{refused}");
        let directory = MessagesOut::create(dir.path(), true).unwrap_err();
        assert!(matches!(directory, MessageFileError::IsDirectory { .. }), "{directory}");

        // Dropped unwritten: the old file stays as it was, and no temporary file is left.
        drop(MessagesOut::create(&path, true).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "notes\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        let message = PeekedMessage {
            id: "1".into(),
            receipt_handle: String::new(),
            body: "b".into(),
            system: BTreeMap::new(),
            attributes: BTreeMap::new(),
        };
        MessagesOut::create(&path, true).unwrap().write(std::slice::from_ref(&message)).unwrap();
        assert_eq!(read_messages(&path).unwrap().len(), 1);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "the temporary file was renamed");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }

        let new = dir.path().join("new.jsonl");
        drop(MessagesOut::create(&new, false).unwrap());
        assert!(!new.exists(), "a new file never written is removed");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_is_an_error() {
        let message = PeekedMessage {
            id: "1".into(),
            receipt_handle: String::new(),
            body: "b".into(),
            system: BTreeMap::new(),
            attributes: BTreeMap::new(),
        };
        let full = MessagesOut::create(Path::new("/dev/full"), true).unwrap();
        let error = full.write(std::slice::from_ref(&message)).unwrap_err().to_string();
        assert!(error.contains("No space left on device"), "{error}");
    }

    #[test]
    fn a_bad_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.jsonl");
        let good = r#"{"id":"1","body":"b"}"#;
        let bad = r#"{"id":"2","body":"b","attributes":{"x":{"type":"Binary","base64":"%%%"}}}"#;
        std::fs::write(&path, format!("{good}\n\n{bad}\n")).unwrap();
        let error = read_messages(&path).unwrap_err().to_string();
        assert!(error.contains("line 3: attribute x: not base64"), "{error}");
    }
}
