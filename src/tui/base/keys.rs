//! The screen's keys come from `app::keys`, where every command set is data (and validated
//! with the inventory). This module names what the screen uses of it.

pub use crate::app::keys::{Command, CommandSet, KeySpec, Keymaps};

/// The keymap of the list of roles.
pub type Keymap = crate::app::keys::Keymap<Command>;
