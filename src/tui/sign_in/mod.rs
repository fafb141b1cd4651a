//! The sign-in modal: an Identity Center sign-in under way, shown until its token arrives
//! (the modal closes by itself) or the operator presses Esc. One modal per start URL,
//! however many roles or callers wait on it. `prompt` is the engine's side, `update` reads
//! keys and the engine's news, `render` draws it over everything.

pub mod prompt;
pub mod render;
pub mod update;

use tokio::sync::oneshot;

use crate::domain::sso::signin::SignInShown;

/// Esc's way back to the engine: sending on it cancels that sign-in.
pub struct Cancel(Option<oneshot::Sender<()>>);

impl Cancel {
    pub fn new(sender: oneshot::Sender<()>) -> Self {
        Self(Some(sender))
    }

    pub fn send(&mut self) {
        if let Some(sender) = self.0.take() {
            let _ = sender.send(());
        }
    }
}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cancel")
    }
}

/// One sign-in being shown, with how to cancel it.
#[derive(Debug)]
pub struct OpenSignIn {
    pub shown: SignInShown,
    pub cancel: Cancel,
}

#[derive(Debug, Default)]
pub struct SignInModal {
    /// Per start URL, in the order they came; the first is shown.
    pub open: Vec<OpenSignIn>,
}

impl SignInModal {
    pub fn is_open(&self) -> bool {
        !self.open.is_empty()
    }

    pub fn shown(&self) -> Option<&SignInShown> {
        self.open.first().map(|open| &open.shown)
    }

    /// Cancels every sign-in shown (the screen is closing).
    pub fn cancel_all(&mut self) {
        for mut open in self.open.drain(..) {
            open.cancel.send();
        }
    }
}
