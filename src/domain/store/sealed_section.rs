//! The sealed section of the session file, left in the file until a session is opened.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use super::sealed::Sealed;

/// The secrets section: where its bytes are, its checksum from the header, and its parse,
/// done at most once. Read from the file only when a session is opened: at 5,000 sessions the
/// section is most of the file, and `list` or an idle screen never need it in memory.
#[derive(Clone)]
pub struct RawSealed {
    bytes: SealedBytes,
    checksum: String,
    parsed: OnceLock<Result<BTreeMap<String, Sealed>, String>>,
}

/// The file as it was opened: a later rename of a new file over it does not change what this
/// handle reads, so the section always belongs to the metadata read with it.
#[derive(Clone)]
struct SealedBytes {
    file: Arc<std::fs::File>,
    offset: u64,
    len: u64,
}

impl std::fmt::Debug for RawSealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RawSealed({} bytes in the file)", self.bytes.len)
    }
}

impl RawSealed {
    pub fn in_file(file: Arc<std::fs::File>, offset: u64, len: u64, checksum: String) -> Self {
        Self { bytes: SealedBytes { file, offset, len }, checksum, parsed: OnceLock::new() }
    }

    pub(super) fn parsed(&self) -> &Result<BTreeMap<String, Sealed>, String> {
        self.parsed.get_or_init(|| {
            let bytes = self.read()?;
            if super::file::checksum(&bytes) != self.checksum {
                return Err("the sealed section's checksum does not match (truncated or damaged)".to_owned());
            }
            serde_json::from_slice(&bytes).map_err(|error| format!("unreadable sealed section: {error}"))
        })
    }

    fn read(&self) -> Result<Vec<u8>, String> {
        use std::io::{Read as _, Seek as _, SeekFrom};
        let SealedBytes { file, offset, len } = &self.bytes;
        let mut bytes = vec![0; usize::try_from(*len).map_err(|_| "the sealed section is too large")?];
        let mut reader: &std::fs::File = file;
        reader
            .seek(SeekFrom::Start(*offset))
            .and_then(|_| reader.read_exact(&mut bytes))
            .map_err(|error| format!("cannot read the sealed section: {error}"))?;
        Ok(bytes)
    }
}
