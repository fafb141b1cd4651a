//! The inventory TOML of an import: every role says which profile (and line) it came from,
//! and everything skipped is listed at the end, so the file never looks more complete than it is.
//!
//! The inventory is also built in memory as it is written, each value with the place it is
//! written at, so the import is checked as `check` would check the file without parsing
//! 100,000 roles of TOML back (that round trip was a third of the time and most of the memory
//! of a large import). Tests parse the text and compare.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use toml::Spanned;

use super::convert::{AccountEntry, Entries, Parent, RoleEntry, SourceEntry, SourceRef, sorted_sources};
use super::profiles::{Finding, Target};
use super::sso::SsoSource;
use crate::domain::duration::format_duration;
use crate::domain::inventory::raw::{RawAccount, RawDefaults, RawInventory, RawRole, RawSource};

/// The text of the inventory, and the same inventory as `check` reads it from that text.
pub struct Rendered {
    pub toml: String,
    pub raw: RawInventory,
}

pub fn render(entries: &Entries<'_>, origin: &Path, skipped: &[Finding]) -> Rendered {
    let mut out = Writer { text: String::with_capacity(estimated_length(entries)) };
    let _ = writeln!(out.text, "# Imported from {} by `switchboard import aws-config`.", origin.display());
    out.text.push_str("# Each role names the profile (and its line) it came from.\n");
    let mut raw = RawInventory::default();
    if let Some(region) = &entries.region {
        let start = out.text.len() + 1;
        out.text.push_str("\n[defaults]\n");
        let region = out.string("", "region", region);
        raw.defaults =
            Some(Spanned::new(start..out.text.len(), RawDefaults { region: Some(region), ..RawDefaults::default() }));
    }
    for (name, source) in sorted_sources(entries) {
        let written = match source {
            SourceRef::Keys(source) => out.keys_source(name, source),
            SourceRef::SignIn(sign_in) => out.sign_in_source(name, sign_in),
        };
        raw.sources.insert(name.to_owned(), written);
    }
    raw.accounts = entries.accounts.iter().map(|account| out.account(account)).collect();
    if !skipped.is_empty() {
        let _ = write!(out.text, "\n# Not imported ({}):\n", skipped.len());
        for finding in skipped {
            let _ = writeln!(out.text, "# {}", comment(&finding.to_string()));
        }
    }
    Rendered { toml: out.text, raw }
}

/// A little more than the text will take, so the 16 MB of 100,000 roles is allocated once,
/// not doubled to 32 MB when a guess falls a byte short.
fn estimated_length(entries: &Entries<'_>) -> usize {
    const OPTIONAL: usize = 32;
    let role = |role: &RoleEntry<'_>| {
        let target = match &role.target {
            Target::Arn(arn) => arn.len(),
            Target::PermissionSet { name, .. } => name.len() + 12,
        };
        let parent = match &role.parent {
            Parent::Source(name) | Parent::Via(name) => name.len(),
        };
        let optional = [role.external_id, role.session_name, role.region]
            .iter()
            .map(|field| field.map_or(0, |text| OPTIONAL + text.len()))
            .sum::<usize>();
        let extras = role.extras.as_ref().map_or(0, |extras| {
            OPTIONAL * 3
                + extras.tags.iter().map(|(key, value)| key.len() + value.len() + 10).sum::<usize>()
                + extras.transitive_tag_keys.iter().map(|key| key.len() + 4).sum::<usize>()
                + extras.source_identity.as_ref().map_or(0, String::len)
        });
        // `[[accounts.roles]]`, the comment with its line number, the keys of name, target and parent.
        112 + role.profile.len()
            + role.name.len()
            + target
            + parent
            + optional
            + extras
            + usize::from(role.mfa) * 16
            + role.duration_seconds.map_or(0, |_| OPTIONAL)
    };
    let accounts: usize = entries
        .accounts
        .iter()
        .map(|account| 48 + account.name.len() + account.roles.iter().map(role).sum::<usize>())
        .sum();
    4096 + 256 * (entries.sources.len() + entries.sign_ins.len()) + accounts
}

struct Writer {
    text: String,
}

impl Writer {
    fn keys_source(&mut self, name: &str, source: &SourceEntry) -> Spanned<RawSource> {
        let start = self.text.len() + 1;
        let _ = write!(self.text, "\n[sources.{}]\n", table_key(name));
        let raw = RawSource {
            profile: Some(self.string("", "profile", &source.profile)),
            mfa_serial: source.mfa_serial.as_ref().map(|serial| self.string("", "mfa_serial", serial)),
            mfa_command: source.mfa_command.as_ref().map(|command| self.string("", "mfa_command", command)),
            ..RawSource::default()
        };
        Spanned::new(start..self.text.len(), raw)
    }

    /// An Identity Center source, with where it was written.
    fn sign_in_source(&mut self, name: &str, source: &SsoSource) -> Spanned<RawSource> {
        let _ = write!(self.text, "\n# {} (line {})\n", comment(&source.origin), source.line);
        let start = self.text.len();
        let _ = writeln!(self.text, "[sources.{}]", table_key(name));
        let raw = RawSource {
            sso_start_url: Some(self.string("", "sso_start_url", &source.start_url)),
            sso_region: Some(self.string("", "sso_region", &source.region)),
            sso_scopes: source.scopes.as_ref().map(|scopes| self.strings("", "sso_scopes", scopes)),
            ..RawSource::default()
        };
        Spanned::new(start..self.text.len(), raw)
    }

    fn account(&mut self, account: &AccountEntry<'_>) -> Spanned<RawAccount> {
        let start = self.text.len() + 1;
        self.text.push_str("\n[[accounts]]\n");
        let name = self.string("", "name", &account.name);
        let id = self.string("", "id", account.id);
        let mut roles = Vec::with_capacity(account.roles.len());
        for role in &account.roles {
            roles.push(self.role(role));
        }
        let raw = RawAccount { name: Some(name), id: Some(id), roles, ..RawAccount::default() };
        Spanned::new(start..self.text.len(), raw)
    }

    fn role(&mut self, role: &RoleEntry<'_>) -> Spanned<RawRole> {
        const IN: &str = "  ";
        let start = self.text.len() + 1;
        let _ =
            write!(self.text, "\n  [[accounts.roles]]\n  # profile {} (line {})\n", comment(role.profile), role.line);
        let mut raw = RawRole { name: Some(self.string(IN, "name", &role.name)), ..RawRole::default() };
        match &role.target {
            Target::Arn(arn) => raw.arn = Some(self.string(IN, "arn", arn)),
            Target::PermissionSet { name, .. } => {
                raw.permission_set = Some(Box::new(self.string(IN, "permission_set", name)))
            }
        }
        match &role.parent {
            Parent::Source(source) => raw.source = Some(self.string(IN, "source", source)),
            Parent::Via(address) => raw.via = Some(self.string(IN, "via", address)),
        }
        if role.mfa {
            raw.mfa = Some(self.boolean(IN, "mfa", true));
        }
        if let Some(seconds) = role.duration_seconds {
            let duration = format_duration(std::time::Duration::from_secs(seconds));
            raw.duration = Some(Box::new(self.string(IN, "duration", &duration)));
        }
        raw.external_id = role.external_id.map(|external_id| Box::new(self.string(IN, "external_id", external_id)));
        raw.session_name =
            role.session_name.map(|session_name| Box::new(self.string(IN, "session_name", session_name)));
        raw.region = role.region.map(|region| Box::new(self.string(IN, "region", region)));
        if let Some(extras) = &role.extras {
            if !extras.tags.is_empty() {
                raw.session_tags = Some(Box::new(self.tags(IN, "session_tags", &extras.tags)));
            }
            if !extras.transitive_tag_keys.is_empty() {
                let keys = self.strings(IN, "transitive_tag_keys", &extras.transitive_tag_keys);
                raw.transitive_tag_keys = Some(Box::new(keys));
            }
            raw.source_identity =
                extras.source_identity.as_ref().map(|identity| Box::new(self.string(IN, "source_identity", identity)));
        }
        Spanned::new(start..self.text.len(), raw)
    }

    /// `KEY = VALUE` on a line of its own; returns where VALUE starts.
    fn key(&mut self, indent: &str, key: &str) -> usize {
        self.text.push_str(indent);
        self.text.push_str(key);
        self.text.push_str(" = ");
        self.text.len()
    }

    fn end<T>(&mut self, start: usize, value: T) -> Spanned<T> {
        let span = start..self.text.len();
        self.text.push('\n');
        Spanned::new(span, value)
    }

    fn string(&mut self, indent: &str, key: &str, value: &str) -> Spanned<String> {
        let start = self.key(indent, key);
        push_quoted(&mut self.text, value);
        self.end(start, value.to_owned())
    }

    fn boolean(&mut self, indent: &str, key: &str, value: bool) -> Spanned<bool> {
        let start = self.key(indent, key);
        self.text.push_str(if value { "true" } else { "false" });
        self.end(start, value)
    }

    fn strings(&mut self, indent: &str, key: &str, values: &[String]) -> Spanned<Vec<String>> {
        let start = self.key(indent, key);
        self.text.push('[');
        for (index, value) in values.iter().enumerate() {
            if index > 0 {
                self.text.push_str(", ");
            }
            push_quoted(&mut self.text, value);
        }
        self.text.push(']');
        self.end(start, values.to_vec())
    }

    fn tags(&mut self, indent: &str, key: &str, tags: &[(String, String)]) -> Spanned<BTreeMap<String, String>> {
        let start = self.key(indent, key);
        self.text.push_str("{ ");
        for (index, (key, value)) in tags.iter().enumerate() {
            if index > 0 {
                self.text.push_str(", ");
            }
            push_quoted(&mut self.text, key);
            self.text.push_str(" = ");
            push_quoted(&mut self.text, value);
        }
        self.text.push_str(" }");
        self.end(start, tags.iter().cloned().collect())
    }
}

/// A source's name in a table header: quoted when it holds a `.`, which would nest the table.
fn table_key(name: &str) -> String {
    if name.contains('.') { quoted(name) } else { name.to_owned() }
}

/// A TOML string. Most values (names, ARNs, regions) need no escape and are written between
/// quotes as they are; anything else is left to the toml crate's encoder.
fn push_quoted(out: &mut String, text: &str) {
    if text.bytes().all(|byte| (b' '..=b'~').contains(&byte) && byte != b'"' && byte != b'\\') {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        out.push_str(&toml::Value::String(text.to_owned()).to_string());
    }
}

fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    push_quoted(&mut out, text);
    out
}

/// Text for a TOML comment, which ends at a line break and may hold no other control
/// character: each is written as its escape (`\u{e}`), so a profile name with one is still
/// named, and the file still parses.
fn comment(text: &str) -> Cow<'_, str> {
    let forbidden = |c: char| c.is_control() && c != '\t';
    if !text.contains(forbidden) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars().map(|c| if forbidden(c) { c.escape_unicode().to_string() } else { c.to_string() }).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_quoted_as_toml_reads_them_back() {
        for text in ["plain", "", "with \"quotes\"", "back\\slash", "tab\there", "line\nbreak", "é ü", "'single'"] {
            let line = format!("value = {}", quoted(text));
            let table: toml::Table = toml::from_str(&line).unwrap_or_else(|error| panic!("{line}: {error}"));
            assert_eq!(table["value"].as_str(), Some(text), "{line}");
        }
        assert_eq!(quoted("arn:aws:iam::111111111111:role/Admin"), "\"arn:aws:iam::111111111111:role/Admin\"");
    }

    /// Found by the `aws_config` fuzz target: a control character in a profile's name went
    /// into a comment, and TOML refuses the file.
    #[test]
    fn control_characters_in_a_comment_are_escaped_and_the_text_parses() {
        for text in ["plain (line 3)", "a\u{e}b\0c", "line\nbreak\r", "del\u{7f}", "tab\tkept", "é"] {
            let line = format!("# {}\nvalue = 1\n", comment(text));
            let table: toml::Table = toml::from_str(&line).unwrap_or_else(|error| panic!("{line:?}: {error}"));
            assert_eq!(table["value"].as_integer(), Some(1), "{line:?}");
        }
        assert_eq!(comment("a\u{e}b"), "a\\u{e}b");
        assert!(matches!(comment("plain"), Cow::Borrowed("plain")));
    }
}
