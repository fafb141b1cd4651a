//! From `RawInventory` to `Inventory`: every rule AWS would otherwise enforce at the
//! worst moment is checked here, and every problem is reported, not just the first.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use super::limits::{check_chains, check_refresh_window};

use toml::Spanned;

use super::fields::{Problems, checked_duration, checked_endpoint, checked_mfa_serial, checked_region, is_plain_name};
use super::raw::{RawAccount, RawDefaults, RawInventory, RawRole, RawSource};
use super::{
    Account, CompactString, Defaults, Inventory, Problem, Role, RoleKey, RoleParent, Source, SourceCredentials,
};
use crate::domain::duration::{format_duration, parse_duration};

pub const MIN_DURATION: Duration = Duration::from_secs(15 * 60);
pub const MAX_ROLE_DURATION: Duration = Duration::from_secs(12 * 3600);
pub const MAX_CHAINED_DURATION: Duration = Duration::from_secs(3600);
const MAX_SESSION_TOKEN_DURATION: Duration = Duration::from_secs(36 * 3600);
const DEFAULT_DURATION: Duration = Duration::from_secs(3600);
const DEFAULT_REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);

pub fn parse(file: &Path, text: &str) -> Result<Inventory, Vec<Problem>> {
    let mut problems = Problems { file, text, found: Vec::new() };
    let raw: RawInventory = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(error) => {
            let span = error.span().unwrap_or(0..0);
            let key = text.get(span.clone()).filter(|found| looks_like_key(found)).unwrap_or("toml");
            problems.at(span, key, error.message().trim().to_owned());
            return Err(problems.found);
        }
    };
    checked(file, text, raw)
}

/// Checks an inventory built in memory as `parse` checks one read from `text`, the text it
/// is written as (every span of `raw` is a place in it, for the problems to point at).
pub fn checked(file: &Path, text: &str, raw: RawInventory) -> Result<Inventory, Vec<Problem>> {
    let mut problems = Problems { file, text, found: Vec::new() };
    let inventory = build(file, raw, &mut problems);
    if problems.found.is_empty() { Ok(inventory) } else { Err(problems.found) }
}

fn looks_like_key(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}

fn build(file: &Path, raw: RawInventory, problems: &mut Problems) -> Inventory {
    let base_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let refresh_span = raw
        .defaults
        .as_ref()
        .and_then(|table| table.get_ref().refresh_before.as_ref().map(Spanned::span))
        .unwrap_or(0..0);
    let defaults = defaults(raw.defaults.map(Spanned::into_inner).unwrap_or_default(), problems);
    let mut sources = BTreeMap::new();
    for (name, raw_source) in raw.sources {
        let span = raw_source.span();
        // Kept even when it has problems, so its roles are not also reported as orphans.
        let source = source(&name, raw_source.into_inner(), span, &base_dir, problems);
        sources.insert(name, source);
    }
    let mut accounts: Vec<Account> = Vec::new();
    let mut seen_accounts = std::collections::HashSet::new();
    let mut pending_roles = Vec::new();
    for raw_account in raw.accounts {
        let span = raw_account.span();
        if let Some((account, roles)) = account(raw_account.into_inner(), span, problems) {
            if !seen_accounts.insert(account.name.clone()) {
                problems.at(
                    roles.name_span.clone(),
                    "accounts.name",
                    format!("account \"{}\" is defined twice", account.name),
                );
            }
            pending_roles.push(roles);
            accounts.push(account);
        }
    }
    let checked_roles = RoleContext::new(&sources, &accounts, &pending_roles, &defaults);
    let roles_by_account: Vec<Vec<Role>> = pending_roles
        .iter()
        .zip(&accounts)
        .map(|(roles, account)| {
            // Sized to what is written: collecting from `filter_map` rounds 5 roles up to room for 8.
            let mut checked = Vec::with_capacity(roles.roles.len());
            checked.extend(roles.roles.iter().filter_map(|role| checked_roles.role(account, role, problems)));
            checked
        })
        .collect();
    for (account, roles) in accounts.iter_mut().zip(roles_by_account) {
        account.roles = roles;
    }
    let ui = super::ui::ui(raw.ui.unwrap_or_default(), problems);
    let inventory = Inventory::new(file.to_path_buf(), defaults, sources, accounts, ui);
    if problems.found.is_empty() {
        check_chains(&inventory, &pending_roles, problems);
    }
    if problems.found.is_empty() {
        check_refresh_window(&inventory, refresh_span, problems);
    }
    inventory
}

fn defaults(raw: RawDefaults, problems: &mut Problems) -> Defaults {
    let region = raw
        .region
        .as_ref()
        .map_or_else(|| "us-east-1".to_owned(), |region| checked_region(region, "defaults.region", problems));
    let duration = raw.duration.as_ref().map_or(DEFAULT_DURATION, |text| {
        checked_duration(
            text,
            "defaults.duration",
            MIN_DURATION,
            MAX_ROLE_DURATION,
            "AssumeRole accepts 15m to 12h",
            problems,
        )
    });
    let refresh_before =
        raw.refresh_before.as_ref().map_or(DEFAULT_REFRESH_BEFORE, |text| match parse_duration(text.get_ref()) {
            Ok(value) => value,
            Err(message) => {
                problems.at(text.span(), "defaults.refresh_before", message);
                DEFAULT_REFRESH_BEFORE
            }
        });
    let endpoint_url = raw.endpoint_url.as_ref().and_then(|url| {
        checked_endpoint(url.get_ref())
            .map_err(|message| problems.at(url.span(), "defaults.endpoint_url", message))
            .ok()
    });
    let session_name =
        raw.session_name.as_ref().and_then(|name| checked_session_name(name, "defaults.session_name", problems));
    let federation_url = raw.federation_url.as_ref().and_then(|url| {
        checked_endpoint(url.get_ref())
            .map_err(|message| problems.at(url.span(), "defaults.federation_url", message))
            .ok()
    });
    Defaults { region, duration, refresh_before, endpoint_url, session_name, federation_url }
}

fn source(name: &str, raw: RawSource, span: Range<usize>, base_dir: &Path, problems: &mut Problems) -> Source {
    let key = |field: &str| format!("sources.{name}.{field}");
    let uses_keyring = raw.keyring.as_ref().is_some_and(|flag| *flag.get_ref());
    let signs_in = raw.sso_start_url.is_some() || raw.sso_region.is_some();
    let sso = super::sso::sso_settings(name, &raw, problems);
    let credentials = match (&raw.profile, uses_keyring) {
        _ if signs_in => sso.map(SourceCredentials::Sso),
        (Some(profile), false) => Some(SourceCredentials::Profile {
            profile: profile.get_ref().clone(),
            credentials_file: raw.credentials_file.as_ref().map(|file| base_dir.join(file.get_ref())),
        }),
        (None, true) => Some(SourceCredentials::Keyring),
        (Some(profile), true) => {
            problems.at(
                profile.span(),
                key("profile"),
                "a source takes keys from a profile or from the keyring, not both: remove `profile` or `keyring`",
            );
            None
        }
        (None, false) => {
            problems.at(
                span.clone(),
                format!("sources.{name}"),
                "the source needs `profile = \"NAME\"`, `keyring = true` or `sso_start_url` + `sso_region`",
            );
            None
        }
    };
    if let (Some(file), true, false) = (&raw.credentials_file, uses_keyring, signs_in) {
        problems.at(file.span(), key("credentials_file"), "credentials_file only applies to a `profile` source");
    }
    let mfa_serial = raw.mfa_serial.as_ref().map(|serial| {
        if let Err(message) = checked_mfa_serial(serial.get_ref()) {
            problems.at(serial.span(), key("mfa_serial"), message);
        }
        serial.get_ref().clone()
    });
    let session_duration = raw.session_duration.as_ref().map(|text| {
        if raw.mfa_serial.is_none() {
            problems.at(
                text.span(),
                key("session_duration"),
                "session_duration sets the length of the MFA session and needs `mfa_serial`",
            );
        }
        checked_duration(
            text,
            &key("session_duration"),
            MIN_DURATION,
            MAX_SESSION_TOKEN_DURATION,
            "GetSessionToken accepts 15m to 36h",
            problems,
        )
    });
    let region = raw.region.as_ref().map(|region| checked_region(region, &key("region"), problems));
    let mfa_command = raw.mfa_command.as_ref().and_then(|command| {
        super::session::checked_mfa_command(command, raw.mfa_serial.is_some(), &key("mfa_command"), problems)
    });
    if !is_plain_name(name) {
        problems.at(span, format!("sources.{name}"), "a source name is letters, digits, '-' and '_'");
    }
    Source {
        name: name.to_owned(),
        credentials: credentials.unwrap_or(SourceCredentials::Keyring),
        mfa_serial,
        session_duration,
        region,
        mfa_command,
    }
}

/// An account's roles wait until every account is known, so `via` can point forward.
pub(super) struct PendingRoles {
    pub(super) name_span: Range<usize>,
    pub(super) roles: Vec<Spanned<RawRole>>,
}

fn account(raw: RawAccount, span: Range<usize>, problems: &mut Problems) -> Option<(Account, PendingRoles)> {
    let Some(name) = raw.name else {
        problems.at(span, "accounts.name", "every account needs a `name`");
        return None;
    };
    if !is_plain_name(name.get_ref()) {
        problems.at(
            name.span(),
            "accounts.name",
            format!(
                "\"{}\" is not a usable account name: use letters, digits, '-', '_' and '.' (no '/' or spaces)",
                name.get_ref()
            ),
        );
    }
    let label = format!("accounts[{}]", name.get_ref());
    let id = match &raw.id {
        Some(id) if id.get_ref().len() == 12 && id.get_ref().chars().all(|c| c.is_ascii_digit()) => {
            id.get_ref().clone()
        }
        Some(id) => {
            problems.at(
                id.span(),
                format!("{label}.id"),
                format!(
                    "\"{}\" is not an AWS account id: it must be exactly 12 digits (quote it to keep leading zeros)",
                    id.get_ref()
                ),
            );
            String::new()
        }
        None => {
            problems.at(name.span(), format!("{label}.id"), "the account needs its 12-digit `id`");
            String::new()
        }
    };
    let region = raw.region.as_ref().map(|region| checked_region(region, &format!("{label}.region"), problems));
    let account = Account {
        name: name.get_ref().as_str().into(),
        id: id.into(),
        environment: raw.environment.map(Spanned::into_inner),
        tags: raw.tags,
        region,
        roles: Vec::new(),
    };
    Some((account, PendingRoles { name_span: name.span(), roles: raw.roles }))
}

struct RoleContext<'a> {
    sources: &'a BTreeMap<String, Source>,
    pending: &'a [PendingRoles],
    defaults: &'a Defaults,
    /// Each account's place in `pending` by name (the first, when a name is given twice),
    /// and every `ACCOUNT/ROLE` written: found in constant time, so validating 100,000
    /// roles is linear (scanning every account for every role was quadratic).
    account_at: std::collections::HashMap<&'a str, usize>,
    roles: std::collections::HashSet<(&'a str, &'a str)>,
}

impl<'a> RoleContext<'a> {
    fn new(
        sources: &'a BTreeMap<String, Source>,
        accounts: &'a [Account],
        pending: &'a [PendingRoles],
        defaults: &'a Defaults,
    ) -> Self {
        let mut account_at = std::collections::HashMap::with_capacity(accounts.len());
        let mut roles = std::collections::HashSet::new();
        for (at, (account, written)) in accounts.iter().zip(pending).enumerate() {
            account_at.entry(account.name.as_str()).or_insert(at);
            for role in &written.roles {
                if let Some(name) = &role.get_ref().name {
                    roles.insert((account.name.as_str(), name.get_ref().as_str()));
                }
            }
        }
        Self { sources, pending, defaults, account_at, roles }
    }

    fn role_exists(&self, key: &RoleKey) -> bool {
        self.roles.contains(&(key.account.as_str(), key.role.as_str()))
    }

    fn role(&self, account: &Account, spanned: &Spanned<RawRole>, problems: &mut Problems) -> Option<Role> {
        let raw = spanned.get_ref();
        let before = problems.found.len();
        let Some(name) = &raw.name else {
            problems.at(spanned.span(), format!("accounts[{}].roles.name", account.name), "every role needs a `name`");
            return None;
        };
        let label = format!("accounts[{}].roles[{}]", account.name, name.get_ref());
        let key = |field: &str| format!("{label}.{field}");
        if !is_plain_name(name.get_ref()) {
            problems.at(
                name.span(),
                key("name"),
                format!(
                    "\"{}\" is not a usable role name: use letters, digits, '-', '_' and '.' (no '/' or spaces)",
                    name.get_ref()
                ),
            );
        }
        let pending = self.account_at.get(account.name.as_str()).map(|at| &self.pending[*at]);
        let twins = pending.map_or(0, |pending| {
            pending
                .roles
                .iter()
                .filter(|other| other.get_ref().name.as_ref().is_some_and(|other| other.get_ref() == name.get_ref()))
                .count()
        });
        let is_first = pending
            .and_then(|pending| {
                pending
                    .roles
                    .iter()
                    .find(|other| other.get_ref().name.as_ref().is_some_and(|other| other.get_ref() == name.get_ref()))
            })
            .is_some_and(|first| first.span() == spanned.span());
        if twins > 1 && !is_first {
            problems.at(
                name.span(),
                key("name"),
                format!("account {} already has a role named \"{}\"", account.name, name.get_ref()),
            );
        }
        let signs_in = raw.source.as_ref().and_then(|source| {
            self.sources.get(source.get_ref()).and_then(|found| found.sso()).map(|_| source.get_ref().as_str())
        });
        let (arn, permission_set) = super::sso::role_target(account, raw, name, signs_in, &key, problems);
        let parent = match (&raw.source, &raw.via) {
            (Some(source), None) => {
                if !self.sources.contains_key(source.get_ref()) {
                    let known: Vec<&str> = self.sources.keys().map(String::as_str).collect();
                    problems.at(
                        source.span(),
                        key("source"),
                        format!(
                            "there is no source \"{}\" (defined: {})",
                            source.get_ref(),
                            if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                        ),
                    );
                }
                Some(RoleParent::Source(source.get_ref().as_str().into()))
            }
            (None, Some(via)) => match via.get_ref().parse::<RoleKey>() {
                Ok(parent) if !self.role_exists(&parent) => {
                    problems.at(via.span(), key("via"), format!("there is no role {parent} to chain from"));
                    None
                }
                Ok(parent) => Some(RoleParent::Via(parent)),
                Err(message) => {
                    problems.at(via.span(), key("via"), message);
                    None
                }
            },
            (Some(source), Some(_)) => {
                problems.at(
                    source.span(),
                    key("source"),
                    "give either `source` (keys of a source) or `via` (another role's session), not both",
                );
                None
            }
            (None, None) => {
                problems.at(
                    name.span(),
                    key("source"),
                    "the role needs `source = \"SOURCE\"` or `via = \"ACCOUNT/ROLE\"`",
                );
                None
            }
        };
        let chained = matches!(parent, Some(RoleParent::Via(_)));
        let duration = raw.duration.as_ref().map(|text| {
            let value = checked_duration(
                text,
                &key("duration"),
                MIN_DURATION,
                MAX_ROLE_DURATION,
                "AssumeRole accepts 15m to 12h",
                problems,
            );
            if chained && value > MAX_CHAINED_DURATION {
                problems.at(
                    text.span(),
                    key("duration"),
                    format!(
                        "{} is too long for a chained role: AWS caps a role assumed from another role's session at 1h",
                        format_duration(value)
                    ),
                );
            }
            value
        });
        if let (Some(mfa), Some(RoleParent::Source(source_name))) = (&raw.mfa, &parent) {
            let has_device = self.sources.get(source_name.as_str()).is_some_and(|source| source.mfa_serial.is_some());
            if *mfa.get_ref() && !has_device && self.sources.contains_key(source_name.as_str()) {
                problems.at(
                    mfa.span(),
                    key("mfa"),
                    format!("mfa = true needs an MFA device: set `mfa_serial` on source \"{source_name}\""),
                );
            }
        }
        if let Some(external_id) = &raw.external_id {
            let text = external_id.get_ref();
            let valid = (2..=1224).contains(&text.len())
                && text.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c));
            if !valid {
                problems.at(
                    external_id.span(),
                    key("external_id"),
                    "an external id is 2 to 1224 characters of letters, digits and +=,.@:/-_",
                );
            }
        }
        let region = match &raw.region {
            Some(region) => checked_region(region, &key("region"), problems),
            None => account.region.clone().unwrap_or_else(|| self.defaults.region.clone()),
        };
        let session_name =
            raw.session_name.as_ref().and_then(|name| checked_session_name(name, &key("session_name"), problems));
        let session = super::session::checked_attributes(
            raw.session_tags.as_deref(),
            raw.transitive_tag_keys.as_deref(),
            raw.source_identity.as_deref(),
            &label,
            problems,
        );
        (problems.found.len() == before).then(|| Role {
            key: RoleKey { account: account.name.clone(), role: name.get_ref().as_str().into() },
            account_id: account.id.clone(),
            arn,
            permission_set,
            parent: parent.unwrap_or_else(|| RoleParent::Source(CompactString::default())),
            mfa: raw.mfa.as_ref().is_some_and(|mfa| *mfa.get_ref()),
            duration,
            external_id: raw.external_id.as_ref().map(|id| id.get_ref().clone()),
            read_only: raw.read_only.unwrap_or(false),
            region: region.into(),
            session_name,
            session: Role::boxed_session(session),
        })
    }
}

fn checked_session_name(name: &Spanned<String>, key: &str, problems: &mut Problems) -> Option<String> {
    super::session::checked_template(name, key, "a role session name", problems)
}
