//! The screen's fault matrix: one session of the real binary in a PTY, STS behind a fault
//! proxy whose rules change between refreshes. Each fault class shows on the role's row (its
//! state says "error" and the chain pane says what happened) while the screen keeps working;
//! throttling is retried into a valid session; a clock ten minutes fast is named in the
//! header and the countdown stays a full hour (AWS time). A hung endpoint is
//! `tui_hung_endpoint.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use jiff::SignedDuration;

use crate::support::Sandbox;
use crate::support::fault_proxy::{Fault, FaultProxy};
use crate::support::prerequisites::mount_tmpfs;
use crate::support::pty::{Tui, roles_are_shown};
use crate::support::store::{Keyring, set_inventory_endpoint, silent_bus, state_dir};

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

/// The chain pane's text (the right-hand box), its wrapped lines joined by spaces.
fn chain_pane(screen: &str) -> String {
    let lines =
        screen.lines().filter_map(|line| line.split_once("││").map(|(_, pane)| pane.trim_end_matches('│').trim()));
    lines.filter(|line| !line.is_empty()).collect::<Vec<_>>().join(" ")
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

    // Each case waits for text of its own, absent from the screen the case before left (so
    // a stale screen cannot satisfy it), and for what the operator is told to do.
    let faults = [
        (Fault::Status(500), "STS said InternalFailure", "a failure on AWS's side"),
        (Fault::Status(503), "STS said ServiceUnavailable", "a failure on AWS's side"),
        (Fault::Reset, "Connection reset by peer", "check the network"),
        (Fault::Garble, "unreadable answer", "check that the endpoint is STS"),
        (Fault::AccessDenied, "access denied", "fault proxy"),
    ];
    for (fault, new_text, advice) in faults {
        proxy.clear();
        proxy.always(Some("AssumeRole"), fault.clone());
        let before = chain_pane(&tui.screen_text());
        assert!(!before.contains(new_text), "{fault:?}: {new_text:?} is on the screen already: {before}");
        tui.send("r");
        tui.wait_for(&format!("{fault:?} on the row"), |screen| {
            let chain = chain_pane(screen);
            viewer_state(screen).as_deref() == Some("error") && chain.contains(new_text) && chain.contains(advice)
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

/// The screen with `env` on top of the sandbox's: its header says the sessions are in memory,
/// a refresh of prod/viewer still gives a valid session, and it quits cleanly.
fn memory_only_and_a_refresh_works(sandbox: &Sandbox, env: &[(&str, &str)], case: &str) {
    let mut tui = Tui::start_with(sandbox, env);
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

/// A keyring of its own with prod/viewer's session sealed in the real store; the store file
/// as it was then, and the environment that points the screen at both.
struct Seeded {
    sandbox: Sandbox,
    keyring: Keyring,
    state: PathBuf,
}

impl Seeded {
    fn new(before_seeding: impl FnOnce(&Path)) -> Seeded {
        let sandbox = Sandbox::new();
        let keyring = Keyring::start(sandbox.home.path());
        let state = state_dir(&sandbox);
        std::fs::create_dir_all(&state).unwrap();
        before_seeding(&state);
        let seeded = keyring.command(&sandbox, &["refresh", "prod/viewer"]).output().unwrap();
        assert!(seeded.status.success(), "seeding: {}", String::from_utf8_lossy(&seeded.stderr));
        Seeded { sandbox, keyring, state }
    }

    fn sessions(&self) -> Vec<u8> {
        std::fs::read(self.state.join("sessions.v3")).unwrap()
    }

    fn screen_env(&self) -> [(&str, &str); 3] {
        [
            ("SWITCHBOARD_CACHE", "keyring"),
            ("DBUS_SESSION_BUS_ADDRESS", self.keyring.bus.as_str()),
            ("SWITCHBOARD_STATE_DIR", self.state.to_str().unwrap()),
        ]
    }
}

#[test]
fn without_an_answering_keyring_the_screen_says_memory_only_and_refreshes_work() {
    let sandbox = Sandbox::new();
    let hung = silent_bus(sandbox.home.path());
    for (case, bus) in [("absent", "unix:path=/nonexistent/switchboard-test-bus"), ("hung", hung.as_str())] {
        memory_only_and_a_refresh_works(
            &sandbox,
            &[("SWITCHBOARD_CACHE", "keyring"), ("DBUS_SESSION_BUS_ADDRESS", bus)],
            case,
        );
    }
}

#[test]
fn with_the_keyring_locked_the_screen_says_memory_only_and_the_stored_sessions_stay() {
    let seeded = Seeded::new(|_| {});
    let before = seeded.sessions();
    seeded.keyring.lock();
    memory_only_and_a_refresh_works(&seeded.sandbox, &seeded.screen_env(), "locked");
    assert_eq!(seeded.sessions(), before, "the store file is untouched");
}

fn remount(dir: &Path, mode: &str) {
    let done = Command::new("mount").args(["-o", &format!("remount,{mode}")]).arg(dir).status();
    assert!(done.is_ok_and(|status| status.success()), "remount {mode}");
}

#[test]
fn with_a_read_only_state_directory_the_screen_says_memory_only_and_refreshes_work() {
    // Root ignores file modes: a tmpfs of its own is made read-only instead (CI runs as root,
    // and there a failed mount fails the test).
    let mut mounted = None;
    let seeded = Seeded::new(|state| mounted = mount_tmpfs(state, "the read-only state directory"));
    if mounted.is_none() {
        return;
    }
    let before = seeded.sessions();
    remount(&seeded.state, "ro");
    memory_only_and_a_refresh_works(&seeded.sandbox, &seeded.screen_env(), "read-only");
    remount(&seeded.state, "rw");
    assert_eq!(seeded.sessions(), before, "the store file is untouched");
    // Unmounted before the sandbox's directory is removed.
    drop(mounted);
}
