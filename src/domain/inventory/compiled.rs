//! The compiled copy of an inventory: what parsing and validating produced, kept in the
//! cache directory so the next command (a `credential-process` per SDK call, `list`) reads
//! it back instead of parsing thousands of roles again (about 20 ms at 5,000 roles).
//!
//! The copy is keyed by a digest of everything the result depends on: this build of
//! switchboard, the path as given (relative paths in the file are resolved against it) and
//! the file's exact text. Any edit, or a new binary, misses and parses afresh. Only a valid
//! inventory is ever written, so errors are always found (and positioned) by the parser.
//! A copy that cannot be read or written is ignored: it is a cache, never a source of truth.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Account, Defaults, Inventory, Source, UiSettings};

/// Changes whenever the layout of the copy changes in a way the binary identity would miss.
const FORMAT: &[u8] = b"switchboard compiled inventory v4\0";
/// The first bytes of every copy: what tells switchboard's files from others in the directory.
const MAGIC: &[u8; 16] = b"switchboard-inv\x03";
/// Overrides where compiled copies are kept (tests, sandboxes); empty turns them off.
pub const CACHE_DIR_VARIABLE: &str = "SWITCHBOARD_CACHE_DIR";
const UNUSED_FOR: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);
/// A file changed less than this before it was looked at may change again without its
/// timestamps moving (they tick coarsely): its stamp is not trusted, its text is read.
const SETTLED_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

/// What the inventory file's metadata says of its text: device, inode, size, modification
/// and change times. Any write moves the change time (no tool can set it), and an editor's
/// rename-over gives a new inode, so an equal stamp means the same text, once the file had
/// settled when its copy was made (`trusted`), as git trusts its index.
pub struct Stamp {
    bytes: Vec<u8>,
    trusted: bool,
}

impl Stamp {
    /// `looked_at`: taken before `metadata` was read.
    pub fn of(metadata: &std::fs::Metadata, looked_at: std::time::SystemTime) -> Stamp {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let fields = [
                metadata.dev() as i128,
                metadata.ino() as i128,
                metadata.size() as i128,
                metadata.mtime() as i128 * 1_000_000_000 + metadata.mtime_nsec() as i128,
                metadata.ctime() as i128 * 1_000_000_000 + metadata.ctime_nsec() as i128,
            ];
            let changed_at = std::time::UNIX_EPOCH
                + std::time::Duration::from_nanos(u64::try_from(fields[3].max(fields[4])).unwrap_or(u64::MAX));
            let settled = looked_at.duration_since(changed_at).is_ok_and(|since| since >= SETTLED_AFTER);
            Stamp { bytes: fields.iter().flat_map(|field| field.to_le_bytes()).collect(), trusted: settled }
        }
        #[cfg(not(unix))]
        {
            // Without a change time, the metadata cannot stand for the text.
            let _ = (metadata, looked_at);
            Stamp { bytes: Vec::new(), trusted: false }
        }
    }
}

impl Stamp {
    pub fn trusted(&self) -> bool {
        self.trusted && !self.bytes.is_empty()
    }
}

pub struct CompiledCopy {
    file: PathBuf,
    /// This build, the format and the path as given: what every key starts from.
    identity: Sha256,
}

/// The fixed part of a copy after its magic: the text's key, the stamp's key, whether the
/// stamp can stand for the text, and the body's checksum.
const HEADER: usize = 32 + 32 + 1 + 4;

impl CompiledCopy {
    /// `None` when there is nowhere to keep copies (or they are turned off).
    pub fn for_path(path: &Path) -> Option<Self> {
        Self::in_dir(&cache_dir()?, path)
    }

    fn in_dir(dir: &Path, path: &Path) -> Option<Self> {
        let mut identity = Sha256::new();
        identity.update(FORMAT);
        identity.update(binary_identity()?.as_bytes());
        identity.update(path.as_os_str().as_encoded_bytes());
        identity.update(b"\0");
        let name: String = Sha256::digest(path.as_os_str().as_encoded_bytes())
            .iter()
            .take(12)
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Some(Self { file: dir.join(format!("{name}.bin")), identity })
    }

    fn key(&self, kind: &[u8], bytes: &[u8]) -> [u8; 32] {
        let mut key = self.identity.clone();
        key.update(kind);
        key.update(bytes);
        key.finalize().into()
    }

    /// The inventory, when the copy was made by this build from a file with this stamp that
    /// had settled then: the text need not even be read.
    pub fn read_stamped(&self, stamp: &Stamp) -> Option<Inventory> {
        if stamp.bytes.is_empty() {
            return None;
        }
        let expected = self.key(b"stamp", &stamp.bytes);
        self.read_where(|header| header[64] == 1 && header[32..64] == expected)
    }

    /// The inventory, when the copy on disk was made from exactly this text by this build.
    pub fn read(&self, text: &str) -> Option<Inventory> {
        let expected = self.key(b"text", text.as_bytes());
        self.read_where(|header| header[..32] == expected)
    }

    fn read_where(&self, matches: impl Fn(&[u8]) -> bool) -> Option<Inventory> {
        let file = std::fs::File::open(&self.file).ok()?;
        // SAFETY: a copy is never changed in place: writers make a new file and rename it
        // over this one, which leaves the mapped file whole. Mapped, a 5 MB copy (50,000
        // roles) is read from the page cache instead of copied first.
        let bytes = unsafe { memmap2::Mmap::map(&file) }.ok()?;
        let (header, body) = bytes.strip_prefix(MAGIC)?.split_at_checked(HEADER)?;
        // The checksum catches a damaged body, which could otherwise decode as another
        // valid inventory.
        if !matches(header) || header[65..69] != crc32fast::hash(body).to_le_bytes() {
            return None;
        }
        match decode(body) {
            Ok(inventory) => Some(inventory),
            Err(error) => {
                tracing::debug!("compiled inventory {} unreadable ({error}); parsing", self.file.display());
                None
            }
        }
    }

    /// Best effort: a failure only means the next command parses again.
    pub fn write(&self, text: &str, stamp: &Stamp, inventory: &Inventory) {
        if let Err(error) = self.try_write(text, stamp, inventory) {
            tracing::debug!("compiled inventory not kept at {}: {error}", self.file.display());
        }
    }

    fn try_write(&self, text: &str, stamp: &Stamp, inventory: &Inventory) -> std::io::Result<()> {
        let body = encode(inventory).map_err(std::io::Error::other)?;
        let dir = self.file.parent().ok_or_else(|| std::io::Error::other("no directory"))?;
        std::fs::create_dir_all(dir)?;
        // Many processes may compile the same text at once: each writes its own file and the
        // renames replace one whole copy with another.
        let temporary = dir.join(format!(".{}.{}.tmp", std::process::id(), unique_suffix()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options.open(&temporary).and_then(|mut file| {
            file.write_all(MAGIC)?;
            file.write_all(&self.key(b"text", text.as_bytes()))?;
            file.write_all(&self.key(b"stamp", &stamp.bytes))?;
            file.write_all(&[u8::from(stamp.trusted && !stamp.bytes.is_empty())])?;
            file.write_all(&crc32fast::hash(&body).to_le_bytes())?;
            file.write_all(&body)
        });
        match written.and_then(|()| std::fs::rename(&temporary, &self.file)) {
            Ok(()) => {
                forget_unused_copies(dir);
                Ok(())
            }
            Err(error) => {
                let _ = std::fs::remove_file(&temporary);
                Err(error)
            }
        }
    }
}

/// A copy is written once per inventory path and edit; copies of inventories that moved or
/// went away would pile up, so copies over a month old go whenever a copy is written (one
/// still in use is simply made again). The directory may hold files of others (it can be
/// any `SWITCHBOARD_CACHE_DIR`): only a file switchboard wrote goes, known by its name and
/// its first bytes.
fn forget_unused_copies(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let Ok(metadata) = entry.metadata() else { continue };
        let unused_for = metadata.modified().ok().and_then(|at| at.elapsed().ok());
        if metadata.is_file()
            && unused_for.is_some_and(|unused_for| unused_for > UNUSED_FOR)
            && is_copy_name(&entry.file_name().to_string_lossy())
            && written_by_switchboard(&entry.path())
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The inventory without its accounts, then its accounts in two halves, each part but the
/// last after its length: the halves decode on two threads. At 50,000 roles, decoding is most
/// of what `list` and the screen's start spend.
#[derive(Serialize)]
struct HeadOut<'a> {
    path: &'a PathBuf,
    defaults: &'a Defaults,
    sources: &'a BTreeMap<String, Source>,
    ui: &'a UiSettings,
}

#[derive(Deserialize)]
struct HeadIn {
    path: PathBuf,
    defaults: Defaults,
    sources: BTreeMap<String, Source>,
    ui: UiSettings,
}

/// Below this, a second thread costs more than it saves.
const DECODE_IN_TWO_FROM: usize = 256 * 1024;

/// The body in one buffer of exactly its size, measured first (postcard's `Size` flavor): at
/// 100,000 roles a part per buffer, each grown by doubling, then copied into the body, was
/// 26 MB for a body of 10 MB, on top of what an import holds.
fn encode(inventory: &Inventory) -> postcard::Result<Vec<u8>> {
    let head = HeadOut {
        path: &inventory.path,
        defaults: &inventory.defaults,
        sources: &inventory.sources,
        ui: &inventory.ui,
    };
    let (first, second) = inventory.accounts.split_at(inventory.accounts.len() / 2);
    let sizes = [measured(&head)?, measured(first)?, measured(second)?];
    let mut body = Vec::with_capacity(sizes.iter().sum::<usize>() + 16);
    body.extend_from_slice(&(sizes[0] as u64).to_le_bytes());
    body = postcard::to_extend(&head, body)?;
    body.extend_from_slice(&(sizes[1] as u64).to_le_bytes());
    body = postcard::to_extend(first, body)?;
    postcard::to_extend(second, body)
}

fn measured<T: Serialize + ?Sized>(value: &T) -> postcard::Result<usize> {
    postcard::serialize_with_flavor(value, postcard::ser_flavors::Size::default())
}

fn decode(body: &[u8]) -> postcard::Result<Inventory> {
    decode_parts(body, body.len() >= DECODE_IN_TWO_FROM)
}

fn decode_parts(body: &[u8], in_two: bool) -> postcard::Result<Inventory> {
    let short = || postcard::Error::DeserializeUnexpectedEnd;
    let (head, rest) = length_prefixed(body).ok_or_else(short)?;
    let (first, second) = length_prefixed(rest).ok_or_else(short)?;
    let head: HeadIn = postcard::from_bytes(head)?;
    let (first, second) = if in_two {
        std::thread::scope(|scope| {
            let other = scope.spawn(|| postcard::from_bytes::<Vec<Account>>(second));
            let first = postcard::from_bytes::<Vec<Account>>(first);
            (first, other.join().unwrap_or(Err(postcard::Error::DeserializeBadEncoding)))
        })
    } else {
        (postcard::from_bytes(first), postcard::from_bytes(second))
    };
    let mut accounts = first?;
    accounts.extend(second?);
    Ok(Inventory::new(head.path, head.defaults, head.sources, accounts, head.ui))
}

fn length_prefixed(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (length, rest) = bytes.split_first_chunk::<8>()?;
    rest.split_at_checked(usize::try_from(u64::from_le_bytes(*length)).ok()?)
}

/// `<24 hex digits>.bin` (a copy), or `.<pid>.<nanos>.tmp` (one being written, or left
/// behind by a process that died writing it).
fn is_copy_name(name: &str) -> bool {
    let copy = name
        .strip_suffix(".bin")
        .is_some_and(|stem| stem.len() == 24 && stem.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f')));
    let temporary = name.strip_prefix('.').and_then(|rest| rest.strip_suffix(".tmp")).is_some_and(|middle| {
        middle.split_once('.').is_some_and(|(pid, nanos)| {
            [pid, nanos].iter().all(|part| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit()))
        })
    });
    copy || temporary
}

/// Whether the file starts as switchboard's copies do: this format's magic, or the one of
/// before it had one (a digest, then the SHA-256 of the rest: no other file matches that).
fn written_by_switchboard(path: &Path) -> bool {
    use std::io::Read as _;
    let Ok(mut file) = std::fs::File::open(path) else { return false };
    let mut start = [0u8; MAGIC.len()];
    // Any version of the magic: copies of older builds are switchboard's too.
    if file.read_exact(&mut start).is_ok() && start[..15] == MAGIC[..15] {
        return true;
    }
    let Ok(bytes) = std::fs::read(path) else { return false };
    match (bytes.get(32..64), bytes.get(64..)) {
        (Some(body_digest), Some(body)) => body_digest == Sha256::digest(body).as_slice(),
        _ => false,
    }
}

/// `$SWITCHBOARD_CACHE_DIR/inventory`, else the platform's cache directory
/// (`~/.cache/switchboard/inventory` on Linux).
fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(CACHE_DIR_VARIABLE) {
        return (!dir.is_empty()).then(|| PathBuf::from(dir).join("inventory"));
    }
    let dirs = directories::ProjectDirs::from("", "", "switchboard")?;
    Some(dirs.cache_dir().join("inventory"))
}

/// This build: its version and its executable's size and time, so a rebuilt binary (whose
/// types may have changed) never reads a copy an older one wrote. Unknown: no copies.
fn binary_identity() -> Option<String> {
    let metadata = std::env::current_exe().and_then(std::fs::metadata).ok()?;
    let modified = metadata.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(format!("{} {} {}", env!("CARGO_PKG_VERSION"), metadata.len(), modified.as_nanos()))
}

fn unique_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
[sources.hub]
profile = "hub"

[[accounts]]
name = "prod"
id = "111111111111"
  [[accounts.roles]]
  name = "admin"
  role_name = "Admin"
  source = "hub"
"#;

    #[test]
    fn the_body_reads_back_as_written_on_one_thread_or_two() {
        let mut text = String::from(TEXT);
        for account in 0..7 {
            text.push_str(&format!(
                "[[accounts]]\nname = \"acct-{account}\"\nid = \"{:012}\"\n  [[accounts.roles]]\n  name = \"r\"\n  role_name = \"R\"\n  source = \"hub\"\n",
                200_000_000_000u64 + account
            ));
        }
        let inventory = Inventory::parse(Path::new("accounts.toml"), &text).unwrap();
        let body = encode(&inventory).unwrap();
        for in_two in [false, true] {
            let read = decode_parts(&body, in_two).unwrap();
            assert_eq!(read.accounts(), inventory.accounts(), "in two: {in_two}");
            assert_eq!(
                (&read.defaults, &read.sources, &read.ui),
                (&inventory.defaults, &inventory.sources, &inventory.ui)
            );
            assert_eq!(read.path, inventory.path);
            assert!(read.account("acct-6").is_some() && read.account("prod").is_some(), "the index is rebuilt");
        }
        assert!(decode(&body[..body.len() - 1]).is_err(), "a short body is an error, not a smaller inventory");
    }

    fn parsed(text: &str) -> Inventory {
        Inventory::parse(Path::new("accounts.toml"), text).unwrap()
    }

    /// A stamp as of a file that settled long ago (`trusted`), or was just written.
    fn stamp(bytes: &[u8], trusted: bool) -> Stamp {
        Stamp { bytes: bytes.to_vec(), trusted }
    }

    fn written(dir: &Path, path: &str, text: &str, stamp: &Stamp) -> CompiledCopy {
        let copy = CompiledCopy::in_dir(dir, Path::new(path)).unwrap();
        copy.write(text, stamp, &parsed(text));
        copy
    }

    #[test]
    fn a_copy_reads_back_as_the_parsed_inventory_with_its_index() {
        let dir = tempfile::tempdir().unwrap();
        let copy = CompiledCopy::in_dir(dir.path(), Path::new("accounts.toml")).unwrap();
        assert!(copy.read(TEXT).is_none(), "nothing is there before the first write");
        copy.write(TEXT, &stamp(b"s1", true), &parsed(TEXT));
        let read = copy.read(TEXT).expect("the copy reads back");
        let original = parsed(TEXT);
        assert_eq!(read.accounts(), original.accounts());
        assert_eq!(read.sources, original.sources);
        assert_eq!(read.defaults, original.defaults);
        assert!(read.find_role("prod/admin").is_ok(), "the account index is rebuilt");
    }

    #[test]
    fn an_edited_file_or_another_path_misses_the_copy() {
        let dir = tempfile::tempdir().unwrap();
        let copy = written(dir.path(), "accounts.toml", TEXT, &stamp(b"s1", true));
        let edited = TEXT.replace("Admin", "Admin2");
        assert!(copy.read(&edited).is_none());
        assert!(CompiledCopy::in_dir(dir.path(), Path::new("other/accounts.toml")).unwrap().read(TEXT).is_none());
    }

    #[test]
    fn a_settled_stamp_stands_for_the_text_and_any_other_stamp_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let copy = written(dir.path(), "accounts.toml", TEXT, &stamp(b"s1", true));
        assert!(copy.read_stamped(&stamp(b"s1", true)).is_some(), "same stamp: the text need not be read");
        assert!(copy.read_stamped(&stamp(b"s2", true)).is_none(), "a write moved the change time");
        let other = CompiledCopy::in_dir(dir.path(), Path::new("other/accounts.toml")).unwrap();
        assert!(other.read_stamped(&stamp(b"s1", true)).is_none(), "the path is part of the key");
        // Made from a file that had just changed: its timestamps may not move on the next
        // write, so only the text can say it is the same.
        let copy = written(dir.path(), "accounts.toml", TEXT, &stamp(b"s3", false));
        assert!(copy.read_stamped(&stamp(b"s3", true)).is_none());
        assert!(copy.read(TEXT).is_some());
        assert!(copy.read_stamped(&stamp(b"", true)).is_none(), "no stamp (no change time) never stands");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_changed_just_now_is_not_settled_and_one_changed_long_ago_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.toml");
        std::fs::write(&path, TEXT).unwrap();
        let metadata = std::fs::metadata(&path).unwrap();
        let now = std::time::SystemTime::now();
        assert!(!Stamp::of(&metadata, now).trusted);
        assert!(Stamp::of(&metadata, now + SETTLED_AFTER).trusted);
        std::fs::write(&path, TEXT.replace("Admin", "Other")).unwrap();
        let again = std::fs::metadata(&path).unwrap();
        assert_ne!(Stamp::of(&metadata, now).bytes, Stamp::of(&again, now).bytes, "a rewrite moves the stamp");
    }

    #[test]
    fn a_damaged_copy_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let copy = written(dir.path(), "accounts.toml", TEXT, &stamp(b"s1", true));
        let bytes = std::fs::read(&copy.file).unwrap();
        for cut in [0, 10, bytes.len() - 3] {
            std::fs::write(&copy.file, &bytes[..cut]).unwrap();
            assert!(copy.read(TEXT).is_none(), "a copy cut at {cut} bytes must be ignored");
            assert!(copy.read_stamped(&stamp(b"s1", true)).is_none());
        }
        let mut garbled = bytes.clone();
        let last = garbled.len() - 1;
        garbled[last] ^= 1;
        std::fs::write(&copy.file, &garbled).unwrap();
        assert!(copy.read(TEXT).is_none(), "a body with one bit flipped must be ignored");
        assert!(copy.read_stamped(&stamp(b"s1", true)).is_none());
    }

    #[test]
    fn only_files_named_and_made_as_copies_are_taken_for_switchboards() {
        let dir = tempfile::tempdir().unwrap();
        let copy = written(dir.path(), "accounts.toml", TEXT, &stamp(b"s1", true));
        let name = copy.file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(is_copy_name(&name), "{name}");
        assert!(is_copy_name(".1234.1765000000000000000.tmp"));
        for other in
            ["hosts.ini", "0123456789abcdef0123456.bin", "0123456789ABCDEF01234567.bin", ".1234.tmp", ".a.b.tmp"]
        {
            assert!(!is_copy_name(other), "{other}");
        }
        assert!(written_by_switchboard(&copy.file));
        let foreign = dir.path().join("0123456789abcdef01234567.bin");
        std::fs::write(&foreign, vec![7u8; 200]).unwrap();
        assert!(!written_by_switchboard(&foreign), "a file of others with a copy's name");
        // A copy of the format before the magic: a digest, then the SHA-256 of the body.
        let body = b"an older copy's body";
        let older = [[1u8; 32].as_slice(), Sha256::digest(body).as_slice(), body.as_slice()].concat();
        std::fs::write(&foreign, older).unwrap();
        assert!(written_by_switchboard(&foreign), "an older copy");
    }

    #[cfg(unix)]
    #[test]
    fn the_copy_is_private_to_its_user() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let copy = written(dir.path(), "accounts.toml", TEXT, &stamp(b"s1", true));
        assert_eq!(std::fs::metadata(&copy.file).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
