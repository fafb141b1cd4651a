//! The inventory exactly as written in TOML, with the position of every value kept so
//! validation can point at the file, line and column of a mistake.

use serde::Deserialize;
use toml::Spanned;

pub type Text = Spanned<String>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInventory {
    pub defaults: Option<Spanned<RawDefaults>>,
    #[serde(default)]
    pub sources: std::collections::BTreeMap<String, Spanned<RawSource>>,
    #[serde(default)]
    pub accounts: Vec<Spanned<RawAccount>>,
    pub ui: Option<RawUi>,
}

/// Settings of the interactive screen.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUi {
    pub export_format: Option<Text>,
    pub panel_refresh: Option<Text>,
    #[serde(default)]
    pub keys: RawKeys,
}

/// `[ui.keys]`: `command = ["key", ...]` for the list, and `[ui.keys.PANEL]` tables.
#[derive(Debug, Default, Deserialize)]
pub struct RawKeys(pub std::collections::BTreeMap<String, Spanned<RawKeyEntry>>);

#[derive(Debug)]
pub enum RawKeyEntry {
    Keys(Vec<String>),
    Section(std::collections::BTreeMap<String, Spanned<Vec<String>>>),
}

/// By hand rather than `#[serde(untagged)]`: untagged enums buffer their input and would
/// lose the positions that errors point at.
impl<'de> Deserialize<'de> for RawKeyEntry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> serde::de::Visitor<'de> for EntryVisitor {
            type Value = RawKeyEntry;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of keys like [\"r\", \"f5\"], or a table of a panel's commands")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<RawKeyEntry, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = seq.next_element::<String>()? {
                    keys.push(key);
                }
                Ok(RawKeyEntry::Keys(keys))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawKeyEntry, A::Error> {
                let mut commands = std::collections::BTreeMap::new();
                while let Some((command, keys)) = map.next_entry::<String, Spanned<Vec<String>>>()? {
                    commands.insert(command, keys);
                }
                Ok(RawKeyEntry::Section(commands))
            }
        }
        deserializer.deserialize_any(EntryVisitor)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    pub region: Option<Text>,
    pub duration: Option<Text>,
    pub refresh_before: Option<Text>,
    pub endpoint_url: Option<Text>,
    pub session_name: Option<Text>,
    /// The AWS federation endpoint for console sign-in (a fake one in tests).
    pub federation_url: Option<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub profile: Option<Text>,
    pub credentials_file: Option<Text>,
    pub keyring: Option<Spanned<bool>>,
    pub mfa_serial: Option<Text>,
    pub session_duration: Option<Text>,
    pub region: Option<Text>,
    /// A command whose output is the device's current code (`ykman oath accounts code -s NAME`).
    pub mfa_command: Option<Text>,
    /// IAM Identity Center: the portal's start URL, its region and the registration's scopes.
    pub sso_start_url: Option<Text>,
    pub sso_region: Option<Text>,
    pub sso_scopes: Option<Spanned<Vec<String>>>,
    /// Write the token to the AWS CLI's cache too (it is plain text there, by the CLI's design).
    pub sso_share_with_aws_cli: Option<Spanned<bool>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccount {
    pub name: Option<Text>,
    pub id: Option<Text>,
    pub environment: Option<Text>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub region: Option<Text>,
    #[serde(default)]
    pub roles: Vec<Spanned<RawRole>>,
}

/// What most roles leave out is boxed: a role written with a name, an ARN and a source is
/// 240 bytes here instead of 560 (100,000 of them are read at once).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRole {
    pub name: Option<Text>,
    pub role_name: Option<Box<Text>>,
    pub arn: Option<Text>,
    /// The permission set (as the portal lists it) of a role of an Identity Center source.
    pub permission_set: Option<Box<Text>>,
    pub source: Option<Text>,
    pub via: Option<Text>,
    pub mfa: Option<Spanned<bool>>,
    pub duration: Option<Box<Text>>,
    pub external_id: Option<Box<Text>>,
    pub read_only: Option<bool>,
    pub region: Option<Box<Text>>,
    /// RoleSessionName for this role (overrides `defaults.session_name`); a template.
    pub session_name: Option<Box<Text>>,
    pub session_tags: Option<Box<Spanned<std::collections::BTreeMap<String, String>>>>,
    pub transitive_tag_keys: Option<Box<Spanned<Vec<String>>>>,
    pub source_identity: Option<Box<Text>>,
}
