//! Where secrets rest between runs. Sessions: one sealed file under the state directory (see
//! `sessions` and `file`), whose key is ONE item in the OS keyring, read once per process.
//! Long-term keys (`switchboard keys`): the OS keyring, an item per source. When no keyring
//! answers, both live in process memory and end with it.

mod document;
mod file;
mod keyring;
mod layout;
pub mod lock;
mod memory;
pub mod probe;
mod sealed;
mod sealed_section;
pub mod sessions;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

pub use file::Stamp;
pub use memory::MemoryStore;
pub use sealed::StoreKey;
pub use sessions::{CodeMark, Opened, SessionMeta, SessionStore};

use self::keyring::KeyringStore;

const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a keyring behind a live session bus may take in all (many processes at once).
const LIVE_BUS_PROBE_TIMEOUT: Duration = Duration::from_secs(8);
const BUS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(1);
/// The one keyring item that holds the session store's key.
const STORE_KEY_ITEM: &str = "session-store-key";
/// Overrides where the session store lives (tests, sandboxes).
pub const STATE_DIR_VARIABLE: &str = "SWITCHBOARD_STATE_DIR";

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the {backend} refused: {message}")]
pub struct StoreError {
    pub backend: String,
    pub message: String,
}

/// Blocking on purpose: keyring calls run on their own threads with a timeout (see
/// `keyring`); async callers run these on the blocking pool.
pub trait SecretStore: Send + Sync {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    fn set(&self, key: &str, value: &str) -> Result<(), StoreError>;
    fn delete(&self, key: &str) -> Result<(), StoreError>;
    fn backend(&self) -> &Backend;
    /// Where sessions are kept alongside this keyring (or memory).
    fn sessions(&self) -> &Arc<SessionStore>;
}

#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    /// Sessions sealed in `file`, its key and long-term keys in the OS keyring.
    Keyring {
        file: PathBuf,
    },
    Memory {
        reason: String,
    },
    /// The sealed file's states only, read without the keyring (`list`).
    StatesOnly {
        file: PathBuf,
    },
}

impl Backend {
    /// A few words for a header line; `Display` gives the reason too.
    pub fn short_label(&self) -> &'static str {
        match self {
            Backend::Keyring { .. } => keyring_name(),
            Backend::Memory { .. } => "memory only",
            Backend::StatesOnly { .. } => "states only",
        }
    }

    pub fn is_persistent(&self) -> bool {
        matches!(self, Backend::Keyring { .. } | Backend::StatesOnly { .. })
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::Keyring { file } => {
                write!(f, "{} (sessions sealed in {})", keyring_name(), file.display())
            }
            Backend::Memory { reason } => write!(f, "memory only ({reason}); sessions end with this process"),
            Backend::StatesOnly { file } => {
                write!(f, "session states read from {} (the keyring is not asked)", file.display())
            }
        }
    }
}

/// The OS keyring's name on this platform.
pub fn keyring_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "macOS Keychain"
    } else if cfg!(windows) {
        "Windows Credential Manager"
    } else {
        "Secret Service keyring"
    }
}

/// Which store the operator asked for (`SWITCHBOARD_CACHE=keyring|memory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreChoice {
    /// The OS keyring when it answers, memory otherwise.
    Auto,
    Memory,
}

impl StoreChoice {
    pub fn from_env() -> Self {
        match std::env::var("SWITCHBOARD_CACHE").as_deref() {
            Ok("memory") => StoreChoice::Memory,
            _ => StoreChoice::Auto,
        }
    }
}

/// `$SWITCHBOARD_STATE_DIR`, else the XDG state directory (`~/.local/state/switchboard`),
/// else the platform's local data directory.
pub fn state_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(STATE_DIR_VARIABLE).filter(|dir| !dir.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let dirs = directories::ProjectDirs::from("", "", "switchboard")?;
    Some(dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir()).to_path_buf())
}

/// The states of the stored sessions (expiry, when obtained) and nothing else, without asking
/// the keyring: what `list` shows costs no D-Bus round trip and never raises an unlock prompt.
/// Sessions cannot be opened or written through it.
pub fn open_states_only(choice: StoreChoice) -> Arc<dyn SecretStore> {
    if choice == StoreChoice::Memory {
        return Arc::new(MemoryStore::new("SWITCHBOARD_CACHE=memory"));
    }
    let Some(dir) = state_dir() else {
        return Arc::new(MemoryStore::new("no state directory (set SWITCHBOARD_STATE_DIR)"));
    };
    match SessionStore::metadata_only(dir) {
        Ok(sessions) => {
            let file = sessions.location().map(PathBuf::from).unwrap_or_default();
            Arc::new(MemoryStore::with_sessions(Backend::StatesOnly { file }, sessions))
        }
        Err(error) => Arc::new(MemoryStore::new(format!("cannot read the session store: {}", error.message))),
    }
}

/// Reads the store key from the keyring, creating it on first use. Processes started together
/// (50 `credential-process` calls) create it under a file lock, so they all seal with one key.
fn read_or_create_store_key(dir: &Path) -> Result<StoreKey, String> {
    if let Err(error) = ::keyring::Entry::store_status() {
        return Err(error.to_string());
    }
    if let Some(text) = keyring::get_blocking(STORE_KEY_ITEM)? {
        return StoreKey::from_text(&text).map_err(|error| error.to_string());
    }
    file::create_private_dir(dir).map_err(|error| error.message)?;
    let _creating = lock::lock_blocking(&dir.join("store-key.lock"), PROBE_TIMEOUT, "creating the store key")
        .map_err(|error| error.message)?;
    if let Some(text) = keyring::get_blocking(STORE_KEY_ITEM)? {
        return StoreKey::from_text(&text).map_err(|error| error.to_string());
    }
    let (key, text) = StoreKey::generate();
    keyring::set_blocking(STORE_KEY_ITEM, &text)?;
    Ok(key)
}

/// The bus handshake, on its own thread (it may hang like the keyring does).
async fn bus_is_alive() -> bool {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let started = std::thread::Builder::new().name("bus-probe".into()).spawn(move || {
        let _ = sender.send(keyring::session_bus_answers(BUS_HANDSHAKE_TIMEOUT));
    });
    started.is_ok() && matches!(tokio::time::timeout(BUS_HANDSHAKE_TIMEOUT * 2, receiver).await, Ok(Ok(true)))
}

/// Opens the keyring if it answers within a few seconds (one read: the store key); a locked,
/// absent or silent Secret Service must not hang a command, so it falls back to memory and
/// says why. A keyring behind a live session bus gets 8 s in all rather than 3: many
/// processes starting at once (credential_process) queue at gnome-keyring.
pub async fn open_store(choice: StoreChoice) -> Arc<dyn SecretStore> {
    if choice == StoreChoice::Memory {
        return Arc::new(MemoryStore::new("SWITCHBOARD_CACHE=memory"));
    }
    let Some(dir) = state_dir() else {
        return Arc::new(MemoryStore::new("no state directory (set SWITCHBOARD_STATE_DIR)"));
    };
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let probe_dir = dir.clone();
    let probe = std::thread::Builder::new().name("keyring-probe".into()).spawn(move || {
        let _ = sender.send(read_or_create_store_key(&probe_dir));
    });
    if let Err(error) = probe {
        return Arc::new(MemoryStore::new(format!("cannot start the keyring probe: {error}")));
    }
    let mut receiver = receiver;
    let mut answer = tokio::time::timeout(PROBE_TIMEOUT, &mut receiver).await;
    let mut waited = PROBE_TIMEOUT;
    if answer.is_err() && bus_is_alive().await {
        answer = tokio::time::timeout(LIVE_BUS_PROBE_TIMEOUT - PROBE_TIMEOUT, &mut receiver).await;
        waited = LIVE_BUS_PROBE_TIMEOUT;
    }
    let key = match answer {
        Ok(Ok(Ok(key))) => key,
        Ok(Ok(Err(reason))) => return Arc::new(MemoryStore::new(format!("no keyring reachable: {reason}"))),
        Ok(Err(_)) => return Arc::new(MemoryStore::new("the keyring probe stopped")),
        Err(_) => {
            let reason = format!("the keyring did not answer within {}s", waited.as_secs());
            return Arc::new(MemoryStore::new(reason));
        }
    };
    match SessionStore::open_file(dir, key) {
        Ok(Opened::Shared(sessions)) => {
            let file = sessions.location().map(PathBuf::from).unwrap_or_default();
            Arc::new(KeyringStore {
                backend: Backend::Keyring { file },
                sessions: Arc::new(sessions),
                unresponsive: AtomicBool::new(false),
            })
        }
        Ok(Opened::ReadOnly { sessions, why }) => {
            let reason = format!(
                "cannot use the session store: {}; the sessions stored there are used, new ones are not kept",
                why.message
            );
            Arc::new(MemoryStore::with_sessions(Backend::Memory { reason }, sessions))
        }
        Err(error) => Arc::new(MemoryStore::new(format!("cannot use the session store: {}", error.message))),
    }
}
