//! The help and the log, drawn over whatever screen is shown.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::tui::base::keys::{Command, CommandSet as _};
use crate::tui::base::theme::Theme;
use crate::tui::base::widgets::centered;
use crate::tui::state::State;

pub fn help(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let keys = &state.keymaps.list;
    let line = |(keys, what): (String, &str)| {
        Line::from(vec![Span::styled(format!("{keys:<16}"), theme.accent()), Span::raw(what.to_owned())])
    };
    let mut lines: Vec<Line> = Vec::new();
    match state.account().map(|view| view.panels.get(view.active)) {
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
