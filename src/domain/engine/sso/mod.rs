//! Identity Center layers of a plan. The sign-in's token is used while it has a minute left,
//! else renewed with its refresh token under the layer's lock (no person), else a person
//! signs in, the same order as an MFA code (`person`): shown first, holding no lock; the
//! sign-in is recorded as pending so every other process needing the same start URL shows
//! the same code and waits for the token instead of starting its own; the token is stored
//! under the layer's lock, after reading the store again.

mod commands;
mod person;

use std::time::Duration;

use super::renewal::{self, Held};
use super::resolve::Locked;
use super::{Engine, EngineError};
use crate::domain::credentials::Credentials;
use crate::domain::inventory::{RoleKey, SsoSettings};
use crate::domain::plan::{Layer, LayerKind, Plan};
use crate::domain::sso::cli_cache;
use crate::domain::sso::kept;
use crate::domain::sso::{Registration, SsoError, SsoToken};
use person::SignInPerson;

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
        let plan = self.plan(role)?;
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
        self.plans_from(layer).map(|plan| plan.role.clone()).collect()
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
