//! Where each region of the screen goes for a given size. Used by the renderer and by
//! `update` (page size, mouse hits), so both agree without render writing into the state.

use ratatui::layout::{Constraint, Direction, Layout, Rect};

pub struct Areas {
    pub header: Rect,
    pub list: Rect,
    pub chain: Option<Rect>,
    pub status: Rect,
}

/// Wide screens put the chain beside the list; narrow ones below it.
pub fn areas(width: u16, height: u16, show_chain: bool) -> Areas {
    let screen = Rect::new(0, 0, width, height);
    let [header, body, status] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(screen);
    if !show_chain {
        return Areas { header, list: body, chain: None, status };
    }
    let (direction, list_share, chain_share) =
        if width >= 110 { (Direction::Horizontal, 62, 38) } else { (Direction::Vertical, 60, 40) };
    let parts = Layout::default()
        .direction(direction)
        .constraints([Constraint::Percentage(list_share), Constraint::Percentage(chain_share)])
        .split(body);
    Areas { header, list: parts[0], chain: Some(parts[1]), status }
}

/// How many list lines fit: the list has a border (2) and a column header (1).
pub fn list_capacity(width: u16, height: u16, show_chain: bool) -> usize {
    usize::from(areas(width, height, show_chain).list.height.saturating_sub(3)).max(1)
}

/// The list line index under screen row `y`, before adding the scroll offset.
pub fn list_line_at(width: u16, height: u16, show_chain: bool, x: u16, y: u16) -> Option<usize> {
    let list = areas(width, height, show_chain).list;
    let first = list.y + 2;
    let inside = x > list.x && x < list.x + list.width.saturating_sub(1) && y >= first && y < list.y + list.height - 1;
    inside.then(|| usize::from(y - first))
}
