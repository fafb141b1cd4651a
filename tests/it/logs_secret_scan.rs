//! Logs that cannot leak: every command, and the screen with an MFA code typed, run with
//! `SWITCHBOARD_LOG=trace` against moto (behind a proxy that records every answer, so every
//! secret access key and session token STS handed out is known), with the real session store
//! and keyring. Then stderr, the stdout of every command that does not print secrets on
//! purpose, what the screen wrote, the log file and every file under HOME are searched for
//! each secret, long-term key and MFA code. Failure messages name a secret by kind and
//! length, never by value.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};

use crate::support;
use crate::support::pty::Tui;
use crate::support::store::{Keyring, set_inventory_endpoint, state_dir};
use crate::support::{DEVICE, HUB_SECRET, Sandbox, stderr};

const VAULT_SECRET: &str = "vault-secret-value-not-real";
/// Codes whose digits appear nowhere else (account ids, device ARNs, ports are other numbers).
const CODES: [&str; 4] = ["480913", "570284", "619375", "702846"];

/// Forwards loopback connections to moto and keeps both directions, to learn every secret.
struct RecordingProxy {
    endpoint: String,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl RecordingProxy {
    fn start(upstream: &str) -> RecordingProxy {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorded = seen.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let Ok(server) = TcpStream::connect(&upstream) else { continue };
                let (client_reader, server_writer) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (up, down) = (recorded.clone(), recorded.clone());
                std::thread::spawn(move || pipe(client_reader, server_writer, &up));
                std::thread::spawn(move || pipe(server, client, &down));
            }
        });
        RecordingProxy { endpoint, seen }
    }

    /// Every value between `<NAME>` and `</NAME>` in what moto answered.
    fn values_of(&self, name: &str) -> Vec<String> {
        let seen = String::from_utf8_lossy(&self.seen.lock().unwrap()).into_owned();
        let (open, close) = (format!("<{name}>"), format!("</{name}>"));
        seen.split(&open)
            .skip(1)
            .filter_map(|rest| rest.split_once(&close))
            .map(|(value, _)| value.to_owned())
            .collect()
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream, record: &Mutex<Vec<u8>>) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        record.lock().unwrap().extend_from_slice(&buffer[..read]);
        if to.write_all(&buffer[..read]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

/// A secret to look for, and how to name it in a failure without showing it.
struct Secret {
    kind: &'static str,
    value: String,
}

impl Secret {
    fn label(&self) -> String {
        format!("{} ({} chars)", self.kind, self.value.len())
    }

    /// Found in `text`; a code counts only as a number of its own (not inside a longer one).
    fn found_in(&self, text: &[u8]) -> bool {
        let needle = self.value.as_bytes();
        text.windows(needle.len()).enumerate().any(|(at, window)| {
            window == needle
                && (self.kind != "MFA code"
                    || (!text.get(at.wrapping_sub(1)).is_some_and(u8::is_ascii_digit)
                        && !text.get(at + needle.len()).is_some_and(u8::is_ascii_digit)))
        })
    }
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.is_file() {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn a_trace_run_of_every_command_leaves_no_secret_in_any_output_or_file() {
    let sandbox = Sandbox::new();
    let proxy = RecordingProxy::start(&sandbox.moto.endpoint);
    set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
    let keyring = Keyring::start(sandbox.home.path());
    let state = state_dir(&sandbox);
    // What must be free of secrets: (where, bytes).
    let mut clean: Vec<(String, Vec<u8>)> = Vec::new();

    // The screen first (nothing cached yet, so it asks for the hub's MFA code).
    let state_text = state.display().to_string();
    let mut tui = Tui::start_with(
        &sandbox,
        &[
            ("SWITCHBOARD_LOG", "trace"),
            ("SWITCHBOARD_CACHE", "auto"),
            ("DBUS_SESSION_BUS_ADDRESS", &keyring.bus),
            ("SWITCHBOARD_STATE_DIR", &state_text),
        ],
    );
    tui.wait_for("the list of roles", support::pty::roles_are_shown);
    tui.send("/prod admin\r");
    tui.wait_for("the filter to be kept", |screen| screen.contains("roles matching \"prod admin\""));
    tui.send("r");
    tui.wait_for("the MFA modal", |screen| screen.contains("MFA code") && screen.contains(DEVICE));
    tui.send(CODES[0]);
    tui.send("\r");
    tui.wait_for("prod/admin to be valid", |screen| !screen.contains("MFA code") && screen.contains("59:"));
    tui.send("q");
    assert!(tui.wait_for_exit().success());
    clean.push(("what the screen wrote".into(), tui.raw.clone()));

    let run = |args: &[&str], stdin: Option<&str>| -> Output {
        let mut command = keyring.command(&sandbox, args);
        command.env("SWITCHBOARD_LOG", "trace").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.unwrap_or_default().as_bytes()).unwrap();
        drop(input);
        child.wait_with_output().unwrap()
    };
    let keys_add = run(&["keys", "add", "vault"], Some(&format!("AKIAVAULTKEY00000001\n{VAULT_SECRET}\n")));
    assert!(keys_add.status.success(), "keys add: {}", stderr(&keys_add));
    let env = run(&["env", "staging/admin", "--format", "json"], None);
    assert!(env.status.success(), "env: {}", stderr(&env));
    let exported: serde_json::Value = serde_json::from_slice(&env.stdout).unwrap();
    // (label, output, whether its stdout is free of secrets by design)
    let mut runs = vec![("keys add".to_owned(), keys_add, true), ("env".to_owned(), env, false)];
    // Console sign-in sends the session to a federation endpoint; this one refuses, and the
    // failure must not carry the session into any message.
    let inventory = std::fs::read_to_string(sandbox.inventory()).unwrap();
    let with_federation =
        inventory.replacen("[defaults]\n", "[defaults]\nfederation_url = \"http://127.0.0.1:1/federation\"\n", 1);
    assert_ne!(inventory, with_federation, "the inventory has a [defaults] table");
    std::fs::write(sandbox.inventory(), with_federation).unwrap();
    let aws_config = sandbox.home.path().join("imported-aws-config");
    std::fs::write(
        &aws_config,
        "[profile hub]\nregion = eu-west-1\n\n[profile prod-admin]\nrole_arn = arn:aws:iam::111111111111:role/Admin\nsource_profile = hub\n",
    )
    .unwrap();
    let aws_config = aws_config.to_str().unwrap().to_owned();
    let commands: [(&[&str], Option<&str>, bool); 17] = [
        (&["list"], None, true),
        (&["list", "--json"], None, true),
        (&["check"], None, true),
        (&["credential-process", "prod/viewer"], None, false),
        (&["exec", "shared/admin", "--", "sh", "-c", "echo ran"], None, true),
        (&["refresh", "--all", "--mfa-code", CODES[1]], None, true),
        (&["whoami", "staging/deploy"], None, true),
        (&["run", "*/admin", "--", "sh", "-c", "echo ran"], None, true),
        (&["sqs", "list"], None, true),
        (&["keys", "list"], None, true),
        (&["env", "prod/break-glass", "--mfa-code", CODES[2], "--format", "json"], None, false),
        (&["console", "prod/viewer", "--print"], None, true),
        (&["agent", "--status"], None, true),
        (&["mfa"], None, true),
        (&["completions", "bash"], None, true),
        (&["man"], None, true),
        (&["import", "aws-config", "--config", &aws_config, "--out", "-"], None, true),
    ];
    for (args, stdin, stdout_is_clean) in commands {
        let output = run(args, stdin);
        runs.push((args.join(" "), output, stdout_is_clean));
    }
    let logged = runs.iter().filter(|(_, output, _)| !output.stderr.is_empty()).count();
    assert!(logged > 0, "no command logged anything at trace");
    for (label, output, stdout_is_clean) in runs {
        clean.push((format!("stderr of `{label}`"), output.stderr));
        if stdout_is_clean {
            clean.push((format!("stdout of `{label}`"), output.stdout));
        }
    }

    let log = sandbox.home.path().join(".local/state/switchboard/switchboard.log");
    let log_bytes = std::fs::read(&log).unwrap_or_else(|error| panic!("{}: {error}", log.display()));
    assert!(!log_bytes.is_empty(), "the screen logged nothing at trace");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the log file's mode");
    let credentials_file = sandbox.home.path().join(".config/switchboard/aws/credentials");
    for path in files_under(sandbox.home.path()) {
        if path != credentials_file {
            clean.push((path.display().to_string(), std::fs::read(&path).unwrap_or_default()));
        }
    }
    assert!(clean.iter().any(|(place, _)| place.contains("/.local/state/switchboard/sessions.v3")), "no session file");

    let mut secrets: Vec<Secret> = Vec::new();
    for value in proxy.values_of("SecretAccessKey") {
        secrets.push(Secret { kind: "secret access key", value });
    }
    for value in proxy.values_of("SessionToken") {
        secrets.push(Secret { kind: "session token", value });
    }
    let sessions = secrets.len();
    assert!(sessions >= 10, "only {sessions} secrets seen at the proxy: the commands did not reach STS through it");
    let exported_secret = exported["AWS_SECRET_ACCESS_KEY"].as_str().unwrap();
    assert!(secrets.iter().any(|secret| secret.value == exported_secret), "the proxy missed env's session");
    secrets.push(Secret { kind: "long-term secret (hub)", value: HUB_SECRET.to_owned() });
    secrets.push(Secret { kind: "long-term secret (vault)", value: VAULT_SECRET.to_owned() });
    for code in CODES.iter().take(3) {
        secrets.push(Secret { kind: "MFA code", value: (*code).to_owned() });
    }
    // The codes did reach STS (so their absence elsewhere means something).
    let sent = String::from_utf8_lossy(&proxy.seen.lock().unwrap()).into_owned();
    assert!(sent.contains(&format!("TokenCode={}", CODES[0])), "the screen's code was not sent");

    let mut leaks = Vec::new();
    for secret in &secrets {
        for (place, bytes) in &clean {
            if secret.found_in(bytes) {
                leaks.push(format!("{} in {place}", secret.label()));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} leaks (of {} secrets, {} places):\n{}",
        leaks.len(),
        secrets.len(),
        clean.len(),
        leaks.join("\n")
    );
}
