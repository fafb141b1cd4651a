//! Everything that happens to the screen, as one stream of data: keys, ticks and the
//! results of background tasks (both success and failure carry data).

use crossterm::event::{KeyEvent, MouseEvent};
use jiff::Timestamp;

use crate::domain::inventory::RoleKey;
use crate::domain::mfa::MfaCaller;

use super::base::mfa_reply::MfaReply;
use super::panels::PanelMessage;

/// What the cache says about a role: its session's expiry and its layers' expiries. The
/// layers come with it: a row has none until its first snapshot (the first frame does not
/// wait for 50,000 plans).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub expires_at: Option<Timestamp>,
    pub layers: Vec<(std::sync::Arc<crate::domain::plan::Layer>, Option<Timestamp>)>,
}

/// Why a renewal the screen asked for did not happen.
#[derive(Debug, Clone, PartialEq)]
pub enum RenewFailure {
    /// Renewing needs a code and this renewal was not allowed to ask (automatic renewal).
    NeedsMfa {
        device: String,
    },
    /// Renewing needs an Identity Center sign-in, which only a key press starts.
    NeedsSignIn {
        start_url: String,
    },
    Cancelled,
    Failed(String),
}

impl RenewFailure {
    /// For the status line.
    pub fn describe(&self) -> String {
        match self {
            RenewFailure::NeedsMfa { device } => format!("needs an MFA code for {device}"),
            RenewFailure::NeedsSignIn { start_url } => format!("needs a sign-in to {start_url}"),
            RenewFailure::Cancelled => "cancelled".to_owned(),
            RenewFailure::Failed(message) => message.clone(),
        }
    }
}

#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    Tick(Timestamp),
    /// How far this machine's clock is ahead of AWS's, when an STS answer changed it.
    AwsClock(Option<jiff::SignedDuration>),
    Quit,
    StatusLoaded(Vec<(RoleKey, Snapshot)>),
    Renewed {
        role: RoleKey,
        request: u64,
        result: Result<Snapshot, RenewFailure>,
    },
    MfaRequested {
        device: String,
        roles: Vec<RoleKey>,
        problem: Option<String>,
        /// The process without a terminal the agent asks on behalf of, if any.
        caller: Option<MfaCaller>,
        reply: MfaReply,
    },
    /// An Identity Center sign-in is under way: the modal shows it; Esc sends on `cancel`.
    SignInShown {
        shown: crate::domain::sso::signin::SignInShown,
        cancel: super::sign_in::Cancel,
    },
    /// The sign-in of a start URL ended: its token came, or why not.
    SignInEnded {
        start_url: String,
        outcome: Result<(), String>,
    },
    /// The browser was started on the role's console (or why not).
    ConsoleOpened {
        role: RoleKey,
        result: Result<(), String>,
    },
    /// The device's `mfa_command` answered: its code fills the modal, or why it failed.
    MfaCodeFilled {
        device: String,
        result: Result<crate::domain::mfa::MfaCode, String>,
    },
    /// The code entered for `role` was not needed: another process renewed meanwhile, and the
    /// code was not sent.
    MfaNotNeeded {
        role: RoleKey,
        device: String,
    },
    /// Per role, how many processes the agent serves (see `State::served`).
    AgentServed(Vec<(RoleKey, usize)>),
    ExportsReady {
        role: RoleKey,
        request: u64,
        format_name: &'static str,
        result: Result<ExportsText, RenewFailure>,
    },
    Copied(Result<String, String>),
    /// A panel job's result or progress (or that no session could be had for it), for the
    /// account view `view`.
    PanelResult {
        view: u64,
        message: PanelMessage,
    },
    /// The same for the fleet view `view`, from the job of the marked role `role`.
    FleetResult {
        view: u64,
        role: RoleKey,
        message: PanelMessage,
    },
    Log(Vec<String>),
}

/// Export lines with live secrets: handed straight to the clipboard, never rendered.
pub struct ExportsText {
    pub text: String,
    pub expires_at: Option<Timestamp>,
}

impl std::fmt::Debug for ExportsText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExportsText(***)")
    }
}
