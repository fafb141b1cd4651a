//! The commands of the main screen (the list of roles), rebound in `[ui.keys]`.

crate::command_set! {
    pub enum Command in None, "the list of roles" {
        Open = "open", ["enter"], "open the account's panels (SQS, identity), or with marks the fleet view";
        Mark = "mark", ["space"], "mark or unmark the selected role (r and Enter act on every marked role)";
        MarkAll = "mark_all", ["*"], "mark every role the filter shows (again: unmark them)";
        ClearMarks = "clear_marks", ["u"], "clear every mark (Esc too, once the filter is cleared)";
        Up = "up", ["k", "up"], "select the previous role";
        Down = "down", ["j", "down"], "select the next role";
        PageUp = "page_up", ["pgup", "ctrl-b"], "a page up";
        PageDown = "page_down", ["pgdn", "ctrl-f"], "a page down";
        Top = "top", ["home", "g"], "the first role";
        Bottom = "bottom", ["end", "G"], "the last role";
        Refresh = "refresh", ["r"], "refresh the selected role, or the marked ones (asks for an MFA code if needed)";
        RefreshExpiring = "refresh_expiring", ["R"], "refresh every expiring or expired role";
        Copy = "copy", ["c"], "copy the selected role's exports in your shell's format";
        Exports = "exports", ["e"], "pick an export format, preview (masked) and copy";
        Console = "console", ["o"], "open the selected role's AWS console in the browser (signed in)";
        Filter = "filter", ["/"], "filter as you type (Enter keeps it, Esc clears it)";
        Sort = "sort", ["s"], "sort by name or by time left";
        Chain = "chain", ["v"], "show or hide the chain of the selected role";
        Log = "log", ["L"], "show or hide the log";
        Help = "help", ["?"], "show or hide this help";
        Quit = "quit", ["q", "ctrl-c"], "quit";
    }
}
