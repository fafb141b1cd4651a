//! Test harness: a real moto server on 127.0.0.1 (a free port, started and stopped per
//! test), a throwaway HOME with an inventory pointing at it, and the real binary.

#![allow(dead_code)]

#[cfg(unix)]
pub mod agent;
pub mod fake_sso;
pub mod fault_proxy;
pub mod prerequisites;
pub mod pty;
pub mod store;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const HUB_KEY_ID: &str = "AKIATESTHUB000000001";
pub const HUB_SECRET: &str = "hub-secret-not-real";
pub const DEVICE: &str = "arn:aws:iam::123456789012:mfa/tester";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The moto server and Python of `scripts/install-test-deps.sh`, or where the env says.
pub fn moto_server_path() -> PathBuf {
    std::env::var_os("SWITCHBOARD_MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv/bin/moto_server"))
}

pub fn python_path() -> PathBuf {
    std::env::var_os("SWITCHBOARD_PYTHON").map(PathBuf::from).unwrap_or_else(|| repo().join(".venv/bin/python"))
}

pub struct Moto {
    child: Child,
    pub endpoint: String,
}

/// How often a start is tried again when another test took the free port first.
const PORT_TRIES: usize = 5;

impl Moto {
    /// Starts moto on a free loopback port. The port is found free and then handed to moto,
    /// so a test starting at the same moment can take it in between: moto then says the
    /// address is in use, and the start is tried again on another port.
    pub fn start() -> Moto {
        let mut last = String::new();
        for _ in 0..PORT_TRIES {
            match Self::try_start() {
                Ok(moto) => return moto,
                Err(log) if log.contains("in use") => last = log,
                Err(log) => panic!("moto exited before listening:\n{log}"),
            }
        }
        panic!("moto found no free port in {PORT_TRIES} tries:\n{last}")
    }

    fn try_start() -> Result<Moto, String> {
        let server = moto_server_path();
        assert!(server.exists(), "{} is missing: run scripts/test.sh (it installs moto into .venv)", server.display());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .unwrap();
        let mut child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", server.display()));
        let stderr = child.stderr.take().unwrap();
        let (ready, wait) = mpsc::channel();
        // Werkzeug announces "Running on http://127.0.0.1:PORT" once it listens; keep
        // draining afterwards so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut log = Vec::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("Running on") {
                    let _ = ready.send(Ok(()));
                }
                if log.len() < 50 {
                    log.push(line);
                }
            }
            let _ = ready.send(Err(log.join("\n")));
        });
        match wait.recv_timeout(Duration::from_secs(90)) {
            Ok(Ok(())) => Ok(Moto { child, endpoint: format!("http://127.0.0.1:{port}") }),
            Ok(Err(log)) => {
                let _ = child.wait();
                Err(log)
            }
            Err(_) => panic!("moto did not start listening within 90 s"),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A HOME of its own with an inventory of three accounts, a chained role, an MFA session
/// source and a source without one, all pointing at `moto`.
pub struct Sandbox {
    pub moto: Moto,
    pub home: tempfile::TempDir,
}

pub const INVENTORY: &str = include_str!("../../fixtures/moto.toml");

impl Sandbox {
    pub fn new() -> Sandbox {
        let moto = Moto::start();
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join(".config/switchboard");
        std::fs::create_dir_all(config.join("aws")).unwrap();
        std::fs::write(
            config.join("aws/credentials"),
            format!("[hub]\naws_access_key_id = {HUB_KEY_ID}\naws_secret_access_key = {HUB_SECRET}\n"),
        )
        .unwrap();
        let inventory = INVENTORY.replace("ENDPOINT", &moto.endpoint).replace("DEVICE", DEVICE);
        std::fs::write(config.join("accounts.toml"), inventory).unwrap();
        Sandbox { moto, home }
    }

    /// A sandbox whose inventory is `tests/fixtures/NAME`, with its ENDPOINT and DEVICE filled in.
    pub fn with_fixture(name: &str) -> Sandbox {
        let sandbox = Sandbox::new();
        let path = repo().join("tests/fixtures").join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
            .replace("ENDPOINT", &sandbox.moto.endpoint)
            .replace("DEVICE", DEVICE);
        std::fs::write(sandbox.inventory(), text).unwrap();
        sandbox
    }

    pub fn inventory(&self) -> PathBuf {
        self.home.path().join(".config/switchboard/accounts.toml")
    }

    /// The binary with a clean environment: this HOME, no AWS variables from outside, and
    /// the in-memory session cache unless a test asks for the keyring.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
        command.args(args);
        clean_env(&mut command, self.home.path());
        command.env("SWITCHBOARD_CACHE", "memory").env("SWITCHBOARD_INVENTORY", self.inventory());
        command.stdin(Stdio::null());
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }
}

pub fn clean_env(command: &mut Command, home: &Path) {
    // The agent's socket (and gnome-keyring's control socket) go here: each test's own
    // runtime directory, private as a real one is.
    let runtime = home.join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&runtime, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("AWS_") || name.starts_with("SWITCHBOARD_") {
            command.env_remove(&name);
        }
    }
    command
        .env("HOME", home)
        .env("XDG_RUNTIME_DIR", runtime)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("AWS_CONFIG_FILE", home.join("no-aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("no-aws-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        stdout(output),
        stderr(output)
    );
}

/// `switchboard env ROLE --format json` parsed into its variables.
pub fn exports(output: &Output) -> serde_json::Map<String, serde_json::Value> {
    assert_success(output);
    serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap().as_object().unwrap().clone()
}

/// GetCallerIdentity with exported credentials, through the real SDK: where they landed.
pub fn caller_account(endpoint: &str, vars: &serde_json::Map<String, serde_json::Value>) -> (String, String) {
    let text = |name: &str| vars[name].as_str().unwrap().to_owned();
    let credentials = aws_sdk_sts::config::Credentials::new(
        text("AWS_ACCESS_KEY_ID"),
        text("AWS_SECRET_ACCESS_KEY"),
        Some(text("AWS_SESSION_TOKEN")),
        None,
        "test",
    );
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new(text("AWS_REGION")))
        .credentials_provider(credentials)
        .endpoint_url(endpoint)
        .build();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let identity = runtime.block_on(aws_sdk_sts::Client::from_conf(config).get_caller_identity().send()).unwrap();
    (identity.account().unwrap_or_default().to_owned(), identity.arn().unwrap_or_default().to_owned())
}

/// A session of `role` from `switchboard env` (with `more` arguments, e.g. `--mfa-code`) and
/// its region, for switchboard's own clients in a test.
pub fn role_session(
    sandbox: &Sandbox,
    role: &str,
    more: &[&str],
) -> (switchboard::domain::credentials::Credentials, String) {
    let mut args = vec!["env", role, "--format", "json"];
    args.extend_from_slice(more);
    let vars = exports(&sandbox.run(&args));
    let text = |name: &str| vars[name].as_str().unwrap().to_owned();
    let credentials = switchboard::domain::credentials::Credentials::new(
        text("AWS_ACCESS_KEY_ID"),
        text("AWS_SECRET_ACCESS_KEY"),
        Some(text("AWS_SESSION_TOKEN")),
        None,
    );
    (credentials, text("AWS_REGION"))
}

/// A raw SDK client with a session of `role` from `switchboard env`, for seeding and checking
/// behind the app's back.
pub fn sqs_client(sandbox: &Sandbox, role: &str) -> aws_sdk_sqs::Client {
    sqs_client_with(sandbox, role, &[])
}

/// A queue's ARN, from its URL (for redrive policies the tests seed).
pub async fn queue_arn(client: &aws_sdk_sqs::Client, url: &str) -> String {
    use aws_sdk_sqs::types::QueueAttributeName;
    let output =
        client.get_queue_attributes().queue_url(url).attribute_names(QueueAttributeName::QueueArn).send().await;
    output.unwrap().attributes().unwrap()[&QueueAttributeName::QueueArn].clone()
}

/// `sqs_client` with more arguments for `switchboard env` (e.g. `--mfa-code`).
pub fn sqs_client_with(sandbox: &Sandbox, role: &str, more: &[&str]) -> aws_sdk_sqs::Client {
    let mut args = vec!["env", role, "--format", "json"];
    args.extend_from_slice(more);
    let vars = exports(&sandbox.run(&args));
    let text = |name: &str| vars[name].as_str().unwrap().to_owned();
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new(text("AWS_REGION")))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            text("AWS_ACCESS_KEY_ID"),
            text("AWS_SECRET_ACCESS_KEY"),
            Some(text("AWS_SESSION_TOKEN")),
            None,
            "seed",
        ))
        .endpoint_url(&sandbox.moto.endpoint)
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// Runs `command` (stdin closed, output captured) for at most `deadline`: its output and how
/// long it took, or, when it is still running then, an error naming it (it is killed).
pub fn run_with_deadline(mut command: Command, deadline: Duration) -> Result<(Output, Duration), String> {
    let started = std::time::Instant::now();
    let child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    match receiver.recv_timeout(deadline) {
        Ok(output) => Ok((output.unwrap(), started.elapsed())),
        Err(_) => {
            // SAFETY: signalling a child of this process by its pid.
            unsafe {
                libc::kill(pid as i32, libc::SIGKILL);
            }
            Err(format!("{command:?} still running after {deadline:?} (killed)"))
        }
    }
}

/// `jobs-dlq` and `jobs`, whose redrive policy names `jobs-dlq` (3 receives): their URLs.
pub async fn jobs_with_dead_letter_queue(client: &aws_sdk_sqs::Client) -> (String, String) {
    let dlq = client.create_queue().queue_name("jobs-dlq").send().await.unwrap().queue_url.unwrap();
    let policy = format!(r#"{{"deadLetterTargetArn":"{}","maxReceiveCount":"3"}}"#, queue_arn(client, &dlq).await);
    let jobs = client
        .create_queue()
        .queue_name("jobs")
        .attributes(aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy, policy)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    (dlq, jobs)
}
