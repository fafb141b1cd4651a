use std::path::Path;

use super::import;
use crate::domain::inventory::{Inventory, RoleParent};
use crate::domain::plan::{LayerKind, plan_for};

const CONFIG: &str = "\
[default]
region = eu-west-1

[profile hub]
mfa_serial = arn:aws:iam::999999999999:mfa/alice

[profile prod-admin]
role_arn = arn:aws:iam::111111111111:role/Admin
source_profile = hub
mfa_serial = arn:aws:iam::999999999999:mfa/alice
duration_seconds = 7200

[profile prod-deploy]
role_arn = arn:aws:iam::111111111111:role/Deploy
source_profile = prod-admin
duration_seconds = 7200
role_session_name = ci-deploy

[profile partner]
role_arn = arn:aws:iam::222222222222:role/Partner
source_profile = ops
external_id = partner-123
region = us-west-2
colour = blue

[profile corp-sso]
sso_session = corp
sso_account_id = 333333333333

[profile helper]
credential_process = /usr/bin/helper

[profile loop-a]
role_arn = arn:aws:iam::444444444444:role/A
source_profile = loop-b

[profile loop-b]
role_arn = arn:aws:iam::444444444444:role/B
source_profile = loop-a

[profile from-sso]
role_arn = arn:aws:iam::555555555555:role/X
source_profile = corp-sso

[profile broken]
role_arn = arn:aws:iam::666666666666:role/Y
this line is wrong
";

fn line_of(needle: &str) -> usize {
    CONFIG.lines().position(|line| line.contains(needle)).unwrap() + 1
}

fn imported() -> (super::Import<'static>, Inventory) {
    let mut result = import(CONFIG, Path::new("/home/alice/.aws/config"));
    let inventory = read_back(&mut result);
    (result, inventory)
}

/// The inventory of an import's text, after checking it is the one the import built in
/// memory (and checked) as it wrote that text.
pub(super) fn read_back(result: &mut super::Import<'_>) -> Inventory {
    let path = Path::new("accounts.toml");
    let inventory =
        Inventory::parse(path, &result.toml).unwrap_or_else(|problems| panic!("{problems}\n{}", result.toml));
    let in_memory = Inventory::checked(path, &result.toml, std::mem::take(&mut result.raw))
        .unwrap_or_else(|problems| panic!("in memory: {problems}\n{}", result.toml));
    let parts = |inventory: &Inventory| {
        format!("{:#?}", (&inventory.defaults, &inventory.sources, inventory.accounts(), &inventory.ui))
    };
    assert_eq!(parts(&in_memory), parts(&inventory), "{}", result.toml);
    inventory
}

#[test]
fn role_profiles_become_roles_chained_with_via() {
    let (result, inventory) = imported();
    assert_eq!(result.addresses.get("prod-admin").map(|address| address.as_str()), Some("prod/admin"));
    assert_eq!(result.addresses.get("prod-deploy").map(|address| address.as_str()), Some("prod/deploy"));
    let admin = inventory.find_role("prod/admin").unwrap();
    assert_eq!(admin.parent, RoleParent::Source("hub".into()));
    assert!(admin.mfa);
    assert_eq!(admin.region, "eu-west-1");
    let deploy = inventory.find_role("prod/deploy").unwrap();
    assert_eq!(deploy.parent, RoleParent::Via("prod/admin".parse().unwrap()));
    assert_eq!(deploy.session_name.as_deref(), Some("ci-deploy"));
    assert_eq!(inventory.source("hub").unwrap().mfa_serial.as_deref(), Some("arn:aws:iam::999999999999:mfa/alice"));
    let plan = plan_for(&inventory, deploy).unwrap();
    assert!(matches!(
        &plan.target().kind,
        LayerKind::AssumeRole { duration, chained: true, .. } if duration.as_secs() == 3600
    ));
    assert!(
        result
            .notes
            .iter()
            .any(|note| note.line == line_of("ci-deploy") - 1 && note.message.contains("imported as 1h")),
        "{:?}",
        result.notes
    );
}

#[test]
fn a_source_outside_the_config_is_a_profile_of_the_credentials_file() {
    let (_, inventory) = imported();
    let partner = inventory.find_role("222222222222/partner").unwrap();
    assert_eq!(partner.parent, RoleParent::Source("ops".into()));
    assert_eq!(partner.external_id.as_deref(), Some("partner-123"));
    assert_eq!(partner.region, "us-west-2");
}

#[test]
fn sso_credential_process_cycles_and_broken_profiles_are_skipped_with_their_lines() {
    let (result, inventory) = imported();
    let reason = |profile: &str| {
        result
            .skipped
            .iter()
            .find(|finding| finding.profile.as_deref() == Some(profile))
            .map(|finding| (finding.line, finding.message.clone()))
            .unwrap_or_else(|| panic!("{profile} is not listed as skipped: {:?}", result.skipped))
    };
    assert!(reason("corp-sso").1.contains("SSO"));
    assert!(reason("helper").1.contains("credential_process"));
    assert!(reason("loop-a").1.contains("cycle"), "{:?}", reason("loop-a"));
    assert!(reason("loop-b").1.contains("cycle"));
    assert!(reason("from-sso").1.contains("corp-sso"));
    assert_eq!(reason("broken").0, line_of("[profile broken]"));
    assert!(
        result.skipped.iter().any(|finding| finding.profile.is_none() && finding.line == line_of("this line is wrong"))
    );
    assert!(
        result.notes.iter().any(|note| note.line == line_of("colour") && note.message.contains("colour")),
        "{:?}",
        result.notes
    );
    assert_eq!(inventory.roles().count(), 3);
    assert!(result.toml.contains("# Not imported"), "the file says it is partial");
}

#[test]
fn a_second_mfa_device_on_one_key_profile_gets_a_source_of_its_own() {
    let config = "\
[profile a]
role_arn = arn:aws:iam::111111111111:role/A
source_profile = keys
mfa_serial = arn:aws:iam::999999999999:mfa/one
[profile b]
role_arn = arn:aws:iam::111111111111:role/B
source_profile = keys
mfa_serial = arn:aws:iam::999999999999:mfa/two
[profile c]
role_arn = arn:aws:iam::111111111111:role/C
source_profile = keys
";
    let result = import(config, Path::new("config"));
    let inventory = Inventory::parse(Path::new("accounts.toml"), &result.toml).unwrap();
    let source_of = |address: &str| inventory.root_source(inventory.find_role(address).unwrap()).unwrap();
    assert_eq!(source_of("111111111111/a").name, "keys");
    assert_eq!(source_of("111111111111/b").name, "keys-mfa2");
    assert_eq!(source_of("111111111111/b").mfa_serial.as_deref(), Some("arn:aws:iam::999999999999:mfa/two"));
    assert_eq!(source_of("111111111111/c").name, "keys");
    assert!(!inventory.find_role("111111111111/c").unwrap().mfa);
}

#[test]
fn aws_vault_tags_source_identity_and_mfa_process_are_carried_over() {
    let config = "\
[profile ops]
role_arn = arn:aws:iam::111111111111:role/Ops
source_profile = keys
mfa_serial = arn:aws:iam::999999999999:mfa/alice
mfa_process = ykman oath accounts code -s aws
session_tags = team=payments, env = prod,bad
transitive_session_tags = team,missing
source_identity = alice
";
    let result = import(config, Path::new("config"));
    let inventory = Inventory::parse(Path::new("accounts.toml"), &result.toml)
        .unwrap_or_else(|problems| panic!("{problems}\n{}", result.toml));
    let role = inventory.find_role("111111111111/ops").unwrap();
    assert_eq!(
        role.session().tags,
        [("env".to_owned(), "prod".to_owned()), ("team".to_owned(), "payments".to_owned())]
    );
    assert_eq!(role.session().transitive_tag_keys, ["team"]);
    assert_eq!(role.session().source_identity.as_deref(), Some("alice"));
    assert_eq!(inventory.source("keys").unwrap().mfa_command.as_deref(), Some("ykman oath accounts code -s aws"));
    let passed_over: Vec<&str> = result.notes.iter().map(|note| note.message.as_str()).collect();
    assert_eq!(passed_over.len(), 2, "{passed_over:?}");
    assert!(passed_over[0].contains("\"bad\"") && passed_over[1].contains("\"missing\""), "{passed_over:?}");
}

/// Each value of the inventory built in memory points at where the text has it, so a problem
/// `check` finds there names the line and column it would name reading the file.
#[test]
fn the_inventory_built_in_memory_points_at_its_values_in_the_text() {
    let result = import(CONFIG, Path::new("/home/alice/.aws/config"));
    let text = &result.toml;
    let written = |spanned: &toml::Spanned<String>| {
        let line = format!("value = {}", &text[spanned.span()]);
        let table: toml::Table = toml::from_str(&line).unwrap_or_else(|error| panic!("{line}: {error}"));
        assert_eq!(table["value"].as_str(), Some(spanned.get_ref().as_str()), "{line}");
    };
    let mut checked = 0;
    for source in result.raw.sources.values() {
        let source = source.get_ref();
        for field in [&source.profile, &source.mfa_serial, &source.sso_start_url, &source.sso_region] {
            field.iter().for_each(written);
            checked += field.iter().count();
        }
    }
    for account in &result.raw.accounts {
        let account = account.get_ref();
        [&account.name, &account.id].into_iter().flatten().for_each(written);
        for role in &account.roles {
            assert!(text[role.span()].trim_start().starts_with("[[accounts.roles]]"), "{:?}", role.span());
            let role = role.get_ref();
            for field in [&role.name, &role.arn, &role.source, &role.via] {
                field.iter().for_each(written);
                checked += field.iter().count();
            }
            [&role.duration, &role.external_id, &role.session_name, &role.region]
                .into_iter()
                .flatten()
                .for_each(|field| written(field));
        }
    }
    assert!(checked >= 10, "only {checked} values were looked at");
}

/// Found by the `aws_config` fuzz target: a key profile's own `mfa_serial` that is no device's
/// ARN made a source `check` refuses, so the whole import failed. It is passed over with a note.
#[test]
fn a_key_profiles_malformed_mfa_serial_is_passed_over_with_a_note() {
    let config = "[profile keys]\nmfa_serial = arn:aws:iam::99999)))9999999:mfa/alice\n\n[profile tagged]\nrole_arn = arn:aws:iam::333333333333:role/Tagged\nsource_profile = keys\nmfa_serial = arn:aws:iam::999999999999:mfa/alice\n";
    let mut result = import(config, Path::new("config"));
    let inventory = read_back(&mut result);
    let role = inventory.find_role("333333333333/tagged").unwrap_or_else(|error| panic!("{error}\n{}", result.toml));
    assert!(role.mfa);
    assert_eq!(inventory.source("keys").unwrap().mfa_serial.as_deref(), Some("arn:aws:iam::999999999999:mfa/alice"));
    let note = result.notes.iter().find(|note| note.line == 2).unwrap_or_else(|| panic!("{:?}", result.notes));
    assert!(note.message.contains("mfa_serial is passed over"), "{note}");
    assert!(result.skipped.is_empty(), "{:?}", result.skipped);
}

/// Found by the `aws_config` fuzz target: tag keys differing only in case (AWS takes them as
/// one) were both kept, and `check` refused the import. The first is kept, and said so.
#[test]
fn a_session_tag_given_twice_in_other_case_is_kept_once_with_a_note() {
    let config = "[profile keys]\n\n[profile tagged]\nrole_arn = arn:aws:iam::333333333333:role/Tagged\nsource_profile = keys\nsession_tags = CostCorp=1, team=a, costcorp=2\n";
    let mut result = import(config, Path::new("config"));
    let inventory = read_back(&mut result);
    let role = inventory.find_role("333333333333/tagged").unwrap_or_else(|error| panic!("{error}\n{}", result.toml));
    let tags: Vec<(&str, &str)> =
        role.session().tags.iter().map(|(key, value)| (key.as_str(), value.as_str())).collect();
    assert_eq!(tags, [("CostCorp", "1"), ("team", "a")], "{}", result.toml);
    assert!(result.notes.iter().any(|note| note.message.contains("\"costcorp\" is given twice")), "{:?}", result.notes);
}
