//! The screen's MFA prompt: the engine's request becomes an action, the modal's answer
//! comes back through a oneshot. If the screen is gone, the request counts as cancelled.
//! A code given with `--mfa-code` answers the first request without the modal.

use std::sync::Mutex;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

use crate::domain::inventory::RoleKey;
use crate::domain::mfa::{MfaCode, MfaError, MfaPrompt, MfaRequest};
use crate::domain::mfa_command::{self, MFA_COMMAND_TIMEOUT, MfaCommands};

use crate::tui::action::Action;
use crate::tui::base::mfa_reply::MfaReply;

pub struct ModalPrompt {
    actions: mpsc::UnboundedSender<Action>,
    /// `--mfa-code`: answers the first request; if AWS rejects it, the modal asks.
    first_code: Mutex<Option<MfaCode>>,
    /// Sources' `mfa_command`s: their code fills the modal (the operator still sends it).
    commands: MfaCommands,
}

impl ModalPrompt {
    pub fn new(actions: mpsc::UnboundedSender<Action>, first_code: Option<MfaCode>) -> Self {
        Self { actions, first_code: Mutex::new(first_code), commands: MfaCommands::default() }
    }

    pub fn with_commands(mut self, commands: MfaCommands) -> Self {
        self.commands = commands;
        self
    }

    /// Runs the device's command (first requests only) and hands its answer to the modal; never
    /// finishes, so it only runs while the modal waits, and a code typed first stops it.
    async fn fill_from_command(&self, request: &MfaRequest) {
        if let Some(command) = self.commands.command_for(&request.device).filter(|_| request.problem.is_none()) {
            let result = mfa_command::run(command, MFA_COMMAND_TIMEOUT).await;
            let _ = self.actions.send(Action::MfaCodeFilled { device: request.device.clone(), result });
        }
        std::future::pending::<()>().await;
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
            caller: request.caller.clone(),
            reply: MfaReply::new(reply),
        };
        self.actions.send(action).map_err(|_| MfaError::Cancelled)?;
        tokio::select! {
            answer = answer => answer.unwrap_or(Err(MfaError::Cancelled)),
            () = self.fill_from_command(request) => Err(MfaError::Cancelled),
        }
    }

    /// On the status line (the modal closed when the code was entered).
    fn not_needed(&self, role: &RoleKey, device: &str, message: &str) {
        tracing::info!("{message}");
        let _ = self.actions.send(Action::MfaNotNeeded { role: role.clone(), device: device.to_owned() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(problem: Option<&str>) -> MfaRequest {
        MfaRequest {
            device: "arn:aws:iam::123456789012:mfa/a".into(),
            roles: Vec::new(),
            problem: problem.map(Into::into),
            caller: None,
        }
    }

    #[tokio::test]
    async fn a_code_from_the_command_line_answers_the_first_request_only() {
        let (actions, mut shown) = mpsc::unbounded_channel();
        let prompt = ModalPrompt::new(actions, Some(MfaCode::parse("123456").unwrap()));
        assert_eq!(prompt.ask(&request(None)).await.unwrap().as_str(), "123456");
        assert!(shown.try_recv().is_err(), "no modal for the given code");
        drop(shown);
        assert_eq!(prompt.ask(&request(None)).await, Err(MfaError::Cancelled), "the next request goes to the modal");
    }

    #[tokio::test]
    async fn a_rejected_code_is_asked_again_in_the_modal() {
        let (actions, mut shown) = mpsc::unbounded_channel();
        let prompt = ModalPrompt::new(actions, Some(MfaCode::parse("123456").unwrap()));
        let asking = tokio::spawn(async move { prompt.ask(&request(Some("AWS rejected the code"))).await });
        let Some(Action::MfaRequested { problem, reply, .. }) = shown.recv().await else { panic!("no modal shown") };
        assert_eq!(problem.as_deref(), Some("AWS rejected the code"));
        reply.send(MfaCode::parse("654321"));
        assert_eq!(asking.await.unwrap().unwrap().as_str(), "654321");
    }
}
