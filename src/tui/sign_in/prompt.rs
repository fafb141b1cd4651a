//! The screen's sign-in prompt: the engine's sign-in becomes an action that opens the modal;
//! Esc comes back through a oneshot; the end of the sign-in closes the modal.

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

use super::Cancel;
use crate::domain::sso::signin::{SignInPrompt, SignInShown, device_code_suits_here};
use crate::tui::action::Action;

pub struct ModalSignIn {
    actions: mpsc::UnboundedSender<Action>,
}

impl ModalSignIn {
    pub fn new(actions: mpsc::UnboundedSender<Action>) -> Self {
        Self { actions }
    }
}

#[async_trait]
impl SignInPrompt for ModalSignIn {
    fn can_ask(&self) -> bool {
        // The operator is at the screen; the engine only signs in when they pressed a key.
        !self.actions.is_closed()
    }

    fn device_code(&self) -> bool {
        device_code_suits_here()
    }

    async fn show(&self, shown: &SignInShown) {
        let (cancel, cancelled) = oneshot::channel();
        let action = Action::SignInShown { shown: shown.clone(), cancel: Cancel::new(cancel) };
        if self.actions.send(action).is_err() {
            return; // the screen is gone: nobody will sign in
        }
        if cancelled.await.is_err() {
            // Closed without Esc (the sign-in ended first): never a cancellation.
            std::future::pending::<()>().await;
        }
    }

    fn ended(&self, start_url: &str, outcome: Result<(), String>) {
        let _ = self.actions.send(Action::SignInEnded { start_url: start_url.to_owned(), outcome });
    }
}
