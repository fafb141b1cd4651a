//! `switchboard import organizations` against moto's Organizations API: members are added
//! with the given role and their OU path as tags, what the inventory had stays as written,
//! `--dry-run` prints the diff and writes nothing, and a second run adds nothing.

use std::process::Output;

use crate::support::{HUB_KEY_ID, HUB_SECRET, Sandbox, assert_success, python_path, stderr, stdout};

/// Creates an organization in the caller's account: an OU "Workloads" with "Payments" in it,
/// `payments-prod` inside, and `sandbox-one` at the root. Prints the two member ids.
const SEED: &str = r#"
import boto3
org = boto3.client("organizations", region_name="us-east-1")
org.create_organization(FeatureSet="ALL")
root = org.list_roots()["Roots"][0]["Id"]
workloads = org.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
payments = org.create_organizational_unit(ParentId=workloads, Name="Payments")["OrganizationalUnit"]["Id"]
def member(name):
    status = org.create_account(Email=name + "@example.com", AccountName=name)["CreateAccountStatus"]
    return status["AccountId"]
prod = member("payments-prod")
org.move_account(AccountId=prod, SourceParentId=root, DestinationParentId=payments)
print(prod)
print(member("sandbox-one"))
"#;

fn seed_with_hub_keys(sandbox: &Sandbox) -> Vec<String> {
    let output = std::process::Command::new(python_path())
        .args(["-c", SEED])
        .env("AWS_ACCESS_KEY_ID", HUB_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", HUB_SECRET)
        .env("AWS_ENDPOINT_URL", &sandbox.moto.endpoint)
        .output()
        .unwrap();
    member_ids(&output)
}

fn member_ids(output: &Output) -> Vec<String> {
    assert_success(output);
    let ids: Vec<String> = stdout(output).lines().map(str::to_owned).collect();
    assert_eq!(ids.len(), 2, "{}", stdout(output));
    ids
}

#[test]
fn members_are_merged_with_their_ou_path_and_the_inventory_is_left_as_written() {
    let sandbox = Sandbox::new();
    let ids = seed_with_hub_keys(&sandbox);
    let before = std::fs::read_to_string(sandbox.inventory()).unwrap();
    let args =
        ["import", "organizations", "--via", "hub", "--role-name", "OrganizationAccountAccessRole", "--tags-from-ou"];

    let dry = sandbox.run(&[&args[..], &["--dry-run"]].concat());
    assert_success(&dry);
    let diff = stdout(&dry);
    assert!(
        diff.contains(&format!("+id = \"{}\"", ids[0])) && diff.contains(&format!("+id = \"{}\"", ids[1])),
        "{diff}"
    );
    assert!(diff.contains("+tags = [\"Workloads\", \"Payments\"]"), "{diff}");
    assert!(diff.lines().skip(2).all(|line| !line.starts_with('-')), "nothing removed:\n{diff}");
    assert_eq!(std::fs::read_to_string(sandbox.inventory()).unwrap(), before, "a dry run writes nothing");

    let merged = sandbox.run(&args);
    assert_success(&merged);
    assert!(stderr(&merged).contains("added 2 accounts"), "{}", stderr(&merged));
    let after = std::fs::read_to_string(sandbox.inventory()).unwrap();
    assert!(after.starts_with(&before), "what was there is untouched");
    assert_success(&sandbox.run(&["check"]));
    let listed = sandbox.run(&["list", "--json"]);
    assert_success(&listed);
    let roles: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let addresses: Vec<String> = roles
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            format!("{}/{}", row["account"].as_str().unwrap_or_default(), row["role"].as_str().unwrap_or_default())
        })
        .collect();
    for expected in ["payments-prod/OrganizationAccountAccessRole", "sandbox-one/OrganizationAccountAccessRole"] {
        assert!(addresses.iter().any(|address| address == expected), "{expected} in {addresses:?}");
    }

    let again = sandbox.run(&args);
    assert_success(&again);
    assert!(stderr(&again).contains("nothing to add"), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(sandbox.inventory()).unwrap(), after);
}

#[test]
fn through_a_role_the_members_are_chained_from_it() {
    let sandbox = Sandbox::new();
    // The organization lives in the account prod/viewer lands in (moto keeps accounts apart).
    let python = python_path();
    let seeded = sandbox.run(&["exec", "prod/viewer", "--", python.to_str().unwrap(), "-c", SEED]);
    let ids = member_ids(&seeded);
    let output = sandbox.run(&["import", "organizations", "--via", "prod/viewer", "--role-name", "ReadOnly"]);
    assert_success(&output);
    let text = std::fs::read_to_string(sandbox.inventory()).unwrap();
    for id in &ids {
        assert!(text.contains(&format!("id = \"{id}\"")), "{text}");
    }
    assert_eq!(text.matches("via = \"prod/viewer\"").count(), 2, "{text}");
    assert_success(&sandbox.run(&["check"]));
}
