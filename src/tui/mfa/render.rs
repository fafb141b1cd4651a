//! The MFA modal: the device, the roles its code unlocks, who asks (a process without a
//! terminal, through the agent), the code as dots, and what went wrong with the last one.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::domain::mfa::seconds_to_next_code;
use crate::tui::base::theme::Theme;
use crate::tui::base::widgets::centered;
use crate::tui::state::State;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let modal = &state.mfa;
    let Some(device) = modal.device() else { return };
    let roles: Vec<String> = modal.roles().iter().map(ToString::to_string).collect();
    let typed: String =
        modal.input.chars().map(|_| '•').chain(std::iter::repeat_n('_', 6 - modal.input.len())).collect();
    let mut lines = vec![
        Line::from(vec![Span::raw("device  "), Span::styled(device.to_owned(), theme.account())]),
        Line::from(vec![Span::raw("unlocks "), Span::raw(roles.join(", "))]),
    ];
    // Codes asked by the agent for a process without a terminal name that process.
    for caller in modal.callers() {
        let through = caller.client_pid.map(|pid| format!(" · switchboard pid {pid}")).unwrap_or_default();
        lines.push(Line::from(vec![
            Span::raw("for     "),
            Span::styled(format!("pid {}{through}", caller.pid), theme.accent()),
        ]));
        lines.push(Line::from(Span::styled(format!("        {}", caller.command), theme.dim())));
    }
    lines.extend([
        Line::raw(""),
        Line::from(vec![Span::raw("code    "), Span::styled(typed, theme.accent())]),
        Line::raw(""),
    ]);
    if modal.filled {
        lines.push(Line::from(Span::styled("filled in from mfa_command · typing replaces it", theme.accent())));
    }
    if let Some(ask) = modal.asks.first() {
        if ask.reused {
            lines.push(Line::from(Span::styled(
                format!("that code was already used; the next one comes in {}s", seconds_to_next_code(state.now)),
                theme.error(),
            )));
        } else if let Some(problem) = &ask.problem {
            lines.push(Line::from(Span::styled(problem.clone(), theme.error())));
        }
    }
    lines.push(Line::from(Span::styled("6 digits · Enter sends · Esc cancels", theme.dim())));
    let height = lines.len() as u16 + 4;
    let rect = centered(area, 70, height);
    frame.render_widget(Clear, rect);
    let block = Block::default().borders(Borders::ALL).title(" MFA code ").border_style(theme.accent());
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), rect);
}
