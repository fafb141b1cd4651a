//! The engine against fakes: an STS that records every call, fixed long-term keys, a scripted
//! MFA prompt and a clock that only moves when told. No network, no sleeps.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::{mpsc, oneshot};

use super::cache::SessionCache;
use super::clock::{Clock, FixedClock};
use super::engine::{Engine, EngineError, EngineParts, LayerStatus, Renewal, Session, SessionState};
use super::inventory::{Inventory, RoleKey};
use super::mfa::{MfaCode, MfaError, MfaPrompt, MfaRequest, REMEMBER_FOR};
use super::plan::LayerKind;
use super::store::sessions::entry_key;
use super::store::{Backend, CodeMark, MemoryStore, SecretStore, SessionStore, StoreError, StoreKey, lock};
use super::sts::StsError;
use crate::test_support::{Call, FakeSources, FakeSts, Kind, source_key};

const HUB_DEVICE: &str = "arn:aws:iam::123456789012:mfa/alice";
const PLAIN_DEVICE: &str = "arn:aws:iam::123456789012:mfa/bob";
const REJECTED_CODE: &str = "111111";

const INVENTORY: &str = r#"
[defaults]
region = "eu-west-1"
duration = "4h"
refresh_before = "5m"
session_name = "switchboard-test"

# GetSessionToken with MFA once, then every MFA role of the source without another code.
[sources.hub]
profile = "hub"
mfa_serial = "arn:aws:iam::123456789012:mfa/alice"
session_duration = "12h"

# MFA without session_duration: every AssumeRole of an MFA role carries its own code.
[sources.plain]
profile = "plain"
mfa_serial = "arn:aws:iam::123456789012:mfa/bob"

[sources.open]
profile = "open"

[[accounts]]
name = "prod"
id = "111111111111"
  [[accounts.roles]]
  name = "viewer"
  role_name = "Viewer"
  source = "open"
  duration = "1h"
  [[accounts.roles]]
  name = "base"
  role_name = "Base"
  source = "open"
  [[accounts.roles]]
  name = "deploy"
  role_name = "Deploy"
  via = "prod/base"
  [[accounts.roles]]
  name = "admin"
  role_name = "Admin"
  source = "hub"
  mfa = true
  [[accounts.roles]]
  name = "ops"
  role_name = "Ops"
  source = "hub"
  mfa = true
  [[accounts.roles]]
  name = "admin-deploy"
  role_name = "AdminDeploy"
  via = "prod/admin"
  [[accounts.roles]]
  name = "break-glass"
  role_name = "BreakGlass"
  source = "plain"
  mfa = true
  [[accounts.roles]]
  name = "emergency"
  role_name = "Emergency"
  source = "plain"
  mfa = true
"#;

// ---------------------------------------------------------------------------------------------
// Fakes
// ---------------------------------------------------------------------------------------------

enum Answer {
    Code(&'static str),
    Cancel,
}

/// Gives the queued answers in order, then `NoMoreCodes`; remembers every request.
#[derive(Default)]
struct ScriptedPrompt {
    answers: Mutex<VecDeque<Answer>>,
    requests: Mutex<Vec<MfaRequest>>,
}

impl ScriptedPrompt {
    fn push_codes(&self, codes: &[&'static str]) {
        self.answers.lock().unwrap().extend(codes.iter().map(|code| Answer::Code(code)));
    }

    fn push(&self, answer: Answer) {
        self.answers.lock().unwrap().push_back(answer);
    }

    fn requests(&self) -> Vec<MfaRequest> {
        self.requests.lock().unwrap().clone()
    }
}

#[async_trait]
impl MfaPrompt for ScriptedPrompt {
    async fn ask(&self, request: &MfaRequest) -> Result<MfaCode, MfaError> {
        self.requests.lock().unwrap().push(request.clone());
        let answer = self.answers.lock().unwrap().pop_front();
        match answer {
            Some(Answer::Code(code)) => Ok(MfaCode::parse(code).expect("scripted codes are six digits")),
            Some(Answer::Cancel) => Err(MfaError::Cancelled),
            None => Err(MfaError::NoMoreCodes { problem: request.problem.clone() }),
        }
    }
}

/// Resolves like the wrapped future, and reports once the first time it has to wait.
struct ReportWhenWaiting<F> {
    inner: Pin<Box<F>>,
    waiting: Option<mpsc::UnboundedSender<()>>,
}

impl<F: Future> Future for ReportWhenWaiting<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let poll = this.inner.as_mut().poll(cx);
        if poll.is_pending()
            && let Some(waiting) = this.waiting.take()
        {
            let _ = waiting.send(());
        }
        poll
    }
}

/// A memory store that reports every read of one watched session (after reading it).
struct WatchedStore {
    inner: MemoryStore,
}

impl WatchedStore {
    fn new() -> Self {
        Self { inner: MemoryStore::new("test") }
    }

    fn watch(&self, entry_key: String) -> mpsc::UnboundedReceiver<()> {
        let (reads, reads_rx) = mpsc::unbounded_channel();
        *self.inner.sessions().reads.lock().unwrap() = Some((entry_key, reads));
        reads_rx
    }
}

impl SecretStore for WatchedStore {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.get(key)
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.inner.set(key, value)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key)
    }

    fn backend(&self) -> &Backend {
        self.inner.backend()
    }

    fn sessions(&self) -> &Arc<SessionStore> {
        self.inner.sessions()
    }
}

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

fn start() -> Timestamp {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

fn after(at: Timestamp, by: Duration) -> Timestamp {
    at.checked_add(SignedDuration::try_from(by).unwrap()).unwrap()
}

fn key(address: &str) -> RoleKey {
    address.parse().unwrap()
}

const fn mins(minutes: u64) -> Duration {
    Duration::from_secs(minutes * 60)
}

const fn hours(hours: u64) -> Duration {
    Duration::from_secs(hours * 3600)
}

struct Harness {
    engine: Arc<Engine>,
    sts: Arc<FakeSts>,
    prompt: Arc<ScriptedPrompt>,
    clock: Arc<FixedClock>,
    store: Arc<dyn SecretStore>,
}

impl Harness {
    fn new() -> Self {
        Self::with_inventory(INVENTORY)
    }

    fn with_inventory(toml: &str) -> Self {
        Self::sharing(toml, Arc::new(MemoryStore::new("test")), Arc::new(FixedClock::at(start())))
    }

    /// Another engine (another process) on the same session store and clock.
    fn sharing(toml: &str, store: Arc<dyn SecretStore>, clock: Arc<FixedClock>) -> Self {
        Self::asking(toml, store, clock, None)
    }

    /// `sharing`, asking for codes through `mfa` (else through its `ScriptedPrompt`).
    fn asking(
        toml: &str,
        store: Arc<dyn SecretStore>,
        clock: Arc<FixedClock>,
        mfa: Option<Arc<dyn MfaPrompt>>,
    ) -> Self {
        let inventory = Arc::new(Inventory::parse(Path::new("accounts.toml"), toml).expect("test inventory is valid"));
        let sts = Arc::new(FakeSts::new(clock.clone()));
        let prompt = Arc::new(ScriptedPrompt::default());
        let engine = Engine::new(
            inventory,
            EngineParts {
                sts: sts.clone(),
                sources: Arc::new(FakeSources),
                cache: SessionCache::new(store.clone()),
                mfa: mfa.unwrap_or_else(|| prompt.clone()),
                clock: clock.clone(),
                identity_center: Arc::new(crate::domain::sso::aws::AwsIdentityCenter::default()),
                sign_in: Arc::new(crate::domain::sso::signin::NoSignIn),
            },
        );
        Self { engine: Arc::new(engine), sts, prompt, clock, store }
    }

    async fn session(&self, role: &str) -> Result<Session, EngineError> {
        self.engine.session(&key(role), Renewal::IfNeeded).await
    }

    async fn status(&self, role: &str) -> LayerStatus {
        self.engine.status(&key(role)).await.unwrap()
    }

    fn layer_id(&self, role: &str, index: usize) -> String {
        self.engine.plan(&key(role)).unwrap().layers[index].id.clone()
    }

    async fn layer_status(&self, role: &str, index: usize) -> LayerStatus {
        let layer = self.engine.plan(&key(role)).unwrap().layers[index].clone();
        self.engine.layer_status(&layer).await
    }

    fn role_arn(&self, role: &str) -> String {
        self.engine.inventory().role(&key(role)).unwrap().arn.clone()
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_role_is_assumed_once_then_served_from_the_cache() {
    let h = Harness::new();
    let first = h.session("prod/viewer").await.unwrap();
    let second = h.session("prod/viewer").await.unwrap();

    assert_eq!(
        h.sts.calls(),
        [Call {
            kind: Kind::AssumeRole,
            base: source_key("open"),
            role_arn: Some("arn:aws:iam::111111111111:role/Viewer".into()),
            duration: hours(1),
            serial: None,
            code: None,
            session_name: Some("switchboard-test".into()),
        }]
    );
    assert_eq!(first.credentials.access_key_id, "ASIAFAKE0001");
    assert_eq!(second.credentials.access_key_id, first.credentials.access_key_id);
    assert_eq!(second.credentials.secret_access_key(), "secret-1", "the cache keeps the secret too");
    assert_eq!(second.credentials.expiration, Some(after(start(), hours(1))));
    assert_eq!(second.region, "eu-west-1");
    assert!(h.prompt.requests().is_empty());
    assert_eq!(
        h.engine.cached_session(&key("prod/viewer")).await.map(|s| s.credentials.access_key_id),
        Some("ASIAFAKE0001".into())
    );
}

#[tokio::test]
async fn an_unknown_role_is_an_error_without_any_call() {
    let h = Harness::new();
    let error = h.session("prod/nobody").await.unwrap_err();
    assert!(matches!(&error, EngineError::UnknownRole(message) if message.contains("prod/nobody")), "{error:?}");
    assert!(matches!(h.engine.status(&key("prod/nobody")).await, Err(EngineError::UnknownRole(_))));
    assert!(h.sts.calls().is_empty());
}

#[tokio::test]
async fn renews_by_the_refresh_window_and_reports_the_state() {
    struct Case {
        name: &'static str,
        /// Time since the first session was made (it lasts 1h; refresh_before is 5m).
        at: Duration,
        renewal: Renewal,
        state: SessionState,
        renewed: bool,
    }
    let cases = [
        Case { name: "half-way", at: mins(30), renewal: Renewal::IfNeeded, state: SessionState::Valid, renewed: false },
        Case {
            name: "one second before refresh_before",
            at: mins(55) - Duration::from_secs(1),
            renewal: Renewal::IfNeeded,
            state: SessionState::Valid,
            renewed: false,
        },
        Case {
            name: "exactly refresh_before left",
            at: mins(55),
            renewal: Renewal::IfNeeded,
            state: SessionState::Expiring,
            renewed: true,
        },
        Case {
            name: "inside the window",
            at: mins(58),
            renewal: Renewal::IfNeeded,
            state: SessionState::Expiring,
            renewed: true,
        },
        Case {
            name: "at expiry",
            at: mins(60),
            renewal: Renewal::IfNeeded,
            state: SessionState::Expired,
            renewed: true,
        },
        Case {
            name: "past expiry",
            at: mins(61),
            renewal: Renewal::IfNeeded,
            state: SessionState::Expired,
            renewed: true,
        },
        Case {
            name: "Within a wider window than refresh_before",
            at: mins(45),
            renewal: Renewal::Within(mins(20)),
            state: SessionState::Valid,
            renewed: true,
        },
        Case {
            name: "Within a narrower window than refresh_before",
            at: mins(58),
            renewal: Renewal::Within(mins(1)),
            state: SessionState::Expiring,
            renewed: false,
        },
    ];
    for case in cases {
        let h = Harness::new();
        assert_eq!(
            h.status("prod/viewer").await,
            LayerStatus { state: SessionState::None, expires_at: None },
            "{}",
            case.name
        );
        let first = h.session("prod/viewer").await.unwrap();
        let first_expiry = after(start(), hours(1));
        assert_eq!(first.credentials.expiration, Some(first_expiry), "{}", case.name);

        h.clock.advance(case.at);
        let status = h.status("prod/viewer").await;
        assert_eq!(status.state, case.state, "{}", case.name);
        assert_eq!(status.expires_at, Some(first_expiry), "{}: status shows the cached expiry", case.name);

        let again = h.engine.session(&key("prod/viewer"), case.renewal).await.unwrap();
        let renewed = again.credentials.access_key_id != first.credentials.access_key_id;
        assert_eq!(renewed, case.renewed, "{}", case.name);
        assert_eq!(h.sts.count(Kind::AssumeRole), 1 + usize::from(case.renewed), "{}", case.name);
        if case.renewed {
            let now = h.clock.now();
            assert_eq!(
                h.status("prod/viewer").await,
                LayerStatus { state: SessionState::Valid, expires_at: Some(after(now, hours(1))) },
                "{}",
                case.name
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_behind_one_mfa_session_cost_one_code_and_one_session_token() {
    let mut toml = String::from(
        r#"
[defaults]
region = "eu-west-1"

[sources.hub]
profile = "hub"
mfa_serial = "arn:aws:iam::123456789012:mfa/alice"
session_duration = "8h"

[[accounts]]
name = "team"
id = "222222222222"
  [[accounts.roles]]
  name = "no-mfa"
  role_name = "NoMfa"
  source = "hub"
"#,
    );
    let roles: Vec<String> = (0..10).map(|i| format!("team/r{i}")).collect();
    for i in 0..10 {
        toml.push_str(&format!("  [[accounts.roles]]\n  name = \"r{i}\"\n  role_name = \"R{i}\"\n  source = \"hub\"\n  mfa = true\n  duration = \"2h\"\n"));
    }
    let h = Harness::with_inventory(&toml);
    h.prompt.push_codes(&["123456", "234567"]);

    let tasks: Vec<_> = roles
        .iter()
        .map(|role| {
            let engine = h.engine.clone();
            let role = key(role);
            tokio::spawn(async move { engine.session(&role, Renewal::IfNeeded).await })
        })
        .collect();
    let mut sessions = Vec::new();
    for task in tasks {
        sessions.push(task.await.unwrap().unwrap());
    }

    let calls = h.sts.calls();
    let session_tokens: Vec<&Call> = calls.iter().filter(|call| call.kind == Kind::SessionToken).collect();
    assert_eq!(session_tokens.len(), 1, "{calls:#?}");
    assert_eq!(session_tokens[0].base, source_key("hub"));
    assert_eq!(session_tokens[0].serial.as_deref(), Some(HUB_DEVICE));
    assert_eq!(session_tokens[0].code.as_deref(), Some("123456"));
    assert_eq!(session_tokens[0].duration, hours(8));
    let mfa_key = h.engine.cache().get(&h.layer_id("team/r0", 1), h.clock.now()).await.unwrap().access_key_id;

    let assumed: Vec<&Call> = calls.iter().filter(|call| call.kind == Kind::AssumeRole).collect();
    assert_eq!(assumed.len(), roles.len());
    for call in &assumed {
        assert_eq!(call.base, mfa_key, "every AssumeRole is signed with the MFA session");
        assert_eq!((call.serial.as_ref(), call.code.as_ref()), (None, None), "no code on the AssumeRole itself");
        assert_eq!(call.duration, hours(2));
    }
    let arns: HashSet<String> = assumed.iter().filter_map(|call| call.role_arn.clone()).collect();
    assert_eq!(arns, (0..10).map(|i| format!("arn:aws:iam::222222222222:role/R{i}")).collect());
    let keys: HashSet<&str> = sessions.iter().map(|session| session.credentials.access_key_id.as_str()).collect();
    assert_eq!(keys.len(), roles.len(), "each role has its own session");

    let requests = h.prompt.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(requests[0].device, HUB_DEVICE);
    assert_eq!(requests[0].problem, None);
    let listed: HashSet<RoleKey> = requests[0].roles.iter().cloned().collect();
    assert_eq!(
        listed,
        roles.iter().map(|role| key(role)).collect(),
        "lists every MFA role of the source and nothing else"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_for_one_role_share_one_sts_call() {
    const CALLERS: usize = 5;
    let h = Harness::new();
    let (mut entered, release) = h.sts.hold_calls();
    let (waiting_tx, mut waiting) = mpsc::unbounded_channel();

    let tasks: Vec<_> = (0..CALLERS)
        .map(|_| {
            let engine = h.engine.clone();
            let future = async move { engine.session(&key("prod/viewer"), Renewal::IfNeeded).await };
            tokio::spawn(ReportWhenWaiting { inner: Box::pin(future), waiting: Some(waiting_tx.clone()) })
        })
        .collect();

    // One caller reached STS, and every caller is parked inside `session()`.
    entered.recv().await.unwrap();
    for _ in 0..CALLERS {
        waiting.recv().await.unwrap();
    }
    assert_eq!(h.sts.calls().len(), 1, "the others wait for the call in flight instead of making their own");
    release.close();

    let mut keys = Vec::new();
    for task in tasks {
        keys.push(task.await.unwrap().unwrap().credentials.access_key_id);
    }
    assert_eq!(h.sts.calls().len(), 1);
    assert_eq!(keys, vec!["ASIAFAKE0001".to_owned(); CALLERS]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_forced_renewals_share_one_sts_call() {
    const CALLERS: usize = 3;
    let store = Arc::new(WatchedStore::new());
    let h = Harness::sharing(INVENTORY, store.clone(), Arc::new(FixedClock::at(start())));
    let first = h.session("prod/viewer").await.unwrap();
    let mut reads = store.watch(entry_key(h.engine.cache().scope(), &h.layer_id("prod/viewer", 1)));
    let (mut entered, release) = h.sts.hold_calls();

    let tasks: Vec<_> = (0..CALLERS)
        .map(|_| {
            let engine = h.engine.clone();
            tokio::spawn(async move { engine.session(&key("prod/viewer"), Renewal::Force).await })
        })
        .collect();

    // Every caller has looked at the session it wants replaced (one read each), and the one
    // holding the layer has read it again and is inside STS.
    entered.recv().await.unwrap();
    for _ in 0..=CALLERS {
        reads.recv().await.unwrap();
    }
    assert_eq!(h.sts.calls().len(), 2, "one renewal in flight");
    release.close();

    let mut keys = Vec::new();
    for task in tasks {
        keys.push(task.await.unwrap().unwrap().credentials.access_key_id);
    }
    assert_eq!(h.sts.calls().len(), 2, "the callers that waited take the renewal made meanwhile");
    assert_eq!(keys, vec!["ASIAFAKE0002".to_owned(); CALLERS]);
    assert_ne!(first.credentials.access_key_id, "ASIAFAKE0002");
}

#[tokio::test]
async fn forced_renewal_keeps_a_valid_mfa_session() {
    let h = Harness::new();
    h.prompt.push_codes(&["123456", "234567"]);
    let first = h.session("prod/admin").await.unwrap();
    let mfa_before = h.engine.cache().get(&h.layer_id("prod/admin", 1), h.clock.now()).await.unwrap();

    h.clock.advance(mins(10));
    let forced = h.engine.session(&key("prod/admin"), Renewal::Force).await.unwrap();

    assert_ne!(forced.credentials.access_key_id, first.credentials.access_key_id, "the role's session is renewed");
    assert_eq!(forced.credentials.expiration, Some(after(h.clock.now(), hours(4))));
    assert_eq!(h.sts.count(Kind::SessionToken), 1, "the MFA session is still valid");
    assert_eq!(h.prompt.requests().len(), 1, "no second code");
    let calls = h.sts.calls();
    let assumed: Vec<&Call> = calls.iter().filter(|call| call.kind == Kind::AssumeRole).collect();
    assert_eq!(assumed.len(), 2);
    assert!(assumed.iter().all(|call| call.base == mfa_before.access_key_id), "{calls:#?}");
    let mfa_after = h.engine.cache().get(&h.layer_id("prod/admin", 1), h.clock.now()).await.unwrap();
    assert_eq!(mfa_after.access_key_id, mfa_before.access_key_id);
    assert_eq!(
        h.engine.cached_session(&key("prod/admin")).await.unwrap().credentials.access_key_id,
        forced.credentials.access_key_id
    );
}

#[tokio::test]
async fn chained_role_uses_the_parent_session_and_is_capped_at_one_hour() {
    let h = Harness::new();
    assert_eq!(h.engine.inventory().defaults.duration, hours(4));
    let session = h.session("prod/deploy").await.unwrap();

    let calls = h.sts.calls();
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert_eq!(calls[0].role_arn.as_deref(), Some(h.role_arn("prod/base").as_str()));
    assert_eq!(calls[0].base, source_key("open"));
    assert_eq!(calls[0].duration, hours(4), "the parent is not chained: defaults.duration applies");
    let parent = h.engine.cached_session(&key("prod/base")).await.unwrap();
    assert_eq!(calls[1].role_arn.as_deref(), Some(h.role_arn("prod/deploy").as_str()));
    assert_eq!(
        calls[1].base, parent.credentials.access_key_id,
        "the chained role is assumed with the parent role's session"
    );
    assert_eq!(calls[1].duration, hours(1), "AWS caps role chaining at 1h");
    assert_eq!(session.credentials.expiration, Some(after(start(), hours(1))));
    assert!(matches!(
        h.engine.plan(&key("prod/deploy")).unwrap().target().kind,
        LayerKind::AssumeRole { chained: true, .. }
    ));

    // The parent's session was cached on the way.
    h.session("prod/base").await.unwrap();
    assert_eq!(h.sts.calls().len(), 2);
}

#[tokio::test]
async fn a_code_already_sent_is_never_sent_again() {
    struct Case {
        name: &'static str,
        codes: &'static [&'static str],
        second: Result<&'static str, ()>,
    }
    let cases = [
        Case { name: "no further code", codes: &["123456", "123456"], second: Err(()) },
        Case { name: "the next code", codes: &["123456", "123456", "654321"], second: Ok("654321") },
    ];
    for case in cases {
        let h = Harness::new();
        h.prompt.push_codes(case.codes);
        h.session("prod/break-glass").await.unwrap();
        let second = h.session("prod/emergency").await;

        let calls = h.sts.calls();
        assert_eq!(
            calls.iter().filter(|call| call.code.as_deref() == Some("123456")).count(),
            1,
            "{}: {calls:#?}",
            case.name
        );
        assert!(
            calls.iter().all(|call| call.kind == Kind::AssumeRole && call.serial.as_deref() == Some(PLAIN_DEVICE)),
            "{}",
            case.name
        );
        let requests = h.prompt.requests();
        assert_eq!(requests.len(), 3, "{}: {requests:#?}", case.name);
        assert_eq!(requests[0].roles, [key("prod/break-glass")], "{}", case.name);
        assert_eq!(requests[1].roles, [key("prod/emergency")], "{}", case.name);
        assert_eq!(requests[1].problem, None, "{}", case.name);
        let problem = requests[2].problem.clone().unwrap_or_default();
        assert!(problem.contains("already used"), "{}: {problem}", case.name);
        match case.second {
            Err(()) => {
                assert_eq!(calls.len(), 1, "{}", case.name);
                match second {
                    Err(EngineError::CodeReused { role, device, next_in }) => {
                        assert_eq!(role, key("prod/emergency"), "{}", case.name);
                        assert_eq!(device, PLAIN_DEVICE, "{}", case.name);
                        assert!((1..=30).contains(&next_in), "{}: {next_in}", case.name);
                    }
                    other => panic!("{}: expected CodeReused, got {other:?}", case.name),
                }
                assert_eq!(h.status("prod/emergency").await.state, SessionState::None, "{}", case.name);
            }
            Ok(code) => {
                assert_eq!(calls.len(), 2, "{}", case.name);
                assert_eq!(calls[1].code.as_deref(), Some(code), "{}", case.name);
                assert_eq!(calls[1].role_arn.as_deref(), Some(h.role_arn("prod/emergency").as_str()), "{}", case.name);
                assert_eq!(second.unwrap().credentials.access_key_id, "ASIAFAKE0002", "{}", case.name);
            }
        }
    }
}

#[tokio::test]
async fn a_rejected_code_is_asked_again() {
    struct Case {
        name: &'static str,
        role: &'static str,
        device: &'static str,
        kind: Kind,
        codes: &'static [&'static str],
        sent: &'static [&'static str],
        prompts: usize,
        outcome: Result<(), &'static str>,
    }
    let cases = [
        Case {
            name: "GetSessionToken, then a good code",
            role: "prod/admin",
            device: HUB_DEVICE,
            kind: Kind::SessionToken,
            codes: &[REJECTED_CODE, "222222"],
            sent: &[REJECTED_CODE, "222222"],
            prompts: 2,
            outcome: Ok(()),
        },
        Case {
            name: "AssumeRole, then a good code",
            role: "prod/break-glass",
            device: PLAIN_DEVICE,
            kind: Kind::AssumeRole,
            codes: &[REJECTED_CODE, "222222"],
            sent: &[REJECTED_CODE, "222222"],
            prompts: 2,
            outcome: Ok(()),
        },
        Case {
            name: "GetSessionToken, no further code",
            role: "prod/admin",
            device: HUB_DEVICE,
            kind: Kind::SessionToken,
            codes: &[REJECTED_CODE],
            sent: &[REJECTED_CODE],
            prompts: 2,
            outcome: Err("rejected"),
        },
        Case {
            name: "AssumeRole, no further code",
            role: "prod/break-glass",
            device: PLAIN_DEVICE,
            kind: Kind::AssumeRole,
            codes: &[REJECTED_CODE],
            sent: &[REJECTED_CODE],
            prompts: 2,
            outcome: Err("rejected"),
        },
        Case {
            name: "the rejected code again",
            role: "prod/break-glass",
            device: PLAIN_DEVICE,
            kind: Kind::AssumeRole,
            codes: &[REJECTED_CODE, REJECTED_CODE],
            sent: &[REJECTED_CODE],
            prompts: 3,
            outcome: Err("reused"),
        },
    ];
    for case in cases {
        let h = Harness::new();
        h.sts.reject_code(REJECTED_CODE);
        h.prompt.push_codes(case.codes);
        let result = h.session(case.role).await;

        let calls = h.sts.calls();
        let sent: Vec<&str> =
            calls.iter().filter(|call| call.kind == case.kind).filter_map(|call| call.code.as_deref()).collect();
        assert_eq!(sent, case.sent, "{}: {calls:#?}", case.name);
        assert!(
            calls.iter().filter(|call| call.code.is_some()).all(|call| call.serial.as_deref() == Some(case.device)),
            "{}",
            case.name
        );
        let requests = h.prompt.requests();
        assert_eq!(requests.len(), case.prompts, "{}: {requests:#?}", case.name);
        assert_eq!(requests[0].problem, None, "{}", case.name);
        let problem = requests[1].problem.clone().unwrap_or_default();
        assert!(problem.contains("rejected") && problem.contains("invalid MFA"), "{}: {problem}", case.name);
        match case.outcome {
            Ok(()) => {
                let session = result.unwrap_or_else(|error| panic!("{}: {error}", case.name));
                assert_eq!(h.status(case.role).await.state, SessionState::Valid, "{}", case.name);
                assert_eq!(
                    session.credentials.access_key_id,
                    h.engine.cached_session(&key(case.role)).await.unwrap().credentials.access_key_id
                );
            }
            Err("rejected") => match result {
                Err(EngineError::CodeRejected { role, device, message }) => {
                    assert_eq!((role, device.as_str()), (key(case.role), case.device), "{}", case.name);
                    assert!(message.contains("invalid MFA"), "{}: {message}", case.name);
                }
                other => panic!("{}: expected CodeRejected, got {other:?}", case.name),
            },
            Err(_) => assert!(matches!(result, Err(EngineError::CodeReused { .. })), "{}: {result:?}", case.name),
        }
        if case.outcome.is_err() {
            assert_eq!(h.status(case.role).await.state, SessionState::None, "{}", case.name);
            assert_eq!(h.layer_status(case.role, 1).await.state, SessionState::None, "{}", case.name);
        }
    }
}

#[tokio::test]
async fn used_codes_are_shared_with_other_engines_on_the_same_store() {
    for shares_store in [true, false] {
        let name = if shares_store { "same store" } else { "separate store" };
        let a = Harness::new();
        a.prompt.push_codes(&["123456"]);
        a.session("prod/break-glass").await.unwrap();
        assert_eq!(a.sts.calls()[0].code.as_deref(), Some("123456"));

        let store: Arc<dyn SecretStore> =
            if shares_store { a.store.clone() } else { Arc::new(MemoryStore::new("other")) };
        let b = Harness::sharing(INVENTORY, store, a.clock.clone());
        b.prompt.push_codes(&["123456"]);
        let result = b.session("prod/emergency").await;
        if shares_store {
            assert!(
                matches!(&result, Err(EngineError::CodeReused { device, .. }) if device == PLAIN_DEVICE),
                "{name}: {result:?}"
            );
            assert!(b.sts.calls().is_empty(), "{name}: the code engine A sent is never sent by engine B");
            let requests = b.prompt.requests();
            assert_eq!(requests.len(), 2, "{name}");
            assert!(
                requests[1].problem.as_deref().unwrap_or_default().contains("already used"),
                "{name}: {requests:#?}"
            );

            // The next code goes through, and engine A now refuses it in turn.
            b.prompt.push_codes(&["654321"]);
            b.session("prod/emergency").await.unwrap();
            assert_eq!(
                b.sts.calls().iter().map(|call| call.code.clone()).collect::<Vec<_>>(),
                [Some("654321".to_owned())]
            );
            a.prompt.push_codes(&["654321"]);
            let forced = a.engine.session(&key("prod/break-glass"), Renewal::Force).await;
            assert!(matches!(forced, Err(EngineError::CodeReused { .. })), "{name}: {forced:?}");
            assert_eq!(a.sts.calls().len(), 1, "{name}");
        } else {
            assert!(result.is_ok(), "{name}: {result:?}");
            assert_eq!(
                b.sts.calls()[0].code.as_deref(),
                Some("123456"),
                "{name}: without the shared store B cannot know"
            );
        }
    }
}

#[tokio::test]
async fn a_parent_session_rejected_as_expired_is_renewed_once() {
    struct Case {
        name: &'static str,
        role: &'static str,
        codes: &'static [&'static str],
        /// Access key ids STS rejects once with ExpiredToken.
        expire: &'static [&'static str],
        /// (kind, base) of every call, in order.
        calls: &'static [(Kind, &'static str)],
        prompts: usize,
        result: Result<&'static str, ()>,
    }
    let cases = [
        Case {
            name: "chained role, parent role session revoked",
            role: "prod/deploy",
            codes: &[],
            expire: &["ASIAFAKE0001"],
            calls: &[
                (Kind::AssumeRole, "AKIAOPEN"),
                (Kind::AssumeRole, "ASIAFAKE0001"),
                (Kind::AssumeRole, "AKIAOPEN"),
                (Kind::AssumeRole, "ASIAFAKE0002"),
            ],
            prompts: 0,
            result: Ok("ASIAFAKE0003"),
        },
        Case {
            name: "MFA session revoked",
            role: "prod/admin",
            codes: &["123456", "234567"],
            expire: &["ASIAFAKE0001"],
            calls: &[
                (Kind::SessionToken, "AKIAHUB"),
                (Kind::AssumeRole, "ASIAFAKE0001"),
                (Kind::SessionToken, "AKIAHUB"),
                (Kind::AssumeRole, "ASIAFAKE0002"),
            ],
            prompts: 2,
            result: Ok("ASIAFAKE0003"),
        },
        Case {
            name: "renewed parent rejected too: retried only once",
            role: "prod/deploy",
            codes: &[],
            expire: &["ASIAFAKE0001", "ASIAFAKE0002"],
            calls: &[
                (Kind::AssumeRole, "AKIAOPEN"),
                (Kind::AssumeRole, "ASIAFAKE0001"),
                (Kind::AssumeRole, "AKIAOPEN"),
                (Kind::AssumeRole, "ASIAFAKE0002"),
            ],
            prompts: 0,
            result: Err(()),
        },
    ];
    for case in cases {
        let h = Harness::new();
        h.prompt.push_codes(case.codes);
        for base in case.expire {
            h.sts.expire_once(base);
        }
        let result = h.session(case.role).await;
        let calls: Vec<(Kind, String)> = h.sts.calls().into_iter().map(|call| (call.kind, call.base)).collect();
        let expected: Vec<(Kind, String)> = case.calls.iter().map(|(kind, base)| (*kind, (*base).to_owned())).collect();
        assert_eq!(calls, expected, "{}", case.name);
        assert_eq!(h.prompt.requests().len(), case.prompts, "{}", case.name);
        match case.result {
            Ok(access_key_id) => {
                assert_eq!(result.unwrap().credentials.access_key_id, access_key_id, "{}", case.name);
                let parent = h.engine.cache().get(&h.layer_id(case.role, 1), h.clock.now()).await.unwrap();
                assert_eq!(
                    parent.access_key_id, "ASIAFAKE0002",
                    "{}: the renewed parent replaced the revoked one",
                    case.name
                );
            }
            Err(()) => {
                assert!(
                    matches!(
                        &result,
                        Err(EngineError::Sts { step: "AssumeRole", error: StsError::ExpiredToken { .. }, .. })
                    ),
                    "{}: {result:?}",
                    case.name
                );
                assert_eq!(h.status(case.role).await.state, SessionState::None, "{}", case.name);
            }
        }
    }
}

#[tokio::test]
async fn device_needed_names_the_device_only_when_a_code_would_be_asked() {
    struct Case {
        name: &'static str,
        before: &'static [&'static str],
        advance: Duration,
        role: &'static str,
        renewal: Renewal,
        expected: Option<&'static str>,
    }
    let cases = [
        Case {
            name: "MFA session missing",
            before: &[],
            advance: Duration::ZERO,
            role: "prod/admin",
            renewal: Renewal::IfNeeded,
            expected: Some(HUB_DEVICE),
        },
        Case {
            name: "target valid",
            before: &["prod/admin"],
            advance: Duration::ZERO,
            role: "prod/admin",
            renewal: Renewal::IfNeeded,
            expected: None,
        },
        Case {
            name: "target missing, MFA session valid",
            before: &["prod/admin"],
            advance: Duration::ZERO,
            role: "prod/ops",
            renewal: Renewal::IfNeeded,
            expected: None,
        },
        Case {
            name: "target expiring, MFA session valid",
            before: &["prod/admin"],
            advance: hours(4) - mins(2),
            role: "prod/admin",
            renewal: Renewal::IfNeeded,
            expected: None,
        },
        Case {
            name: "forced, MFA session valid",
            before: &["prod/admin"],
            advance: Duration::ZERO,
            role: "prod/admin",
            renewal: Renewal::Force,
            expected: None,
        },
        Case {
            name: "MFA session expired",
            before: &["prod/admin"],
            advance: hours(12),
            role: "prod/ops",
            renewal: Renewal::IfNeeded,
            expected: Some(HUB_DEVICE),
        },
        Case {
            name: "chained role, nothing cached",
            before: &[],
            advance: Duration::ZERO,
            role: "prod/admin-deploy",
            renewal: Renewal::IfNeeded,
            expected: Some(HUB_DEVICE),
        },
        Case {
            name: "chained role, parent valid",
            before: &["prod/admin"],
            advance: Duration::ZERO,
            role: "prod/admin-deploy",
            renewal: Renewal::IfNeeded,
            expected: None,
        },
        Case {
            name: "code on AssumeRole, nothing cached",
            before: &[],
            advance: Duration::ZERO,
            role: "prod/break-glass",
            renewal: Renewal::IfNeeded,
            expected: Some(PLAIN_DEVICE),
        },
        Case {
            name: "code on AssumeRole, target valid",
            before: &["prod/break-glass"],
            advance: Duration::ZERO,
            role: "prod/break-glass",
            renewal: Renewal::IfNeeded,
            expected: None,
        },
        Case {
            name: "code on AssumeRole, forced",
            before: &["prod/break-glass"],
            advance: Duration::ZERO,
            role: "prod/break-glass",
            renewal: Renewal::Force,
            expected: Some(PLAIN_DEVICE),
        },
        Case {
            name: "no MFA anywhere",
            before: &[],
            advance: Duration::ZERO,
            role: "prod/viewer",
            renewal: Renewal::IfNeeded,
            expected: None,
        },
    ];
    for case in cases {
        let h = Harness::new();
        h.prompt.push_codes(&["100001", "100002", "100003"]);
        for role in case.before {
            h.session(role).await.unwrap();
        }
        h.clock.advance(case.advance);
        let (calls, prompts) = (h.sts.calls().len(), h.prompt.requests().len());
        let device = h.engine.device_needed(&key(case.role), case.renewal).await.unwrap();
        assert_eq!(device.as_deref(), case.expected, "{}", case.name);
        assert_eq!(
            (h.sts.calls().len(), h.prompt.requests().len()),
            (calls, prompts),
            "{}: no network, no prompt",
            case.name
        );
    }
}

#[tokio::test]
async fn a_cancelled_prompt_fails_and_caches_nothing() {
    for (role, device) in [("prod/admin", HUB_DEVICE), ("prod/break-glass", PLAIN_DEVICE)] {
        let h = Harness::new();
        h.prompt.push(Answer::Cancel);
        let error = h.session(role).await.unwrap_err();
        assert_eq!(
            error,
            EngineError::Mfa { role: key(role), device: device.to_owned(), error: MfaError::Cancelled },
            "{role}"
        );
        assert_eq!(error.mfa_device(), Some(device), "{role}");
        assert!(h.sts.calls().is_empty(), "{role}");
        assert_eq!(h.prompt.requests().len(), 1, "{role}: a cancel is not asked again");

        let plan = h.engine.plan(&key(role)).unwrap().clone();
        for layer in &plan.layers[1..] {
            assert_eq!(h.engine.cache().metadata(&layer.id), None, "{role}: {}", layer.label());
            assert_eq!(h.engine.layer_status(layer).await.state, SessionState::None, "{role}: {}", layer.label());
        }
        assert!(h.store.sessions().is_empty(), "{role}: nothing stored");

        // Nothing is left half-done: the next attempt starts from scratch.
        h.prompt.push_codes(&["123456"]);
        h.session(role).await.unwrap();
        assert_eq!(h.sts.calls().iter().filter_map(|call| call.code.clone()).collect::<Vec<_>>(), ["123456"], "{role}");
    }
}

#[tokio::test]
async fn a_stepping_stone_needs_only_a_minute_left() {
    struct Case {
        /// What is left of the 12h MFA session when the second role is asked for.
        left: Duration,
        state: SessionState,
        reused: bool,
    }
    let cases = [
        Case { left: mins(3), state: SessionState::Expiring, reused: true },
        Case { left: Duration::from_secs(61), state: SessionState::Expiring, reused: true },
        Case { left: Duration::from_secs(60), state: SessionState::Expiring, reused: false },
        Case { left: Duration::from_secs(30), state: SessionState::Expiring, reused: false },
    ];
    for case in cases {
        let name = format!("{}s left", case.left.as_secs());
        let h = Harness::new();
        h.prompt.push_codes(&["123456", "234567"]);
        h.session("prod/admin").await.unwrap();
        let mfa_key = h.engine.cache().get(&h.layer_id("prod/admin", 1), h.clock.now()).await.unwrap().access_key_id;

        h.clock.advance(hours(12) - case.left);
        let mfa_status = h.layer_status("prod/ops", 1).await;
        assert_eq!(mfa_status.state, case.state, "{name}: the MFA session is inside refresh_before");
        assert_eq!(
            h.engine.device_needed(&key("prod/ops"), Renewal::IfNeeded).await.unwrap().is_none(),
            case.reused,
            "{name}"
        );

        h.session("prod/ops").await.unwrap();
        let calls = h.sts.calls();
        let last = calls.last().unwrap();
        assert_eq!(last.role_arn.as_deref(), Some(h.role_arn("prod/ops").as_str()), "{name}");
        if case.reused {
            assert_eq!(h.sts.count(Kind::SessionToken), 1, "{name}: {calls:#?}");
            assert_eq!(h.prompt.requests().len(), 1, "{name}: no prompt");
            assert_eq!(last.base, mfa_key, "{name}");
        } else {
            assert_eq!(h.sts.count(Kind::SessionToken), 2, "{name}: {calls:#?}");
            assert_eq!(h.prompt.requests().len(), 2, "{name}");
            assert_ne!(last.base, mfa_key, "{name}");
            assert_eq!(calls[calls.len() - 2].kind, Kind::SessionToken, "{name}");
        }
    }
}

#[tokio::test]
async fn an_sts_answer_without_expiration_is_an_error_naming_the_role_and_nothing_is_cached() {
    for (role, layer) in [("prod/viewer", 1), ("prod/admin", 1), ("prod/admin", 2)] {
        let h = Harness::new();
        h.prompt.push_codes(&["123456"]);
        if layer == 2 {
            // The MFA session comes back whole; only the role's answer lacks an expiry.
            h.engine.session(&key("prod/ops"), Renewal::IfNeeded).await.unwrap();
        }
        h.sts.no_expiration.store(true, Ordering::SeqCst);
        let error = h.session(role).await.unwrap_err();
        assert!(
            matches!(&error, EngineError::Sts { role: r, error: StsError::NoExpiration, .. } if r == &key(role)),
            "{role}: {error:?}"
        );
        let shown = error.to_string();
        assert!(shown.starts_with(role) && shown.contains("without an Expiration"), "{shown}");
        let layer_id = h.layer_id(role, layer);
        assert_eq!(h.engine.cache().metadata(&layer_id), None, "{role}: nothing cached");
        assert_eq!(h.status(role).await.state, SessionState::None, "{role}");
    }
}

// ---------------------------------------------------------------------------------------------
// A person first, then the lock
// ---------------------------------------------------------------------------------------------

tokio::task_local! {
    /// Set around a request whose prompt refuses at once, without a person (as the agent's
    /// does for a caller that asks on its own terminal).
    static NO_PERSON: ();
}

type Pending = (MfaRequest, oneshot::Sender<&'static str>);

/// Reports every request and waits until the test answers it (a person taking their time);
/// requests made under `NO_PERSON` are refused at once.
struct GatedPrompt {
    asked: mpsc::UnboundedSender<Pending>,
}

impl GatedPrompt {
    fn new() -> (Arc<Self>, mpsc::UnboundedReceiver<Pending>) {
        let (asked, pending) = mpsc::unbounded_channel();
        (Arc::new(Self { asked }), pending)
    }
}

#[async_trait]
impl MfaPrompt for GatedPrompt {
    async fn ask(&self, request: &MfaRequest) -> Result<MfaCode, MfaError> {
        if NO_PERSON.try_with(|()| ()).is_ok() {
            return Err(MfaError::NoTerminal { device: request.device.clone() });
        }
        let (answer, code) = oneshot::channel();
        let _ = self.asked.send((request.clone(), answer));
        MfaCode::parse(code.await.map_err(|_| MfaError::Cancelled)?)
    }

    fn waits_for_a_person(&self) -> bool {
        NO_PERSON.try_with(|()| ()).is_err()
    }
}

/// The session store in a file, as processes share it: with its layer locks.
fn file_store(dir: &Path) -> Arc<dyn SecretStore> {
    let sessions = SessionStore::in_file(dir.to_path_buf(), StoreKey::generate().0).unwrap();
    Arc::new(MemoryStore::with_sessions(Backend::Memory { reason: "test".into() }, sessions))
}

/// A bound for what must not wait on another's prompt (a lock wait would take 60 s).
const PROMPTLY: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_lock_is_held_while_a_person_types_and_a_renewal_made_meanwhile_is_used_without_sending_the_code() {
    for (role, device, codes_on) in
        [("prod/break-glass", PLAIN_DEVICE, Kind::AssumeRole), ("prod/admin", HUB_DEVICE, Kind::SessionToken)]
    {
        let dir = tempfile::tempdir().unwrap();
        let store = file_store(dir.path());
        let clock = Arc::new(FixedClock::at(start()));
        let (prompt, mut pending) = GatedPrompt::new();
        let waiting = Harness::asking(INVENTORY, store.clone(), clock.clone(), Some(prompt));
        let typing = tokio::spawn({
            let engine = waiting.engine.clone();
            async move { engine.session(&key(role), Renewal::Force).await }
        });
        let (request, answer) = pending.recv().await.unwrap();
        assert_eq!(request.device, device, "{role}");

        // While that person takes their time, the layers they would renew are not locked…
        let plan = waiting.engine.plan(&key(role)).unwrap().clone();
        for layer in &plan.layers[1..] {
            let path = store.sessions().layer_lock_path(waiting.engine.cache().scope(), &layer.id).unwrap();
            assert!(lock::try_lock(&path).unwrap().is_some(), "{role}: the {} layer is locked", layer.label());
        }
        // …so another process with a code in hand renews them at once.
        let other = Harness::sharing(INVENTORY, store.clone(), clock.clone());
        other.prompt.push_codes(&["222222"]);
        let renewed = tokio::time::timeout(PROMPTLY, other.engine.session(&key(role), Renewal::Force))
            .await
            .unwrap_or_else(|_| panic!("{role}: blocked by the prompt of the other engine"))
            .unwrap();
        assert_eq!(other.sts.calls().iter().filter(|call| call.code.is_some()).count(), 1, "{role}");

        // The person answers at last: the store is read again under the lock, the session the
        // other engine made is used, and the code is neither sent nor marked used.
        answer.send("111111").unwrap();
        let session = typing.await.unwrap().unwrap();
        assert_eq!(session.credentials.access_key_id, renewed.credentials.access_key_id, "{role}");
        assert!(waiting.sts.calls().is_empty(), "{role}: {:#?}", waiting.sts.calls());
        assert!(pending.try_recv().is_err(), "{role}: asked once");
        let mark = waiting.engine.cache().mark_code_used(device, "111111", clock.now(), REMEMBER_FOR).await;
        assert_eq!(mark, Ok(CodeMark::Fresh), "{role}: the code is still unused");
        assert_eq!(other.sts.count(codes_on), 1, "{role}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_person_is_asked_per_device_and_a_caller_without_one_is_not_queued_behind_them() {
    let (prompt, mut pending) = GatedPrompt::new();
    let h =
        Harness::asking(INVENTORY, Arc::new(MemoryStore::new("test")), Arc::new(FixedClock::at(start())), Some(prompt));
    let first = tokio::spawn({
        let engine = h.engine.clone();
        async move { engine.session(&key("prod/admin"), Renewal::IfNeeded).await }
    });
    let (_, answer) = pending.recv().await.unwrap();
    // Another role behind the same MFA session waits for that person's code…
    let queued = tokio::spawn({
        let engine = h.engine.clone();
        async move { engine.session(&key("prod/ops"), Renewal::IfNeeded).await }
    });
    // …but a caller that would be refused at once (it asks on its own terminal) is told so now.
    let refused =
        tokio::time::timeout(PROMPTLY, NO_PERSON.scope((), h.engine.session(&key("prod/ops"), Renewal::IfNeeded)))
            .await
            .expect("queued behind another caller's prompt");
    assert!(matches!(refused, Err(EngineError::Mfa { error: MfaError::NoTerminal { .. }, .. })), "{refused:?}");

    answer.send("123456").unwrap();
    first.await.unwrap().unwrap();
    queued.await.unwrap().unwrap();
    assert!(pending.try_recv().is_err(), "one prompt for the device");
    assert_eq!(h.sts.count(Kind::SessionToken), 1);
}

// ---------------------------------------------------------------------------------------------
// Never renewing for nothing
// ---------------------------------------------------------------------------------------------

const SHORT_SESSIONS: &str = r#"
[defaults]
region = "eu-west-1"
duration = "15m"
refresh_before = "5m"

[sources.open]
profile = "open"

[[accounts]]
name = "prod"
id = "111111111111"
  [[accounts.roles]]
  name = "base"
  role_name = "Base"
  source = "open"
  [[accounts.roles]]
  name = "deploy"
  role_name = "Deploy"
  via = "prod/base"
"#;

/// What `credential-process` asks for: 15 minutes left.
const BOTOCORE: Renewal = Renewal::Within(mins(15));

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_15_minute_session_is_handed_out_as_it_is_and_callers_that_waited_take_the_renewal() {
    const CALLERS: usize = 5;
    let h = Harness::with_inventory(SHORT_SESSIONS);
    let (mut entered, release) = h.sts.hold_calls();
    let (waiting_tx, mut waiting) = mpsc::unbounded_channel();
    let tasks: Vec<_> = (0..CALLERS)
        .map(|_| {
            let engine = h.engine.clone();
            let future = async move { engine.session(&key("prod/deploy"), BOTOCORE).await };
            tokio::spawn(ReportWhenWaiting { inner: Box::pin(future), waiting: Some(waiting_tx.clone()) })
        })
        .collect();
    // The base role's AssumeRole is in flight and every caller is parked behind it.
    entered.recv().await.unwrap();
    for _ in 0..CALLERS {
        waiting.recv().await.unwrap();
    }
    release.close();
    let mut keys = HashSet::new();
    for task in tasks {
        keys.insert(task.await.unwrap().unwrap().credentials.access_key_id);
    }
    assert_eq!(h.sts.count(Kind::AssumeRole), 2, "one call per layer: {:#?}", h.sts.calls());
    assert_eq!(keys.len(), 1);

    // Asked again and again: handed out as it is until renewing gains 5 minutes.
    for _ in 0..3 {
        h.engine.session(&key("prod/deploy"), BOTOCORE).await.unwrap();
    }
    h.clock.advance(mins(5) - Duration::from_secs(1));
    h.engine.session(&key("prod/deploy"), BOTOCORE).await.unwrap();
    h.engine.session(&key("prod/deploy"), Renewal::IfNeeded).await.unwrap();
    assert_eq!(h.sts.count(Kind::AssumeRole), 2, "{:#?}", h.sts.calls());
    h.clock.advance(Duration::from_secs(1));
    let renewed = h.engine.session(&key("prod/deploy"), BOTOCORE).await.unwrap();
    assert_eq!(h.sts.count(Kind::AssumeRole), 3, "the role alone, its parent still serves");
    assert_eq!(renewed.credentials.expiration, Some(after(h.clock.now(), mins(15))));
    assert!(!keys.contains(&renewed.credentials.access_key_id));
}
