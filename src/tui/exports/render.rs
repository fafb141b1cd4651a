//! The exports popup: the formats, and a preview of the chosen one with every secret masked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::ExportPopup;
use crate::domain::exports::{self, ExportFormat, rfc3339};
use crate::tui::base::theme::Theme;
use crate::tui::base::widgets::centered;
use crate::tui::state::State;

/// The exports with every secret replaced, so the preview can be shown on screen.
fn masked_preview(state: &State, popup: &ExportPopup, format: ExportFormat) -> String {
    let Some(row) = state.row(&popup.role) else { return String::new() };
    let mut vars = vec![
        // ASCII masks, so the preview is quoted exactly as the real values will be.
        ("AWS_ACCESS_KEY_ID", "ASIA****************".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "****************".to_owned()),
        ("AWS_SESSION_TOKEN", "****************".to_owned()),
    ];
    if let Some(until) = row.expires_at {
        vars.push(("AWS_CREDENTIAL_EXPIRATION", rfc3339(until)));
    }
    vars.push(("AWS_REGION", row.region.to_string()));
    vars.push(("AWS_DEFAULT_REGION", row.region.to_string()));
    if let Some(url) = &state.endpoint_url {
        vars.push(("AWS_ENDPOINT_URL", url.clone()));
    }
    exports::render(format, &vars).unwrap_or_else(|error| error.to_string())
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, popup: &ExportPopup, theme: Theme) {
    let rect = centered(area, 100, 22);
    frame.render_widget(Clear, rect);
    let formats = ExportFormat::all();
    let block = Block::default().borders(Borders::ALL).title(format!(" exports of {} ", popup.role));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [list_area, preview_area] = ratatui::layout::Layout::horizontal([
        ratatui::layout::Constraint::Length(14),
        ratatui::layout::Constraint::Fill(1),
    ])
    .areas(inner);
    let names: Vec<Line> = formats
        .iter()
        .enumerate()
        .map(|(index, format)| {
            let style = if index == popup.selected { theme.selected() } else { ratatui::style::Style::new() };
            Line::from(Span::styled(format!(" {:<11}", format.name()), style))
        })
        .chain([
            Line::raw(""),
            Line::from(Span::styled(" Enter copies", theme.dim())),
            Line::from(Span::styled(" Esc closes", theme.dim())),
        ])
        .collect();
    frame.render_widget(Paragraph::new(names), list_area);
    let preview = masked_preview(state, popup, formats[popup.selected]);
    let preview_block = Block::default().borders(Borders::LEFT).title(" preview (secrets masked) ");
    frame.render_widget(Paragraph::new(preview).wrap(Wrap { trim: false }).block(preview_block), preview_area);
}
