//! The SQS panel's commands as data: each with its `[ui.keys.sqs]` name, what it does, and
//! its default keys. A key press becomes a command first (`command_for`); the views then act
//! on the command, and the status line's hints are built from this table. Typing into the
//! filter, the send form and the confirmations is text entry and stays raw key handling.

use crossterm::event::KeyEvent;

use crate::tui::keymap::KeySpec;

use super::state::{SqsPanel, View};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SqsCommand {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Filter,
    SortByName,
    SortByType,
    SortByVisible,
    SortByInFlight,
    SortByDelayed,
    SortByDeadLetter,
    Refresh,
    Open,
    Back,
    Peek,
    Send,
    Purge,
    DeadLetter,
    Redrive,
    Delete,
}

impl SqsCommand {
    pub const ALL: [SqsCommand; 22] = [
        SqsCommand::Up,
        SqsCommand::Down,
        SqsCommand::PageUp,
        SqsCommand::PageDown,
        SqsCommand::Top,
        SqsCommand::Bottom,
        SqsCommand::Filter,
        SqsCommand::SortByName,
        SqsCommand::SortByType,
        SqsCommand::SortByVisible,
        SqsCommand::SortByInFlight,
        SqsCommand::SortByDelayed,
        SqsCommand::SortByDeadLetter,
        SqsCommand::Refresh,
        SqsCommand::Open,
        SqsCommand::Back,
        SqsCommand::Peek,
        SqsCommand::Send,
        SqsCommand::Purge,
        SqsCommand::DeadLetter,
        SqsCommand::Redrive,
        SqsCommand::Delete,
    ];

    /// The name used in `[ui.keys.sqs]`.
    pub fn name(self) -> &'static str {
        match self {
            SqsCommand::Up => "up",
            SqsCommand::Down => "down",
            SqsCommand::PageUp => "page_up",
            SqsCommand::PageDown => "page_down",
            SqsCommand::Top => "top",
            SqsCommand::Bottom => "bottom",
            SqsCommand::Filter => "filter",
            SqsCommand::SortByName => "sort_by_name",
            SqsCommand::SortByType => "sort_by_type",
            SqsCommand::SortByVisible => "sort_by_visible",
            SqsCommand::SortByInFlight => "sort_by_in_flight",
            SqsCommand::SortByDelayed => "sort_by_delayed",
            SqsCommand::SortByDeadLetter => "sort_by_dead_letter",
            SqsCommand::Refresh => "refresh",
            SqsCommand::Open => "open",
            SqsCommand::Back => "back",
            SqsCommand::Peek => "peek",
            SqsCommand::Send => "send",
            SqsCommand::Purge => "purge",
            SqsCommand::DeadLetter => "dead_letter",
            SqsCommand::Redrive => "redrive",
            SqsCommand::Delete => "delete",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            SqsCommand::Up => "the previous queue, message or redrive destination",
            SqsCommand::Down => "the next queue, message or redrive destination",
            SqsCommand::PageUp => "a page up in the queue list",
            SqsCommand::PageDown => "a page down in the queue list",
            SqsCommand::Top => "the first queue",
            SqsCommand::Bottom => "the last queue",
            SqsCommand::Filter => "filter the queues as you type (Enter keeps it, Esc clears it)",
            SqsCommand::SortByName => "sort by name (again: reverse)",
            SqsCommand::SortByType => "sort by type, standard or FIFO (again: reverse)",
            SqsCommand::SortByVisible => "sort by visible messages (again: reverse)",
            SqsCommand::SortByInFlight => "sort by messages in flight (again: reverse)",
            SqsCommand::SortByDelayed => "sort by delayed messages (again: reverse)",
            SqsCommand::SortByDeadLetter => "sort dead-letter queues and their sources first (again: reverse)",
            SqsCommand::Refresh => "list the queues and their counts again; in a peek, peek again",
            SqsCommand::Open => {
                "open the queue's detail; in the redrive picker, take the choice; after a redrive, back to the list"
            }
            SqsCommand::Back => "back: close the view, or clear the filter",
            SqsCommand::Peek => "peek at up to 10 messages (each peek counts as a receive)",
            SqsCommand::Send => "send a message to the queue",
            SqsCommand::Purge => "purge the queue (asks for its name)",
            SqsCommand::DeadLetter => "open the detail of the queue's dead-letter queue",
            SqsCommand::Redrive => "move a dead-letter queue's messages back (asks where, then its name)",
            SqsCommand::Delete => "delete the peeked message",
        }
    }

    /// Default keys, in the syntax of `KeySpec::parse`.
    pub fn default_keys(self) -> &'static [&'static str] {
        match self {
            SqsCommand::Up => &["k", "up"],
            SqsCommand::Down => &["j", "down"],
            SqsCommand::PageUp => &["pgup"],
            SqsCommand::PageDown => &["pgdn"],
            SqsCommand::Top => &["home", "g"],
            SqsCommand::Bottom => &["end", "G"],
            SqsCommand::Filter => &["/"],
            SqsCommand::SortByName => &["1"],
            SqsCommand::SortByType => &["2"],
            SqsCommand::SortByVisible => &["3"],
            SqsCommand::SortByInFlight => &["4"],
            SqsCommand::SortByDelayed => &["5"],
            SqsCommand::SortByDeadLetter => &["6"],
            SqsCommand::Refresh => &["r"],
            SqsCommand::Open => &["enter"],
            SqsCommand::Back => &["esc", "q"],
            SqsCommand::Peek => &["p"],
            SqsCommand::Send => &["n"],
            SqsCommand::Purge => &["P"],
            SqsCommand::DeadLetter => &["D"],
            SqsCommand::Redrive => &["m"],
            SqsCommand::Delete => &["d"],
        }
    }

    fn keys(self) -> impl Iterator<Item = KeySpec> {
        self.default_keys().iter().filter_map(|spec| KeySpec::parse(spec).ok())
    }

    /// The first key, as shown in hints ("Enter", "p", "Esc").
    fn first_key(self) -> String {
        self.keys().next().map(|key| key.label()).unwrap_or_default()
    }
}

/// The command a key stands for, by the default keys.
pub fn command_for(key: &KeyEvent) -> Option<SqsCommand> {
    SqsCommand::ALL.into_iter().find(|command| command.keys().any(|spec| spec.matches(key)))
}

/// The README's table of the SQS panel's keys, generated from the defaults.
pub fn markdown_table() -> String {
    let mut table = String::from("| keys | command (`[ui.keys.sqs]` name) | what it does |\n|---|---|---|\n");
    for command in SqsCommand::ALL {
        let keys: Vec<String> = command.keys().map(|key| format!("`{}`", key.label())).collect();
        table.push_str(&format!("| {} | `{}` | {} |\n", keys.join(" "), command.name(), command.description()));
    }
    table
}

/// One hint of the status line.
enum Hint {
    /// A command's first key and what it does in this view.
    Key(SqsCommand, &'static str),
    /// Two commands that go together, "j/k select".
    Pair(SqsCommand, SqsCommand, &'static str),
    /// A run of commands, "1-6 sort".
    Range(SqsCommand, SqsCommand, &'static str),
    /// A key of the screen around the panel (Tab switches panels).
    Screen(&'static str, &'static str),
}

impl Hint {
    fn text(&self) -> String {
        match self {
            Hint::Key(command, what) => format!("{} {what}", command.first_key()),
            Hint::Pair(first, second, what) => format!("{}/{} {what}", first.first_key(), second.first_key()),
            Hint::Range(first, last, what) => format!("{}-{} {what}", first.first_key(), last.first_key()),
            Hint::Screen(key, what) => format!("{key} {what}"),
        }
    }
}

fn line(hints: &[Hint]) -> String {
    hints.iter().map(Hint::text).collect::<Vec<_>>().join(" · ")
}

/// The status line's hints: the commands that apply in the view on screen.
pub fn hints(panel: &SqsPanel) -> String {
    use SqsCommand as C;
    match &panel.view {
        View::List if panel.filtering => "type to filter · Enter keeps · Esc clears".into(),
        View::List => line(&[
            Hint::Key(C::Open, "detail"),
            Hint::Key(C::Peek, "peek"),
            Hint::Key(C::Send, "send"),
            Hint::Key(C::Purge, "purge"),
            Hint::Key(C::Filter, "filter"),
            Hint::Range(C::SortByName, C::SortByDeadLetter, "sort"),
            Hint::Key(C::Refresh, "refresh"),
            Hint::Screen("Tab", "panel"),
            Hint::Key(C::Back, "back"),
        ]),
        View::Detail { url, sources } => {
            let mut hints = vec![Hint::Key(C::Peek, "peek"), Hint::Key(C::Send, "send"), Hint::Key(C::Purge, "purge")];
            if panel.queue(url).and_then(|row| row.attributes.as_ref()?.redrive_policy()).is_some() {
                hints.push(Hint::Key(C::DeadLetter, "its DLQ"));
            }
            if matches!(sources, Some(Ok(found)) if !found.is_empty()) {
                hints.push(Hint::Key(C::Redrive, "redrive"));
            }
            hints.extend([Hint::Key(C::Refresh, "refresh"), Hint::Key(C::Back, "list")]);
            line(&hints)
        }
        View::PeekWarning { .. } => "y peek anyway · n back".into(),
        View::RedrivePick { .. } => line(&[
            Hint::Pair(C::Down, C::Up, "choose where the messages go"),
            Hint::Key(C::Open, "confirm"),
            Hint::Key(C::Back, "back"),
        ]),
        View::Peek { .. } => line(&[
            Hint::Pair(C::Down, C::Up, "select"),
            Hint::Key(C::Delete, "delete"),
            Hint::Key(C::Refresh, "peek again"),
            Hint::Key(C::Back, "back"),
        ]),
        View::Send(_) => "Tab/↑↓ field · Enter on the last field or Ctrl-s sends · Esc cancels".into(),
        View::Confirm { .. } => "type the name · Enter confirms · Esc cancels".into(),
        View::Redrive { result: None, .. } => "moving messages…".into(),
        View::Redrive { .. } => line(&[Hint::Key(C::Open, "back to the list")]),
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyModifiers};

    use super::*;

    #[test]
    fn every_command_has_a_name_a_description_and_keys_that_parse() {
        let mut names = std::collections::HashSet::new();
        for command in SqsCommand::ALL {
            assert!(names.insert(command.name()), "{} twice", command.name());
            assert!(!command.description().is_empty());
            assert!(!command.default_keys().is_empty(), "{command:?} has no key");
            for spec in command.default_keys() {
                KeySpec::parse(spec).unwrap_or_else(|why| panic!("{command:?}: {why}"));
            }
        }
    }

    #[test]
    fn no_two_commands_share_a_default_key() {
        for command in SqsCommand::ALL {
            for spec in command.keys() {
                let key = KeyEvent::new(spec.code, KeyModifiers::NONE);
                assert_eq!(command_for(&key), Some(command), "{} is taken", spec.label());
            }
        }
        assert_eq!(command_for(&KeyEvent::new(KeyCode::Char('P'), KeyModifiers::SHIFT)), Some(SqsCommand::Purge));
        assert_eq!(command_for(&KeyEvent::new(KeyCode::Char('p'), KeyModifiers::NONE)), Some(SqsCommand::Peek));
        assert_eq!(command_for(&KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL)), None);
        assert_eq!(command_for(&KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE)), None);
    }
}

#[cfg(test)]
mod table {
    #[test]
    fn the_keys_table_lists_every_command_with_its_keys() {
        let table = super::markdown_table();
        assert_eq!(table.lines().count(), 2 + super::SqsCommand::ALL.len());
        assert!(table.contains("| `P` | `purge` |"), "{table}");
        assert!(table.contains("| `Esc` `q` | `back` |"), "{table}");
    }
}
