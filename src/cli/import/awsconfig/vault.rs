//! Keys of aws-vault's config format that switchboard can carry over: `session_tags`
//! (`k=v,k2=v2`), `transitive_session_tags` (`k,k2`), `source_identity` and `mfa_process`
//! (switchboard's `mfa_command`). What AWS would refuse is passed over with a note.

use super::ini::ConfigProfile;
use super::profiles::Finding;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct VaultExtras {
    pub tags: Vec<(String, String)>,
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
    pub mfa_process: Option<String>,
}

pub const VAULT_KEYS: &[&str] = &["session_tags", "transitive_session_tags", "source_identity", "mfa_process"];

/// A profile's aws-vault keys; `None` when it has none (most profiles: nothing is allocated for them).
pub fn extras(profile: &ConfigProfile, notes: &mut Vec<Finding>) -> Option<Box<VaultExtras>> {
    let mut note = |key: &str, message: String| {
        notes.push(Finding { profile: Some(profile.name.to_owned()), line: profile.line_of(key), message });
    };
    let mut extras =
        VaultExtras { mfa_process: profile.get("mfa_process").map(str::to_owned), ..VaultExtras::default() };
    if let Some(text) = profile.get("session_tags") {
        for pair in text.split(',').map(str::trim).filter(|pair| !pair.is_empty()) {
            match pair.split_once('=') {
                Some((key, value)) if is_tag_text(key.trim(), 1, 128) && is_tag_text(value.trim(), 0, 256) => {
                    extras.tags.push((key.trim().to_owned(), value.trim().to_owned()));
                }
                _ => note(
                    "session_tags",
                    format!("session tag \"{pair}\" is not key=value as AWS accepts it: passed over"),
                ),
            }
        }
        // AWS compares tag keys ignoring case: the first of a key is kept (a stable sort on
        // the lower-cased key keeps file order within one; a case-sensitive sort put `Team`
        // and `team` apart, and both were kept for `check` to refuse).
        extras.tags.sort_by_key(|(key, _)| key.to_ascii_lowercase());
        let mut kept: Vec<(String, String)> = Vec::with_capacity(extras.tags.len());
        for (key, value) in std::mem::take(&mut extras.tags) {
            match kept.last() {
                Some((last, _)) if last.eq_ignore_ascii_case(&key) => note(
                    "session_tags",
                    format!("session tag \"{key}\" is given twice (keys ignore case): the first is kept"),
                ),
                _ => kept.push((key, value)),
            }
        }
        extras.tags = kept;
    }
    if let Some(text) = profile.get("transitive_session_tags") {
        for key in text.split(',').map(str::trim).filter(|key| !key.is_empty()) {
            if extras.tags.iter().any(|(tag, _)| tag.eq_ignore_ascii_case(key)) {
                extras.transitive_tag_keys.push(key.to_owned());
            } else {
                note(
                    "transitive_session_tags",
                    format!("transitive tag \"{key}\" is not one of the profile's session_tags: passed over"),
                );
            }
        }
    }
    if let Some(identity) = profile.get("source_identity") {
        let valid = (2..=64).contains(&identity.len())
            && identity.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c))
            && !identity.to_ascii_lowercase().starts_with("aws:");
        if valid {
            extras.source_identity = Some(identity.to_owned());
        } else {
            note(
                "source_identity",
                "source_identity is not 2 to 64 letters, digits and +=,.@-_: passed over".to_owned(),
            );
        }
    }
    (extras != VaultExtras::default()).then(|| Box::new(extras))
}

fn is_tag_text(text: &str, min: usize, max: usize) -> bool {
    let length = text.chars().count();
    (min..=max).contains(&length)
        && !text.to_ascii_lowercase().starts_with("aws:")
        && text.chars().all(|c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c))
}
