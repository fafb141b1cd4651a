//! Drawing one queue: its detail (attributes, redrive policies, DLQ sources) and a peek at
//! its messages.

use crate::app::output::terminal_safe;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::domain::exports::rfc3339;
use crate::domain::sqs::PeekedMessage;
use crate::domain::sqs::message_view::MessageView;
use crate::tui::base::theme::Theme;

use crate::tui::base::widgets::cell;
use super::state::{Reading, SqsPanel};

pub fn detail(
    panel: &SqsPanel,
    frame: &mut Frame,
    area: Rect,
    url: &str,
    sources: Option<&Result<Vec<String>, String>>,
    theme: Theme,
) {
    let Some(row) = panel.queue(url) else {
        frame.render_widget(Paragraph::new("the queue is gone").block(Block::default().borders(Borders::ALL)), area);
        return;
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(terminal_safe(&row.summary.name).into_owned(), theme.account()),
            Span::styled(format!("  {}", terminal_safe(url)), theme.dim()),
        ]),
        Line::raw(""),
    ];
    if let Some(attributes) = &row.attributes {
        if let Some(policy) = attributes.redrive_policy() {
            let name = policy.dead_letter_target_arn.rsplit(':').next().unwrap_or_default().to_owned();
            lines.push(Line::from(vec![
                Span::styled("redrive policy  ", theme.accent()),
                Span::raw(format!("failures go to {name} after {} receives (D opens it)", policy.max_receive_count)),
            ]));
        }
        if let Some(allow) = attributes.redrive_allow_policy() {
            let sources = if allow.source_queue_arns.is_empty() {
                String::new()
            } else {
                format!(": {}", allow.source_queue_arns.join(", "))
            };
            lines.push(Line::from(vec![
                Span::styled("redrive allow   ", theme.accent()),
                Span::raw(format!("{}{sources}", allow.redrive_permission)),
            ]));
        }
    }
    match sources {
        Some(Ok(found)) if !found.is_empty() => {
            let names: Vec<&str> = found.iter().map(|url| url.rsplit('/').next().unwrap_or(url)).collect();
            lines.push(Line::from(vec![
                Span::styled("DLQ of          ", theme.accent()),
                Span::raw(format!("{} (m moves the messages back)", names.join(", "))),
            ]));
        }
        Some(Err(error)) => lines.push(Line::from(Span::styled(error.clone(), theme.error()))),
        _ => {}
    }
    lines.push(Line::raw(""));
    match &row.attributes {
        None => lines.push(Line::from(Span::styled("attributes are on their way…", theme.dim()))),
        Some(attributes) => {
            for (name, value) in &attributes.all {
                let shown = match name.as_str() {
                    "CreatedTimestamp" | "LastModifiedTimestamp" => value
                        .parse::<f64>()
                        .ok()
                        .and_then(|secs| jiff::Timestamp::from_second(secs as i64).ok())
                        .map_or_else(|| value.clone(), rfc3339),
                    _ => value.clone(),
                };
                lines.push(Line::from(vec![Span::styled(format!("{name:<40}"), theme.dim()), Span::raw(shown)]));
            }
        }
    }
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(Block::default().borders(Borders::ALL).title(" queue ")),
        area,
    );
}

pub fn peek(
    panel: &SqsPanel,
    frame: &mut Frame,
    area: Rect,
    url: &str,
    (messages, selected, reading): (Option<&Result<Vec<PeekedMessage>, String>>, usize, &Reading),
    theme: Theme,
) {
    let name = terminal_safe(panel.queue(url).map_or(url, |row| row.summary.name.as_str()));
    let max_receive = panel
        .queue(url)
        .and_then(|row| row.attributes.as_ref()?.redrive_policy())
        .map(|policy| policy.max_receive_count);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" peek {name} (visibility timeout 0; each peek counts as a receive) "));
    let found = match messages {
        None => return frame.render_widget(Paragraph::new("receiving…").block(block), area),
        Some(Err(error)) => {
            return frame.render_widget(
                Paragraph::new(Span::styled(error.clone(), theme.error())).wrap(Wrap { trim: true }).block(block),
                area,
            );
        }
        Some(Ok(found)) if found.is_empty() => {
            return frame.render_widget(Paragraph::new("no message was available").block(block), area);
        }
        Some(Ok(found)) => found,
    };
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [list_area, body_area] = Layout::horizontal([Constraint::Length(40), Constraint::Fill(1)]).areas(inner);
    let items: Vec<Line> = found
        .iter()
        .enumerate()
        .map(|(index, message)| {
            let count = message.receive_count().map_or_else(|| "?".to_owned(), |count| count.to_string());
            let receives = match max_receive {
                Some(max) => format!("{count}/{max}"),
                None => count,
            };
            let near = max_receive.zip(message.receive_count()).is_some_and(|(max, count)| count + 1 >= max);
            let style = if index == selected {
                theme.selected()
            } else if near {
                theme.error()
            } else {
                Style::new()
            };
            Line::from(Span::styled(format!("{} recv {receives}", cell(&message.id, 26)), style))
        })
        .collect();
    frame.render_widget(Paragraph::new(items).block(Block::default().borders(Borders::RIGHT)), list_area);
    let (Some(message), Some(view)) = (found.get(selected), reading.views.get(selected)) else { return };
    let lines = message_lines(message, view, reading.envelope, theme);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((reading.scroll, 0)), body_area);
}

/// The selected message: when it was sent, its receives, group, attributes, body and system
/// attributes.
fn message_lines(message: &PeekedMessage, view: &MessageView, envelope: bool, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![];
    if let Some(sent) = message.sent_at() {
        lines.push(Line::from(vec![Span::styled("sent       ", theme.dim()), Span::raw(rfc3339(sent))]));
    }
    lines.push(Line::from(vec![
        Span::styled("receives   ", theme.dim()),
        Span::raw(message.receive_count().map_or_else(|| "?".into(), |count| count.to_string())),
    ]));
    if let Some(group) = message.group_id() {
        lines.push(Line::from(vec![Span::styled("group      ", theme.dim()), Span::raw(group.to_owned())]));
    }
    for (name, data_type, shown) in &view.attributes {
        lines.push(Line::from(vec![
            Span::styled(format!("attr {name} ({data_type}) "), theme.dim()),
            Span::raw(shown.clone()),
        ]));
    }
    let (what, body) = match (&view.envelope, envelope) {
        (Some(whole), true) => ("the SNS envelope (e: its message)".to_owned(), whole),
        (Some(_), false) => (format!("{} (e: the envelope)", view.kind.label()), &view.body),
        (None, _) => (view.kind.label(), &view.body),
    };
    lines.push(Line::from(vec![Span::styled("body       ", theme.dim()), Span::raw(what)]));
    lines.push(Line::raw(""));
    lines.extend(body.iter().map(|line| Line::raw(line.clone())));
    lines.push(Line::raw(""));
    for (attribute, value) in &message.system {
        let shown = match attribute.as_str() {
            "SentTimestamp" | "ApproximateFirstReceiveTimestamp" => value
                .parse::<i64>()
                .ok()
                .and_then(|millis| jiff::Timestamp::from_millisecond(millis).ok())
                .map_or_else(|| value.clone(), rfc3339),
            _ => value.clone(),
        };
        lines.push(Line::from(Span::styled(format!("{attribute}: {shown}"), theme.dim())));
    }
    lines
}
