//! Long-term keys for tests: every source has keys that never expire, `AKIA<SOURCE>`.

use async_trait::async_trait;

use crate::domain::credentials::Credentials;
use crate::domain::inventory::Source;
use crate::domain::sources::{SourceError, SourceKeys};

/// Long-term keys that never expire: `AKIA<SOURCE>` (see `source_key`).
pub struct FakeSources;

/// The access key id `FakeSources` gives the source of this name.
pub fn source_key(source: &str) -> String {
    format!("AKIA{}", source.to_uppercase())
}

#[async_trait]
impl SourceKeys for FakeSources {
    async fn keys(&self, source: &Source) -> Result<Credentials, SourceError> {
        Ok(Credentials::new(source_key(&source.name), "long-term-secret", None, None))
    }
}
