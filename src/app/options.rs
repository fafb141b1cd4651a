//! The options every front end takes, and what they read before doing anything: the
//! inventory (validated whole, keys of the screen included) and defaults from the environment.

use std::path::PathBuf;

use clap::Args;

use crate::domain::exports::ExportFormat;
use crate::domain::inventory::{self, Inventory, InventoryError};

use super::AppError;
use super::keys::{KeySection, Keymaps};

#[derive(Debug, Clone, Default, Args)]
pub struct GlobalOptions {
    /// The inventory TOML [default: $SWITCHBOARD_INVENTORY, else ~/.config/switchboard/accounts.toml]
    #[arg(long, global = true, value_name = "PATH")]
    pub inventory: Option<PathBuf>,
    /// The MFA code to use if one is needed (6 digits), or `-` to read codes from stdin, one per line
    #[arg(long, global = true, value_name = "CODE")]
    pub mfa_code: Option<String>,
    /// No progress bars on stderr (they are drawn only on a terminal anyway)
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More diagnostics on stderr (-v: what is renewed and why; -vv: debug)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The screen's panels' key sections, so every front end checks `[ui.keys.PANEL]` as
    /// the screen would: filled by `main` from the panel registration (not an argument).
    #[arg(skip)]
    pub panel_keys: Vec<KeySection>,
}

/// An inventory that passed every check a front end will make of it, the screen's keys too.
pub struct LoadedInventory {
    pub inventory: Inventory,
    pub keymaps: Keymaps,
}

/// Finds, parses and validates the inventory. A key binding the screen could not use is an
/// inventory error like any other (`file:line:col: ui.keys...: why`), so `check` and every
/// command refuse it the same way the screen would.
pub fn load_inventory(options: &GlobalOptions) -> Result<LoadedInventory, AppError> {
    let path = inventory::locate(options.inventory.as_deref())?;
    let inventory = Inventory::load(&path)?;
    let keymaps = Keymaps::from_inventory(&inventory, &options.panel_keys).map_err(InventoryError::Invalid)?;
    Ok(LoadedInventory { inventory, keymaps })
}

/// The export format when none is asked for: the inventory's `[ui] export_format`, else
/// the one of the operator's `$SHELL`.
pub fn shell_export_format(inventory: Option<&Inventory>) -> ExportFormat {
    inventory.and_then(|inventory| inventory.ui.export_format).unwrap_or_else(|| {
        std::env::var("SHELL").map(|shell| ExportFormat::from_shell_path(&shell)).unwrap_or(ExportFormat::Bash)
    })
}
