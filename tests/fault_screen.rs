//! The screen's fault matrix: one session of the real binary in a PTY, STS behind a fault
//! proxy whose rules change between refreshes. Each fault class shows on the role's row (its
//! state says "error" and the chain pane says what happened) while the screen keeps working;
//! throttling is retried into a valid session; a clock ten minutes fast is named in the
//! header and the countdown stays a full hour (AWS time). A hung endpoint is
//! `tui_hung_endpoint.rs`.

mod support;

use jiff::SignedDuration;
use support::Sandbox;
use support::fault_proxy::{Fault, FaultProxy};
use support::pty::{Tui, roles_are_shown};
use support::store::set_inventory_endpoint;

/// The state word of the viewer's row ("│▸ viewer  valid  59:58 ...").
fn viewer_state(screen: &str) -> Option<String> {
    let line =
        screen.lines().find(|line| line.contains("▸") && line.split_whitespace().any(|word| word == "viewer"))?;
    let mut words = line.split_whitespace().skip_while(|word| *word != "viewer");
    words.next()?;
    words.next().map(str::to_owned)
}

/// The viewer's countdown in minutes, when its row is valid.
fn minutes_left(screen: &str) -> Option<u32> {
    let line = screen.lines().find(|line| line.contains("▸") && line.contains("viewer") && line.contains("valid"))?;
    let left = line.split_whitespace().skip_while(|word| *word != "valid").nth(1)?;
    left.split(':').next()?.parse().ok()
}

#[test]
fn every_fault_class_shows_on_the_row_and_the_screen_goes_on() {
    let sandbox = Sandbox::new();
    let proxy = FaultProxy::start(&sandbox.moto.endpoint);
    set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
    let mut tui = Tui::start(&sandbox);
    tui.wait_for("the list of roles", roles_are_shown);
    tui.send("/prod viewer\r");
    tui.wait_for("the filter to be kept", |screen| screen.contains("roles matching \"prod viewer\" (1)"));

    // A local clock ten minutes ahead of AWS: named in the header, and the fresh session's
    // countdown is a full hour in AWS time (the local clock would say 50 minutes).
    proxy.always(None, Fault::ShiftClock(SignedDuration::from_mins(-10)));
    tui.send("r");
    let screen = tui.wait_for("the skew notice", |screen| {
        screen.contains("clock 10m ahead of AWS") && viewer_state(screen).as_deref() == Some("valid")
    });
    let left = minutes_left(&screen).unwrap_or_else(|| panic!("no countdown:\n{screen}"));
    assert!(left >= 58, "countdown in AWS time, not the local clock's 49 minutes:\n{screen}");
    // And ten minutes slow: named the other way, the countdown still a full hour.
    proxy.clear();
    proxy.always(None, Fault::ShiftClock(SignedDuration::from_mins(10)));
    tui.send("r");
    let screen = tui.wait_for("the other skew notice", |screen| {
        screen.contains("clock 10m behind AWS") && viewer_state(screen).as_deref() == Some("valid")
    });
    let left = minutes_left(&screen).unwrap_or_else(|| panic!("no countdown:\n{screen}"));
    assert!((58..=60).contains(&left), "countdown in AWS time, not the local clock's 70 minutes:\n{screen}");
    proxy.clear();

    let faults = [
        (Fault::Status(500), "InternalFailure"),
        (Fault::Status(503), "a failure on AWS's side"),
        (Fault::Reset, "Connection reset by peer"),
        (Fault::Garble, "unreadable answer"),
        (Fault::AccessDenied, "access denied"),
    ];
    for (fault, says) in faults {
        proxy.clear();
        proxy.always(Some("AssumeRole"), fault.clone());
        tui.send("r");
        tui.wait_for(&format!("{fault:?} on the row"), |screen| {
            viewer_state(screen).as_deref() == Some("error") && screen.contains(says)
        });
    }

    // Throttled twice, then answered: the SDK's retries make it a valid session.
    proxy.clear();
    proxy.reset_counts();
    proxy.next(Some("AssumeRole"), 2, Fault::Throttling);
    tui.send("r");
    tui.wait_for("the throttled refresh to succeed", |screen| viewer_state(screen).as_deref() == Some("valid"));
    assert_eq!(proxy.count("AssumeRole"), 3, "two throttled attempts and the one that worked");

    // The endpoint goes down for good.
    proxy.go_down();
    tui.send("r");
    tui.wait_for("the refused connection on the row", |screen| {
        viewer_state(screen).as_deref() == Some("error") && screen.contains("Connection refused")
    });

    tui.send("q");
    assert!(tui.wait_for_exit().success(), "quits normally after every fault");
    tui.assert_terminal_restored();
    let panicked = String::from_utf8_lossy(&tui.raw).contains("panicked");
    assert!(!panicked, "nothing panicked on the way");
}

/// Accepts every connection and keeps it open, silent: a session bus that never answers.
fn silent_bus(dir: &std::path::Path) -> String {
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

#[test]
fn without_an_answering_keyring_the_screen_says_memory_only_and_refreshes_work() {
    let sandbox = Sandbox::new();
    let hung = silent_bus(sandbox.home.path());
    for (case, bus) in [("absent", "unix:path=/nonexistent/switchboard-test-bus"), ("hung", hung.as_str())] {
        let mut tui = Tui::start_with(&sandbox, &[("SWITCHBOARD_CACHE", "keyring"), ("DBUS_SESSION_BUS_ADDRESS", bus)]);
        tui.wait_for(&format!("{case}: the roles and the fallback in the header"), |screen| {
            roles_are_shown(screen) && screen.lines().next().is_some_and(|line| line.contains("memory only"))
        });
        tui.send("/prod viewer\r");
        tui.wait_for("the filter to be kept", |screen| screen.contains("roles matching \"prod viewer\" (1)"));
        tui.send("r");
        tui.wait_for(&format!("{case}: a session kept in memory"), |screen| {
            viewer_state(screen).as_deref() == Some("valid")
        });
        tui.send("q");
        assert!(tui.wait_for_exit().success(), "{case}: the screen exits cleanly");
    }
}

#[test]
fn with_the_keyring_locked_the_screen_says_memory_only_and_the_stored_sessions_stay() {
    let sandbox = Sandbox::new();
    let keyring = support::store::Keyring::start(sandbox.home.path());
    let state = support::store::state_dir(&sandbox);
    // A session sealed in the real store first, while the keyring is open.
    let seeded = keyring.command(&sandbox, &["refresh", "prod/viewer"]).output().unwrap();
    assert!(seeded.status.success(), "seeding: {}", String::from_utf8_lossy(&seeded.stderr));
    let sessions = state.join("sessions");
    let before = std::fs::read(&sessions).unwrap();
    let locked = std::process::Command::new("dbus-send")
        .env("DBUS_SESSION_BUS_ADDRESS", &keyring.bus)
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

    let state_text = state.to_str().unwrap();
    let env = [
        ("SWITCHBOARD_CACHE", "keyring"),
        ("DBUS_SESSION_BUS_ADDRESS", keyring.bus.as_str()),
        ("SWITCHBOARD_STATE_DIR", state_text),
    ];
    let mut tui = Tui::start_with(&sandbox, &env);
    tui.wait_for("the roles and the fallback in the header", |screen| {
        roles_are_shown(screen) && screen.lines().next().is_some_and(|line| line.contains("memory only"))
    });
    tui.send("/prod viewer\r");
    tui.wait_for("the filter to be kept", |screen| screen.contains("roles matching \"prod viewer\" (1)"));
    tui.send("r");
    tui.wait_for("a session kept in memory", |screen| viewer_state(screen).as_deref() == Some("valid"));
    tui.send("q");
    assert!(tui.wait_for_exit().success());
    assert_eq!(std::fs::read(&sessions).unwrap(), before, "the store file is untouched");
}

/// Unmounts the state directory's tmpfs when the test ends, however it ends.
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn with_a_read_only_state_directory_the_screen_says_memory_only_and_refreshes_work() {
    let sandbox = Sandbox::new();
    let keyring = support::store::Keyring::start(sandbox.home.path());
    let state = support::store::state_dir(&sandbox);
    std::fs::create_dir_all(&state).unwrap();
    // Root ignores file modes: a tmpfs of its own is made read-only instead (CI runs as root).
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs"])
        .arg(&state)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !mounted {
        eprintln!("read-only case not run: mounting a tmpfs needs root");
        return;
    }
    let _mounted = Mounted(state.clone());
    let seeded = keyring.command(&sandbox, &["refresh", "prod/viewer"]).output().unwrap();
    assert!(seeded.status.success(), "seeding: {}", String::from_utf8_lossy(&seeded.stderr));
    let sessions = state.join("sessions");
    let before = std::fs::read(&sessions).unwrap();
    let remount = |mode: &str| {
        let done = std::process::Command::new("mount").args(["-o", &format!("remount,{mode}")]).arg(&state).status();
        assert!(done.is_ok_and(|status| status.success()), "remount {mode}");
    };
    remount("ro");

    let state_text = state.to_str().unwrap();
    let env = [
        ("SWITCHBOARD_CACHE", "keyring"),
        ("DBUS_SESSION_BUS_ADDRESS", keyring.bus.as_str()),
        ("SWITCHBOARD_STATE_DIR", state_text),
    ];
    let mut tui = Tui::start_with(&sandbox, &env);
    tui.wait_for("the roles and the fallback in the header", |screen| {
        roles_are_shown(screen) && screen.lines().next().is_some_and(|line| line.contains("memory only"))
    });
    tui.send("/prod viewer\r");
    tui.wait_for("the filter to be kept", |screen| screen.contains("roles matching \"prod viewer\" (1)"));
    tui.send("r");
    tui.wait_for("a session kept in memory", |screen| viewer_state(screen).as_deref() == Some("valid"));
    tui.send("q");
    assert!(tui.wait_for_exit().success());
    remount("rw");
    assert_eq!(std::fs::read(&sessions).unwrap(), before, "the store file is untouched");
}
