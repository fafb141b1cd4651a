use super::*;
use std::path::Path;

const INVENTORY: &str = r#"
[defaults]
region = "eu-west-1"
duration = "4h"

[sources.hub]
profile = "hub"
mfa_serial = "arn:aws:iam::123456789012:mfa/alice"
session_duration = "12h"

[sources.plain]
profile = "plain"
mfa_serial = "arn:aws:iam::123456789012:mfa/bob"

[[accounts]]
name = "prod"
id = "111111111111"
  [[accounts.roles]]
  name = "admin"
  role_name = "Admin"
  source = "hub"
  mfa = true
  [[accounts.roles]]
  name = "viewer"
  role_name = "Viewer"
  source = "hub"
  [[accounts.roles]]
  name = "deploy"
  role_name = "Deploy"
  via = "prod/admin"
  [[accounts.roles]]
  name = "break-glass"
  role_name = "BreakGlass"
  source = "plain"
  mfa = true
"#;

fn plan(address: &str) -> Plan {
    let inventory = Inventory::parse(Path::new("accounts.toml"), INVENTORY).unwrap();
    let role = inventory.find_role(address).unwrap();
    plan_for(&inventory, role).unwrap()
}

fn labels(plan: &Plan) -> Vec<&'static str> {
    plan.layers.iter().map(|layer| layer.label()).collect()
}

#[test]
fn mfa_role_goes_through_the_shared_mfa_session() {
    let plan = plan("prod/admin");
    assert_eq!(labels(&plan), ["source keys", "MFA session", "assume role"]);
    assert_eq!(plan.target().mfa_device(), None, "the MFA session carries the MFA, not the AssumeRole");
    assert!(plan.layers[1].why().contains("12h"), "{}", plan.layers[1].why());
    assert_eq!(plan.route(), "hub + MFA session");
}

#[test]
fn role_without_mfa_uses_the_source_keys_directly() {
    let plan = plan("prod/viewer");
    assert_eq!(labels(&plan), ["source keys", "assume role"]);
    assert!(
        matches!(plan.target().kind, LayerKind::AssumeRole { duration, .. } if duration == Duration::from_secs(4 * 3600))
    );
}

#[test]
fn chained_role_is_capped_at_one_hour_and_says_why() {
    let plan = plan("prod/deploy");
    assert_eq!(labels(&plan), ["source keys", "MFA session", "assume role", "chained role"]);
    let target = plan.target();
    assert!(
        matches!(target.kind, LayerKind::AssumeRole { duration, chained: true, .. } if duration == MAX_CHAINED_DURATION)
    );
    assert!(target.why().contains("AWS caps this at 1h"), "{}", target.why());
    assert!(target.why().contains("cut to 1h"), "{}", target.why());
    assert_eq!(plan.route(), "chained from prod/admin");
}

#[test]
fn mfa_without_session_duration_sends_a_code_on_assume_role() {
    let plan = plan("prod/break-glass");
    assert_eq!(labels(&plan), ["source keys", "assume role"]);
    assert_eq!(plan.target().mfa_device(), Some("arn:aws:iam::123456789012:mfa/bob"));
    assert!(plan.target().why().contains("each renewal needs a new code"));
}

#[test]
fn roles_under_one_source_share_the_mfa_session_layer() {
    let admin = plan("prod/admin");
    let deploy = plan("prod/deploy");
    assert_eq!(admin.layers[1].id, deploy.layers[1].id);
    assert_ne!(admin.target().id, deploy.target().id);
}

/// `Planner::listed` (what `list` shows without making plans) says what the plan says, for
/// every role of every fixture: sources with and without an MFA session, codes on the role,
/// chains (from keys and from Identity Center), permission sets.
#[test]
fn listed_without_a_plan_is_what_the_plan_says_for_every_fixture_role() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir.join("tests/fixtures"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.push(dir.join("accounts.example.toml"));
    let mut compared = 0;
    for file in files {
        let text = std::fs::read_to_string(&file)
            .unwrap()
            .replace("ENDPOINT", "http://127.0.0.1:5000")
            .replace("DEVICE", "arn:aws:iam::123456789012:mfa/tester");
        for inventory in [Inventory::parse(&file, &text).unwrap(), Inventory::parse(&file, INVENTORY).unwrap()] {
            let planner = Planner::new(&inventory);
            for (_, role) in inventory.roles() {
                let plan = planner.plan(&inventory, role).unwrap();
                let listed = planner.listed(&inventory, role).unwrap();
                assert_eq!(listed.target_id, plan.target().id, "{}: {}", file.display(), role.key);
                assert_eq!(listed.route, plan.route(), "{}: {}", file.display(), role.key);
                compared += 1;
            }
        }
    }
    assert!(compared > 60, "only {compared} roles compared");
}
