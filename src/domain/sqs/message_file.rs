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

/// Writes `messages` as JSON Lines to a new private file (or replaces one).
pub fn write_messages(path: &Path, messages: &[PeekedMessage]) -> Result<(), MessageFileError> {
    let io = |source| MessageFileError::Io { path: path.to_owned(), source };
    let mut text = String::new();
    for message in messages {
        let line = serde_json::to_string(&SavedMessage::from_message(message))
            .map_err(|error| io(std::io::Error::other(error)))?;
        text.push_str(&line);
        text.push('\n');
    }
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut file = private_file(path).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)
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

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(path)
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
