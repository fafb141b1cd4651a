//! From classified profiles to inventory entries: sources per key profile (and MFA device) and
//! per Identity Center sign-in, accounts grouped by account id, roles named from their
//! profiles, chains as `via`.
//!
//! Names are predictable: an account is named after the prefix its profiles share up to a
//! separator (`prod-admin`, `prod-ro` → `prod` with roles `admin`, `ro`), else its account id;
//! characters an inventory name cannot hold become `-`; a name already taken gets `-2`, `-3`...
//! in file order (accounts: `-ACCOUNT_ID`).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::ini::ParsedConfig;
use super::profiles::{Finding, RoleProfile, Target};
use super::sso::{self, Sessions, SignIn, SsoSource};

#[derive(Debug, Clone, PartialEq)]
pub struct SourceEntry {
    pub name: String,
    pub profile: String,
    pub mfa_serial: Option<String>,
    /// aws-vault's `mfa_process` of a role using this source's device.
    pub mfa_command: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleEntry {
    pub name: String,
    pub profile: String,
    pub line: usize,
    pub target: Target,
    pub parent: Parent,
    pub mfa: bool,
    pub duration_seconds: Option<u64>,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
    pub region: Option<String>,
    pub extras: super::vault::VaultExtras,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Parent {
    Source(String),
    /// `ACCOUNT/ROLE` of the role this one is chained from.
    Via(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccountEntry {
    pub name: String,
    pub id: String,
    pub roles: Vec<RoleEntry>,
}

#[derive(Debug, Default)]
pub struct Entries {
    pub region: Option<String>,
    pub sources: Vec<SourceEntry>,
    /// Identity Center sources: name and sign-in.
    pub sign_ins: Vec<(String, SsoSource)>,
    pub accounts: Vec<AccountEntry>,
    /// Profile name → `ACCOUNT/ROLE`.
    pub addresses: HashMap<String, String>,
}

pub fn convert(
    parsed: &ParsedConfig,
    sessions: &Sessions,
    roles: Vec<RoleProfile>,
    skipped: &mut Vec<Finding>,
    notes: &mut Vec<Finding>,
) -> Entries {
    let mut sources = SourceNames::default();
    // Sessions first: a session's name is what the AWS CLI knows it by.
    for (name, session) in &sessions.usable {
        sources.add_session(name, session, notes);
    }
    // Role profile → the name of the source at the root of its chain.
    let mut root_source_of: HashMap<String, String> = HashMap::new();
    let mut placed: Vec<(RoleProfile, Parent, bool)> = Vec::new();
    for role in roles {
        let parent_source = role.parent.as_ref().and_then(|parent| root_source_of.get(parent).cloned());
        if let (None, Target::PermissionSet { sign_in, .. }) = (&role.parent, &role.target) {
            match sources.for_sign_in(sign_in, sessions, parsed, &role.profile, notes) {
                Some(name) => {
                    root_source_of.insert(role.profile.clone(), name.clone());
                    placed.push((role, Parent::Source(name), false));
                }
                None => skipped.push(finding(&role, "its Identity Center sign-in is not imported".to_owned())),
            }
            continue;
        }
        let (parent, source_name, source_serial) = match (&role.parent, parent_source) {
            (None, _) => {
                let own_serial = parsed.profile(&role.root).and_then(|profile| profile.get("mfa_serial"));
                let (name, serial) = sources.for_role(&role.root, own_serial, role.mfa_serial.as_deref());
                (Parent::Source(name.clone()), name, serial)
            }
            (Some(parent), Some(name)) => {
                let serial = sources.serial_of(&name);
                (Parent::Via(parent.clone()), name, serial)
            }
            (Some(parent), None) => {
                skipped.push(finding(&role, format!("its source_profile {parent} is skipped")));
                continue;
            }
        };
        let mfa = role.mfa_serial.is_some();
        if mfa && sources.signs_in(&source_name) {
            skipped.push(finding(
                &role,
                "mfa_serial on a role chained from an Identity Center role: the sign-in is the chain's MFA, and switchboard sends codes only from the device of a source of keys".to_owned(),
            ));
            continue;
        }
        if mfa && role.mfa_serial != source_serial {
            skipped.push(finding(
                &role,
                format!(
                    "mfa_serial {} differs from the device of the chain's source ({}): switchboard sends a chain's codes from its source's one device",
                    role.mfa_serial.as_deref().unwrap_or_default(),
                    source_serial.as_deref().unwrap_or("none")
                ),
            ));
            continue;
        }
        if let (true, Some(process)) = (mfa, &role.extras.mfa_process) {
            sources.set_mfa_command(&source_name, process);
        }
        root_source_of.insert(role.profile.clone(), source_name);
        placed.push((role, parent, mfa));
    }
    let region = default_region(parsed, &placed);
    let accounts = group_accounts(placed, region.as_deref());
    let addresses = addresses(&accounts);
    let accounts = accounts
        .into_iter()
        .map(|mut account| {
            for role in &mut account.roles {
                if let Parent::Via(profile) = &role.parent {
                    role.parent = Parent::Via(addresses.get(profile).cloned().unwrap_or_default());
                }
            }
            account
        })
        .collect();
    Entries { region, sources: sources.entries, sign_ins: sources.sign_ins, accounts, addresses }
}

fn finding(role: &RoleProfile, message: String) -> Finding {
    Finding { profile: Some(role.profile.clone()), line: role.line, message }
}

#[derive(Default)]
struct SourceNames {
    entries: Vec<SourceEntry>,
    taken: HashSet<String>,
    /// Key profile → indexes into `entries`, first one first.
    of_profile: HashMap<String, Vec<usize>>,
    sign_ins: Vec<(String, SsoSource)>,
    /// Sign-in → the name of its source.
    of_sign_in: HashMap<SignIn, String>,
}

impl SourceNames {
    /// A source for an `[sso-session]`, named after it (made valid and unique, and said so).
    fn add_session(&mut self, session: &str, source: &SsoSource, notes: &mut Vec<Finding>) {
        let name = unique(&plain_name(session), &mut self.taken);
        if name != session {
            notes.push(Finding {
                profile: None,
                line: source.line,
                message: format!(
                    "sso-session {session} is source {name}: a source name is letters, digits, '-', '_' and '.', and unique"
                ),
            });
        }
        self.of_sign_in.insert(SignIn::Session(session.to_owned()), name.clone());
        self.sign_ins.push((name, source.clone()));
    }

    /// The source of a sign-in. A legacy start URL and region get one source, shared with a
    /// session of the same start URL and region if there is one.
    fn for_sign_in(
        &mut self,
        sign_in: &SignIn,
        sessions: &Sessions,
        parsed: &ParsedConfig,
        profile: &str,
        notes: &mut Vec<Finding>,
    ) -> Option<String> {
        if let Some(name) = self.of_sign_in.get(sign_in) {
            return Some(name.clone());
        }
        let SignIn::Legacy { start_url, region } = sign_in else { return None };
        let config = parsed.profile(profile)?;
        let same =
            sessions.usable.iter().find(|(_, session)| session.start_url == *start_url && session.region == *region);
        let name = match same.and_then(|(session, _)| self.of_sign_in.get(&SignIn::Session(session.clone()))) {
            Some(name) => {
                notes.push(Finding {
                    profile: Some(profile.to_owned()),
                    line: config.line_of("sso_start_url"),
                    message: format!(
                        "sso_start_url and sso_region are those of an sso-session: source {name} signs in for both"
                    ),
                });
                name.clone()
            }
            None => {
                let name = unique(&plain_name(sso::legacy_name(start_url, profile)), &mut self.taken);
                self.sign_ins.push((name.clone(), sso::legacy_source(start_url, region, config)));
                name
            }
        };
        self.of_sign_in.insert(sign_in.clone(), name.clone());
        Some(name)
    }

    fn signs_in(&self, name: &str) -> bool {
        self.sign_ins.iter().any(|(known, _)| known == name)
    }

    /// The first `mfa_process` seen for a source's device becomes its `mfa_command`.
    fn set_mfa_command(&mut self, name: &str, command: &str) {
        if let Some(entry) = self.entries.iter_mut().find(|entry| entry.name == name && entry.mfa_command.is_none()) {
            entry.mfa_command = Some(command.to_owned());
        }
    }

    fn serial_of(&self, name: &str) -> Option<String> {
        self.entries.iter().find(|entry| entry.name == name).and_then(|entry| entry.mfa_serial.clone())
    }

    /// The source for a role assumed with `profile`'s keys: the profile's first source takes the
    /// first MFA device seen (its own `mfa_serial` first); another device gets a source of its own.
    fn for_role(
        &mut self,
        profile: &str,
        own_serial: Option<&str>,
        role_serial: Option<&str>,
    ) -> (String, Option<String>) {
        let existing = self.of_profile.get(profile).cloned().unwrap_or_default();
        for index in &existing {
            if let Some(entry) = self.entries.get_mut(*index) {
                if entry.mfa_serial.is_none() && existing.len() == 1 {
                    entry.mfa_serial = role_serial.map(str::to_owned);
                }
                if role_serial.is_none() || entry.mfa_serial.as_deref() == role_serial {
                    return (entry.name.clone(), entry.mfa_serial.clone());
                }
            }
        }
        let base = plain_name(profile);
        let wanted = if existing.is_empty() { base } else { format!("{base}-mfa{}", existing.len() + 1) };
        let name = unique(&wanted, &mut self.taken);
        let serial = if existing.is_empty() { own_serial.or(role_serial) } else { role_serial };
        self.entries.push(SourceEntry {
            name: name.clone(),
            profile: profile.to_owned(),
            mfa_serial: serial.map(str::to_owned),
            mfa_command: None,
        });
        self.of_profile.entry(profile.to_owned()).or_default().push(self.entries.len() - 1);
        (name, serial.map(str::to_owned))
    }
}

/// `[default]`'s region, else the one most roles use (the first of a tie).
fn default_region(parsed: &ParsedConfig, placed: &[(RoleProfile, Parent, bool)]) -> Option<String> {
    if let Some(region) = parsed
        .profile("default")
        .and_then(|profile| profile.get("region"))
        .filter(|region| super::profiles::is_region(region))
    {
        return Some(region.to_owned());
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for (role, _, _) in placed {
        if let Some(region) = &role.region {
            match counts.iter_mut().find(|(known, _)| known == region) {
                Some((_, count)) => *count += 1,
                None => counts.push((region, 1)),
            }
        }
    }
    let best = counts.iter().map(|(_, count)| *count).max()?;
    counts.into_iter().find(|(_, count)| *count == best).map(|(region, _)| region.to_owned())
}

fn group_accounts(placed: Vec<(RoleProfile, Parent, bool)>, default_region: Option<&str>) -> Vec<AccountEntry> {
    let mut order: Vec<String> = Vec::new();
    let mut by_id: HashMap<String, Vec<(RoleProfile, Parent, bool)>> = HashMap::new();
    for entry in placed {
        let id = entry.0.account_id.clone();
        if !by_id.contains_key(&id) {
            order.push(id.clone());
        }
        by_id.entry(id).or_default().push(entry);
    }
    let mut taken = HashSet::new();
    let mut accounts = Vec::new();
    for id in order {
        let mut members = by_id.remove(&id).unwrap_or_default();
        // File order within an account reads best; parents-first order mattered only above.
        members.sort_by_key(|(role, _, _)| role.line);
        let names: Vec<&str> = members.iter().map(|(role, _, _)| role.profile.as_str()).collect();
        let prefix: Option<String> = shared_prefix(&names).map(str::to_owned);
        let wanted = prefix.as_deref().map_or_else(|| id.clone(), plain_name);
        let name = if taken.contains(&wanted) {
            unique(&format!("{wanted}-{id}"), &mut taken)
        } else {
            unique(&wanted, &mut taken)
        };
        let mut role_names = HashSet::new();
        let roles = members
            .into_iter()
            .map(|(role, parent, mfa)| {
                let short = prefix.as_deref().map_or(role.profile.as_str(), |prefix| &role.profile[prefix.len() + 1..]);
                RoleEntry {
                    name: unique(&plain_name(short), &mut role_names),
                    region: role.region.clone().filter(|region| Some(region.as_str()) != default_region),
                    profile: role.profile,
                    line: role.line,
                    target: role.target,
                    parent,
                    mfa,
                    duration_seconds: role.duration_seconds,
                    external_id: role.external_id,
                    session_name: role.session_name,
                    extras: role.extras,
                }
            })
            .collect();
        accounts.push(AccountEntry { name, id, roles });
    }
    accounts
}

fn addresses(accounts: &[AccountEntry]) -> HashMap<String, String> {
    accounts
        .iter()
        .flat_map(|account| {
            account.roles.iter().map(move |role| (role.profile.clone(), format!("{}/{}", account.name, role.name)))
        })
        .collect()
}

/// The prefix every name shares up to a separator, when each name goes on past it.
fn shared_prefix<'a>(names: &[&'a str]) -> Option<&'a str> {
    let first = *names.first()?;
    let mut length = first.len();
    for name in &names[1..] {
        length = first.bytes().zip(name.bytes()).take(length).take_while(|(a, b)| a == b).count();
    }
    let cut = first[..length].rfind(['-', '_', '.', ' ', '/', ':', '@'])?;
    let prefix = &first[..cut];
    let usable = !prefix.is_empty() && names.iter().all(|name| name.len() > cut + 1);
    usable.then_some(prefix)
}

/// What an inventory name may hold: letters, digits, `-`, `_`, `.`.
fn plain_name(text: &str) -> String {
    let cleaned: String =
        text.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '-' }).collect();
    if cleaned.is_empty() { "imported".to_owned() } else { cleaned }
}

fn unique(wanted: &str, taken: &mut HashSet<String>) -> String {
    let mut name = wanted.to_owned();
    let mut number = 2;
    while !taken.insert(name.clone()) {
        name = format!("{wanted}-{number}");
        number += 1;
    }
    name
}

/// A source as the inventory writes it.
pub enum SourceRef<'a> {
    Keys(&'a SourceEntry),
    SignIn(&'a SsoSource),
}

/// Sources in name order, as the inventory lists them.
pub fn sorted_sources(entries: &Entries) -> BTreeMap<&str, SourceRef<'_>> {
    let keys = entries.sources.iter().map(|source| (source.name.as_str(), SourceRef::Keys(source)));
    let sign_ins = entries.sign_ins.iter().map(|(name, source)| (name.as_str(), SourceRef::SignIn(source)));
    keys.chain(sign_ins).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_prefix_stops_at_a_separator() {
        assert_eq!(shared_prefix(&["prod-admin", "prod-readonly"]), Some("prod"));
        assert_eq!(shared_prefix(&["prod-admin"]), Some("prod"));
        assert_eq!(shared_prefix(&["prodadmin", "prodro"]), None);
        assert_eq!(shared_prefix(&["a-b", "c-d"]), None);
        assert_eq!(shared_prefix(&["team.prod.admin", "team.prod.ro"]), Some("team.prod"));
    }

    #[test]
    fn taken_names_get_a_number() {
        let mut taken = HashSet::new();
        assert_eq!(unique("a", &mut taken), "a");
        assert_eq!(unique("a", &mut taken), "a-2");
        assert_eq!(unique("a", &mut taken), "a-3");
        assert_eq!(plain_name("my profile/x"), "my-profile-x");
    }
}
