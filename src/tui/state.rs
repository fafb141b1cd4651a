//! Everything the screen shows, as plain data: the roles' rows and a composition of the
//! features' own states (the list, the MFA modal, the overlays, and a stack of screens above
//! the list). `now` is part of it, so rendering is a pure function of the state and
//! snapshots are reproducible.
//!
//! What has the keys is explicit: `focus()` reads it off the layers, top first (the MFA
//! modal, then an overlay, then the top of the screen stack, then the list).

use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;

use crate::domain::exports::ExportFormat;
use crate::domain::inventory::{CompactString, RoleKey};
use crate::domain::mfa::MfaError;

use super::account::AccountView;
use super::base::keys::Keymaps;
use super::base::row::{Activity, RoleRow};
use super::effect::{Effect, RenewMode};
use super::fleet::view::FleetView;
use super::list::ListState;
use super::mfa::MfaModal;
use super::overlays::Overlay;
use super::sign_in::SignInModal;

#[derive(Debug, Clone, PartialEq)]
pub struct StatusLine {
    pub text: String,
    pub error: bool,
    pub at: Timestamp,
}

/// A full screen above the list. The fleet view may have an account view (a queue's detail
/// in its own account) above it; Esc pops the top one.
#[derive(Debug)]
pub enum Screen {
    Fleet(FleetView),
    /// Boxed: an account's panels are large beside the fleet's list of accounts.
    Account(Box<AccountView>),
}

/// Which part of the screen takes the keys, top first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    SignIn,
    Mfa,
    Overlay,
    Account,
    Fleet,
    List,
}

#[derive(Debug)]
pub struct State {
    /// Now in AWS time (the engine's clock, corrected by the offset STS's answers showed).
    pub now: Timestamp,
    /// How far this machine's clock is ahead of AWS's, once measured: the header says so
    /// past a minute.
    pub clock_ahead: Option<jiff::SignedDuration>,
    pub rows: Vec<RoleRow>,
    pub list: ListState,
    pub mfa: MfaModal,
    /// Identity Center sign-ins under way, over everything (even the MFA modal).
    pub sign_in: SignInModal,
    pub overlay: Overlay,
    /// How far the help or log overlay is scrolled.
    pub overlay_scroll: u16,
    /// Screens above the list, the top one shown (see `Screen`).
    pub screens: Vec<Screen>,
    /// The newest exports request: only its answer is copied.
    pub export_request: Option<u64>,
    pub status: Option<StatusLine>,
    pub log: Vec<String>,
    pub backend: String,
    pub export_format: ExportFormat,
    pub endpoint_url: Option<String>,
    pub refresh_before: Duration,
    pub keymaps: Keymaps,
    pub no_color: bool,
    pub next_request: u64,
    /// Screen size, for page moves and mouse hits (kept in sync by `Resize`).
    pub size: (u16, u16),
    pub last_status_load: Option<Timestamp>,
    /// How often open panels refresh their counts.
    pub panel_refresh: Duration,
    pub should_quit: bool,
    /// Which agent serves this user's commands: `None` until known (and in tests).
    pub agent: Option<String>,
    /// Per role, the processes the agent served lately that still run (who is served).
    pub served: HashMap<RoleKey, usize>,
    /// Where each account's first row is in `rows` (an account's rows follow each other),
    /// so a lookup by key scans a handful of rows, not thousands; one entry per account, not
    /// per role, is a fifth of the work at start.
    account_rows: HashMap<CompactString, usize>,
}

impl State {
    pub fn new(rows: Vec<RoleRow>, now: Timestamp, refresh_before: Duration) -> State {
        let selected = rows.first().map(|row| row.key.clone());
        let mut account_rows = HashMap::new();
        for (index, row) in rows.iter().enumerate() {
            account_rows.entry(row.key.account.clone()).or_insert(index);
        }
        State {
            now,
            clock_ahead: None,
            rows,
            list: ListState::new(selected),
            mfa: MfaModal::default(),
            sign_in: SignInModal::default(),
            overlay: Overlay::None,
            overlay_scroll: 0,
            screens: Vec::new(),
            export_request: None,
            status: None,
            log: Vec::new(),
            backend: String::new(),
            export_format: ExportFormat::Bash,
            endpoint_url: None,
            refresh_before,
            keymaps: Keymaps::default(),
            no_color: false,
            next_request: 1,
            size: (120, 36),
            last_status_load: None,
            panel_refresh: Duration::from_secs(5),
            should_quit: false,
            agent: None,
            served: HashMap::new(),
            account_rows,
        }
    }

    /// What takes the keys now: the MFA modal over everything, then an overlay, then the
    /// top screen, then the list.
    pub fn focus(&self) -> Focus {
        if self.sign_in.is_open() {
            Focus::SignIn
        } else if !self.mfa.asks.is_empty() {
            Focus::Mfa
        } else if self.overlay != Overlay::None {
            Focus::Overlay
        } else {
            self.screen_focus()
        }
    }

    /// The screen under any modal or overlay.
    pub fn screen_focus(&self) -> Focus {
        match self.screens.last() {
            Some(Screen::Account(_)) => Focus::Account,
            Some(Screen::Fleet(_)) => Focus::Fleet,
            None => Focus::List,
        }
    }

    /// The account view, when it is the top screen.
    pub fn account(&self) -> Option<&AccountView> {
        match self.screens.last() {
            Some(Screen::Account(view)) => Some(view),
            _ => None,
        }
    }

    pub fn account_mut(&mut self) -> Option<&mut AccountView> {
        match self.screens.last_mut() {
            Some(Screen::Account(view)) => Some(view),
            _ => None,
        }
    }

    /// The fleet view, wherever it is in the stack (results reach it under an account view).
    pub fn fleet(&self) -> Option<&FleetView> {
        self.screens.iter().find_map(|screen| match screen {
            Screen::Fleet(view) => Some(view),
            Screen::Account(_) => None,
        })
    }

    pub fn fleet_mut(&mut self) -> Option<&mut FleetView> {
        self.screens.iter_mut().find_map(|screen| match screen {
            Screen::Fleet(view) => Some(view),
            Screen::Account(_) => None,
        })
    }

    /// Esc on a screen: back to the one below it.
    pub fn close_screen(&mut self) {
        self.screens.pop();
    }

    /// The index of a role's row in `rows`; checked, so rows changed after `new` are still
    /// found (by a scan).
    pub fn row_position(&self, key: &RoleKey) -> Option<usize> {
        let in_account = self.account_rows.get(key.account.as_str()).and_then(|&first| {
            let rows = self.rows.get(first..)?;
            let mut of_account = rows.iter().take_while(|row| row.key.account == key.account);
            of_account.position(|row| row.key.role == key.role).map(|offset| first + offset)
        });
        in_account.or_else(|| self.rows.iter().position(|row| &row.key == key))
    }

    pub fn row(&self, key: &RoleKey) -> Option<&RoleRow> {
        self.row_position(key).map(|index| &self.rows[index])
    }

    pub fn row_mut(&mut self, key: &RoleKey) -> Option<&mut RoleRow> {
        self.row_position(key).map(|index| &mut self.rows[index])
    }

    pub fn selected_row(&self) -> Option<&RoleRow> {
        self.list.selected.as_ref().and_then(|key| self.row(key))
    }

    pub fn request_id(&mut self) -> u64 {
        self.next_request += 1;
        self.next_request
    }

    pub fn set_status(&mut self, text: String, error: bool) {
        self.status = Some(StatusLine { text, error, at: self.now });
    }

    /// Quits: every MFA request still waiting is cancelled, so no caller waits on a closed
    /// screen.
    pub fn quit(&mut self) -> Vec<Effect> {
        self.should_quit = true;
        self.sign_in.cancel_all();
        self.mfa.input.clear();
        self.mfa
            .asks
            .drain(..)
            .map(|ask| Effect::AnswerMfa { reply: ask.reply, answer: Err(MfaError::Cancelled) })
            .collect()
    }

    /// Marks the role as refreshing and returns the effect that renews it.
    pub fn renew(&mut self, role: RoleKey, mode: RenewMode) -> Effect {
        let request = self.request_id();
        let since = self.now;
        if let Some(row) = self.row_mut(&role) {
            row.activity = Activity::Refreshing { request, since };
        }
        Effect::Renew { role, request, mode }
    }
}
