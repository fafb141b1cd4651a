//! From classified profiles to inventory entries: sources per key profile (and MFA device) and
//! per Identity Center sign-in, accounts grouped by account id, roles named from their
//! profiles, chains as `via`.
//!
//! Names are predictable: an account is named after the prefix its profiles share up to a
//! separator (`prod-admin`, `prod-ro` → `prod` with roles `admin`, `ro`), else its account id;
//! letters outside ASCII are spelled in ASCII (`über` → `uber`) and other characters an
//! inventory name cannot hold become `-`; a name already taken gets `-2`, `-3`... in file
//! order (accounts: `-ACCOUNT_ID`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use compact_str::{CompactString, format_compact};
use foldhash::{HashMap, HashSet};

use super::ini::ParsedConfig;
use super::profiles::{Finding, RoleProfile, Target};
use super::sso::{self, Sessions, SignIn, SsoSource};
use crate::domain::inventory::checked_mfa_serial;

#[derive(Debug, Clone, PartialEq)]
pub struct SourceEntry {
    pub name: String,
    pub profile: String,
    pub mfa_serial: Option<String>,
    /// aws-vault's `mfa_process` of a role using this source's device.
    pub mfa_command: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleEntry<'a> {
    pub name: CompactString,
    pub profile: &'a str,
    pub line: usize,
    pub target: Target<'a>,
    pub parent: Parent,
    pub mfa: bool,
    pub duration_seconds: Option<u64>,
    pub external_id: Option<&'a str>,
    pub session_name: Option<&'a str>,
    pub region: Option<&'a str>,
    pub extras: Option<Box<super::vault::VaultExtras>>,
}

/// Names fit `CompactString`'s 24 bytes inline, so 100,000 roles allocate none for them.
#[derive(Debug, Clone, PartialEq)]
pub enum Parent {
    Source(CompactString),
    /// `ACCOUNT/ROLE` of the role this one is chained from.
    Via(CompactString),
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccountEntry<'a> {
    pub name: String,
    pub id: &'a str,
    pub roles: Vec<RoleEntry<'a>>,
}

#[derive(Debug, Default)]
pub struct Entries<'a> {
    pub region: Option<String>,
    pub sources: Vec<SourceEntry>,
    /// Identity Center sources: name and sign-in.
    pub sign_ins: Vec<(String, SsoSource)>,
    pub accounts: Vec<AccountEntry<'a>>,
    /// Profile name → `ACCOUNT/ROLE`.
    pub addresses: HashMap<&'a str, CompactString>,
}

/// A role profile (its index in the classified roles) with its parent (a source, or the
/// profile it is chained from) and whether it uses MFA: the profiles stay where they are.
struct Placed {
    role: usize,
    parent: Parent,
    mfa: bool,
}

impl Placed {
    fn new(role: usize, parent: Parent, mfa: bool) -> Self {
        Self { role, parent, mfa }
    }
}

pub fn convert<'a>(
    parsed: &ParsedConfig<'a>,
    sessions: &Sessions,
    roles: Vec<RoleProfile<'a>>,
    parents: &HashSet<&str>,
    skipped: &mut Vec<Finding>,
    notes: &mut Vec<Finding>,
) -> Entries<'a> {
    let mut sources = SourceNames::default();
    // Sessions first: a session's name is what the AWS CLI knows it by.
    for (name, session) in &sessions.usable {
        sources.add_session(name, session, notes);
    }
    // Role profile other roles are assumed from → the name of the source at the root of its chain.
    let mut root_source_of: HashMap<&str, CompactString> = HashMap::default();
    let mut placed: Vec<Placed> = Vec::with_capacity(roles.len());
    for (index, role) in roles.iter().enumerate() {
        let parent_source = role.parent.and_then(|parent| root_source_of.get(parent).cloned());
        if let (None, Target::PermissionSet { sign_in, .. }) = (&role.parent, &role.target) {
            match sources.for_sign_in(sign_in, sessions, parsed, role.profile, notes) {
                Some(name) => {
                    let name = CompactString::from(name);
                    if parents.contains(role.profile) {
                        root_source_of.insert(role.profile, name.clone());
                    }
                    placed.push(Placed::new(index, Parent::Source(name), false));
                }
                None => skipped.push(finding(role, "its Identity Center sign-in is not imported".to_owned())),
            }
            continue;
        }
        let (parent, source_name, source_serial) = match (role.parent, parent_source) {
            (None, _) => {
                let own_serial = parsed.profile(role.root).and_then(|profile| {
                    profile.get("mfa_serial").map(|serial| (serial, profile.line_of("mfa_serial")))
                });
                let index = sources.for_role(role.root, own_serial, role.mfa_serial, notes);
                let source = &sources.entries[index];
                let name = CompactString::from(source.name.as_str());
                (Parent::Source(name.clone()), name, source.mfa_serial.clone())
            }
            (Some(parent), Some(name)) => {
                let serial = sources.serial_of(&name);
                (Parent::Via(parent.into()), name, serial)
            }
            (Some(parent), None) => {
                skipped.push(finding(role, format!("its source_profile {parent} is skipped")));
                continue;
            }
        };
        let mfa = role.mfa_serial.is_some();
        if mfa && sources.signs_in(&source_name) {
            skipped.push(finding(
                role,
                "mfa_serial on a role chained from an Identity Center role: the sign-in is the chain's MFA, and switchboard sends codes only from the device of a source of keys".to_owned(),
            ));
            continue;
        }
        if mfa && role.mfa_serial != source_serial.as_deref() {
            skipped.push(finding(
                role,
                format!(
                    "mfa_serial {} differs from the device of the chain's source ({}): switchboard sends a chain's codes from its source's one device",
                    role.mfa_serial.unwrap_or_default(),
                    source_serial.as_deref().unwrap_or("none")
                ),
            ));
            continue;
        }
        if let (true, Some(process)) = (mfa, role.extras.as_ref().and_then(|extras| extras.mfa_process.as_ref())) {
            sources.set_mfa_command(&source_name, process);
        }
        if parents.contains(role.profile) {
            root_source_of.insert(role.profile, source_name);
        }
        placed.push(Placed::new(index, parent, mfa));
    }
    drop(root_source_of);
    let region = default_region(parsed, &roles, &placed);
    let mut accounts = group_accounts(&roles, placed, region.as_deref());
    let addresses = addresses(&accounts);
    for account in &mut accounts {
        for role in &mut account.roles {
            if let Parent::Via(profile) = &role.parent {
                role.parent = Parent::Via(addresses.get(profile.as_str()).cloned().unwrap_or_default());
            }
        }
    }
    Entries { region, sources: sources.entries, sign_ins: sources.sign_ins, accounts, addresses }
}

fn finding(role: &RoleProfile<'_>, message: String) -> Finding {
    Finding { profile: Some(role.profile.to_owned()), line: role.line, message }
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
        parsed: &ParsedConfig<'_>,
        profile: &str,
        notes: &mut Vec<Finding>,
    ) -> Option<&str> {
        if self.of_sign_in.contains_key(sign_in) {
            return self.of_sign_in.get(sign_in).map(String::as_str);
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
        Some(self.of_sign_in.entry(sign_in.clone()).or_insert(name).as_str())
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

    /// The index in `entries` of the source for a role assumed with `profile`'s keys: the
    /// profile's first source takes the first MFA device seen (its own `mfa_serial` first);
    /// another device gets a source of its own.
    /// `own_serial` is the key profile's own `mfa_serial` and its line: one that is not an MFA
    /// device's ARN is passed over, with a note (the inventory's `check` would refuse it).
    fn for_role(
        &mut self,
        profile: &str,
        own_serial: Option<(&str, usize)>,
        role_serial: Option<&str>,
        notes: &mut Vec<Finding>,
    ) -> usize {
        let existing = self.of_profile.get(profile).map_or(&[][..], Vec::as_slice);
        for &index in existing {
            let entry = &mut self.entries[index];
            if entry.mfa_serial.is_none() && existing.len() == 1 {
                entry.mfa_serial = role_serial.map(str::to_owned);
            }
            if role_serial.is_none() || entry.mfa_serial.as_deref() == role_serial {
                return index;
            }
        }
        let count = existing.len();
        let base = plain_name(profile);
        let wanted = if count == 0 { base } else { format!("{base}-mfa{}", count + 1) };
        let name = unique(&wanted, &mut self.taken);
        let own_serial =
            own_serial.filter(|_| count == 0).and_then(|(serial, line)| match checked_mfa_serial(serial) {
                Ok(()) => Some(serial),
                Err(message) => {
                    notes.push(Finding {
                        profile: Some(profile.to_owned()),
                        line,
                        message: format!("its mfa_serial is passed over: {message}"),
                    });
                    None
                }
            });
        let serial = if count == 0 { own_serial.or(role_serial) } else { role_serial };
        self.entries.push(SourceEntry {
            name,
            profile: profile.to_owned(),
            mfa_serial: serial.map(str::to_owned),
            mfa_command: None,
        });
        let index = self.entries.len() - 1;
        self.of_profile.entry(profile.to_owned()).or_default().push(index);
        index
    }
}

/// `[default]`'s region, else the one most roles use (the first of a tie).
fn default_region(parsed: &ParsedConfig<'_>, roles: &[RoleProfile<'_>], placed: &[Placed]) -> Option<String> {
    if let Some(region) = parsed
        .profile("default")
        .and_then(|profile| profile.get("region"))
        .filter(|region| super::profiles::is_region(region))
    {
        return Some(region.to_owned());
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for placement in placed {
        if let Some(region) = roles[placement.role].region {
            match counts.iter_mut().find(|(known, _)| *known == region) {
                Some((_, count)) => *count += 1,
                None => counts.push((region, 1)),
            }
        }
    }
    let best = counts.iter().map(|(_, count)| *count).max()?;
    counts.into_iter().find(|(_, count)| *count == best).map(|(region, _)| region.to_owned())
}

fn group_accounts<'a>(
    roles: &[RoleProfile<'a>],
    mut placed: Vec<Placed>,
    default_region: Option<&str>,
) -> Vec<AccountEntry<'a>> {
    // Accounts in the order their first role appears; within one, file order reads best
    // (parents-first order mattered only above). Sorted in place: no list per account.
    let mut slot_of: HashMap<&str, usize> = HashMap::default();
    let slots: Vec<usize> = placed
        .iter()
        .map(|placement| {
            let next = slot_of.len();
            *slot_of.entry(roles[placement.role].account_id).or_insert(next)
        })
        .collect();
    drop(slot_of);
    let mut keyed: Vec<(usize, usize, Placed)> =
        placed.drain(..).zip(slots).map(|(placement, slot)| (slot, roles[placement.role].line, placement)).collect();
    drop(placed);
    // Each line holds one profile: the keys are unique, so an unstable sort is still one order.
    keyed.sort_unstable_by_key(|(slot, line, _)| (*slot, *line));
    let mut taken = HashSet::default();
    let mut accounts = Vec::new();
    let mut keyed = keyed.into_iter().peekable();
    while let Some((slot, _, first)) = keyed.next() {
        let mut members = vec![first];
        while let Some((_, _, placement)) = keyed.next_if(|(next, _, _)| *next == slot) {
            members.push(placement);
        }
        accounts.push(account_entry(roles, members, default_region, &mut taken));
    }
    accounts
}

/// One account's roles, named after the prefix their profiles share (else its id).
fn account_entry<'a>(
    roles: &[RoleProfile<'a>],
    members: Vec<Placed>,
    default_region: Option<&str>,
    taken: &mut HashSet<String>,
) -> AccountEntry<'a> {
    let id = roles[members[0].role].account_id;
    let names: Vec<&str> = members.iter().map(|placement| roles[placement.role].profile).collect();
    let prefix: Option<&str> = shared_prefix(&names);
    let wanted = prefix.map_or_else(|| id.to_owned(), plain_name);
    let name = if taken.contains(&wanted) { unique(&format!("{wanted}-{id}"), taken) } else { unique(&wanted, taken) };
    let mut role_names = HashSet::default();
    let entries = members
        .into_iter()
        .map(|Placed { role, parent, mfa }| {
            let role = &roles[role];
            let short = prefix.map_or(role.profile, |prefix| &role.profile[prefix.len() + 1..]);
            RoleEntry {
                name: unique(&plain_name(short), &mut role_names).into(),
                region: role.region.filter(|region| Some(*region) != default_region),
                profile: role.profile,
                line: role.line,
                target: role.target.clone(),
                parent,
                mfa,
                duration_seconds: role.duration_seconds,
                external_id: role.external_id,
                session_name: role.session_name,
                extras: role.extras.clone(),
            }
        })
        .collect();
    AccountEntry { name, id, roles: entries }
}

fn addresses<'a>(accounts: &[AccountEntry<'a>]) -> HashMap<&'a str, CompactString> {
    accounts
        .iter()
        .flat_map(|account| {
            account.roles.iter().map(move |role| (role.profile, format_compact!("{}/{}", account.name, role.name)))
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
    // Bytes can agree into the middle of a character (`ü` and `û` share their first byte).
    while !first.is_char_boundary(length) {
        length -= 1;
    }
    let cut = first[..length].rfind(['-', '_', '.', ' ', '/', ':', '@'])?;
    let prefix = &first[..cut];
    let usable = !prefix.is_empty() && names.iter().all(|name| name.len() > cut + 1);
    usable.then_some(prefix)
}

/// What an inventory name may hold: letters, digits, `-`, `_`, `.`.
/// Letters outside ASCII are spelled in ASCII first (`über` → `uber`, `Zürich` → `Zurich`),
/// then anything else becomes `-`.
fn plain_name(text: &str) -> String {
    let ascii =
        if text.is_ascii() { Cow::Borrowed(text) } else { Cow::Owned(deunicode::deunicode_with_tofu(text, "-")) };
    let cleaned: String =
        ascii.trim().chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '-' }).collect();
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
pub fn sorted_sources<'e>(entries: &'e Entries<'_>) -> BTreeMap<&'e str, SourceRef<'e>> {
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
        // Found by the aws_config fuzz target: the names agree in the first byte of `ü`/`û`.
        assert_eq!(shared_prefix(&["x-\u{fc}mlaut", "x-\u{fb}mlaut"]), Some("x"));
        assert_eq!(shared_prefix(&["\u{fc}mlaut.dots", "\u{fb}mlaut.dots"]), None);
    }

    #[test]
    fn taken_names_get_a_number() {
        let mut taken = HashSet::default();
        assert_eq!(unique("a", &mut taken), "a");
        assert_eq!(unique("a", &mut taken), "a-2");
        assert_eq!(unique("a", &mut taken), "a-3");
        assert_eq!(plain_name("my profile/x"), "my-profile-x");
        assert_eq!(plain_name("über"), "uber");
        assert_eq!(plain_name("Zürich prod"), "Zurich-prod");
        assert_eq!(plain_name("日本"), "Ri-Ben");
        assert_eq!(plain_name("a\u{e}b"), "a-b");
    }
}
