//! The exports popup: the export formats of a role with a masked preview; Enter copies the
//! chosen format's exports to the clipboard.

pub mod render;
pub mod update;

use crate::domain::inventory::RoleKey;

#[derive(Debug, Clone, PartialEq)]
pub struct ExportPopup {
    pub role: RoleKey,
    pub selected: usize,
}
