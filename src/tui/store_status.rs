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

/// Every role's snapshot. A role whose plan was made (its layers are on the screen: it was
/// selected, renewed or opened) gets every layer's expiry, each distinct layer read once
/// (thousands of roles share a few MFA sessions); any other role only its own session's
/// expiry, without making its plan: at 50,000 roles, plans for all would cost the screen
/// tens of megabytes it never shows (a row's layers are loaded when it is selected,
/// `Effect::LoadLayers`). Only metadata is read: nothing is decrypted.
pub fn snapshots(engine: &Engine) -> Vec<(RoleKey, Snapshot)> {
    let mut expiries: HashMap<&str, Option<Timestamp>> = HashMap::new();
    let mut snapshots = Vec::new();
    engine.each_listed(|_, role, listed| {
        let Some(plan) = engine.plan_if_made(&role.key) else {
            let expires_at = listed.and_then(|(status, _)| status.expires_at);
            snapshots.push((role.key.clone(), Snapshot { expires_at, layers: Vec::new() }));
            return;
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
    });
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

    mod plans {
        use std::path::Path;
        use std::sync::Arc;

        use async_trait::async_trait;

        use super::*;
        use crate::domain::cache::SessionCache;
        use crate::domain::clock::FixedClock;
        use crate::domain::engine::EngineParts;
        use crate::domain::inventory::Inventory;
        use crate::domain::mfa::{MfaCode, MfaError, MfaPrompt, MfaRequest};
        use crate::domain::store::MemoryStore;
        use crate::test_support::{FakeSources, FakeSts};

        const INVENTORY: &str = r#"
[defaults]
region = "eu-west-1"
[sources.hub]
profile = "hub"
mfa_serial = "arn:aws:iam::123456789012:mfa/alice"
session_duration = "12h"
[[accounts]]
name = "prod"
id = "111111111111"
  [[accounts.roles]]
  name = "admin"
  role_name = "Admin"
  source = "hub"
  mfa = true
  [[accounts.roles]]
  name = "viewer"
  role_name = "Viewer"
  source = "hub"
"#;

        struct NoCode;

        #[async_trait]
        impl MfaPrompt for NoCode {
            async fn ask(&self, _: &MfaRequest) -> Result<MfaCode, MfaError> {
                Err(MfaError::Cancelled)
            }
        }

        #[test]
        fn a_reload_makes_no_plan_and_gives_layers_to_the_roles_whose_plan_was_made() {
            let clock = Arc::new(FixedClock::at("2026-11-21T09:00:00Z".parse().unwrap()));
            let inventory = Arc::new(Inventory::parse(Path::new("accounts.toml"), INVENTORY).unwrap());
            let engine = Engine::new(
                inventory,
                EngineParts {
                    sts: Arc::new(FakeSts::new(clock.clone())),
                    sources: Arc::new(FakeSources),
                    cache: SessionCache::new(Arc::new(MemoryStore::new("test"))),
                    mfa: Arc::new(NoCode),
                    clock,
                    identity_center: Arc::new(crate::domain::sso::aws::AwsIdentityCenter::default()),
                    sign_in: Arc::new(crate::domain::sso::signin::NoSignIn),
                },
            );
            let (admin, viewer): (RoleKey, RoleKey) = ("prod/admin".parse().unwrap(), "prod/viewer".parse().unwrap());
            let first = snapshots(&engine);
            assert_eq!(first.iter().map(|(role, _)| role.clone()).collect::<Vec<_>>(), [admin.clone(), viewer.clone()]);
            assert!(first.iter().all(|(_, snapshot)| snapshot.layers.is_empty()));
            assert!(engine.plan_if_made(&admin).is_none() && engine.plan_if_made(&viewer).is_none(), "no plan made");
            // Selected (Effect::LoadLayers makes its plan): from now on its layers come too.
            let layers = engine.plan(&admin).unwrap().layers.len();
            let again = snapshots(&engine);
            assert_eq!(again[0].1.layers.len(), layers);
            assert!(layers >= 3, "keys, MFA session, the role");
            assert!(again[1].1.layers.is_empty());
            assert!(engine.plan_if_made(&viewer).is_none());
        }
    }
}
