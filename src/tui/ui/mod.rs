//! Rendering: a pure function of the state. Nothing here touches the network, a lock or the
//! clock: the countdowns come from `state.now`.

mod account;
mod chain;
mod fleet;
mod list;
mod overlays;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::keymap::Command;
use super::layout::areas;
use super::state::{Overlay, SortOrder, State};
use crate::domain::clock::skew_notice;
use theme::Theme;

pub fn render(frame: &mut Frame, state: &State) {
    let theme = Theme { color: !state.no_color };
    let area = frame.area();
    if let Some(view) = &state.account {
        account::render(frame, area, state, view, theme);
        overlays_and_modal(frame, area, state, theme);
        return;
    }
    if let Some(view) = &state.fleet {
        fleet::render(frame, area, state, view, theme);
        overlays_and_modal(frame, area, state, theme);
        return;
    }
    let regions = areas(area.width, area.height, state.show_chain);
    header(frame, regions.header, state, theme);
    list::render(frame, regions.list, state, theme);
    if let Some(chain_area) = regions.chain {
        chain::render(frame, chain_area, state, theme);
    }
    status(frame, regions.status, state, theme);
    overlays_and_modal(frame, area, state, theme);
}

fn overlays_and_modal(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    match &state.overlay {
        Overlay::None => {}
        Overlay::Help => overlays::help(frame, area, state, theme),
        Overlay::Log => overlays::log(frame, area, state, theme),
        Overlay::Exports(popup) => overlays::exports(frame, area, state, popup, theme),
    }
    if !state.mfa.asks.is_empty() {
        overlays::mfa(frame, area, state, theme);
    }
}

fn header(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let sort = match state.sort {
        SortOrder::Name => "name",
        SortOrder::TimeLeft => "time left",
    };
    let mut spans = vec![
        Span::styled(" switchboard ", theme.accent()),
        Span::raw(format!(" {} roles · sort: {sort}", state.rows.len())),
    ];
    if !state.marks.is_empty() {
        spans.push(Span::styled(format!(" · {} marked", state.marks.len()), theme.accent()));
    }
    if !state.backend.is_empty() {
        spans.push(Span::styled(format!(" · cache: {}", state.backend), theme.dim()));
    }
    // Countdowns are in AWS time already; this says why they differ from the wall clock.
    if let Some(notice) = skew_notice(state.clock_ahead) {
        spans.push(Span::styled(format!(" · {notice}"), theme.error()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn status(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let line = if state.filter.editing {
        let cursor = if state.filter.editing { "▏" } else { "" };
        Line::from(vec![
            Span::styled(" / ", theme.accent()),
            Span::raw(format!("{}{cursor}", state.filter.text)),
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
    if state.filter.text.is_empty() {
        Vec::new()
    } else {
        vec![Span::styled(format!(" [/{}]", state.filter.text), theme.accent())]
    }
}

/// A rectangle of at most `width` x `height`, centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(row);
    cell
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use jiff::SignedDuration;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::tui::action::Action;
    use crate::tui::update::update;

    fn header_text(state: &State) -> String {
        let mut terminal = Terminal::new(TestBackend::new(120, 12)).unwrap();
        terminal.draw(|frame| render(frame, state)).unwrap();
        let buffer = terminal.backend().buffer();
        (0..buffer.area.width).map(|x| buffer[(x, 0)].symbol()).collect()
    }

    #[test]
    fn the_header_says_when_the_clock_is_more_than_a_minute_off_aws() {
        let mut state = State::new(Vec::new(), "2026-11-21T09:00:00Z".parse().unwrap(), Duration::from_secs(300));
        assert!(!header_text(&state).contains("clock"), "nothing measured: no notice");
        update(&mut state, Action::AwsClock(Some(SignedDuration::from_secs(30))));
        assert!(!header_text(&state).contains("clock"), "half a minute is no news");
        update(&mut state, Action::AwsClock(Some(SignedDuration::from_mins(10))));
        assert!(header_text(&state).contains("· clock 10m ahead of AWS"), "{}", header_text(&state));
        update(&mut state, Action::AwsClock(Some(SignedDuration::from_mins(-10))));
        assert!(header_text(&state).contains("· clock 10m behind AWS"), "{}", header_text(&state));
    }
}
