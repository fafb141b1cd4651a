//! Session tags, transitive tag keys, a source identity and a RoleSessionName template from
//! the inventory reach AssumeRole: asserted on the request itself, at a proxy in front of moto.
//! `check` shows them in the role's plan.

use crate::support::store::{CountingProxy, set_inventory_endpoint};
use crate::support::{Sandbox, assert_success, exports, stdout};

const ATTRIBUTES: &str = r#"  role_name = "Viewer"
  session_name = "sb-{user}-{role}"
  session_tags = { team = "payments", cost-center = "42" }
  transitive_tag_keys = ["team"]
  source_identity = "{user}"
"#;

fn sandbox_with_attributes() -> (Sandbox, CountingProxy) {
    let sandbox = Sandbox::new();
    let text = std::fs::read_to_string(sandbox.inventory()).unwrap();
    let tagged = text.replacen("  role_name = \"Viewer\"\n", ATTRIBUTES, 1);
    assert_ne!(text, tagged);
    std::fs::write(sandbox.inventory(), tagged).unwrap();
    let proxy = CountingProxy::start(&sandbox.moto.endpoint);
    set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
    (sandbox, proxy)
}

#[test]
fn tags_transitive_keys_source_identity_and_session_name_reach_assume_role() {
    let (sandbox, proxy) = sandbox_with_attributes();
    let vars =
        exports(&sandbox.command(&["env", "prod/viewer", "--format", "json"]).env("USER", "alice").output().unwrap());
    assert!(vars.contains_key("AWS_SESSION_TOKEN"));
    assert_eq!(proxy.count("AssumeRole"), 1);
    let seen = proxy.seen();
    for expected in [
        "RoleSessionName=sb-alice-viewer",
        "Tags.member.1.Key=cost-center",
        "Tags.member.1.Value=42",
        "Tags.member.2.Key=team",
        "Tags.member.2.Value=payments",
        "TransitiveTagKeys.member.1=team",
        "SourceIdentity=alice",
    ] {
        assert!(seen.contains(expected), "{expected:?} is not in the AssumeRole request");
    }
}

#[test]
fn a_role_without_attributes_sends_none() {
    let sandbox = Sandbox::new();
    let proxy = CountingProxy::start(&sandbox.moto.endpoint);
    set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
    let output = sandbox.command(&["refresh", "prod/viewer"]).output().unwrap();
    assert_success(&output);
    let seen = proxy.seen();
    assert!(seen.contains("Action=AssumeRole&"), "AssumeRole went through the proxy");
    assert!(!seen.contains("Tags.member") && !seen.contains("SourceIdentity"), "no attributes without the inventory's");
}

#[test]
fn check_shows_the_session_attributes_in_the_plan() {
    let (sandbox, _proxy) = sandbox_with_attributes();
    let output = sandbox.command(&["check"]).env("USER", "alice").output().unwrap();
    assert_success(&output);
    let text = stdout(&output);
    assert!(text.contains("session name sb-alice-viewer"), "{text}");
    assert!(text.contains("session tags cost-center=42, team=payments (passed on to chained roles: team)"), "{text}");
    assert!(text.contains("source identity alice"), "{text}");
}
