//! What switchboard does to the state directory it is given: a directory that exists keeps
//! its mode (one open to others is warned about in one line), and symlinks planted where the
//! store's temporary file or the screen's log go are never followed. Real binary, a real
//! gnome-keyring for the session store, moto.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::pty::{Tui, roles_are_shown};
use crate::support::store::{Keyring, state_dir};
use crate::support::{Sandbox, assert_success, stderr};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn an_existing_state_directory_keeps_its_mode_and_one_open_to_others_is_warned_about() {
    let sandbox = Sandbox::new();
    let keyring = Keyring::start(sandbox.home.path());
    let shared = sandbox.home.path().join("shared-state");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = |dir: &Path| {
        let mut command = keyring.command(&sandbox, &["refresh", "prod/viewer"]);
        command.env("SWITCHBOARD_STATE_DIR", dir).output().unwrap()
    };

    let output = run(&shared);
    assert_success(&output);
    assert_eq!(mode(&shared), 0o755, "the operator's directory was chmodded");
    let message = stderr(&output);
    let warnings: Vec<&str> = message.lines().filter(|line| line.contains("open to other users")).collect();
    assert_eq!(warnings.len(), 1, "{message}");
    assert!(warnings[0].contains(&shared.display().to_string()) && warnings[0].contains("chmod 700"), "{message}");
    assert!(shared.join("sessions.v3").exists(), "the store is kept there all the same");
    assert_eq!(mode(&shared.join("sessions.v3")), 0o600);

    let new = sandbox.home.path().join("new-state/switchboard");
    let output = run(&new);
    assert_success(&output);
    assert_eq!(mode(&new), 0o700, "a directory switchboard makes is private");
    assert!(!stderr(&output).contains("open to other users"), "{}", stderr(&output));
}

#[test]
fn a_symlink_planted_as_the_stores_temporary_file_is_refused_and_its_target_untouched() {
    let sandbox = Sandbox::new();
    let keyring = Keyring::start(sandbox.home.path());
    assert_success(&keyring.command(&sandbox, &["refresh", "prod/viewer"]).output().unwrap());
    let dir = state_dir(&sandbox);
    let target = sandbox.home.path().join("precious.txt");
    std::fs::write(&target, "keep me").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();

    // The shell plants the symlink under its own pid and becomes switchboard (exec keeps it).
    let refresh = keyring.command(&sandbox, &["refresh", "prod/viewer"]);
    let script = format!(
        "ln -s '{}' '{}/sessions.v3.tmp-'$$ && exec '{}' refresh prod/viewer",
        target.display(),
        dir.display(),
        refresh.get_program().to_string_lossy()
    );
    let mut shell = std::process::Command::new("sh");
    shell.args(["-c", &script]).stdin(std::process::Stdio::null());
    for (name, value) in refresh.get_envs() {
        match value {
            Some(value) => shell.env(name, value),
            None => shell.env_remove(name),
        };
    }
    let output = shell.output().unwrap();
    let message = stderr(&output);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me", "the symlink was followed: {message}");
    assert_eq!(mode(&target), 0o644);
    assert!(
        std::fs::symlink_metadata(dir.join("sessions.v3")).is_ok_and(|found| found.file_type().is_file()),
        "the store is a file of its own"
    );
    assert!(message.contains("is a symbolic link") && message.contains("not followed"), "{message}");
}

#[test]
fn a_symlink_planted_as_the_screens_log_is_not_followed() {
    let sandbox = Sandbox::new();
    let dir = sandbox.home.path().join(".local/state/switchboard");
    std::fs::create_dir_all(&dir).unwrap();
    let target = sandbox.home.path().join("precious.txt");
    std::fs::write(&target, "keep me").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::os::unix::fs::symlink(&target, dir.join("switchboard.log")).unwrap();

    let mut tui = Tui::start(&sandbox);
    tui.wait_for("the list of roles", roles_are_shown);
    tui.send("L");
    tui.wait_for("the log pane saying why there is no log file", |screen| {
        screen.contains("no log file") && screen.contains("(a symlink, never")
    });
    tui.send("\x1b");
    tui.send("q");
    tui.wait_for_exit();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me", "the log was written through the symlink");
    assert_eq!(mode(&target), 0o644, "the symlink's target was chmodded");
}

#[test]
fn the_screen_makes_the_state_directory_private_when_it_is_the_first() {
    let sandbox = Sandbox::new();
    let dir = sandbox.home.path().join(".local/state/switchboard");
    assert!(!dir.exists());
    let mut tui = Tui::start(&sandbox);
    tui.wait_for("the list of roles", roles_are_shown);
    tui.send("q");
    tui.wait_for_exit();
    assert_eq!(mode(&dir), 0o700, "made by the screen's log file");
    assert_eq!(mode(&dir.join("switchboard.log")), 0o600);
}
