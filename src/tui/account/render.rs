//! An account's panels: a tab bar, the active panel, and the panel's key hints. Production
//! accounts are framed in red, so nobody forgets where their keystrokes land.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::AccountView;
use crate::domain::duration::{format_countdown, time_left};
use crate::tui::base::theme::Theme;
use crate::tui::panels::PanelContext;
use crate::tui::state::State;

pub fn render(frame: &mut Frame, area: Rect, state: &State, view: &AccountView, theme: Theme) {
    let Some(row) = state.row(&view.role) else { return };
    let [header, body, status] =
        Layout::vertical([Constraint::Length(2), Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let left = match row.expires_at {
        Some(until) if until > state.now => format_countdown(time_left(state.now, until)),
        Some(_) => "expired".to_owned(),
        None => "no session".to_owned(),
    };
    let mut title = vec![
        Span::styled(format!(" {} ", row.key.account), theme.account()),
        Span::styled(format!("{} ", row.account_id), theme.dim()),
        Span::styled(row.environment.as_deref().unwrap_or_default().to_owned(), theme.environment(row.production)),
        Span::raw(format!("  as {}  ", row.key.role)),
        Span::styled(format!("session {left}"), theme.state(row.state(state.now, state.refresh_before))),
        Span::styled(format!("  {}", row.region), theme.dim()),
    ];
    if row.read_only {
        title.push(Span::styled("  read-only", theme.accent()));
    }
    let mut tabs = vec![Span::raw(" ")];
    for (id, panel) in view.panels.iter() {
        let style = if id == view.active { theme.selected() } else { theme.dim() };
        tabs.push(Span::styled(format!(" {} ", panel.title()), style));
        tabs.push(Span::raw(" "));
    }
    tabs.push(Span::styled("Tab / Shift-Tab switch · Esc back to the roles", theme.dim()));
    frame.render_widget(Paragraph::new(vec![Line::from(title), Line::from(tabs)]), header);

    let frame_block = Block::default().borders(Borders::ALL).border_style(theme.border(row.production));
    let inner = if row.production {
        let inner = frame_block.inner(body);
        frame.render_widget(frame_block.title(Span::styled(" production ", theme.environment(true))), body);
        inner
    } else {
        body
    };
    let context = PanelContext { row, read_only: row.read_only, now: state.now, refresh_every: state.panel_refresh };
    let panel = view.panels.get(view.active);
    panel.render(frame, inner, &context, theme);
    let hints = panel.hints();
    let line = match &state.status {
        Some(status) if status.error => Line::from(Span::styled(format!(" {}", status.text), theme.error())),
        _ => Line::from(Span::styled(format!(" {hints}"), theme.dim())),
    };
    frame.render_widget(Paragraph::new(line), status);
}
