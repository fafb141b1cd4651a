//! The periodic re-read of the session cache (`Effect::LoadStatus`): every role's and every
//! layer's expiry in one pass, and only when the store may have changed.

use std::collections::HashMap;
use std::sync::Mutex;

use jiff::Timestamp;

use crate::domain::engine::Engine;
use crate::domain::inventory::RoleKey;
use crate::domain::store::Stamp;

use super::action::Snapshot;

/// What the last reload saw of the store, so the next one can skip an unchanged store: a
/// reload costs one `stat` while nothing changes.
#[derive(Debug, Default)]
pub struct StoreWatch {
    seen: Mutex<Option<Stamp>>,
}

impl StoreWatch {
    /// Whether the session store changed since the previous call (true on the first): another
    /// process, or this one, saved or dropped a session.
    fn changed(&self, now: Stamp) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let changed = *seen != Some(now);
        *seen = Some(now);
        changed
    }
}

/// Every role's snapshot, or None when the store has not changed since the last reload.
pub async fn reload(engine: &Engine, watch: &StoreWatch) -> Option<Vec<(RoleKey, Snapshot)>> {
    if !watch.changed(engine.cache().stamp()) {
        return None;
    }
    Some(snapshots(engine))
}

/// Every role's snapshot, reading each distinct layer once: thousands of roles share a few
/// MFA sessions, so this is one read per layer, not one per role and layer.
/// Only metadata is read: nothing is decrypted.
pub fn snapshots(engine: &Engine) -> Vec<(RoleKey, Snapshot)> {
    let mut expiries: HashMap<&str, Option<Timestamp>> = HashMap::new();
    let mut snapshots = Vec::new();
    for (_, role) in engine.inventory().roles() {
        let Some(plan) = engine.plan(&role.key) else {
            snapshots.push((role.key.clone(), Snapshot { expires_at: None, layers: Vec::new() }));
            continue;
        };
        let mut layers = Vec::with_capacity(plan.layers.len());
        for layer in &plan.layers {
            let expires_at = match expiries.get(layer.id.as_str()) {
                Some(known) => *known,
                None => {
                    let read = engine.layer_status_now(layer).expires_at;
                    expiries.insert(&layer.id, read);
                    read
                }
            };
            layers.push((layer.clone(), expires_at));
        }
        let expires_at = layers.last().and_then(|(_, until)| *until);
        snapshots.push((role.key.clone(), Snapshot { expires_at, layers }));
    }
    snapshots
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reload_is_skipped_until_the_store_changes() {
        let watch = StoreWatch::default();
        assert!(watch.changed(Stamp::of_generation(1)), "the first reload always reads");
        assert!(!watch.changed(Stamp::of_generation(1)), "nothing changed: no reload");
        assert!(watch.changed(Stamp::of_generation(2)), "a write anywhere: reload");
        assert!(!watch.changed(Stamp::of_generation(2)));
    }
}
