//! Where the operator's answer to an MFA request goes: held by the modal's state, sent by
//! the executor, awaited by the engine.

use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::domain::mfa::{MfaCode, MfaError};

type MfaAnswer = oneshot::Sender<Result<MfaCode, MfaError>>;

/// Where the operator's answer to an MFA request goes (the engine awaits it).
#[derive(Debug, Clone)]
pub struct MfaReply(Arc<Mutex<Option<MfaAnswer>>>);

impl MfaReply {
    pub fn new(sender: oneshot::Sender<Result<MfaCode, MfaError>>) -> Self {
        Self(Arc::new(Mutex::new(Some(sender))))
    }

    /// The asker stopped waiting (an agent caller whose time ran out).
    pub fn is_closed(&self) -> bool {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).as_ref().is_none_or(|sender| sender.is_closed())
    }

    /// Answers once; later answers are ignored (the engine has moved on).
    pub fn send(&self, answer: Result<MfaCode, MfaError>) {
        let sender = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        if let Some(sender) = sender {
            let _ = sender.send(answer);
        }
    }
}
