//! The inventory TOML of an import: every role says which profile (and line) it came from,
//! and everything skipped is listed at the end, so the file never looks more complete than it is.

use std::fmt::Write as _;
use std::path::Path;

use super::convert::{Entries, Parent, SourceRef, sorted_sources};
use super::profiles::{Finding, Target};
use super::sso::SsoSource;
use crate::domain::duration::format_duration;

pub fn render(entries: &Entries, origin: &Path, skipped: &[Finding]) -> String {
    let mut out = String::with_capacity(256 * entries.addresses.len().max(1));
    let _ = writeln!(out, "# Imported from {} by `switchboard import aws-config`.", origin.display());
    out.push_str("# Each role names the profile (and its line) it came from.\n");
    if let Some(region) = &entries.region {
        let _ = write!(out, "\n[defaults]\nregion = {}\n", quoted(region));
    }
    for (name, source) in sorted_sources(entries) {
        let source = match source {
            SourceRef::Keys(source) => source,
            SourceRef::SignIn(sign_in) => {
                sign_in_source(&mut out, name, sign_in);
                continue;
            }
        };
        let _ = write!(out, "\n[sources.{}]\nprofile = {}\n", table_key(name), quoted(&source.profile));
        if let Some(serial) = &source.mfa_serial {
            let _ = writeln!(out, "mfa_serial = {}", quoted(serial));
        }
        if let Some(command) = &source.mfa_command {
            let _ = writeln!(out, "mfa_command = {}", quoted(command));
        }
    }
    for account in &entries.accounts {
        let _ = write!(out, "\n[[accounts]]\nname = {}\nid = {}\n", quoted(&account.name), quoted(&account.id));
        for role in &account.roles {
            let (key, target) = match &role.target {
                Target::Arn(arn) => ("arn", arn),
                Target::PermissionSet { name, .. } => ("permission_set", name),
            };
            let _ = write!(
                out,
                "\n  [[accounts.roles]]\n  # profile {} (line {})\n  name = {}\n  {key} = {}\n",
                role.profile,
                role.line,
                quoted(&role.name),
                quoted(target)
            );
            match &role.parent {
                Parent::Source(source) => {
                    let _ = writeln!(out, "  source = {}", quoted(source));
                }
                Parent::Via(address) => {
                    let _ = writeln!(out, "  via = {}", quoted(address));
                }
            }
            if role.mfa {
                out.push_str("  mfa = true\n");
            }
            if let Some(seconds) = role.duration_seconds {
                let _ =
                    writeln!(out, "  duration = {}", quoted(&format_duration(std::time::Duration::from_secs(seconds))));
            }
            if let Some(external_id) = &role.external_id {
                let _ = writeln!(out, "  external_id = {}", quoted(external_id));
            }
            if let Some(session_name) = &role.session_name {
                let _ = writeln!(out, "  session_name = {}", quoted(session_name));
            }
            if let Some(region) = &role.region {
                let _ = writeln!(out, "  region = {}", quoted(region));
            }
            let extras = &role.extras;
            if !extras.tags.is_empty() {
                let tags: Vec<String> =
                    extras.tags.iter().map(|(key, value)| format!("{} = {}", quoted(key), quoted(value))).collect();
                let _ = writeln!(out, "  session_tags = {{ {} }}", tags.join(", "));
            }
            if !extras.transitive_tag_keys.is_empty() {
                let keys: Vec<String> = extras.transitive_tag_keys.iter().map(|key| quoted(key)).collect();
                let _ = writeln!(out, "  transitive_tag_keys = [{}]", keys.join(", "));
            }
            if let Some(identity) = &extras.source_identity {
                let _ = writeln!(out, "  source_identity = {}", quoted(identity));
            }
        }
    }
    if !skipped.is_empty() {
        let _ = write!(out, "\n# Not imported ({}):\n", skipped.len());
        for finding in skipped {
            let _ = writeln!(out, "# {}", one_line(&finding.to_string()));
        }
    }
    out
}

/// An Identity Center source, with where it was written.
fn sign_in_source(out: &mut String, name: &str, source: &SsoSource) {
    let _ = write!(
        out,
        "\n# {} (line {})\n[sources.{}]\nsso_start_url = {}\nsso_region = {}\n",
        one_line(&source.origin),
        source.line,
        table_key(name),
        quoted(&source.start_url),
        quoted(&source.region)
    );
    if let Some(scopes) = &source.scopes {
        let scopes: Vec<String> = scopes.iter().map(|scope| quoted(scope)).collect();
        let _ = writeln!(out, "sso_scopes = [{}]", scopes.join(", "));
    }
}

/// A source's name in a table header: quoted when it holds a `.`, which would nest the table.
fn table_key(name: &str) -> String {
    if name.contains('.') { quoted(name) } else { name.to_owned() }
}

/// A TOML basic string, escaped.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}
