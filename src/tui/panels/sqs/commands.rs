//! The commands of the SQS panel, rebound in `[ui.keys.sqs]`: one line per command.

crate::command_set! {
    pub enum SqsCommand in Some("sqs"), "the SQS panel" {
        Up = "up", ["k", "up"], "the previous queue, message or redrive destination";
        Down = "down", ["j", "down"], "the next queue, message or redrive destination";
        PageUp = "page_up", ["pgup"], "a page up in the queue list";
        PageDown = "page_down", ["pgdn"], "a page down in the queue list";
        Top = "top", ["home", "g"], "the first queue";
        Bottom = "bottom", ["end", "G"], "the last queue";
        Filter = "filter", ["/"], "filter the queues as you type (Enter keeps it, Esc clears it)";
        SortByName = "sort_by_name", ["1"], "sort by name (again: reverse)";
        SortByType = "sort_by_type", ["2"], "sort by type, standard or FIFO (again: reverse)";
        SortByVisible = "sort_by_visible", ["3"], "sort by visible messages (again: reverse)";
        SortByInFlight = "sort_by_in_flight", ["4"], "sort by messages in flight (again: reverse)";
        SortByDelayed = "sort_by_delayed", ["5"], "sort by delayed messages (again: reverse)";
        SortByDeadLetter = "sort_by_dead_letter", ["6"], "sort dead-letter queues and their sources first (again: reverse)";
        Refresh = "refresh", ["r"], "list the queues and their counts again; in a peek, peek again";
        Open = "open", ["enter"], "open the queue's detail; in the redrive picker, take the choice; after a redrive, back to the list";
        Back = "back", ["esc", "q"], "back: close the view, or clear the filter";
        Peek = "peek", ["p"], "peek at up to 10 messages (each peek counts as a receive)";
        Send = "send", ["n"], "send a message to the queue";
        Purge = "purge", ["P"], "purge the queue (asks for its name)";
        DeadLetter = "dead_letter", ["D"], "open the detail of the queue's dead-letter queue";
        Redrive = "redrive", ["m"], "move a dead-letter queue's messages back (asks where, then its name)";
        Delete = "delete", ["d"], "delete the peeked message";
        Cancel = "cancel", ["c"], "during a redrive: cancel the move task, or stop the copy after its batch";
        Save = "save", ["x"], "save the peeked messages as JSON Lines (the path is shown)";
        AuditTrail = "audit_trail", ["L"], "the account's recent changes from the audit trail";
        ScrollDown = "scroll_down", ["J"], "scroll the message body down";
        ScrollUp = "scroll_up", ["K"], "scroll the message body up";
        Envelope = "envelope", ["e"], "an SNS message: switch between its inner message and the envelope";
        Console = "console", ["o"], "open the queue's page of the AWS console, signed in with the role's session";
    }
}
