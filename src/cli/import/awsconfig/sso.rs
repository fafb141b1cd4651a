//! Identity Center in an AWS config: each `[sso-session NAME]` section is a sign-in (a source
//! of the inventory), and so is each distinct `sso_start_url` + `sso_region` written in profiles
//! of the legacy form; a profile naming an account (`sso_account_id`) and a role
//! (`sso_role_name`) of a sign-in is a `permission_set` role. What the AWS CLI would refuse (a
//! profile contradicting its session, a session without a start URL) is skipped with why.

use std::borrow::Cow;
use std::collections::HashMap;

use super::ini::{ConfigProfile, ParsedConfig};
use super::profiles::{Finding, is_region};

/// The scope switchboard asks for when `sso_scopes` is not written: it gives a refresh token.
pub const DEFAULT_SCOPE: &str = "sso:account:access";

/// The keys a profile and its session may both hold: they must agree.
const SHARED_KEYS: &[&str] = &["sso_start_url", "sso_region", "sso_registration_scopes"];

/// Keys a session section holds.
const SESSION_KEYS: &[&str] = SHARED_KEYS;

/// Keys of a role assumed with `role_arn` that an Identity Center role has no use for.
const NOT_FOR_PERMISSION_SETS: &[&str] = &[
    "source_profile",
    "mfa_serial",
    "external_id",
    "duration_seconds",
    "role_session_name",
    "session_tags",
    "transitive_session_tags",
    "source_identity",
    "mfa_process",
];

/// Which sign-in a profile uses: a session by name, or the start URL and region written in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SignIn {
    Session(String),
    Legacy { start_url: String, region: String },
}

/// A sign-in as the inventory's source writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct SsoSource {
    pub start_url: String,
    pub region: String,
    /// `None`: the default scope.
    pub scopes: Option<Vec<String>>,
    /// Where it was written: `[sso-session corp]` or the first profile of a legacy start URL.
    pub origin: String,
    pub line: usize,
}

/// The usable `[sso-session]` sections, and why each other one is not.
#[derive(Debug, Default)]
pub struct Sessions {
    /// In file order.
    pub usable: Vec<(String, SsoSource)>,
    refused: HashMap<String, String>,
}

/// A profile's permission set: its account, its role and the sign-in that reaches it.
#[derive(Debug, Clone, PartialEq)]
pub struct SsoRole<'a> {
    pub sign_in: SignIn,
    pub account_id: &'a str,
    pub permission_set: &'a str,
}

/// Whether a profile signs in through Identity Center (with `sso_session` or a start URL).
pub fn is_sso_profile(profile: &ConfigProfile) -> bool {
    profile.get("sso_session").is_some() || profile.get("sso_start_url").is_some()
}

/// Reads every `[sso-session]` section; one that cannot be used is listed in `skipped`.
pub fn sessions(parsed: &ParsedConfig, skipped: &mut Vec<Finding>, notes: &mut Vec<Finding>) -> Sessions {
    let mut sessions = Sessions::default();
    for section in &parsed.sso_sessions {
        note_unknown_keys(section, notes);
        match session(section) {
            Ok(source) => sessions.usable.push((section.name.to_owned(), source)),
            Err(reason) => {
                skipped.push(Finding {
                    profile: None,
                    line: section.line,
                    message: format!("sso-session {}: {reason}", section.name),
                });
                sessions.refused.insert(section.name.to_owned(), reason);
            }
        }
    }
    sessions
}

fn session(section: &ConfigProfile) -> Result<SsoSource, String> {
    if let Some((line, message)) = &section.broken {
        return Err(format!("line {line} of the section could not be read: {message}"));
    }
    let (start_url, region) = match (section.get("sso_start_url"), section.get("sso_region")) {
        (Some(url), Some(region)) => (url, region),
        (None, _) => return Err("it has no sso_start_url: the address of your AWS access portal".to_owned()),
        (_, None) => return Err("it has no sso_region: the region of your Identity Center".to_owned()),
    };
    checked_start_url(start_url, section.line_of("sso_start_url"))?;
    checked_region(region, section.line_of("sso_region"))?;
    let scopes = match section.get("sso_registration_scopes") {
        Some(text) => scopes(text, section.line_of("sso_registration_scopes"))?,
        None => None,
    };
    Ok(SsoSource {
        start_url: start_url.to_owned(),
        region: region.to_owned(),
        scopes,
        origin: format!("[sso-session {}]", section.name),
        line: section.line,
    })
}

/// `a, b` → `Some([a, b])`, `None` when it is just the default scope.
fn scopes(text: &str, line: usize) -> Result<Option<Vec<String>>, String> {
    let scopes: Vec<String> = scope_list(text).into_iter().map(str::to_owned).collect();
    if scopes.iter().any(|scope| !scope.chars().all(|c| c.is_ascii_graphic())) {
        return Err(format!("line {line}: sso_registration_scopes is not a comma-separated list of scopes"));
    }
    let default = scopes.is_empty() || scopes.iter().all(|scope| scope == DEFAULT_SCOPE);
    Ok((!default).then_some(scopes))
}

fn scope_list(text: &str) -> Vec<&str> {
    text.split(',').map(str::trim).filter(|scope| !scope.is_empty()).collect()
}

/// What the profile's permission set is, or why it cannot be imported.
pub fn role<'a>(
    profile: &ConfigProfile<'a>,
    parsed: &ParsedConfig<'_>,
    sessions: &Sessions,
) -> Result<SsoRole<'a>, String> {
    let sign_in = match profile.get("sso_session") {
        Some(name) => {
            let line = profile.line_of("sso_session");
            let Some(section) = parsed.sso_session(name) else {
                return Err(format!(
                    "sso_session = {name} (line {line}): there is no [sso-session {name}] section, so its Identity Center (SSO) sign-in is unknown"
                ));
            };
            if let Some(reason) = sessions.refused.get(name) {
                return Err(format!("its sso-session {name} is not imported ({reason})"));
            }
            agrees_with_session(profile, section)?;
            SignIn::Session(name.to_owned())
        }
        None => legacy(profile)?,
    };
    let (account_id, role_name) = match (profile.get("sso_account_id"), profile.get("sso_role_name")) {
        (Some(account), Some(role)) => (account, role),
        (None, None) => {
            return Err(
                "an Identity Center profile without sso_account_id and sso_role_name only signs in: it names no role"
                    .to_owned(),
            );
        }
        (None, Some(_)) => return Err("sso_role_name without sso_account_id: the role's account is unknown".to_owned()),
        (Some(_), None) => return Err("sso_account_id without sso_role_name: the role is unknown".to_owned()),
    };
    if account_id.len() != 12 || !account_id.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "line {}: sso_account_id \"{account_id}\" is not an AWS account id (12 digits)",
            profile.line_of("sso_account_id")
        ));
    }
    let valid_name =
        role_name.len() <= 32 && role_name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c));
    if !valid_name {
        return Err(format!(
            "line {}: sso_role_name \"{role_name}\" is not a permission set name",
            profile.line_of("sso_role_name")
        ));
    }
    Ok(SsoRole { sign_in, account_id, permission_set: role_name })
}

/// The AWS CLI refuses a profile whose `sso_start_url` or `sso_region` is not its session's.
fn agrees_with_session(profile: &ConfigProfile, section: &ConfigProfile) -> Result<(), String> {
    for key in SHARED_KEYS {
        let (Some(own), Some(theirs)) = (profile.get(key), section.get(key)) else { continue };
        let same =
            if *key == "sso_registration_scopes" { scope_list(own) == scope_list(theirs) } else { own == theirs };
        if !same {
            return Err(format!(
                "{key} = {own} (line {}) is not the {key} of [sso-session {}] ({theirs}, line {}): the AWS CLI refuses a profile that contradicts its session",
                profile.line_of(key),
                section.name,
                section.line_of(key)
            ));
        }
    }
    Ok(())
}

/// The legacy form: the start URL and region written in the profile itself.
fn legacy(profile: &ConfigProfile) -> Result<SignIn, String> {
    let (Some(start_url), Some(region)) = (profile.get("sso_start_url"), profile.get("sso_region")) else {
        return Err(format!(
            "sso_start_url without sso_region (line {}): the region of the Identity Center is needed",
            profile.line_of("sso_start_url")
        ));
    };
    checked_start_url(start_url, profile.line_of("sso_start_url"))?;
    checked_region(region, profile.line_of("sso_region"))?;
    Ok(SignIn::Legacy { start_url: start_url.to_owned(), region: region.to_owned() })
}

/// The source a legacy sign-in becomes, first written in `profile`.
pub fn legacy_source(start_url: &str, region: &str, profile: &ConfigProfile) -> SsoSource {
    SsoSource {
        start_url: start_url.to_owned(),
        region: region.to_owned(),
        scopes: None,
        origin: format!("sso_start_url of profile {}", profile.name),
        line: profile.line_of("sso_start_url"),
    }
}

/// The name a legacy sign-in's source wants: the portal's own (`corp` of
/// `https://corp.awsapps.com/start`), else the profile's.
pub fn legacy_name<'a>(start_url: &'a str, profile: &'a str) -> &'a str {
    host(start_url)
        .and_then(|host| host.strip_suffix(".awsapps.com"))
        .filter(|label| !label.is_empty() && !label.contains('.') && *label != "start")
        .unwrap_or(profile)
}

/// Notes each key of an Identity Center profile that a permission set does not use.
pub fn note_passed_over(profile: &ConfigProfile, notes: &mut Vec<Finding>) {
    let mut keys: Vec<(&str, usize)> = NOT_FOR_PERMISSION_SETS
        .iter()
        .filter(|key| profile.get(key).is_some())
        .map(|key| (*key, profile.line_of(key)))
        .collect();
    keys.sort_by_key(|(_, line)| *line);
    for (key, line) in keys {
        notes.push(Finding {
            profile: Some(profile.name.to_owned()),
            line,
            message: format!("{key} does not apply to an Identity Center role (a permission set): passed over"),
        });
    }
}

fn note_unknown_keys(section: &ConfigProfile, notes: &mut Vec<Finding>) {
    let mut unknown: Vec<(Cow<'_, str>, usize)> =
        section.keys().filter(|(key, _)| !SESSION_KEYS.contains(&key.as_ref())).collect();
    unknown.sort_by_key(|(_, line)| *line);
    for (key, line) in unknown {
        notes.push(Finding {
            profile: None,
            line,
            message: format!("sso-session {}: unknown key \"{key}\" passed over", section.name),
        });
    }
}

fn host(url: &str) -> Option<&str> {
    url.strip_prefix("https://").map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default())
}

/// As the inventory checks it: the https:// address of the access portal.
fn checked_start_url(url: &str, line: usize) -> Result<(), String> {
    match host(url) {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(()),
        _ => Err(format!("line {line}: sso_start_url \"{url}\" is not the https:// address of an AWS access portal")),
    }
}

fn checked_region(region: &str, line: usize) -> Result<(), String> {
    if is_region(region) { Ok(()) } else { Err(format!("line {line}: sso_region \"{region}\" is not an AWS region")) }
}
