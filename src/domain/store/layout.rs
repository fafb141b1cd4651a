//! The metadata section's layouts. v3 (written): postcard, sessions grouped by scope, times
//! as seconds and nanoseconds; at 5,000 sessions it is a third of v2's bytes and parses
//! without text. v2 (read only): JSON, one entry per session repeating its scope and layer
//! in the key and the value, so a store written before v3 is not lost.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Deserialize;

use super::document::{Document, SessionMeta, UsedCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V2,
    V3,
}

impl Version {
    pub const WRITTEN: Version = Version::V3;

    pub fn magic(self) -> &'static str {
        match self {
            Version::V2 => "switchboard-sessions v2",
            Version::V3 => "switchboard-sessions v3",
        }
    }

    /// The version whose magic starts `line`, and the rest of the line.
    pub fn of_header(line: &str) -> Option<(Version, &str)> {
        [Version::V3, Version::V2]
            .into_iter()
            .find_map(|version| line.strip_prefix(version.magic()).map(|rest| (version, rest)))
    }
}

pub fn encode(document: &Document) -> Result<Vec<u8>, String> {
    postcard::to_stdvec(document).map_err(|error| error.to_string())
}

pub fn decode(version: Version, bytes: &[u8]) -> Result<Document, String> {
    match version {
        Version::V3 => {
            let (document, rest) = postcard::take_from_bytes::<Document>(bytes).map_err(|error| error.to_string())?;
            if !rest.is_empty() {
                return Err(format!("{} bytes after the metadata", rest.len()));
            }
            Ok(document)
        }
        Version::V2 => {
            let v2: DocumentV2 = serde_json::from_slice(bytes).map_err(|error| error.to_string())?;
            Ok(v2.into_document())
        }
    }
}

#[derive(Deserialize)]
struct DocumentV2 {
    generation: u64,
    sessions: BTreeMap<String, EntryV2>,
    used_codes: BTreeMap<String, Vec<UsedCodeV2>>,
}

#[derive(Deserialize)]
struct EntryV2 {
    scope: String,
    layer: String,
    expires_at: Option<Timestamp>,
    obtained_at: Timestamp,
}

#[derive(Deserialize)]
struct UsedCodeV2 {
    digest: String,
    at: Timestamp,
}

impl DocumentV2 {
    fn into_document(self) -> Document {
        let mut sessions: BTreeMap<String, BTreeMap<String, SessionMeta>> = BTreeMap::new();
        for entry in self.sessions.into_values() {
            let meta = SessionMeta { expires_at: entry.expires_at, obtained_at: entry.obtained_at };
            sessions.entry(entry.scope).or_default().insert(entry.layer, meta);
        }
        let used_codes = self
            .used_codes
            .into_iter()
            .map(|(device, codes)| {
                (device, codes.into_iter().map(|code| UsedCode { digest: code.digest, at: code.at }).collect())
            })
            .collect();
        Document::from_parts(self.generation, sessions, used_codes)
    }
}

/// A timestamp as (seconds, nanoseconds) since the Unix epoch: what postcard writes in a few
/// bytes, where jiff's own serde form is RFC 3339 text.
pub mod compact_time {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(at: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        (at.as_second(), at.subsec_nanosecond()).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let (seconds, nanos) = <(i64, i32)>::deserialize(deserializer)?;
        Timestamp::new(seconds, nanos).map_err(serde::de::Error::custom)
    }

    pub mod option {
        use jiff::Timestamp;
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        pub fn serialize<S: Serializer>(at: &Option<Timestamp>, serializer: S) -> Result<S::Ok, S::Error> {
            at.map(|at| (at.as_second(), at.subsec_nanosecond())).serialize(serializer)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Timestamp>, D::Error> {
            let Some((seconds, nanos)) = Option::<(i64, i32)>::deserialize(deserializer)? else {
                return Ok(None);
            };
            Timestamp::new(seconds, nanos).map(Some).map_err(serde::de::Error::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V2: &str = r#"{"generation":7,"sessions":{"http://e#/inv.toml|assume-role|a/b":{"scope":"http://e#/inv.toml","layer":"assume-role|a/b","expires_at":"2026-11-22T05:40:10Z","obtained_at":"2026-11-22T04:40:10.28769893Z"}},"used_codes":{"http://e|arn:mfa":[{"digest":"ab","at":"2026-11-22T04:40:00Z"}]}}"#;

    #[test]
    fn a_v2_document_reads_into_the_same_sessions_and_codes_and_writes_back_as_v3() {
        let document = decode(Version::V2, V2.as_bytes()).unwrap();
        let meta = document.meta("http://e#/inv.toml", "assume-role|a/b").unwrap();
        assert_eq!(meta.expires_at, Some("2026-11-22T05:40:10Z".parse().unwrap()));
        assert_eq!(meta.obtained_at, "2026-11-22T04:40:10.28769893Z".parse().unwrap());
        let again = decode(Version::V3, &encode(&document).unwrap()).unwrap();
        assert_eq!(again.meta("http://e#/inv.toml", "assume-role|a/b"), Some(meta));
        assert_eq!(again.generation(), 7);
        assert_eq!(again.used_code_count("http://e|arn:mfa"), 1);
        assert!(encode(&again).unwrap().len() < V2.len() / 2, "v3 is the compact one");
    }

    #[test]
    fn trailing_bytes_and_a_cut_v3_section_are_errors_not_a_partial_document() {
        let bytes = encode(&decode(Version::V2, V2.as_bytes()).unwrap()).unwrap();
        assert!(decode(Version::V3, &[bytes.as_slice(), b"x"].concat()).is_err());
        for cut in 0..bytes.len() {
            assert!(decode(Version::V3, &bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn the_header_names_its_version() {
        assert_eq!(Version::of_header("switchboard-sessions v3 meta=1"), Some((Version::V3, " meta=1")));
        assert_eq!(Version::of_header("switchboard-sessions v2 meta=1"), Some((Version::V2, " meta=1")));
        assert_eq!(Version::of_header("switchboard-sessions v4 meta=1"), None);
    }
}
