//! A rendered buffer as text, the way snapshots and assertions read the screen.

use ratatui::buffer::Buffer;

/// The buffer as lines of text, trailing blanks trimmed (colours and modifiers dropped).
pub fn text_of(buffer: &Buffer) -> String {
    let width = usize::from(buffer.area.width).max(1);
    buffer
        .content()
        .chunks(width)
        .map(|row| {
            let line: String = row.iter().map(|cell| cell.symbol()).collect();
            line.trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The screen line that holds `needle` (the first one).
pub fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen.lines().find(|line| line.contains(needle)).unwrap_or_else(|| panic!("no line with {needle:?}:\n{screen}"))
}
