//! The selected role's chain: every layer from the source keys to the role, each with its
//! own countdown and the plan's sentence for it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::domain::duration::{format_countdown, time_left};
use crate::tui::base::row::Activity;
use crate::tui::base::theme::Theme;
use crate::tui::state::State;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let Some(row) = state.selected_row() else {
        frame.render_widget(Block::default().borders(Borders::ALL).title(" chain "), area);
        return;
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(row.key.to_string(), theme.account()),
            Span::raw("  "),
            Span::styled(row.environment.as_deref().unwrap_or_default().to_owned(), theme.environment(row.production)),
        ]),
        Line::from(Span::styled(row.arn.clone(), theme.dim())),
    ];
    if let Some(processes) = state.served.get(&row.key).filter(|count| **count > 0) {
        let plural = if *processes == 1 { "process" } else { "processes" };
        lines.push(Line::from(Span::styled(format!("served by the agent to {processes} {plural}"), theme.accent())));
    }
    match &row.activity {
        Activity::Failed { message } => lines.push(Line::from(Span::styled(message.clone(), theme.error()))),
        Activity::NeedsMfa { device } => lines.push(Line::from(Span::styled(
            format!("needs an MFA code for {device}: press r"),
            theme.state(crate::tui::base::row::RowState::NeedsMfa),
        ))),
        Activity::NeedsSignIn { start_url } => lines.push(Line::from(Span::styled(
            format!("needs a sign-in to {start_url}: press r"),
            theme.state(crate::tui::base::row::RowState::NeedsSignIn),
        ))),
        _ => {}
    }
    // Every layer's countdown matters more than its explanation: when the pane is too short
    // for the sentences, show the layers alone.
    let width = usize::from(area.width.saturating_sub(2)).max(1);
    let rows_for = |text: &str| text.chars().count().div_ceil(width).max(1);
    let reasons: Vec<String> = row.layers.iter().map(|view| view.layer.why()).collect();
    let full_height: usize = lines.len() + reasons.iter().map(|why| 2 + rows_for(why)).sum::<usize>();
    let explain = full_height <= usize::from(area.height.saturating_sub(2));
    for (number, (layer, why)) in row.layers.iter().zip(reasons).enumerate() {
        let countdown = if layer.is_source() {
            "no expiry".to_owned()
        } else {
            match layer.expires_at {
                Some(until) if until > state.now => format_countdown(time_left(state.now, until)),
                Some(_) => "expired".to_owned(),
                None => "no session".to_owned(),
            }
        };
        if explain {
            lines.push(Line::raw(""));
        }
        lines.push(Line::from(vec![
            Span::styled(format!("{}. {}", number + 1, layer.layer.label()), theme.accent()),
            Span::raw("  "),
            Span::raw(countdown),
        ]));
        if explain {
            lines.push(Line::from(Span::styled(why, theme.dim())));
        }
    }
    let block = Block::default().borders(Borders::ALL).title(" chain ").border_style(theme.border(row.production));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }).block(block), area);
}
