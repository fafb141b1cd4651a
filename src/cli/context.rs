//! What every subcommand that needs sessions starts from: the engine of `app`, asking for
//! MFA codes on the terminal (or from `--mfa-code`).

use std::sync::Arc;

use super::output;
use super::prompt::{CodeSource, TerminalPrompt};
use super::sign_in::TerminalSignIn;
use crate::app::{
    AppError, GlobalOptions, build_engine, build_engine_signing_in, load_inventory, open_states_store,
    start_opening_store,
};
use crate::domain::clock::skew_notice;
use crate::domain::engine::{Engine, EngineError, Renewal, Session};
use crate::domain::inventory::RoleKey;

pub struct Context {
    pub engine: Arc<Engine>,
}

impl Context {
    /// `can_prompt`: whether asking on the terminal is allowed; `announce`: see `open_secret_store`.
    pub async fn open(options: &GlobalOptions, can_prompt: bool, announce: bool) -> Result<Self, AppError> {
        Self::opening(options, can_prompt, announce, None).await
    }

    /// `open` for `login`, which signs in wherever it runs: `device_code` asks for the device
    /// flow whatever this machine has.
    pub async fn open_signing_in(options: &GlobalOptions, device_code: bool) -> Result<Self, AppError> {
        Self::opening(options, true, true, Some(device_code)).await
    }

    async fn opening(
        options: &GlobalOptions,
        can_prompt: bool,
        announce: bool,
        login: Option<bool>,
    ) -> Result<Self, AppError> {
        // The keyring answers (a D-Bus round trip or more) while the inventory is parsed.
        let store = start_opening_store(announce);
        let inventory = Arc::new(load_inventory(options)?.inventory);
        let codes = CodeSource::from_flag(options.mfa_code.as_deref())?;
        let store = store.await;
        let commands = crate::domain::mfa_command::MfaCommands::from_inventory(&inventory);
        let mfa = Arc::new(TerminalPrompt::new(codes, can_prompt).with_commands(commands));
        let sign_in = Arc::new(TerminalSignIn::new(login.unwrap_or(false), login.is_some()));
        Ok(Self { engine: Arc::new(build_engine_signing_in(inventory, store, mfa, sign_in)) })
    }

    /// For commands that show states and never open a session (`list`): the store's
    /// metadata without the keyring.
    pub fn open_states_only(options: &GlobalOptions) -> Result<Self, AppError> {
        let inventory = Arc::new(load_inventory(options)?.inventory);
        let store = open_states_store(true);
        let mfa = Arc::new(TerminalPrompt::new(CodeSource::from_flag(None)?, false));
        Ok(Self { engine: Arc::new(build_engine(inventory, store, mfa)) })
    }

    /// The role's session from the agent when one listens and can give it, else from this
    /// process's engine (which asks for MFA codes on this terminal).
    pub async fn session(&self, role: &RoleKey, renewal: Renewal) -> Result<Session, EngineError> {
        #[cfg(unix)]
        if let Some(session) =
            crate::app::agent::client::session_from_agent(self.engine.inventory(), role, renewal).await
        {
            return Ok(session);
        }
        self.engine.session(role, renewal).await
    }

    /// Checks that `source` is an Identity Center source of the inventory.
    pub fn role_of_source(&self, source: &str) -> Result<(), AppError> {
        let inventory = self.engine.inventory();
        match inventory.source(source) {
            Some(found) if found.sso().is_some() => Ok(()),
            Some(_) => Err(AppError::Usage(format!(
                "source {source} holds keys; `login` and `logout` are for Identity Center sources (sso_start_url)"
            ))),
            None => {
                let known: Vec<&str> = inventory.sources.keys().map(String::as_str).collect();
                Err(AppError::Usage(format!("there is no source \"{source}\" (defined: {})", known.join(", "))))
            }
        }
    }

    pub fn role(&self, address: &str) -> Result<RoleKey, AppError> {
        Ok(self.engine.inventory().find_role(address)?.key.clone())
    }

    pub fn endpoint_url(&self) -> Option<String> {
        self.engine.inventory().defaults.endpoint_url.clone()
    }
}

/// Whatever way the command ends (success or error), a clock found more than a minute off
/// AWS's while it talked to STS is said once on stderr: sessions were judged in AWS time,
/// and the operator should fix the clock.
impl Drop for Context {
    fn drop(&mut self) {
        self.say_clock_skew();
    }
}

impl Context {
    /// The clock notice (see `Drop`), for a command that ends without dropping its context.
    pub fn say_clock_skew(&self) {
        if let Some(notice) = skew_notice(self.engine.clock_ahead_of_aws()) {
            output::warn(&format!("{notice}: sessions are judged in AWS time; set this machine's clock (NTP)"));
        }
    }
}
