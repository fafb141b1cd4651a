//! The OS keyring (Secret Service, Keychain, Windows Credential Manager) through `keyring`
//! 4.x. Every call runs on a plain thread and is waited for with a timeout: a keyring that
//! accepts a connection and never answers must cost a few seconds, not a hung process, and a
//! plain thread (unlike tokio's blocking pool) never keeps the runtime from shutting down.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use super::{Backend, SecretStore, StoreError, sessions::SessionStore};

/// The keyring "service" every switchboard entry is filed under.
const KEYRING_SERVICE: &str = "switchboard";
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs one keyring call on its own thread; gives up after `timeout`.
pub fn with_timeout<T: Send + 'static>(
    timeout: Duration,
    call: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::Builder::new()
        .name("keyring".into())
        .spawn(move || {
            let _ = sender.send(call());
        })
        .map_err(|error| format!("cannot start a keyring thread: {error}"))?;
    match receiver.recv_timeout(timeout) {
        Ok(result) => result,
        Err(_) => Err(format!("the keyring did not answer within {}s", timeout.as_secs())),
    }
}

pub fn entry(key: &str) -> Result<keyring::Entry, String> {
    keyring::Entry::new(KEYRING_SERVICE, key).map_err(|error| error.to_string())
}

pub fn get_blocking(key: &str) -> Result<Option<String>, String> {
    match entry(key)?.get_password() {
        Ok(value) => Ok(Some(value)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(error) => Err(error.to_string()),
    }
}

pub fn set_blocking(key: &str, value: &str) -> Result<(), String> {
    entry(key)?.set_password(value).map_err(|error| error.to_string())
}

pub struct KeyringStore {
    pub(super) backend: Backend,
    pub(super) sessions: Arc<SessionStore>,
    /// Set once a call timed out: later calls fail at once instead of piling up threads.
    pub(super) unresponsive: AtomicBool,
}

impl KeyringStore {
    fn call<T: Send + 'static>(
        &self,
        call: impl FnOnce() -> Result<T, String> + Send + 'static,
    ) -> Result<T, StoreError> {
        let error = |message: String| StoreError { backend: self.backend.to_string(), message };
        if self.unresponsive.load(Ordering::Relaxed) {
            return Err(error("the keyring stopped answering earlier in this run".to_owned()));
        }
        with_timeout(CALL_TIMEOUT, call).map_err(|message| {
            if message.contains("did not answer") {
                self.unresponsive.store(true, Ordering::Relaxed);
            }
            error(message)
        })
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.call(move || get_blocking(&key))
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let (key, value) = (key.to_owned(), secrecy::zeroize::Zeroizing::new(value.to_owned()));
        self.call(move || set_blocking(&key, &value))
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.call(move || match entry(&key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(error.to_string()),
        })
    }

    fn backend(&self) -> &Backend {
        &self.backend
    }

    fn sessions(&self) -> &Arc<SessionStore> {
        &self.sessions
    }
}

/// Whether the D-Bus session bus completes an authentication handshake: a bus that does is
/// alive, and a keyring behind it that is slow (50 processes asking at once) is worth waiting
/// for a little longer; a bus that does not is treated as absent.
#[cfg(target_os = "linux")]
pub fn session_bus_answers(timeout: Duration) -> bool {
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::net::UnixStream;

    let Some(address) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS") else {
        return false;
    };
    let address = address.to_string_lossy().into_owned();
    let connect = |entry: &str| -> Option<UnixStream> {
        let options = entry.strip_prefix("unix:")?;
        options.split(',').find_map(|option| match option.split_once('=')? {
            ("path", path) => UnixStream::connect(path).ok(),
            ("abstract", name) => {
                use std::os::linux::net::SocketAddrExt;
                let socket = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).ok()?;
                UnixStream::connect_addr(&socket).ok()
            }
            _ => None,
        })
    };
    let Some(mut stream) = address.split(';').find_map(connect) else {
        return false;
    };
    if stream.set_read_timeout(Some(timeout)).is_err() || stream.set_write_timeout(Some(timeout)).is_err() {
        return false;
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() }.to_string();
    let hex_uid: String = uid.bytes().map(|byte| format!("{byte:02x}")).collect();
    if stream.write_all(format!("\0AUTH EXTERNAL {hex_uid}\r\n").as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer).is_ok() && answer.starts_with("OK ")
}

#[cfg(not(target_os = "linux"))]
pub fn session_bus_answers(_timeout: Duration) -> bool {
    false
}
