//! What `update` asks the outside world to do. Each effect runs in its own task and sends
//! back exactly one action.

use crate::domain::exports::ExportFormat;
use crate::domain::inventory::RoleKey;
use crate::domain::mfa::{MfaCode, MfaError};

use super::action::{ExportsText, MfaReply};
use super::panels::PanelJob;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenewMode {
    /// `r`: renew the role now, asking for a code through the modal if needed.
    Force,
    /// `R`: renew if expiring or expired, asking if needed.
    IfNeeded,
    /// Before `refresh_before`, by itself: never asks; reports "needs MFA" instead.
    Automatic,
}

#[derive(Debug)]
pub enum Effect {
    Renew {
        role: RoleKey,
        request: u64,
        mode: RenewMode,
    },
    LoadStatus,
    PrepareExports {
        role: RoleKey,
        request: u64,
        format: ExportFormat,
    },
    Copy(ExportsText),
    /// `o`: the role's console, signed in through the federation endpoint, in the browser.
    OpenConsole {
        role: RoleKey,
    },
    AnswerMfa {
        reply: MfaReply,
        answer: Result<MfaCode, MfaError>,
    },
    /// A panel's job for the account view `view`, run with `role`'s session; its answers come
    /// back as `Action::PanelResult`, addressed to the panel by their `PanelMessage` variant.
    Panel {
        role: RoleKey,
        view: u64,
        job: PanelJob,
    },
}
