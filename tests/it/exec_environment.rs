//! What a command started by `exec`, `exec --ecs-server` and `run` finds in its environment,
//! when the shell it came from is full of other AWS settings: a container's credentials, an
//! EKS pod's token file, legacy key names, a profile, endpoints of its own. Each command
//! prints its environment (`env`); every variable an SDK reads for credentials or for where
//! to send them is either gone or switchboard's own.

use std::collections::BTreeMap;

use crate::support::{Sandbox, assert_success, python_path, stderr, stdout};

const ROLE: &str = "prod/viewer";

/// The parent's AWS settings: each would take the command somewhere else than the role.
fn parent(sandbox: &Sandbox) -> Vec<(&'static str, String)> {
    let home = sandbox.home.path();
    let token_file = home.join("parent-container-token");
    std::fs::write(&token_file, "parent-container-token-from-file").unwrap();
    // A default profile with keys of its own: read before a container endpoint by every SDK.
    let credentials = home.join("parent-credentials");
    std::fs::write(
        &credentials,
        "[default]\naws_access_key_id = AKIAPARENTDEFAULT000\naws_secret_access_key = parent-default-secret\n",
    )
    .unwrap();
    let config = home.join("parent-config");
    std::fs::write(&config, "[default]\ncredential_process = /bin/false\n").unwrap();
    let text = |value: &str| value.to_owned();
    vec![
        ("AWS_ACCESS_KEY_ID", text("AKIAPARENT0000000000")),
        ("AWS_SECRET_ACCESS_KEY", text("parent-secret")),
        ("AWS_SESSION_TOKEN", text("parent-session-token")),
        ("AWS_SECURITY_TOKEN", text("parent-security-token")),
        ("AWS_CREDENTIAL_EXPIRATION", text("2099-01-01T00:00:00Z")),
        ("AWS_ACCESS_KEY", text("AKIAPARENTLEGACY0000")),
        ("AWS_SECRET_KEY", text("parent-legacy-secret")),
        ("AWS_ACCOUNT_ID", text("999999999999")),
        ("AWS_PROFILE", text("parent")),
        ("AWS_DEFAULT_PROFILE", text("parent")),
        ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", text("/v2/credentials/parent")),
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", text("http://169.254.170.23/v1/credentials")),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", text("parent-container-token")),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file.to_string_lossy().into_owned()),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.to_string_lossy().into_owned()),
        ("AWS_ROLE_ARN", text("arn:aws:iam::999999999999:role/Parent")),
        ("AWS_ROLE_SESSION_NAME", text("parent")),
        ("AWS_CREDENTIAL_FILE", credentials.to_string_lossy().into_owned()),
        ("AWS_SHARED_CREDENTIALS_FILE", credentials.to_string_lossy().into_owned()),
        ("AWS_CONFIG_FILE", config.to_string_lossy().into_owned()),
        ("BOTO_CONFIG", credentials.to_string_lossy().into_owned()),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", text("http://10.9.9.9/")),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", text("IPv6")),
        ("AWS_EC2_METADATA_DISABLED", text("false")),
        ("AWS_ENDPOINT_URL", text("http://parent-endpoint.invalid")),
        ("AWS_ENDPOINT_URL_SQS", text("http://parent-sqs.invalid")),
        ("AWS_ENDPOINT_URL_STS", text("http://parent-sts.invalid")),
        ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", text("true")),
    ]
}

/// Variables of the parent that must not reach the command at all, whatever the handover.
const GONE: [&str; 17] = [
    "AWS_SECURITY_TOKEN",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "AWS_ACCOUNT_ID",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CREDENTIAL_FILE",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_STS",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
];

/// What the command keeps of the parent's when it gets keys: every SDK reads keys in the
/// environment before any profile, so the operator's config file (its `ca_bundle`, retries,
/// output format) still applies.
const KEPT_WITH_KEYS: [&str; 2] = ["AWS_CONFIG_FILE", "BOTO_CONFIG"];

/// The switchboard command with the parent's settings on top of the sandbox's clean ones.
fn with_parent(sandbox: &Sandbox, args: &[&str]) -> std::process::Command {
    let mut command = sandbox.command(args);
    command.envs(parent(sandbox));
    command
}

/// `NAME=value` lines of `env` (a run's lines carry the role first).
fn environment(printed: &str, prefix: &str) -> BTreeMap<String, String> {
    printed
        .lines()
        .filter_map(|line| line.strip_prefix(prefix))
        .filter_map(|line| line.trim_start().split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// What every handover has in common: nothing of the parent's, the role's region and endpoint.
#[track_caller]
fn assert_clean(sandbox: &Sandbox, child: &BTreeMap<String, String>, what: &str, kept: &[&str]) {
    for name in GONE {
        assert!(!child.contains_key(name), "{what}: {name} reached the command");
    }
    for (name, value) in parent(sandbox).into_iter().filter(|(name, _)| !kept.contains(name)) {
        assert_ne!(child.get(name), Some(&value), "{what}: the parent's {name} reached the command");
    }
    assert_eq!(child.get("AWS_ENDPOINT_URL"), Some(&sandbox.moto.endpoint), "{what}: the inventory's endpoint");
    assert_eq!(child.get("AWS_REGION").map(String::as_str), Some("eu-central-1"), "{what}");
    assert_eq!(child.get("SWITCHBOARD_ROLE").map(String::as_str), Some(ROLE), "{what}");
    assert_eq!(child.get("AWS_EC2_METADATA_DISABLED").map(String::as_str), Some("true"), "{what}");
    assert_eq!(child.get("AWS_SHARED_CREDENTIALS_FILE").map(String::as_str), Some(NULL_FILE), "{what}");
}

const NULL_FILE: &str = "/dev/null";

#[test]
fn exec_gives_the_command_the_roles_keys_and_nothing_of_the_parents_aws_settings() {
    let sandbox = Sandbox::new();
    let output = with_parent(&sandbox, &["exec", ROLE, "--mfa-code", "123456", "--", "env"]).output().unwrap();
    assert_success(&output);
    let child = environment(&stdout(&output), "");
    assert_clean(&sandbox, &child, "exec", &KEPT_WITH_KEYS);
    for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"] {
        assert!(child.contains_key(name), "exec: the role's {name} is missing");
    }
    assert!(!child.keys().any(|name| name.starts_with("AWS_CONTAINER_")), "exec: a container variable is left");
}

#[test]
fn run_gives_each_command_the_same_clean_environment() {
    let sandbox = Sandbox::new();
    let output = with_parent(&sandbox, &["run", "--mfa-code", "123456", ROLE, "--", "env"]).output().unwrap();
    assert_success(&output);
    let child = environment(&stdout(&output), ROLE);
    assert_clean(&sandbox, &child, "run", &KEPT_WITH_KEYS);
    assert!(child.contains_key("AWS_SESSION_TOKEN"), "run: the role's session is missing");
    assert!(!child.keys().any(|name| name.starts_with("AWS_CONTAINER_")), "run: a container variable is left");
}

#[test]
fn exec_ecs_server_leaves_the_command_only_its_own_endpoint_and_boto3_lands_in_the_role() {
    let sandbox = Sandbox::new();
    let output =
        with_parent(&sandbox, &["exec", "--ecs-server", ROLE, "--mfa-code", "123456", "--", "env"]).output().unwrap();
    assert_success(&output);
    let child = environment(&stdout(&output), "");
    assert_clean(&sandbox, &child, "exec --ecs-server", &[]);
    for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"] {
        assert!(!child.contains_key(name), "exec --ecs-server: static {name} beside the endpoint");
    }
    let uri = child.get("AWS_CONTAINER_CREDENTIALS_FULL_URI").map(String::as_str).unwrap_or_default();
    assert!(uri.starts_with("http://127.0.0.1:"), "exec --ecs-server: the endpoint is not ours: {uri}");
    assert!(child.contains_key("AWS_CONTAINER_AUTHORIZATION_TOKEN"), "exec --ecs-server: no token");
    // The profile files come before a container endpoint in every SDK's chain.
    assert_eq!(child.get("AWS_CONFIG_FILE").map(String::as_str), Some(NULL_FILE));
    assert_eq!(child.get("BOTO_CONFIG").map(String::as_str), Some(NULL_FILE));

    // And a real SDK, with the parent's token file, default profile and STS endpoint around
    // it, takes the endpoint's session: it lands in the role's account.
    let python = python_path();
    let script = "import boto3; print('account', boto3.client('sts').get_caller_identity()['Account'])";
    let args = ["exec", "--ecs-server", ROLE, "--mfa-code", "123456", "--", python.to_str().unwrap(), "-c", script];
    let output = with_parent(&sandbox, &args).output().unwrap();
    assert!(output.status.success(), "boto3 under exec --ecs-server failed: {}", stderr(&output));
    assert_eq!(stdout(&output).trim(), "account 111111111111", "{}", stderr(&output));
}

/// `env --unset` in a shell full of the parent's settings clears what `exec` clears, but for
/// what `exec` pins to a safe value (the credentials file, the instance metadata settings),
/// which a shell keeps.
#[test]
fn env_unset_clears_in_the_shell_what_exec_clears() {
    let sandbox = Sandbox::new();
    let unset = with_parent(&sandbox, &["env", ROLE, "--unset", "--format", "bash"]).output().unwrap();
    assert_success(&unset);
    let script = format!("{}\nenv", stdout(&unset));
    let template = with_parent(&sandbox, &[]);
    let mut shell = std::process::Command::new("bash");
    shell.args(["-c", &script]);
    for (name, value) in template.get_envs() {
        match value {
            Some(value) => shell.env(name, value),
            None => shell.env_remove(name),
        };
    }
    let output = shell.output().unwrap();
    assert_success(&output);
    let left = environment(&stdout(&output), "");
    let pinned = |name: &str| name == "AWS_SHARED_CREDENTIALS_FILE" || name.starts_with("AWS_EC2_METADATA_");
    for (name, _) in parent(&sandbox) {
        if !pinned(name) && !KEPT_WITH_KEYS.contains(&name) {
            assert!(!left.contains_key(name), "{name} is still set after env --unset:\n{}", stdout(&unset));
        }
    }
    assert!(left.contains_key("AWS_SHARED_CREDENTIALS_FILE"), "the shell keeps its credentials file setting");
}
