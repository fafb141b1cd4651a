//! Modal and popups drawn over the list: MFA code, export formats, help, log.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::domain::exports::{self, ExportFormat, rfc3339};
use crate::domain::mfa::seconds_to_next_code;
use crate::tui::keymap::{Command, CommandSet as _};
use crate::tui::state::{ExportPopup, State};

use super::centered;
use super::theme::Theme;

pub fn mfa(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let modal = &state.mfa;
    let Some(device) = modal.device() else { return };
    let roles: Vec<String> = modal.roles().iter().map(ToString::to_string).collect();
    let typed: String =
        modal.input.chars().map(|_| '•').chain(std::iter::repeat_n('_', 6 - modal.input.len())).collect();
    let mut lines = vec![
        Line::from(vec![Span::raw("device  "), Span::styled(device.to_owned(), theme.account())]),
        Line::from(vec![Span::raw("unlocks "), Span::raw(roles.join(", "))]),
        Line::raw(""),
        Line::from(vec![Span::raw("code    "), Span::styled(typed, theme.accent())]),
        Line::raw(""),
    ];
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
    vars.push(("AWS_REGION", row.region.clone()));
    vars.push(("AWS_DEFAULT_REGION", row.region.clone()));
    if let Some(url) = &state.endpoint_url {
        vars.push(("AWS_ENDPOINT_URL", url.clone()));
    }
    exports::render(format, &vars).unwrap_or_else(|error| error.to_string())
}

pub fn exports(frame: &mut Frame, area: Rect, state: &State, popup: &ExportPopup, theme: Theme) {
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

pub fn help(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let keys = &state.keymaps.list;
    let line = |(keys, what): (String, &str)| {
        Line::from(vec![Span::styled(format!("{keys:<16}"), theme.accent()), Span::raw(what.to_owned())])
    };
    let mut lines: Vec<Line> = Vec::new();
    match state.account.as_ref().and_then(|view| view.panels.get(view.active)) {
        Some(panel) => {
            lines.push(Line::from(Span::styled(format!("the {} panel:", panel.title()), theme.dim())));
            lines.extend(panel.commands().into_iter().map(line));
            lines.push(Line::raw(""));
            let around = [Command::Help, Command::Log]
                .map(|command| format!("{} {}", keys.first_key_of(command), command.name()));
            let around =
                format!("around every panel: Tab next panel · Shift-Tab previous · Esc back · {}", around.join(" · "));
            lines.push(Line::from(Span::styled(around, theme.dim())));
        }
        None => {
            lines.extend(keys.help().into_iter().map(line));
            lines.push(Line::raw(""));
            lines.push(Line::from(Span::styled("mouse: click selects, the wheel scrolls · Esc closes", theme.dim())));
        }
    }
    let rect = centered(area, 96, lines.len() as u16 + 4);
    frame.render_widget(Clear, rect);
    let scrolls = usize::from(rect.height.saturating_sub(2)) < lines.len();
    let title = if scrolls {
        format!(" keys ({}/{} scroll) ", keys.first_key_of(Command::Down), keys.first_key_of(Command::Up))
    } else {
        " keys ".to_owned()
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((state.overlay_scroll, 0))
            .block(Block::default().borders(Borders::ALL).title(title)),
        rect,
    );
}

pub fn log(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let rect = centered(area, area.width.saturating_sub(4), area.height.saturating_sub(4));
    frame.render_widget(Clear, rect);
    let capacity = usize::from(rect.height.saturating_sub(2));
    let width = usize::from(rect.width.saturating_sub(2)).max(1);
    // The newest entries, as many as fit once long ones wrap.
    // j/k move back through older entries.
    let end = state.log.len().saturating_sub(usize::from(state.overlay_scroll));
    let mut used = 0;
    let newest = state.log[..end]
        .iter()
        .rev()
        .take_while(|line| {
            used += line.chars().count().div_ceil(width).max(1);
            used <= capacity
        })
        .count();
    // Cut at the width by hand, so the rows counted above are the rows drawn.
    let lines: Vec<Line> = if state.log.is_empty() {
        vec![Line::from(Span::styled("nothing logged yet", theme.dim()))]
    } else {
        state.log[end - newest..end]
            .iter()
            .flat_map(|entry| {
                let chars: Vec<char> = entry.chars().collect();
                chars.chunks(width).map(|chunk| Line::raw(chunk.iter().collect::<String>())).collect::<Vec<_>>()
            })
            .collect()
    };
    let block = Block::default().borders(Borders::ALL).title(" log (Esc closes) ");
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
