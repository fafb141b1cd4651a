//! An STS for panels: it says who a session is and refuses to hand out sessions (the panels
//! work through sessions the engine already has).

use async_trait::async_trait;

use crate::domain::credentials::Credentials;
use crate::domain::sts::{AssumeRoleRequest, CallerIdentity, SessionTokenRequest, Sts, StsError};

pub struct IdentitySts {
    /// `None`: GetCallerIdentity is refused too (a test that must not ask STS at all).
    pub account: Option<String>,
}

impl IdentitySts {
    pub fn of(account: &str) -> Self {
        Self { account: Some(account.to_owned()) }
    }

    pub fn none() -> Self {
        Self { account: None }
    }
}

#[async_trait]
impl Sts for IdentitySts {
    async fn get_session_token(
        &self,
        _: &Credentials,
        _: &str,
        _: SessionTokenRequest,
    ) -> Result<Credentials, StsError> {
        Err(StsError::Unreachable("no sessions from this fake".into()))
    }

    async fn assume_role(&self, _: &Credentials, _: &str, _: AssumeRoleRequest) -> Result<Credentials, StsError> {
        Err(StsError::Unreachable("no sessions from this fake".into()))
    }

    async fn caller_identity(&self, _: &Credentials, _: &str) -> Result<CallerIdentity, StsError> {
        let account = self.account.as_ref().ok_or_else(|| StsError::Unreachable("no STS in these tests".into()))?;
        Ok(CallerIdentity {
            account: account.clone(),
            arn: format!("arn:aws:sts::{account}:assumed-role/Developer/switchboard-alice"),
            user_id: "AROAEXAMPLEDEVELOPER1:switchboard-alice".to_owned(),
        })
    }
}
