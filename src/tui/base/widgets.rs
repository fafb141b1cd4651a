//! Small layout helpers shared by every part of the screen that draws.

use ratatui::layout::{Constraint, Flex, Layout, Rect};

/// A rectangle of at most `width` x `height`, centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(row);
    cell
}

/// `text` cut or padded to exactly `width` characters, always ending in a space. Text from a
/// server (a queue's or an alarm's name) has its control and bidi characters escaped first
/// (`\u{202e}`), as the commands print it.
pub fn cell(text: &str, width: usize) -> String {
    if width == 0 {
        return String::new();
    }
    let text = &*crate::app::output::terminal_safe(text);
    let room = width - 1;
    let count = text.chars().count();
    if count > room {
        let mut cut: String = text.chars().take(room.saturating_sub(1)).collect();
        cut.push_str("… ");
        cut
    } else {
        format!("{text}{}", " ".repeat(width - count))
    }
}
