//! What `update` asks the outside world to do. Each effect runs in its own task and sends
//! back exactly one action.

use crate::domain::exports::ExportFormat;
use crate::domain::inventory::RoleKey;
use crate::domain::mfa::{MfaCode, MfaError};

use super::action::{Action, ExportsText};
use super::base::mfa_reply::MfaReply;
use super::panels::{PanelJob, PanelMessage};

/// Which view a panel job answers to: its answers come back as `Action::PanelResult` for an
/// account view and as `Action::FleetResult` for the fleet view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanelView {
    Account(u64),
    Fleet(u64),
}

impl PanelView {
    /// The action that brings a job's answer (or progress) from `role`'s job back.
    pub fn answer(self, role: &RoleKey, message: PanelMessage) -> Action {
        match self {
            PanelView::Account(view) => Action::PanelResult { view, message },
            PanelView::Fleet(view) => Action::FleetResult { view, role: role.clone(), message },
        }
    }
}

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
    /// The layers of the selected row, for the chain pane: a row's plan is made when it is
    /// first selected, not for every row at start.
    LoadLayers(RoleKey),
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
    /// A panel's job, run with `role`'s session; its answers come back to `view`, addressed
    /// to the panel by their `PanelMessage` variant.
    Panel {
        role: RoleKey,
        view: PanelView,
        job: PanelJob,
    },
}
