//! A role's row: what the screen knows of a role and its session. The floor of the screen:
//! every feature reads rows; this file imports nothing of the screen.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use crate::domain::duration::time_left;
use crate::domain::engine::SessionState;
use crate::domain::inventory::{CompactString, Inventory, Role, RoleKey};
use crate::domain::plan::{Layer, LayerKind, Planner};

/// What a role row shows in its state column, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowState {
    None,
    Valid,
    Expiring,
    Expired,
    Refreshing,
    NeedsMfa,
    NeedsSignIn,
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
            RowState::NeedsSignIn => "sign in",
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
    NeedsSignIn {
        start_url: String,
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
    /// Shared by the rows of one account: 50,000 rows, 10,000 accounts.
    pub account_id: Arc<str>,
    pub environment: Option<Arc<str>>,
    pub production: bool,
    pub tags: Arc<[String]>,
    pub arn: String,
    pub region: CompactString,
    /// Shared by the rows reached the same way (`hub + MFA session`): thousands share a handful.
    pub route: Arc<str>,
    pub expires_at: Option<Timestamp>,
    pub activity: Activity,
    pub layers: Vec<LayerView>,
    /// The expiry an automatic renewal was last tried for, so it is tried once per session.
    pub auto_tried: Option<Timestamp>,
    /// Its layers were asked for (`Effect::LoadLayers`): asked once, when first selected.
    pub layers_asked: bool,
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
            Activity::NeedsSignIn { .. } => RowState::NeedsSignIn,
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

/// The rows of the screen, one per role, in inventory order, with no session known yet and
/// their layers (tests; the screen's rows get theirs with the first snapshot).
pub fn rows(inventory: &Inventory) -> Vec<RoleRow> {
    let planner = Planner::new(inventory);
    rows_with(inventory, |role, route| {
        let plan = planner.plan(inventory, role)?;
        *route = plan.route();
        Some(plan.layers)
    })
}

/// The rows from each role's route (written by `facts` into the buffer it is lent) and layers
/// (none yet at start: `Effect::LoadLayers` brings them); `None`: a role without a plan.
pub fn rows_with(inventory: &Inventory, facts: impl Fn(&Role, &mut String) -> Option<Vec<Arc<Layer>>>) -> Vec<RoleRow> {
    // Walks the accounts and their roles once: looking each role's account up by name would
    // scan every account per role (quadratic at thousands of roles).
    let mut rows = Vec::with_capacity(inventory.accounts().iter().map(|account| account.roles.len()).sum());
    let mut routes: std::collections::HashSet<Arc<str>> = std::collections::HashSet::new();
    let mut route = String::new();
    for account in inventory.accounts() {
        let account_id: Arc<str> = Arc::from(account.id.as_str());
        let environment: Option<Arc<str>> = account.environment.as_deref().map(Arc::from);
        let tags: Arc<[String]> = Arc::from(account.tags.as_slice());
        let production = account.is_production();
        for role in &account.roles {
            let Some(layers) = facts(role, &mut route) else { continue };
            let route = match routes.get(route.as_str()) {
                Some(known) => known.clone(),
                None => {
                    let new: Arc<str> = Arc::from(route.as_str());
                    routes.insert(new.clone());
                    new
                }
            };
            rows.push(RoleRow {
                key: role.key.clone(),
                read_only: role.read_only,
                account_id: account_id.clone(),
                environment: environment.clone(),
                production,
                tags: tags.clone(),
                arn: role.arn.clone(),
                region: role.region.clone(),
                route,
                expires_at: None,
                activity: Activity::Idle,
                layers: layers.into_iter().map(|layer| LayerView { layer, expires_at: None }).collect(),
                auto_tried: None,
                layers_asked: false,
            });
        }
    }
    rows
}
