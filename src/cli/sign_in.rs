//! The CLI's Identity Center sign-in: the address and the code on stderr, the browser opened
//! (`$BROWSER`, else `xdg-open`/`open`, as `console` does), and `switchboard login` /
//! `switchboard logout`. Every other command on an Identity Center role signs in the same
//! way when it must (through the engine).

use std::io::IsTerminal;
use std::process::ExitCode;

use async_trait::async_trait;

use super::context::Context;
use super::{AppError, GlobalOptions, output};
use crate::domain::sso::signin::{SignInPrompt, SignInShown, device_code_suits_here};

/// Shows a sign-in on stderr. It cannot be cancelled but by ending the process (Ctrl-C).
pub struct TerminalSignIn {
    /// `--device-code`: the device flow even where a browser could be opened here.
    pub force_device_code: bool,
    /// `login` itself: the person asked for the sign-in, and reads what it prints.
    pub asked_for: bool,
}

impl TerminalSignIn {
    /// The prompt of any command (it signs in when it must); `login` says `asked_for`.
    pub fn new(force_device_code: bool, asked_for: bool) -> Self {
        Self { force_device_code, asked_for }
    }
}

/// A person can sign in from here when someone reads stderr, or when a browser opens on
/// this desktop (a credential_process call has no terminal, but its browser tab is seen).
fn someone_can_sign_in(device_code: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    let browser_here =
        !device_code && (set("BROWSER") || set("DISPLAY") || set("WAYLAND_DISPLAY") || cfg!(target_os = "macos"));
    std::io::stderr().is_terminal() || browser_here
}

#[async_trait]
impl SignInPrompt for TerminalSignIn {
    fn can_ask(&self) -> bool {
        self.asked_for || someone_can_sign_in(self.device_code())
    }

    fn device_code(&self) -> bool {
        self.force_device_code || device_code_suits_here()
    }

    async fn show(&self, shown: &SignInShown) {
        // Until the sign-in ends, no bar of long work is drawn over the address and code.
        let _paused = crate::app::progress::pause();
        output::warn(&describe(shown));
        std::future::pending::<()>().await;
    }

    fn ended(&self, start_url: &str, outcome: Result<(), String>) {
        // A success is said by what follows (the command's output, `login`'s line).
        if let Err(reason) = outcome {
            output::warn(&format!("sign-in to {start_url}: {reason}"));
        }
    }
}

/// One line: what the sign-in unlocks, where to go, the code to confirm, until when.
pub fn describe(shown: &SignInShown) -> String {
    let unlocks = match shown.roles.as_slice() {
        [] => String::new(),
        [one] => format!(" (unlocks {one})"),
        [first, rest @ ..] => format!(" (unlocks {first} and {} more)", rest.len()),
    };
    let left = shown.expires_at.duration_since(jiff::Timestamp::now()).as_secs().max(0);
    let expiry = format!("{}:{:02}", left / 60, left % 60);
    let whose = match shown.started_by {
        Some(pid) => format!("a sign-in started by pid {pid} is under way; "),
        None => String::new(),
    };
    match &shown.user_code {
        Some(code) => format!(
            "sign in to {}{unlocks}: {whose}open {} and confirm the code {code} (expires in {expiry}); waiting…",
            shown.start_url, shown.url
        ),
        None if shown.started_by.is_some() => format!(
            "sign in to {}{unlocks}: {whose}finish it in the browser it opened, or open {} (gives up in {expiry}); waiting…",
            shown.start_url, shown.url
        ),
        None => format!(
            "sign in to {}{unlocks}: your browser opens {} (if it does not, open it by hand; gives up in {expiry}); waiting…",
            shown.start_url, shown.url
        ),
    }
}

/// `switchboard login SOURCE [--device-code] [--force]`.
pub async fn login(
    options: &GlobalOptions,
    source: &str,
    device_code: bool,
    force: bool,
) -> Result<ExitCode, AppError> {
    let context = Context::open_signing_in(options, device_code).await?;
    context.role_of_source(source)?;
    let status = context.engine.sign_in(source, force).await?;
    output::warn(&status);
    Ok(ExitCode::SUCCESS)
}

/// `switchboard logout SOURCE`: Logout at the portal, then the token and every session it
/// gave are forgotten.
pub async fn logout(options: &GlobalOptions, source: &str) -> Result<ExitCode, AppError> {
    let context = Context::open(options, false, false).await?;
    context.role_of_source(source)?;
    let said = context.engine.sign_out(source).await?;
    output::warn(&said);
    Ok(ExitCode::SUCCESS)
}
