//! How a message reads on a screen, worked out once per message (never per frame) by one
//! pure function: an SNS envelope shows its inner `Message` (pretty when JSON) with the
//! envelope kept one key away; an SQS extended-client S3 pointer shows as bucket/key; JSON
//! is pretty-printed; binary attributes show as size and a hex/base64 preview.

use super::PeekedMessage;

/// What the body turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyKind {
    Text,
    Json,
    /// An SNS notification; `inner` says what its `Message` is.
    Sns {
        topic_arn: Option<String>,
        subject: Option<String>,
        inner: Box<BodyKind>,
    },
    /// The extended client's pointer to a payload kept in S3.
    S3Pointer {
        bucket: String,
        key: String,
    },
}

impl BodyKind {
    pub fn label(&self) -> String {
        match self {
            BodyKind::Text => "text".into(),
            BodyKind::Json => "JSON".into(),
            BodyKind::Sns { topic_arn, inner, .. } => {
                let topic = topic_arn.as_deref().map(|arn| arn.rsplit(':').next().unwrap_or(arn)).unwrap_or("?");
                format!("SNS notification from {topic}, message {}", inner.label())
            }
            BodyKind::S3Pointer { .. } => "S3 pointer (extended client)".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageView {
    pub kind: BodyKind,
    /// The body as it reads best: the inner message, the pointer, or pretty JSON.
    pub body: Vec<String>,
    /// The whole SNS envelope, pretty (shown instead of `body` on request).
    pub envelope: Option<Vec<String>>,
    /// Name, data type, value as shown (binary: size and preview).
    pub attributes: Vec<(String, String, String)>,
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

fn pretty(value: &serde_json::Value) -> Vec<String> {
    serde_json::to_string_pretty(value).map(|text| lines(&text)).unwrap_or_default()
}

/// The S3 pointer of the Java (`[class, {s3BucketName, s3Key}]`) or Python (`{s3BucketName,
/// s3Key}`) extended clients.
fn s3_pointer(value: &serde_json::Value) -> Option<(String, String)> {
    let object = match value {
        serde_json::Value::Array(items) if items.len() == 2 && items[0].as_str()?.contains("S3Pointer") => &items[1],
        serde_json::Value::Object(_) => value,
        _ => return None,
    };
    let bucket = object.get("s3BucketName")?.as_str()?.to_owned();
    let key = object.get("s3Key")?.as_str()?.to_owned();
    Some((bucket, key))
}

/// A text that may be JSON: its kind and lines.
fn read(text: &str) -> (BodyKind, Vec<String>) {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else { return (BodyKind::Text, lines(text)) };
    if !value.is_object() && !value.is_array() {
        return (BodyKind::Text, lines(text));
    }
    if let Some((bucket, key)) = s3_pointer(&value) {
        let shown =
            vec![format!("payload in S3: s3://{bucket}/{key}"), format!("bucket  {bucket}"), format!("key     {key}")];
        return (BodyKind::S3Pointer { bucket, key }, shown);
    }
    (BodyKind::Json, pretty(&value))
}

pub fn view(message: &PeekedMessage) -> MessageView {
    let attributes = message
        .attributes
        .iter()
        .map(|(name, attribute)| (name.clone(), attribute.data_type.clone(), attribute.shown()))
        .collect();
    let envelope = serde_json::from_str::<serde_json::Value>(&message.body).ok().filter(|value| {
        value.get("Type").and_then(serde_json::Value::as_str) == Some("Notification")
            && value.get("Message").is_some_and(serde_json::Value::is_string)
    });
    let (kind, body, envelope) = match envelope {
        Some(envelope) => {
            let inner_text = envelope.get("Message").and_then(serde_json::Value::as_str).unwrap_or_default();
            let (inner, body) = read(inner_text);
            let text = |name: &str| envelope.get(name).and_then(serde_json::Value::as_str).map(str::to_owned);
            let kind = BodyKind::Sns { topic_arn: text("TopicArn"), subject: text("Subject"), inner: Box::new(inner) };
            (kind, body, Some(pretty(&envelope)))
        }
        None => {
            let (kind, body) = read(&message.body);
            (kind, body, None)
        }
    };
    MessageView { kind, body, envelope, attributes }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::sqs::MessageAttribute;

    fn message(body: &str) -> PeekedMessage {
        PeekedMessage {
            id: "m".into(),
            receipt_handle: "r".into(),
            body: body.into(),
            system: BTreeMap::new(),
            attributes: BTreeMap::new(),
        }
    }

    #[test]
    fn an_sns_envelope_shows_its_inner_message_pretty_with_the_envelope_one_key_away() {
        let body = r#"{"Type":"Notification","MessageId":"1","TopicArn":"arn:aws:sns:eu-west-1:1:orders","Subject":"s","Message":"{\"order\":7}"}"#;
        let shown = view(&message(body));
        assert_eq!(shown.body, ["{", "  \"order\": 7", "}"]);
        assert_eq!(shown.kind.label(), "SNS notification from orders, message JSON");
        let envelope = shown.envelope.unwrap();
        assert!(envelope.iter().any(|line| line.contains("\"TopicArn\"")), "{envelope:?}");
        let plain = view(&message(r#"{"Type":"Notification","Message":"hello\nworld"}"#));
        assert_eq!(plain.body, ["hello", "world"]);
    }

    #[test]
    fn an_s3_pointer_shows_bucket_and_key_in_both_clients_forms() {
        let java = r#"["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"big","s3Key":"k/1"}]"#;
        let python = r#"{"s3BucketName":"big","s3Key":"k/1"}"#;
        for body in [java, python] {
            let shown = view(&message(body));
            assert_eq!(shown.kind, BodyKind::S3Pointer { bucket: "big".into(), key: "k/1".into() });
            assert_eq!(shown.body[0], "payload in S3: s3://big/k/1");
        }
    }

    #[test]
    fn text_json_and_binary_attributes() {
        let mut plain = message("not json {");
        plain.attributes.insert("b".into(), MessageAttribute::binary("Binary", vec![1, 2]));
        let shown = view(&plain);
        assert_eq!((shown.kind, shown.body), (BodyKind::Text, vec!["not json {".to_owned()]));
        assert_eq!(shown.attributes, [("b".into(), "Binary".into(), "2 bytes · hex 0102 · base64 AQI=".into())]);
        assert_eq!(view(&message("42")).kind, BodyKind::Text, "a bare number is text");
        assert_eq!(view(&message("[1]")).body, ["[", "  1", "]"]);
    }
}
