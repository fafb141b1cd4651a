//! Logs that cannot leak: every command, the screen with an MFA code typed, an agent serving a
//! caller and `exec --ecs-server` asked by its command, run with `SWITCHBOARD_LOG=trace`
//! against moto (behind a proxy that records every answer, so every secret access key and
//! session token STS handed out is known), with the real session store and keyring. Each
//! process proves trace was on (its trace line at start; the agent's and the endpoint's
//! trace lines for the request they served). Then stderr, the stdout of every command that
//! does not print secrets on purpose, what the screen wrote, the agent's log, the log file and
//! every file under HOME are searched for each secret, long-term key, MFA code and the ECS
//! endpoint's token. Failure messages name a secret by kind and length, never by value.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};

use crate::support;
use crate::support::agent::start_agent;
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

/// Holds the line every process writes at trace level once its logging is set up (the
/// screen's log file writes the level as `TRACE`, stderr too).
fn traced(log: &[u8]) -> bool {
    let text = String::from_utf8_lossy(log);
    text.lines().any(|line| line.contains("TRACE") && line.contains(" started, pid "))
}

/// Starts an agent at trace, has it renew a chained role through STS (`refresh`) and serve
/// it to `credential-process`, stops it: every line it logged, and the callers' outputs.
fn agent_serving_a_caller(
    sandbox: &Sandbox,
    keyring: &Keyring,
    run: &dyn Fn(&[&str], Option<&str>) -> Output,
) -> (Vec<String>, [(String, Output, bool); 2]) {
    let mut command = keyring.command(sandbox, &["agent"]);
    command.env("SWITCHBOARD_LOG", "trace").env("SWITCHBOARD_NOTIFY", "off");
    let mut agent = start_agent(command);
    let renewed = run(&["refresh", "staging/deploy"], None);
    assert!(renewed.status.success(), "refresh through the agent: {}", stderr(&renewed));
    let served = run(&["credential-process", "staging/deploy"], None);
    assert!(served.status.success(), "credential-process through the agent: {}", stderr(&served));
    assert!(stderr(&served).contains("served by the agent"), "{}", stderr(&served));
    for _ in 0..2 {
        agent.wait_for_log("agent: session request from pid", std::time::Duration::from_secs(10));
    }
    let mut lines = agent.started.clone();
    lines.extend(agent.stop());
    let runs = [
        ("refresh through the agent".to_owned(), renewed, true),
        ("credential-process through the agent".to_owned(), served, false),
    ];
    (lines, runs)
}

/// `exec --ecs-server` at trace around a command that asks the endpoint once with its token
/// (and checks the answer holds a session), then writes the token into `token_dir` (outside
/// HOME) for the scan: the exec's output, and the token.
fn ecs_endpoint_asked_with_its_token(sandbox: &Sandbox, keyring: &Keyring, token_dir: &Path) -> (Output, String) {
    const ASK: &str = r#"
import json, os, sys, urllib.request
request = urllib.request.Request(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
request.add_header("Authorization", os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"])
with urllib.request.urlopen(request, timeout=10) as answer:
    body = json.loads(answer.read())
    assert answer.status == 200 and body["SecretAccessKey"] and body["Token"], answer.status
open(sys.argv[1], "w").write(os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"])
print("asked the endpoint: 200")
"#;
    let token_file = token_dir.join("token");
    let python = support::python_path();
    let args = ["exec", "--ecs-server", "prod/viewer", "--", python.to_str().unwrap(), "-c", ASK];
    let mut command = keyring.command(sandbox, &args);
    command.arg(&token_file).env("SWITCHBOARD_LOG", "trace").stdin(Stdio::null());
    let output = command.output().unwrap();
    assert!(output.status.success(), "exec --ecs-server: {}\n{}", support::stdout(&output), stderr(&output));
    assert!(
        stderr(&output).contains("credentials endpoint: serving prod/viewer to a caller with the token"),
        "the endpoint's trace line: {}",
        stderr(&output)
    );
    (output, std::fs::read_to_string(&token_file).unwrap())
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
    let commands: [(&[&str], Option<&str>, bool); 19] = [
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
        (&["doctor"], None, true),
        (&["doctor", "--online", "--json"], None, true),
    ];
    for (args, stdin, stdout_is_clean) in commands {
        let output = run(args, stdin);
        runs.push((args.join(" "), output, stdout_is_clean));
    }
    // An agent serving a caller, and `exec --ecs-server` whose command asks its endpoint with
    // the token: both at trace, every line they write kept.
    let (agent_log, served) = agent_serving_a_caller(&sandbox, &keyring, &run);
    runs.extend(served);
    clean.push(("stderr of `agent`".into(), agent_log.join("\n").into_bytes()));
    let token_dir = tempfile::tempdir().unwrap();
    let (ecs, ecs_token) = ecs_endpoint_asked_with_its_token(&sandbox, &keyring, token_dir.path());
    runs.push(("exec --ecs-server".into(), ecs, true));

    // Trace was on in every process: each wrote the trace line every process writes at start.
    for (label, output, _) in &runs {
        assert!(traced(&output.stderr), "`{label}` wrote no trace line:\n{}", stderr(output));
    }
    assert!(traced(agent_log.join("\n").as_bytes()), "the agent wrote no trace line:\n{}", agent_log.join("\n"));
    for (label, output, stdout_is_clean) in runs {
        clean.push((format!("stderr of `{label}`"), output.stderr));
        if stdout_is_clean {
            clean.push((format!("stdout of `{label}`"), output.stdout));
        }
    }

    let log = sandbox.home.path().join(".local/state/switchboard/switchboard.log");
    let log_bytes = std::fs::read(&log).unwrap_or_else(|error| panic!("{}: {error}", log.display()));
    assert!(traced(&log_bytes), "the screen's log file has no trace line");
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
    assert_eq!(ecs_token.len(), 43, "the endpoint's token, as its command saw it");
    secrets.push(Secret { kind: "ECS endpoint token", value: ecs_token });
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
