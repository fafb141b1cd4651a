//! What a panel's job works with: the role's session and its service clients. Clients are
//! built once per role session and region (a panel's jobs — a listing, then a count per 50
//! queues, every few seconds — would otherwise build a fresh client, with its connection
//! pool, for every request) and handed out by type: `services.client::<SqsService>()`. A new
//! AWS service needs no field here; tests put fakes in with `Services::builder`.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::domain::aws::{Connection, Endpoints, Service};
use crate::domain::credentials::Credentials;
use crate::domain::engine::{Engine, Renewal, Session};
use crate::domain::inventory::RoleKey;

/// Why a job could not run: no session could be had for its role.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NoSession {
    /// Renewing needs a code, and a panel's job never asks for one by itself.
    #[error("{role}: the session needs an MFA code ({device}): press r to enter it")]
    NeedsMfa { role: RoleKey, device: String },
    /// The engine's own message (it names the role).
    #[error("{0}")]
    Failed(String),
}

/// The clients of one session, by service, built on first use.
#[derive(Default)]
struct ClientSet {
    built: Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
    /// Tests: a service without a fake gets its offline stand-in, never a real client.
    #[cfg(any(test, feature = "test-support"))]
    offline: bool,
}

impl ClientSet {
    fn get_or_connect<S: Service>(&self, connection: &Connection) -> Arc<S::Client> {
        let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(client) = built.get(&TypeId::of::<S>()).and_then(|any| any.downcast_ref::<Arc<S::Client>>()) {
            return client.clone();
        }
        #[cfg(any(test, feature = "test-support"))]
        let client = if self.offline { S::offline(connection) } else { S::connect(connection) };
        #[cfg(not(any(test, feature = "test-support")))]
        let client = S::connect(connection);
        built.insert(TypeId::of::<S>(), Box::new(client.clone()));
        client
    }

    fn put<S: Service>(&self, client: Arc<S::Client>) {
        self.built.lock().unwrap_or_else(PoisonError::into_inner).insert(TypeId::of::<S>(), Box::new(client));
    }
}

/// What a job needs: the role's session and clients for it.
pub struct Services {
    pub role: RoleKey,
    pub credentials: Credentials,
    pub region: String,
    /// Bounds the concurrent background requests of all panels (e.g. queue attributes).
    pub slots: Arc<Semaphore>,
    /// Where console sign-in tokens come from (`console::federation_url`).
    pub federation_url: String,
    connection: Connection,
    clients: Arc<ClientSet>,
}

impl Services {
    /// The service's client for this session (built on first use, then shared by every job
    /// of the session).
    pub fn client<S: Service>(&self) -> Arc<S::Client> {
        self.clients.get_or_connect::<S>(&self.connection)
    }

    /// Services for a job or a test: real clients are built on demand at `endpoints`;
    /// `with` puts a fake in first.
    pub fn builder(role: RoleKey, credentials: Credentials, region: &str) -> ServicesBuilder {
        ServicesBuilder {
            services: Services {
                role,
                connection: Connection {
                    credentials: credentials.clone(),
                    region: region.to_owned(),
                    endpoints: Endpoints::aws(),
                },
                credentials,
                region: region.to_owned(),
                slots: Arc::new(Semaphore::new(16)),
                federation_url: String::new(),
                clients: Arc::default(),
            },
        }
    }
}

pub struct ServicesBuilder {
    services: Services,
}

impl ServicesBuilder {
    pub fn endpoints(mut self, endpoints: Endpoints) -> Self {
        self.services.connection.endpoints = endpoints;
        self
    }

    pub fn slots(mut self, slots: Arc<Semaphore>) -> Self {
        self.services.slots = slots;
        self
    }

    pub fn federation_url(mut self, url: String) -> Self {
        self.services.federation_url = url;
        self
    }

    /// The client jobs get for `S` (a fake in tests).
    pub fn with<S: Service>(self, client: Arc<S::Client>) -> Self {
        self.services.clients.put::<S>(client);
        self
    }

    /// Tests: every service without a fake (`with`) gets its offline stand-in, so a panel
    /// added later never sends a test's jobs to AWS.
    #[cfg(any(test, feature = "test-support"))]
    pub fn offline(mut self) -> Self {
        let put = std::mem::take(&mut *self.services.clients.built.lock().unwrap_or_else(PoisonError::into_inner));
        self.services.clients = Arc::new(ClientSet { built: Mutex::new(put), offline: true });
        self
    }

    fn clients(mut self, clients: Arc<ClientSet>) -> Self {
        self.services.clients = clients;
        self
    }

    pub fn build(self) -> Services {
        self.services
    }
}

/// The session (by its access key id) and region the clients were built for.
struct Entry {
    access_key_id: String,
    region: String,
    clients: Arc<ClientSet>,
}

/// One entry per role: a renewed session (a new access key id) or another region replaces
/// it, so the clients of a session that ended are dropped with it.
#[derive(Clone, Default)]
pub struct ClientCache {
    entries: Arc<Mutex<HashMap<RoleKey, Entry>>>,
}

impl ClientCache {
    /// The services of a role's session, with the clients this session and region already
    /// have.
    pub fn services(&self, builder: ServicesBuilder) -> Services {
        let (role, credentials, region) =
            (&builder.services.role, &builder.services.credentials, &builder.services.region);
        // A panic elsewhere while holding the lock leaves the map whole: keep using it.
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let clients = match entries.get(role) {
            Some(entry) if entry.access_key_id == credentials.access_key_id && &entry.region == region => {
                entry.clients.clone()
            }
            _ => {
                let clients = Arc::<ClientSet>::default();
                let entry = Entry {
                    access_key_id: credentials.access_key_id.clone(),
                    region: region.clone(),
                    clients: clients.clone(),
                };
                entries.insert(role.clone(), entry);
                clients
            }
        };
        builder.clients(clients).build()
    }
}

/// A session this close to its end is renewed even for a panel job (if no code is needed).
const LAST_MINUTE: Duration = Duration::from_secs(60);

/// The session for a panel's background job, which never asks for an MFA code on its own:
/// a modal popping up while the operator reads a queue (and again for every queued job after
/// Esc) is what the operator did not ask for. A session near its end but still valid is used
/// as it is; one that cannot be had without a code is refused with why and what to press.
pub async fn session_for_panel(engine: &Engine, role: &RoleKey) -> Result<Session, NoSession> {
    let failed = |error: crate::domain::engine::EngineError| NoSession::Failed(error.to_string());
    if let Some(start_url) = engine.sign_in_needed_for(role) {
        return Err(NoSession::Failed(format!("{role} needs a sign-in to {start_url}: press r on its row to sign in")));
    }
    let renewal = match engine.device_needed(role, Renewal::IfNeeded).await.map_err(failed)? {
        None => Renewal::IfNeeded,
        Some(_) => match engine.device_needed(role, Renewal::Within(LAST_MINUTE)).await.map_err(failed)? {
            None => Renewal::Within(LAST_MINUTE),
            Some(device) => return Err(NoSession::NeedsMfa { role: role.clone(), device }),
        },
    };
    engine.session(role, renewal).await.map_err(failed)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;

    fn role(text: &str) -> RoleKey {
        let (account, role) = text.split_once('/').unwrap();
        RoleKey { account: account.into(), role: role.into() }
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
        use crate::domain::clock::FixedClock;
        use crate::domain::engine::EngineParts;
        use crate::domain::inventory::Inventory;
        use crate::domain::mfa::{MfaCode, MfaError, MfaPrompt, MfaRequest};
        use crate::domain::store::MemoryStore;
        use crate::test_support::{FakeSources, FakeSts};

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
                    sources: Arc::new(FakeSources),
                    cache: SessionCache::new(Arc::new(MemoryStore::new("test"))),
                    mfa: prompt.clone(),
                    clock: clock.clone(),
                    identity_center: Arc::new(crate::domain::sso::aws::AwsIdentityCenter::default()),
                    sign_in: Arc::new(crate::domain::sso::signin::NoSignIn),
                },
            );
            let admin = role("prod/admin");
            let refused = session_for_panel(&engine, &admin).await.unwrap_err();
            assert!(matches!(&refused, NoSession::NeedsMfa { role, .. } if *role == admin), "{refused:?}");
            let refused = refused.to_string();
            assert!(refused.starts_with("prod/admin: the session needs an MFA code"), "{refused}");
            assert!(refused.ends_with("press r to enter it"), "{refused}");
            assert_eq!(prompt.0.load(Ordering::SeqCst), 0, "no prompt");

            // The operator renews (the prompt answers); panel jobs then use the session, and
            // still do inside the renewal window, without asking.
            engine.session(&admin, Renewal::IfNeeded).await.unwrap();
            assert_eq!(prompt.0.load(Ordering::SeqCst), 1);
            assert!(session_for_panel(&engine, &admin).await.is_ok());
            clock.advance(Duration::from_secs(57 * 60));
            assert!(session_for_panel(&engine, &admin).await.is_ok(), "3 minutes left: used as it is");
            clock.advance(Duration::from_secs(150));
            assert!(matches!(session_for_panel(&engine, &admin).await, Err(NoSession::NeedsMfa { .. })));
            assert_eq!(prompt.0.load(Ordering::SeqCst), 1, "never asked by a panel job");
        }
    }

    #[test]
    fn a_session_keeps_its_clients_and_a_new_session_or_region_gets_new_ones() {
        use crate::domain::sqs::SqsService;
        use crate::domain::sts::StsService;

        let cache = ClientCache::default();
        let get = |role: &RoleKey, credentials: &Credentials, region: &str| {
            let endpoints = Endpoints::new(|_| Some("http://127.0.0.1:9".to_owned()));
            cache.services(Services::builder(role.clone(), credentials.clone(), region).endpoints(endpoints))
        };
        let dev = role("sandbox/dev");
        let first = get(&dev, &session("ASIAONE"), "eu-west-1");
        let again = get(&dev, &session("ASIAONE"), "eu-west-1");
        assert!(
            Arc::ptr_eq(&first.client::<SqsService>(), &again.client::<SqsService>()),
            "the same session reuses its SQS client"
        );
        assert!(Arc::ptr_eq(&first.client::<StsService>(), &again.client::<StsService>()));
        assert_eq!(first.clients.built.lock().unwrap().len(), 2, "one client per service, built on first use");

        let other_role = get(&role("prod/admin"), &session("ASIAONE"), "eu-west-1");
        assert!(
            !Arc::ptr_eq(&first.client::<SqsService>(), &other_role.client::<SqsService>()),
            "each role has its own"
        );
        let renewed = get(&dev, &session("ASIATWO"), "eu-west-1");
        assert!(
            !Arc::ptr_eq(&first.client::<SqsService>(), &renewed.client::<SqsService>()),
            "a renewed session gets new clients"
        );
        let moved = get(&dev, &session("ASIATWO"), "us-east-1");
        assert!(
            !Arc::ptr_eq(&renewed.client::<SqsService>(), &moved.client::<SqsService>()),
            "another region gets new clients"
        );
        let back = get(&dev, &session("ASIATWO"), "us-east-1");
        assert!(Arc::ptr_eq(&moved.client::<SqsService>(), &back.client::<SqsService>()));
        assert_eq!(cache.entries.lock().unwrap().len(), 2, "the ended session's clients were dropped");
    }

    #[test]
    fn a_fake_put_in_by_the_builder_is_the_client_jobs_get() {
        use crate::domain::sts::StsService;

        let clock = Arc::new(crate::domain::clock::FixedClock::at("2026-11-21T09:00:00Z".parse().unwrap()));
        let fake: Arc<dyn crate::domain::sts::Sts> = Arc::new(crate::test_support::FakeSts::new(clock));
        let services = Services::builder(role("sandbox/dev"), session("ASIAONE"), "eu-west-1")
            .with::<StsService>(fake.clone())
            .build();
        assert!(Arc::ptr_eq(&services.client::<StsService>(), &fake));
    }

    #[tokio::test]
    async fn offline_services_answer_from_stand_ins_and_never_build_a_real_client() {
        use crate::domain::sqs::SqsService;

        let services = Services::builder(role("sandbox/dev"), session("ASIAONE"), "eu-west-1").offline().build();
        let queues = crate::domain::sqs::list_all_queues(services.client::<SqsService>().as_ref()).await.unwrap();
        assert!(queues.is_empty(), "the stand-in holds nothing: {queues:?}");
    }
}
