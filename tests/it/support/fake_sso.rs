//! The Identity Center fake (`scripts/fake_sso.py`) beside moto: started per test on a free
//! port, with its role credentials issued by moto's STS so they land in the right account.
//! Its control endpoints (`/_fake/...`) approve sign-ins and count what reached it.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::store::Keyring;
use super::{Sandbox, python_path, repo};

pub struct FakeSso {
    child: Child,
    pub endpoint: String,
}

impl FakeSso {
    /// Starts the fake; `args` are its options (`--auto-approve`, `--token-seconds 60`, …).
    pub fn start(moto: &str, args: &[&str]) -> FakeSso {
        let python = python_path();
        assert!(python.exists(), "{} is missing: run scripts/test.sh (it installs the test venv)", python.display());
        let mut child = Command::new(&python)
            .arg(repo().join("scripts/fake_sso.py"))
            .args(["--port", "0", "--moto", moto])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start the Identity Center fake: {error}"));
        let stdout = child.stdout.take().unwrap();
        let (ready, wait) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
            if let Some(first) = lines.next() {
                let _ = ready.send(first);
            }
            // Drained so the fake never blocks on a full pipe.
            for _ in lines {}
        });
        let first = wait.recv_timeout(Duration::from_secs(30)).expect("the Identity Center fake did not start in 30 s");
        let endpoint = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the fake's first line is not `listening on URL`: {first}"))
            .trim()
            .to_owned();
        FakeSso { child, endpoint }
    }

    fn call(&self, method: &str, path: &str, body: &str) -> String {
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        assert!(head.starts_with("HTTP/1.1 2") || head.starts_with("HTTP/1.0 2"), "{method} {path}: {head}");
        body.to_owned()
    }

    /// What reached the fake: registrations, tokens, refreshes, role credentials, 429s, …
    pub fn stats(&self) -> serde_json::Value {
        serde_json::from_str(&self.call("GET", "/_fake/stats", "")).unwrap()
    }

    pub fn count(&self, name: &str) -> u64 {
        let stats = self.stats();
        stats[name].as_u64().unwrap_or_else(|| panic!("no count {name} in {stats}"))
    }

    pub fn control_get(&self, path: &str) -> serde_json::Value {
        serde_json::from_str(&self.call("GET", path, "")).unwrap()
    }

    pub fn control(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let answer = self.call("POST", path, &body.to_string());
        serde_json::from_str(&answer).unwrap_or(serde_json::Value::Null)
    }
}

impl Drop for FakeSso {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// moto, the fake and a HOME whose inventory is `tests/fixtures/sso.toml`; `$BROWSER` is a
/// script that opens the address it is given (following redirects), as a person would.
pub struct SsoSandbox {
    pub sandbox: Sandbox,
    pub sso: FakeSso,
    /// The session store every process of the test shares (sealed under a real keyring).
    pub keyring: Keyring,
}

pub const START_URL: &str = "https://sandbox.awsapps.com/start";

impl SsoSandbox {
    pub fn new(fake_args: &[&str]) -> SsoSandbox {
        let sandbox = Sandbox::with_fixture("sso.toml");
        let sso = FakeSso::start(&sandbox.moto.endpoint, fake_args);
        let browser = sandbox.home.path().join("browser");
        let opened = sandbox.home.path().join("opened");
        std::fs::write(
            &browser,
            format!(
                "#!/bin/sh\necho \"$1\" >> '{}'\nexec '{}' -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=30).read()' \"$1\"\n",
                opened.display(),
                python_path().display()
            ),
        )
        .unwrap();
        #[cfg(unix)]
        std::fs::set_permissions(&browser, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let keyring = Keyring::start(sandbox.home.path());
        SsoSandbox { sandbox, sso, keyring }
    }

    /// The binary pointed at the fake, with the browser script and the shared store.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = self.keyring.command(&self.sandbox, args);
        command
            .env("AWS_ENDPOINT_URL_SSO_OIDC", &self.sso.endpoint)
            .env("AWS_ENDPOINT_URL_SSO", &self.sso.endpoint)
            .env("BROWSER", self.sandbox.home.path().join("browser"));
        command
    }

    pub fn run(&self, args: &[&str]) -> std::process::Output {
        self.command(args).stdin(Stdio::null()).output().unwrap()
    }

    /// Every file under HOME (the store, the state directory, logs), read as bytes: what a
    /// scan for secrets looks through.
    pub fn files(&self) -> Vec<(std::path::PathBuf, Vec<u8>)> {
        fn walk(dir: &std::path::Path, found: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
            let Ok(entries) = std::fs::read_dir(dir) else { return };
            for entry in entries.map_while(Result::ok) {
                let path = entry.path();
                let Ok(kind) = entry.file_type() else { continue };
                if kind.is_dir() {
                    walk(&path, found);
                } else if kind.is_file()
                    && let Ok(bytes) = std::fs::read(&path)
                {
                    found.push((path, bytes));
                }
            }
        }
        let mut found = Vec::new();
        walk(self.sandbox.home.path(), &mut found);
        found
    }

    /// The addresses the browser script was asked to open, in order.
    pub fn opened(&self) -> Vec<String> {
        std::fs::read_to_string(self.sandbox.home.path().join("opened"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}
