//! `list`, `whoami` and `agent --status` with an agent: answered from the agent's memory (the
//! sessions it holds, the inventory it read again when the file changed), and who is served.

use crate::support::agent::AgentSandbox;
use crate::support::{assert_success, stderr, stdout};

fn listed(sandbox: &AgentSandbox) -> (serde_json::Value, String) {
    let output = sandbox.run(&["-vv", "list", "--json"]);
    assert_success(&output);
    (serde_json::from_slice(&output.stdout).unwrap(), stderr(&output))
}

fn state_of<'a>(list: &'a serde_json::Value, account: &str, role: &str) -> Option<&'a str> {
    list.as_array()?
        .iter()
        .find(|row| row["account"] == account && row["role"] == role)
        .and_then(|row| row["state"].as_str())
}

#[test]
fn list_shows_the_agents_sessions_and_follows_a_changed_inventory() {
    let sandbox = AgentSandbox::new();
    let _agent = sandbox.start_agent();
    assert_success(&sandbox.run(&["credential-process", "prod/viewer"]));

    let (list, log) = listed(&sandbox);
    assert!(log.contains("list served by the agent"), "{log}");
    // Each command keeps sessions in its own memory here: only the agent knows this one.
    assert_eq!(state_of(&list, "prod", "viewer"), Some("valid"), "{list:#}");
    assert_eq!(state_of(&list, "prod", "auditor"), None);

    let inventory = std::fs::read_to_string(sandbox.sandbox.inventory()).unwrap();
    let changed = inventory.replacen("name = \"viewer\"", "name = \"auditor\"", 1);
    assert_ne!(changed, inventory);
    std::fs::write(sandbox.sandbox.inventory(), changed).unwrap();
    let (list, log) = listed(&sandbox);
    assert!(log.contains("list served by the agent"), "{log}");
    assert_eq!(state_of(&list, "prod", "auditor"), Some("none"), "{list:#}");
    assert_eq!(state_of(&list, "prod", "viewer"), None);

    let table = sandbox.run(&["list"]);
    assert_success(&table);
    let header = stdout(&table).lines().next().unwrap_or_default().to_owned();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["ACCOUNT", "ID", "ROLE", "STATE", "LEFT", "REACHED", "REGION"]
    );
}

#[test]
fn whoami_is_answered_with_the_agents_session() {
    let sandbox = AgentSandbox::new();
    let _agent = sandbox.start_agent();
    let first = sandbox.run(&["-vv", "whoami", "prod/viewer"]);
    assert_success(&first);
    assert!(stderr(&first).contains("whoami served by the agent"), "{}", stderr(&first));
    assert!(stdout(&first).contains("111111111111"), "{}", stdout(&first));
    assert_success(&sandbox.run(&["whoami", "prod/viewer"]));
    assert_eq!(sandbox.proxy.count("AssumeRole"), 1, "one session, the agent's, for both");
}

#[test]
fn agent_status_says_which_agent_serves_since_when_and_whom() {
    let sandbox = AgentSandbox::new();
    let agent = sandbox.start_agent();
    // credential-process counts its parent (this test) as served: it holds the session.
    assert_success(&sandbox.run(&["credential-process", "prod/viewer"]));
    let status = sandbox.run(&["agent", "--status"]);
    assert_success(&status);
    let text = stdout(&status);
    assert!(text.starts_with(&format!("agent pid {} serving ", agent.child.id())), "{text}");
    assert!(text.contains(" since 20"), "{text}");
    assert!(text.contains("served  prod/viewer  1 process(es)"), "{text}");
}

#[test]
fn list_through_the_agent_prints_exactly_what_a_local_list_prints() {
    let sandbox = AgentSandbox::new();
    let _agent = sandbox.start_agent();
    for args in [&["list"][..], &["list", "--json"][..]] {
        let served = sandbox.run(args);
        assert_success(&served);
        let local = sandbox.command(args).env("SWITCHBOARD_AGENT", "off").output().unwrap();
        assert_success(&local);
        assert_eq!(stdout(&served), stdout(&local), "{args:?}");
    }
}
