//! The commands of the alarms panel, rebound in `[ui.keys.alarms]`: one line per command.

crate::command_set! {
    pub enum AlarmsCommand in Some("alarms"), "the alarms panel" {
        Up = "up", ["k", "up"], "the previous alarm";
        Down = "down", ["j", "down"], "the next alarm";
        PageUp = "page_up", ["pgup"], "a page up";
        PageDown = "page_down", ["pgdn"], "a page down";
        Top = "top", ["home", "g"], "the first alarm";
        Bottom = "bottom", ["end", "G"], "the last alarm";
        Filter = "filter", ["/"], "filter the alarms as you type (Enter keeps it, Esc clears it)";
        Refresh = "refresh", ["r"], "read the alarms again (when the session needs a code: renew it first)";
        Open = "open", ["enter"], "the alarm's detail: what it watches, when it fires, why it is in its state";
        Back = "back", ["esc", "q"], "back: close the detail, or clear the filter";
    }
}
