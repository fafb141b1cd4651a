//! Identity Center layers of a plan. The sign-in's token is used while it has a minute left,
//! else renewed with its refresh token under the layer's lock (no person), else a person
//! signs in, the same order as an MFA code (`person`): shown first, holding no lock; the
//! sign-in is recorded as pending so every other process needing the same start URL shows
//! the same code and waits for the token instead of starting its own; the token is stored
//! under the layer's lock, after reading the store again.

use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;

use super::renewal::{self, Held};
use super::resolve::Locked;
use super::{Engine, EngineError};
use crate::domain::credentials::Credentials;
use crate::domain::inventory::{RoleKey, SsoSettings};
use crate::domain::plan::{Layer, LayerKind, Plan, sign_in_plan};
use crate::domain::sso::cli_cache;
use crate::domain::sso::kept::{self, PendingSignIn};
use crate::domain::sso::signin::{self, SignInShown, Started};
use crate::domain::sso::{Registration, SsoError, SsoToken};
use crate::domain::sts::StsError;

/// How often a process waiting on another's sign-in looks for its token.
const WAIT_STEP: Duration = Duration::from_millis(250);
/// How long a waiter looks for the token once the sign-in it waited on has no record left.
const TOKEN_GRACE: Duration = Duration::from_secs(10);

impl Engine {
    /// The sign-in layer's token (see the module's order).
    pub(super) async fn sso_token(
        &self,
        plan: &Plan,
        layer: &Layer,
        sso: &SsoSettings,
    ) -> Result<SsoToken, EngineError> {
        let now = self.now();
        let cached = self.parts.cache.lookup(&layer.id, now).await;
        if let Some(found) = &cached {
            let held = Held { expires_at: found.credentials.expiration, obtained_at: Some(found.obtained_at) };
            if renewal::serves_as_stepping_stone(held, now)
                && let Some(token) = SsoToken::from_kept(&found.credentials)
            {
                tracing::trace!(role = %plan.role, "the kept Identity Center token of {} serves until {}", sso.start_url, token.expires_at);
                return Ok(token);
            }
        }
        let seen = cached.map(|found| found.credentials.access_key_id);
        if let LayerKind::SsoSignIn { source, .. } = &layer.kind
            && let Some(token) = cli_cache::read(source, sso, now, jiff::SignedDuration::from_mins(1))
        {
            // An `aws sso login` of the same session: no sign-in asked of the person.
            self.parts.cache.put(&layer.id, &token.to_kept(), now).await;
            return Ok(token);
        }
        if let Some(token) = self.refreshed(plan, layer, sso, seen.as_deref()).await? {
            self.share_with_aws_cli(layer, sso, &token);
            return Ok(token);
        }
        if !self.parts.sign_in.can_ask() {
            return Err(self.sign_in_needed(plan, layer));
        }
        let person = SignInPerson { engine: self, plan, layer, sso };
        let kept = self
            .with_person(plan, layer, seen.as_deref(), &person, |token: SsoToken| {
                Box::pin(async move { Ok(token.to_kept()) })
            })
            .await?;
        let token = SsoToken::from_kept(&kept).ok_or_else(|| self.sign_in_needed(plan, layer))?;
        self.share_with_aws_cli(layer, sso, &token);
        Ok(token)
    }

    /// With `sso_share_with_aws_cli`, the new token goes where the AWS CLI reads it too.
    fn share_with_aws_cli(&self, layer: &Layer, sso: &SsoSettings, token: &SsoToken) {
        let LayerKind::SsoSignIn { source, .. } = &layer.kind else { return };
        if !sso.share_with_aws_cli {
            return;
        }
        match cli_cache::write(source, sso, token) {
            Ok(path) => tracing::info!(
                "the Identity Center token of {} is shared with the AWS CLI in {}",
                sso.start_url,
                path.display()
            ),
            Err(error) => tracing::warn!("could not share the token of {} with the AWS CLI: {error}", sso.start_url),
        }
    }

    /// Renews the token with its refresh token, under the layer's locks; `None` when there is
    /// none to use (or it was refused: then it is forgotten, and a person must sign in).
    async fn refreshed(
        &self,
        plan: &Plan,
        layer: &Layer,
        sso: &SsoSettings,
        seen: Option<&str>,
    ) -> Result<Option<SsoToken>, EngineError> {
        let now = self.now();
        let kept = self.parts.cache.peek(&layer.id).await.and_then(|kept| SsoToken::from_kept(&kept));
        let Some(old) = kept.filter(|token| token.refreshable(now)) else { return Ok(None) };
        let guards = match self.lock_and_reread(plan, layer, seen).await? {
            Locked::Renewed(session) => return Ok(SsoToken::from_kept(&session)),
            Locked::Held(guards) => guards,
        };
        // What is stored now (another process may have refreshed with a token that rotated).
        let old = match self.parts.cache.peek(&layer.id).await.and_then(|kept| SsoToken::from_kept(&kept)) {
            Some(current) if current.refreshable(now) => current,
            _ => old,
        };
        tracing::info!(role = %plan.role, "renewing the Identity Center token of {} with its refresh token", sso.start_url);
        match self.parts.identity_center.refresh(sso, &old).await {
            Ok(grant) => {
                let token = SsoToken::from_grant(grant, old.registration.clone(), self.now(), Some(&old));
                self.keep(plan, layer, token.to_kept(), guards).await?;
                Ok(Some(token))
            }
            Err(SsoError::InvalidGrant | SsoError::InvalidClient) => {
                tracing::info!(role = %plan.role, "the refresh token of {} was refused; a sign-in is needed", sso.start_url);
                self.parts.cache.remove(&layer.id).await;
                Ok(None)
            }
            Err(error) => Err(self.sign_in_error(plan, sso, error)),
        }
    }

    /// GetRoleCredentials for a permission set layer, under its locks. A portal 401 means
    /// the sign-in ended: its token is dropped, so the row says to sign in again.
    pub(super) async fn renew_sso_role(
        &self,
        plan: &Plan,
        layer: &Layer,
        token: &Credentials,
        seen: Option<&str>,
    ) -> Result<Credentials, EngineError> {
        let LayerKind::SsoRole { account_id, permission_set, sso, .. } = &layer.kind else {
            return Err(EngineError::UnknownRole(format!("{} is no Identity Center role", plan.role)));
        };
        let token = SsoToken::from_kept(token).ok_or_else(|| self.sign_in_needed(plan, &plan.layers[0]))?;
        let guards = match self.lock_and_reread(plan, layer, seen).await? {
            Locked::Renewed(session) => return Ok(session),
            Locked::Held(guards) => guards,
        };
        tracing::info!(role = %plan.role, layer = layer.label(), "renewing: {}", layer.why());
        match self.parts.identity_center.role_credentials(sso, &token, account_id, permission_set).await {
            Ok(fresh) => self.keep(plan, layer, fresh, guards).await,
            Err(error) => {
                if error.ends_the_token() {
                    self.parts.cache.remove(&plan.layers[0].id).await;
                }
                Err(self.sign_in_error(plan, sso, error))
            }
        }
    }

    /// The start URL a renewal of this role would need a person to sign in to, if any (no
    /// token that serves, none to refresh). No network.
    pub fn sign_in_needed_for(&self, role: &RoleKey) -> Option<String> {
        let plan = self.plans.get(role)?;
        let LayerKind::SsoSignIn { sso, .. } = &plan.layers.first()?.kind else { return None };
        let now = self.now();
        let top = plan.target();
        let serves = |layer: &Layer| {
            self.parts.cache.metadata(&layer.id).is_some_and(|meta| {
                let held = Held { expires_at: meta.expires_at, obtained_at: Some(meta.obtained_at) };
                renewal::serves_as_stepping_stone(held, now)
            })
        };
        if serves(top) && top.id != plan.layers[0].id {
            return None;
        }
        let refreshable = self
            .parts
            .cache
            .peek_now(&plan.layers[0].id)
            .and_then(|kept| SsoToken::from_kept(&kept))
            .is_some_and(|token| token.refreshable(now));
        (!serves(&plan.layers[0]) && !refreshable).then(|| sso.start_url.clone())
    }

    fn sign_in_needed(&self, plan: &Plan, layer: &Layer) -> EngineError {
        let (source_name, start_url) = match &layer.kind {
            LayerKind::SsoSignIn { source, sso } => (source.clone(), sso.start_url.clone()),
            _ => (plan.source_name().to_owned(), String::new()),
        };
        EngineError::SignInNeeded { role: plan.role.clone(), source_name, start_url }
    }

    fn sign_in_error(&self, plan: &Plan, sso: &SsoSettings, error: SsoError) -> EngineError {
        EngineError::SignIn { role: plan.role.clone(), start_url: sso.start_url.clone(), error: Box::new(error) }
    }

    /// Every role whose plan goes through this sign-in: what the person unlocks.
    fn roles_of(&self, layer: &Layer) -> Vec<RoleKey> {
        self.plans
            .values()
            .filter(|plan| plan.layers.first().is_some_and(|first| first.id == layer.id))
            .map(|plan| plan.role.clone())
            .collect()
    }

    /// The registration for this start URL, reused until it nears its end.
    async fn registration(&self, sso: &SsoSettings, pkce: bool) -> Result<Registration, SsoError> {
        let id = kept::registration_id(sso);
        let now = self.now();
        if let Some(kept) = self.parts.cache.get(&format!("{id}|{pkce}"), now).await
            && let Some(registration) = Registration::from_kept(&kept)
            && registration.usable(now)
        {
            tracing::debug!(
                "reusing the client registration for {} (until {})",
                sso.start_url,
                registration.expires_at
            );
            return Ok(registration);
        }
        let registration = self.parts.identity_center.register(sso, pkce).await?;
        self.parts.cache.put(&format!("{id}|{pkce}"), &registration.to_kept(), now).await;
        Ok(registration)
    }
}

/// A person signing in, as `with_person` asks: `ask` is the whole sign-in (or the wait for
/// another process's), and the token it gives is stored by `with_person` under the lock.
struct SignInPerson<'e> {
    engine: &'e Engine,
    plan: &'e Plan,
    layer: &'e Layer,
    sso: &'e SsoSettings,
}

#[async_trait]
impl super::person::Person for SignInPerson<'_> {
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

    async fn ask(&self, failure: Option<&super::person::Failure>) -> Result<Option<SsoToken>, EngineError> {
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

    fn gave_up(&self, _failure: Option<super::person::Failure>) -> EngineError {
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

impl Engine {
    /// `login SOURCE`: the source's token, signing in when it has none that serves (or
    /// always, with `force`). Says how long the token lasts.
    pub async fn sign_in(&self, source: &str, force: bool) -> Result<String, EngineError> {
        let plan = sign_in_plan(&self.inventory, source)
            .ok_or_else(|| EngineError::UnknownRole(format!("no Identity Center source {source}")))?;
        let layer = plan.layers[0].clone();
        let LayerKind::SsoSignIn { sso, .. } = &layer.kind else {
            return Err(EngineError::UnknownRole(format!("no Identity Center source {source}")));
        };
        if force {
            self.parts.cache.remove(&layer.id).await;
        }
        let token = self.sso_token(&plan, &layer, sso).await?;
        let left = crate::domain::duration::format_duration(token.expires_at.duration_since(self.now()).unsigned_abs());
        let renewal = if token.refreshable(self.now()) {
            "renewed with its refresh token, without you, until the Identity Center session ends"
        } else {
            "no refresh token: sign in again when it ends"
        };
        Ok(format!("signed in to {}: the token lasts {left} ({renewal})", sso.start_url))
    }

    /// `logout SOURCE`: Logout at the portal (the token is revoked there), then the token
    /// and every session obtained with it are forgotten here. Role credentials already
    /// handed to a process live on until they expire (AWS's rule).
    pub async fn sign_out(&self, source: &str) -> Result<String, EngineError> {
        let plan = sign_in_plan(&self.inventory, source)
            .ok_or_else(|| EngineError::UnknownRole(format!("no Identity Center source {source}")))?;
        let layer = &plan.layers[0];
        let LayerKind::SsoSignIn { sso, .. } = &layer.kind else {
            return Err(EngineError::UnknownRole(format!("no Identity Center source {source}")));
        };
        let token = self.parts.cache.peek(&layer.id).await.and_then(|kept| SsoToken::from_kept(&kept));
        let revoked = match &token {
            Some(token) if token.expires_at > self.now() => match self.parts.identity_center.logout(sso, token).await {
                Ok(()) => "revoked at the portal".to_owned(),
                Err(SsoError::Unauthorized) => "already ended at the portal".to_owned(),
                Err(error) => format!("not revoked at the portal ({error}); forgotten here anyway"),
            },
            Some(_) => "expired already".to_owned(),
            None => "no token was kept".to_owned(),
        };
        let mut forgotten = 0;
        for other in self.plans.values().filter(|other| other.layers[0].id == layer.id) {
            for stacked in &other.layers[1..] {
                if self.parts.cache.metadata(&stacked.id).is_some() {
                    self.parts.cache.remove(&stacked.id).await;
                    forgotten += 1;
                }
            }
        }
        self.parts.cache.remove(&layer.id).await;
        Ok(format!("signed out of {}: token {revoked}; {forgotten} session(s) it gave forgotten", sso.start_url))
    }
}

impl Engine {
    /// What `import sso` lists the portal with: the services, the source's settings and a
    /// token that serves (signing in when needed, as `login` does).
    pub async fn portal_session(
        &self,
        source: &str,
    ) -> Result<(std::sync::Arc<dyn crate::domain::sso::IdentityCenter>, SsoSettings, SsoToken), EngineError> {
        let plan = sign_in_plan(&self.inventory, source)
            .ok_or_else(|| EngineError::UnknownRole(format!("no Identity Center source {source}")))?;
        let layer = plan.layers[0].clone();
        let LayerKind::SsoSignIn { sso, .. } = &layer.kind else {
            return Err(EngineError::UnknownRole(format!("no Identity Center source {source}")));
        };
        let token = self.sso_token(&plan, &layer, sso).await?;
        Ok((self.parts.identity_center.clone(), sso.clone(), token))
    }
}
