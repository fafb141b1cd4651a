//! The periodic re-read of the session cache (`Effect::LoadStatus`): every role's and every
//! layer's expiry in one pass, and only when the store may have changed.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::domain::engine::Engine;
use crate::domain::inventory::RoleKey;

use super::action::Snapshot;

/// Whether the session store may have changed since the previous call: another process
/// (or this one) saved or dropped a session.
///
/// STUB, always "changed": the store does not offer a cheap change check yet. The lead wires
/// this to it (a generation counter or the store file's mtime), and the ten-second reload
/// then costs nothing while nothing changes.
fn store_changed(_engine: &Engine) -> bool {
    true
}

/// Every role's snapshot, or None when the store has not changed since the last reload.
pub async fn reload(engine: &Engine) -> Option<Vec<(RoleKey, Snapshot)>> {
    if !store_changed(engine) {
        return None;
    }
    Some(snapshots(engine).await)
}

/// Every role's snapshot, reading each distinct layer once: thousands of roles share a few
/// MFA sessions, so this is one read per layer, not one per role and layer.
///
/// TODO(store): one call for every layer's expiry (metadata, no decryption) replaces the
/// loop of `layer_status` below.
pub async fn snapshots(engine: &Engine) -> Vec<(RoleKey, Snapshot)> {
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
                    let read = engine.layer_status(layer).await.expires_at;
                    expiries.insert(&layer.id, read);
                    read
                }
            };
            layers.push((layer.id.clone(), expires_at));
        }
        let expires_at = layers.last().and_then(|(_, until)| *until);
        snapshots.push((role.key.clone(), Snapshot { expires_at, layers }));
    }
    snapshots
}
