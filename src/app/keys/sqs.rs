//! The commands of the SQS panel, rebound in `[ui.keys.sqs]`.

use super::keymap::CommandSet;

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
    Cancel,
    Save,
    AuditTrail,
    ScrollDown,
    ScrollUp,
    Envelope,
    Console,
}

impl CommandSet for SqsCommand {
    const SECTION: Option<&'static str> = Some("sqs");
    const TITLE: &'static str = "the SQS panel";

    fn all() -> &'static [Self] {
        &[
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
            SqsCommand::Cancel,
            SqsCommand::Save,
            SqsCommand::AuditTrail,
            SqsCommand::ScrollDown,
            SqsCommand::ScrollUp,
            SqsCommand::Envelope,
            SqsCommand::Console,
        ]
    }

    fn name(self) -> &'static str {
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
            SqsCommand::Cancel => "cancel",
            SqsCommand::Save => "save",
            SqsCommand::AuditTrail => "audit_trail",
            SqsCommand::ScrollDown => "scroll_down",
            SqsCommand::ScrollUp => "scroll_up",
            SqsCommand::Envelope => "envelope",
            SqsCommand::Console => "console",
        }
    }

    fn description(self) -> &'static str {
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
            SqsCommand::Cancel => "during a redrive: cancel the move task, or stop the copy after its batch",
            SqsCommand::Save => "save the peeked messages as JSON Lines (the path is shown)",
            SqsCommand::AuditTrail => "the account's recent changes from the audit trail",
            SqsCommand::ScrollDown => "scroll the message body down",
            SqsCommand::ScrollUp => "scroll the message body up",
            SqsCommand::Envelope => "an SNS message: switch between its inner message and the envelope",
            SqsCommand::Console => "open the queue's page of the AWS console, signed in with the role's session",
        }
    }

    fn default_keys(self) -> &'static [&'static str] {
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
            SqsCommand::Cancel => &["c"],
            SqsCommand::Save => &["x"],
            SqsCommand::AuditTrail => &["L"],
            SqsCommand::ScrollDown => &["J"],
            SqsCommand::ScrollUp => &["K"],
            SqsCommand::Envelope => &["e"],
            SqsCommand::Console => &["o"],
        }
    }
}
