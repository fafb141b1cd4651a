//! Whom the agent serves, from the outside: a client whose inventory is another file does not
//! take the agent's session (it would land in the agent's accounts), and a process of another
//! user that reaches the socket gets a refusal, never a greeting or a session. Real binary,
//! moto behind counting proxies, a raw client run as another uid.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use crate::support::agent::AgentSandbox;
use crate::support::prerequisites::{require_tool, running_as_root};
use crate::support::store::CountingProxy;
use crate::support::{assert_success, caller_account, stderr};

#[test]
fn a_client_with_another_inventory_does_not_use_the_agent() {
    let sandbox = AgentSandbox::new();
    let _agent = sandbox.start_agent();
    // Another file, where prod is another account, behind a proxy of its own.
    let own_proxy = CountingProxy::start(&sandbox.sandbox.moto.endpoint);
    let served = std::fs::read_to_string(sandbox.sandbox.inventory()).unwrap();
    let other = served.replace("111111111111", "999999999999").replace(&sandbox.proxy.endpoint, &own_proxy.endpoint);
    assert!(other.contains("999999999999") && other.contains(&own_proxy.endpoint), "{other}");
    // Beside the other, so its source's credentials file (a relative path) is the same.
    let other_path = sandbox.sandbox.inventory().with_file_name("other-accounts.toml");
    std::fs::write(&other_path, other).unwrap();

    let mut command = sandbox.command(&["-vv", "credential-process", "prod/viewer"]);
    command.env("SWITCHBOARD_INVENTORY", &other_path);
    let output = command.output().unwrap();
    assert_success(&output);
    let said = stderr(&output);
    assert!(said.contains("this agent serves") && said.contains("other-accounts.toml"), "{said}");
    assert!(!said.contains("served by the agent"), "{said}");
    assert_eq!(sandbox.proxy.count("AssumeRole"), 0, "the agent made no STS call for it");
    assert_eq!(own_proxy.count("AssumeRole"), 1, "the client renewed through its own inventory's endpoint");

    // The session is of the client's prod, not the agent's.
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let vars: serde_json::Map<String, serde_json::Value> = [
        ("AWS_ACCESS_KEY_ID", &json["AccessKeyId"]),
        ("AWS_SECRET_ACCESS_KEY", &json["SecretAccessKey"]),
        ("AWS_SESSION_TOKEN", &json["SessionToken"]),
        ("AWS_REGION", &serde_json::json!("eu-central-1")),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.clone()))
    .collect();
    let (account, _) = caller_account(&sandbox.sandbox.moto.endpoint, &vars);
    assert_eq!(account, "999999999999");
}

/// Connects to the agent's socket as a client does: reads the first line; when it is a
/// greeting, asks for the agent's status and reads the reply. Prints every line the agent
/// wrote, up to when it closed the connection (or stopped writing).
const RAW_CLIENT: &str = r#"
import socket, sys
client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
client.connect(sys.argv[1])
client.settimeout(20)
reader = client.makefile("rb")
lines = [reader.readline()]
if b'"pid"' in lines[0]:
    client.sendall(b'{"op":"status","protocol":2}\n')
    lines.append(reader.readline())
lines.append(reader.readline())
sys.stdout.write(b"".join(lines).decode())
"#;

#[test]
fn a_process_of_another_user_is_refused_by_the_agent() {
    if !running_as_root("a client of another uid") {
        return;
    }
    require_tool("python3", "python3");
    let sandbox = AgentSandbox::new();
    let agent = sandbox.start_agent();
    // The agent keeps its directory 0700 and its socket 0600; opened up here for everyone, so
    // only its check of the peer's uid stands between another user and a session.
    let socket = sandbox.socket();
    let mut dir = socket.parent().unwrap().to_path_buf();
    while dir.starts_with(sandbox.sandbox.home.path()) {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o711)).unwrap();
        dir.pop();
    }
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o777)).unwrap();

    let nobody = 65534;
    let output = Command::new("python3")
        .args(["-c", RAW_CLIENT])
        .arg(&socket)
        .uid(nobody)
        .gid(nobody)
        .env_clear()
        .output()
        .unwrap();
    assert!(output.status.success(), "the raw client: {}", stderr(&output));
    let replies: Vec<serde_json::Value> =
        String::from_utf8_lossy(&output.stdout).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(
        replies,
        [
            serde_json::json!({"reply": "error", "kind": "bad_request", "message": "this agent serves only its own user", "protocol": 2})
        ],
        "one refusal, then the connection closed: no greeting, no status"
    );
    let logged = agent.wait_for_log("refused a client of another user", Duration::from_secs(10));
    assert!(logged.contains(&nobody.to_string()), "{logged}");

    // The agent's own user is still served.
    assert_success(&sandbox.run(&["credential-process", "prod/viewer"]));
}
