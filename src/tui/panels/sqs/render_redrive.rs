//! A redrive on screen: a move task's status (RUNNING … COMPLETED, FAILED with its reason)
//! or the copy's counts, as a progress bar, and how it ended.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph, Wrap};

use crate::domain::sqs::{CopyEnd, MoveStatus, RedriveReport};
use crate::tui::base::theme::Theme;

use super::state::RedriveView;

fn ratio(done: u64, total: u64, finished: bool) -> f64 {
    if total == 0 {
        return if finished { 1.0 } else { 0.0 };
    }
    (done as f64 / total as f64).min(1.0)
}

fn copy_summary(report: &RedriveReport) -> String {
    let error = report.first_error.as_ref().map(|error| format!(" — first failure: {error}")).unwrap_or_default();
    let how = match report.end {
        Some(CopyEnd::Stopped) => "stopped as asked",
        Some(CopyEnd::Idle) => "stopped: messages remain but none could be received for a while",
        _ => "done",
    };
    format!("{how}: {} moved, {} failed{error}; failed messages stay in the DLQ", report.moved, report.failed)
}

pub(super) fn redrive(frame: &mut Frame, body: Rect, view: &RedriveView, theme: Theme) {
    let [text_area, gauge_area, rest] =
        Layout::vertical([Constraint::Length(3), Constraint::Length(3), Constraint::Min(0)]).areas(body);
    let method = match (&view.handle, &view.note) {
        (Some(_), _) => " · SQS move task",
        (None, Some(_)) => " · copied by switchboard",
        (None, None) => "",
    };
    frame.render_widget(
        Paragraph::new(format!("redrive {} → {}{method}", view.from, view.to))
            .block(Block::default().borders(Borders::ALL)),
        text_area,
    );
    let progress = &view.progress;
    let finished = view.result.is_some();
    let (ratio, label) = match &view.task {
        Some(task) => {
            let total = task.to_move.map_or_else(|| "?".to_owned(), |total| total.to_string());
            let label = format!("{} · {} of {total} moved", task.status.as_str(), task.moved);
            (ratio(task.moved, task.to_move.unwrap_or(0), task.status.finished()), label)
        }
        None => (
            ratio(progress.moved + progress.failed, progress.total, finished),
            format!("{} moved · {} failed · of about {}", progress.moved, progress.failed, progress.total),
        ),
    };
    let style = if view.task.as_ref().is_some_and(|task| task.status == MoveStatus::Failed) {
        theme.error()
    } else {
        theme.accent()
    };
    frame.render_widget(
        Gauge::default().block(Block::default().borders(Borders::ALL)).ratio(ratio).label(label).gauge_style(style),
        gauge_area,
    );
    let mut lines = Vec::new();
    if let Some(note) = &view.note {
        lines.push(Line::from(Span::styled(note.clone(), theme.dim())));
    }
    lines.push(match &view.result {
        None if view.handle.is_some() => Line::raw("SQS is moving the messages; the status is asked every few seconds"),
        None => Line::from(Span::styled("moving: each message is copied, then deleted from the DLQ", theme.dim())),
        Some(Ok(report)) if report.task_handle.is_some() => match &view.task {
            Some(task) if task.status == MoveStatus::Failed => Line::from(Span::styled(
                format!("the move task FAILED: {}", task.failure.as_deref().unwrap_or("no reason given")),
                theme.error(),
            )),
            Some(task) => Line::raw(format!("the move task ended {}: {} moved", task.status.as_str(), task.moved)),
            None => Line::raw("the move task ended"),
        },
        Some(Ok(report)) => Line::raw(copy_summary(report)),
        Some(Err(error)) => Line::from(Span::styled(error.clone(), theme.error())),
    });
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), rest);
}

/// The account's recent changes, newest last (`L`).
pub(super) fn audit_trail(
    frame: &mut Frame,
    body: Rect,
    entries: &Result<Vec<crate::domain::audit::AuditEntry>, String>,
    scroll: u16,
    theme: Theme,
) {
    let block = Block::default().borders(Borders::ALL).title(" audit trail: this account's recent changes ");
    let lines: Vec<Line> = match entries {
        Err(error) => vec![Line::from(Span::styled(error.clone(), theme.error()))],
        Ok(entries) if entries.is_empty() => vec![Line::from(Span::styled("no change recorded yet", theme.dim()))],
        Ok(entries) => entries
            .iter()
            .map(|entry| {
                let time = entry.time.strftime("%Y-%m-%d %H:%M:%S").to_string();
                let outcome = if entry.ok { "" } else { " FAILED" };
                let detail = entry.detail.as_deref().map(|detail| format!(" · {detail}")).unwrap_or_default();
                let text = format!(
                    "{time}  {}  {}  {} {}{outcome}  count {}{detail}",
                    entry.role, entry.queue, entry.action, entry.region, entry.count
                );
                if entry.ok { Line::raw(text) } else { Line::from(Span::styled(text, theme.error())) }
            })
            .collect(),
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0)).block(block), body);
}
