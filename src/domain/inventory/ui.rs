//! `[ui]`: the screen's settings. Key overrides are kept with their positions, with the
//! `[ui.keys.SECTION]` they were written in; which commands exist is the screen's schema
//! (`app::keys`), checked when the inventory is loaded.

use std::time::Duration;

use super::fields::{Problems, line_and_column};
use super::raw::{RawKeyEntry, RawKeys, RawUi};
use super::{KeyOverride, UiSettings};
use crate::domain::duration::parse_duration;
use crate::domain::exports::ExportFormat;

pub(super) fn ui(raw: RawUi, problems: &mut Problems) -> UiSettings {
    let export_format = raw.export_format.as_ref().and_then(|text| {
        let found = ExportFormat::all().into_iter().find(|format| format.name() == text.get_ref());
        if found.is_none() {
            let names: Vec<&str> = ExportFormat::all().iter().map(|format| format.name()).collect();
            problems.at(
                text.span(),
                "ui.export_format",
                format!("\"{}\" is not a format ({})", text.get_ref(), names.join(", ")),
            );
        }
        found
    });
    let keys = key_overrides(raw.keys, problems.text);
    let panel_refresh = raw.panel_refresh.as_ref().and_then(|text| match parse_duration(text.get_ref()) {
        Ok(every) if every >= Duration::from_secs(1) => Some(every),
        Ok(_) => {
            problems.at(text.span(), "ui.panel_refresh", "refresh at most once a second");
            None
        }
        Err(message) => {
            problems.at(text.span(), "ui.panel_refresh", message);
            None
        }
    });
    UiSettings { export_format, panel_refresh, keys }
}

/// `[ui.keys]` entries are commands of the list; `[ui.keys.NAME]` tables hold a panel's.
fn key_overrides(raw: RawKeys, text: &str) -> Vec<KeyOverride> {
    let at = |span: std::ops::Range<usize>| line_and_column(text, span.start);
    let mut overrides = Vec::new();
    for (name, entry) in raw.0 {
        let span = entry.span();
        match entry.into_inner() {
            RawKeyEntry::Keys(keys) => {
                let (line, column) = at(span);
                overrides.push(KeyOverride { section: None, command: name, keys, line, column });
            }
            RawKeyEntry::Section(commands) => {
                for (command, keys) in commands {
                    let (line, column) = at(keys.span());
                    let section = Some(name.clone());
                    overrides.push(KeyOverride { section, command, keys: keys.into_inner(), line, column });
                }
            }
        }
    }
    overrides
}
