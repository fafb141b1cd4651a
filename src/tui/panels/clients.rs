//! SDK clients for panel jobs, built once per role session and region and reused while that
//! session lasts: a panel's jobs (a listing, then a count per 50 queues, every few seconds)
//! would otherwise build a fresh client, with its connection pool, for every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::domain::credentials::Credentials;
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
