//! One sign-in for everyone: twenty `credential-process` calls started at once with no
//! token make one sign-in, one browser tab and one registration. The fake does not approve
//! by itself, so all twenty are provably waiting at the same time (each says so on stderr:
//! the one that started the sign-in, and nineteen waiting on it) before the test approves,
//! as a person in the browser would. Counted at the fake.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::fake_sso::SsoSandbox;

const CALLERS: usize = 20;

#[test]
fn twenty_credential_process_calls_without_a_token_make_one_sign_in() {
    let sso = SsoSandbox::new(&[]);
    let (said, hear) = mpsc::channel::<(usize, String)>();
    let mut children: Vec<Child> = Vec::new();
    for index in 0..CALLERS {
        let role = if index % 2 == 0 { "payments/admin" } else { "data/read" };
        let mut child = sso
            .command(&["credential-process", role])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let said = said.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = said.send((index, line));
            }
        });
        children.push(child);
    }
    // Every caller is waiting on the sign-in before anyone approves it.
    let (mut starters, mut waiters) = (Vec::new(), Vec::new());
    let mut heard = Vec::new();
    while starters.len() + waiters.len() < CALLERS {
        let (index, line) = hear
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("not every caller is waiting: {heard:#?}"));
        if line.contains("is under way") {
            waiters.push(index);
        } else if line.contains("your browser opens") {
            starters.push(index);
        }
        heard.push(line);
    }
    assert_eq!(starters.len(), 1, "one process signs in: {heard:#?}");
    assert_eq!(waiters.len(), CALLERS - 1);
    // The browser script reaches the fake's /authorize a moment after the tab is said to open.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while sso.sso.count("pending_authorizations") == 0 {
        assert!(std::time::Instant::now() < deadline, "the browser never reached /authorize: {:?}", sso.opened());
        std::thread::sleep(Duration::from_millis(50));
    }
    let approved = sso.sso.control("/_fake/authorize/approve", serde_json::json!({}));
    let callback = approved["redirectUrl"].as_str().expect("the approval names the callback").to_owned();
    let browser = std::process::Command::new(crate::support::python_path())
        .args(["-c", "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=30).read()", &callback])
        .output()
        .unwrap();
    assert!(browser.status.success(), "{}", String::from_utf8_lossy(&browser.stderr));
    for child in children {
        let pid = child.id();
        let (done, output) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(child.wait_with_output());
        });
        let Ok(output) = output.recv_timeout(Duration::from_secs(90)) else {
            // SAFETY: signalling a child of this test by its pid.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            panic!("caller pid {pid} still waits 90 s after the approval: {heard:#?}");
        };
        let output = output.unwrap();
        assert!(output.status.success(), "{:?}: {heard:#?}", output.status);
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(json["Version"], 1);
        assert!(json["Expiration"].is_string());
    }
    let stats = sso.sso.stats();
    assert_eq!(stats["authorizations"], 1, "one /authorize: {stats}");
    assert_eq!(stats["registrations"], 1, "{stats}");
    assert_eq!(stats["tokens_issued"], 1, "{stats}");
    assert_eq!(sso.opened().len(), 1, "one browser tab: {:?}", sso.opened());
    // Two roles, each asked for by ten callers: one GetRoleCredentials each.
    assert_eq!(stats["role_credentials"], 2, "{stats}");
}
