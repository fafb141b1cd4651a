//! A hung endpoint never freezes the screen: with STS accepting connections and never
//! answering, a refresh waits in its own task while the clock ticks and every key shows on
//! the screen within seconds (timed from the key to its frame), not after the call's 30 s.

use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::Sandbox;
use crate::support::pty::{Tui, roles_are_shown};

/// Accepts connections and holds them open without a byte of answer.
fn hung_endpoint() -> (String, Arc<Mutex<Vec<TcpStream>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let held = Arc::new(Mutex::new(Vec::new()));
    let holder = Arc::clone(&held);
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            holder.lock().unwrap().push(stream);
        }
    });
    (endpoint, held)
}

/// The longest a key may take to show on the screen while STS hangs: generous for a debug
/// build on a busy machine, and far below the 30 s a key waiting on the hung call would take.
const KEY_BOUND: Duration = Duration::from_secs(3);

/// What the screen must show once a key has been handled.
type Shown = fn(&str) -> bool;

/// The seconds a refresh has waited, as its row shows them ("refreshing …3s").
fn refresh_age(screen: &str) -> Option<u64> {
    let after = screen.split("refreshing").nth(1)?.trim_start().strip_prefix('…')?;
    after.split('s').next()?.parse().ok()
}

#[test]
fn a_refresh_against_a_hung_endpoint_delays_no_key_and_no_tick() {
    let sandbox = Sandbox::new();
    let (endpoint, held) = hung_endpoint();
    let inventory = std::fs::read_to_string(sandbox.inventory()).unwrap().replace(&sandbox.moto.endpoint, &endpoint);
    std::fs::write(sandbox.inventory(), inventory).unwrap();

    let mut tui = Tui::start(&sandbox);
    tui.wait_for("the list of roles", roles_are_shown);
    tui.send("/prod viewer");
    tui.wait_for("the filter being typed", |screen| screen.contains("prod viewer▏"));
    tui.send("\r");
    tui.wait_for("the filter to be kept", |screen| screen.contains("roles matching \"prod viewer\" (1)"));
    tui.send("r");
    // The refresh's age ticks once a second while STS says nothing.
    let first = tui.wait_until("the refresh to be waiting", |tui| refresh_age(&tui.screen_text()));
    tui.wait_for("the clock to tick on", |screen| refresh_age(screen).is_some_and(|age| age >= first + 2));
    assert!(!held.lock().unwrap().is_empty(), "the STS call reached the hung endpoint and is waiting there");
    // Keys are handled at once: each key's frame comes within KEY_BOUND, measured from the
    // key to the frame that shows it, while the call hangs.
    let keys: [(&str, &str, Shown); 4] = [
        ("?", "help", |screen| screen.contains(" keys ") && screen.contains("refresh the selected role")),
        ("\x1b", "help to close", |screen| {
            !screen.contains("refresh the selected role") && refresh_age(screen).is_some()
        }),
        ("/", "the filter to open", |screen| screen.contains("prod viewer▏")),
        ("\x1b", "the filter to close", |screen| !screen.contains("prod viewer▏") && refresh_age(screen).is_some()),
    ];
    for (key, what, shown) in keys {
        let sent = Instant::now();
        tui.send(key);
        let screen = tui.wait_for(what, shown);
        let took = sent.elapsed();
        assert!(took < KEY_BOUND, "{what} took {took:?} (the hung call waits up to 30 s):\n{screen}");
    }
    let screen = tui.screen_text();
    assert!(refresh_age(&screen).is_some(), "still waiting on STS:\n{screen}");
    tui.send("q");
    assert!(tui.wait_for_exit().success(), "quits while the call still hangs");
    tui.assert_terminal_restored();
}

#[test]
fn a_hung_refresh_ends_on_its_row_as_an_error_after_the_sts_timeout() {
    let sandbox = Sandbox::new();
    let (endpoint, _held) = hung_endpoint();
    let inventory = std::fs::read_to_string(sandbox.inventory()).unwrap().replace(&sandbox.moto.endpoint, &endpoint);
    std::fs::write(sandbox.inventory(), inventory).unwrap();

    let mut tui = Tui::start(&sandbox);
    tui.wait_for("the list of roles", roles_are_shown);
    tui.send("/prod viewer\r");
    tui.wait_for("the filter to be kept", |screen| screen.contains("roles matching \"prod viewer\" (1)"));
    tui.send("r");
    // Two waits, each within the harness's limit: most of STS's 30 s, then its end.
    tui.wait_for("the refresh to wait 20 s", |screen| refresh_age(screen).is_some_and(|age| age >= 20));
    let screen = tui.wait_for("the row's error", |screen| {
        refresh_age(screen).is_none() && screen.contains("did not answer within 30s")
    });
    let row = screen.lines().find(|line| line.contains('▸')).unwrap_or_default();
    assert!(row.split_whitespace().any(|word| word == "error"), "the row says error:\n{screen}");
    tui.send("q");
    assert!(tui.wait_for_exit().success());
}
