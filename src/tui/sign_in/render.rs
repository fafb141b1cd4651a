//! The sign-in modal: the start URL, what the sign-in unlocks, the address to open, the
//! user code in large type (to check against the page), the time left, and who started it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use tui_big_text::{BigText, PixelSize};

use crate::domain::duration::format_countdown;
use crate::tui::base::theme::Theme;
use crate::tui::base::widgets::centered;
use crate::tui::state::State;

/// Roles listed by name before "and N more".
const ROLES_NAMED: usize = 4;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let Some(shown) = state.sign_in.shown() else { return };
    let mut names: Vec<String> = shown.roles.iter().take(ROLES_NAMED).map(ToString::to_string).collect();
    if shown.roles.len() > ROLES_NAMED {
        names.push(format!("and {} more", shown.roles.len() - ROLES_NAMED));
    }
    let left = shown.expires_at.duration_since(state.now).unsigned_abs();
    let left = if shown.expires_at > state.now { format_countdown(left) } else { "expired".to_owned() };
    let mut lines = vec![
        Line::from(vec![Span::raw("sign in to "), Span::styled(shown.start_url.clone(), theme.account())]),
        Line::from(vec![Span::raw("unlocks    "), Span::raw(names.join(", "))]),
        Line::raw(""),
        Line::raw("open this address in a browser (switchboard opened it if it could):"),
        Line::from(Span::styled(shown.url.clone(), theme.accent())),
    ];
    if let Some(code) = &shown.user_code {
        lines.push(Line::from(vec![Span::raw("code       "), Span::styled(code.clone(), theme.accent())]));
    }
    let whose = match shown.started_by {
        Some(pid) => format!("started by pid {pid} · "),
        None => String::new(),
    };
    let waiting =
        Line::from(vec![Span::styled(format!("{whose}waiting for the browser… · expires in {left}"), theme.dim())]);
    let footer = Line::from(Span::styled("closes by itself when signed in · Esc cancels", theme.dim()));
    let width = area.width.saturating_sub(4).min(100);
    let big = if shown.user_code.is_some() { 5 } else { 0 };
    // The address wraps: count its lines at the modal's inner width.
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let text_lines: usize = lines.iter().map(|line| line.width().div_ceil(inner).max(1)).sum();
    let height = u16::try_from(text_lines + 2 + 4 + big).unwrap_or(u16::MAX);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::default().borders(Borders::ALL).title(" Identity Center sign-in ").border_style(theme.accent());
    let inside = block.inner(rect);
    frame.render_widget(block, rect);
    let text_height = u16::try_from(text_lines).unwrap_or(u16::MAX).min(inside.height);
    let text_area = Rect { height: text_height, ..inside };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text_area);
    let mut y = inside.y + text_height + 1;
    if let Some(code) = &shown.user_code {
        let code_area = Rect { y, height: 4, ..inside }.intersection(inside);
        let big_text = BigText::builder()
            .pixel_size(PixelSize::Quadrant)
            .style(theme.accent())
            .lines(vec![code.as_str().into()])
            .build();
        frame.render_widget(big_text, code_area);
        y += 5;
    }
    let tail = Rect { y, height: 2, ..inside }.intersection(inside);
    frame.render_widget(Paragraph::new(vec![waiting, footer]), tail);
}
