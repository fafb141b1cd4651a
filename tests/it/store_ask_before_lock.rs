//! A person is asked before any lock is taken: a process waiting for its operator to type a
//! code holds no lock, so another process that has a code renews at once; the waiting one,
//! once answered, finds that session, uses it and does not send its code (which stays
//! unspent). Real binary, a real gnome-keyring for the shared session store, moto behind a
//! counting proxy (codes sent are read at the wire).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::pty::{Tui, footer, roles_are_shown};
use crate::support::store::{CountingProxy, Keyring, set_inventory_endpoint, state_dir};
use crate::support::{Sandbox, assert_success, run_with_deadline, stderr, stdout};

/// Far below the 60 s a layer lock is waited for: the process with a code must not wait on
/// the one whose operator has not typed yet.
const WITH_A_CODE_WITHIN: Duration = Duration::from_secs(10);

/// `refresh ROLE --mfa-code -` with stdin held open and silent, and its stderr as lines.
struct Silent {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl Silent {
    fn start(keyring: &Keyring, sandbox: &Sandbox, role: &str) -> Silent {
        let mut child = keyring
            .command(sandbox, &["-v", "refresh", role, "--mfa-code", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        Silent { child, stdin, lines }
    }

    /// Waits until it says it renews (the next thing it does is read a code from stdin).
    fn wait_until_asking(&self) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let asking = line.contains("renewing");
                    seen.push(line);
                    if asking {
                        // Past the log line, into the read of stdin.
                        std::thread::sleep(Duration::from_millis(500));
                        return seen;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("the silent refresh never started renewing:\n{}", seen.join("\n"))
    }

    fn answer(mut self, code: &str) -> (std::process::Output, Vec<String>) {
        self.stdin.write_all(format!("{code}\n").as_bytes()).unwrap();
        drop(self.stdin);
        let output = self.child.wait_with_output().unwrap();
        let lines = self.lines.iter().collect();
        (output, lines)
    }
}

/// `until …` of `refresh`'s line for the role: which session it ended with.
fn until(text: &str) -> String {
    text.split("(until ").nth(1).and_then(|rest| rest.split(')').next()).unwrap_or_default().to_owned()
}

#[test]
fn a_process_waiting_for_its_operator_does_not_block_one_with_a_code() {
    // break-glass: the code rides on AssumeRole (no MFA session); admin: on GetSessionToken,
    // a parent layer of the role.
    for (role, action) in [("prod/break-glass", "AssumeRole"), ("prod/admin", "GetSessionToken")] {
        let sandbox = Sandbox::new();
        let proxy = CountingProxy::start(&sandbox.moto.endpoint);
        set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
        let keyring = Keyring::start(sandbox.home.path());

        let silent = Silent::start(&keyring, &sandbox, role);
        silent.wait_until_asking();

        let with_code = keyring.command(&sandbox, &["refresh", role, "--mfa-code", "111111"]);
        let (output, took) = run_with_deadline(with_code, Duration::from_secs(30))
            .unwrap_or_else(|problem| panic!("{role}: blocked by the silent process: {problem}"));
        assert_success(&output);
        assert!(took < WITH_A_CODE_WITHIN, "{role}: took {took:?} while the other process waited for its operator");
        assert!(stdout(&output).contains(&format!("{role}: valid")), "{role}: {}", stdout(&output));
        assert_eq!(proxy.count(action), 1, "{role}: the code was sent once");

        let (late, lines) = silent.answer("222222");
        assert_success(&late);
        let log = lines.join("\n");
        // Said to the operator in switchboard's own words on stderr, not only logged.
        let notice = format!("switchboard: {role}: the MFA code was not needed: ");
        assert_eq!(lines.iter().filter(|line| line.starts_with(&notice)).count(), 1, "{role}: {log}");
        assert!(log.contains("renewed meanwhile"), "{role}: {log}");
        assert_eq!(until(&stdout(&late)), until(&stdout(&output)), "{role}: it took the session the other renewed");
        assert_eq!(proxy.count(action), 1, "{role}: the late code was not sent");
        assert!(!proxy.seen().contains("TokenCode=222222"), "{role}");

        if action == "AssumeRole" {
            // Not spent: the next renewal of a role whose every renewal takes a code sends it.
            let again = keyring.command(&sandbox, &["refresh", role, "--mfa-code", "222222"]).output().unwrap();
            assert_success(&again);
            assert!(!stderr(&again).contains("already used"), "{role}: {}", stderr(&again));
            assert!(proxy.seen().contains("TokenCode=222222"), "{role}: sent now");
        }
    }
}

/// The same in the screen: a code typed in the modal after another process renewed the layer
/// is not sent, and the status line says it was not needed.
#[test]
fn a_code_typed_in_the_screen_that_was_not_needed_is_said_on_the_status_line() {
    let (role, action) = ("prod/break-glass", "AssumeRole");
    let sandbox = Sandbox::new();
    let proxy = CountingProxy::start(&sandbox.moto.endpoint);
    set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
    let keyring = Keyring::start(sandbox.home.path());
    let state = state_dir(&sandbox);
    let env = [
        ("SWITCHBOARD_CACHE", "keyring"),
        ("DBUS_SESSION_BUS_ADDRESS", keyring.bus.as_str()),
        ("SWITCHBOARD_STATE_DIR", state.to_str().unwrap()),
    ];
    let mut tui = Tui::start_with(&sandbox, &env);
    tui.wait_for("the list of roles", roles_are_shown);
    tui.send("/prod break");
    tui.wait_for("the filter being typed", |screen| footer(screen).contains("/ prod break▏"));
    tui.send("\r");
    tui.wait_for("the filter to be kept", |screen| screen.contains("roles matching \"prod break\" (1)"));
    tui.send("r");
    tui.wait_for("the MFA modal", |screen| screen.contains("MFA code") && screen.contains("mfa/direct"));

    // Meanwhile another process (away from the screen's agent) renews with its own code.
    let elsewhere = sandbox.home.path().join("run-elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::set_permissions(&elsewhere, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let mut other = keyring.command(&sandbox, &["refresh", role, "--mfa-code", "111111"]);
    other.env("XDG_RUNTIME_DIR", &elsewhere);
    let (output, _) = run_with_deadline(other, Duration::from_secs(30)).unwrap_or_else(|problem| panic!("{problem}"));
    assert_success(&output);
    assert_eq!(proxy.count(action), 1);

    tui.send("222222");
    tui.send("\r");
    tui.wait_for("the status line saying the code was not needed", |screen| {
        footer(screen).contains(&format!("{role}: renewed meanwhile by another process"))
            && footer(screen).contains("MFA code not needed, not sent")
    });
    tui.wait_for("the modal to be gone", |screen| !screen.contains("MFA code for"));
    assert_eq!(proxy.count(action), 1, "the code typed in the screen was not sent");
    assert!(!proxy.seen().contains("TokenCode=222222"));
    tui.send("q");
    tui.wait_for_exit();
}
