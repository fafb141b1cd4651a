//! The engine: gives a role's session, renewing only the layers that need it. Concurrent
//! requests for one layer share one STS call; one prompt per MFA device at a time; a code
//! already sent is never sent again. The CLI and the screen are both front ends of this.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;

use super::cache::SessionCache;
use super::clock::Clock;
use super::credentials::{Credentials, Freshness};
use super::inventory::{Inventory, RoleKey};
use super::mfa::{MfaCode, MfaError, MfaPrompt, MfaRequest, REMEMBER_FOR, seconds_to_next_code};
use super::plan::{Layer, LayerKind, Plan, plans};
use super::sources::{SourceError, SourceKeys, sts_endpoint};
use super::store::{CodeMark, StoreError};
use super::sts::{AssumeRoleRequest, CallerIdentity, SessionTokenRequest, Sts, StsError};

/// A session used only as a stepping stone needs just this much life left to assume a role
/// with it; renewing it any earlier would cost an MFA code for nothing.
const STEPPING_STONE_MARGIN: Duration = Duration::from_secs(60);
const MFA_ATTEMPTS: usize = 3;

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

#[derive(Debug, Clone, PartialEq)]
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
}

pub struct Engine {
    inventory: Arc<Inventory>,
    plans: BTreeMap<RoleKey, Plan>,
    parts: EngineParts,
    layer_locks: KeyedLocks,
    device_locks: KeyedLocks,
    session_name: String,
}

#[derive(Default)]
struct KeyedLocks(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl KeyedLocks {
    fn get(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        locks.entry(key.to_owned()).or_default().clone()
    }
}

enum CodeFailure {
    Reused,
    Rejected(String),
}

impl Engine {
    pub fn new(inventory: Arc<Inventory>, mut parts: EngineParts) -> Self {
        parts.cache = parts.cache.scoped(session_scope(&inventory));
        let plans = plans(&inventory).into_iter().map(|plan| (plan.role.clone(), plan)).collect();
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
        self.plans.get(role)
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
        self.plans.get(role).ok_or_else(|| EngineError::UnknownRole(format!("no role {role} in the inventory")))
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
        let Some(meta) = self.parts.cache.metadata(&layer.id) else {
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
            if let LayerKind::SourceKeys { .. } = layer.kind {
                break;
            }
            let is_target = index + 1 == plan.layers.len();
            let cached = self.parts.cache.get(&layer.id, now).await;
            let forced = is_target && renewal == Renewal::Force;
            if !forced && cached.is_some_and(|credentials| self.usable(&credentials, is_target, renewal)) {
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
        let plan = self.plan_or_error(role)?;
        let credentials = self.resolve(plan, plan.layers.len() - 1, renewal).await?;
        let region = self
            .inventory
            .role(role)
            .map(|found| found.region.clone())
            .unwrap_or_else(|| self.inventory.defaults.region.clone());
        Ok(Session { role: role.clone(), credentials, region })
    }

    /// The cached session of a role if it has not expired; no network, no renewal.
    pub async fn cached_session(&self, role: &RoleKey) -> Option<Session> {
        let plan = self.plans.get(role)?;
        let credentials = self.parts.cache.get(&plan.target().id, self.now()).await?;
        let region = self.inventory.role(role)?.region.clone();
        Some(Session { role: role.clone(), credentials, region })
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

    fn usable(&self, credentials: &Credentials, is_target: bool, renewal: Renewal) -> bool {
        let now = self.now();
        if is_target {
            let window = match renewal {
                Renewal::Within(window) => window,
                Renewal::IfNeeded | Renewal::Force => self.inventory.defaults.refresh_before,
            };
            credentials.freshness(now, window) == Freshness::Valid
        } else {
            credentials.time_left(now).is_none_or(|left| left > STEPPING_STONE_MARGIN)
        }
    }

    fn resolve<'a>(
        &'a self,
        plan: &'a Plan,
        index: usize,
        renewal: Renewal,
    ) -> BoxFuture<'a, Result<Credentials, EngineError>> {
        Box::pin(async move {
            let layer = &plan.layers[index];
            if let LayerKind::SourceKeys { source } = &layer.kind {
                return self.source_keys(plan, source).await;
            }
            let is_target = index + 1 == plan.layers.len();
            let force = is_target && renewal == Renewal::Force;
            let seen_before = if force { self.parts.cache.get(&layer.id, self.now()).await } else { None };
            let lock = self.layer_locks.get(&layer.id);
            let _one_call_per_layer = lock.lock().await;
            let _one_call_across_processes = self
                .parts
                .cache
                .lock_layer(&layer.id, &format!("the {} layer of {}", layer.label(), plan.role))
                .await
                .map_err(|error| EngineError::Store { role: plan.role.clone(), error })?;
            if let Some(cached) = self.parts.cache.get(&layer.id, self.now()).await {
                // A forced renewal that waited behind another one takes that fresh result.
                let renewed_meanwhile =
                    seen_before.as_ref().map(|before| &before.access_key_id) != Some(&cached.access_key_id);
                let reuse = if force { renewed_meanwhile } else { self.usable(&cached, is_target, renewal) };
                if reuse {
                    return Ok(cached);
                }
            }
            let mut parent = self.resolve(plan, index - 1, Renewal::IfNeeded).await?;
            let fresh = match self.renew(plan, layer, &parent).await {
                // The parent session was revoked or expired early: renew it once and retry.
                Err(EngineError::Sts { error: StsError::ExpiredToken { .. }, .. }) if index >= 2 => {
                    let parent_layer = &plan.layers[index - 1];
                    tracing::info!(role = %plan.role, layer = parent_layer.label(), "parent session rejected as expired; renewing it");
                    self.parts.cache.remove(&parent_layer.id).await;
                    parent = self.resolve(plan, index - 1, Renewal::IfNeeded).await?;
                    self.renew(plan, layer, &parent).await?
                }
                other => other?,
            };
            if fresh.expiration.is_none() {
                let step =
                    if matches!(layer.kind, LayerKind::MfaSession { .. }) { "GetSessionToken" } else { "AssumeRole" };
                return Err(EngineError::Sts { role: plan.role.clone(), step, error: StsError::NoExpiration });
            }
            self.parts.cache.put(&layer.id, &fresh, self.now()).await;
            Ok(fresh)
        })
    }

    async fn source_keys(&self, plan: &Plan, source_name: &str) -> Result<Credentials, EngineError> {
        let source = self
            .inventory
            .source(source_name)
            .ok_or_else(|| EngineError::UnknownRole(format!("no source {source_name}")))?;
        self.parts.sources.keys(source).await.map_err(|error| EngineError::Source { role: plan.role.clone(), error })
    }

    async fn renew(&self, plan: &Plan, layer: &Layer, parent: &Credentials) -> Result<Credentials, EngineError> {
        tracing::info!(role = %plan.role, layer = layer.label(), "renewing: {}", layer.why());
        let sts = &self.parts.sts;
        match &layer.kind {
            LayerKind::SourceKeys { .. } => Ok(parent.clone()),
            LayerKind::MfaSession { device, duration, region, .. } => {
                self.with_code(plan, layer, device, "GetSessionToken", |code| {
                    let request = SessionTokenRequest { duration: *duration, mfa: Some((device.clone(), code)) };
                    Box::pin(sts.get_session_token(parent, region, request))
                })
                .await
            }
            LayerKind::AssumeRole {
                arn, duration, mfa_device, external_id, region, session_name, attributes, ..
            } => {
                let request = |mfa: Option<(String, MfaCode)>| AssumeRoleRequest {
                    role_arn: arn.clone(),
                    session_name: session_name.clone().unwrap_or_else(|| self.session_name.clone()),
                    duration: *duration,
                    external_id: external_id.clone(),
                    mfa,
                    attributes: attributes.clone(),
                };
                match mfa_device {
                    Some(device) => {
                        self.with_code(plan, layer, device, "AssumeRole", |code| {
                            Box::pin(sts.assume_role(parent, region, request(Some((device.clone(), code)))))
                        })
                        .await
                    }
                    None => sts.assume_role(parent, region, request(None)).await.map_err(|error| EngineError::Sts {
                        role: plan.role.clone(),
                        step: "AssumeRole",
                        error,
                    }),
                }
            }
        }
    }

    /// Asks for a code (one prompt per device at a time), refuses codes already sent, and
    /// asks again when AWS rejects one, a few times at most.
    async fn with_code<'c>(
        &self,
        plan: &Plan,
        layer: &Layer,
        device: &str,
        step: &'static str,
        call: impl Fn(MfaCode) -> BoxFuture<'c, Result<Credentials, StsError>>,
    ) -> Result<Credentials, EngineError> {
        let device_lock = self.device_locks.get(device);
        let _one_prompt_per_device = device_lock.lock().await;
        let roles: Vec<RoleKey> = self
            .plans
            .values()
            .filter(|other| other.layers.iter().any(|l| l.id == layer.id))
            .map(|other| other.role.clone())
            .collect();
        let role = plan.role.clone();
        let mut failure: Option<CodeFailure> = None;
        for _ in 0..MFA_ATTEMPTS {
            let problem = failure.as_ref().map(|failure| match failure {
                CodeFailure::Reused => {
                    format!("that code was already used; enter the next one (in {}s)", seconds_to_next_code(self.now()))
                }
                CodeFailure::Rejected(message) => format!("AWS rejected the code: {message}"),
            });
            let request = MfaRequest { device: device.to_owned(), roles: roles.clone(), problem, caller: None };
            let code = match self.parts.mfa.ask(&request).await {
                Ok(code) => code,
                Err(MfaError::NoMoreCodes { .. }) if failure.is_some() => break,
                Err(error) => return Err(EngineError::Mfa { role, device: device.to_owned(), error }),
            };
            // Checked and marked in one step under the store's lock, before the code is sent:
            // of two processes holding the same code, only one sends it.
            let mark = self.parts.cache.mark_code_used(device, code.as_str(), self.now(), REMEMBER_FOR).await;
            match mark {
                Ok(CodeMark::Fresh) => {}
                Ok(CodeMark::AlreadyUsed) => {
                    failure = Some(CodeFailure::Reused);
                    continue;
                }
                Err(error) => return Err(EngineError::Store { role, error }),
            }
            match call(code).await {
                Ok(credentials) => return Ok(credentials),
                Err(StsError::InvalidMfaCode { message }) => failure = Some(CodeFailure::Rejected(message)),
                Err(error) => return Err(EngineError::Sts { role, step, error }),
            }
        }
        Err(match failure {
            Some(CodeFailure::Reused) => {
                EngineError::CodeReused { role, device: device.to_owned(), next_in: seconds_to_next_code(self.now()) }
            }
            Some(CodeFailure::Rejected(message)) => {
                EngineError::CodeRejected { role, device: device.to_owned(), message }
            }
            None => EngineError::Mfa { role, device: device.to_owned(), error: MfaError::Cancelled },
        })
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
