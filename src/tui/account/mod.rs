//! An account's panels, opened with Enter on one of its roles (or on a queue of the fleet)
//! and worked through that role's session.

pub mod render;
pub mod update;

use crate::domain::inventory::RoleKey;

use super::effect::{Effect, PanelView};
use super::panels::{PanelId, PanelJob, Panels};

/// An account's panels, opened with Enter on one of its roles and worked through that role.
#[derive(Debug)]
pub struct AccountView {
    /// Tells apart results for this view from those of one closed before.
    pub id: u64,
    pub role: RoleKey,
    pub panels: Panels,
    pub active: PanelId,
}

impl AccountView {
    /// The panels' jobs as effects, run with this view's role and answered to this view.
    pub fn effects(&self, jobs: Vec<PanelJob>) -> Vec<Effect> {
        jobs.into_iter()
            .map(|job| Effect::Panel { role: self.role.clone(), view: PanelView::Account(self.id), job })
            .collect()
    }
}
