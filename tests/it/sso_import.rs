//! `import sso` against the fake: 300 accounts × 2 roles with the portal throttling, imported
//! whole (429s counted at the fake and survived); a second run writes nothing; `--dry-run`
//! writes nothing and shows the diff; a removed assignment is listed, and pruned only with
//! `--prune`; no request ever asks for more than 100.

use crate::support::fake_sso::SsoSandbox;
use crate::support::{assert_success, stderr, stdout};

/// An inventory with the source and nothing else: the import fills it.
const EMPTY: &str = "# only the source\n[defaults]\nregion = \"eu-west-1\"\n\n[sources.corp]\nsso_start_url = \"https://sandbox.awsapps.com/start\"\nsso_region = \"eu-west-1\"\n";

fn role_count(text: &str) -> usize {
    text.matches("permission_set = ").count()
}

#[test]
fn three_hundred_throttled_accounts_are_imported_whole_and_a_second_run_writes_nothing() {
    let sso = SsoSandbox::new(&[
        "--auto-approve",
        "--accounts",
        "300",
        "--roles-per-account",
        "2",
        "--rate",
        "40",
        "--burst",
        "10",
    ]);
    std::fs::write(sso.sandbox.inventory(), EMPTY).unwrap();
    // Start above the fake's limit, so the run must slow down to get through.
    let import = sso.command(&["import", "sso", "corp"]).env("SWITCHBOARD_SSO_RATE", "80").output().unwrap();
    assert_success(&import);
    let text = std::fs::read_to_string(sso.sandbox.inventory()).unwrap();
    assert!(text.starts_with(EMPTY), "what was there stays");
    let stats = sso.sso.stats();
    assert_eq!(role_count(&text), 300 * 2, "every role: {}", stderr(&import));
    assert!(stats["throttled"].as_u64().unwrap() > 0, "the fake throttled: {stats}");
    assert!(stats["max_result_seen"].as_u64().unwrap() <= 100, "{stats}");
    assert!(stderr(&import).contains("calls throttled and retried"), "{}", stderr(&import));
    assert_success(&sso.run(&["check"]));

    let again = sso.run(&["import", "sso", "corp"]);
    assert_success(&again);
    assert!(stderr(&again).contains("nothing changed"), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(sso.sandbox.inventory()).unwrap(), text, "not rewritten");
}

#[test]
fn a_dry_run_shows_the_diff_and_an_unassigned_role_is_pruned_only_when_asked() {
    let sso = SsoSandbox::new(&["--auto-approve"]);
    std::fs::write(sso.sandbox.inventory(), EMPTY).unwrap();
    let dry = sso.run(&["import", "sso", "corp", "--dry-run"]);
    assert_success(&dry);
    let added = stdout(&dry).lines().filter(|line| line.starts_with('+')).collect::<Vec<_>>().join("\n");
    assert!(added.contains("permission_set = \"AdministratorAccess\""), "{}", stdout(&dry));
    assert_eq!(std::fs::read_to_string(sso.sandbox.inventory()).unwrap(), EMPTY, "a dry run writes nothing");
    assert_success(&sso.run(&["import", "sso", "corp"]));
    let imported = std::fs::read_to_string(sso.sandbox.inventory()).unwrap();
    assert_eq!(role_count(&imported), 3);

    sso.sso.control("/_fake/unassign", serde_json::json!({ "accountId": "111111111111", "roleName": "ReadOnly" }));
    let listed = sso.run(&["import", "sso", "corp"]);
    assert_success(&listed);
    assert!(
        stderr(&listed).contains("no longer assigned: sandbox-payments/ReadOnly (ReadOnly)"),
        "{}",
        stderr(&listed)
    );
    assert_eq!(std::fs::read_to_string(sso.sandbox.inventory()).unwrap(), imported, "kept without --prune");
    let pruned = sso.run(&["import", "sso", "corp", "--prune"]);
    assert_success(&pruned);
    let after = std::fs::read_to_string(sso.sandbox.inventory()).unwrap();
    assert_eq!(role_count(&after), 2, "{after}");
    assert_success(&sso.run(&["check"]));
}

#[test]
fn a_portal_that_ends_the_session_midway_writes_nothing_and_says_to_sign_in() {
    let sso = SsoSandbox::new(&["--auto-approve", "--accounts", "40"]);
    std::fs::write(sso.sandbox.inventory(), EMPTY).unwrap();
    assert_success(&sso.run(&["login", "corp"]));
    sso.sso.control("/_fake/fail", serde_json::json!({ "path": "/assignment/roles", "status": 401, "count": -1,
        "body": "{\"message\":\"Session token not found or invalid\",\"__type\":\"com.amazonaws.switchboard.portal#UnauthorizedException\"}",
        "contentType": "application/json" }));
    let import = sso.run(&["import", "sso", "corp"]);
    assert!(!import.status.success());
    assert!(stderr(&import).contains("sign in again"), "{}", stderr(&import));
    assert!(stderr(&import).contains("nothing was written"), "{}", stderr(&import));
    assert_eq!(std::fs::read_to_string(sso.sandbox.inventory()).unwrap(), EMPTY);
}
