//! The one error type the front ends report, with the exit code scripts rely on.

use std::process::ExitCode;

use crate::domain::engine::EngineError;
use crate::domain::exports::ExportError;
use crate::domain::inventory::InventoryError;
use crate::domain::sources::SourceError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Inventory(#[from] InventoryError),
    #[error("{0}")]
    Engine(#[from] EngineError),
    #[error("{0}")]
    Source(#[from] SourceError),
    #[error("{0}")]
    Export(#[from] ExportError),
    #[error("{0}")]
    Failed(String),
    /// stdout was closed by its reader (`| head -1`): the command ends quietly.
    #[error("stdout was closed")]
    OutputClosed,
}

impl AppError {
    /// 2 for what the operator wrote wrong (arguments, inventory), 141 (128 + SIGPIPE, as a
    /// shell reports `ls | head`) for a closed stdout, 1 for everything else.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.exit_status())
    }

    pub fn exit_status(&self) -> u8 {
        match self {
            AppError::Usage(_) | AppError::Inventory(_) | AppError::Export(_) => 2,
            AppError::OutputClosed => 141,
            _ => 1,
        }
    }
}
