//! The SQS panel's keys: a key press becomes a command of `SqsCommand` through the
//! panel's keymap (defaults with `[ui.keys.sqs]` applied) first; the views then act on the
//! command, and the status line's hints are built from the same keymap. Typing into the
//! filter, the send form and the confirmations is text entry and stays raw key handling.

use crossterm::event::KeyEvent;

use crate::app::keys::Keymap;
pub use super::commands::SqsCommand;

use super::state::{SqsPanel, View};

/// The command a key stands for in this panel's keymap.
pub fn command_for(keys: &Keymap<SqsCommand>, key: &KeyEvent) -> Option<SqsCommand> {
    keys.command_for(key)
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
    fn text(&self, keys: &Keymap<SqsCommand>) -> String {
        let key = |command: &SqsCommand| keys.first_key_of(*command);
        match self {
            Hint::Key(command, what) => format!("{} {what}", key(command)),
            Hint::Pair(first, second, what) => format!("{}/{} {what}", key(first), key(second)),
            Hint::Range(first, last, what) => format!("{}-{} {what}", key(first), key(last)),
            Hint::Screen(key, what) => format!("{key} {what}"),
        }
    }
}

/// The status line's hints: the commands that apply in the view on screen.
pub fn hints(panel: &SqsPanel) -> String {
    use SqsCommand as C;
    let line = |hints: &[Hint]| hints.iter().map(|hint| hint.text(&panel.keys)).collect::<Vec<_>>().join(" · ");
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
        View::Audit { .. } => line(&[Hint::Pair(C::Down, C::Up, "scroll"), Hint::Key(C::Back, "back")]),
        View::Peek { selected, reading, .. } => {
            let mut hints =
                vec![Hint::Pair(C::Down, C::Up, "select"), Hint::Pair(C::ScrollDown, C::ScrollUp, "scroll")];
            if reading.views.get(*selected).is_some_and(|view| view.envelope.is_some()) {
                hints.push(Hint::Key(C::Envelope, "SNS envelope"));
            }
            hints.extend([
                Hint::Key(C::Save, "save"),
                Hint::Key(C::Delete, "delete"),
                Hint::Key(C::Refresh, "peek again"),
                Hint::Key(C::Back, "back"),
            ]);
            line(&hints)
        }
        View::Send(_) => "Tab/↑↓ field · Enter on the last field or Ctrl-s sends · Esc cancels".into(),
        View::Confirm { .. } => "type the name · Enter confirms · Esc cancels".into(),
        View::Redrive(redrive) if redrive.result.is_none() && redrive.handle.is_some() => {
            line(&[Hint::Key(C::Cancel, "cancel the move task")])
        }
        View::Redrive(redrive) if redrive.result.is_none() => line(&[Hint::Key(C::Cancel, "stop the copy")]),
        View::Redrive(_) => line(&[Hint::Key(C::Open, "back to the list")]),
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyModifiers};

    use super::*;

    #[test]
    fn keys_stand_for_their_commands_with_shift_and_ctrl_told_apart() {
        let keys = Keymap::<SqsCommand>::default();
        let key = |code, modifiers| command_for(&keys, &KeyEvent::new(code, modifiers));
        assert_eq!(key(KeyCode::Char('P'), KeyModifiers::SHIFT), Some(SqsCommand::Purge));
        assert_eq!(key(KeyCode::Char('p'), KeyModifiers::NONE), Some(SqsCommand::Peek));
        assert_eq!(key(KeyCode::Char('p'), KeyModifiers::CONTROL), None);
        assert_eq!(key(KeyCode::Char('x'), KeyModifiers::NONE), Some(SqsCommand::Save));
        assert_eq!(key(KeyCode::Char('z'), KeyModifiers::NONE), None);
    }

    #[test]
    fn hints_show_the_rebound_key() {
        let peek = vec!["v".to_owned()];
        let panel = <SqsPanel as crate::tui::panels::panel::PanelUpdate>::new(Keymap::with_overrides([("peek", peek.as_slice())]).unwrap());
        assert!(hints(&panel).contains("v peek"), "{}", hints(&panel));
        assert!(!hints(&panel).contains("p peek"), "{}", hints(&panel));
    }
}
