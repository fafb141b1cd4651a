//! The rails of an SQS change: which changes a role may make, and which need the queue's name
//! typed to confirm. The one place these rules are written; both front ends ask here.

use std::fmt;

use crate::domain::inventory::RoleKey;

/// The role a change is made through, with what the rails need to know of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActingRole {
    pub key: RoleKey,
    /// The inventory marks the role `read_only`: it changes nothing.
    pub read_only: bool,
    /// The role's account is a production account.
    pub production: bool,
}

/// A change to a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// One message, written by the operator.
    SendMessage,
    /// Saved messages replayed from a file (as many as it holds).
    SendSaved,
    Delete,
    Purge,
    Redrive,
    CancelMove,
}

impl fmt::Display for Change {
    /// What switchboard will not do, as a refusal says it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Change::SendMessage | Change::SendSaved => "send messages",
            Change::Delete => "delete messages",
            Change::Purge => "purge queues",
            Change::Redrive => "redrive messages",
            Change::CancelMove => "cancel move tasks",
        })
    }
}

/// What the operator must do before a change goes ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    Nothing,
    /// Type the queue's name (for a redrive, the dead-letter queue's).
    QueueName,
}

/// Why a change was not made. Nothing reached SQS and nothing was recorded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refused {
    #[error("{role} is read_only: switchboard will not {change} through it (the inventory marks it so)")]
    ReadOnly { role: RoleKey, change: Change },
    #[error("switchboard will not {change} in {queue} without its name typed to confirm{}", production_note(.production_account))]
    NotConfirmed { change: Change, queue: String, production_account: Option<String> },
    #[error("{typed} does not match the queue's name {queue}")]
    NameMismatch { typed: String, queue: String },
}

fn production_note(account: &Option<String>) -> String {
    account.as_ref().map(|account| format!(" ({account} is a production account)")).unwrap_or_default()
}

impl ActingRole {
    /// What `change` needs from the operator, or why the role may not make it at all.
    pub fn confirmation(&self, change: Change) -> Result<Confirmation, Refused> {
        if self.read_only {
            return Err(Refused::ReadOnly { role: self.key.clone(), change });
        }
        Ok(match change {
            // Every message gone for good, or a whole dead-letter queue moved: in any account.
            Change::Purge | Change::Redrive => Confirmation::QueueName,
            // A production queue is changed only when its name was typed.
            Change::Delete | Change::SendSaved if self.production => Confirmation::QueueName,
            // One message typed in by the operator, or stopping a redrive already under way.
            Change::Delete | Change::SendSaved | Change::SendMessage | Change::CancelMove => Confirmation::Nothing,
        })
    }

    /// Whether `change` to the queue `queue` goes ahead, given the name the operator typed (if
    /// asked). A name typed though none was needed must still be the queue's.
    pub fn allows(&self, change: Change, queue: &str, typed_name: Option<&str>) -> Result<(), Refused> {
        let needed = self.confirmation(change)?;
        match typed_name {
            Some(typed) if typed != queue => {
                Err(Refused::NameMismatch { typed: typed.to_owned(), queue: queue.to_owned() })
            }
            None if needed == Confirmation::QueueName => Err(Refused::NotConfirmed {
                change,
                queue: queue.to_owned(),
                production_account: self.production.then(|| self.key.account.to_string()),
            }),
            _ => Ok(()),
        }
    }
}
