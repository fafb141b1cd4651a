//! Who is served: per role, the processes that got its session through the agent (or hold
//! an endpoint that renews through it), counted while they live and either hold a session
//! that has not expired or asked within the last minutes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::app::agent::protocol::ServedRole;

/// A process counts as served for this long after its last request, if it still runs.
pub const SERVED_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Per role, per process: until when it counts (its session's expiry, or the window after
/// its last request when that is later).
type Seen = HashMap<String, HashMap<u32, Instant>>;

#[derive(Default)]
pub struct Served {
    seen: Mutex<Seen>,
}

impl Served {
    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `pid` got `role`'s session, valid for `session_left` (an endpoint holds it that long
    /// between renewals).
    pub fn record(&self, role: &str, pid: u32, session_left: Duration) {
        let until = Instant::now() + session_left.max(SERVED_WINDOW);
        let mut seen = self.lock();
        let counted = seen.entry(role.to_owned()).or_default().entry(pid).or_insert(until);
        *counted = (*counted).max(until);
    }

    /// Per role (sorted), how many distinct processes still run and still count.
    pub fn counts(&self) -> Vec<ServedRole> {
        let mut seen = self.lock();
        let now = Instant::now();
        for pids in seen.values_mut() {
            pids.retain(|pid, until| *until >= now && alive(*pid));
        }
        seen.retain(|_, pids| !pids.is_empty());
        let mut counts: Vec<ServedRole> =
            seen.iter().map(|(role, pids)| ServedRole { role: role.clone(), processes: pids.len() }).collect();
        counts.sort_by(|a, b| a.role.cmp(&b.role));
        counts
    }
}

fn alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else { return false };
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let answered = unsafe { libc::kill(pid, 0) };
    answered == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_live_processes_are_counted_and_dead_ones_are_not() {
        let served = Served::default();
        let hour = Duration::from_secs(3600);
        served.record("prod/viewer", std::process::id(), hour);
        served.record("prod/viewer", std::process::id(), Duration::ZERO);
        let mut finished = std::process::Command::new("true").spawn().unwrap();
        let dead = finished.id();
        finished.wait().unwrap();
        served.record("prod/viewer", dead, hour);
        served.record("dev/admin", dead, hour);
        assert_eq!(served.counts(), vec![ServedRole { role: "prod/viewer".into(), processes: 1 }]);
    }
}
