//! Everything that happens to the screen, as one stream of data: keys, ticks and the
//! results of background tasks (both success and failure carry data).

use std::sync::{Arc, Mutex};

use crossterm::event::{KeyEvent, MouseEvent};
use jiff::Timestamp;
use tokio::sync::oneshot;

use crate::domain::inventory::RoleKey;
use crate::domain::mfa::{MfaCode, MfaError};

type MfaAnswer = oneshot::Sender<Result<MfaCode, MfaError>>;

/// Where the operator's answer to an MFA request goes (the engine awaits it).
#[derive(Debug, Clone)]
pub struct MfaReply(Arc<Mutex<Option<MfaAnswer>>>);

impl MfaReply {
    pub fn new(sender: oneshot::Sender<Result<MfaCode, MfaError>>) -> Self {
        Self(Arc::new(Mutex::new(Some(sender))))
    }

    /// Answers once; later answers are ignored (the engine has moved on).
    pub fn send(&self, answer: Result<MfaCode, MfaError>) {
        let sender = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        if let Some(sender) = sender {
            let _ = sender.send(answer);
        }
    }
}

/// What the cache says about a role: its session's expiry and its layers' expiries.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub expires_at: Option<Timestamp>,
    pub layers: Vec<(String, Option<Timestamp>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RenewFailure {
    /// Renewing needs a code and this renewal was not allowed to ask (automatic renewal).
    NeedsMfa {
        device: String,
    },
    Cancelled,
    Failed(String),
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
        reply: MfaReply,
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
        message: super::panels::PanelMessage,
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
