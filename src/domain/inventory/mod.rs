//! The operator's inventory of sources, accounts and roles: loaded from TOML, validated
//! whole (nothing is half-loaded), with every mistake pointing at file, line, column and key.

mod compiled;
mod fields;
mod limits;
pub mod raw;
mod session;
mod sso;
#[cfg(test)]
mod tests;
mod ui;
mod validate;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

pub use compact_str::CompactString;
use serde::{Deserialize, Serialize};

pub use fields::{checked_mfa_serial, parse_role_arn};
pub use session::{SessionAttributes, TemplateValues, current_user, expand as expand_template};
pub use validate::MAX_CHAINED_DURATION;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inventory {
    pub path: PathBuf,
    pub defaults: Defaults,
    pub sources: BTreeMap<String, Source>,
    accounts: Vec<Account>,
    /// Where each account name is in `accounts`: lookups by name are constant time at
    /// thousands of accounts. Derived, so not kept in the compiled copy.
    #[serde(skip)]
    account_index: HashMap<String, usize>,
    pub ui: UiSettings,
}

/// `[ui]`: what the screen needs from the inventory. Key names are checked by the screen,
/// which owns the commands; positions are kept so its errors can point at them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UiSettings {
    pub export_format: Option<crate::domain::exports::ExportFormat>,
    /// How often open panels refresh their counts (default 5s).
    pub panel_refresh: Option<Duration>,
    pub keys: Vec<KeyOverride>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyOverride {
    /// `None` for `[ui.keys]`, `Some("sqs")` for `[ui.keys.sqs]`.
    pub section: Option<String>,
    pub command: String,
    pub keys: Vec<String>,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Defaults {
    pub region: String,
    pub duration: Duration,
    pub refresh_before: Duration,
    pub endpoint_url: Option<String>,
    pub session_name: Option<String>,
    /// Console sign-in's federation endpoint; `None`: `SWITCHBOARD_FEDERATION_URL`, else AWS's.
    pub federation_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub name: String,
    pub credentials: SourceCredentials,
    pub mfa_serial: Option<String>,
    /// With `mfa_serial`: one GetSessionToken with MFA serves every MFA role of the source.
    pub session_duration: Option<Duration>,
    pub region: Option<String>,
    /// Run (with a timeout) for a code before asking the operator: a YubiKey's `ykman`, say.
    pub mfa_command: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SourceCredentials {
    /// A profile of the AWS config/credentials files, read through aws-config.
    Profile { profile: String, credentials_file: Option<PathBuf> },
    /// Keys stored with `switchboard keys add SOURCE`.
    Keyring,
    /// No keys: an IAM Identity Center sign-in, whose portal hands out role credentials.
    Sso(SsoSettings),
}

/// An Identity Center session: where to sign in, in which region, with which scopes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSettings {
    pub start_url: String,
    pub region: String,
    /// `["sso:account:access"]` unless set: the scope that gives a refresh token.
    pub scopes: Vec<String>,
    /// `sso_share_with_aws_cli`: write the token where the AWS CLI reads it (plain text).
    pub share_with_aws_cli: bool,
}

impl Source {
    /// The source's Identity Center settings, when it signs in rather than holds keys.
    pub fn sso(&self) -> Option<&SsoSettings> {
        match &self.credentials {
            SourceCredentials::Sso(settings) => Some(settings),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub name: CompactString,
    pub id: CompactString,
    pub environment: Option<String>,
    pub tags: Vec<String>,
    pub region: Option<String>,
    pub roles: Vec<Role>,
}

impl Account {
    pub fn is_production(&self) -> bool {
        self.environment
            .as_deref()
            .is_some_and(|env| env.eq_ignore_ascii_case("production") || env.eq_ignore_ascii_case("prod"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub key: RoleKey,
    pub account_id: CompactString,
    /// The IAM role's ARN; for an Identity Center role, the pattern of the role its
    /// permission set makes (`…/AWSReservedSSO_NAME_*`), shown, never called.
    pub arn: String,
    /// The permission set (the role name the portal lists) of a role of an Identity Center source.
    pub permission_set: Option<String>,
    pub parent: RoleParent,
    pub mfa: bool,
    /// As written; the plan applies the defaults and AWS caps.
    pub duration: Option<Duration>,
    pub external_id: Option<String>,
    pub read_only: bool,
    /// Effective: the role's, else the account's, else the defaults'.
    pub region: CompactString,
    /// A template as written; the plan falls back to `defaults.session_name`.
    pub session_name: Option<String>,
    /// Session tags, transitive tag keys and source identity (a template) for AssumeRole.
    /// Set on few roles: boxed, so the others carry 8 bytes instead of 72 (50,000 roles).
    session: Option<Box<SessionAttributes>>,
}

impl Role {
    /// Session tags, transitive tag keys and source identity for AssumeRole (empty when unset).
    pub fn session(&self) -> &SessionAttributes {
        static NONE: SessionAttributes =
            SessionAttributes { tags: Vec::new(), transitive_tag_keys: Vec::new(), source_identity: None };
        self.session.as_deref().unwrap_or(&NONE)
    }

    /// Keeps `attributes` only when there are some.
    pub(crate) fn boxed_session(attributes: SessionAttributes) -> Option<Box<SessionAttributes>> {
        (!attributes.is_empty()).then(|| Box::new(attributes))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RoleParent {
    Source(CompactString),
    /// A chained role: assumed with another role's session.
    Via(RoleKey),
}

/// `ACCOUNT/ROLE`, the address of a role everywhere in switchboard.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RoleKey {
    pub account: CompactString,
    pub role: CompactString,
}

impl fmt::Display for RoleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.account, self.role)
    }
}

impl FromStr for RoleKey {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.split_once('/') {
            Some((account, role)) if !account.is_empty() && !role.is_empty() && !role.contains('/') => {
                Ok(Self { account: account.into(), role: role.into() })
            }
            _ => Err(format!(
                "\"{}\" is not a role address; write it as ACCOUNT/ROLE, e.g. prod/admin",
                crate::domain::text::echoed(text)
            )),
        }
    }
}

/// One mistake in the inventory, positioned for an editor (`file:line:col`).
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub key: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}: {}", self.file.display(), self.line, self.column, self.key, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("cannot read the inventory {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("no inventory at {}: copy accounts.example.toml there, or pass --inventory PATH (or set SWITCHBOARD_INVENTORY)", path.display())]
    Missing { path: PathBuf },
    #[error("no inventory location: pass --inventory PATH or set SWITCHBOARD_INVENTORY")]
    NoLocation,
    #[error("the inventory {} is {what}, not a file; pass --inventory with the path of a TOML file", path.display())]
    NotAFile { path: PathBuf, what: &'static str },
    #[error(
        "the inventory {} is larger than {} MiB, more than any inventory needs (100,000 roles take about 10 MiB); check the path",
        path.display(),
        MAX_INVENTORY_BYTES / (1024 * 1024)
    )]
    TooLarge { path: PathBuf },
    #[error("{}", list_problems(.0))]
    Invalid(Vec<Problem>),
    #[error("{0}")]
    UnknownRole(String),
}

/// The first of two accounts with one name wins, as a linear search would find it.
fn index_accounts(accounts: &[Account]) -> HashMap<String, usize> {
    let mut account_index = HashMap::with_capacity(accounts.len());
    for (index, account) in accounts.iter().enumerate() {
        account_index.entry(account.name.to_string()).or_insert(index);
    }
    account_index
}

fn list_problems(problems: &[Problem]) -> String {
    problems.iter().map(Problem::to_string).collect::<Vec<_>>().join("\n")
}

/// `--inventory`, else `$SWITCHBOARD_INVENTORY`, else `accounts.toml` in the user's config dir.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, InventoryError> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    if let Some(path) = std::env::var_os("SWITCHBOARD_INVENTORY").filter(|value| !value.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    directories::ProjectDirs::from("", "", "switchboard")
        .map(|dirs| dirs.config_dir().join("accounts.toml"))
        .ok_or(InventoryError::NoLocation)
}

/// Generous: 100,000 roles take about 10 MiB of TOML.
pub const MAX_INVENTORY_BYTES: u64 = 64 * 1024 * 1024;

/// The inventory file, open: only a regular file (a FIFO would hang the read, a device such
/// as /dev/zero would never end) of at most `MAX_INVENTORY_BYTES`, and its stamp.
fn open_checked(path: &Path) -> Result<(std::fs::File, compiled::Stamp, u64), InventoryError> {
    let read_error = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::NotFound => InventoryError::Missing { path: path.to_path_buf() },
        _ => InventoryError::Read { path: path.to_path_buf(), source },
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Opening a FIFO for reading waits for a writer; without blocking it returns at once.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(read_error)?;
    let looked_at = std::time::SystemTime::now();
    let metadata = file.metadata().map_err(read_error)?;
    if !metadata.is_file() {
        let what = if metadata.is_dir() { "a directory" } else { "a pipe, socket or device" };
        return Err(InventoryError::NotAFile { path: path.to_path_buf(), what });
    }
    if metadata.len() > MAX_INVENTORY_BYTES {
        return Err(InventoryError::TooLarge { path: path.to_path_buf() });
    }
    Ok((file, compiled::Stamp::of(&metadata, looked_at), metadata.len()))
}

/// The open file's text, at most `MAX_INVENTORY_BYTES` (it may grow while read).
fn read_text(path: &Path, file: std::fs::File, length: u64) -> Result<String, InventoryError> {
    use std::io::Read;
    let read_error = |source: std::io::Error| InventoryError::Read { path: path.to_path_buf(), source };
    let mut bytes = Vec::with_capacity(usize::try_from(length).unwrap_or_default());
    file.take(MAX_INVENTORY_BYTES + 1).read_to_end(&mut bytes).map_err(read_error)?;
    if bytes.len() as u64 > MAX_INVENTORY_BYTES {
        return Err(InventoryError::TooLarge { path: path.to_path_buf() });
    }
    String::from_utf8(bytes).map_err(|_| InventoryError::Read {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, "stream did not contain valid UTF-8"),
    })
}

impl Inventory {
    /// Reads, parses and validates the file, or takes the compiled copy of exactly this text
    /// (see `compiled`): parsing thousands of roles costs more than the rest of a command.
    /// A file whose stamp is the one its copy was made from is not even read.
    pub fn load(path: &Path) -> Result<Self, InventoryError> {
        let (file, stamp, length) = open_checked(path)?;
        let compiled = compiled::CompiledCopy::for_path(path);
        if let Some(inventory) = compiled.as_ref().and_then(|copy| copy.read_stamped(&stamp)) {
            return Ok(inventory);
        }
        let text = read_text(path, file, length)?;
        if let Some(copy) = &compiled
            && let Some(inventory) = copy.read(&text)
        {
            // Made while the file was fresh: now that it settled, the stamp can stand for it.
            if stamp.trusted() {
                copy.write(&text, &stamp, &inventory);
            }
            return Ok(inventory);
        }
        let inventory = Self::parse(path, &text)?;
        if let Some(copy) = compiled {
            copy.write(&text, &stamp, &inventory);
        }
        Ok(inventory)
    }

    /// After a command wrote `text` to `path` as this inventory (an import): its compiled copy,
    /// so the next command takes it instead of parsing what was just checked (100,000 roles:
    /// 400 ms and 363 MiB for `list`). Best effort, as every copy.
    pub fn keep_compiled(&self, path: &Path, text: &str) {
        let (Some(copy), Ok((_, stamp, _))) = (compiled::CompiledCopy::for_path(path), open_checked(path)) else {
            return;
        };
        copy.write(text, &stamp, self);
    }

    /// Parses and validates `text`; `path` names the file in messages and anchors relative paths.
    pub fn parse(path: &Path, text: &str) -> Result<Self, InventoryError> {
        validate::parse(path, text).map_err(InventoryError::Invalid)
    }

    /// What `parse` makes of `text`, from the same inventory built in memory as `text` was
    /// written: an import checks its 100,000 roles without reading its own TOML back.
    pub fn checked(path: &Path, text: &str, raw: raw::RawInventory) -> Result<Self, InventoryError> {
        validate::checked(path, text, raw).map_err(InventoryError::Invalid)
    }

    pub fn roles(&self) -> impl Iterator<Item = (&Account, &Role)> {
        self.accounts.iter().flat_map(|account| account.roles.iter().map(move |role| (account, role)))
    }

    pub fn role(&self, key: &RoleKey) -> Option<&Role> {
        self.account(&key.account)?.roles.iter().find(|role| role.key.role == key.role)
    }

    /// Where a role is: the index of its account and its index among the account's roles.
    pub fn position(&self, key: &RoleKey) -> Option<(usize, usize)> {
        let account = *self.account_index.get(key.account.as_str())?;
        let role = self.accounts.get(account)?.roles.iter().position(|role| role.key.role == key.role)?;
        Some((account, role))
    }

    pub fn account(&self, name: &str) -> Option<&Account> {
        self.account_index.get(name).and_then(|&index| self.accounts.get(index))
    }

    /// The accounts in the inventory's order.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    fn new(
        path: PathBuf,
        defaults: Defaults,
        sources: BTreeMap<String, Source>,
        accounts: Vec<Account>,
        ui: UiSettings,
    ) -> Self {
        let account_index = index_accounts(&accounts);
        Self { path, defaults, sources, accounts, account_index, ui }
    }

    /// Finds a role from what an operator typed, with a helpful message when it is not there.
    pub fn find_role(&self, address: &str) -> Result<&Role, InventoryError> {
        let key: RoleKey = address.parse().map_err(InventoryError::UnknownRole)?;
        if let Some(role) = self.role(&key) {
            return Ok(role);
        }
        let message = match self.account(&key.account) {
            Some(account) => {
                let names: Vec<&str> = account.roles.iter().map(|role| role.key.role.as_str()).collect();
                let role = crate::domain::text::echoed(&key.role);
                format!("account {} has no role \"{role}\" (its roles: {})", account.name, names.join(", "))
            }
            None => {
                let names: Vec<&str> = self.accounts.iter().map(|account| account.name.as_str()).collect();
                let account = crate::domain::text::echoed(&key.account);
                format!("no account \"{account}\" in {} (accounts: {})", self.path.display(), names.join(", "))
            }
        };
        Err(InventoryError::UnknownRole(message))
    }

    /// Where a service is reached: the inventory's endpoint (emulators), else the service's
    /// or the general AWS variable (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`), else AWS.
    pub fn endpoint_for(&self, service_variable: &str) -> Option<String> {
        self.defaults
            .endpoint_url
            .clone()
            .or_else(|| std::env::var(service_variable).ok())
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
            .filter(|url| !url.is_empty())
    }

    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.get(name)
    }

    /// The source at the root of a role's chain (following `via`).
    pub fn root_source(&self, role: &Role) -> Option<&Source> {
        let mut current = role;
        // Validation rejects cycles; the bound keeps a bug from looping forever (a chain is
        // far shorter than the accounts are many).
        for _ in 0..=self.accounts.len().max(64) {
            match &current.parent {
                RoleParent::Source(name) => return self.source(name),
                RoleParent::Via(parent) => current = self.role(parent)?,
            }
        }
        None
    }
}
