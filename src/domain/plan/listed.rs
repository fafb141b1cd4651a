//! What `list` and the screen's rows show of a role without making its plan: the id of its
//! last layer and its route (`Plan::target`, `Plan::route`; a test holds the two ways equal).

use super::{Planner, write_assume_role_id, write_sso_role_id};
use crate::domain::inventory::{Inventory, Role, RoleParent};

/// What `list` shows of a role's plan without making it: the id of its last layer (whose
/// session is the role's) and its route, as `Plan::target` and `Plan::route` give them
/// (a test holds the two ways equal). Making 50,000 plans only to list them would cost more
/// than everything else `list` does.
#[derive(Debug, Default)]
pub struct Listed {
    pub target_id: String,
    pub route: String,
}

impl Planner {
    pub fn listed(&self, inventory: &Inventory, role: &Role) -> Option<Listed> {
        let mut listed = Listed::default();
        self.listed_into(inventory, role, &mut listed).then_some(listed)
    }

    /// `listed` into the strings of `into`, kept from role to role: listing 50,000 roles
    /// allocates no string per role. False for a role without a plan (its source or parent
    /// is missing).
    pub fn listed_into(&self, inventory: &Inventory, role: &Role, into: &mut Listed) -> bool {
        into.target_id.clear();
        if !self.route_into(inventory, role, &mut into.route) {
            return false;
        }
        match &role.parent {
            RoleParent::Source(name) => {
                let Some(source) = inventory.source(name) else { return false };
                match source.sso() {
                    Some(sso) => {
                        let permission_set = role.permission_set.as_deref().unwrap_or_default();
                        write_sso_role_id(&mut into.target_id, role, permission_set, sso, &self.endpoint);
                    }
                    None => write_assume_role_id(
                        &mut into.target_id,
                        role,
                        format_args!("from:{}", source.name),
                        &self.endpoint,
                    ),
                }
            }
            RoleParent::Via(parent_key) => {
                write_assume_role_id(&mut into.target_id, role, format_args!("via:{parent_key}"), &self.endpoint);
            }
        }
        true
    }

    /// How the role is reached, as `Plan::route` says it, without making the plan.
    pub fn route(&self, inventory: &Inventory, role: &Role) -> Option<String> {
        let mut route = String::new();
        self.route_into(inventory, role, &mut route).then_some(route)
    }

    /// `route` into `route` (cleared first); false when the role has no plan.
    pub fn route_into(&self, inventory: &Inventory, role: &Role, route: &mut String) -> bool {
        use std::fmt::Write as _;
        route.clear();
        match &role.parent {
            RoleParent::Source(name) => {
                let Some(source) = inventory.source(name) else { return false };
                route.push_str(&source.name);
                if source.sso().is_some() {
                    route.push_str(" (Identity Center)");
                    return true;
                }
                let mfa_session = role.mfa && self.mfa_layers.contains_key(&source.name);
                let code = role.mfa && !mfa_session && source.mfa_serial.is_some();
                if mfa_session {
                    route.push_str(" + MFA session");
                }
                if code {
                    route.push_str(" + MFA code");
                }
                true
            }
            RoleParent::Via(parent_key) => {
                let Some(parent) = inventory.role(parent_key) else { return false };
                let parent_is_sso = matches!(&parent.parent, RoleParent::Source(name)
                    if inventory.source(name).is_some_and(|source| source.sso().is_some()));
                if parent_is_sso {
                    let Some(root) = inventory.root_source(parent) else { return false };
                    let _ = write!(route, "{} (Identity Center)", root.name);
                } else {
                    let _ = write!(route, "chained from {parent_key}");
                }
                let code = role.mfa && inventory.root_source(role).is_some_and(|source| source.mfa_serial.is_some());
                if code {
                    route.push_str(" + MFA code");
                }
                true
            }
        }
    }
}
