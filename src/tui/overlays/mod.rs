//! What covers the screen below the MFA modal: the help, the log and the exports popup.

pub mod render;
pub mod update;

use super::exports::ExportPopup;

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    None,
    Help,
    Log,
    Exports(ExportPopup),
}
