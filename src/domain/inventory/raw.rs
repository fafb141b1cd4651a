//! The inventory exactly as written in TOML, with the position of every value kept so
//! validation can point at the file, line and column of a mistake.

use serde::Deserialize;
use toml::Spanned;

pub type Text = Spanned<String>;

#[derive(Debug, Deserialize)]
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
    pub keys: std::collections::BTreeMap<String, Spanned<Vec<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    pub region: Option<Text>,
    pub duration: Option<Text>,
    pub refresh_before: Option<Text>,
    pub endpoint_url: Option<Text>,
    pub session_name: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub profile: Option<Text>,
    pub credentials_file: Option<Text>,
    pub keyring: Option<Spanned<bool>>,
    pub mfa_serial: Option<Text>,
    pub session_duration: Option<Text>,
    pub region: Option<Text>,
}

#[derive(Debug, Deserialize)]
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRole {
    pub name: Option<Text>,
    pub role_name: Option<Text>,
    pub arn: Option<Text>,
    pub source: Option<Text>,
    pub via: Option<Text>,
    pub mfa: Option<Spanned<bool>>,
    pub duration: Option<Text>,
    pub external_id: Option<Text>,
    pub read_only: Option<bool>,
    pub region: Option<Text>,
}
