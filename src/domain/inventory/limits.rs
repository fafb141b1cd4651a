//! Rules across the whole inventory: chains of `via` that loop, and a renewal window
//! longer than a session it would renew.

use std::collections::HashSet;
use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use super::fields::Problems;
use super::validate::{MAX_CHAINED_DURATION, PendingRoles};
use super::{Inventory, Role, RoleKey, RoleParent};
use crate::domain::duration::format_duration;

/// `via` must end at a source: a loop of roles assuming each other can never start.
pub(super) fn check_chains(inventory: &Inventory, pending: &[PendingRoles], problems: &mut Problems) {
    let via_span = |key: &RoleKey| -> Range<usize> {
        inventory
            .accounts
            .iter()
            .zip(pending)
            .find(|(account, _)| account.name == key.account)
            .and_then(|(_, pending)| {
                pending
                    .roles
                    .iter()
                    .find(|raw| raw.get_ref().name.as_ref().is_some_and(|name| name.get_ref() == key.role))
            })
            .and_then(|raw| raw.get_ref().via.as_ref().map(Spanned::span))
            .unwrap_or(0..0)
    };
    let mut reported: HashSet<RoleKey> = HashSet::new();
    for (_, role) in inventory.roles() {
        let mut path: Vec<RoleKey> = vec![role.key.clone()];
        let mut current = role;
        while let RoleParent::Via(parent) = &current.parent {
            if let Some(start) = path.iter().position(|seen| seen == parent) {
                let cycle: Vec<RoleKey> = path[start..].to_vec();
                if cycle.iter().all(|key| !reported.contains(key)) {
                    let names: Vec<String> =
                        cycle.iter().chain(std::iter::once(parent)).map(RoleKey::to_string).collect();
                    problems.at(
                        via_span(&cycle[cycle.len() - 1]),
                        format!(
                            "accounts[{}].roles[{}].via",
                            cycle[cycle.len() - 1].account,
                            cycle[cycle.len() - 1].role
                        ),
                        format!("`via` goes round in a circle: {}", names.join(" -> ")),
                    );
                }
                reported.extend(cycle);
                break;
            }
            path.push(parent.clone());
            match inventory.role(parent) {
                Some(next) => current = next,
                None => break,
            }
        }
    }
}

/// A window as long as a session would make that session count as expiring from birth.
pub(super) fn check_refresh_window(inventory: &Inventory, span: Range<usize>, problems: &mut Problems) {
    let window = inventory.defaults.refresh_before;
    let mut shortest: Option<(Duration, String)> = None;
    for source in inventory.sources.values() {
        if let Some(length) = source.session_duration {
            shortest = shortest
                .filter(|(known, _)| *known <= length)
                .or(Some((length, format!("the MFA session of source {}", source.name))));
        }
    }
    for (_, role) in inventory.roles() {
        let length = effective_duration(inventory, role);
        shortest =
            shortest.filter(|(known, _)| *known <= length).or(Some((length, format!("the session of {}", role.key))));
    }
    if let Some((length, what)) = shortest.filter(|(length, _)| window >= *length) {
        problems.at(
            span,
            "defaults.refresh_before",
            format!(
                "{} is not shorter than {what} ({}): it would always count as expiring",
                format_duration(window),
                format_duration(length)
            ),
        );
    }
}

/// The DurationSeconds switchboard asks for: the role's, else the default, capped at 1h when chained.
pub fn effective_duration(inventory: &Inventory, role: &Role) -> Duration {
    let wanted = role.duration.unwrap_or(inventory.defaults.duration);
    match role.parent {
        RoleParent::Via(_) => wanted.min(MAX_CHAINED_DURATION),
        RoleParent::Source(_) => wanted,
    }
}
