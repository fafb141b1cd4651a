//! A message as SQS holds it: body, system attributes and message attributes, where an
//! attribute keeps its exact data type ("String", "Number", "Binary", or one of them with a
//! custom suffix such as "Number.float") and its value as text or bytes, so a copy sends
//! back exactly what was received.

use std::collections::BTreeMap;

use base64::Engine as _;
use jiff::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeValue {
    Text(String),
    Binary(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageAttribute {
    pub data_type: String,
    pub value: AttributeValue,
}

/// Bytes of a binary attribute shown in its preview.
const PREVIEW_BYTES: usize = 16;

impl MessageAttribute {
    pub fn text(data_type: &str, value: &str) -> Self {
        Self { data_type: data_type.to_owned(), value: AttributeValue::Text(value.to_owned()) }
    }

    pub fn binary(data_type: &str, bytes: Vec<u8>) -> Self {
        Self { data_type: data_type.to_owned(), value: AttributeValue::Binary(bytes) }
    }

    pub fn as_text(&self) -> Option<&str> {
        match &self.value {
            AttributeValue::Text(text) => Some(text),
            AttributeValue::Binary(_) => None,
        }
    }

    /// The value for a screen: text as it is; bytes as their size and a hex and base64 preview.
    pub fn shown(&self) -> String {
        match &self.value {
            AttributeValue::Text(text) => text.clone(),
            AttributeValue::Binary(bytes) => {
                let head = &bytes[..bytes.len().min(PREVIEW_BYTES)];
                let more = if bytes.len() > PREVIEW_BYTES { "…" } else { "" };
                let hex: String = head.iter().map(|byte| format!("{byte:02x}")).collect();
                let base64 = base64::engine::general_purpose::STANDARD.encode(head);
                format!("{} bytes · hex {hex}{more} · base64 {base64}{more}", bytes.len())
            }
        }
    }

    /// Bytes this attribute adds to a message's size, as SQS counts them (name, type, value).
    pub fn size(&self, name: &str) -> usize {
        let value = match &self.value {
            AttributeValue::Text(text) => text.len(),
            AttributeValue::Binary(bytes) => bytes.len(),
        };
        name.len() + self.data_type.len() + value
    }
}

/// A received message (for a peek, visibility timeout 0, so it stays available).
#[derive(Debug, Clone, PartialEq)]
pub struct PeekedMessage {
    pub id: String,
    pub receipt_handle: String,
    pub body: String,
    pub system: BTreeMap<String, String>,
    pub attributes: BTreeMap<String, MessageAttribute>,
}

impl PeekedMessage {
    pub fn receive_count(&self) -> Option<u32> {
        self.system.get("ApproximateReceiveCount").and_then(|count| count.parse().ok())
    }

    pub fn sent_at(&self) -> Option<Timestamp> {
        let millis: i64 = self.system.get("SentTimestamp")?.parse().ok()?;
        Timestamp::from_millisecond(millis).ok()
    }

    pub fn group_id(&self) -> Option<&str> {
        self.system.get("MessageGroupId").map(String::as_str)
    }

    /// The body pretty-printed when it is JSON, as it is otherwise.
    pub fn pretty_body(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|value| serde_json::to_string_pretty(&value).ok())
            .unwrap_or_else(|| self.body.clone())
    }

    /// Body and attributes in bytes, as SQS counts a message against its size limit.
    pub fn size(&self) -> usize {
        self.body.len() + self.attributes.iter().map(|(name, attribute)| attribute.size(name)).sum::<usize>()
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SendRequest {
    pub body: String,
    pub attributes: BTreeMap<String, MessageAttribute>,
    pub delay_seconds: Option<u32>,
    pub group_id: Option<String>,
    pub deduplication_id: Option<String>,
}

/// One entry of a SendMessageBatch: `id` names it in the answer (unique in the batch).
#[derive(Debug, Clone, PartialEq)]
pub struct BatchEntry {
    pub id: String,
    pub request: SendRequest,
}

/// What a batch call did with each entry: the accepted ids, and the others with the reason.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchOutcome {
    pub accepted: Vec<String>,
    pub failed: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_attributes_show_size_and_a_preview_never_the_raw_bytes() {
        let attribute = MessageAttribute::binary("Binary", (0u8..40).collect());
        let shown = attribute.shown();
        assert!(shown.starts_with("40 bytes · hex 000102030405060708090a0b0c0d0e0f…"), "{shown}");
        assert!(shown.contains("base64 AAECAwQFBgcICQoLDA0ODw==…"), "{shown}");
        assert_eq!(MessageAttribute::text("Number.float", "1.5").shown(), "1.5");
        assert_eq!(attribute.size("blob"), 4 + 6 + 40);
    }
}
