//! The screen's MFA prompt: the engine's request becomes an action, the modal's answer
//! comes back through a oneshot. If the screen is gone, the request counts as cancelled.
//! A code given with `--mfa-code` answers the first request without the modal.

use std::sync::Mutex;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

use crate::domain::mfa::{MfaCode, MfaError, MfaPrompt, MfaRequest};

use super::action::{Action, MfaReply};

pub struct ModalPrompt {
    actions: mpsc::UnboundedSender<Action>,
    /// `--mfa-code`: answers the first request; if AWS rejects it, the modal asks.
    first_code: Mutex<Option<MfaCode>>,
}

impl ModalPrompt {
    pub fn new(actions: mpsc::UnboundedSender<Action>, first_code: Option<MfaCode>) -> Self {
        Self { actions, first_code: Mutex::new(first_code) }
    }

    fn take_first_code(&self) -> Option<MfaCode> {
        self.first_code.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
    }
}

#[async_trait]
impl MfaPrompt for ModalPrompt {
    async fn ask(&self, request: &MfaRequest) -> Result<MfaCode, MfaError> {
        if request.problem.is_none()
            && let Some(code) = self.take_first_code()
        {
            return Ok(code);
        }
        let (reply, answer) = oneshot::channel();
        let action = Action::MfaRequested {
            device: request.device.clone(),
            roles: request.roles.clone(),
            problem: request.problem.clone(),
            reply: MfaReply::new(reply),
        };
        self.actions.send(action).map_err(|_| MfaError::Cancelled)?;
        answer.await.unwrap_or(Err(MfaError::Cancelled))
    }
}
