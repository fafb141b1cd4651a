//! Reading what happened and keeping it: `x` saves the peeked messages as JSON Lines under a
//! path the panel shows, `L` shows the account's recent changes from the audit trail. Both
//! touch only a local file, bounded in size (10 messages; the trail's last 512 KiB).

use crate::domain::sqs::PeekedMessage;
use crate::domain::sqs::message_file::{saved_messages_path, write_messages};
use crate::tui::panels::panel::{KeyOutcome, PanelContext};

use super::keys::SqsCommand;
use super::messages::Message;
use super::state::{SqsPanel, View};

/// Entries `L` shows.
const AUDIT_ENTRIES: usize = 200;

impl SqsPanel {
    pub(super) fn save_peeked(&mut self, context: &PanelContext, url: &str, messages: &[PeekedMessage]) {
        if messages.is_empty() {
            self.notice("no message to save".into(), true);
            return;
        }
        let queue = self.name_of(url);
        let path = saved_messages_path(self.saves_dir.as_deref(), &context.row.key.account, &queue, context.now);
        let Some(path) = path else {
            self.notice("no state directory to save into (set SWITCHBOARD_STATE_DIR)".into(), true);
            return;
        };
        match write_messages(&path, messages) {
            Ok(()) => self.notice(
                format!(
                    "saved {} messages to {} (each was received by the peek: receive counts rose)",
                    messages.len(),
                    path.display()
                ),
                false,
            ),
            Err(error) => self.notice(error.to_string(), true),
        }
    }

    pub(super) fn show_audit(&mut self, context: &PanelContext) {
        let entries = self.audit.recent(&context.row.key.account, AUDIT_ENTRIES).map_err(|error| error.to_string());
        let lines = entries.as_ref().map_or(0, Vec::len);
        // Newest last, and in view.
        let scroll = u16::try_from(lines.saturating_sub(10)).unwrap_or(u16::MAX);
        self.view = View::Audit { entries, scroll };
    }

    pub(super) fn on_audit(&mut self, command: Option<SqsCommand>) -> KeyOutcome<Message> {
        let View::Audit { scroll, .. } = &mut self.view else { return KeyOutcome::Handled(Vec::new()) };
        match command {
            Some(SqsCommand::Down | SqsCommand::ScrollDown) => *scroll = scroll.saturating_add(1),
            Some(SqsCommand::Up | SqsCommand::ScrollUp) => *scroll = scroll.saturating_sub(1),
            Some(SqsCommand::PageDown) => *scroll = scroll.saturating_add(20),
            Some(SqsCommand::PageUp) => *scroll = scroll.saturating_sub(20),
            Some(SqsCommand::Back | SqsCommand::Open | SqsCommand::AuditTrail) => self.view = View::List,
            _ => {}
        }
        KeyOutcome::Handled(Vec::new())
    }
}
