//! What each profile of an AWS config is to switchboard: a role to import (its fields checked
//! the way the inventory will check them), a permission set of an Identity Center sign-in, a
//! source of keys, or something skipped and why.

use std::borrow::Cow;

use foldhash::{HashMap, HashSet};

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
pub enum Target<'a> {
    Arn(&'a str),
    PermissionSet { name: &'a str, sign_in: Box<SignIn> },
}

/// A role profile whose chain reaches keys or an Identity Center sign-in. Its text is borrowed
/// from the config file's (100,000 profiles of owned strings were most of an import's memory).
#[derive(Debug, Clone, PartialEq)]
pub struct RoleProfile<'a> {
    pub profile: &'a str,
    pub line: usize,
    pub target: Target<'a>,
    pub account_id: &'a str,
    /// The profile of long-term keys at the root of the chain (an Identity Center profile's own name).
    pub root: &'a str,
    /// The role profile this one is assumed from, for a chain.
    pub parent: Option<&'a str>,
    pub depth: usize,
    pub mfa_serial: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub duration_seconds: Option<u64>,
    pub session_name: Option<&'a str>,
    pub region: Option<&'a str>,
    /// aws-vault's session tags, source identity and mfa_process, when it has any.
    pub extras: Option<Box<super::vault::VaultExtras>>,
}

enum Kind<'a> {
    /// A role assumed (`role_arn`) with the credentials of `source_profile`.
    Role {
        source_profile: &'a str,
    },
    /// A permission set of an Identity Center sign-in.
    Sso(Box<SsoRole<'a>>),
    Keys,
    Skipped(String),
}

/// Where a role profile's chain goes, found once per profile: its children need only this.
#[derive(Clone)]
struct Chain<'a> {
    /// The profile of keys (or the permission set) at the root of the chain.
    root: &'a str,
    /// The role profile this one is assumed from.
    parent: Option<&'a str>,
    depth: usize,
    account_id: &'a str,
}

pub struct Classified<'a> {
    /// Importable role profiles, parents before children, file order otherwise.
    pub roles: Vec<RoleProfile<'a>>,
    /// The profiles some role profile is assumed from (`source_profile`).
    pub parents: HashSet<&'a str>,
    pub skipped: Vec<Finding>,
    /// Imported, but not exactly as written (a key passed over, a duration cut).
    pub notes: Vec<Finding>,
}

pub fn classify<'a>(parsed: &ParsedConfig<'a>, sessions: &Sessions) -> Classified<'a> {
    let mut notes = Vec::new();
    // In the order of `parsed.profiles`.
    let kinds: Vec<Kind<'a>> = parsed
        .profiles
        .iter()
        .map(|profile| {
            note_unknown_keys(profile, &mut notes);
            kind_of(profile, parsed, sessions)
        })
        .collect();
    // Only the chains of profiles other roles are assumed from are asked for twice: only they are kept.
    let parents: HashSet<&'a str> = kinds
        .iter()
        .filter_map(|kind| match kind {
            Kind::Role { source_profile } => Some(*source_profile),
            _ => None,
        })
        .collect();
    let mut resolver =
        Resolver { parsed, kinds: &kinds, parents: &parents, chains: HashMap::default(), notes: &mut notes };
    let mut roles =
        Vec::with_capacity(kinds.iter().filter(|kind| matches!(kind, Kind::Role { .. } | Kind::Sso(_))).count());
    let mut skipped = Vec::new();
    let mut path = Vec::new();
    for (profile, kind) in parsed.profiles.iter().zip(&kinds) {
        match kind {
            Kind::Role { .. } => match resolver.resolve(profile.name, &mut path) {
                Ok(chain) => roles.push(resolver.role(profile, chain)),
                Err(reason) => skipped.push(Finding {
                    profile: Some(profile.name.to_owned()),
                    line: profile.line,
                    message: reason,
                }),
            },
            Kind::Sso(role) => roles.push(resolver.permission_set(profile, role)),
            Kind::Skipped(reason) => skipped.push(Finding {
                profile: Some(profile.name.to_owned()),
                line: profile.line,
                message: reason.clone(),
            }),
            Kind::Keys => {}
        }
    }
    roles.sort_by_key(|role| role.depth);
    drop(resolver);
    Classified { roles, parents, skipped, notes }
}

fn kind_of<'a>(profile: &ConfigProfile<'a>, parsed: &ParsedConfig<'_>, sessions: &Sessions) -> Kind<'a> {
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
        if profile.get("source_profile") == Some(profile.name) {
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
        Some(source) => Kind::Role { source_profile: source },
        None => Kind::Skipped("role_arn without source_profile: nothing to assume the role with".to_owned()),
    }
}

fn note_unknown_keys(profile: &ConfigProfile, notes: &mut Vec<Finding>) {
    let mut unknown: Vec<(Cow<'_, str>, usize)> = profile
        .keys()
        .filter(|(key, _)| {
            let key = key.as_ref();
            !IMPORTED_KEYS.contains(&key) && !IGNORED_KEYS.contains(&key) && !super::vault::VAULT_KEYS.contains(&key)
        })
        .collect();
    unknown.sort_by_key(|(_, line)| *line);
    for (key, line) in unknown {
        notes.push(Finding {
            profile: Some(profile.name.to_owned()),
            line,
            message: format!("unknown key \"{key}\" passed over"),
        });
    }
}

struct Resolver<'a, 'p> {
    parsed: &'p ParsedConfig<'a>,
    /// Each profile's kind, in the order of `parsed.profiles`.
    kinds: &'p [Kind<'a>],
    /// The profiles some role profile names in `source_profile`.
    parents: &'p HashSet<&'a str>,
    /// The chains of `parents` found so far.
    chains: HashMap<&'a str, Result<Chain<'a>, String>>,
    notes: &'p mut Vec<Finding>,
}

impl<'a> Resolver<'a, '_> {
    fn kind(&self, name: &str) -> Option<&'_ Kind<'a>> {
        self.parsed.position(name).and_then(|index| self.kinds.get(index))
    }

    /// Follows `source_profile` to keys; `path` holds the profiles being resolved, for cycles.
    /// A chain is found once: a profile other roles are assumed from keeps its own.
    fn resolve(&mut self, name: &str, path: &mut Vec<&'a str>) -> Result<Chain<'a>, String> {
        if let Some(known) = self.chains.get(name) {
            return known.clone();
        }
        if let Some(start) = path.iter().position(|visited| *visited == name) {
            let mut cycle: Vec<&str> = path[start..].to_vec();
            cycle.push(name);
            return Err(format!("source_profile cycle: {}", cycle.join(" → ")));
        }
        let (Some(profile), Some(&Kind::Role { source_profile })) = (self.parsed.profile(name), self.kind(name)) else {
            return Err(format!("profile {name} is not a role profile"));
        };
        let name = profile.name;
        path.push(name);
        let result = self.chain(profile, source_profile, path);
        path.pop();
        if self.parents.contains(name) {
            self.chains.insert(name, result.clone());
        }
        result
    }

    /// The chain of a role profile, and the checks that make it (and every role chained from it) skipped.
    fn chain(
        &mut self,
        profile: &ConfigProfile<'a>,
        source_profile: &'a str,
        path: &mut Vec<&'a str>,
    ) -> Result<Chain<'a>, String> {
        let name = profile.name;
        let (root, parent, depth) = if source_profile == name {
            // A profile may assume its role with its own keys.
            (name, None, 0)
        } else {
            match self.kind(source_profile) {
                // Not in the config: its keys are in the credentials file.
                None | Some(Kind::Keys) => (source_profile, None, 0),
                // Chained from the permission set's session.
                Some(Kind::Sso(_)) => (source_profile, Some(source_profile), 1),
                Some(Kind::Skipped(reason)) => {
                    return Err(format!("its source_profile {source_profile} is skipped ({reason})"));
                }
                Some(Kind::Role { .. }) => match self.resolve(source_profile, path) {
                    Ok(parent) => (parent.root, Some(source_profile), parent.depth + 1),
                    Err(reason) if reason.starts_with("source_profile cycle") => return Err(reason),
                    Err(reason) => return Err(format!("its source_profile {source_profile} is skipped ({reason})")),
                },
            }
        };
        let role_arn = profile.get("role_arn").unwrap_or_default();
        parse_role_arn(role_arn).map_err(|message| format!("line {}: {message}", profile.line_of("role_arn")))?;
        // arn:PARTITION:iam::ACCOUNT:role/NAME, as just checked.
        let account_id = role_arn.split(':').nth(4).unwrap_or_default();
        if let Some(serial) = profile.get("mfa_serial") {
            checked_mfa_serial(serial)
                .map_err(|message| format!("line {}: {message}", profile.line_of("mfa_serial")))?;
        }
        if let Some(id) = profile.get("external_id") {
            let valid = (2..=1224).contains(&id.len())
                && id.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c));
            if !valid {
                return Err(format!(
                    "line {}: external_id is not 2 to 1224 characters of letters, digits and +=,.@:/-_",
                    profile.line_of("external_id")
                ));
            }
        }
        Ok(Chain { root, parent, depth, account_id })
    }

    /// A role profile whose chain resolved, with what it passes over noted (once: this runs once a profile).
    fn role(&mut self, profile: &ConfigProfile<'a>, chain: Chain<'a>) -> RoleProfile<'a> {
        let chained = chain.parent.is_some();
        let duration_seconds = self.duration(profile, chained);
        let session_name = profile.get("role_session_name").filter(|session| {
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
        RoleProfile {
            profile: profile.name,
            line: profile.line,
            target: Target::Arn(profile.get("role_arn").unwrap_or_default()),
            account_id: chain.account_id,
            root: chain.root,
            parent: chain.parent,
            depth: chain.depth,
            mfa_serial: profile.get("mfa_serial"),
            external_id: profile.get("external_id"),
            duration_seconds,
            session_name,
            region,
            extras: super::vault::extras(profile, self.notes),
        }
    }

    /// An Identity Center profile's role: its permission set, in the account it names.
    fn permission_set(&mut self, profile: &ConfigProfile<'a>, role: &SsoRole<'a>) -> RoleProfile<'a> {
        sso::note_passed_over(profile, self.notes);
        RoleProfile {
            profile: profile.name,
            line: profile.line,
            target: Target::PermissionSet { name: role.permission_set, sign_in: Box::new(role.sign_in.clone()) },
            account_id: role.account_id,
            root: profile.name,
            parent: None,
            depth: 0,
            mfa_serial: None,
            external_id: None,
            duration_seconds: None,
            session_name: None,
            region: self.region(profile),
            extras: None,
        }
    }

    fn region(&mut self, profile: &ConfigProfile<'a>) -> Option<&'a str> {
        profile.get("region").filter(|region| {
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
            profile: Some(profile.name.to_owned()),
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
