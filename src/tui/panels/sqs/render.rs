//! Drawing the SQS panel: the queue list, the views over a queue's detail (warning, redrive
//! picker, confirmation), the send form and a redrive's progress. One queue's detail and its
//! peek are in `render_queue`.

use crate::app::output::terminal_safe;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::domain::sqs::QueueAttributes;
use crate::tui::base::widgets::{cell, centered};
use crate::tui::base::theme::Theme;

use super::forms::{Confirm, Field, SendForm};
use super::render_queue::{detail, peek};
use super::state::{Column, SqsPanel, View};

fn number(value: Option<u64>) -> String {
    value.map_or_else(|| "…".to_owned(), |value| value.to_string())
}

pub fn render(panel: &SqsPanel, frame: &mut Frame, area: Rect, theme: Theme) {
    let notice_text =
        panel.notice.as_ref().map(|(text, _)| text.as_str()).or(panel.list_error.as_deref()).unwrap_or_default();
    let notice_rows = notice_text.chars().count().div_ceil(usize::from(area.width.max(1))).clamp(1, 3) as u16;
    let [body, notice] = Layout::vertical([Constraint::Min(3), Constraint::Length(notice_rows)]).areas(area);
    match &panel.view {
        View::List => list(panel, frame, body, theme),
        View::Detail { url, sources } => detail(panel, frame, body, url, sources.as_ref(), theme),
        View::PeekWarning { url, max_receive, at_risk } => {
            detail(panel, frame, body, url, None, theme);
            peek_warning(panel, frame, body, url, (*max_receive, *at_risk), theme);
        }
        View::RedrivePick { url, choices, sources, selected } => {
            detail(panel, frame, body, url, None, theme);
            redrive_pick(panel, frame, body, url, choices, (*sources, *selected), theme);
        }
        View::Peek { url, messages, selected, reading } => {
            peek(panel, frame, body, url, (messages.as_ref(), *selected, reading), theme)
        }
        View::Audit { entries, scroll } => super::render_redrive::audit_trail(frame, body, entries, *scroll, theme),
        View::Send(form) => send_form(frame, body, form, theme),
        View::Confirm { confirm, back, .. } => {
            detail(panel, frame, body, back, None, theme);
            confirmation(frame, body, confirm, theme);
        }
        View::Redrive(redrive) => super::render_redrive::redrive(frame, body, redrive, theme),
    }
    let (text, style) = match (&panel.notice, &panel.list_error) {
        (Some((text, true)), _) | (None, Some(text)) => (text.clone(), theme.error()),
        (Some((text, false)), _) => (text.clone(), Style::new()),
        (None, None) => (String::new(), Style::new()),
    };
    frame.render_widget(Paragraph::new(Span::styled(text, style)).wrap(Wrap { trim: true }), notice);
}

/// Before a peek of a queue with a redrive policy: what receiving does to the messages.
fn peek_warning(
    panel: &SqsPanel,
    frame: &mut Frame,
    body: Rect,
    url: &str,
    (max_receive, at_risk): (u32, usize),
    theme: Theme,
) {
    let dead_letter =
        panel.queue(url).and_then(|row| panel.dead_letter_of(row)).unwrap_or_else(|| "the dead-letter queue".into());
    let text = vec![
        Line::from(Span::styled("Peeking receives the messages.", theme.error())),
        Line::raw(""),
        if at_risk > 0 {
            Line::from(Span::styled(
                format!(
                    "{at_risk} of the messages shown have been received {} times: one more receive moves them to {dead_letter} (maxReceiveCount {max_receive}).",
                    max_receive.saturating_sub(1)
                ),
                theme.error(),
            ))
        } else {
            Line::raw(format!(
                "Each receive counts toward maxReceiveCount ({max_receive}): a message received {max_receive} times is moved to {dead_letter}. The receive count of each message is shown next to it."
            ))
        },
        Line::raw(""),
        Line::from(Span::styled("y peek anyway · n back", theme.dim())),
    ];
    let rect = centered(body, 70, 10);
    frame.render_widget(Clear, rect);
    let title = if at_risk > 0 { " before peeking again " } else { " before the first peek " };
    let block = Block::default().borders(Borders::ALL).title(title).border_style(theme.error());
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }).block(block), rect);
}

fn redrive_pick(
    panel: &SqsPanel,
    frame: &mut Frame,
    body: Rect,
    url: &str,
    choices: &[String],
    (sources, selected): (usize, usize),
    theme: Theme,
) {
    let name = terminal_safe(panel.queue(url).map_or(url, |row| row.summary.name.as_str()));
    let mut lines = vec![Line::raw(format!("Move the messages of {name} to:")), Line::raw("")];
    for (index, choice) in choices.iter().enumerate() {
        let queue = choice.rsplit('/').next().unwrap_or(choice);
        let why = if index < sources { "  (sends its failures here)" } else { "" };
        let style = if index == selected { theme.selected() } else { Style::new() };
        lines.push(Line::from(vec![Span::styled(format!(" {queue} "), style), Span::styled(why, theme.dim())]));
    }
    let rect = centered(body, 72, (choices.len() as u16 + 4).min(body.height));
    frame.render_widget(Clear, rect);
    let block = Block::default().borders(Borders::ALL).title(" redrive to ");
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

fn send_form(frame: &mut Frame, body: Rect, form: &SendForm, theme: Theme) {
    let mut lines =
        vec![Line::from(vec![Span::raw("send to "), Span::styled(form.queue.clone(), theme.account())]), Line::raw("")];
    for (index, field) in form.fields().into_iter().enumerate() {
        let focused = index == form.focus;
        let style = if focused { theme.selected() } else { Style::new() };
        lines.push(Line::from(Span::styled(field.label(), theme.dim())));
        let cursor = if focused { "▏" } else { "" };
        lines.push(Line::from(Span::styled(format!("{}{cursor}", form.value(field)), style)));
        lines.push(Line::raw(""));
    }
    if let Some(error) = &form.error {
        lines.push(Line::from(Span::styled(error.clone(), theme.error())));
    }
    if form.fields().contains(&Field::GroupId) {
        lines.push(Line::from(Span::styled(
            "FIFO: the group id is required; without a deduplication id the queue's content-based deduplication applies",
            theme.dim(),
        )));
    }
    let block = Block::default().borders(Borders::ALL).title(" send a message ");
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), body);
}

fn confirmation(frame: &mut Frame, body: Rect, confirm: &Confirm, theme: Theme) {
    let lines = vec![
        Line::raw(confirm.prompt.clone()),
        Line::raw(""),
        Line::from(vec![Span::raw("> "), Span::styled(format!("{}▏", confirm.typed), theme.accent())]),
        if confirm.mismatch {
            Line::from(Span::styled(format!("that is not \"{}\": nothing was done", confirm.expected), theme.error()))
        } else {
            Line::raw("")
        },
        Line::from(Span::styled("Enter confirms once the name matches · Esc cancels", theme.dim())),
    ];
    let rect = centered(body, 72, 9);
    frame.render_widget(Clear, rect);
    let block = Block::default().borders(Borders::ALL).title(" confirm ").border_style(theme.error());
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }).block(block), rect);
}

/// Why the list shows no queue: still listing, refused, none in the account, or filtered out.
fn why_empty(panel: &SqsPanel, theme: Theme) -> Line<'static> {
    let (message, style) = match (&panel.list_error, panel.loading) {
        (_, true) => ("listing queues…".to_owned(), theme.dim()),
        (Some(error), false) => (format!("the queues could not be listed: {error}"), theme.error()),
        (None, false) if panel.queues.is_empty() => ("no queues in this account and region".to_owned(), theme.dim()),
        (None, false) => ("no queue matches the filter".to_owned(), theme.dim()),
    };
    Line::from(Span::styled(message, style))
}

fn list(panel: &SqsPanel, frame: &mut Frame, area: Rect, theme: Theme) {
    let rows = panel.visible();
    let inner_width = usize::from(area.width.saturating_sub(2));
    // Narrow screens keep the names readable and drop in-flight and delayed first.
    let widths = if inner_width >= 90 { [0usize, 6, 9, 11, 9, 0] } else { [0usize, 5, 8, 0, 0, 0] };
    let dead_letter_width = 22.min(inner_width / 4);
    let name_width =
        inner_width.saturating_sub(widths[1] + widths[2] + widths[3] + widths[4] + dead_letter_width).max(8);
    let titles = ["NAME", "TYPE", "VISIBLE", "IN FLIGHT", "DELAYED", "DLQ"];
    let header: String = Column::ALL
        .iter()
        .zip(titles)
        .enumerate()
        .map(|(index, (column, title))| {
            let arrow = if *column == panel.sort { if panel.descending { "↓" } else { "↑" } } else { "" };
            let width = match index {
                0 => name_width,
                5 => dead_letter_width,
                other => widths[other],
            };
            cell(&format!("{title}{arrow}"), width)
        })
        .collect();
    let capacity = usize::from(area.height.saturating_sub(3)).max(1);
    let scroll = panel.selected.saturating_sub(capacity - 1);
    let mut lines = vec![Line::from(Span::styled(header, theme.dim()))];
    for (index, row) in rows.iter().enumerate().skip(scroll).take(capacity) {
        let attributes = row.attributes.as_ref();
        let dead_letter = match (panel.is_dead_letter(row), panel.dead_letter_of(row)) {
            (true, Some(name)) => format!("DLQ, → {name}"),
            (true, None) => "is a DLQ".to_owned(),
            (false, Some(name)) => format!("→ {name}"),
            (false, None) => String::new(),
        };
        let style = if index == panel.selected { theme.selected() } else { Style::new() };
        if let Some(error) = &row.error {
            // The reason a queue has no counts goes where the counts would be.
            let name_room = name_width.min(32);
            let room = name_width - name_room + widths[2] + widths[3] + widths[4] + dead_letter_width;
            lines.push(Line::from(vec![
                Span::styled(cell(&row.summary.name, name_room), style),
                Span::styled(cell(if row.summary.fifo { "FIFO" } else { "std" }, widths[1]), style),
                Span::styled(cell(error, room), theme.error()),
            ]));
            continue;
        }
        let spans = vec![
            Span::styled(cell(&row.summary.name, name_width), style),
            Span::styled(cell(if row.summary.fifo { "FIFO" } else { "std" }, widths[1]), style),
            Span::styled(cell(&number(attributes.and_then(QueueAttributes::visible)), widths[2]), style),
            Span::styled(cell(&number(attributes.and_then(QueueAttributes::in_flight)), widths[3]), style),
            Span::styled(cell(&number(attributes.and_then(QueueAttributes::delayed)), widths[4]), style),
            Span::styled(cell(&dead_letter, dead_letter_width), style),
        ];
        lines.push(Line::from(spans));
    }
    if rows.is_empty() {
        lines.push(why_empty(panel, theme));
    }
    let filter = if panel.filtering || !panel.filter.is_empty() {
        format!(" / {}{} ", panel.filter, if panel.filtering { "▏" } else { "" })
    } else {
        String::new()
    };
    let title = if rows.len() == panel.queues.len() {
        format!(" queues ({}){filter}", panel.queues.len())
    } else {
        format!(" queues ({} of {}){filter}", rows.len(), panel.queues.len())
    };
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(Block::default().borders(Borders::ALL).title(title)),
        area,
    );
}
