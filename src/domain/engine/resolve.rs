//! A role's chain, layer by layer from the role down: a layer whose cached session serves is
//! used as it is; otherwise its parent is resolved first, then the layer is renewed. A layer
//! that takes a person's input asks for it before any lock (`person`); the STS exchange is
//! made under the layer's locks, after reading the store again.

use tokio::sync::OwnedMutexGuard;

use super::renewal::{self, Held};
use super::{BoxFuture, Engine, EngineError, Renewal, Want};
use crate::domain::cache::LayerLock;
use crate::domain::credentials::Credentials;
use crate::domain::mfa::MfaCode;
use crate::domain::plan::{Layer, LayerKind, Plan};
use crate::domain::sts::{AssumeRoleRequest, SessionTokenRequest, StsError};

/// A layer's locks, this process's and the one across processes: held around one exchange.
pub(super) struct LayerGuards {
    _in_process: OwnedMutexGuard<()>,
    _across_processes: LayerLock,
}

/// What the store holds once the layer's locks are taken.
pub(super) enum Locked {
    /// A session renewed while this request waited (by another caller or process): used.
    Renewed(Credentials),
    /// Still to be renewed, by this request, under these locks.
    Held(LayerGuards),
}

impl Engine {
    pub(super) fn resolve<'a>(
        &'a self,
        plan: &'a Plan,
        index: usize,
        renewal: Renewal,
    ) -> BoxFuture<'a, Result<Credentials, EngineError>> {
        Box::pin(async move {
            let layer = &plan.layers[index];
            match &layer.kind {
                LayerKind::SourceKeys { source } => return self.source_keys(plan, source).await,
                LayerKind::SsoSignIn { sso, .. } => return self.sso_token(plan, layer, sso).await.map(|t| t.to_kept()),
                _ => {}
            }
            let want = Want::of(index + 1 == plan.layers.len(), renewal, self.inventory.defaults.refresh_before);
            let first = self.parts.cache.lookup(&layer.id, self.now()).await;
            if let Some(cached) = &first
                && self.serves(layer, cached, want)
            {
                return Ok(cached.credentials.clone());
            }
            // Any other session found in the store later was renewed while this request
            // waited (for a lock, a prompt, a person): it is taken, not judged again.
            let seen = first.map(|cached| cached.credentials.access_key_id);
            let parent = self.resolve(plan, index - 1, Renewal::IfNeeded).await?;
            match self.renew(plan, layer, &parent, seen.as_deref()).await {
                // The parent session was revoked or expired early: renew it once and retry.
                Err(EngineError::Sts { error: StsError::ExpiredToken { .. }, .. }) if index >= 2 => {
                    let parent_layer = &plan.layers[index - 1];
                    tracing::info!(role = %plan.role, layer = parent_layer.label(), "parent session rejected as expired; renewing it");
                    self.parts.cache.remove(&parent_layer.id).await;
                    let parent = self.resolve(plan, index - 1, Renewal::IfNeeded).await?;
                    self.renew(plan, layer, &parent, seen.as_deref()).await
                }
                other => other,
            }
        })
    }

    async fn source_keys(&self, plan: &Plan, source_name: &str) -> Result<Credentials, EngineError> {
        let source = self
            .inventory
            .source(source_name)
            .ok_or_else(|| EngineError::UnknownRole(format!("no source {source_name}")))?;
        self.parts.sources.keys(source).await.map_err(|error| EngineError::Source { role: plan.role.clone(), error })
    }

    /// Renews `layer` with `parent`'s session: through a person first when it takes a code.
    async fn renew(
        &self,
        plan: &Plan,
        layer: &Layer,
        parent: &Credentials,
        seen: Option<&str>,
    ) -> Result<Credentials, EngineError> {
        if let Some(device) = layer.mfa_device() {
            return self.with_code(plan, layer, device, parent, seen).await;
        }
        if let LayerKind::SsoRole { .. } = layer.kind {
            return self.renew_sso_role(plan, layer, parent, seen).await;
        }
        let guards = match self.lock_and_reread(plan, layer, seen).await? {
            Locked::Renewed(session) => return Ok(session),
            Locked::Held(guards) => guards,
        };
        tracing::info!(role = %plan.role, layer = layer.label(), "renewing: {}", layer.why());
        let fresh = self.call_sts(layer, parent, None).await.map_err(|error| sts_error(plan, layer, error))?;
        self.keep(plan, layer, fresh, guards).await
    }

    /// Takes the layer's locks (this process's, then the one across processes) and reads the
    /// store again: another caller or process may have renewed the layer meanwhile.
    pub(super) async fn lock_and_reread(
        &self,
        plan: &Plan,
        layer: &Layer,
        seen: Option<&str>,
    ) -> Result<Locked, EngineError> {
        let in_process = self.layer_locks.get(&layer.id).lock_owned().await;
        let across_processes = self
            .parts
            .cache
            .lock_layer(&layer.id, &format!("the {} layer of {}", layer.label(), plan.role))
            .await
            .map_err(|error| EngineError::Store { role: plan.role.clone(), error })?;
        if let Some(renewed) = self.renewed_since(plan, layer, seen).await {
            return Ok(Locked::Renewed(renewed));
        }
        Ok(Locked::Held(LayerGuards { _in_process: in_process, _across_processes: across_processes }))
    }

    /// The layer's session in the store if it is not the one this request saw (`seen`) and
    /// still has more than a minute: renewed meanwhile by another caller or process.
    pub(super) async fn renewed_since(&self, plan: &Plan, layer: &Layer, seen: Option<&str>) -> Option<Credentials> {
        let now = self.now();
        let cached = self.parts.cache.get(&layer.id, now).await?;
        let held = Held { expires_at: cached.expiration, obtained_at: None };
        if seen == Some(cached.access_key_id.as_str()) || !renewal::serves_as_stepping_stone(held, now) {
            return None;
        }
        tracing::debug!(role = %plan.role, "the {} layer of {} was renewed meanwhile; using that session", layer.label(), plan.role);
        Some(cached)
    }

    /// The STS call that renews `layer`, signed with `parent`'s session, carrying `code`.
    pub(super) async fn call_sts(
        &self,
        layer: &Layer,
        parent: &Credentials,
        code: Option<MfaCode>,
    ) -> Result<Credentials, StsError> {
        let sts = &self.parts.sts;
        match &layer.kind {
            // Not STS layers: resolved before any call (`resolve`, `renew`).
            LayerKind::SourceKeys { .. } | LayerKind::SsoSignIn { .. } | LayerKind::SsoRole { .. } => {
                Ok(parent.clone())
            }
            LayerKind::MfaSession { device, duration, region, .. } => {
                let request = SessionTokenRequest { duration: *duration, mfa: code.map(|code| (device.clone(), code)) };
                sts.get_session_token(parent, region, request).await
            }
            LayerKind::AssumeRole {
                arn, duration, mfa_device, external_id, region, session_name, attributes, ..
            } => {
                let request = AssumeRoleRequest {
                    role_arn: arn.clone(),
                    session_name: session_name.clone().unwrap_or_else(|| self.session_name.clone()),
                    duration: *duration,
                    external_id: external_id.clone(),
                    mfa: mfa_device.clone().zip(code),
                    attributes: attributes.clone(),
                };
                sts.assume_role(parent, region, request).await
            }
        }
    }

    /// Stores a new session, still under the layer's locks (released when this returns).
    pub(super) async fn keep(
        &self,
        plan: &Plan,
        layer: &Layer,
        fresh: Credentials,
        _guards: LayerGuards,
    ) -> Result<Credentials, EngineError> {
        if fresh.expiration.is_none() {
            return Err(sts_error(plan, layer, StsError::NoExpiration));
        }
        self.parts.cache.put(&layer.id, &fresh, self.now()).await;
        Ok(fresh)
    }
}

/// An STS failure renewing `layer`, named by its call.
pub(super) fn sts_error(plan: &Plan, layer: &Layer, error: StsError) -> EngineError {
    let step = if matches!(layer.kind, LayerKind::MfaSession { .. }) { "GetSessionToken" } else { "AssumeRole" };
    EngineError::Sts { role: plan.role.clone(), step, error }
}
