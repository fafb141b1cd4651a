//! `switchboard keys add|remove|list`: long-term keys of `keyring = true` sources. The
//! secret is read without echo and only ever goes to the OS keyring.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use crate::domain::credentials::mask;
use crate::domain::inventory::{Inventory, SourceCredentials};
use crate::domain::sources::KeyStore;

use super::{AppError, KeysAction, output};
use crate::app::{GlobalOptions, load_inventory, open_secret_store};

pub async fn run(options: &GlobalOptions, action: KeysAction) -> Result<ExitCode, AppError> {
    let inventory = load_inventory(options)?.inventory;
    let keys = KeyStore::new(open_secret_store(true).await, &inventory);
    match action {
        KeysAction::Add { source } => {
            keyring_source(&inventory, &source)?;
            let (access_key_id, secret) = read_keys()?;
            keys.save(&source, &access_key_id, &secret)?;
            output::println(&format!("stored keys {} for source {source}", mask(&access_key_id)))?;
        }
        KeysAction::Remove { source } => {
            keyring_source(&inventory, &source)?;
            keys.remove(&source)?;
            output::println(&format!("removed the keys of source {source}"))?;
        }
        KeysAction::List { source } => {
            let names: Vec<String> = match source {
                Some(name) => {
                    keyring_source(&inventory, &name)?;
                    vec![name]
                }
                None => inventory
                    .sources
                    .values()
                    .filter(|source| source.credentials == SourceCredentials::Keyring)
                    .map(|source| source.name.clone())
                    .collect(),
            };
            if names.is_empty() {
                output::println(&format!("no source of {} has `keyring = true`", inventory.path.display()))?;
            }
            for name in names {
                match keys.describe(&name)? {
                    Some(masked) => output::println(&format!("{name}  {masked}"))?,
                    None => output::println(&format!("{name}  (no keys stored: switchboard keys add {name})"))?,
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn keyring_source(inventory: &Inventory, name: &str) -> Result<(), AppError> {
    match inventory.source(name) {
        Some(source) if source.credentials == SourceCredentials::Keyring => Ok(()),
        Some(_) => {
            Err(AppError::Usage(format!("source {name} reads a profile; `keys` is for sources with `keyring = true`")))
        }
        None => {
            let known: Vec<&str> = inventory.sources.keys().map(String::as_str).collect();
            Err(AppError::Usage(format!(
                "no source \"{name}\" in {} (sources: {})",
                inventory.path.display(),
                known.join(", ")
            )))
        }
    }
}

/// From a terminal: the key id with echo, the secret without. From a pipe: two lines.
fn read_keys() -> Result<(String, String), AppError> {
    let failed = |error: std::io::Error| AppError::Failed(format!("cannot read the keys: {error}"));
    let (access_key_id, secret) = if std::io::stdin().is_terminal() {
        eprint!("Access key id: ");
        std::io::stderr().flush().map_err(failed)?;
        let mut id = String::new();
        std::io::stdin().lock().read_line(&mut id).map_err(failed)?;
        let secret = rpassword::prompt_password("Secret access key (not shown): ").map_err(failed)?;
        (id, secret)
    } else {
        let mut lines = std::io::stdin().lock().lines();
        let id = lines.next().transpose().map_err(failed)?.unwrap_or_default();
        let secret = lines.next().transpose().map_err(failed)?.unwrap_or_default();
        (id, secret)
    };
    let (access_key_id, secret) = (access_key_id.trim().to_owned(), secret.trim().to_owned());
    let plausible_id =
        (16..=128).contains(&access_key_id.len()) && access_key_id.chars().all(|c| c.is_ascii_alphanumeric());
    if !plausible_id {
        return Err(AppError::Usage(
            "that is not an access key id (16 to 128 letters and digits, like AKIA...)".into(),
        ));
    }
    if secret.is_empty() {
        return Err(AppError::Usage("the secret access key is empty".into()));
    }
    Ok((access_key_id, secret))
}
