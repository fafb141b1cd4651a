//! Every validation rule, each with the file:line:column and key it must point at.

use std::path::Path;

use super::{Inventory, InventoryError, Problem, RoleParent, SourceCredentials};

const VALID: &str = r#"
[defaults]
region = "eu-west-1"
duration = "1h"
refresh_before = "5m"

[sources.hub]
profile = "hub"
mfa_serial = "arn:aws:iam::123456789012:mfa/alice"
session_duration = "12h"

[[accounts]]
name = "prod"
id = "111111111111"
environment = "production"
tags = ["payments"]
region = "eu-central-1"

  [[accounts.roles]]
  name = "admin"
  role_name = "Admin"
  source = "hub"
  mfa = true
  external_id = "x-123"
  read_only = true

[[accounts]]
name = "shared"
id = "222222222222"

  [[accounts.roles]]
  name = "deploy"
  arn = "arn:aws:iam::222222222222:role/ci/Deploy"
  via = "prod/admin"
"#;

fn problems(text: &str) -> Vec<Problem> {
    match Inventory::parse(Path::new("/etc/accounts.toml"), text) {
        Err(InventoryError::Invalid(found)) => found,
        Ok(_) => panic!("expected the inventory to be rejected"),
        Err(other) => panic!("unexpected error: {other}"),
    }
}

/// Replaces `from` in the valid inventory, asserts exactly one problem, and returns it.
fn one_problem(from: &str, to: &str) -> Problem {
    assert!(VALID.contains(from), "test setup: {from:?} is not in the valid inventory");
    let found = problems(&VALID.replacen(from, to, 1));
    assert_eq!(found.len(), 1, "{found:#?}");
    found.into_iter().next().unwrap()
}

#[test]
fn the_documented_example_loads() {
    let inventory = Inventory::parse(Path::new("accounts.toml"), VALID).unwrap();
    let admin = inventory.find_role("prod/admin").unwrap();
    assert_eq!(admin.arn, "arn:aws:iam::111111111111:role/Admin");
    assert_eq!(admin.region, "eu-central-1", "the account's region wins over the defaults");
    assert!(admin.mfa && admin.read_only);
    let deploy = inventory.find_role("shared/deploy").unwrap();
    assert_eq!(deploy.region, "eu-west-1");
    assert!(matches!(&deploy.parent, RoleParent::Via(parent) if parent.to_string() == "prod/admin"));
    assert_eq!(inventory.root_source(deploy).map(|source| source.name.as_str()), Some("hub"));
    assert!(matches!(inventory.sources["hub"].credentials, SourceCredentials::Profile { .. }));
    assert!(inventory.account("prod").unwrap().is_production());
}

#[test]
fn the_shipped_example_file_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("accounts.example.toml");
    let inventory = Inventory::load(&path).unwrap_or_else(|error| panic!("{error}"));
    assert!(inventory.roles().count() >= 3);
}

#[test]
fn unknown_keys_are_named_with_their_position() {
    let problem = one_problem("  read_only = true", "  read_only = true\n  colour = \"red\"");
    assert_eq!((problem.line, problem.column), (26, 3));
    assert_eq!(problem.key, "colour");
    assert!(problem.message.contains("unknown field `colour`"), "{}", problem.message);
    assert_eq!(problem.to_string().split(": ").next(), Some("/etc/accounts.toml:26:3"));
}

#[test]
fn syntax_errors_point_at_the_line() {
    let problem = one_problem("name = \"prod\"", "name = \"prod");
    assert_eq!(problem.line, 13);
}

#[test]
fn each_rule_names_the_key_and_says_what_to_do() {
    let cases: &[(&str, &str, &str, &str)] = &[
        ("id = \"111111111111\"", "id = \"1111\"", "accounts[prod].id", "exactly 12 digits"),
        ("id = \"111111111111\"", "id = \"11111111111x\"", "accounts[prod].id", "exactly 12 digits"),
        (
            "arn = \"arn:aws:iam::222222222222:role/ci/Deploy\"",
            "arn = \"arn:aws:iam::222222222222:user/Deploy\"",
            "accounts[shared].roles[deploy].arn",
            "not an IAM role ARN",
        ),
        (
            "arn = \"arn:aws:iam::222222222222:role/ci/Deploy\"",
            "arn = \"arn:aws:iam::333333333333:role/Deploy\"",
            "accounts[shared].roles[deploy].arn",
            "is in account 333333333333",
        ),
        (
            "source = \"hub\"",
            "source = \"hbu\"",
            "accounts[prod].roles[admin].source",
            "there is no source \"hbu\" (defined: hub)",
        ),
        ("via = \"prod/admin\"", "via = \"prod/nobody\"", "accounts[shared].roles[deploy].via", "no role prod/nobody"),
        ("via = \"prod/admin\"", "via = \"admin\"", "accounts[shared].roles[deploy].via", "ACCOUNT/ROLE"),
        ("  source = \"hub\"\n  mfa", "  mfa", "accounts[prod].roles[admin].source", "needs `source"),
        (
            "via = \"prod/admin\"",
            "via = \"prod/admin\"\n  source = \"hub\"",
            "accounts[shared].roles[deploy].source",
            "not both",
        ),
        (
            "role_name = \"Admin\"",
            "role_name = \"Admin\"\n  arn = \"arn:aws:iam::111111111111:role/Admin\"",
            "accounts[prod].roles[admin].role_name",
            "not both",
        ),
        ("duration = \"1h\"\nrefresh", "duration = \"13h\"\nrefresh", "defaults.duration", "15m to 12h"),
        ("session_duration = \"12h\"", "session_duration = \"37h\"", "sources.hub.session_duration", "15m to 36h"),
        ("session_duration = \"12h\"", "session_duration = \"10m\"", "sources.hub.session_duration", "15m to 36h"),
        (
            "via = \"prod/admin\"",
            "via = \"prod/admin\"\n  duration = \"2h\"",
            "accounts[shared].roles[deploy].duration",
            "AWS caps a role assumed from another role's session at 1h",
        ),
        ("duration = \"1h\"\nrefresh", "duration = \"an hour\"\nrefresh", "defaults.duration", "is not a duration"),
        (
            "mfa_serial = \"arn:aws:iam::123456789012:mfa/alice\"",
            "mfa_serial = \"arn:aws:iam::123456789012:user/alice\"",
            "sources.hub.mfa_serial",
            "not an MFA device ARN",
        ),
        ("profile = \"hub\"", "profile = \"hub\"\nkeyring = true", "sources.hub.profile", "not both"),
        ("region = \"eu-central-1\"", "region = \"Frankfurt\"", "accounts[prod].region", "not an AWS region"),
        (
            "refresh_before = \"5m\"",
            "refresh_before = \"5m\"\nendpoint_url = \"localhost:5000\"",
            "defaults.endpoint_url",
            "http:// or https://",
        ),
        ("external_id = \"x-123\"", "external_id = \"x\"", "accounts[prod].roles[admin].external_id", "2 to 1224"),
        ("name = \"deploy\"", "name = \"de ploy\"", "accounts[shared].roles[de ploy].name", "no '/' or spaces"),
        ("refresh_before = \"5m\"", "refresh_before = \"1h\"", "defaults.refresh_before", "always count as expiring"),
        (
            "[[accounts]]\nname = \"shared\"",
            "[ui]\nexport_format = \"tcsh\"\n\n[[accounts]]\nname = \"shared\"",
            "ui.export_format",
            "not a format",
        ),
    ];
    for (from, to, key, message) in cases {
        let problem = one_problem(from, to);
        assert_eq!(&problem.key, key, "{to}: {problem}");
        assert!(problem.message.contains(message), "{to}: expected {message:?} in {problem}");
        let written_at = VALID.replacen(from, to, 1);
        let line = written_at.lines().nth(problem.line - 1).unwrap_or_default();
        assert!(problem.line > 1 && !line.trim().is_empty(), "{to}: {problem} points at an empty line");
    }
}

#[test]
fn mfa_needs_a_device_on_the_source() {
    let text = VALID.replace("mfa_serial = \"arn:aws:iam::123456789012:mfa/alice\"\nsession_duration = \"12h\"\n", "");
    let found = problems(&text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].key, "accounts[prod].roles[admin].mfa");
    assert!(found[0].message.contains("set `mfa_serial` on source \"hub\""));
}

#[test]
fn duplicate_names_are_rejected() {
    let twice = VALID.to_owned() + "\n[[accounts]]\nname = \"prod\"\nid = \"333333333333\"\n";
    let found = problems(&twice);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].key, "accounts.name");
    assert!(found[0].message.contains("defined twice"));
    let role_twice = VALID.replacen("  [[accounts.roles]]\n  name = \"deploy\"", "  [[accounts.roles]]\n  name = \"deploy\"\n  role_name = \"D\"\n  source = \"hub\"\n\n  [[accounts.roles]]\n  name = \"deploy\"", 1);
    let found = problems(&role_twice);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].message.contains("already has a role named \"deploy\""), "{}", found[0]);
    let lines: Vec<(usize, &str)> =
        role_twice.lines().enumerate().filter(|(_, line)| line.contains("name = \"deploy\"")).collect();
    assert_eq!(found[0].line, lines[1].0 + 1, "points at the second definition");
}

#[test]
fn cycles_of_via_are_reported_once_with_the_whole_loop() {
    let text = r#"
[[accounts]]
name = "a"
id = "111111111111"
  [[accounts.roles]]
  name = "one"
  role_name = "One"
  via = "a/two"
  [[accounts.roles]]
  name = "two"
  role_name = "Two"
  via = "a/one"
"#;
    let found = problems(text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].message.contains("a/one -> a/two -> a/one") || found[0].message.contains("a/two -> a/one -> a/two"),
        "{}",
        found[0]
    );
    assert!(found[0].key.ends_with(".via"));
}

#[test]
fn every_problem_is_reported_and_nothing_is_half_loaded() {
    let text =
        VALID.replacen("id = \"111111111111\"", "id = \"1\"", 1).replacen("source = \"hub\"", "source = \"nope\"", 1);
    let found = problems(&text);
    assert_eq!(found.len(), 2, "{found:#?}");
    let shown = InventoryError::Invalid(found).to_string();
    assert_eq!(shown.lines().count(), 2, "one line per problem: {shown}");
}

#[test]
fn role_addresses_are_checked_and_suggest_what_exists() {
    let inventory = Inventory::parse(Path::new("accounts.toml"), VALID).unwrap();
    let unknown_role = inventory.find_role("prod/admn").unwrap_err().to_string();
    assert!(unknown_role.contains("its roles: admin"), "{unknown_role}");
    let unknown_account = inventory.find_role("stage/admin").unwrap_err().to_string();
    assert!(unknown_account.contains("accounts: prod, shared"), "{unknown_account}");
    assert!(inventory.find_role("admin").unwrap_err().to_string().contains("ACCOUNT/ROLE"));
}

#[test]
fn a_missing_file_says_how_to_create_one() {
    let error = Inventory::load(Path::new("/nonexistent/accounts.toml")).unwrap_err();
    assert!(matches!(error, InventoryError::Missing { .. }));
    assert!(error.to_string().contains("accounts.example.toml"));
}
