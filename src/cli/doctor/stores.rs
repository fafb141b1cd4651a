//! Where sessions rest: the OS keyring (which one, reachable, unlocked, the store's key there)
//! and the session file (readable, its mode, its size).

use super::{CHECK_TIMEOUT, Finding, KEYRING_TIMEOUT, human_size, on_thread, timed_out};
use crate::domain::store::probe::{KeyringProbe, SessionFileState, StoreKeyState, inspect_session_file, probe_keyring};
use crate::domain::store::{StoreChoice, keyring_name, state_dir};

const KEYRING: &str = "keyring";
const SESSION_STORE: &str = "session store";

pub async fn keyring() -> Vec<Finding> {
    if StoreChoice::from_env() == StoreChoice::Memory {
        return vec![Finding::warning(
            KEYRING,
            "SWITCHBOARD_CACHE=memory: the keyring is not used, sessions end with each command",
            "unset SWITCHBOARD_CACHE to keep sessions between commands",
        )];
    }
    let name = keyring_name();
    let Some(probe) = on_thread(KEYRING_TIMEOUT, probe_keyring).await else {
        return vec![Finding::problem(
            KEYRING,
            format!("{name}: {} (a hung keyring daemon)", timed_out(KEYRING_TIMEOUT)),
            "restart it (or log out and in again); meanwhile commands keep sessions in memory only, after waiting for it",
        )];
    };
    let finding = match probe {
        KeyringProbe::Ready { store_key: StoreKeyState::Present } => {
            Finding::ok(KEYRING, format!("{name}: reachable and unlocked; the session store's key is there"))
        }
        KeyringProbe::Ready { store_key: StoreKeyState::Absent } => Finding::ok(
            KEYRING,
            format!("{name}: reachable and unlocked; no session store key yet (the first session kept makes it)"),
        ),
        KeyringProbe::Ready { store_key: StoreKeyState::Malformed } => Finding::problem(
            KEYRING,
            format!("{name}: the item `session-store-key` of service `switchboard` is not a session store key"),
            "delete that item (seahorse, or `secret-tool clear service switchboard username session-store-key`); \
             the next command makes a new one",
        ),
        KeyringProbe::Locked(reason) => Finding::problem(
            KEYRING,
            format!("{name}: locked ({reason})"),
            "unlock your login keyring (log in again, or unlock it in seahorse); meanwhile sessions are kept in memory only",
        ),
        KeyringProbe::Unavailable(reason) => Finding::problem(
            KEYRING,
            format!("no keyring reachable: {reason}"),
            "start a Secret Service in your session (gnome-keyring-daemon --start --components=secrets, or KeePassXC), \
             or set SWITCHBOARD_CACHE=memory to work without one",
        ),
    };
    vec![finding]
}

pub async fn session_store() -> Vec<Finding> {
    let Some(dir) = state_dir() else {
        return vec![Finding::problem(
            SESSION_STORE,
            "no state directory: neither HOME nor SWITCHBOARD_STATE_DIR is set",
            "set SWITCHBOARD_STATE_DIR to a private directory",
        )];
    };
    let looked_in = dir.clone();
    let Some(report) = on_thread(CHECK_TIMEOUT, move || inspect_session_file(&looked_in)).await else {
        return vec![Finding::problem(
            SESSION_STORE,
            format!("{}: {} reading it", dir.display(), timed_out(CHECK_TIMEOUT)),
            "is the state directory on a network mount that hangs? Set SWITCHBOARD_STATE_DIR to a local one",
        )];
    };
    let path = report.path.display().to_string();
    let mut findings = vec![match report.state {
        SessionFileState::Absent => {
            Finding::ok(SESSION_STORE, format!("no session file yet at {path} (the first session kept makes it)"))
        }
        SessionFileState::Readable { sessions } => match report.mode {
            Some(mode) if mode & 0o077 != 0 => Finding::problem(
                SESSION_STORE,
                format!("{path}: mode {mode:04o}, readable by others (0600 expected; its sessions are sealed)"),
                format!("chmod 600 {path}"),
            ),
            mode => Finding::ok(
                SESSION_STORE,
                format!(
                    "{path}: readable, {sessions} session{}, {}{}",
                    if sessions == 1 { "" } else { "s" },
                    human_size(report.size),
                    mode.map(|mode| format!(", mode {mode:04o}")).unwrap_or_default()
                ),
            ),
        },
        SessionFileState::Damaged(why) => Finding::warning(
            SESSION_STORE,
            format!("{path} is damaged ({why})"),
            "nothing to do: the next command sets it aside and starts afresh (sessions are obtained again)",
        ),
        SessionFileState::Unreadable(why) => Finding::problem(
            SESSION_STORE,
            why,
            format!("make it yours and private: chown $USER {path}; chmod 600 {path}"),
        ),
    }];
    if let Some(mode) = report.dir_mode.filter(|mode| mode & 0o077 != 0) {
        findings.push(Finding::warning(
            SESSION_STORE,
            format!("the state directory {} is mode {mode:04o}, open to other users", dir.display()),
            format!("chmod 700 {}", dir.display()),
        ));
    }
    findings
}
