//! `exec --ecs-server` end to end against moto: a boto3 command outlives its sessions
//! because the local endpoint renews them ahead (and tries again after a renewal fails), the
//! endpoint refuses callers without the token and listens on loopback only, and the exec
//! process passes signals (SIGTERM, SIGHUP) and exit codes on.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStderr, ChildStdout, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::fault_proxy::{Fault, FaultProxy};
use crate::support::store::set_inventory_endpoint;
use crate::support::{Sandbox, python_path, stderr};

/// Sessions of 15 minutes renewed 10 s after they are obtained: a renewal every ~10 s.
fn short_session_sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    let inventory = std::fs::read_to_string(sandbox.inventory()).unwrap();
    let inventory = inventory
        .replace("duration = \"1h\"\nrefresh_before = \"5m\"", "duration = \"15m\"\nrefresh_before = \"14m50s\"");
    assert!(inventory.contains("14m50s"), "the fixture's defaults changed: {inventory}");
    std::fs::write(sandbox.inventory(), inventory).unwrap();
    sandbox
}

/// Calls GetCallerIdentity for 40 s and prints the access key ids the SDK used, one per call.
const LONG_RUNNING_SCRIPT: &str = r#"
import boto3, json, os, sys, time
assert "AWS_ACCESS_KEY_ID" not in os.environ, "static keys leaked into the command"
assert os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
session = boto3.session.Session()
sts = session.client("sts")
keys, accounts = [], set()
deadline = time.monotonic() + 40
while time.monotonic() < deadline:
    accounts.add(sts.get_caller_identity()["Account"])
    keys.append(session.get_credentials().get_frozen_credentials().access_key)
    time.sleep(0.5)
print(json.dumps({"keys": keys, "accounts": sorted(accounts), "method": session.get_credentials().method}))
"#;

fn run_long_script(role: &str, account: &str) {
    let sandbox = short_session_sandbox();
    let python = python_path();
    let output = sandbox
        .command(&[
            "exec",
            "--ecs-server",
            role,
            "--mfa-code",
            "123456",
            "--",
            python.to_str().unwrap(),
            "-c",
            LONG_RUNNING_SCRIPT,
        ])
        .env("AWS_ACCESS_KEY_ID", "AKIASTALE")
        .env("AWS_SECRET_ACCESS_KEY", "stale")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["method"], "container-role", "{report}");
    assert_eq!(report["accounts"], serde_json::json!([account]), "{report}");
    let keys: std::collections::BTreeSet<&str> =
        report["keys"].as_array().unwrap().iter().map(|key| key.as_str().unwrap()).collect();
    assert!(keys.len() >= 3, "only {} access keys in 40 s: {report}\n{}", keys.len(), stderr(&output));
    let log = stderr(&output);
    assert!(!log.contains("cannot renew") && !log.contains("refused"), "{log}");
}

#[test]
fn a_boto3_command_outlives_its_sessions_through_the_endpoint() {
    run_long_script("prod/viewer", "111111111111");
}

#[test]
fn a_chained_role_is_renewed_through_the_endpoint_too() {
    run_long_script("staging/deploy", "222222222222");
}

/// `exec --ecs-server` (with `-v`: its renewals are logged) around a shell that prints the
/// endpoint's address and token, then waits for a line on stdin and exits with 5.
struct Exec {
    child: Child,
    stdout: BufReader<ChildStdout>,
    uri: String,
    token: String,
}

fn start_exec(sandbox: &Sandbox, script: &str) -> Exec {
    let mut child = sandbox
        .command(&["-v", "exec", "--ecs-server", "prod/viewer", "--", "sh", "-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let mut parts = line.split_whitespace();
    let (uri, token) = (parts.next().unwrap_or_default().to_owned(), parts.next().unwrap_or_default().to_owned());
    assert!(uri.starts_with("http://127.0.0.1:") && uri.ends_with("/credentials"), "{line}");
    Exec { child, stdout, uri, token }
}

const PRINT_AND_WAIT: &str =
    "echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI $AWS_CONTAINER_AUTHORIZATION_TOKEN\"; read line; exit 5";

/// One raw HTTP/1.1 GET: the status code and the body.
fn get(uri: &str, authorization: Option<&str>) -> (u16, String) {
    let rest = uri.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let header = authorization.map(|value| format!("Authorization: {value}\r\n")).unwrap_or_default();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\n{header}Connection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

#[test]
fn the_endpoint_serves_only_callers_with_the_token() {
    let sandbox = Sandbox::new();
    let mut exec = start_exec(&sandbox, PRINT_AND_WAIT);
    assert_eq!(exec.token.len(), 43, "256 bits in base64: {}", exec.token);

    let (status, body) = get(&exec.uri, None);
    assert_eq!(status, 403, "{body}");
    assert!(!body.contains("AccessKeyId"), "{body}");
    let last = if exec.token.ends_with('A') { 'B' } else { 'A' };
    let wrong = format!("{}{last}", &exec.token[..42]);
    let (status, body) = get(&exec.uri, Some(&wrong));
    assert_eq!(status, 403, "{body}");
    let (status, _) = get(&exec.uri, Some(&format!("{}x", exec.token)));
    assert_eq!(status, 403, "a longer value is refused too");

    let (status, body) = get(&exec.uri, Some(&exec.token));
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    for field in ["AccessKeyId", "SecretAccessKey", "Token", "Expiration"] {
        assert!(json[field].as_str().is_some_and(|value| !value.is_empty()), "{field} in {json}");
    }
    assert_eq!(json["RoleArn"], "arn:aws:iam::111111111111:role/Viewer");
    let (status, _) = get(&exec.uri.replace("/credentials", "/other"), Some(&exec.token));
    assert_eq!(status, 404);

    exec.child.stdin.take().unwrap().write_all(b"done\n").unwrap();
    let status = exec.child.wait().unwrap();
    let mut log = String::new();
    exec.child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert_eq!(status.code(), Some(5), "the command's exit code is exec's: {log}");
    assert!(!log.contains(&exec.token), "the token reached stderr: {log}");
}

#[cfg(target_os = "linux")]
#[test]
fn the_endpoint_listens_on_loopback_only() {
    let sandbox = Sandbox::new();
    let mut exec = start_exec(&sandbox, PRINT_AND_WAIT);
    let port: u16 = exec.uri.rsplit(':').next().unwrap().trim_end_matches("/credentials").parse().unwrap();
    let suffix = format!(":{port:04X}");
    let listening: Vec<String> = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .flat_map(|table| table.lines().skip(1).map(str::to_owned).collect::<Vec<_>>())
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields.get(3) == Some(&"0A") && fields[1].ends_with(&suffix)).then(|| fields[1].to_owned())
        })
        .collect();
    assert_eq!(listening, [format!("0100007F{suffix}")], "sockets listening on port {port}");
    drop(exec.child.stdin.take());
    assert_eq!(exec.child.wait().unwrap().code(), Some(5));
}

#[cfg(unix)]
#[test]
fn a_terminate_signal_reaches_the_command_and_its_status_comes_back() {
    let sandbox = Sandbox::new();
    let mut exec = start_exec(
        &sandbox,
        "echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI $AWS_CONTAINER_AUTHORIZATION_TOKEN\"; exec sleep 60",
    );
    let pid = i32::try_from(exec.child.id()).unwrap();
    // SAFETY: a signal to the exec process this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = exec.child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + libc::SIGTERM), "exec reports the command's end by SIGTERM");
    let mut rest = String::new();
    exec.stdout.read_to_string(&mut rest).unwrap();
}

/// Every line of `stderr`, as it comes, for waiting on with a deadline.
fn lines_of(stderr: ChildStderr) -> mpsc::Receiver<String> {
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    lines
}

/// Waits (at most `within`) for a line containing `text`; fails with what came instead.
fn wait_for_line(lines: &mpsc::Receiver<String>, text: &str, within: Duration) -> String {
    let deadline = std::time::Instant::now() + within;
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(text) => return line,
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    panic!("no line with {text:?} within {within:?}; the exec wrote:\n{}", seen.join("\n"))
}

fn access_key(exec: &Exec) -> String {
    let (status, body) = get(&exec.uri, Some(&exec.token));
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<serde_json::Value>(&body).unwrap()["AccessKeyId"].as_str().unwrap().to_owned()
}

#[test]
fn a_failed_renewal_is_tried_again_and_the_next_session_served() {
    // Sessions renewed 10 s after they are obtained; STS behind a fault proxy that counts.
    let sandbox = short_session_sandbox();
    let proxy = FaultProxy::start(&sandbox.moto.endpoint);
    set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
    let mut exec = start_exec(&sandbox, PRINT_AND_WAIT);
    let lines = lines_of(exec.child.stderr.take().unwrap());
    let first = access_key(&exec);
    assert_eq!(proxy.count("AssumeRole"), 1);

    // The first renewal is refused; the endpoint says so, keeps serving the session it has,
    // and tries again.
    proxy.next(Some("AssumeRole"), 1, Fault::AccessDenied);
    wait_for_line(&lines, "credentials endpoint: cannot renew prod/viewer", Duration::from_secs(30));
    assert_eq!(access_key(&exec), first, "the current session is still served");
    wait_for_line(&lines, "credentials endpoint: serving a renewed session of prod/viewer", Duration::from_secs(30));
    let renewed = access_key(&exec);
    assert_ne!(renewed, first, "the session renewed on the second try is served");
    assert_eq!(proxy.count("AssumeRole"), 3, "the first session, the refused renewal, the one tried again");

    exec.child.stdin.take().unwrap().write_all(b"done\n").unwrap();
    assert_eq!(exec.child.wait().unwrap().code(), Some(5));
}

#[cfg(unix)]
#[test]
fn a_hangup_reaches_the_command() {
    let sandbox = Sandbox::new();
    // The shell names the signal it got: a HUP it traps, anything else ends it unnamed.
    let mut exec = start_exec(
        &sandbox,
        "trap 'kill $! 2>/dev/null; echo got-hup; exit 7' HUP; \
         echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI $AWS_CONTAINER_AUTHORIZATION_TOKEN\"; \
         sleep 60 >/dev/null 2>&1 & wait $!",
    );
    let pid = i32::try_from(exec.child.id()).unwrap();
    // SAFETY: a signal to the exec process this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
    let (done, status) = mpsc::channel();
    let mut child = exec.child;
    std::thread::spawn(move || {
        let _ = done.send(child.wait());
    });
    let Ok(status) = status.recv_timeout(Duration::from_secs(20)) else {
        // SAFETY: as above; the exec did not end.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        panic!("exec did not end within 20 s of SIGHUP: the command never got it");
    };
    let mut rest = String::new();
    exec.stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest.trim(), "got-hup", "the command got SIGHUP itself");
    assert_eq!(status.unwrap().code(), Some(7), "and exec reports the command's exit code");
}
