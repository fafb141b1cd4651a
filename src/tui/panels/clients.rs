//! SDK clients for panel jobs, built once per role session and region and reused while that
//! session lasts: a panel's jobs (a listing, then a count per 50 queues, every few seconds)
//! would otherwise build a fresh client, with its connection pool, for every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use std::time::Duration;

use crate::domain::credentials::Credentials;
use crate::domain::engine::{Engine, Renewal, Session};
use crate::domain::inventory::RoleKey;
use crate::domain::sqs::Sqs;
use crate::domain::sts::Sts;

/// The clients a job works through.
#[derive(Clone)]
pub struct Clients {
    pub sqs: Arc<dyn Sqs>,
    pub sts: Arc<dyn Sts>,
}

/// The session (by its access key id) and region the clients were built for.
struct Entry {
    access_key_id: String,
    region: String,
    clients: Clients,
}

/// One entry per role: a renewed session (a new access key id) or another region replaces
/// it, so the clients of a session that ended are dropped with it.
#[derive(Clone, Default)]
pub struct ClientCache {
    entries: Arc<Mutex<HashMap<RoleKey, Entry>>>,
}

impl ClientCache {
    /// The role's clients for this session and region, built by `build` only when the role
    /// has none for them yet.
    pub fn clients(
        &self,
        role: &RoleKey,
        credentials: &Credentials,
        region: &str,
        build: impl FnOnce() -> Clients,
    ) -> Clients {
        // A panic elsewhere while holding the lock leaves the map whole: keep using it.
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = entries.get(role)
            && entry.access_key_id == credentials.access_key_id
            && entry.region == region
        {
            return entry.clients.clone();
        }
        let clients = build();
        let entry = Entry {
            access_key_id: credentials.access_key_id.clone(),
            region: region.to_owned(),
            clients: clients.clone(),
        };
        entries.insert(role.clone(), entry);
        clients
    }
}

/// What a panel job is told when its role's session needs an MFA code.
pub const NEEDS_MFA: &str = "needs an MFA code";
/// A session this close to its end is renewed even for a panel job (if no code is needed).
const LAST_MINUTE: Duration = Duration::from_secs(60);

/// The session for a panel's background job, which never asks for an MFA code on its own:
/// a modal popping up while the operator reads a queue (and again for every queued job after
/// Esc) is what the operator did not ask for. A session near its end but still valid is used
/// as it is; one that cannot be had without a code is refused with why and what to press.
pub async fn session_for_panel(engine: &Engine, role: &RoleKey) -> Result<Session, String> {
    let renewal = match engine.device_needed(role, Renewal::IfNeeded).await {
        Ok(None) => Renewal::IfNeeded,
        Ok(Some(_)) => match engine.device_needed(role, Renewal::Within(LAST_MINUTE)).await {
            Ok(None) => Renewal::Within(LAST_MINUTE),
            Ok(Some(device)) => {
                return Err(format!("{role}: the session {NEEDS_MFA} ({device}): press r to enter it"));
            }
            Err(error) => return Err(error.to_string()),
        },
        Err(error) => return Err(error.to_string()),
    };
    engine.session(role, renewal).await.map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::domain::sqs::AwsSqs;
    use crate::domain::sts::AwsSts;

    fn role(text: &str) -> RoleKey {
        let (account, role) = text.split_once('/').unwrap();
        RoleKey { account: account.to_owned(), role: role.to_owned() }
    }

    fn session(key: &str) -> Credentials {
        Credentials::new(key, "secret", Some("token".to_owned()), None)
    }

    mod no_prompt {
        use std::path::Path;
        use std::sync::atomic::AtomicUsize;

        use async_trait::async_trait;

        use super::*;
        use crate::domain::cache::SessionCache;
        use crate::domain::engine::EngineParts;
        use crate::domain::inventory::{Inventory, Source};
        use crate::domain::mfa::{MfaCode, MfaError, MfaPrompt, MfaRequest};
        use crate::domain::sources::{SourceError, SourceKeys};
        use crate::domain::store::MemoryStore;
        use crate::domain::time::FixedClock;
        use crate::test_support::FakeSts;

        const INVENTORY: &str = r#"
[defaults]
region = "eu-west-1"
duration = "1h"
refresh_before = "5m"
[sources.hub]
profile = "hub"
mfa_serial = "arn:aws:iam::123456789012:mfa/alice"
[[accounts]]
name = "prod"
id = "111111111111"
  [[accounts.roles]]
  name = "admin"
  role_name = "Admin"
  source = "hub"
  mfa = true
"#;

        struct Keys;

        #[async_trait]
        impl SourceKeys for Keys {
            async fn keys(&self, _: &Source) -> Result<Credentials, SourceError> {
                Ok(Credentials::new("AKIAHUB", "long-term-secret", None, None))
            }
        }

        /// Counts the times it is asked; answers with a code.
        #[derive(Default)]
        struct Counting(AtomicUsize);

        #[async_trait]
        impl MfaPrompt for Counting {
            async fn ask(&self, _: &MfaRequest) -> Result<MfaCode, MfaError> {
                self.0.fetch_add(1, Ordering::SeqCst);
                MfaCode::parse("123456")
            }
        }

        #[tokio::test]
        async fn a_panel_job_never_asks_for_a_code_and_says_what_to_press() {
            let clock = Arc::new(FixedClock::at("2026-11-21T09:00:00Z".parse().unwrap()));
            let prompt = Arc::new(Counting::default());
            let inventory = Arc::new(Inventory::parse(Path::new("accounts.toml"), INVENTORY).unwrap());
            let engine = Engine::new(
                inventory,
                EngineParts {
                    sts: Arc::new(FakeSts::new(clock.clone())),
                    sources: Arc::new(Keys),
                    cache: SessionCache::new(Arc::new(MemoryStore::new("test"))),
                    mfa: prompt.clone(),
                    clock: clock.clone(),
                },
            );
            let admin = role("prod/admin");
            let refused = session_for_panel(&engine, &admin).await.unwrap_err();
            assert!(refused.starts_with("prod/admin: the session needs an MFA code"), "{refused}");
            assert!(refused.ends_with("press r to enter it"), "{refused}");
            assert_eq!(prompt.0.load(Ordering::SeqCst), 0, "no prompt");

            // The operator renews (the prompt answers); panel jobs then use the session, and
            // still do inside the renewal window, without asking.
            engine.session(&admin, Renewal::IfNeeded).await.unwrap();
            assert_eq!(prompt.0.load(Ordering::SeqCst), 1);
            assert!(session_for_panel(&engine, &admin).await.is_ok());
            clock.advance(std::time::Duration::from_secs(57 * 60));
            assert!(session_for_panel(&engine, &admin).await.is_ok(), "3 minutes left: used as it is");
            clock.advance(std::time::Duration::from_secs(150));
            assert!(session_for_panel(&engine, &admin).await.unwrap_err().contains(NEEDS_MFA));
            assert_eq!(prompt.0.load(Ordering::SeqCst), 1, "never asked by a panel job");
        }
    }

    #[test]
    fn a_session_keeps_its_clients_and_a_new_session_or_region_gets_new_ones() {
        let cache = ClientCache::default();
        let builds = AtomicUsize::new(0);
        let get = |role: &RoleKey, credentials: &Credentials, region: &str| {
            cache.clients(role, credentials, region, || {
                builds.fetch_add(1, Ordering::SeqCst);
                Clients {
                    sqs: Arc::new(AwsSqs::new(credentials, region, Some("http://127.0.0.1:9".to_owned()))),
                    sts: Arc::new(AwsSts::new(None)),
                }
            })
        };
        let dev = role("sandbox/dev");
        let first = get(&dev, &session("ASIAONE"), "eu-west-1");
        let again = get(&dev, &session("ASIAONE"), "eu-west-1");
        assert!(Arc::ptr_eq(&first.sqs, &again.sqs), "the same session reuses its SQS client");
        assert!(Arc::ptr_eq(&first.sts, &again.sts));
        assert_eq!(builds.load(Ordering::SeqCst), 1);

        let other_role = get(&role("prod/admin"), &session("ASIAONE"), "eu-west-1");
        assert!(!Arc::ptr_eq(&first.sqs, &other_role.sqs), "each role has its own");
        let renewed = get(&dev, &session("ASIATWO"), "eu-west-1");
        assert!(!Arc::ptr_eq(&first.sqs, &renewed.sqs), "a renewed session gets new clients");
        let moved = get(&dev, &session("ASIATWO"), "us-east-1");
        assert!(!Arc::ptr_eq(&renewed.sqs, &moved.sqs), "another region gets new clients");
        assert_eq!(builds.load(Ordering::SeqCst), 4);
        let back = get(&dev, &session("ASIATWO"), "us-east-1");
        assert!(Arc::ptr_eq(&moved.sqs, &back.sqs));
        assert_eq!(cache.entries.lock().unwrap().len(), 2, "the ended session's clients were dropped");
    }
}
