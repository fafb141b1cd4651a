//! The commands of the main screen (the list of roles), rebound in `[ui.keys]`.

use super::keymap::CommandSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Open,
    Mark,
    MarkAll,
    ClearMarks,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Refresh,
    RefreshExpiring,
    Copy,
    Exports,
    Console,
    Filter,
    Sort,
    Chain,
    Log,
    Help,
    Quit,
}

impl CommandSet for Command {
    const SECTION: Option<&'static str> = None;
    const TITLE: &'static str = "the list of roles";

    fn all() -> &'static [Self] {
        &[
            Command::Open,
            Command::Mark,
            Command::MarkAll,
            Command::ClearMarks,
            Command::Up,
            Command::Down,
            Command::PageUp,
            Command::PageDown,
            Command::Top,
            Command::Bottom,
            Command::Refresh,
            Command::RefreshExpiring,
            Command::Copy,
            Command::Exports,
            Command::Console,
            Command::Filter,
            Command::Sort,
            Command::Chain,
            Command::Log,
            Command::Help,
            Command::Quit,
        ]
    }

    fn name(self) -> &'static str {
        match self {
            Command::Open => "open",
            Command::Mark => "mark",
            Command::MarkAll => "mark_all",
            Command::ClearMarks => "clear_marks",
            Command::Up => "up",
            Command::Down => "down",
            Command::PageUp => "page_up",
            Command::PageDown => "page_down",
            Command::Top => "top",
            Command::Bottom => "bottom",
            Command::Refresh => "refresh",
            Command::RefreshExpiring => "refresh_expiring",
            Command::Copy => "copy",
            Command::Exports => "exports",
            Command::Console => "console",
            Command::Filter => "filter",
            Command::Sort => "sort",
            Command::Chain => "chain",
            Command::Log => "log",
            Command::Help => "help",
            Command::Quit => "quit",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Command::Open => "open the account's panels (SQS, identity), or with marks the fleet view",
            Command::Mark => "mark or unmark the selected role (r and Enter act on every marked role)",
            Command::MarkAll => "mark every role the filter shows (again: unmark them)",
            Command::ClearMarks => "clear every mark (Esc too, once the filter is cleared)",
            Command::Up => "select the previous role",
            Command::Down => "select the next role",
            Command::PageUp => "a page up",
            Command::PageDown => "a page down",
            Command::Top => "the first role",
            Command::Bottom => "the last role",
            Command::Refresh => "refresh the selected role, or the marked ones (asks for an MFA code if needed)",
            Command::RefreshExpiring => "refresh every expiring or expired role",
            Command::Copy => "copy the selected role's exports in your shell's format",
            Command::Exports => "pick an export format, preview (masked) and copy",
            Command::Console => "open the selected role's AWS console in the browser (signed in)",
            Command::Filter => "filter as you type (Enter keeps it, Esc clears it)",
            Command::Sort => "sort by name or by time left",
            Command::Chain => "show or hide the chain of the selected role",
            Command::Log => "show or hide the log",
            Command::Help => "show or hide this help",
            Command::Quit => "quit",
        }
    }

    fn default_keys(self) -> &'static [&'static str] {
        match self {
            Command::Open => &["enter"],
            Command::Mark => &["space"],
            Command::MarkAll => &["*"],
            Command::ClearMarks => &["u"],
            Command::Up => &["k", "up"],
            Command::Down => &["j", "down"],
            Command::PageUp => &["pgup", "ctrl-b"],
            Command::PageDown => &["pgdn", "ctrl-f"],
            Command::Top => &["home", "g"],
            Command::Bottom => &["end", "G"],
            Command::Refresh => &["r"],
            Command::RefreshExpiring => &["R"],
            Command::Copy => &["c"],
            Command::Exports => &["e"],
            Command::Console => &["o"],
            Command::Filter => &["/"],
            Command::Sort => &["s"],
            Command::Chain => &["v"],
            Command::Log => &["L"],
            Command::Help => &["?"],
            Command::Quit => &["q", "ctrl-c"],
        }
    }
}
