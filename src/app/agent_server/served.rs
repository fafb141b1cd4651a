//! Who is served: per role, the processes that got its session through the agent (or hold
//! an endpoint that renews through it), counted while they live and for a while after their
//! last request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::app::agent_protocol::ServedRole;

/// A process counts as served for this long after its last request, if it still runs.
pub const SERVED_WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct Served {
    seen: Mutex<HashMap<String, HashMap<u32, Instant>>>,
}

impl Served {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<u32, Instant>>> {
        self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn record(&self, role: &str, pid: u32) {
        self.lock().entry(role.to_owned()).or_default().insert(pid, Instant::now());
    }

    /// Per role (sorted), how many distinct processes seen within the window still run.
    pub fn counts(&self) -> Vec<ServedRole> {
        let mut seen = self.lock();
        for pids in seen.values_mut() {
            pids.retain(|pid, last| last.elapsed() <= SERVED_WINDOW && alive(*pid));
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
        served.record("prod/viewer", std::process::id());
        served.record("prod/viewer", std::process::id());
        let mut finished = std::process::Command::new("true").spawn().unwrap();
        let dead = finished.id();
        finished.wait().unwrap();
        served.record("prod/viewer", dead);
        served.record("dev/admin", dead);
        assert_eq!(served.counts(), vec![ServedRole { role: "prod/viewer".into(), processes: 1 }]);
    }
}
