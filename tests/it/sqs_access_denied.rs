//! A role that may not use SQS, against moto with its IAM enforcement on: the SQS panel says
//! the listing was refused (with the action and the role), the app keeps running, and a role
//! with `sqs:*` in the same account lists its queues.
//!
//! How moto (5.2) is set up for it:
//! - IAM is seeded while enforcement is off: a user `operator` in moto's default account
//!   123456789012 with an access key and a policy allowing `sts:AssumeRole`.
//! - moto puts a request in the account of the key that signs it (an IAM user's key: its
//!   account; an assumed role's temporary key: the account of the role's ARN). AssumeRole
//!   works on any ARN, so the operator first assumes a `Bootstrap` role in 111111111111 that
//!   does not exist, and with that session creates the roles there: `NoSqs` (only
//!   `sts:GetCallerIdentity` and an S3 action) and `SqsAll` (`sqs:*`), both trusting
//!   123456789012. `SqsAll`'s session creates the queues.
//! - POST /moto-api/reset-auth with `0` turns enforcement on: from then on every request
//!   must be signed by a key moto knows, and its action allowed by the identity's policies
//!   (an assumed role's: the role's policies in the role's account). moto checks a role's
//!   trust policy only when the role is in the caller's own account, so the cross-account
//!   trust policies here are not evaluated; the user's `sts:AssumeRole` permission is.
//!   GetCallerIdentity is always allowed.
//!
//! What moto answers a refused SQS call: HTTP 403 with an XML body (`<ErrorResponse>…
//! <Code>AccessDenied</Code><Message>User: arn:aws:sts::111111111111:assumed-role/NoSqs/…
//! is not authorized to perform: sqs:ListQueues</Message>…`), for every service, although
//! aws-sdk-sqs speaks SQS's JSON protocol and real SQS answers in JSON (`__type`, `message`,
//! and an `x-amzn-query-error: AccessDenied;Sender` header). The SDK cannot parse that body:
//! the error has no code and no message, and switchboard falls back on the raw 403 and its
//! `<Message>`. So two tests: one straight against moto (that fallback), and one through a
//! small proxy that re-encodes only those 403s the way SQS does (the SDK's own parsing); in
//! both the panel must say "access denied".

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};

use crate::support;
use crate::support::Sandbox;
use crate::support::pty::{Tui, queue_counts, roles_are_shown, words};

const ACCOUNT: &str = "111111111111";

/// Seeds IAM and the queues as described above; prints the operator's key as JSON.
const SEED: &str = r#"
import json, os, sys
import boto3

endpoint = os.environ["MOTO_ENDPOINT"]

def client(service, key, secret, token=None):
    return boto3.client(service, endpoint_url=endpoint, region_name="eu-central-1",
                        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token)

def session(credentials, service):
    return client(service, credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])

def allow(*actions):
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})

# Enforcement is off: any key works, and an IAM user's requests land in 123456789012.
iam = client("iam", "AKIASEEDSEEDSEEDSEED", "seed")
iam.create_user(UserName="operator")
key = iam.create_access_key(UserName="operator")["AccessKey"]
iam.put_user_policy(UserName="operator", PolicyName="assume-roles", PolicyDocument=allow("sts:AssumeRole"))
sts = client("sts", key["AccessKeyId"], key["SecretAccessKey"])
assert sts.get_caller_identity()["Account"] == "123456789012"

# A session in 111111111111 (the role need not exist): what it creates lands there.
bootstrap = sts.assume_role(RoleArn="arn:aws:iam::111111111111:role/Bootstrap", RoleSessionName="seed")["Credentials"]
assert session(bootstrap, "sts").get_caller_identity()["Account"] == "111111111111"
target_iam = session(bootstrap, "iam")
trust = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})
for name, policy in [("NoSqs", allow("sts:GetCallerIdentity", "s3:ListAllMyBuckets")), ("SqsAll", allow("sqs:*"))]:
    target_iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
    target_iam.put_role_policy(RoleName=name, PolicyName="permissions", PolicyDocument=policy)

sqs_all = sts.assume_role(RoleArn="arn:aws:iam::111111111111:role/SqsAll", RoleSessionName="seed")["Credentials"]
sqs = session(sqs_all, "sqs")
for name in ["invoices", "orders"]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert "/111111111111/" in url, url
    sqs.send_message(QueueUrl=url, MessageBody=name + "-1")
json.dump({"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}, sys.stdout)
"#;

const INVENTORY: &str = r#"
[defaults]
region = "eu-west-1"
duration = "1h"
refresh_before = "5m"
endpoint_url = "ENDPOINT"

[sources.operator]
profile = "operator"
credentials_file = "aws/credentials"

[[accounts]]
name = "prod"
id = "111111111111"
environment = "production"
region = "eu-central-1"
  [[accounts.roles]]
  name = "no-sqs"
  role_name = "NoSqs"
  source = "operator"
  [[accounts.roles]]
  name = "sqs-all"
  role_name = "SqsAll"
  source = "operator"
"#;

/// The operator's access key id and secret.
fn seed(sandbox: &Sandbox) -> (String, String) {
    let python = support::python_path();
    assert!(python.exists(), "{} is missing: run scripts/test.sh (it installs moto into .venv)", python.display());
    let mut command = Command::new(&python);
    support::clean_env(&mut command, sandbox.home.path());
    let output = command
        .args(["-c", SEED])
        .env("MOTO_ENDPOINT", &sandbox.moto.endpoint)
        .stdin(Stdio::null())
        .output()
        .expect("run the seeding script");
    support::assert_success(&output);
    let key: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    (key["AccessKeyId"].as_str().unwrap().to_owned(), key["SecretAccessKey"].as_str().unwrap().to_owned())
}

/// POST /moto-api/reset-auth `0`: every request from now on is authenticated and authorized.
fn enforce_iam(endpoint: &str) {
    let address = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST /moto-api/reset-auth HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/plain\r\nContent-Length: 1\r\nConnection: close\r\n\r\n0"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(r#""status": "ok""#), "{response}");
}

/// This HOME's inventory and credentials file: the two roles, through the operator's key.
fn write_inventory(sandbox: &Sandbox, key: &str, secret: &str, endpoint: &str) {
    let config = sandbox.home.path().join(".config/switchboard");
    std::fs::write(
        config.join("aws/credentials"),
        format!("[operator]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"),
    )
    .unwrap();
    std::fs::write(sandbox.inventory(), INVENTORY.replace("ENDPOINT", endpoint)).unwrap();
}

/// ListQueues with `role`'s session through the raw SDK: what moto answers, as status and body.
fn raw_list_queues(sandbox: &Sandbox, role: &str) -> Result<Vec<String>, (u16, String)> {
    let client = support::sqs_client(sandbox, role);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    match runtime.block_on(client.list_queues().send()) {
        Ok(output) => Ok(output.queue_urls().to_vec()),
        Err(error) => {
            let raw = error.raw_response().expect("moto answered");
            let body = raw.body().bytes().map(|bytes| String::from_utf8_lossy(bytes).into_owned()).unwrap_or_default();
            Err((raw.status().as_u16(), body))
        }
    }
}

/// The list of roles (with the no-sqs account), then `role`'s panels.
fn open_panels(tui: &mut Tui, filter: &str, role: &str) {
    tui.wait_for("the list of roles", |screen| roles_are_shown(screen) && screen.contains("no-sqs"));
    support::pty::open_panels(tui, filter, role);
}

/// Speaks HTTP/1.1 to the app and to moto, one request per connection; passes everything
/// through except moto's XML answer to a refused SQS (JSON protocol) request, which it
/// re-encodes the way SQS does. The refusal itself, its status and its message are moto's.
struct SqsErrorProxy {
    endpoint: String,
}

impl SqsErrorProxy {
    fn start(upstream: &str) -> SqsErrorProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_owned();
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let upstream = upstream.clone();
                std::thread::spawn(move || {
                    let _ = relay(client, &upstream);
                });
            }
        });
        SqsErrorProxy { endpoint }
    }
}

/// A request's or response's head (up to the blank line) and its body (Content-Length bytes,
/// or everything up to the end of the stream without one).
fn read_message(reader: &mut BufReader<TcpStream>) -> std::io::Result<(String, Vec<u8>)> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok()).flatten()
    });
    let mut body = Vec::new();
    match length {
        Some(length) => {
            body.resize(length, 0);
            reader.read_exact(&mut body)?;
        }
        None if head.starts_with("HTTP/") => {
            reader.read_to_end(&mut body)?;
        }
        None => {}
    }
    Ok((head, body))
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    Some(&text[start..start + text[start..].find(close)?])
}

fn relay(client: TcpStream, upstream: &str) -> std::io::Result<()> {
    let mut from_client = BufReader::new(client.try_clone()?);
    let (head, body) = read_message(&mut from_client)?;
    if head.is_empty() {
        return Ok(());
    }
    let json_protocol = head.lines().any(|line| line.to_ascii_lowercase().starts_with("x-amz-target: amazonsqs."));
    // One request per connection: the app's client opens a new one for the next request.
    let head = head.replacen("\r\n", "\r\nConnection: close\r\n", 1);
    let mut server = TcpStream::connect(upstream)?;
    server.write_all(head.as_bytes())?;
    server.write_all(&body)?;
    let (response_head, response_body) = read_message(&mut BufReader::new(server))?;
    let text = String::from_utf8_lossy(&response_body);
    let mut client = client;
    match (json_protocol && response_head.starts_with("HTTP/1.1 403"), between(&text, "<Code>", "</Code>")) {
        (true, Some(code)) => {
            let message = between(&text, "<Message>", "</Message>")
                .unwrap_or_default()
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&");
            let json = serde_json::json!({
                "__type": format!("com.amazon.coral.service#{code}Exception"),
                "message": message,
            })
            .to_string();
            write!(
                client,
                "HTTP/1.1 403 Forbidden\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-query-error: {code};Sender\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                json.len()
            )?;
        }
        _ => {
            let response_head = response_head
                .lines()
                .filter(|line| !line.is_empty())
                .filter(|line| {
                    let name = line.split(':').next().unwrap_or_default();
                    !name.eq_ignore_ascii_case("connection") && !name.eq_ignore_ascii_case("content-length")
                })
                .collect::<Vec<_>>()
                .join("\r\n");
            write!(client, "{response_head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", response_body.len())?;
            client.write_all(&response_body)?;
        }
    }
    client.flush()
}

/// A sandbox whose moto holds the operator, the two roles and their queues, with IAM
/// enforced; the inventory's endpoint is `endpoint(moto)` (moto itself, or a proxy to it).
fn enforced_sandbox(endpoint: impl FnOnce(&str) -> String) -> Sandbox {
    let sandbox = Sandbox::new();
    let (key, secret) = seed(&sandbox);
    write_inventory(&sandbox, &key, &secret, &endpoint(&sandbox.moto.endpoint));
    enforce_iam(&sandbox.moto.endpoint);

    // Behind the app's back: moto enforces, and both roles can still be assumed.
    let (status, body) = raw_list_queues(&sandbox, "prod/no-sqs").expect_err("NoSqs may not list queues");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    assert!(
        body.contains(&format!("User: arn:aws:sts::{ACCOUNT}:assumed-role/NoSqs/"))
            && body.contains("is not authorized to perform: sqs:ListQueues"),
        "{body}"
    );
    let urls = raw_list_queues(&sandbox, "prod/sqs-all").expect("SqsAll may list queues");
    assert_eq!(urls.len(), 2, "{urls:?}");
    sandbox
}

/// The line of the panel that starts with `prefix` (inside the frames), if it is shown.
fn panel_line(screen: &str, prefix: &str) -> Option<String> {
    screen.lines().map(|line| words(line).join(" ")).find(|line| line.starts_with(prefix))
}

/// With no-sqs's panels open on a refused listing: the session itself is fine (the identity
/// panel shows it), Esc goes back to the roles, and sqs-all lists the queues.
fn carry_on_then_contrast_then_quit(tui: &mut Tui) {
    tui.wait_for("a session in the header", |screen| {
        screen.lines().next().is_some_and(|line| line.contains("as no-sqs") && line.contains("session 59:"))
    });
    tui.send("\t");
    tui.wait_for("the identity panel: GetCallerIdentity is allowed", |screen| {
        screen.contains(&format!("arn:aws:sts::{ACCOUNT}:assumed-role/NoSqs/"))
    });
    tui.send("\t");
    tui.wait_for("the SQS panel again", |screen| panel_line(screen, "prod/no-sqs: ListQueues: ").is_some());
    tui.send("\x1b");
    tui.wait_for("the roles again", |screen| roles_are_shown(screen) && !screen.contains(" queues ("));
    // The filter is still "no-sqs": clear it, and open sqs-all instead.
    tui.send("\x1b");
    tui.wait_for("every role again", |screen| screen.contains("no-sqs") && screen.contains("sqs-all"));
    open_panels(tui, "sqs-all", "sqs-all");
    tui.wait_for("sqs-all's queues with their counts", |screen| {
        screen.contains(" queues (2)")
            && queue_counts(screen, "invoices") == Some([1, 0, 0])
            && queue_counts(screen, "orders") == Some([1, 0, 0])
            && !screen.contains("ListQueues")
    });
    tui.send("\x1b");
    tui.wait_for("the roles again", |screen| roles_are_shown(screen) && !screen.contains(" queues ("));
    tui.send("q");
    let status = tui.wait_for_exit();
    assert!(status.success(), "exit status {status:?}");
    tui.assert_terminal_restored();
}

#[test]
fn straight_against_moto_the_refused_listing_is_shown_and_the_app_carries_on() {
    let sandbox = enforced_sandbox(str::to_owned);
    let mut tui = Tui::start(&sandbox);
    open_panels(&mut tui, "no-sqs", "no-sqs");
    // The refusal reaches the panel, named by role and action, and no queue is listed. moto's
    // XML body has no code the SDK can read (see the top of this file): switchboard reads the
    // 403 and the message from the raw response.
    let line = tui.wait_until("the refused listing", |tui| {
        let screen = tui.screen_text();
        (screen.contains(" queues (0)") && !screen.contains("listing queues…"))
            .then(|| panel_line(&screen, "prod/no-sqs: ListQueues: "))
            .flatten()
    });
    eprintln!("the panel says: {line}");
    assert!(line.starts_with("prod/no-sqs: ListQueues: access denied: User: "), "{line}");
    carry_on_then_contrast_then_quit(&mut tui);
}

#[test]
fn with_errors_encoded_as_sqs_does_the_panel_says_access_denied() {
    let mut proxy = None;
    let sandbox = enforced_sandbox(|moto| {
        let started = SqsErrorProxy::start(moto);
        let endpoint = started.endpoint.clone();
        proxy = Some(started);
        endpoint
    });
    assert!(proxy.is_some());
    let mut tui = Tui::start(&sandbox);
    open_panels(&mut tui, "no-sqs", "no-sqs");
    // The notice is one line, cut at the panel's width: the start of moto's message is enough.
    let line = tui.wait_for("access denied", |screen| {
        panel_line(screen, "prod/no-sqs: ListQueues: access denied: User: ").is_some()
    });
    let line = panel_line(&line, "prod/no-sqs: ListQueues: ").unwrap();
    eprintln!("the panel says: {line}");
    assert!(
        line.starts_with(&format!(
            "prod/no-sqs: ListQueues: access denied: User: arn:aws:sts::{ACCOUNT}:assumed-role/NoSqs/"
        )),
        "{line}"
    );
    carry_on_then_contrast_then_quit(&mut tui);
}
