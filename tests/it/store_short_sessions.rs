//! Sessions no longer than the 15 minutes `credential-process` keeps in reserve for botocore
//! are not renewed on every call: a hundred concurrent `credential-process` calls for a
//! 15-minute chained role make one AssumeRole per layer when nothing is cached and none once
//! the sessions are fresh, with the agent and without it (processes sharing the session
//! store). Real binary, moto behind a fault proxy that counts STS actions at the wire and
//! delays every AssumeRole, so the callers really pile up behind the one in flight.

use std::collections::BTreeSet;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use crate::support::agent::{start_agent, without_terminal};
use crate::support::fault_proxy::{Fault, FaultProxy};
use crate::support::store::{Keyring, set_inventory_endpoint};
use crate::support::{Sandbox, assert_success, stderr};

const CALLERS: usize = 100;
/// Long enough for every caller to start (and, without the agent, to open the keyring) while
/// the first AssumeRole is held.
const STS_DELAY: Duration = Duration::from_secs(3);
const ROLE: &str = "prod/deploy";
/// What the engine logs (at debug) when a caller takes a renewal made while it waited.
const TOOK_THE_RENEWAL: &str = "renewed meanwhile";

fn sandbox() -> (Sandbox, FaultProxy) {
    let sandbox = Sandbox::with_fixture("short_sessions.toml");
    let proxy = FaultProxy::start(&sandbox.moto.endpoint);
    set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
    proxy.always(Some("AssumeRole"), Fault::Delay(STS_DELAY));
    (sandbox, proxy)
}

/// Runs `CALLERS` commands at once; their outputs, and the session every one of them got.
fn all_at_once(command: impl Fn() -> Command) -> (Vec<Output>, String) {
    let children: Vec<Child> =
        (0..CALLERS).map(|_| command().stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()).collect();
    let outputs: Vec<Output> = children.into_iter().map(|child| child.wait_with_output().unwrap()).collect();
    // A process whose keyring did not answer in time says so, and would renew on its own.
    let alone: Vec<String> =
        outputs.iter().map(stderr).filter(|text| text.contains("switchboard: session cache:")).collect();
    assert!(alone.is_empty(), "a process did not share the store: {alone:?}");
    let mut keys = BTreeSet::new();
    for output in &outputs {
        assert_success(output);
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        keys.insert(json["AccessKeyId"].as_str().unwrap().to_owned());
        let expiration: jiff::Timestamp = json["Expiration"].as_str().unwrap().parse().unwrap();
        let left = expiration.duration_since(jiff::Timestamp::now());
        assert!(left > jiff::SignedDuration::from_mins(10), "botocore insists on 10 minutes; {left:?} left");
    }
    assert_eq!(keys.len(), 1, "every caller got the one session: {keys:?}");
    (outputs, keys.into_iter().next().unwrap_or_default())
}

/// How many of `lines` say a caller took the renewal another one made while it waited.
fn took_the_renewal(lines: impl Iterator<Item = String>) -> usize {
    lines.filter(|line| line.contains(TOOK_THE_RENEWAL)).count()
}

#[test]
fn a_hundred_credential_processes_for_a_15_minute_chained_role_without_the_agent() {
    let (sandbox, proxy) = sandbox();
    let keyring = Keyring::start(sandbox.home.path());
    // The store key is made once, before the crowd (a hundred processes making it at once
    // queue past the keyring's wait); the role asked for here shares no layer with ROLE.
    assert_success(&keyring.command(&sandbox, &["env", "prod/other", "--format", "json"]).output().unwrap());
    proxy.reset_counts();
    let command = || keyring.command(&sandbox, &["-vv", "credential-process", ROLE]);

    let (cold, session) = all_at_once(command);
    assert_eq!(proxy.count("AssumeRole"), 2, "one AssumeRole per layer (the role and the one it is chained from)");
    let lines = cold.iter().flat_map(|output| stderr(output).lines().map(str::to_owned).collect::<Vec<_>>());
    assert!(took_the_renewal(lines) > 0, "no caller waited for the renewal in flight: they did not overlap");

    proxy.reset_counts();
    let (_, again) = all_at_once(command);
    assert_eq!(proxy.count("AssumeRole"), 0, "a fresh 15-minute session is handed out as it is");
    assert_eq!(again, session);
}

#[test]
fn a_hundred_credential_processes_for_a_15_minute_chained_role_through_the_agent() {
    let (sandbox, proxy) = sandbox();
    let mut agent = sandbox.command(&["-vv", "agent"]);
    agent.env("SWITCHBOARD_NOTIFY", "off");
    let agent = start_agent(agent);
    let command = || sandbox.command(&["credential-process", ROLE]);

    let (_, session) = all_at_once(command);
    assert_eq!(proxy.count("AssumeRole"), 2, "one AssumeRole per layer (the role and the one it is chained from)");
    assert!(took_the_renewal(agent.lines_so_far().into_iter()) > 0, "no caller waited for the renewal in flight");

    proxy.reset_counts();
    let (_, again) = all_at_once(command);
    assert_eq!(proxy.count("AssumeRole"), 0, "a fresh 15-minute session is handed out as it is");
    assert_eq!(again, session);
}

/// credential-process wants 15 minutes left, so a 15-minute session is inside its window from
/// the start; once a renewal would gain time, renewing a role that sends its own MFA code needs
/// a code. Without a terminal (an SDK runs it) nobody can give one: the still-valid session is
/// handed out, with one line saying so, and nothing reaches STS.
#[test]
fn credential_process_without_a_terminal_hands_out_the_valid_session_when_renewing_needs_a_code() {
    let sandbox = Sandbox::new();
    // 15-minute sessions renewed at refresh_before as written: renewing gains time (a second)
    // as soon as the session is a second old.
    let inventory = std::fs::read_to_string(sandbox.inventory()).unwrap();
    let inventory = inventory
        .replace("duration = \"1h\"\nrefresh_before = \"5m\"", "duration = \"15m\"\nrefresh_before = \"14m59s\"");
    assert!(inventory.contains("14m59s"), "the fixture's defaults changed: {inventory}");
    std::fs::write(sandbox.inventory(), inventory).unwrap();
    let proxy = FaultProxy::start(&sandbox.moto.endpoint);
    set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
    let keyring = Keyring::start(sandbox.home.path());
    // prod/break-glass's source has no MFA session: its AssumeRole carries the code itself.
    let role = "prod/break-glass";
    assert_success(&keyring.command(&sandbox, &["refresh", role, "--mfa-code", "123456"]).output().unwrap());
    assert_eq!(proxy.count("AssumeRole"), 1);
    assert!(proxy.last_body("AssumeRole").unwrap().contains("TokenCode=123456"), "the role sends its own code");
    // Aging, not waiting on anything: the session must be older than what a renewal must gain.
    std::thread::sleep(Duration::from_millis(1500));

    let mut command = keyring.command(&sandbox, &["credential-process", role]);
    without_terminal(&mut command);
    let output = command.output().unwrap();
    assert_success(&output);
    let said = stderr(&output);
    assert!(said.contains("needs an MFA code") && said.contains("there is no terminal"), "{said}");
    assert!(said.contains("handing out the current session until it expires"), "{said}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let expiration: jiff::Timestamp = json["Expiration"].as_str().unwrap().parse().unwrap();
    let left = expiration.duration_since(jiff::Timestamp::now());
    assert!(left > jiff::SignedDuration::ZERO && left < jiff::SignedDuration::from_mins(15), "{left:?} left");
    assert_eq!(proxy.count("AssumeRole"), 1, "nothing was sent: renewing needed a code nobody could give");
}
