//! `switchboard import aws-config`: the role profiles of an AWS shared config file turned
//! into an inventory. Reading is a single pass of our own (10,000 profiles in milliseconds);
//! what cannot be imported is reported with its profile and line, never dropped silently.

mod convert;
pub mod ini;
mod profiles;
mod render;
mod sso;
mod vault;

use std::fmt;
use std::path::Path;

use compact_str::CompactString;
use foldhash::HashMap;

use crate::domain::inventory::raw::RawInventory;

pub use profiles::Finding;

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.profile {
            Some(profile) => write!(f, "line {}: profile {profile}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// The result of an import: the inventory text and what did not make it in.
#[derive(Debug)]
pub struct Import<'a> {
    pub toml: String,
    /// The inventory of `toml` as `check` reads it (each value's span is its place in `toml`).
    pub raw: RawInventory,
    /// Lines that could not be read, and profiles (role profiles and others) not imported.
    pub skipped: Vec<Finding>,
    /// Imported, but not exactly as written.
    pub notes: Vec<Finding>,
    /// Profile name → `ACCOUNT/ROLE` of every imported role.
    pub addresses: HashMap<&'a str, CompactString>,
    pub sources: usize,
    pub accounts: usize,
}

/// Imports the text of an AWS config file; `origin` names it in the inventory's header.
/// Everything is read from `text` in place: at 100,000 profiles a copy of each name and value
/// was most of an import's memory.
pub fn import<'a>(text: &'a str, origin: &Path) -> Import<'a> {
    let parsed = ini::parse(text);
    let mut skipped: Vec<Finding> = parsed
        .problems
        .iter()
        .map(|problem| Finding { profile: None, line: problem.line, message: problem.message.clone() })
        .collect();
    let mut notes = Vec::new();
    let sessions = sso::sessions(&parsed, &mut skipped, &mut notes);
    let classified = profiles::classify(&parsed, &sessions);
    skipped.extend(classified.skipped);
    notes.extend(classified.notes);
    let entries = convert::convert(&parsed, &sessions, classified.roles, &classified.parents, &mut skipped, &mut notes);
    skipped.sort_by_key(|finding| finding.line);
    notes.sort_by_key(|finding| finding.line);
    drop(parsed);
    let rendered = render::render(&entries, origin, &skipped);
    Import {
        toml: rendered.toml,
        raw: rendered.raw,
        skipped,
        notes,
        sources: entries.sources.len() + entries.sign_ins.len(),
        accounts: entries.accounts.len(),
        addresses: entries.addresses,
    }
}

#[cfg(test)]
mod sso_tests;
#[cfg(test)]
mod tests;
