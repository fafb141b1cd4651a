//! Everything the screen shows, as plain data. `now` is part of it, so rendering is a pure
//! function of the state and snapshots are reproducible.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use crate::domain::engine::SessionState;
use crate::domain::exports::ExportFormat;
use crate::domain::inventory::RoleKey;
use crate::domain::plan::{Layer, LayerKind};
use crate::domain::time::time_left;

use super::action::MfaReply;
use super::keymap::Keymaps;
use crate::domain::mfa::MfaCaller;

/// What a role row shows in its state column, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowState {
    None,
    Valid,
    Expiring,
    Expired,
    Refreshing,
    NeedsMfa,
    Error,
}

impl RowState {
    pub fn label(self) -> &'static str {
        match self {
            RowState::None => "none",
            RowState::Valid => "valid",
            RowState::Expiring => "expiring",
            RowState::Expired => "expired",
            RowState::Refreshing => "refreshing",
            RowState::NeedsMfa => "needs MFA",
            RowState::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Activity {
    Idle,
    /// `since` lets a slow refresh show its age.
    Refreshing {
        request: u64,
        since: Timestamp,
    },
    NeedsMfa {
        device: String,
    },
    Failed {
        message: String,
    },
}

/// One layer of a role's chain, as the chain view shows it: the plan's layer (shared with the
/// engine and every role of the same source) and its session's expiry.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerView {
    pub layer: Arc<Layer>,
    /// None for source keys (they do not expire) or a layer with no session yet.
    pub expires_at: Option<Timestamp>,
}

impl LayerView {
    pub fn id(&self) -> &str {
        &self.layer.id
    }

    pub fn is_source(&self) -> bool {
        matches!(self.layer.kind, LayerKind::SourceKeys { .. })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleRow {
    pub key: RoleKey,
    pub read_only: bool,
    pub account_id: String,
    pub environment: Option<String>,
    pub production: bool,
    pub tags: Vec<String>,
    pub arn: String,
    pub region: String,
    pub route: String,
    pub expires_at: Option<Timestamp>,
    pub activity: Activity,
    pub layers: Vec<LayerView>,
    /// The expiry an automatic renewal was last tried for, so it is tried once per session.
    pub auto_tried: Option<Timestamp>,
}

impl RoleRow {
    /// No known expiry here means no session: the screen only learns of sessions with one.
    pub fn session_state(&self, now: Timestamp, refresh_before: Duration) -> SessionState {
        SessionState::of(self.expires_at, now, refresh_before).unwrap_or(SessionState::None)
    }

    pub fn state(&self, now: Timestamp, refresh_before: Duration) -> RowState {
        match &self.activity {
            Activity::Refreshing { .. } => RowState::Refreshing,
            Activity::NeedsMfa { .. } => RowState::NeedsMfa,
            Activity::Failed { .. } => RowState::Error,
            Activity::Idle => match self.session_state(now, refresh_before) {
                SessionState::None => RowState::None,
                SessionState::Valid => RowState::Valid,
                SessionState::Expiring => RowState::Expiring,
                SessionState::Expired => RowState::Expired,
            },
        }
    }

    pub fn time_left(&self, now: Timestamp) -> Option<Duration> {
        self.expires_at.map(|until| time_left(now, until))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Name,
    TimeLeft,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub text: String,
    /// Typing goes into the filter while this is true.
    pub editing: bool,
}

/// One MFA request from the engine, waiting for the operator.
#[derive(Debug)]
pub struct MfaAsk {
    pub device: String,
    pub roles: Vec<RoleKey>,
    pub problem: Option<String>,
    pub reused: bool,
    /// Asked by the agent on behalf of a process without a terminal.
    pub caller: Option<MfaCaller>,
    pub reply: MfaReply,
}

/// The MFA modal: requests for one device merged, and what has been typed.
#[derive(Debug, Default)]
pub struct MfaModal {
    pub asks: Vec<MfaAsk>,
    pub input: String,
    /// The input came from the device's `mfa_command` (typing replaces it).
    pub filled: bool,
}

impl MfaModal {
    pub fn device(&self) -> Option<&str> {
        self.asks.first().map(|ask| ask.device.as_str())
    }

    /// Every role the code unlocks, across the merged requests for the shown device.
    pub fn roles(&self) -> Vec<&RoleKey> {
        let Some(device) = self.device() else { return Vec::new() };
        let mut roles: Vec<&RoleKey> =
            self.asks.iter().filter(|ask| ask.device == device).flat_map(|ask| &ask.roles).collect();
        roles.sort();
        roles.dedup();
        roles
    }

    /// The processes without a terminal waiting for the shown device's code.
    pub fn callers(&self) -> Vec<&MfaCaller> {
        let Some(device) = self.device() else { return Vec::new() };
        self.asks.iter().filter(|ask| ask.device == device).filter_map(|ask| ask.caller.as_ref()).collect()
    }

    pub fn problem(&self) -> Option<&str> {
        self.asks.first().and_then(|ask| ask.problem.as_deref())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExportPopup {
    pub role: RoleKey,
    pub selected: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    None,
    Help,
    Log,
    Exports(ExportPopup),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusLine {
    pub text: String,
    pub error: bool,
    pub at: Timestamp,
}

/// An account's panels, opened with Enter on one of its roles and worked through that role.
#[derive(Debug)]
pub struct AccountView {
    /// Tells apart results for this view from those of one closed before.
    pub id: u64,
    pub role: RoleKey,
    pub panels: super::panels::Panels,
    pub active: usize,
}

#[derive(Debug)]
pub struct State {
    /// Now in AWS time (the engine's clock, corrected by the offset STS's answers showed).
    pub now: Timestamp,
    /// How far this machine's clock is ahead of AWS's, once measured: the header says so
    /// past a minute.
    pub clock_ahead: Option<jiff::SignedDuration>,
    /// The newest exports request: only its answer is copied.
    pub export_request: Option<u64>,
    pub rows: Vec<RoleRow>,
    /// The selected role (by key, so filtering and sorting keep it).
    pub selected: Option<RoleKey>,
    pub sort: SortOrder,
    pub filter: Filter,
    pub overlay: Overlay,
    pub mfa: MfaModal,
    pub show_chain: bool,
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
    pub list_scroll: usize,
    /// How far the help or log overlay is scrolled.
    pub overlay_scroll: u16,
    pub last_status_load: Option<Timestamp>,
    pub account: Option<AccountView>,
    /// How often open panels refresh their counts.
    pub panel_refresh: Duration,
    pub should_quit: bool,
    /// Marked roles: `r` refreshes them all and Enter opens their fleet view.
    pub marks: BTreeSet<RoleKey>,
    /// The fleet view of the marked roles, under an account view opened from it.
    pub fleet: Option<super::fleet::FleetView>,
    /// The filtered, sorted list, kept between key presses (see `view`).
    pub list_memo: super::view::ListMemo,
    /// Which agent serves this user's commands: `None` until known (and in tests).
    pub agent: Option<String>,
    /// Per role, the processes the agent served lately that still run (who is served).
    pub served: HashMap<RoleKey, usize>,
    /// Where each role's row is in `rows`, so a lookup by key does not scan thousands of rows.
    row_index: HashMap<RoleKey, usize>,
}

impl State {
    pub fn new(rows: Vec<RoleRow>, now: Timestamp, refresh_before: Duration) -> State {
        let selected = rows.first().map(|row| row.key.clone());
        let row_index = rows.iter().enumerate().map(|(index, row)| (row.key.clone(), index)).collect();
        State {
            now,
            clock_ahead: None,
            export_request: None,
            rows,
            selected,
            sort: SortOrder::Name,
            filter: Filter::default(),
            overlay: Overlay::None,
            mfa: MfaModal::default(),
            show_chain: true,
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
            list_scroll: 0,
            overlay_scroll: 0,
            last_status_load: None,
            account: None,
            panel_refresh: Duration::from_secs(5),
            should_quit: false,
            marks: BTreeSet::new(),
            fleet: None,
            list_memo: Default::default(),
            agent: None,
            served: HashMap::new(),
            row_index,
        }
    }

    /// The index of a role's row in `rows`; checked, so rows changed after `new` are still
    /// found (by a scan).
    pub fn row_position(&self, key: &RoleKey) -> Option<usize> {
        match self.row_index.get(key) {
            Some(&index) if self.rows.get(index).is_some_and(|row| &row.key == key) => Some(index),
            _ => self.rows.iter().position(|row| &row.key == key),
        }
    }

    pub fn row(&self, key: &RoleKey) -> Option<&RoleRow> {
        self.row_position(key).map(|index| &self.rows[index])
    }

    pub fn row_mut(&mut self, key: &RoleKey) -> Option<&mut RoleRow> {
        self.row_position(key).map(|index| &mut self.rows[index])
    }

    pub fn selected_row(&self) -> Option<&RoleRow> {
        self.selected.as_ref().and_then(|key| self.row(key))
    }

    pub fn request_id(&mut self) -> u64 {
        self.next_request += 1;
        self.next_request
    }
}
