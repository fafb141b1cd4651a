//! Harness for the session store tests: a real gnome-keyring in its own D-Bus session that
//! the test's processes share, and a counting TCP proxy in front of moto.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use super::prerequisites::require_tool;
use super::{Sandbox, clean_env};

/// A D-Bus session with an unlocked gnome-keyring, alive until dropped.
pub struct Keyring {
    session: Child,
    holder_pid: i32,
    pub bus: String,
}

impl Keyring {
    pub fn start(home: &Path) -> Keyring {
        require_tool("dbus-run-session", "dbus");
        require_tool("gnome-keyring-daemon", "gnome-keyring");
        // The script reports the bus address and its own pid, then holds the session open
        // until the test ends it (exec keeps the pid).
        let script = r#"
            echo -n "keyring-test-password" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
            echo "$$ $DBUS_SESSION_BUS_ADDRESS"
            exec sleep 3600
        "#;
        let mut command = Command::new("dbus-run-session");
        command.args(["--", "sh", "-c", script]);
        clean_env(&mut command, home);
        command
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut session = command.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(session.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let (pid, bus) = line.trim().split_once(' ').unwrap_or_else(|| panic!("no bus address: {line:?}"));
        Keyring { session, holder_pid: pid.parse().unwrap(), bus: bus.to_owned() }
    }

    /// The binary in this keyring's session, with the session store (not memory).
    pub fn command(&self, sandbox: &Sandbox, args: &[&str]) -> Command {
        let mut command = sandbox.command(args);
        command
            .env_remove("SWITCHBOARD_CACHE")
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .env("SWITCHBOARD_STATE_DIR", state_dir(sandbox));
        command
    }
}

impl Keyring {
    /// Locks the login collection over D-Bus: unlocking it needs a prompt nobody answers.
    pub fn lock(&self) {
        let locked = Command::new("dbus-send")
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .args([
                "--session",
                "--dest=org.freedesktop.secrets",
                "--print-reply",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.Lock",
                "array:objpath:/org/freedesktop/secrets/collection/login",
            ])
            .output()
            .unwrap();
        assert!(locked.status.success(), "cannot lock the keyring: {}", String::from_utf8_lossy(&locked.stderr));
    }
}

/// A session bus that accepts every connection in `dir` and never answers (a hung D-Bus);
/// its address, for `DBUS_SESSION_BUS_ADDRESS`.
pub fn silent_bus(dir: &Path) -> String {
    let path = dir.join("silent-bus");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().map_while(Result::ok) {
            held.push(stream);
        }
    });
    format!("unix:path={}", path.display())
}

impl Drop for Keyring {
    fn drop(&mut self) {
        // Ending the held shell lets dbus-run-session close the bus and clean up after itself.
        unsafe {
            libc::kill(self.holder_pid, libc::SIGTERM);
        }
        let _ = self.session.wait();
    }
}

/// Forwards loopback connections to `upstream` and counts the STS actions sent through it.
pub struct CountingProxy {
    pub endpoint: String,
    seen: Arc<std::sync::Mutex<Vec<u8>>>,
}

impl CountingProxy {
    pub fn start(upstream: &str) -> CountingProxy {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let recorded = seen.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let Ok(server) = TcpStream::connect(&upstream) else { continue };
                let (client_reader, server_writer) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let recorded = recorded.clone();
                std::thread::spawn(move || pipe(client_reader, server_writer, Some(recorded)));
                std::thread::spawn(move || pipe(server, client, None));
            }
        });
        CountingProxy { endpoint, seen }
    }

    /// Every byte the proxy passed upstream so far, as text (requests' headers and bodies).
    pub fn seen(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().unwrap()).into_owned()
    }

    /// How many requests named this action (`Action=AssumeRole`).
    pub fn count(&self, action: &str) -> usize {
        let needle = format!("Action={action}&");
        let seen = self.seen.lock().unwrap();
        seen.windows(needle.len()).filter(|window| *window == needle.as_bytes()).count()
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream, record: Option<Arc<std::sync::Mutex<Vec<u8>>>>) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if let Some(record) = &record {
            record.lock().unwrap().extend_from_slice(&buffer[..read]);
        }
        if to.write_all(&buffer[..read]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

/// Every file under `dir` that contains `needle` as bytes.
pub fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if std::fs::read(&path)
                .is_ok_and(|bytes| bytes.windows(needle.len()).any(|window| window == needle.as_bytes()))
            {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

pub fn state_dir(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox.home.path().join(".local/state/switchboard")
}

/// Points the sandbox's inventory somewhere else (a proxy), or nowhere (`None`: the
/// endpoint then comes from the environment).
pub fn set_inventory_endpoint(sandbox: &Sandbox, endpoint: Option<&str>) {
    let path = sandbox.inventory();
    let text = std::fs::read_to_string(&path).unwrap();
    let line = format!("endpoint_url = \"{}\"\n", sandbox.moto.endpoint);
    assert!(text.contains(&line));
    let replaced = match endpoint {
        Some(endpoint) => text.replace(&line, &format!("endpoint_url = \"{endpoint}\"\n")),
        None => text.replace(&line, ""),
    };
    std::fs::write(&path, replaced).unwrap();
}
