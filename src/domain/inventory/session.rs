//! What a role's session carries besides its keys: session tags (and which of them pass on
//! to chained roles), a source identity, and the RoleSessionName, the last two as templates
//! (`{user}`, `{account}`, `{account_id}`, `{role}`) so CloudTrail names who acted.

use std::collections::{BTreeMap, HashSet};

use toml::Spanned;

use super::fields::Problems;
use super::raw::Text;

/// AWS's limits for AssumeRole's Tags, TransitiveTagKeys and SourceIdentity.
const MAX_TAGS: usize = 50;
const MAX_TAG_KEY: usize = 128;
const MAX_TAG_VALUE: usize = 256;
const NAME_CHARACTERS: &str = "+=,.@-_";
const PLACEHOLDERS: &[&str] = &["user", "account", "account_id", "role"];

/// Session tags, transitive keys and source identity, as the inventory gives them.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SessionAttributes {
    /// `(key, value)` in key order.
    pub tags: Vec<(String, String)>,
    pub transitive_tag_keys: Vec<String>,
    /// A template, expanded when the plan is made.
    pub source_identity: Option<String>,
}

impl SessionAttributes {
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty() && self.transitive_tag_keys.is_empty() && self.source_identity.is_none()
    }
}

/// What a template's placeholders stand for.
pub struct TemplateValues<'a> {
    pub user: &'a str,
    pub account: &'a str,
    pub account_id: &'a str,
    pub role: &'a str,
}

/// Fills a checked template; characters AWS refuses become `-`, and the result is cut to 64.
pub fn expand(template: &str, values: &TemplateValues) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let value = match &after[..close] {
            "user" => values.user,
            "account" => values.account,
            "account_id" => values.account_id,
            "role" => values.role,
            _ => "",
        };
        out.extend(
            value.chars().map(|c| if c.is_ascii_alphanumeric() || NAME_CHARACTERS.contains(c) { c } else { '-' }),
        );
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out.chars().take(64).collect()
}

/// The operator's login name, for `{user}`.
pub fn current_user() -> String {
    std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "operator".to_owned())
}

/// A RoleSessionName or SourceIdentity template: letters, digits, `+=,.@-_` and placeholders.
pub(super) fn checked_template(text: &Text, key: &str, what: &str, problems: &mut Problems) -> Option<String> {
    let template = text.get_ref();
    let mut literal = 0usize;
    let mut rest = template.as_str();
    let mut problem = None;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('{') {
            match after.split_once('}') {
                Some((name, tail)) if PLACEHOLDERS.contains(&name) => rest = tail,
                Some((name, _)) => {
                    problem = Some(format!(
                        "{{{name}}} is not a placeholder: use {{user}}, {{account}}, {{account_id}} or {{role}}"
                    ));
                    break;
                }
                None => {
                    problem = Some("a '{' without its '}'".to_owned());
                    break;
                }
            }
        } else {
            let c = rest.chars().next().unwrap_or_default();
            if !(c.is_ascii_alphanumeric() || NAME_CHARACTERS.contains(c)) {
                problem = Some(format!("'{c}' is not allowed"));
                break;
            }
            literal += 1;
            rest = &rest[c.len_utf8()..];
        }
    }
    let has_placeholder = template.contains('{');
    if problem.is_none() && (literal > 64 || (!has_placeholder && literal < 2)) {
        problem = Some("it must be 2 to 64 characters".to_owned());
    }
    match problem {
        Some(problem) => {
            problems.at(
                text.span(),
                key,
                format!(
                    "{what} is letters, digits, +=,.@-_ and {{user}}, {{account}}, {{account_id}}, {{role}}: {problem}"
                ),
            );
            None
        }
        None => Some(template.clone()),
    }
}

/// A source's `mfa_command`: something to run, for a source that has a device.
pub(super) fn checked_mfa_command(
    command: &Text,
    has_device: bool,
    key: &str,
    problems: &mut Problems,
) -> Option<String> {
    if command.get_ref().trim().is_empty() {
        problems.at(command.span(), key, "mfa_command is empty: give the command that prints the code");
        return None;
    }
    if !has_device {
        problems.at(command.span(), key, "mfa_command gives codes for the source's MFA device: set `mfa_serial` too");
        return None;
    }
    Some(command.get_ref().clone())
}

/// `session_tags`, `transitive_tag_keys` and `source_identity` of a role.
pub(super) fn checked_attributes(
    tags: Option<&Spanned<BTreeMap<String, String>>>,
    transitive: Option<&Spanned<Vec<String>>>,
    source_identity: Option<&Text>,
    label: &str,
    problems: &mut Problems,
) -> SessionAttributes {
    let key = |field: &str| format!("{label}.{field}");
    let mut attributes = SessionAttributes::default();
    if let Some(tags) = tags {
        let mut seen = HashSet::new();
        if tags.get_ref().len() > MAX_TAGS {
            problems.at(tags.span(), key("session_tags"), format!("AWS accepts at most {MAX_TAGS} session tags"));
        }
        for (name, value) in tags.get_ref() {
            if let Err(message) = checked_tag(name, value) {
                problems.at(tags.span(), key("session_tags"), message);
            }
            // AWS compares tag keys without case.
            if !seen.insert(name.to_ascii_lowercase()) {
                problems.at(
                    tags.span(),
                    key("session_tags"),
                    format!("tag \"{name}\" is given twice (keys ignore case)"),
                );
            }
            attributes.tags.push((name.clone(), value.clone()));
        }
    }
    if let Some(transitive) = transitive {
        for name in transitive.get_ref() {
            let tagged = attributes.tags.iter().any(|(tag, _)| tag.eq_ignore_ascii_case(name));
            if !tagged {
                problems.at(
                    transitive.span(),
                    key("transitive_tag_keys"),
                    format!(
                        "\"{name}\" is not one of the role's session_tags: only a tag can pass on to chained roles"
                    ),
                );
            }
            attributes.transitive_tag_keys.push(name.clone());
        }
    }
    attributes.source_identity = source_identity.and_then(|text| {
        let checked = checked_template(text, &key("source_identity"), "a source identity", problems)?;
        if checked.to_ascii_lowercase().starts_with("aws:") {
            problems.at(text.span(), key("source_identity"), "a source identity cannot start with aws:");
            return None;
        }
        Some(checked)
    });
    attributes
}

fn checked_tag(name: &str, value: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
    if name.is_empty() || name.chars().count() > MAX_TAG_KEY || !name.chars().all(allowed) {
        return Err(format!("\"{name}\" is not a tag key: 1 to {MAX_TAG_KEY} letters, digits, spaces and _.:/=+-@"));
    }
    if name.to_ascii_lowercase().starts_with("aws:") {
        return Err(format!("tag key \"{name}\" cannot start with aws:"));
    }
    if value.chars().count() > MAX_TAG_VALUE || !value.chars().all(allowed) {
        return Err(format!(
            "the value of tag \"{name}\" is not a tag value: up to {MAX_TAG_VALUE} letters, digits, spaces and _.:/=+-@"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand_with_unsafe_characters_replaced_and_cut_at_64() {
        let values = TemplateValues { user: "alice smith", account: "prod", account_id: "111111111111", role: "admin" };
        assert_eq!(expand("sb-{user}@{account}", &values), "sb-alice-smith@prod");
        assert_eq!(expand("{role}-{account_id}", &values), "admin-111111111111");
        let long = TemplateValues { user: &"x".repeat(100), ..values };
        assert_eq!(expand("{user}", &long).len(), 64);
    }

    fn problems(role_lines: &str) -> Vec<String> {
        let text = format!(
            "[sources.hub]\nprofile = \"hub\"\n[[accounts]]\nname = \"prod\"\nid = \"111111111111\"\n[[accounts.roles]]\nname = \"admin\"\nrole_name = \"Admin\"\nsource = \"hub\"\n{role_lines}"
        );
        match crate::domain::inventory::Inventory::parse(std::path::Path::new("a.toml"), &text) {
            Ok(_) => Vec::new(),
            Err(crate::domain::inventory::InventoryError::Invalid(found)) => {
                found.iter().map(ToString::to_string).collect()
            }
            Err(other) => vec![other.to_string()],
        }
    }

    #[test]
    fn a_transitive_key_must_be_a_tag_and_templates_know_their_placeholders() {
        let found = problems(
            "session_tags = { team = \"a\" }\ntransitive_tag_keys = [\"owner\"]\nsource_identity = \"{who}\"\n",
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("a.toml:11:") && found[0].contains("\"owner\" is not one of the role's session_tags")
        );
        assert!(found[1].contains("a.toml:12:") && found[1].contains("{who} is not a placeholder"));
    }

    #[test]
    fn valid_attributes_pass_and_bad_tag_keys_do_not() {
        assert_eq!(
            problems(
                "session_tags = { team = \"a b\" }\ntransitive_tag_keys = [\"TEAM\"]\nsession_name = \"{user}@{account}\"\n"
            ),
            Vec::<String>::new()
        );
        let found = problems("session_tags = { \"aws:x\" = \"a\" }\n");
        assert!(found[0].contains("cannot start with aws:"), "{found:?}");
    }
}
