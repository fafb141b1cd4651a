//! What each profile of an AWS config is to switchboard: a role to import (its fields checked
//! the way the inventory will check them), a permission set of an Identity Center sign-in, a
//! source of keys, or something skipped and why.

use std::collections::HashMap;

use super::ini::{ConfigProfile, ParsedConfig};
use super::sso::{self, Sessions, SignIn, SsoRole};
use crate::domain::inventory::{checked_mfa_serial, parse_role_arn};

/// Keys the AWS CLI and SDKs know that mean nothing to an imported inventory: read and passed over.
const IGNORED_KEYS: &[&str] = &[
    "output",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
    "aws_account_id",
    "s3",
    "s3api",
    "cli_pager",
    "cli_timestamp_format",
    "cli_auto_prompt",
    "cli_binary_format",
    "cli_history",
    "cli_follow_urlparam",
    "ca_bundle",
    "parameter_validation",
    "tcp_keepalive",
    "retry_mode",
    "max_attempts",
    "endpoint_url",
    "ignore_configured_endpoint_urls",
    "services",
    "sts_regional_endpoints",
    "use_fips_endpoint",
    "use_dualstack_endpoint",
    "defaults_mode",
    "metadata_service_timeout",
    "metadata_service_num_attempts",
    "ec2_metadata_service_endpoint",
    "ec2_metadata_service_endpoint_mode",
    "ec2_metadata_v1_disabled",
    "account_id_endpoint_mode",
    "disable_request_compression",
    "request_min_compression_size_bytes",
    "sdk_ua_app_id",
    "sigv4a_signing_region_set",
    "request_checksum_calculation",
    "response_checksum_validation",
    "auth_scheme_preference",
];

/// Keys this import reads.
const IMPORTED_KEYS: &[&str] = &[
    "region",
    "role_arn",
    "source_profile",
    "credential_source",
    "mfa_serial",
    "external_id",
    "duration_seconds",
    "role_session_name",
    "credential_process",
    "sso_session",
    "sso_start_url",
    "sso_region",
    "sso_registration_scopes",
    "sso_account_id",
    "sso_role_name",
    "web_identity_token_file",
];

const MIN_DURATION_SECONDS: u64 = 900;
const MAX_DURATION_SECONDS: u64 = 43_200;
const MAX_CHAINED_SECONDS: u64 = 3_600;

/// Something the import could not take as written, with the profile and line it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub profile: Option<String>,
    pub line: usize,
    pub message: String,
}

/// What a role is in its account: an IAM role by ARN, or a permission set of a sign-in.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Arn(String),
    PermissionSet { name: String, sign_in: SignIn },
}

/// A role profile whose chain reaches keys or an Identity Center sign-in.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleProfile {
    pub profile: String,
    pub line: usize,
    pub target: Target,
    pub account_id: String,
    /// The profile of long-term keys at the root of the chain (an Identity Center profile's own name).
    pub root: String,
    /// The role profile this one is assumed from, for a chain.
    pub parent: Option<String>,
    pub depth: usize,
    pub mfa_serial: Option<String>,
    pub external_id: Option<String>,
    pub duration_seconds: Option<u64>,
    pub session_name: Option<String>,
    pub region: Option<String>,
    /// aws-vault's session tags, source identity and mfa_process.
    pub extras: super::vault::VaultExtras,
}

enum Kind {
    /// A role assumed (`role_arn`) with the credentials of `source_profile`.
    Role {
        source_profile: String,
    },
    /// A permission set of an Identity Center sign-in.
    Sso(Box<SsoRole>),
    Keys,
    Skipped(String),
}

enum State {
    Visiting,
    Done(Box<Result<RoleProfile, String>>),
}

pub struct Classified {
    /// Importable role profiles, parents before children, file order otherwise.
    pub roles: Vec<RoleProfile>,
    pub skipped: Vec<Finding>,
    /// Imported, but not exactly as written (a key passed over, a duration cut).
    pub notes: Vec<Finding>,
}

pub fn classify(parsed: &ParsedConfig, sessions: &Sessions) -> Classified {
    let mut notes = Vec::new();
    let by_name: HashMap<&str, &ConfigProfile> =
        parsed.profiles.iter().map(|profile| (profile.name.as_str(), profile)).collect();
    let kinds: HashMap<&str, Kind> = parsed
        .profiles
        .iter()
        .map(|profile| {
            note_unknown_keys(profile, &mut notes);
            (profile.name.as_str(), kind_of(profile, parsed, sessions))
        })
        .collect();
    let mut resolver = Resolver { by_name: &by_name, kinds: &kinds, states: HashMap::new(), notes: &mut notes };
    let mut roles = Vec::new();
    let mut skipped = Vec::new();
    for profile in &parsed.profiles {
        match kinds.get(profile.name.as_str()) {
            Some(Kind::Role { .. }) => match resolver.resolve(&profile.name, &mut Vec::new()) {
                Ok(role) => roles.push(role),
                Err(reason) => {
                    skipped.push(Finding { profile: Some(profile.name.clone()), line: profile.line, message: reason })
                }
            },
            Some(Kind::Sso(role)) => roles.push(resolver.permission_set(profile, role)),
            Some(Kind::Skipped(reason)) => skipped.push(Finding {
                profile: Some(profile.name.clone()),
                line: profile.line,
                message: reason.clone(),
            }),
            _ => {}
        }
    }
    roles.sort_by_key(|role| role.depth);
    Classified { roles, skipped, notes }
}

fn kind_of(profile: &ConfigProfile, parsed: &ParsedConfig, sessions: &Sessions) -> Kind {
    if let Some((line, message)) = &profile.broken {
        return Kind::Skipped(format!("line {line} of the profile could not be read: {message}"));
    }
    if sso::is_sso_profile(profile) {
        // As in the AWS CLI, `role_arn` comes first: the sign-in is then only what a
        // `source_profile` naming this profile would use.
        if profile.get("role_arn").is_none() {
            return match sso::role(profile, parsed, sessions) {
                Ok(role) => Kind::Sso(Box::new(role)),
                Err(reason) => Kind::Skipped(reason),
            };
        }
        if profile.get("source_profile") == Some(profile.name.as_str()) {
            return Kind::Skipped(
                "role_arn with source_profile naming itself on an Identity Center profile: one profile cannot be both the permission set and the role assumed from it; give the sso_* keys a profile of their own and name it in source_profile".to_owned(),
            );
        }
    }
    if profile.get("credential_process").is_some() {
        return Kind::Skipped(
            "its credentials come from credential_process, which switchboard does not run as a source".to_owned(),
        );
    }
    if profile.get("web_identity_token_file").is_some() {
        return Kind::Skipped("a web identity profile: switchboard's sources are long-term keys".to_owned());
    }
    if profile.get("role_arn").is_none() {
        return Kind::Keys;
    }
    if let Some(source) = profile.get("credential_source") {
        return Kind::Skipped(format!(
            "credential_source = {source} (line {}): switchboard assumes roles from a source profile's keys",
            profile.line_of("credential_source")
        ));
    }
    match profile.get("source_profile") {
        Some(source) => Kind::Role { source_profile: source.to_owned() },
        None => Kind::Skipped("role_arn without source_profile: nothing to assume the role with".to_owned()),
    }
}

fn note_unknown_keys(profile: &ConfigProfile, notes: &mut Vec<Finding>) {
    let mut unknown: Vec<(&String, usize)> = profile
        .values
        .iter()
        .filter(|(key, _)| {
            !IMPORTED_KEYS.contains(&key.as_str())
                && !IGNORED_KEYS.contains(&key.as_str())
                && !super::vault::VAULT_KEYS.contains(&key.as_str())
        })
        .map(|(key, (_, line))| (key, *line))
        .collect();
    unknown.sort_by_key(|(_, line)| *line);
    for (key, line) in unknown {
        notes.push(Finding {
            profile: Some(profile.name.clone()),
            line,
            message: format!("unknown key \"{key}\" passed over"),
        });
    }
}

struct Resolver<'a> {
    by_name: &'a HashMap<&'a str, &'a ConfigProfile>,
    kinds: &'a HashMap<&'a str, Kind>,
    states: HashMap<String, State>,
    notes: &'a mut Vec<Finding>,
}

impl Resolver<'_> {
    /// Follows `source_profile` to keys; `path` holds the profiles being resolved, for cycles.
    fn resolve(&mut self, name: &str, path: &mut Vec<String>) -> Result<RoleProfile, String> {
        match self.states.get(name) {
            Some(State::Done(result)) => return result.as_ref().clone(),
            Some(State::Visiting) => {
                let start = path.iter().position(|visited| visited == name).unwrap_or(0);
                let mut cycle: Vec<String> = path[start..].to_vec();
                cycle.push(name.to_owned());
                return Err(format!("source_profile cycle: {}", cycle.join(" → ")));
            }
            None => {}
        }
        self.states.insert(name.to_owned(), State::Visiting);
        path.push(name.to_owned());
        let result = self.resolve_role(name, path);
        path.pop();
        self.states.insert(name.to_owned(), State::Done(Box::new(result.clone())));
        result
    }

    fn resolve_role(&mut self, name: &str, path: &mut Vec<String>) -> Result<RoleProfile, String> {
        let (Some(profile), Some(Kind::Role { source_profile })) = (self.by_name.get(name), self.kinds.get(name))
        else {
            return Err(format!("profile {name} is not a role profile"));
        };
        let (root, parent, depth) = if source_profile == name {
            // A profile may assume its role with its own keys.
            (name.to_owned(), None, 0)
        } else {
            match self.kinds.get(source_profile.as_str()) {
                // Not in the config: its keys are in the credentials file.
                None | Some(Kind::Keys) => (source_profile.clone(), None, 0),
                // Chained from the permission set's session.
                Some(Kind::Sso(_)) => (source_profile.clone(), Some(source_profile.clone()), 1),
                Some(Kind::Skipped(reason)) => {
                    return Err(format!("its source_profile {source_profile} is skipped ({reason})"));
                }
                Some(Kind::Role { .. }) => match self.resolve(source_profile, path) {
                    Ok(parent) => (parent.root, Some(source_profile.clone()), parent.depth + 1),
                    Err(reason) if reason.starts_with("source_profile cycle") => return Err(reason),
                    Err(reason) => return Err(format!("its source_profile {source_profile} is skipped ({reason})")),
                },
            }
        };
        let role_arn = profile.get("role_arn").unwrap_or_default();
        let account_id =
            parse_role_arn(role_arn).map_err(|message| format!("line {}: {message}", profile.line_of("role_arn")))?;
        let mfa_serial = profile.get("mfa_serial").map(str::to_owned);
        if let Some(serial) = &mfa_serial {
            checked_mfa_serial(serial)
                .map_err(|message| format!("line {}: {message}", profile.line_of("mfa_serial")))?;
        }
        let external_id = profile.get("external_id").map(str::to_owned);
        if let Some(id) = &external_id {
            let valid = (2..=1224).contains(&id.len())
                && id.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c));
            if !valid {
                return Err(format!(
                    "line {}: external_id is not 2 to 1224 characters of letters, digits and +=,.@:/-_",
                    profile.line_of("external_id")
                ));
            }
        }
        let chained = parent.is_some();
        let duration_seconds = self.duration(profile, chained);
        let session_name = profile.get("role_session_name").map(str::to_owned).filter(|session| {
            let valid = (2..=64).contains(&session.len())
                && session.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c));
            if !valid {
                self.note(
                    profile,
                    "role_session_name",
                    "role_session_name is not 2 to 64 characters of letters, digits and +=,.@-_: passed over",
                );
            }
            valid
        });
        let region = self.region(profile);
        if sso::is_sso_profile(profile) {
            self.note(
                profile,
                if profile.get("sso_session").is_some() { "sso_session" } else { "sso_start_url" },
                "its Identity Center keys are passed over: role_arn with source_profile comes first, as in the AWS CLI",
            );
        }
        Ok(RoleProfile {
            profile: name.to_owned(),
            line: profile.line,
            target: Target::Arn(role_arn.to_owned()),
            account_id,
            root,
            parent,
            depth,
            mfa_serial,
            external_id,
            duration_seconds,
            session_name,
            region,
            extras: super::vault::extras(profile, self.notes),
        })
    }

    /// An Identity Center profile's role: its permission set, in the account it names.
    fn permission_set(&mut self, profile: &ConfigProfile, role: &SsoRole) -> RoleProfile {
        sso::note_passed_over(profile, self.notes);
        RoleProfile {
            profile: profile.name.clone(),
            line: profile.line,
            target: Target::PermissionSet { name: role.permission_set.clone(), sign_in: role.sign_in.clone() },
            account_id: role.account_id.clone(),
            root: profile.name.clone(),
            parent: None,
            depth: 0,
            mfa_serial: None,
            external_id: None,
            duration_seconds: None,
            session_name: None,
            region: self.region(profile),
            extras: super::vault::VaultExtras::default(),
        }
    }

    fn region(&mut self, profile: &ConfigProfile) -> Option<String> {
        profile.get("region").map(str::to_owned).filter(|region| {
            let valid = is_region(region);
            if !valid {
                self.note(profile, "region", &format!("\"{region}\" is not an AWS region: passed over"));
            }
            valid
        })
    }

    fn duration(&mut self, profile: &ConfigProfile, chained: bool) -> Option<u64> {
        let text = profile.get("duration_seconds")?;
        let Ok(seconds) = text.parse::<u64>() else {
            self.note(
                profile,
                "duration_seconds",
                &format!("duration_seconds \"{text}\" is not a number of seconds: passed over"),
            );
            return None;
        };
        if !(MIN_DURATION_SECONDS..=MAX_DURATION_SECONDS).contains(&seconds) {
            self.note(
                profile,
                "duration_seconds",
                &format!("duration_seconds {seconds} is outside 900..43200: passed over"),
            );
            return None;
        }
        if chained && seconds > MAX_CHAINED_SECONDS {
            self.note(
                profile,
                "duration_seconds",
                &format!("duration_seconds {seconds} is longer than AWS lets a chained role last: imported as 1h"),
            );
            return Some(MAX_CHAINED_SECONDS);
        }
        Some(seconds)
    }

    fn note(&mut self, profile: &ConfigProfile, key: &str, message: &str) {
        self.notes.push(Finding {
            profile: Some(profile.name.clone()),
            line: profile.line_of(key),
            message: message.to_owned(),
        });
    }
}

/// The shape of an AWS region name (`eu-west-1`, `us-gov-west-1`).
pub fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
}
