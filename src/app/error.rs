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
}

impl AppError {
    /// 2 for what the operator wrote wrong (arguments, inventory), 1 for everything else.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.exit_status())
    }

    pub fn exit_status(&self) -> u8 {
        match self {
            AppError::Usage(_) | AppError::Inventory(_) | AppError::Export(_) => 2,
            _ => 1,
        }
    }
}
