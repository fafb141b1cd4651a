//! New member accounts added to an inventory's text with toml_edit: everything already there
//! (accounts, comments, formatting) stays as written; accounts already listed (by id) are left alone.

use std::collections::HashSet;

use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};

use super::Organization;

/// How the added roles are reached.
#[derive(Debug, Clone, PartialEq)]
pub enum MergeParent {
    /// `via = "ACCOUNT/ROLE"`: chained from a role of the management account.
    Via(String),
    /// `source = "NAME"`: with a source's keys.
    Source(String),
}

#[derive(Debug, Default)]
pub struct Merge {
    pub text: String,
    /// `(name, id)` of every account added.
    pub added: Vec<(String, String)>,
    /// `(id, why)` of accounts of the organization that were not added.
    pub left_out: Vec<(String, String)>,
}

/// Adds one account per member of `organization` that the inventory does not list yet, each
/// with the role `role_name` reached from `parent`; with `tags_from_ou`, its OU path as tags.
pub fn merge(
    existing: &str,
    organization: &Organization,
    role_name: &str,
    parent: &MergeParent,
    tags_from_ou: bool,
) -> Result<Merge, String> {
    let mut document: DocumentMut =
        existing.parse().map_err(|error: toml_edit::TomlError| format!("the inventory is not TOML: {error}"))?;
    let (mut ids, mut names) = (HashSet::new(), HashSet::new());
    if let Some(accounts) = document.get("accounts") {
        let accounts = accounts.as_array_of_tables().ok_or("`accounts` is not a list of [[accounts]] tables")?;
        for account in accounts.iter() {
            ids.extend(account.get("id").and_then(Item::as_str).map(str::to_owned));
            names.extend(account.get("name").and_then(Item::as_str).map(str::to_owned));
        }
    }
    let mut merge = Merge::default();
    let mut added_tables = Vec::new();
    for member in &organization.accounts {
        if ids.contains(&member.id) {
            merge.left_out.push((member.id.clone(), "already in the inventory".to_owned()));
            continue;
        }
        if organization.management_account_id.as_deref() == Some(member.id.as_str()) {
            merge.left_out.push((
                member.id.clone(),
                format!("the management account ({}) has no {role_name} role of the organization", member.name),
            ));
            continue;
        }
        let wanted = plain_name(&member.name);
        let name = if names.contains(&wanted) { format!("{wanted}-{}", member.id) } else { wanted };
        names.insert(name.clone());
        ids.insert(member.id.clone());
        let mut account = Table::new();
        account["name"] = value(name.clone());
        account["id"] = value(member.id.clone());
        if tags_from_ou && !member.ou_path.is_empty() {
            account["tags"] = value(member.ou_path.iter().map(String::as_str).collect::<Array>());
        }
        let mut role = Table::new();
        role["name"] = value(plain_name(role_name));
        role["role_name"] = value(role_name);
        match parent {
            MergeParent::Via(address) => role["via"] = value(address.clone()),
            MergeParent::Source(source) => role["source"] = value(source.clone()),
        }
        let mut roles = ArrayOfTables::new();
        roles.push(role);
        account.insert("roles", Item::ArrayOfTables(roles));
        added_tables.push(account);
        merge.added.push((name, member.id.clone()));
    }
    for (id, name, why) in &organization.inactive {
        merge.left_out.push((id.clone(), format!("{name}: {why}")));
    }
    if !added_tables.is_empty() {
        let accounts = document
            .entry("accounts")
            .or_insert(Item::ArrayOfTables(ArrayOfTables::new()))
            .as_array_of_tables_mut()
            .ok_or("`accounts` is not a list of [[accounts]] tables")?;
        for table in added_tables {
            accounts.push(table);
        }
    }
    merge.text = document.to_string();
    Ok(merge)
}

/// What an inventory name may hold: letters, digits, `-`, `_`, `.`.
fn plain_name(text: &str) -> String {
    let cleaned: String =
        text.trim().chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '-' }).collect();
    if cleaned.is_empty() { "account".to_owned() } else { cleaned }
}

/// A line diff of a merge: the unchanged head and tail are skipped, the rest marked - and +.
pub fn diff(old: &str, new: &str) -> String {
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let head = old_lines.iter().zip(&new_lines).take_while(|(a, b)| a == b).count();
    let tail = old_lines[head..].iter().rev().zip(new_lines[head..].iter().rev()).take_while(|(a, b)| a == b).count();
    let mut out = format!("@@ line {} @@\n", head + 1);
    for line in &old_lines[head..old_lines.len() - tail] {
        out.push_str(&format!("-{line}\n"));
    }
    for line in &new_lines[head..new_lines.len() - tail] {
        out.push_str(&format!("+{line}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::import::organizations::MemberAccount;

    fn organization() -> Organization {
        let member = |id: &str, name: &str, ou: &[&str]| MemberAccount {
            id: id.into(),
            name: name.into(),
            ou_path: ou.iter().map(|part| (*part).to_owned()).collect(),
        };
        Organization {
            management_account_id: Some("999999999999".into()),
            accounts: vec![
                member("999999999999", "management", &[]),
                member("111111111111", "prod", &["Workloads", "Prod"]),
                member("222222222222", "Data Lake", &[]),
                member("333333333333", "dev", &[]),
            ],
            inactive: vec![("444444444444".into(), "old".into(), "status SUSPENDED".into())],
        }
    }

    const EXISTING: &str = "# my inventory\n[sources.hub]\nprofile = \"hub\"  # keys\n\n[[accounts]]\nname = \"dev\"\nid = \"333333333333\"\n  [[accounts.roles]]\n  name = \"admin\"\n  role_name = \"Admin\"\n  source = \"hub\"\n";

    #[test]
    fn new_members_are_appended_and_what_was_there_is_untouched() {
        let parent = MergeParent::Source("hub".into());
        let merged = merge(EXISTING, &organization(), "OrganizationAccountAccessRole", &parent, true).unwrap();
        assert!(merged.text.starts_with(EXISTING), "{}", merged.text);
        assert_eq!(
            merged.added,
            [("prod".to_owned(), "111111111111".to_owned()), ("Data-Lake".to_owned(), "222222222222".to_owned())]
        );
        assert!(merged.text.contains("tags = [\"Workloads\", \"Prod\"]"), "{}", merged.text);
        let why: Vec<&str> = merged.left_out.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(why, ["999999999999", "333333333333", "444444444444"]);
        let again = merge(&merged.text, &organization(), "OrganizationAccountAccessRole", &parent, true).unwrap();
        assert!(again.added.is_empty());
        assert_eq!(again.text, merged.text);
    }

    #[test]
    fn the_diff_shows_only_the_added_lines() {
        let text = diff("a\nb\n", "a\nb\nc\nd\n");
        assert_eq!(text, "@@ line 3 @@\n+c\n+d\n");
    }
}
