//! The screen's MFA prompt: the engine's request becomes an action, the modal's answer
//! comes back through a oneshot. If the screen is gone, the request counts as cancelled.

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

use crate::domain::mfa::{MfaCode, MfaError, MfaPrompt, MfaRequest};

use super::action::{Action, MfaReply};

pub struct ModalPrompt {
    actions: mpsc::UnboundedSender<Action>,
}

impl ModalPrompt {
    pub fn new(actions: mpsc::UnboundedSender<Action>) -> Self {
        Self { actions }
    }
}

#[async_trait]
impl MfaPrompt for ModalPrompt {
    async fn ask(&self, request: &MfaRequest) -> Result<MfaCode, MfaError> {
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
