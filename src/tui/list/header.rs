//! The list's header (roles, sort, marks, cache, agent, clock) and status line (the filter
//! being typed, the last status, or the key hints).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::SortOrder;
use crate::domain::clock::skew_notice;
use crate::tui::base::keys::Command;
use crate::tui::base::theme::Theme;
use crate::tui::state::State;

pub fn header(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let sort = match state.list.sort {
        SortOrder::Name => "name",
        SortOrder::TimeLeft => "time left",
    };
    let mut spans = vec![
        Span::styled(" switchboard ", theme.accent()),
        Span::raw(format!(" {} roles · sort: {sort}", state.rows.len())),
    ];
    if !state.list.marks.is_empty() {
        spans.push(Span::styled(format!(" · {} marked", state.list.marks.len()), theme.accent()));
    }
    if !state.backend.is_empty() {
        spans.push(Span::styled(format!(" · cache: {}", state.backend), theme.dim()));
    }
    if let Some(agent) = &state.agent {
        spans.push(Span::styled(format!(" · agent: {agent}"), theme.dim()));
    }
    // Countdowns are in AWS time already; this says why they differ from the wall clock.
    if let Some(notice) = skew_notice(state.clock_ahead) {
        spans.push(Span::styled(format!(" · {notice}"), theme.error()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn status(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let line = if state.list.filter.editing {
        let cursor = if state.list.filter.editing { "▏" } else { "" };
        Line::from(vec![
            Span::styled(" / ", theme.accent()),
            Span::raw(format!("{}{cursor}", state.list.filter.text)),
            Span::styled("   Enter keeps · Esc clears", theme.dim()),
        ])
    } else if let Some(status) = &state.status {
        let style = if status.error { theme.error() } else { ratatui::style::Style::new() };
        let mut spans = filter_badge(state, theme);
        spans.push(Span::styled(format!(" {}", status.text), style));
        Line::from(spans)
    } else {
        let hint = |command: Command, what: &str| {
            format!("{} {what}", state.keymaps.list.keys_of(command).split(' ').next().unwrap_or(""))
        };
        let mut spans = filter_badge(state, theme);
        spans.push(Span::styled(
            format!(
                " {} · {} · {} · {} · {} · {}",
                hint(Command::Refresh, "refresh"),
                hint(Command::Copy, "copy exports"),
                hint(Command::Exports, "formats"),
                hint(Command::Filter, "filter"),
                hint(Command::Help, "help"),
                hint(Command::Quit, "quit")
            ),
            theme.dim(),
        ));
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// "[/text]" while a kept filter narrows the list, so it is never forgotten.
fn filter_badge(state: &State, theme: Theme) -> Vec<Span<'static>> {
    if state.list.filter.text.is_empty() {
        Vec::new()
    } else {
        vec![Span::styled(format!(" [/{}]", state.list.filter.text), theme.accent())]
    }
}
