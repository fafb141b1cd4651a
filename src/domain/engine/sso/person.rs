//! The person's part of an Identity Center sign-in, as `with_person` asks for it: the whole
//! browser sign-in, or the wait for another process's (see the parent module's order).

use async_trait::async_trait;
use jiff::Timestamp;

use super::super::{Engine, EngineError};
use super::{TOKEN_GRACE, WAIT_STEP};
use crate::domain::inventory::SsoSettings;
use crate::domain::plan::{Layer, Plan};
use crate::domain::sso::kept::{self, PendingSignIn};
use crate::domain::sso::signin::{self, SignInShown, Started};
use crate::domain::sso::{Registration, SsoError, SsoToken};
use crate::domain::sts::StsError;

/// A person signing in, as `with_person` asks: `ask` is the whole sign-in (or the wait for
/// another process's), and the token it gives is stored by `with_person` under the lock.
pub(super) struct SignInPerson<'e> {
    pub(super) engine: &'e Engine,
    pub(super) plan: &'e Plan,
    pub(super) layer: &'e Layer,
    pub(super) sso: &'e SsoSettings,
}

#[async_trait]
impl super::super::person::Person for SignInPerson<'_> {
    type Given = SsoToken;

    fn what(&self) -> &'static str {
        "the sign-in"
    }

    fn key(&self) -> &str {
        &self.sso.start_url
    }

    fn waits(&self) -> bool {
        true
    }

    async fn ask(&self, failure: Option<&super::super::person::Failure>) -> Result<Option<SsoToken>, EngineError> {
        if failure.is_some() {
            return Ok(None);
        }
        let prompt = &self.engine.parts.sign_in;
        let outcome = self.sign_in().await;
        prompt.ended(&self.sso.start_url, outcome.as_ref().map(drop).map_err(ToString::to_string));
        outcome.map(Some)
    }

    async fn spend(&self, _token: &SsoToken) -> Result<bool, EngineError> {
        Ok(true)
    }

    fn refused(&self, _error: &StsError) -> Option<String> {
        None
    }

    /// A token another process stored is how a waiter's sign-in ends: nothing to tell.
    fn not_needed(&self, message: &str) {
        tracing::debug!("{message}");
    }

    fn gave_up(&self, _failure: Option<super::super::person::Failure>) -> EngineError {
        self.engine.sign_in_needed(self.plan, self.layer)
    }
}

impl SignInPerson<'_> {
    /// Waits on another process's sign-in while one stands; else starts one, records it as
    /// pending, shows it, and waits for the person.
    async fn sign_in(&self) -> Result<SsoToken, EngineError> {
        let engine = self.engine;
        let fail = |error: SsoError| engine.sign_in_error(self.plan, self.sso, error);
        loop {
            if let Some(pending) = self.pending_elsewhere().await {
                match self.wait_for_other(&pending).await {
                    Waited::Token(token) => return Ok(token),
                    Waited::Gone => continue,
                    Waited::Cancelled => return Err(fail(SsoError::Cancelled)),
                }
            }
            // Registering and starting are short steps without a person: under the record's
            // lock, so twenty processes needing a sign-in at once make one, not twenty.
            let lock = self.lock_record().await?;
            if self.pending_elsewhere().await.is_some() {
                continue;
            }
            let pkce = !engine.parts.sign_in.device_code();
            let registration = engine.registration(self.sso, pkce).await.map_err(fail)?;
            let started =
                signin::start(engine.parts.identity_center.as_ref(), self.sso, &registration).await.map_err(fail)?;
            let pending = PendingSignIn {
                url: started.url().to_owned(),
                user_code: started.user_code().map(str::to_owned),
                expires_at: started.expires_at(engine.now()),
                owner_pid: std::process::id(),
                started_at: engine.now(),
            };
            engine.parts.cache.put(&kept::pending_id(self.sso), &pending.to_kept(), engine.now()).await;
            drop(lock);
            let outcome = self.run(&pending, registration, started).await;
            engine.parts.cache.remove(&kept::pending_id(self.sso)).await;
            return outcome;
        }
    }

    /// Shows the started sign-in, opens the browser, and waits for its token.
    async fn run(
        &self,
        pending: &PendingSignIn,
        registration: Registration,
        started: Started,
    ) -> Result<SsoToken, EngineError> {
        let engine = self.engine;
        let shown = self.shown(pending, None);
        if engine.parts.sign_in.opens_browser()
            && let Err(error) = crate::domain::console::open_in_browser(&pending.url)
        {
            tracing::info!("could not start a browser ({error}); the address is shown to open by hand");
        }
        let center = engine.parts.identity_center.as_ref();
        let finishing = signin::finish(center, self.sso, &registration, started);
        let grant = tokio::select! {
            grant = finishing => grant,
            () = engine.parts.sign_in.show(&shown) => Err(SsoError::Cancelled),
        }
        .map_err(|error| engine.sign_in_error(self.plan, self.sso, error))?;
        Ok(SsoToken::from_grant(grant, registration, engine.now(), None))
    }

    fn shown(&self, pending: &PendingSignIn, started_by: Option<u32>) -> SignInShown {
        SignInShown {
            start_url: self.sso.start_url.clone(),
            roles: self.engine.roles_of(self.layer),
            url: pending.url.clone(),
            user_code: pending.user_code.clone(),
            expires_at: pending.expires_at,
            started_by,
        }
    }

    async fn pending_elsewhere(&self) -> Option<PendingSignIn> {
        let now = self.engine.now();
        let kept = self.engine.parts.cache.get(&kept::pending_id(self.sso), now).await?;
        PendingSignIn::from_kept(&kept).filter(|pending| pending.owner_pid != std::process::id() && pending.stands(now))
    }

    /// The lock around the pending record: held to read it, register, start and record a
    /// sign-in, never while a person signs in.
    async fn lock_record(&self) -> Result<crate::domain::cache::LayerLock, EngineError> {
        let id = kept::pending_id(self.sso);
        self.engine
            .parts
            .cache
            .lock_layer(&id, &format!("the sign-in record of {}", self.sso.start_url))
            .await
            .map_err(|error| EngineError::Store { role: self.plan.role.clone(), error })
    }

    /// Shows another process's sign-in and waits for the token it stores, or until that
    /// sign-in stops standing without one (its owner died, its code expired): then this
    /// process starts its own.
    async fn wait_for_other(&self, pending: &PendingSignIn) -> Waited {
        let engine = self.engine;
        let shown = self.shown(pending, Some(pending.owner_pid));
        let waiting = async {
            let mut gone_since: Option<std::time::Instant> = None;
            loop {
                tokio::time::sleep(WAIT_STEP).await;
                let now = engine.now();
                if let Some(found) = engine.parts.cache.lookup(&self.layer.id, now).await
                    && found.obtained_at >= started_before(pending.started_at)
                    && let Some(token) = SsoToken::from_kept(&found.credentials)
                {
                    return Waited::Token(token);
                }
                match self.pending_elsewhere().await {
                    Some(current) if current.started_at == pending.started_at => gone_since = None,
                    // Replaced by another sign-in: wait on that one.
                    Some(_) => return Waited::Gone,
                    // The owner takes its record away just before it stores the token: give
                    // the token a moment to appear before starting a sign-in of our own.
                    None => {
                        let since = *gone_since.get_or_insert_with(std::time::Instant::now);
                        if since.elapsed() > TOKEN_GRACE {
                            return Waited::Gone;
                        }
                    }
                }
            }
        };
        let waited = tokio::select! {
            waited = waiting => waited,
            () = engine.parts.sign_in.show(&shown) => Waited::Cancelled,
        };
        let outcome = match &waited {
            Waited::Token(_) => Ok(()),
            Waited::Gone => {
                Err(format!("the sign-in started by pid {} ended without a token; starting another", pending.owner_pid))
            }
            Waited::Cancelled => Err(SsoError::Cancelled.to_string()),
        };
        engine.parts.sign_in.ended(&self.sso.start_url, outcome);
        waited
    }
}

enum Waited {
    Token(SsoToken),
    Gone,
    Cancelled,
}

/// A token obtained by the sign-in being waited on is obtained after it started (a second
/// of slack for clocks read in two processes).
fn started_before(at: Timestamp) -> Timestamp {
    at.checked_sub(jiff::SignedDuration::from_secs(1)).unwrap_or(at)
}
