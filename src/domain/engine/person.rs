//! Renewals that need a person: an MFA code today, a browser sign-in later. The order is
//! always the same, so a terminal where nobody types blocks nobody else:
//!
//! 1. ask the person, holding no lock;
//! 2. take the layer's locks and read the store again: if another process renewed the layer
//!    while the person took their time, use its session, and the input is not spent (not
//!    sent, not marked used), which the operator is told;
//! 3. spend the input (a code is checked and marked used) and make the exchange;
//! 4. release the locks.
//!
//! In one process one person is asked per device at a time: a caller queued behind an ask
//! for the same device finds that ask's session when its turn comes, without asking again.

use async_trait::async_trait;

use super::resolve::{Locked, sts_error};
use super::{BoxFuture, Engine, EngineError};
use crate::domain::credentials::Credentials;
use crate::domain::inventory::RoleKey;
use crate::domain::mfa::{MfaCode, MfaError, MfaRequest, REMEMBER_FOR, seconds_to_next_code};
use crate::domain::plan::{Layer, Plan};
use crate::domain::store::CodeMark;
use crate::domain::sts::StsError;

/// A person is asked this many times at most for one renewal.
const ASKS: usize = 3;

/// What was wrong with the previous input, told when asking again.
pub(super) enum Failure {
    /// Spent already (by this process or another).
    Reused,
    /// Refused by the exchange, with its message.
    Rejected(String),
}

/// What a person gives for a renewal, and how it is asked for and spent.
#[async_trait]
pub(super) trait Person: Send + Sync {
    type Given: Send;

    /// The input, in messages: "the MFA code".
    fn what(&self) -> &'static str;
    /// One ask per key at a time in this process (the MFA device).
    fn key(&self) -> &str;
    /// Whether asking waits for a person; one that does not is not queued behind another ask.
    fn waits(&self) -> bool;
    /// Asks; `Ok(None)` when no further input comes after a failed one.
    async fn ask(&self, failure: Option<&Failure>) -> Result<Option<Self::Given>, EngineError>;
    /// Under the layer's locks, right before the exchange: checks and records the input as
    /// spent; `false` when it was spent already.
    async fn spend(&self, given: &Self::Given) -> Result<bool, EngineError>;
    /// The exchange's error as a refusal of the input (then the person is asked again).
    fn refused(&self, error: &StsError) -> Option<String>;
    /// The error once the person has been asked enough (or gave nothing more).
    fn gave_up(&self, failure: Option<Failure>) -> EngineError;
    /// Tells the person their input was not needed (`message`, one line): another process
    /// renewed meanwhile, and the input was not spent.
    fn not_needed(&self, message: &str);
}

impl Engine {
    /// Renews `layer` with what `person` gives (see the module's order). `seen` is the
    /// session this request found first; `exchange` makes the STS call with the input.
    pub(super) async fn with_person<'c, P: Person>(
        &self,
        plan: &Plan,
        layer: &Layer,
        seen: Option<&str>,
        person: &P,
        exchange: impl Fn(P::Given) -> BoxFuture<'c, Result<Credentials, StsError>> + Send,
    ) -> Result<Credentials, EngineError> {
        let queue = self.device_locks.get(person.key());
        let _one_ask_at_a_time = if person.waits() { Some(queue.lock_owned().await) } else { None };
        // Queued behind another ask, whose renewal may be just what this request needs.
        if let Some(renewed) = self.renewed_since(plan, layer, seen).await {
            return Ok(renewed);
        }
        tracing::info!(role = %plan.role, layer = layer.label(), "renewing: {}", layer.why());
        let mut failure = None;
        for _ in 0..ASKS {
            let Some(given) = person.ask(failure.as_ref()).await? else { break };
            let guards = match self.lock_and_reread(plan, layer, seen).await? {
                Locked::Renewed(session) => {
                    let (role, label, what) = (&plan.role, layer.label(), person.what());
                    let message = format!(
                        "{role}: {what} was not needed: the {label} layer of {role} was renewed meanwhile by another process; using that session ({what} was not sent and is not marked used)"
                    );
                    tracing::debug!("{message}");
                    person.not_needed(&message);
                    return Ok(session);
                }
                Locked::Held(guards) => guards,
            };
            if !person.spend(&given).await? {
                failure = Some(Failure::Reused);
                continue;
            }
            match exchange(given).await {
                Ok(fresh) => return self.keep(plan, layer, fresh, guards).await,
                Err(error) => match person.refused(&error) {
                    Some(message) => failure = Some(Failure::Rejected(message)),
                    None => return Err(sts_error(plan, layer, error)),
                },
            }
            // The locks go here: the next ask holds none.
        }
        Err(person.gave_up(failure))
    }

    /// `with_person` for a layer whose renewal carries a code from `device`.
    pub(super) async fn with_code(
        &self,
        plan: &Plan,
        layer: &Layer,
        device: &str,
        parent: &Credentials,
        seen: Option<&str>,
    ) -> Result<Credentials, EngineError> {
        // Every plan through this layer starts where this plan does.
        let roles = self
            .plans_from(&plan.layers[0])
            .filter(|other| other.layers.iter().any(|l| l.id == layer.id))
            .map(|other| other.role.clone())
            .collect();
        let codes = MfaCodes { engine: self, role: &plan.role, device, roles };
        self.with_person(plan, layer, seen, &codes, |code| Box::pin(self.call_sts(layer, parent, Some(code)))).await
    }
}

/// The codes of one MFA device, asked through the engine's prompt.
struct MfaCodes<'e> {
    engine: &'e Engine,
    role: &'e RoleKey,
    device: &'e str,
    /// Every role the code unlocks (those sharing the layer), shown when asking.
    roles: Vec<RoleKey>,
}

#[async_trait]
impl Person for MfaCodes<'_> {
    type Given = MfaCode;

    fn what(&self) -> &'static str {
        "the MFA code"
    }

    fn key(&self) -> &str {
        self.device
    }

    fn waits(&self) -> bool {
        self.engine.parts.mfa.waits_for_a_person()
    }

    async fn ask(&self, failure: Option<&Failure>) -> Result<Option<MfaCode>, EngineError> {
        let problem = failure.map(|failure| match failure {
            Failure::Reused => format!(
                "that code was already used; enter the next one (in {}s)",
                seconds_to_next_code(self.engine.now())
            ),
            Failure::Rejected(message) => format!("AWS rejected the code: {message}"),
        });
        let request = MfaRequest { device: self.device.to_owned(), roles: self.roles.clone(), problem, caller: None };
        match self.engine.parts.mfa.ask(&request).await {
            Ok(code) => Ok(Some(code)),
            Err(MfaError::NoMoreCodes { .. }) if failure.is_some() => Ok(None),
            Err(error) => Err(EngineError::Mfa { role: self.role.clone(), device: self.device.to_owned(), error }),
        }
    }

    async fn spend(&self, code: &MfaCode) -> Result<bool, EngineError> {
        // Checked and marked in one step under the store's lock, before the code is sent: of
        // two processes holding the same code, only one sends it.
        let now = self.engine.now();
        match self.engine.parts.cache.mark_code_used(self.device, code.as_str(), now, REMEMBER_FOR).await {
            Ok(CodeMark::Fresh) => Ok(true),
            Ok(CodeMark::AlreadyUsed) => Ok(false),
            Err(error) => Err(EngineError::Store { role: self.role.clone(), error }),
        }
    }

    fn refused(&self, error: &StsError) -> Option<String> {
        match error {
            StsError::InvalidMfaCode { message } => Some(message.clone()),
            _ => None,
        }
    }

    fn not_needed(&self, message: &str) {
        self.engine.parts.mfa.not_needed(self.role, self.device, message);
    }

    fn gave_up(&self, failure: Option<Failure>) -> EngineError {
        let (role, device) = (self.role.clone(), self.device.to_owned());
        match failure {
            Some(Failure::Reused) => {
                EngineError::CodeReused { role, device, next_in: seconds_to_next_code(self.engine.now()) }
            }
            Some(Failure::Rejected(message)) => EngineError::CodeRejected { role, device, message },
            None => EngineError::Mfa { role, device, error: MfaError::Cancelled },
        }
    }
}
