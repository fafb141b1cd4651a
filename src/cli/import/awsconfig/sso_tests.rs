//! Identity Center profiles: each mapping to the inventory, and each reason a profile or a
//! session is skipped. Every import here is parsed as an inventory, as `check` would.

use std::path::Path;

use super::{Import, import};
use crate::domain::inventory::{Inventory, RoleParent, SourceCredentials, SsoSettings};
use crate::domain::plan::{LayerKind, plan_for};

const CORP: &str = "\
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
";

fn imported(config: &str) -> (Import<'_>, Inventory) {
    let mut result = import(config, Path::new("config"));
    let inventory = super::tests::read_back(&mut result);
    (result, inventory)
}

fn sso(inventory: &Inventory, source: &str) -> SsoSettings {
    match &inventory.source(source).unwrap_or_else(|| panic!("no source {source}")).credentials {
        SourceCredentials::Sso(settings) => settings.clone(),
        other => panic!("{source} is not an Identity Center source: {other:?}"),
    }
}

/// The reason `profile` (or, with `None`, the first finding of no profile) was skipped.
fn skipped(result: &Import, profile: Option<&str>) -> String {
    result
        .skipped
        .iter()
        .find(|finding| finding.profile.as_deref() == profile)
        .map(|finding| finding.message.clone())
        .unwrap_or_else(|| panic!("{profile:?} is not listed as skipped: {:?}", result.skipped))
}

fn line_of(config: &str, needle: &str) -> usize {
    config.lines().position(|line| line.contains(needle)).unwrap() + 1
}

#[test]
fn a_session_becomes_a_source_with_scopes_only_when_they_are_not_the_default() {
    let config = format!(
        "{CORP}\n[sso-session lab]\nsso_start_url = https://lab.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access, codewhisperer:completions\n"
    );
    let (result, inventory) = imported(&config);
    let corp = sso(&inventory, "corp");
    assert_eq!((corp.start_url.as_str(), corp.region.as_str()), ("https://corp.awsapps.com/start", "eu-west-1"));
    assert!(!result.toml.contains("sso_scopes = [\"sso:account:access\"]"), "{}", result.toml);
    assert_eq!(sso(&inventory, "lab").scopes, ["sso:account:access", "codewhisperer:completions"]);
    assert!(result.toml.contains("# [sso-session corp] (line 1)\n[sources.corp]"), "{}", result.toml);
    assert_eq!(result.sources, 2);
}

#[test]
fn a_session_without_scopes_gets_the_default_and_a_bad_name_is_made_valid_and_unique() {
    let config = "\
[sso-session my corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
[sso-session hub]
sso_start_url = https://hub.awsapps.com/start
sso_region = eu-west-1
[profile a]
role_arn = arn:aws:iam::111111111111:role/A
source_profile = hub
";
    let (result, inventory) = imported(config);
    assert_eq!(sso(&inventory, "my-corp").scopes, ["sso:account:access"]);
    assert!(
        result.notes.iter().any(|note| note.line == 1 && note.message.contains("is source my-corp")),
        "{:?}",
        result.notes
    );
    // The session keeps its name; the keys profile of the same name yields.
    assert!(inventory.source("hub").unwrap().sso().is_some());
    let role = inventory.find_role("111111111111/a").unwrap();
    assert_eq!(role.parent, RoleParent::Source("hub-2".into()));
}

#[test]
fn profiles_of_a_session_become_permission_sets_in_their_accounts() {
    let config = format!(
        "{CORP}
[profile payments-prod-admin]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = AdministratorAccess
region = us-west-2

[profile payments-prod-read]
sso_session = corp
sso_start_url = https://corp.awsapps.com/start
sso_account_id = 111111111111
sso_role_name = ReadOnlyAccess

[profile data-admin]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = AdministratorAccess
"
    );
    let (result, inventory) = imported(&config);
    assert_eq!(result.addresses["payments-prod-admin"], "payments-prod/admin");
    assert_eq!(result.addresses["payments-prod-read"], "payments-prod/read");
    assert_eq!(result.addresses["data-admin"], "data/admin");
    let admin = inventory.find_role("payments-prod/admin").unwrap();
    assert_eq!(admin.permission_set.as_deref(), Some("AdministratorAccess"));
    assert_eq!(admin.account_id, "111111111111");
    assert_eq!(admin.parent, RoleParent::Source("corp".into()));
    assert_eq!(admin.region, "us-west-2");
    assert_eq!(inventory.find_role("data/admin").unwrap().account_id, "222222222222");
    let plan = plan_for(&inventory, admin).unwrap();
    assert!(matches!(plan.layers[0].kind, LayerKind::SsoSignIn { .. }), "{plan:?}");
    assert!(matches!(plan.target().kind, LayerKind::SsoRole { .. }), "{plan:?}");
    assert!(result.skipped.is_empty() && result.notes.is_empty(), "{:?} {:?}", result.skipped, result.notes);
}

#[test]
fn legacy_profiles_share_a_source_per_start_url_and_region_named_from_the_portal_or_the_profile() {
    let config = "\
[profile old-a]
sso_start_url = https://legacy.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111111111111
sso_role_name = Admin
[profile old-b]
sso_start_url = https://legacy.awsapps.com/start
sso_region = us-east-1
sso_account_id = 222222222222
sso_role_name = Admin
[profile old-west]
sso_start_url = https://legacy.awsapps.com/start
sso_region = us-west-2
sso_account_id = 222222222222
sso_role_name = Read
[profile gov]
sso_start_url = https://start.us-gov-home.awsapps.com/directory/d-1234567890
sso_region = us-gov-west-1
sso_account_id = 333333333333
sso_role_name = Admin
";
    let (result, inventory) = imported(config);
    let source_of = |profile: &str| {
        let role = inventory.find_role(&result.addresses[profile]).unwrap();
        inventory.root_source(role).unwrap().name.clone()
    };
    assert_eq!(source_of("old-a"), "legacy");
    assert_eq!(source_of("old-b"), "legacy");
    assert_eq!(source_of("old-west"), "legacy-2");
    assert_eq!(sso(&inventory, "legacy-2").region, "us-west-2");
    assert_eq!(source_of("gov"), "gov", "a portal address without a name of its own: the profile's");
    assert_eq!(inventory.sources.len(), 3);
    assert!(result.toml.contains("# sso_start_url of profile old-a (line 2)\n"), "{}", result.toml);
}

#[test]
fn a_legacy_profile_of_a_sessions_start_url_and_region_uses_the_sessions_source() {
    let config = format!(
        "{CORP}[profile old]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 111111111111\nsso_role_name = Admin\n"
    );
    let (result, inventory) = imported(&config);
    assert_eq!(inventory.sources.len(), 1);
    assert_eq!(inventory.find_role("111111111111/old").unwrap().parent, RoleParent::Source("corp".into()));
    assert!(
        result.notes.iter().any(|note| note.message.contains("source corp signs in for both")),
        "{:?}",
        result.notes
    );
}

#[test]
fn a_role_whose_source_profile_is_an_identity_center_profile_is_chained_from_its_permission_set() {
    let config = format!(
        "{CORP}
[profile prod-admin]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = AdministratorAccess

[profile prod-deploy]
role_arn = arn:aws:iam::111111111111:role/Deploy
source_profile = prod-admin
duration_seconds = 7200

[profile other-audit]
role_arn = arn:aws:iam::222222222222:role/Audit
source_profile = prod-deploy
"
    );
    let (result, inventory) = imported(&config);
    let deploy = inventory.find_role("prod/deploy").unwrap();
    assert_eq!(deploy.parent, RoleParent::Via("prod/admin".parse().unwrap()));
    assert_eq!(deploy.duration.map(|duration| duration.as_secs()), Some(3600));
    assert!(result.notes.iter().any(|note| note.message.contains("imported as 1h")), "{:?}", result.notes);
    let audit = inventory.find_role(&result.addresses["other-audit"]).unwrap();
    let plan = plan_for(&inventory, audit).unwrap();
    let labels: Vec<&str> = plan.layers.iter().map(|layer| layer.label()).collect();
    assert_eq!(labels, ["Identity Center sign-in", "permission set", "chained role", "chained role"]);
}

#[test]
fn keys_a_permission_set_has_no_use_for_are_passed_over_with_a_note() {
    let config = format!(
        "{CORP}[profile a]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\nmfa_serial = arn:aws:iam::111111111111:mfa/me\nduration_seconds = 7200\nsession_tags = a=b\n"
    );
    let (result, inventory) = imported(&config);
    let role = inventory.find_role("111111111111/a").unwrap();
    assert!(!role.mfa && role.duration.is_none() && role.session().tags.is_empty());
    let passed: Vec<(usize, &str)> =
        result.notes.iter().map(|note| (note.line, note.message.split(' ').next().unwrap())).collect();
    assert_eq!(
        passed,
        [
            (line_of(&config, "mfa_serial"), "mfa_serial"),
            (line_of(&config, "duration_seconds"), "duration_seconds"),
            (line_of(&config, "session_tags"), "session_tags")
        ]
    );
}

#[test]
fn role_arn_comes_before_the_sign_in_of_the_same_profile_as_in_the_aws_cli() {
    let config = format!(
        "{CORP}[profile r]\nsso_session = corp\nrole_arn = arn:aws:iam::111111111111:role/R\nsource_profile = keys\n"
    );
    let (result, inventory) = imported(&config);
    assert_eq!(inventory.find_role("111111111111/r").unwrap().parent, RoleParent::Source("keys".into()));
    assert!(result.notes.iter().any(|note| note.message.contains("role_arn with source_profile comes first")));
}

#[test]
fn a_profile_contradicting_its_session_is_skipped_and_so_are_the_roles_chained_from_it() {
    for (key, value) in [
        ("sso_region", "us-east-1"),
        ("sso_start_url", "https://other.awsapps.com/start"),
        ("sso_registration_scopes", "sso:account:access,codewhisperer:completions"),
    ] {
        let config = format!(
            "{CORP}[profile bad]\nsso_session = corp\n{key} = {value}\nsso_account_id = 111111111111\nsso_role_name = Admin\n[profile good]\nsso_session = corp\nsso_region = eu-west-1\nsso_account_id = 111111111111\nsso_role_name = Read\n[profile child]\nrole_arn = arn:aws:iam::111111111111:role/C\nsource_profile = bad\n"
        );
        let (result, inventory) = imported(&config);
        let reason = skipped(&result, Some("bad"));
        assert!(reason.contains(&format!("{key} = {value} (line {})", line_of(&config, value))), "{reason}");
        assert!(reason.contains("the AWS CLI refuses"), "{reason}");
        assert!(skipped(&result, Some("child")).contains("its source_profile bad is skipped"));
        assert_eq!(inventory.roles().count(), 1, "{key}: the profile that agrees is imported");
    }
}

#[test]
fn a_missing_or_unusable_session_skips_its_profiles() {
    let cases = [
        ("", "there is no [sso-session corp] section"),
        ("[sso-session corp]\nsso_region = eu-west-1\n", "it has no sso_start_url"),
        ("[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n", "it has no sso_region"),
        ("[sso-session corp]\nsso_start_url = http://corp/start\nsso_region = eu-west-1\n", "not the https:// address"),
        (
            "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = europe\n",
            "not an AWS region",
        ),
        (
            "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\nbroken line\n",
            "could not be read",
        ),
    ];
    for (session, says) in cases {
        let config = format!(
            "{session}[profile a]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n[profile k]\nrole_arn = arn:aws:iam::111111111111:role/K\nsource_profile = keys\n"
        );
        let (result, inventory) = imported(&config);
        let reason = skipped(&result, Some("a"));
        assert!(reason.contains(says), "{session:?}: {reason}");
        if !session.is_empty() {
            assert!(reason.starts_with("its sso-session corp is not imported"), "{reason}");
            let listed = skipped(&result, None);
            assert!(listed.contains("sso-session corp: ") && listed.contains(says), "{listed}");
        }
        assert!(!inventory.sources.contains_key("corp"));
    }
}

#[test]
fn each_unusable_identity_center_profile_is_skipped_with_why() {
    let cases = [
        ("sso_session = corp\n", "only signs in: it names no role"),
        ("sso_session = corp\nsso_role_name = Admin\n", "sso_role_name without sso_account_id"),
        ("sso_session = corp\nsso_account_id = 111111111111\n", "sso_account_id without sso_role_name"),
        ("sso_session = corp\nsso_account_id = 1111\nsso_role_name = Admin\n", "\"1111\" is not an AWS account id"),
        (
            "sso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin Access\n",
            "not a permission set name",
        ),
        (
            "sso_start_url = https://old.awsapps.com/start\nsso_account_id = 111111111111\nsso_role_name = A\n",
            "without sso_region",
        ),
        (
            "sso_start_url = https://old.awsapps.com/start\nsso_region = nowhere\nsso_account_id = 111111111111\nsso_role_name = A\n",
            "\"nowhere\" is not an AWS region",
        ),
        (
            "sso_start_url = old.awsapps.com\nsso_region = us-east-1\nsso_account_id = 111111111111\nsso_role_name = A\n",
            "not the https:// address",
        ),
        (
            "sso_session = corp\nrole_arn = arn:aws:iam::111111111111:role/R\nsource_profile = p\n",
            "source_profile naming itself",
        ),
    ];
    for (keys, says) in cases {
        let config = format!(
            "{CORP}[profile p]\n{keys}[profile k]\nrole_arn = arn:aws:iam::111111111111:role/K\nsource_profile = keys\n"
        );
        let (result, _) = imported(&config);
        let reason = skipped(&result, Some("p"));
        assert!(reason.contains(says), "{keys:?}: {reason}");
    }
}

#[test]
fn a_chained_role_with_an_mfa_device_under_a_sign_in_is_skipped() {
    let config = format!(
        "{CORP}[profile p]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n[profile c]\nrole_arn = arn:aws:iam::111111111111:role/C\nsource_profile = p\nmfa_serial = arn:aws:iam::111111111111:mfa/me\n"
    );
    let (result, inventory) = imported(&config);
    assert!(skipped(&result, Some("c")).contains("chained from an Identity Center role"), "{:?}", result.skipped);
    assert_eq!(inventory.roles().count(), 1);
}

#[test]
fn a_config_of_sessions_alone_imports_their_sources() {
    let config = format!("{CORP}[profile login]\nsso_session = corp\n");
    let (result, inventory) = imported(&config);
    assert!(result.addresses.is_empty());
    assert_eq!(inventory.sources.len(), 1);
    assert_eq!(result.sources, 1);
}

#[test]
fn a_source_name_with_a_dot_is_quoted_in_its_table_header() {
    let config = "\
[sso-session corp.prod]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
[profile a]
sso_session = corp.prod
sso_account_id = 111111111111
sso_role_name = Admin
[profile b]
role_arn = arn:aws:iam::111111111111:role/B
source_profile = team.keys
";
    let (result, inventory) = imported(config);
    assert!(result.toml.contains("[sources.\"corp.prod\"]"), "{}", result.toml);
    assert!(inventory.source("corp.prod").unwrap().sso().is_some());
    let b = inventory.find_role(&result.addresses["b"]).unwrap();
    assert_eq!(b.parent, RoleParent::Source("team.keys".into()));
}
