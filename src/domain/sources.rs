//! Long-term keys of a source: from a profile (through aws-config) or from the OS keyring
//! (`switchboard keys add`). They are read when a session is made and never cached.

use std::sync::Arc;

use async_trait::async_trait;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_sdk_sts::config::ProvideCredentials;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::credentials::{Credentials, mask};
use super::inventory::{Inventory, Source, SourceCredentials};
use super::store::{SecretStore, StoreError};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SourceError {
    #[error("profile \"{profile}\" of source {source_name} gave no keys: {message}")]
    Profile { source_name: String, profile: String, message: String },
    #[error("no keys stored for source {source_name}: run `switchboard keys add {source_name}`")]
    NoStoredKeys { source_name: String },
    #[error("source {source_name} keeps its keys in the OS keyring, which is not reachable here ({reason})")]
    KeyringUnavailable { source_name: String, reason: String },
    #[error("source {source_name} signs in through Identity Center and has no keys of its own")]
    SignsIn { source_name: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the stored keys of source {source_name} are unreadable; store them again with `switchboard keys add {source_name}`"
    )]
    Corrupt { source_name: String },
}

#[async_trait]
pub trait SourceKeys: Send + Sync {
    async fn keys(&self, source: &Source) -> Result<Credentials, SourceError>;
}

/// Reads profiles through aws-config and keyring sources through the secret store.
pub struct LocalSourceKeys {
    store: Arc<dyn SecretStore>,
    endpoint: Option<String>,
}

impl LocalSourceKeys {
    pub fn new(store: Arc<dyn SecretStore>, inventory: &Inventory) -> Self {
        Self { store, endpoint: sts_endpoint(inventory) }
    }
}

/// The STS endpoint the inventory's sessions are made at (`None`: AWS itself).
pub fn sts_endpoint(inventory: &Inventory) -> Option<String> {
    inventory.endpoint_for("AWS_ENDPOINT_URL_STS")
}

#[async_trait]
impl SourceKeys for LocalSourceKeys {
    async fn keys(&self, source: &Source) -> Result<Credentials, SourceError> {
        match &source.credentials {
            SourceCredentials::Profile { profile, credentials_file } => {
                profile_keys(source, profile, credentials_file.as_deref()).await
            }
            SourceCredentials::Sso(_) => Err(SourceError::SignsIn { source_name: source.name.clone() }),
            SourceCredentials::Keyring => {
                let store = KeyStore { store: self.store.clone(), endpoint: self.endpoint.clone() };
                let name = source.name.clone();
                tokio::task::spawn_blocking(move || store.load(&name))
                    .await
                    .map_err(|error| SourceError::Corrupt { source_name: format!("{} ({error})", source.name) })?
            }
        }
    }
}

async fn profile_keys(
    source: &Source,
    profile: &str,
    credentials_file: Option<&std::path::Path>,
) -> Result<Credentials, SourceError> {
    let mut builder = ProfileFileCredentialsProvider::builder().profile_name(profile);
    if let Some(file) = credentials_file {
        builder = builder.profile_files(
            EnvConfigFiles::builder()
                .include_default_config_file(true)
                .with_file(EnvConfigFileKind::Credentials, file)
                .build(),
        );
    }
    let found = builder.build().provide_credentials().await.map_err(|error| SourceError::Profile {
        source_name: source.name.clone(),
        profile: profile.to_owned(),
        message: aws_sdk_sts::error::DisplayErrorContext(&error).to_string(),
    })?;
    let expiration = found.expiry().and_then(|at| Timestamp::try_from(at).ok());
    Ok(Credentials::new(
        found.access_key_id(),
        found.secret_access_key(),
        found.session_token().map(str::to_owned),
        expiration,
    ))
}

#[derive(Serialize, Deserialize)]
struct StoredKeys {
    access_key_id: String,
    secret_access_key: String,
}

/// Long-term keys of `keyring = true` sources, one keyring entry per source and endpoint.
pub struct KeyStore {
    store: Arc<dyn SecretStore>,
    endpoint: Option<String>,
}

impl KeyStore {
    pub fn new(store: Arc<dyn SecretStore>, inventory: &Inventory) -> Self {
        Self { store, endpoint: sts_endpoint(inventory) }
    }

    /// `source-keys|NAME` for AWS itself (as before scoping, so stored keys stay found);
    /// `source-keys@ENDPOINT|NAME` for an emulator, so a sandbox never replaces real keys.
    fn entry(&self, source_name: &str) -> String {
        match &self.endpoint {
            None => format!("source-keys|{source_name}"),
            Some(endpoint) => format!("source-keys@{endpoint}|{source_name}"),
        }
    }

    fn require_keyring(&self, source_name: &str) -> Result<(), SourceError> {
        match self.store.backend() {
            super::store::Backend::Keyring { .. } => Ok(()),
            super::store::Backend::Memory { reason } => {
                Err(SourceError::KeyringUnavailable { source_name: source_name.to_owned(), reason: reason.clone() })
            }
            super::store::Backend::StatesOnly { .. } => Err(SourceError::KeyringUnavailable {
                source_name: source_name.to_owned(),
                reason: "this command reads session states only".to_owned(),
            }),
        }
    }

    pub fn save(&self, source_name: &str, access_key_id: &str, secret_access_key: &str) -> Result<(), SourceError> {
        self.require_keyring(source_name)?;
        let value = serde_json::to_string(&StoredKeys {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret_access_key.to_owned(),
        })
        .map_err(|_| SourceError::Corrupt { source_name: source_name.to_owned() })?;
        Ok(self.store.set(&self.entry(source_name), &value)?)
    }

    pub fn load(&self, source_name: &str) -> Result<Credentials, SourceError> {
        self.require_keyring(source_name)?;
        let value = self
            .store
            .get(&self.entry(source_name))?
            .ok_or_else(|| SourceError::NoStoredKeys { source_name: source_name.to_owned() })?;
        let keys: StoredKeys =
            serde_json::from_str(&value).map_err(|_| SourceError::Corrupt { source_name: source_name.to_owned() })?;
        Ok(Credentials::new(keys.access_key_id, keys.secret_access_key, None, None))
    }

    pub fn remove(&self, source_name: &str) -> Result<(), SourceError> {
        self.require_keyring(source_name)?;
        Ok(self.store.delete(&self.entry(source_name))?)
    }

    /// The access key id, masked: what `keys list` shows (never the secret).
    pub fn describe(&self, source_name: &str) -> Result<Option<String>, SourceError> {
        match self.load(source_name) {
            Ok(keys) => Ok(Some(mask(&keys.access_key_id))),
            Err(SourceError::NoStoredKeys { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::store::MemoryStore;

    fn inventory(endpoint: &str) -> Inventory {
        let text = format!("[defaults]\nregion = \"eu-west-1\"\n{endpoint}\n[sources.hub]\nkeyring = true\n");
        Inventory::parse(std::path::Path::new("accounts.toml"), &text).unwrap()
    }

    #[test]
    fn a_sandbox_never_replaces_the_real_keys_of_a_source() {
        let store: Arc<dyn SecretStore> = Arc::new(TestKeyring(MemoryStore::new("test")));
        let real = KeyStore::new(store.clone(), &inventory(""));
        let sandbox = KeyStore::new(store.clone(), &inventory("endpoint_url = \"http://127.0.0.1:5000\""));
        real.save("hub", "AKIAREAL0000000000001", "real-secret").unwrap();
        sandbox.save("hub", "AKIASANDBOX000000001", "sandbox-secret").unwrap();
        assert_eq!(real.load("hub").unwrap().secret_access_key(), "real-secret");
        assert_eq!(sandbox.load("hub").unwrap().secret_access_key(), "sandbox-secret");
        assert!(store.get("source-keys|hub").unwrap().is_some(), "real keys keep their old entry name");
    }

    /// A memory store that says it is a keyring, so `KeyStore` accepts it.
    struct TestKeyring(MemoryStore);

    impl SecretStore for TestKeyring {
        fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
            self.0.get(key)
        }
        fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
            self.0.set(key, value)
        }
        fn delete(&self, key: &str) -> Result<(), StoreError> {
            self.0.delete(key)
        }
        fn backend(&self) -> &crate::domain::store::Backend {
            static BACKEND: std::sync::LazyLock<crate::domain::store::Backend> =
                std::sync::LazyLock::new(|| crate::domain::store::Backend::Keyring { file: "test".into() });
            &BACKEND
        }
        fn sessions(&self) -> &Arc<crate::domain::store::SessionStore> {
            self.0.sessions()
        }
    }
}
