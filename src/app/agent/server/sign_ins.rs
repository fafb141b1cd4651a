//! The headless agent's Identity Center sign-ins, for callers without a terminal (an SDK's
//! `credential_process`): the agent starts the sign-in, records it as pending like any
//! process does, and tells the person with a desktop notification; they confirm it in the
//! browser, or run `switchboard login` in any terminal, which shows the same sign-in and
//! waits on it. A caller with a terminal signs in itself, so the agent never asks for it.

use async_trait::async_trait;

use super::asks;
use crate::domain::sso::signin::{SignInPrompt, SignInShown, device_code_suits_here};

pub struct HeadlessSignIn;

/// Whether a browser opened by this process is seen by a person (as for the CLI).
fn browser_here() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    set("BROWSER") || set("DISPLAY") || set("WAYLAND_DISPLAY") || cfg!(target_os = "macos")
}

#[async_trait]
impl SignInPrompt for HeadlessSignIn {
    fn can_ask(&self) -> bool {
        asks::current().is_some_and(|ask| ask.caller.is_some())
    }

    /// Without a browser here, a code the person confirms on any device.
    fn device_code(&self) -> bool {
        device_code_suits_here() || !browser_here()
    }

    fn opens_browser(&self) -> bool {
        !self.device_code()
    }

    /// Tells the person, then waits as long as the caller does: when it gives up, so does
    /// the sign-in (and the next caller starts a fresh one).
    async fn show(&self, shown: &SignInShown) {
        let ask = asks::current();
        let whom =
            ask.as_ref().and_then(|ask| ask.caller.as_ref()).map(|caller| format!("{caller} ")).unwrap_or_default();
        let body = body(&whom, shown);
        tracing::warn!("sign-in needed: {body}");
        if shown.started_by.is_none() {
            super::notify::send("switchboard: sign-in needed", &body);
        }
        match ask {
            Some(ask) => tokio::time::sleep(ask.wait).await,
            None => std::future::pending::<()>().await,
        }
    }

    fn ended(&self, start_url: &str, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => tracing::info!("signed in to {start_url}"),
            Err(reason) => tracing::warn!("sign-in to {start_url}: {reason}"),
        }
    }
}

/// What the notification says: who waits, for which start URL, and the two ways to answer.
fn body(whom: &str, shown: &SignInShown) -> String {
    let unlocks = match shown.roles.as_slice() {
        [] => String::new(),
        [one] => format!(" (unlocks {one})"),
        [first, rest @ ..] => format!(" (unlocks {first} and {} more)", rest.len()),
    };
    let confirm = match &shown.user_code {
        Some(code) => format!("open {} and confirm the code {code}", shown.url),
        None => format!("open {}", shown.url),
    };
    format!(
        "{whom}needs a sign-in to {}{unlocks}: {confirm}, or run `switchboard login` in a terminal",
        shown.start_url
    )
}
