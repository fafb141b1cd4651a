//! The commands on a source's sign-in: `login`, `logout`, and the portal session `import sso`
//! lists accounts with.

use super::super::{Engine, EngineError};
use crate::domain::inventory::SsoSettings;
use crate::domain::plan::{LayerKind, sign_in_plan};
use crate::domain::sso::{SsoError, SsoToken};

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
        for other in self.plans_from(layer) {
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
