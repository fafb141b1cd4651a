//! What the portal grants, merged into the inventory's text with toml_edit: everything already
//! there stays as written (comments included). A new account gets its name (from the portal's,
//! made valid and unique), its id and its roles as `permission_set` roles of the source; an
//! account already listed (by id) gains the roles it lacks. Roles of the source the portal no
//! longer lists are named, and removed only when pruning.

use std::collections::{HashMap, HashSet};

use globset::GlobMatcher;
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use crate::domain::sso::portal::GrantedAccount;

#[derive(Debug, Default, PartialEq)]
pub struct SsoMerge {
    pub text: String,
    /// `(name, id, roles)` of accounts added.
    pub added_accounts: Vec<(String, String, usize)>,
    /// `ACCOUNT/ROLE` of roles added to accounts already listed.
    pub added_roles: Vec<String>,
    /// `ACCOUNT/ROLE (permission set)` of roles of the source the portal no longer lists.
    pub unassigned: Vec<String>,
    /// Whether `unassigned` were removed.
    pub pruned: bool,
    /// Names changed to be valid or unique: `(portal's name, name given)`.
    pub renamed: Vec<(String, String)>,
}

impl SsoMerge {
    pub fn changes(&self) -> bool {
        !self.added_accounts.is_empty() || !self.added_roles.is_empty() || (self.pruned && !self.unassigned.is_empty())
    }
}

pub struct Wanted<'a> {
    pub source: &'a str,
    pub role_filter: Option<&'a GlobMatcher>,
    pub prune: bool,
}

pub fn merge(existing: &str, granted: &[GrantedAccount], wanted: &Wanted<'_>) -> Result<SsoMerge, String> {
    let mut document: DocumentMut =
        existing.parse().map_err(|error: toml_edit::TomlError| format!("the inventory is not TOML: {error}"))?;
    let keep = |role: &str| wanted.role_filter.is_none_or(|filter| filter.is_match(role));
    let mut merge = SsoMerge::default();
    // What the portal grants, per account id (accounts whose roles could not be listed are
    // left out of it: their roles are neither added nor called unassigned).
    let granted_roles: HashMap<&str, HashSet<&str>> = granted
        .iter()
        .filter_map(|found| {
            let roles = found.roles.as_ref().ok()?;
            Some((found.account.id.as_str(), roles.iter().map(String::as_str).filter(|role| keep(role)).collect()))
        })
        .collect();
    let failed: HashSet<&str> =
        granted.iter().filter(|found| found.roles.is_err()).map(|found| found.account.id.as_str()).collect();
    let accounts = document
        .entry("accounts")
        .or_insert(Item::ArrayOfTables(ArrayOfTables::new()))
        .as_array_of_tables_mut()
        .ok_or("`accounts` is not a list of [[accounts]] tables")?;
    let mut names: HashSet<String> =
        accounts.iter().filter_map(|account| account.get("name").and_then(Item::as_str).map(str::to_owned)).collect();
    let mut listed: HashSet<String> = HashSet::new();
    for account in accounts.iter_mut() {
        let Some(id) = account.get("id").and_then(Item::as_str).map(str::to_owned) else { continue };
        let name = account.get("name").and_then(Item::as_str).unwrap_or_default().to_owned();
        listed.insert(id.clone());
        if failed.contains(id.as_str()) {
            continue;
        }
        let grants = granted_roles.get(id.as_str());
        let roles = account.entry("roles").or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
        let Some(roles) = roles.as_array_of_tables_mut() else { continue };
        let mut present = HashSet::new();
        let mut role_names: HashSet<String> =
            roles.iter().filter_map(|role| role.get("name").and_then(Item::as_str).map(str::to_owned)).collect();
        let mut gone = Vec::new();
        for (at, role) in roles.iter().enumerate() {
            let (Some(permission_set), Some(source)) =
                (role.get("permission_set").and_then(Item::as_str), role.get("source").and_then(Item::as_str))
            else {
                continue;
            };
            if source != wanted.source || !keep(permission_set) {
                continue;
            }
            if grants.is_some_and(|grants| grants.contains(permission_set)) {
                present.insert(permission_set.to_owned());
            } else {
                let role_name = role.get("name").and_then(Item::as_str).unwrap_or_default();
                merge.unassigned.push(format!("{name}/{role_name} ({permission_set})"));
                gone.push(at);
            }
        }
        if wanted.prune {
            for at in gone.into_iter().rev() {
                roles.remove(at);
            }
        }
        let Some(grants) = grants else { continue };
        let mut new: Vec<&str> = grants.iter().copied().filter(|role| !present.contains(*role)).collect();
        new.sort_unstable();
        for permission_set in new {
            let role_name = unique(&plain_name(permission_set), &mut role_names, &mut merge.renamed, permission_set);
            roles.push(role_table(&role_name, permission_set, wanted.source));
            merge.added_roles.push(format!("{name}/{role_name}"));
        }
    }
    merge.pruned = wanted.prune;
    for found in granted {
        let Ok(roles) = &found.roles else { continue };
        if listed.contains(&found.account.id) {
            continue;
        }
        let mut roles: Vec<&str> = roles.iter().map(String::as_str).filter(|role| keep(role)).collect();
        if roles.is_empty() {
            continue;
        }
        roles.sort_unstable();
        let name = unique(&plain_name(&found.account.name), &mut names, &mut merge.renamed, &found.account.name);
        let mut account = Table::new();
        account["name"] = value(name.clone());
        account["id"] = value(found.account.id.clone());
        let mut tables = ArrayOfTables::new();
        let mut role_names = HashSet::new();
        for permission_set in &roles {
            let role_name = unique(&plain_name(permission_set), &mut role_names, &mut merge.renamed, permission_set);
            tables.push(role_table(&role_name, permission_set, wanted.source));
        }
        account.insert("roles", Item::ArrayOfTables(tables));
        accounts.push(account);
        merge.added_accounts.push((name, found.account.id.clone(), roles.len()));
    }
    merge.text = document.to_string();
    Ok(merge)
}

fn role_table(name: &str, permission_set: &str, source: &str) -> Table {
    let mut role = Table::new();
    role["name"] = value(name);
    role["permission_set"] = value(permission_set);
    role["source"] = value(source);
    role
}

/// `wanted`, or `wanted-2`, `wanted-3`… when taken; a change from the portal's text is said.
fn unique(wanted: &str, taken: &mut HashSet<String>, renamed: &mut Vec<(String, String)>, original: &str) -> String {
    let mut name = wanted.to_owned();
    let mut count = 1;
    while taken.contains(&name) {
        count += 1;
        name = format!("{wanted}-{count}");
    }
    taken.insert(name.clone());
    if name != original {
        renamed.push((original.to_owned(), name.clone()));
    }
    name
}

/// What an inventory name may hold: letters, digits, `-`, `_`, `.`.
fn plain_name(text: &str) -> String {
    let cleaned: String = text
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .to_owned();
    if cleaned.is_empty() { "account".to_owned() } else { cleaned }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sso::PortalAccount;

    fn granted(id: &str, name: &str, roles: &[&str]) -> GrantedAccount {
        GrantedAccount {
            account: PortalAccount { id: id.into(), name: name.into() },
            roles: Ok(roles.iter().map(|role| (*role).to_owned()).collect()),
        }
    }

    const EXISTING: &str = "# mine\n[sources.corp]\nsso_start_url = \"https://corp.awsapps.com/start\"\nsso_region = \"eu-west-1\"\n\n[[accounts]]\nname = \"prod\"  # the money\nid = \"111111111111\"\n  [[accounts.roles]]\n  name = \"ReadOnly\"\n  permission_set = \"ReadOnly\"\n  source = \"corp\"\n  [[accounts.roles]]\n  name = \"Old\"\n  permission_set = \"Old\"\n  source = \"corp\"\n";

    fn wanted(prune: bool) -> Wanted<'static> {
        Wanted { source: "corp", role_filter: None, prune }
    }

    #[test]
    fn new_accounts_and_roles_are_added_what_is_there_stays_and_a_second_run_changes_nothing() {
        let portal = [
            granted("111111111111", "prod", &["ReadOnly", "AdministratorAccess"]),
            granted("222222222222", "Data Lake", &["ReadOnly"]),
            granted("333333333333", "prod", &["ReadOnly"]),
        ];
        let merged = merge(EXISTING, &portal, &wanted(false)).unwrap();
        assert!(merged.text.starts_with(EXISTING.trim_end()), "{}", merged.text);
        assert_eq!(merged.added_roles, ["prod/AdministratorAccess"]);
        let added: Vec<&str> = merged.added_accounts.iter().map(|(name, _, _)| name.as_str()).collect();
        assert_eq!(added, ["Data-Lake", "prod-2"], "valid and unique");
        assert_eq!(merged.unassigned, ["prod/Old (Old)"]);
        assert!(merged.text.contains("permission_set = \"Old\""), "kept without --prune");
        let again = merge(&merged.text, &portal, &wanted(false)).unwrap();
        assert!(!again.changes(), "{again:?}");
        assert_eq!(again.text, merged.text);
        let pruned = merge(&merged.text, &portal, &wanted(true)).unwrap();
        assert!(!pruned.text.contains("permission_set = \"Old\""), "{}", pruned.text);
        assert!(pruned.text.contains("# the money"), "comments stay");
    }

    #[test]
    fn an_account_whose_roles_failed_is_neither_added_to_nor_called_unassigned() {
        let portal = [GrantedAccount {
            account: PortalAccount { id: "111111111111".into(), name: "prod".into() },
            roles: Err("throttled".into()),
        }];
        let merged = merge(EXISTING, &portal, &wanted(true)).unwrap();
        assert!(merged.unassigned.is_empty());
        assert_eq!(merged.text, EXISTING);
    }
}
