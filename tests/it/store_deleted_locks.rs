//! A lock file deleted while it is held (a cleaner of the state directory, an `rm`) does not
//! break mutual exclusion: twenty concurrent `refresh` processes, each of its own role, all
//! keep their session while `sessions.lock` is deleted again and again; and twenty
//! `credential-process` calls for one role, piled up behind an AssumeRole held at the fault
//! proxy while the layer's lock file is deleted again and again, make one AssumeRole.
//! Real binary, a real gnome-keyring for the shared session store, moto.

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::fault_proxy::{Fault, FaultProxy};
use crate::support::store::{Keyring, set_inventory_endpoint, state_dir};
use crate::support::{Sandbox, assert_success, stderr};

const ROLES: usize = 20;
/// Long enough for every caller to start while the first AssumeRole is held.
const STS_DELAY: Duration = Duration::from_secs(3);

/// The sandbox's inventory with one more account of `ROLES` roles (`many/r01`…) and a role
/// to make the store key with (`many/warm`), all from a source without MFA.
fn sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    let mut inventory = std::fs::read_to_string(sandbox.inventory()).unwrap();
    inventory.push_str(
        "\n[sources.open]\nprofile = \"hub\"\ncredentials_file = \"aws/credentials\"\n\n[[accounts]]\nname = \"many\"\nid = \"333333333333\"\n",
    );
    for name in roles().iter().map(|role| role.trim_start_matches("many/").to_owned()).chain(["warm".to_owned()]) {
        inventory.push_str(&format!(
            "  [[accounts.roles]]\n  name = \"{name}\"\n  role_name = \"R{name}\"\n  source = \"open\"\n"
        ));
    }
    std::fs::write(sandbox.inventory(), inventory).unwrap();
    sandbox
}

fn roles() -> Vec<String> {
    (1..=ROLES).map(|index| format!("many/r{index:02}")).collect()
}

/// Deletes what `victims` names, again and again, until dropped; counts what it deleted.
struct Deleter {
    stop: Arc<AtomicBool>,
    deleted: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Deleter {
    fn start(victims: impl Fn() -> Vec<PathBuf> + Send + 'static) -> Deleter {
        let (stop, deleted) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
        let (stopping, counting) = (stop.clone(), deleted.clone());
        let thread = std::thread::spawn(move || {
            while !stopping.load(Ordering::SeqCst) {
                for victim in victims() {
                    if std::fs::remove_file(&victim).is_ok() {
                        counting.fetch_add(1, Ordering::SeqCst);
                    }
                }
                std::thread::sleep(Duration::from_micros(300));
            }
        });
        Deleter { stop, deleted, thread: Some(thread) }
    }

    /// Stops; how many files it deleted.
    fn stop(mut self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap();
        self.deleted.load(Ordering::SeqCst)
    }
}

fn lock_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir).into_iter().flatten().flatten().map(|entry| entry.path()).collect()
}

fn all_at_once(children: Vec<Child>) -> Vec<Output> {
    children.into_iter().map(|child| child.wait_with_output().unwrap()).collect()
}

#[test]
fn sessions_written_while_the_store_lock_is_deleted_are_all_kept() {
    let sandbox = sandbox();
    let keyring = Keyring::start(sandbox.home.path());
    // The store key and the state directory are made before the crowd.
    assert_success(&keyring.command(&sandbox, &["refresh", "many/warm"]).output().unwrap());
    let lock = state_dir(&sandbox).join("sessions.lock");
    let deleter = Deleter::start(move || vec![lock.clone()]);
    let children: Vec<Child> = roles()
        .iter()
        .map(|role| {
            let mut command = keyring.command(&sandbox, &["refresh", role]);
            command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
        })
        .collect();
    let outputs = all_at_once(children);
    let deleted = deleter.stop();
    for output in &outputs {
        assert_success(output);
    }
    assert!(deleted > 0, "the lock file was never deleted: the test proves nothing");

    let list = keyring.command(&sandbox, &["list", "--json"]).output().unwrap();
    assert_success(&list);
    let rows: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let valid: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["state"] == "valid")
        .map(|row| format!("{}/{}", row["account"].as_str().unwrap(), row["role"].as_str().unwrap()))
        .collect();
    let lost: Vec<String> = roles().into_iter().filter(|role| !valid.contains(role)).collect();
    assert!(lost.is_empty(), "sessions lost while sessions.lock was deleted {deleted} times: {lost:?}");
}

#[test]
fn a_deleted_layer_lock_does_not_let_a_second_assume_role_through() {
    let sandbox = sandbox();
    let proxy = FaultProxy::start(&sandbox.moto.endpoint);
    set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
    let keyring = Keyring::start(sandbox.home.path());
    assert_success(&keyring.command(&sandbox, &["refresh", "many/warm"]).output().unwrap());
    proxy.reset_counts();
    proxy.always(Some("AssumeRole"), Fault::Delay(STS_DELAY));

    let locks = state_dir(&sandbox).join("locks");
    let deleter = Deleter::start(move || lock_files(&locks));
    let children: Vec<Child> = (0..ROLES)
        .map(|_| {
            let mut command = keyring.command(&sandbox, &["-vv", "credential-process", "many/r01"]);
            command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
        })
        .collect();
    let outputs = all_at_once(children);
    let deleted = deleter.stop();
    let mut keys = std::collections::BTreeSet::new();
    for output in &outputs {
        assert_success(output);
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        keys.insert(json["AccessKeyId"].as_str().unwrap().to_owned());
    }
    assert!(deleted > 0, "the layer's lock file was never deleted: the test proves nothing");
    assert_eq!(proxy.count("AssumeRole"), 1, "one AssumeRole while its lock file was deleted {deleted} times");
    let waited = outputs.iter().filter(|output| stderr(output).contains("renewed meanwhile")).count();
    assert!(waited > 0, "no caller waited for the renewal in flight: they did not overlap");
    assert_eq!(keys.len(), 1, "every caller got the one session: {keys:?}");
}
