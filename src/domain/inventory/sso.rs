//! The inventory's Identity Center parts: a source that signs in (`sso_start_url`,
//! `sso_region`, `sso_scopes`) and its roles, named by `permission_set`. Each mistake points
//! at its file, line and column like every other key.

use toml::Spanned;

use super::fields::{Problems, checked_region, parse_role_arn};
use super::raw::{RawRole, RawSource, Text};
use super::{Account, SsoSettings};

/// The scope that gives a refresh token, asked for unless `sso_scopes` says otherwise.
const DEFAULT_SCOPE: &str = "sso:account:access";

/// The source's Identity Center settings, when it has any; every key that belongs to a keys
/// source is refused on it.
pub(super) fn sso_settings(name: &str, raw: &RawSource, problems: &mut Problems) -> Option<SsoSettings> {
    let key = |field: &str| format!("sources.{name}.{field}");
    let (start_url, region) = match (&raw.sso_start_url, &raw.sso_region) {
        (None, None) => {
            if let Some(scopes) = &raw.sso_scopes {
                problems.at(scopes.span(), key("sso_scopes"), "sso_scopes needs `sso_start_url` and `sso_region`");
            }
            if let Some(share) = &raw.sso_share_with_aws_cli {
                problems.at(
                    share.span(),
                    key("sso_share_with_aws_cli"),
                    "sso_share_with_aws_cli needs `sso_start_url` and `sso_region`",
                );
            }
            return None;
        }
        (Some(url), Some(region)) => (url, region),
        (Some(url), None) => {
            problems.at(url.span(), key("sso_region"), "an Identity Center source needs `sso_region` (like eu-west-1)");
            return None;
        }
        (None, Some(region)) => {
            problems.at(
                region.span(),
                key("sso_start_url"),
                "an Identity Center source needs `sso_start_url` (https://….awsapps.com/start)",
            );
            return None;
        }
    };
    checked_start_url(start_url, &key("sso_start_url"), problems);
    let region = checked_region(region, &key("sso_region"), problems);
    let keys_only: [(&str, Option<std::ops::Range<usize>>); 6] = [
        ("profile", raw.profile.as_ref().map(Spanned::span)),
        ("keyring", raw.keyring.as_ref().map(Spanned::span)),
        ("credentials_file", raw.credentials_file.as_ref().map(Spanned::span)),
        ("mfa_serial", raw.mfa_serial.as_ref().map(Spanned::span)),
        ("session_duration", raw.session_duration.as_ref().map(Spanned::span)),
        ("mfa_command", raw.mfa_command.as_ref().map(Spanned::span)),
    ];
    for (field, span) in keys_only {
        if let Some(span) = span {
            problems.at(
                span,
                key(field),
                format!(
                    "`{field}` belongs to a source of keys; an Identity Center source signs in (MFA is part of its sign-in): remove it"
                ),
            );
        }
    }
    let scopes = match &raw.sso_scopes {
        Some(scopes) => {
            let valid = !scopes.get_ref().is_empty()
                && scopes
                    .get_ref()
                    .iter()
                    .all(|scope| !scope.is_empty() && scope.chars().all(|c| c.is_ascii_graphic() && c != ','));
            if !valid {
                problems.at(
                    scopes.span(),
                    key("sso_scopes"),
                    "sso_scopes is a list of scopes like [\"sso:account:access\"] (without it, no refresh token)",
                );
            }
            scopes.get_ref().clone()
        }
        None => vec![DEFAULT_SCOPE.to_owned()],
    };
    let share_with_aws_cli = raw.sso_share_with_aws_cli.as_ref().is_some_and(|share| *share.get_ref());
    Some(SsoSettings { start_url: start_url.get_ref().clone(), region, scopes, share_with_aws_cli })
}

fn checked_start_url(url: &Text, key: &str, problems: &mut Problems) {
    let text = url.get_ref();
    let host = text.strip_prefix("https://").map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
    match host {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {}
        _ => problems.at(
            url.span(),
            key,
            format!("\"{text}\" is not a start URL: it is the https:// address of your AWS access portal"),
        ),
    }
}

/// What names a role: `permission_set` on an Identity Center source, `role_name` or `arn`
/// on a source of keys (or a chained role). Returns the ARN to show and the permission set.
pub(super) fn role_target(
    account: &Account,
    raw: &RawRole,
    name: &Text,
    source_signs_in: Option<&str>,
    key: &dyn Fn(&str) -> String,
    problems: &mut Problems,
) -> (String, Option<String>) {
    let Some(source) = source_signs_in else {
        if let Some(permission_set) = &raw.permission_set {
            problems.at(
                permission_set.span(),
                key("permission_set"),
                "permission_set names a role of an Identity Center source; this role's source holds keys: use `role_name`",
            );
        }
        return (role_arn(account, raw, name, key, problems), None);
    };
    let refuse = |problems: &mut Problems, span: std::ops::Range<usize>, field: &str, why: &str| {
        problems.at(span, key(field), format!("{why} (source {source} signs in through Identity Center)"));
    };
    if let Some(role_name) = raw.role_name.as_deref().or(raw.arn.as_ref()) {
        let field = if raw.role_name.is_some() { "role_name" } else { "arn" };
        refuse(problems, role_name.span(), field, "an Identity Center role is named by its `permission_set`");
    }
    if let Some(mfa) = &raw.mfa {
        refuse(problems, mfa.span(), "mfa", "`mfa` does not apply: MFA is part of the sign-in");
    }
    if let Some(duration) = &raw.duration {
        refuse(problems, duration.span(), "duration", "`duration` does not apply: the permission set decides");
    }
    if let Some(external_id) = &raw.external_id {
        refuse(problems, external_id.span(), "external_id", "`external_id` does not apply to a permission set");
    }
    let Some(permission_set) = &raw.permission_set else {
        problems.at(
            name.span(),
            key("permission_set"),
            "the role needs `permission_set = \"NAME\"` (as the portal lists it)",
        );
        return (String::new(), None);
    };
    let text = permission_set.get_ref();
    if text.is_empty() || text.len() > 32 || !text.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c)) {
        problems.at(permission_set.span(), key("permission_set"), format!("\"{text}\" is not a permission set name"));
    }
    let arn = format!("arn:aws:iam::{}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_{text}_*", account.id);
    (arn, Some(text.clone()))
}

/// The role's ARN from `role_name` or `arn` (one of them, not both).
fn role_arn(
    account: &Account,
    raw: &RawRole,
    name: &Text,
    key: &dyn Fn(&str) -> String,
    problems: &mut Problems,
) -> String {
    match (&raw.role_name, &raw.arn) {
        (Some(role_name), None) => {
            let valid = !role_name.get_ref().is_empty()
                && role_name.get_ref().chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@-_/".contains(c));
            if !valid {
                problems.at(
                    role_name.span(),
                    key("role_name"),
                    format!("\"{}\" is not an IAM role name", role_name.get_ref()),
                );
            }
            format!("arn:aws:iam::{}:role/{}", account.id, role_name.get_ref().trim_start_matches('/'))
        }
        (None, Some(arn)) => {
            match parse_role_arn(arn.get_ref()) {
                Ok(arn_account) if !account.id.is_empty() && arn_account != account.id => problems.at(
                    arn.span(),
                    key("arn"),
                    format!(
                        "the ARN is in account {arn_account}, but the role is listed under {} ({})",
                        account.name, account.id
                    ),
                ),
                Ok(_) => {}
                Err(message) => problems.at(arn.span(), key("arn"), message),
            }
            arn.get_ref().clone()
        }
        (Some(role_name), Some(_)) => {
            problems.at(role_name.span(), key("role_name"), "give either `role_name` or `arn`, not both");
            String::new()
        }
        (None, None) => {
            problems.at(
                name.span(),
                key("role_name"),
                "the role needs `role_name = \"NAME\"` or `arn = \"arn:aws:iam::ACCOUNT:role/NAME\"`",
            );
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::domain::inventory::{Inventory, InventoryError, Problem, SourceCredentials};

    const VALID: &str = r#"
[sources.corp]
sso_start_url = "https://corp.awsapps.com/start"
sso_region = "eu-west-1"

[sources.hub]
profile = "hub"

[[accounts]]
name = "prod"
id = "111111111111"
  [[accounts.roles]]
  name = "admin"
  permission_set = "AdministratorAccess"
  source = "corp"
  [[accounts.roles]]
  name = "deploy"
  role_name = "Deploy"
  via = "prod/admin"
  [[accounts.roles]]
  name = "keys"
  role_name = "Keys"
  source = "hub"
"#;

    fn problems(text: &str) -> Vec<Problem> {
        match Inventory::parse(Path::new("/etc/accounts.toml"), text) {
            Err(InventoryError::Invalid(found)) => found,
            Ok(_) => panic!("expected the inventory to be rejected"),
            Err(other) => panic!("unexpected error: {other}"),
        }
    }

    #[test]
    fn an_identity_center_source_and_its_roles_load_with_the_default_scope() {
        let inventory = Inventory::parse(Path::new("accounts.toml"), VALID).unwrap();
        let SourceCredentials::Sso(sso) = &inventory.source("corp").unwrap().credentials else {
            panic!("corp is an Identity Center source");
        };
        assert_eq!(sso.scopes, ["sso:account:access"]);
        let admin = inventory.find_role("prod/admin").unwrap();
        assert_eq!(admin.permission_set.as_deref(), Some("AdministratorAccess"));
        assert!(admin.arn.contains("AWSReservedSSO_AdministratorAccess_"), "{}", admin.arn);
    }

    #[test]
    fn each_identity_center_rule_points_at_its_key() {
        let cases: &[(&str, &str, &str, &str)] = &[
            (
                "\"https://corp.awsapps.com/start\"",
                "\"http://corp.awsapps.com/start\"",
                "sources.corp.sso_start_url",
                "is not a start URL",
            ),
            ("sso_region = \"eu-west-1\"", "sso_region = \"europe\"", "sources.corp.sso_region", "not an AWS region"),
            (
                "sso_region = \"eu-west-1\"\n",
                "sso_region = \"eu-west-1\"\nmfa_serial = \"arn:aws:iam::123456789012:mfa/a\"\n",
                "sources.corp.mfa_serial",
                "MFA is part of its sign-in",
            ),
            (
                "sso_region = \"eu-west-1\"\n",
                "sso_region = \"eu-west-1\"\nprofile = \"x\"\n",
                "sources.corp.profile",
                "belongs to a source of keys",
            ),
            (
                "sso_region = \"eu-west-1\"\n",
                "sso_region = \"eu-west-1\"\nsso_scopes = []\n",
                "sources.corp.sso_scopes",
                "a list of scopes",
            ),
            ("sso_region = \"eu-west-1\"\n", "", "sources.corp.sso_region", "needs `sso_region`"),
            (
                "permission_set = \"AdministratorAccess\"\n",
                "role_name = \"Admin\"\n",
                "accounts[prod].roles[admin].role_name",
                "named by its `permission_set`",
            ),
            (
                "permission_set = \"AdministratorAccess\"\n",
                "permission_set = \"AdministratorAccess\"\n  duration = \"2h\"\n",
                "accounts[prod].roles[admin].duration",
                "the permission set decides",
            ),
            (
                "role_name = \"Keys\"\n",
                "permission_set = \"Keys\"\n",
                "accounts[prod].roles[keys].permission_set",
                "source holds keys",
            ),
            (
                "permission_set = \"AdministratorAccess\"",
                "permission_set = \"Admin Access\"",
                "accounts[prod].roles[admin].permission_set",
                "not a permission set name",
            ),
        ];
        for (from, to, key, says) in cases {
            assert!(VALID.contains(from), "test setup: {from:?}");
            let found = problems(&VALID.replacen(from, to, 1));
            let problem = found
                .iter()
                .find(|problem| problem.key == *key)
                .unwrap_or_else(|| panic!("{to:?}: no problem at {key}: {found:#?}"));
            assert!(problem.message.contains(says), "{to:?}: {}", problem.message);
            assert!(problem.line > 0 && problem.column > 0, "{problem:?}");
        }
    }
}
