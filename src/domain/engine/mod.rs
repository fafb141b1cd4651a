//! The engine: gives a role's session, renewing only the layers that need it. Concurrent
//! requests for one layer share one STS call; one prompt per MFA device at a time; a code
//! already sent is never sent again. A person is asked before any lock is taken (see
//! `person`), and a session is renewed only when that gains time (see `renewal`). The CLI
//! and the screen are both front ends of this.

mod person;
pub mod renewal;
mod resolve;
mod sso;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;

use super::cache::{Cached, SessionCache};
use super::clock::Clock;
use super::credentials::{Credentials, Freshness};
use super::inventory::{Account, Inventory, Role, RoleKey};
use super::mfa::{MfaError, MfaPrompt};
use super::plan::{Layer, LayerKind, Plan, Planner};
use super::sources::{SourceError, SourceKeys, sts_endpoint};
use super::sso::signin::SignInPrompt;
use super::sso::{IdentityCenter, SsoError};
use super::store::StoreError;
use super::sts::{CallerIdentity, Sts, StsError};
use renewal::{Held, Judged};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    UnknownRole(String),
    #[error("{role}: {error}")]
    Source { role: RoleKey, error: SourceError },
    #[error("{role}: {step} failed: {error}")]
    Sts { role: RoleKey, step: &'static str, error: StsError },
    #[error("{role}: needs an MFA code for {device}: {error}")]
    Mfa { role: RoleKey, device: String, error: MfaError },
    #[error("{role}: that MFA code for {device} was already used; enter the next code (in {next_in}s)")]
    CodeReused { role: RoleKey, device: String, next_in: i64 },
    #[error("{role}: AWS rejected the MFA code for {device}: {message}")]
    CodeRejected { role: RoleKey, device: String, message: String },
    #[error("{role}: {error}")]
    Store { role: RoleKey, error: StoreError },
    #[error(
        "{role}: sign in to {start_url} first: run `switchboard login {source_name}` (or press r on the role in the screen)"
    )]
    SignInNeeded { role: RoleKey, source_name: String, start_url: String },
    #[error("{role}: Identity Center ({start_url}): {error}")]
    SignIn { role: RoleKey, start_url: String, error: Box<SsoError> },
}

impl EngineError {
    /// The device an operator must supply a code for, when that is what stopped the request.
    pub fn mfa_device(&self) -> Option<&str> {
        match self {
            EngineError::Mfa { device, .. }
            | EngineError::CodeReused { device, .. }
            | EngineError::CodeRejected { device, .. } => Some(device),
            _ => None,
        }
    }
}

/// How much a request wants a new session of the role. Whatever it says, a session is not
/// renewed when renewing would gain it no time (`renewal::serves`), and a request that waited
/// while another renewed the layer takes that session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// Reuse the cached session unless it is missing, expired or within `refresh_before`.
    IfNeeded,
    /// Renew the role's session when less than this is left (credential_process clients
    /// refresh earlier than `refresh_before`).
    Within(Duration),
    /// Renew the role's own session (its parents only if they need it).
    Force,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub role: RoleKey,
    pub credentials: Credentials,
    pub region: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    None,
    Valid,
    Expiring,
    Expired,
}

impl SessionState {
    /// A session's state from its expiry (`Freshness::of`); `None` when it has no expiry.
    pub fn of(expires_at: Option<Timestamp>, now: Timestamp, refresh_before: Duration) -> Option<SessionState> {
        expires_at.map(|until| match Freshness::of(until, now, refresh_before) {
            Freshness::Valid => SessionState::Valid,
            Freshness::Expiring => SessionState::Expiring,
            Freshness::Expired => SessionState::Expired,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::None => "none",
            SessionState::Valid => "valid",
            SessionState::Expiring => "expiring",
            SessionState::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerStatus {
    pub state: SessionState,
    pub expires_at: Option<Timestamp>,
}

/// What the engine is built from; tests swap any part.
pub struct EngineParts {
    pub sts: Arc<dyn Sts>,
    pub sources: Arc<dyn SourceKeys>,
    pub cache: SessionCache,
    pub mfa: Arc<dyn MfaPrompt>,
    pub clock: Arc<dyn Clock>,
    /// Identity Center's two services (sign-in and the portal).
    pub identity_center: Arc<dyn IdentityCenter>,
    /// How a sign-in is shown to a person (or refused where none can be asked).
    pub sign_in: Arc<dyn SignInPrompt>,
}

pub struct Engine {
    inventory: Arc<Inventory>,
    plans: Plans,
    parts: EngineParts,
    layer_locks: KeyedLocks,
    device_locks: KeyedLocks,
    session_name: String,
}

/// Every role's plan, made when first asked for: a command about one role of 50,000 plans
/// one, and the memory of plans nobody asked for is never taken.
struct Plans {
    planner: Planner,
    /// Where each account's roles start in `made` (inventory order).
    first_of_account: Vec<usize>,
    /// `None` inside: a role that has no plan (its source or parent is missing). Boxed: a
    /// cell is 16 bytes, not 80, for each of 50,000 roles that mostly never get a plan.
    made: Vec<std::sync::OnceLock<Option<Box<Plan>>>>,
}

impl Plans {
    fn new(inventory: &Inventory) -> Self {
        let mut first_of_account = Vec::with_capacity(inventory.accounts().len());
        let mut count = 0;
        for account in inventory.accounts() {
            first_of_account.push(count);
            count += account.roles.len();
        }
        let made = std::iter::repeat_with(std::sync::OnceLock::new).take(count).collect();
        Self { planner: Planner::new(inventory), first_of_account, made }
    }

    fn made_already(&self, account: usize, index: usize) -> Option<Option<&Plan>> {
        self.made.get(self.first_of_account.get(account)? + index)?.get().map(Option::as_deref)
    }

    fn get<'a>(&'a self, inventory: &Inventory, role: &RoleKey) -> Option<&'a Plan> {
        let (account, index) = inventory.position(role)?;
        let role = &inventory.accounts()[account].roles[index];
        let cell = self.made.get(self.first_of_account.get(account)? + index)?;
        cell.get_or_init(|| self.planner.plan(inventory, role).map(Box::new)).as_deref()
    }
}

#[derive(Default)]
struct KeyedLocks(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl KeyedLocks {
    fn get(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        locks.entry(key.to_owned()).or_default().clone()
    }
}

impl Engine {
    pub fn new(inventory: Arc<Inventory>, mut parts: EngineParts) -> Self {
        parts.cache = parts.cache.scoped(session_scope(&inventory));
        let plans = Plans::new(&inventory);
        let session_name = inventory.defaults.session_name.clone().unwrap_or_else(default_session_name);
        Self {
            inventory,
            plans,
            parts,
            layer_locks: KeyedLocks::default(),
            device_locks: KeyedLocks::default(),
            session_name,
        }
    }

    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    pub fn cache(&self) -> &SessionCache {
        &self.parts.cache
    }

    pub fn plan(&self, role: &RoleKey) -> Option<&Plan> {
        self.plans.get(&self.inventory, role)
    }

    /// The role's plan if something asked for it already; never makes one.
    pub fn plan_if_made(&self, role: &RoleKey) -> Option<&Plan> {
        let (account, index) = self.inventory.position(role)?;
        self.plans.made_already(account, index)?
    }

    /// The plans whose first layer is `first` (a source's keys, an Identity Center sign-in):
    /// only those roles are planned.
    pub(crate) fn plans_from(&self, first: &Layer) -> impl Iterator<Item = &Plan> {
        self.inventory
            .roles()
            .filter(|(_, role)| {
                let source = self.inventory.root_source(role);
                source.is_some_and(|source| self.plans.planner.first_layer_id(source) == first.id)
            })
            .filter_map(|(_, role)| self.plan(&role.key))
    }

    /// Now in AWS time (the engine's clock): what freshness and countdowns are judged by.
    pub fn now(&self) -> Timestamp {
        self.parts.clock.now()
    }

    /// How far this machine's clock is ahead of AWS's (negative: behind), once an STS answer
    /// has shown it; the front ends say so past a minute (`clock::skew_notice`).
    pub fn clock_ahead_of_aws(&self) -> Option<jiff::SignedDuration> {
        self.parts.clock.ahead_of_aws()
    }

    /// The role's plan, or the error that names a role the inventory does not have.
    pub fn plan_or_error(&self, role: &RoleKey) -> Result<&Plan, EngineError> {
        self.plan(role).ok_or_else(|| EngineError::UnknownRole(format!("no role {role} in the inventory")))
    }

    /// The cached state of one layer from the store's metadata; no network, no decryption.
    pub async fn layer_status(&self, layer: &Layer) -> LayerStatus {
        self.layer_status_now(layer)
    }

    /// `layer_status` without awaiting: what `list` and the screen call per row.
    pub fn layer_status_now(&self, layer: &Layer) -> LayerStatus {
        if let LayerKind::SourceKeys { .. } = layer.kind {
            return LayerStatus { state: SessionState::Valid, expires_at: None };
        }
        self.stored_status(&layer.id)
    }

    /// What `list` shows of every role, in inventory order: its account, the role, and its
    /// session's state and route (`None`: the role has no plan, its source or parent is
    /// missing), without making its plan (see `plan::Listed`); from the plan when one was
    /// made already. The route is lent for the call: at 50,000 roles, the caller decides
    /// what to keep.
    pub fn each_listed<'engine>(
        &'engine self,
        mut each: impl FnMut(&'engine Account, &'engine Role, Option<(LayerStatus, &str)>),
    ) {
        let mut listed = crate::domain::plan::Listed::default();
        for (account_index, account) in self.inventory.accounts().iter().enumerate() {
            for (index, role) in account.roles.iter().enumerate() {
                if let Some(made) = self.plans.made_already(account_index, index) {
                    let status = made.map(|plan| (self.layer_status_now(plan.target()), plan.route()));
                    each(account, role, status.as_ref().map(|(status, route)| (*status, route.as_str())));
                } else if self.plans.planner.listed_into(&self.inventory, role, &mut listed) {
                    each(account, role, Some((self.stored_status(&listed.target_id), listed.route.as_str())));
                } else {
                    each(account, role, None);
                }
            }
        }
    }

    /// How the role is reached (`Plan::route`), without making its plan.
    pub fn route_of(&self, role: &Role) -> Option<String> {
        self.plans.planner.route(&self.inventory, role)
    }

    /// `route_of` into `route` (cleared first), kept from role to role; false: no plan.
    pub fn route_into(&self, role: &Role, route: &mut String) -> bool {
        self.plans.planner.route_into(&self.inventory, role, route)
    }

    fn stored_status(&self, layer_id: &str) -> LayerStatus {
        let Some(meta) = self.parts.cache.metadata(layer_id) else {
            return LayerStatus { state: SessionState::None, expires_at: None };
        };
        let state = SessionState::of(meta.expires_at, self.now(), self.inventory.defaults.refresh_before)
            .unwrap_or(SessionState::Valid);
        LayerStatus { state, expires_at: meta.expires_at }
    }

    /// The cached state of a role's own session; no network.
    pub async fn status(&self, role: &RoleKey) -> Result<LayerStatus, EngineError> {
        self.status_now(role)
    }

    /// `status` from metadata only, without awaiting: `list` calls it for thousands of roles.
    pub fn status_now(&self, role: &RoleKey) -> Result<LayerStatus, EngineError> {
        let plan = self.plan_or_error(role)?;
        Ok(self.layer_status_now(plan.target()))
    }

    /// The MFA device a renewal of this role would ask a code for right now, if any.
    pub async fn device_needed(&self, role: &RoleKey, renewal: Renewal) -> Result<Option<String>, EngineError> {
        let plan = self.plan_or_error(role)?;
        let now = self.now();
        for (index, layer) in plan.layers.iter().enumerate().rev() {
            if let LayerKind::SourceKeys { .. } | LayerKind::SsoSignIn { .. } = layer.kind {
                break;
            }
            let want = Want::of(index + 1 == plan.layers.len(), renewal, self.inventory.defaults.refresh_before);
            let cached = self.parts.cache.lookup(&layer.id, now).await;
            if cached.is_some_and(|cached| self.serves(layer, &cached, want)) {
                return Ok(None);
            }
            if let Some(device) = layer.mfa_device() {
                return Ok(Some(device.to_owned()));
            }
        }
        Ok(None)
    }

    /// The role's session, renewing what needs it.
    pub async fn session(&self, role: &RoleKey, renewal: Renewal) -> Result<Session, EngineError> {
        tracing::trace!(%role, ?renewal, "session asked for");
        let plan = self.plan_or_error(role)?;
        let credentials = self.resolve(plan, plan.layers.len() - 1, renewal).await?;
        let region = self
            .inventory
            .role(role)
            .map(|found| found.region.clone())
            .unwrap_or_else(|| self.inventory.defaults.region.as_str().into());
        Ok(Session { role: role.clone(), credentials, region: region.into() })
    }

    /// The cached session of a role if it has not expired; no network, no renewal.
    pub async fn cached_session(&self, role: &RoleKey) -> Option<Session> {
        let plan = self.plan(role)?;
        let credentials = self.parts.cache.get(&plan.target().id, self.now()).await?;
        let region = self.inventory.role(role)?.region.clone();
        Some(Session { role: role.clone(), credentials, region: region.into() })
    }

    /// GetCallerIdentity through the role's session: where the session really landed.
    pub async fn identity(&self, role: &RoleKey) -> Result<CallerIdentity, EngineError> {
        let session = self.session(role, Renewal::IfNeeded).await?;
        self.parts.sts.caller_identity(&session.credentials, &session.region).await.map_err(|error| EngineError::Sts {
            role: role.clone(),
            step: "GetCallerIdentity",
            error,
        })
    }

    /// Whether a cached session of `layer` serves what is wanted as it is (see `renewal`).
    fn serves(&self, layer: &Layer, cached: &Cached, want: Want) -> bool {
        let held = Held { expires_at: cached.credentials.expiration, obtained_at: Some(cached.obtained_at) };
        match want {
            Want::Fresh => false,
            Want::SteppingStone => renewal::serves_as_stepping_stone(held, self.now()),
            Want::Within(window) => {
                let refresh_before = self.inventory.defaults.refresh_before;
                renewal::serves(held, self.now(), Judged { window, refresh_before, asks_for: layer.duration() })
            }
        }
    }
}

/// What a request wants of one layer's cached session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// A parent, used only to reach the layer above: a minute left is enough.
    SteppingStone,
    /// The role's own session with more than this left, unless renewing gains nothing.
    Within(Duration),
    /// A new session (a forced renewal), unless one was renewed while this request waited.
    Fresh,
}

impl Want {
    fn of(is_target: bool, renewal: Renewal, refresh_before: Duration) -> Want {
        match (is_target, renewal) {
            (false, _) => Want::SteppingStone,
            (true, Renewal::Force) => Want::Fresh,
            (true, Renewal::Within(window)) => Want::Within(window),
            (true, Renewal::IfNeeded) => Want::Within(refresh_before),
        }
    }
}

/// What the engine's cache keys are scoped by: the STS endpoint sessions are made at (from
/// the inventory or the environment) and the inventory file, so a session obtained for an
/// emulator or for another inventory's same-named source is never served here.
fn session_scope(inventory: &Inventory) -> String {
    let endpoint = sts_endpoint(inventory).unwrap_or_else(|| "aws".to_owned());
    let file = std::fs::canonicalize(&inventory.path).unwrap_or_else(|_| inventory.path.clone());
    format!("{endpoint}#{}", file.display())
}

/// `switchboard-<user>`, trimmed to what RoleSessionName accepts, so CloudTrail shows who.
fn default_session_name() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "operator".to_owned());
    let cleaned: String = user.chars().filter(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(*c)).collect();
    format!("switchboard-{cleaned}").chars().take(64).collect()
}
