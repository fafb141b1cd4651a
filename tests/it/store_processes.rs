//! The session store between real processes: a real gnome-keyring (for the store key), the
//! real binary, moto (behind a counting proxy where calls are counted). Every test ends by
//! scanning every file the run wrote for the secrets it handled.

use std::process::{Child, Output, Stdio};

use crate::support::store::{CountingProxy, Keyring, files_containing, set_inventory_endpoint, state_dir};
use crate::support::{Sandbox, assert_success, exports, stderr, stdout};

fn assert_no_secret_on_disk(sandbox: &Sandbox, secrets: &[String]) {
    assert!(!secrets.is_empty());
    for secret in secrets.iter().map(String::as_str).chain([HUB_SECRET_IN_KEYRING]) {
        assert_eq!(files_containing(sandbox.home.path(), secret), Vec::<String>::new(), "plain-text secret on disk");
    }
}

/// A long-term secret stored with `keys add` in some tests.
const HUB_SECRET_IN_KEYRING: &str = "vault-secret-value";

fn secret_of(output: &Output) -> String {
    exports(output)["AWS_SECRET_ACCESS_KEY"].as_str().unwrap().to_owned()
}

fn access_key_of(output: &Output) -> String {
    exports(output)["AWS_ACCESS_KEY_ID"].as_str().unwrap().to_owned()
}

#[test]
fn two_processes_racing_one_mfa_code_send_it_once() {
    let sandbox = Sandbox::new();
    let keyring = Keyring::start(sandbox.home.path());
    // Two roles on one device, each its own layer: both would send the code.
    let spawn = |role: &str| -> Child {
        keyring
            .command(&sandbox, &["refresh", role, "--mfa-code", "654321"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn("prod/break-glass"), spawn("staging/break-glass"));
    let outputs = [first.wait_with_output().unwrap(), second.wait_with_output().unwrap()];
    let succeeded: Vec<&Output> = outputs.iter().filter(|output| output.status.success()).collect();
    let refused: Vec<&Output> = outputs.iter().filter(|output| !output.status.success()).collect();
    assert_eq!(succeeded.len(), 1, "exactly one sent the code: {:?}", outputs.iter().map(stderr).collect::<Vec<_>>());
    let message = stderr(refused[0]);
    assert!(message.contains("was already used; enter the next code (in "), "{message}");
    assert!(stdout(succeeded[0]).contains(": valid"), "{}", stdout(succeeded[0]));

    let vars = sandbox_env(&keyring, &sandbox, "prod/viewer");
    assert_no_secret_on_disk(&sandbox, &[secret_of(&vars)]);
}

fn sandbox_env(keyring: &Keyring, sandbox: &Sandbox, role: &str) -> Output {
    let output = keyring.command(sandbox, &["env", role, "--format", "json"]).output().unwrap();
    assert_success(&output);
    output
}

#[test]
fn fifty_concurrent_credential_processes_make_one_assume_role() {
    let sandbox = Sandbox::new();
    let proxy = CountingProxy::start(&sandbox.moto.endpoint);
    set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
    let keyring = Keyring::start(sandbox.home.path());
    let children: Vec<Child> = (0..50)
        .map(|_| {
            keyring
                .command(&sandbox, &["credential-process", "prod/viewer"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children.into_iter().map(|child| child.wait_with_output().unwrap()).collect();
    let mut key_ids = std::collections::BTreeSet::new();
    let mut secrets = Vec::new();
    for output in &outputs {
        assert_success(output);
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        key_ids.insert(json["AccessKeyId"].as_str().unwrap().to_owned());
        secrets.push(json["SecretAccessKey"].as_str().unwrap().to_owned());
    }
    let notices: Vec<String> = outputs.iter().map(stderr).filter(|text| !text.is_empty()).collect();
    assert_eq!(proxy.count("AssumeRole"), 1, "one STS call between the 50 processes: {notices:?}");
    assert_eq!(key_ids.len(), 1, "all 50 got the one session: {key_ids:?}");
    secrets.dedup();
    assert_no_secret_on_disk(&sandbox, &secrets);
}

#[test]
fn a_session_obtained_at_one_endpoint_is_not_served_for_another() {
    let sandbox = Sandbox::new();
    set_inventory_endpoint(&sandbox, None);
    let keyring = Keyring::start(sandbox.home.path());
    let at = |endpoint: &str| {
        keyring
            .command(&sandbox, &["env", "prod/viewer", "--format", "json"])
            .env("AWS_ENDPOINT_URL", endpoint)
            .output()
            .unwrap()
    };
    let first = at(&sandbox.moto.endpoint);
    let again = at(&sandbox.moto.endpoint);
    assert_eq!(access_key_of(&first), access_key_of(&again), "cached for the same endpoint");
    let elsewhere = at("http://127.0.0.1:1");
    assert!(!elsewhere.status.success(), "served the emulator's session elsewhere: {}", stdout(&elsewhere));
    assert!(stderr(&elsewhere).contains("127.0.0.1:1"), "{}", stderr(&elsewhere));
    assert_no_secret_on_disk(&sandbox, &[secret_of(&first)]);
}

#[test]
fn a_damaged_store_is_set_aside_with_one_message_and_nothing_else_is_lost() {
    let sandbox = Sandbox::new();
    let keyring = Keyring::start(sandbox.home.path());
    let mut add = keyring.command(&sandbox, &["keys", "add", "vault"]);
    let mut adding = add.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    adding
        .stdin
        .take()
        .unwrap()
        .write_all(format!("AKIAVAULTKEY00000001\n{HUB_SECRET_IN_KEYRING}\n").as_bytes())
        .unwrap();
    assert_success(&adding.wait_with_output().unwrap());
    let first = sandbox_env(&keyring, &sandbox, "prod/viewer");
    let file = state_dir(&sandbox).join("sessions.v3");

    for damage in ["truncate", "overwrite"] {
        let bytes = std::fs::read(&file).unwrap();
        let damaged = if damage == "truncate" { bytes[..bytes.len() / 2].to_vec() } else { vec![b'x'; bytes.len()] };
        std::fs::write(&file, damaged).unwrap();

        let after = sandbox_env(&keyring, &sandbox, "prod/viewer");
        let message = stderr(&after);
        assert_eq!(message.lines().filter(|line| line.contains("was unreadable")).count(), 1, "{damage}: {message}");
        assert!(message.contains("moved it to") && message.contains("obtained again"), "{damage}: {message}");
        assert_ne!(access_key_of(&after), access_key_of(&first), "{damage}: a new session was obtained");
        let again = sandbox_env(&keyring, &sandbox, "prod/viewer");
        assert_eq!(access_key_of(&again), access_key_of(&after), "{damage}: and kept");
        assert!(!stderr(&again).contains("unreadable"), "{}", stderr(&again));
    }
    let set_aside = std::fs::read_dir(state_dir(&sandbox))
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().file_name().to_string_lossy().starts_with("sessions.v3.corrupt-"))
        .count();
    assert_eq!(set_aside, 2);
    // The long-term keys in the keyring were not touched.
    let ci = sandbox_env(&keyring, &sandbox, "staging/ci");
    assert_no_secret_on_disk(&sandbox, &[secret_of(&first), secret_of(&ci)]);
}

#[test]
fn a_process_killed_during_a_write_leaves_a_readable_store() {
    let sandbox = Sandbox::new();
    let keyring = Keyring::start(sandbox.home.path());
    let first = sandbox_env(&keyring, &sandbox, "prod/viewer");
    let dir = state_dir(&sandbox);
    let mut caught = 0;
    for _ in 0..40 {
        let mut refreshing = keyring
            .command(&sandbox, &["refresh", "prod/viewer"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let temporary = format!("sessions.v3.tmp-{}", refreshing.id());
        // Kill the moment its temporary file appears: in the middle of writing the store.
        loop {
            if dir.join(&temporary).exists() {
                refreshing.kill().unwrap();
                caught += 1;
                break;
            }
            if refreshing.try_wait().unwrap().is_some() {
                break;
            }
        }
        let _ = refreshing.wait();
        let list = keyring.command(&sandbox, &["list", "--json"]).output().unwrap();
        assert_success(&list);
        assert!(!stderr(&list).contains("unreadable"), "{}", stderr(&list));
        if caught >= 3 {
            break;
        }
    }
    assert!(caught > 0, "never caught a write in progress");
    let after = sandbox_env(&keyring, &sandbox, "prod/viewer");
    assert!(!stderr(&after).contains("unreadable"), "{}", stderr(&after));
    assert_no_secret_on_disk(&sandbox, &[secret_of(&first), secret_of(&after)]);
}
