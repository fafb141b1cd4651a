//! Every key of the screen as data. Each part of the screen (the list, each panel) has a
//! `CommandSet`, declared one line per command with `command_set!`: names, default keys and
//! descriptions. `[ui.keys]` rebinds the list's commands and `[ui.keys.SECTION]` a panel's.
//! The help overlay, the key hints and the README's tables are generated from these sets.
//!
//! The list's set lives here; each panel's set lives with its panel, and the screen's panel
//! registration hands their `KeySection`s to every front end (through `GlobalOptions`), so
//! `load_inventory` validates overrides with the rest of the inventory and `check` refuses
//! what the screen would refuse, without this module knowing the panels.

mod keymap;
mod list;
mod spec;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::domain::inventory::{Inventory, KeyOverride, Problem};

#[cfg(test)]
pub use keymap::assert_free_of_clashes;
pub use keymap::{Binding, CommandSet, Keymap, OverrideProblem};
pub use list::Command;
pub use spec::KeySpec;

/// Overrides as written in one `[ui.keys.SECTION]`: command name and keys.
type Written = Vec<(String, Vec<String>)>;

/// A panel's key section: its name and how to check overrides of its command set.
#[derive(Clone, Copy)]
pub struct KeySection {
    pub name: &'static str,
    check: fn(&Written) -> Vec<OverrideProblem>,
    markdown: fn() -> String,
}

impl KeySection {
    /// The section of a panel's command set (one with `SECTION = Some(name)`).
    pub fn of<C: CommandSet>() -> KeySection {
        KeySection {
            name: C::SECTION.unwrap_or_default(),
            check: |written| Keymap::<C>::with_overrides(pairs(written)).err().unwrap_or_default(),
            markdown: section_markdown::<C>,
        }
    }
}

impl std::fmt::Debug for KeySection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeySection({})", self.name)
    }
}

fn pairs(written: &Written) -> impl Iterator<Item = (&str, &[String])> {
    written.iter().map(|(command, keys)| (command.as_str(), keys.as_slice()))
}

/// The keymaps of every part of the screen, overrides applied.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Keymaps {
    pub list: Keymap<Command>,
    /// Each panel section's overrides as written, checked by `from_inventory`.
    panels: BTreeMap<&'static str, Written>,
}

impl Keymaps {
    /// Applies the inventory's `[ui.keys]`; every problem names its file, line and column.
    /// `sections` are the panels' (see `KeySection`).
    pub fn from_inventory(inventory: &Inventory, sections: &[KeySection]) -> Result<Keymaps, Vec<Problem>> {
        let mut by_section: BTreeMap<Option<&str>, Vec<&KeyOverride>> = BTreeMap::new();
        for written in &inventory.ui.keys {
            by_section.entry(written.section.as_deref()).or_default().push(written);
        }
        let mut problems = Vec::new();
        let mut keymaps = Keymaps::default();
        for (section, written) in by_section {
            let Some(name) = section else {
                keymaps.list = apply(inventory, &written, &mut problems);
                continue;
            };
            let Some(found) = sections.iter().find(|known| known.name == name) else {
                let names: Vec<&str> = sections.iter().map(|known| known.name).collect();
                for entry in written {
                    problems.push(problem(
                        inventory,
                        entry,
                        format!("ui.keys.{name}"),
                        format!("no panel \"{name}\" has keys (sections: {})", names.join(", ")),
                    ));
                }
                continue;
            };
            let overrides: Written = written.iter().map(|entry| (entry.command.clone(), entry.keys.clone())).collect();
            for OverrideProblem { command, message } in (found.check)(&overrides) {
                if let Some(entry) = written.iter().find(|entry| entry.command == command) {
                    problems.push(problem(inventory, entry, format!("ui.keys.{name}.{command}"), message));
                }
            }
            keymaps.panels.insert(found.name, overrides);
        }
        if problems.is_empty() { Ok(keymaps) } else { Err(problems) }
    }

    /// A panel's keymap: its defaults with its section's overrides (checked on load).
    pub fn panel<C: CommandSet>(&self) -> Keymap<C> {
        let written = C::SECTION.and_then(|section| self.panels.get(section));
        written.and_then(|written| Keymap::with_overrides(pairs(written)).ok()).unwrap_or_default()
    }

    /// The README's keys tables, one per set (the list's, then the panels'), each headed by
    /// where it applies.
    pub fn markdown(sections: &[KeySection]) -> String {
        let mut text = section_markdown::<Command>();
        for section in sections {
            text.push('\n');
            text.push_str(&(section.markdown)());
        }
        text
    }
}

fn section_markdown<C: CommandSet>() -> String {
    format!("Keys of {}:\n\n{}", C::TITLE, Keymap::<C>::markdown_table())
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
