//! The roles, grouped by account, with their live countdowns. Laid out by hand rather than
//! with a `Table`, so account lines can run across the columns.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::shown::{Line, LineAt};
use crate::domain::duration::format_countdown;
use crate::tui::base::row::{Activity, RowState};
use crate::tui::base::theme::Theme;
use crate::tui::base::widgets::cell;
use crate::tui::state::State;

const STATE_WIDTH: usize = 11;
const LEFT_WIDTH: usize = 9;
const REGION_WIDTH: usize = 15;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let list = state.list.shown(&state.rows);
    let inner_width = usize::from(area.width.saturating_sub(2));
    let role_width = if list.roles().is_empty() { 12 } else { list.widest_role() + 3 };
    // Marks take a column of their own while there are any.
    let mark_width = if state.list.marks.is_empty() { 0 } else { 2 };
    let role_width = role_width.clamp(12, (inner_width / 3).max(12)) + mark_width;
    let fixed = role_width + STATE_WIDTH + LEFT_WIDTH;
    // Narrow screens drop the region, then the route.
    let region_width = if inner_width >= fixed + REGION_WIDTH + 16 { REGION_WIDTH } else { 0 };
    let route_width = inner_width.saturating_sub(fixed + region_width);

    let capacity = usize::from(area.height.saturating_sub(3)).max(1);
    let mut text = vec![TextLine::from(Span::styled(
        format!(
            "{}{}{}{}{}",
            cell("ROLE", role_width),
            cell("STATE", STATE_WIDTH),
            cell("LEFT", LEFT_WIDTH),
            cell("REACHED", route_width),
            cell("REGION", region_width)
        ),
        theme.dim(),
    ))];
    // Only the lines on screen are formatted: the list may hold thousands.
    let on_screen = list.lines().iter().skip(state.list.scroll).take(capacity);
    for line in on_screen.map(|line| match *line {
        LineAt::Account(index) => Line::Account(&state.rows[index]),
        LineAt::Role(index) => Line::Role(&state.rows[index]),
    }) {
        text.push(match line {
            Line::Account(row) => TextLine::from(vec![
                Span::styled(row.key.account.clone(), theme.account()),
                Span::styled(format!("  {}  ", row.account_id), theme.dim()),
                Span::styled(
                    row.environment.as_deref().unwrap_or_default().to_owned(),
                    theme.environment(row.production),
                ),
            ]),
            Line::Role(row) => {
                let row_state = row.state(state.now, state.refresh_before);
                let left = match (&row.activity, row_state, row.time_left(state.now)) {
                    // How long a refresh has been waiting: a hung endpoint shows, and ticks.
                    (Activity::Refreshing { since, .. }, _, _) => {
                        format!("…{}s", state.now.duration_since(*since).as_secs().max(0))
                    }
                    (_, RowState::None, _) | (_, _, None) => "-".to_owned(),
                    (_, _, Some(left)) => format_countdown(left),
                };
                let selected = state.list.selected.as_ref() == Some(&row.key);
                let base = if selected { theme.selected() } else { Style::new() };
                let marker = if selected { "▸ " } else { "  " };
                let mark = match (mark_width, state.list.marks.contains(&row.key)) {
                    (0, _) => "",
                    (_, true) => "● ",
                    (_, false) => "  ",
                };
                TextLine::from(vec![
                    Span::styled(cell(&format!("{marker}{mark}{}", row.key.role), role_width), base),
                    Span::styled(cell(row_state.label(), STATE_WIDTH), base.patch(theme.state(row_state))),
                    Span::styled(cell(&left, LEFT_WIDTH), base.patch(theme.state(row_state))),
                    Span::styled(cell(&row.route, route_width), base),
                    Span::styled(cell(&row.region, region_width), base),
                ])
            }
        });
    }
    if list.is_empty() {
        let message = if state.rows.is_empty() { "the inventory has no roles" } else { "no role matches the filter" };
        text.push(TextLine::from(Span::styled(message, theme.dim())));
    }
    let title = if state.list.filter.text.is_empty() {
        " roles ".to_owned()
    } else {
        format!(" roles matching \"{}\" ({}) ", state.list.filter.text, list.roles().len())
    };
    frame.render_widget(Paragraph::new(text).block(Block::default().borders(Borders::ALL).title(title)), area);
}
