//! Every key of the screen as data. Each part of the screen (the list, each panel) has a
//! `CommandSet`: names, default keys and descriptions. `[ui.keys]` rebinds the list's
//! commands and `[ui.keys.SECTION]` a panel's. The help overlay, the key hints and the
//! README's tables are generated from these sets, and `load_inventory` validates overrides
//! with the rest of the inventory, so `check` refuses what the screen would refuse.
//!
//! The sets live here, not in the screen, because they are part of the inventory's schema:
//! the screen maps them to behaviour.

mod identity;
mod keymap;
mod list;
mod spec;
mod sqs;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::domain::inventory::{Inventory, KeyOverride, Problem};

pub use identity::IdentityCommand;
pub use keymap::{Binding, CommandSet, Keymap, OverrideProblem};
pub use list::Command;
pub use spec::KeySpec;
pub use sqs::SqsCommand;

/// The keymaps of every part of the screen, overrides applied.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Keymaps {
    pub list: Keymap<Command>,
    pub sqs: Keymap<SqsCommand>,
    pub identity: Keymap<IdentityCommand>,
}

/// The `[ui.keys.SECTION]` names there are, for messages.
const SECTIONS: &[&str] = &["sqs", "identity"];

impl Keymaps {
    /// Applies the inventory's `[ui.keys]`; every problem names its file, line and column.
    pub fn from_inventory(inventory: &Inventory) -> Result<Keymaps, Vec<Problem>> {
        let mut by_section: BTreeMap<Option<&str>, Vec<&KeyOverride>> = BTreeMap::new();
        for written in &inventory.ui.keys {
            by_section.entry(written.section.as_deref()).or_default().push(written);
        }
        let mut problems = Vec::new();
        let mut keymaps = Keymaps::default();
        for (section, written) in by_section {
            match section {
                None => keymaps.list = apply(inventory, &written, &mut problems),
                Some("sqs") => keymaps.sqs = apply(inventory, &written, &mut problems),
                Some("identity") => keymaps.identity = apply(inventory, &written, &mut problems),
                Some(unknown) => {
                    for entry in written {
                        problems.push(problem(
                            inventory,
                            entry,
                            format!("ui.keys.{unknown}"),
                            format!("no panel \"{unknown}\" has keys (sections: {})", SECTIONS.join(", ")),
                        ));
                    }
                }
            }
        }
        if problems.is_empty() { Ok(keymaps) } else { Err(problems) }
    }

    /// The README's keys tables, one per set, each headed by where it applies.
    pub fn markdown() -> String {
        let mut text = String::new();
        section_markdown::<Command>(&mut text);
        section_markdown::<SqsCommand>(&mut text);
        section_markdown::<IdentityCommand>(&mut text);
        text
    }
}

fn section_markdown<C: CommandSet>(text: &mut String) {
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(&format!("Keys of {}:\n\n", C::TITLE));
    text.push_str(&Keymap::<C>::markdown_table());
}

fn apply<C: CommandSet>(inventory: &Inventory, written: &[&KeyOverride], problems: &mut Vec<Problem>) -> Keymap<C> {
    let overrides = written.iter().map(|entry| (entry.command.as_str(), entry.keys.as_slice()));
    Keymap::<C>::with_overrides(overrides).unwrap_or_else(|found| {
        for OverrideProblem { command, message } in found {
            if let Some(entry) = written.iter().find(|entry| entry.command == command) {
                problems.push(problem(inventory, entry, C::config_key(&command), message));
            }
        }
        Keymap::default()
    })
}

fn problem(inventory: &Inventory, entry: &KeyOverride, key: String, message: String) -> Problem {
    Problem { file: inventory.path.clone(), line: entry.line, column: entry.column, key, message }
}
