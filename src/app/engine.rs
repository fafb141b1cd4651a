//! The engine over the real parts: STS through the SDK, long-term keys from profiles or the
//! keyring, sessions in the store, and the front end's own way of asking for MFA codes.

use std::sync::Arc;

use crate::domain::cache::SessionCache;
use crate::domain::clock::AwsClock;
use crate::domain::engine::{Engine, EngineParts};
use crate::domain::inventory::Inventory;
use crate::domain::mfa::MfaPrompt;
use crate::domain::sources::LocalSourceKeys;
use crate::domain::sso::aws::{AwsIdentityCenter, SsoEndpoints};
use crate::domain::sso::signin::{NoSignIn, SignInPrompt};
use crate::domain::store::{Backend, MemoryStore, SecretStore, StoreChoice, open_states_only, open_store};
use crate::domain::sts::AwsSts;

/// Opens the keyring (or memory) and says once which one is in use: always when sessions
/// will not outlive the process, and when `announce` is asked (commands a person runs).
/// Script-facing commands stay quiet about the normal case.
pub async fn open_secret_store(announce: bool) -> Arc<dyn SecretStore> {
    start_opening_store(announce).await
}

/// Starts opening the store at once, so the keyring answers while the caller does other
/// work (parsing the inventory); awaiting the result announces the store as above.
pub fn start_opening_store(announce: bool) -> impl Future<Output = Arc<dyn SecretStore>> {
    let opening = tokio::spawn(open_store(StoreChoice::from_env()));
    async move {
        let store = match opening.await {
            Ok(store) => store,
            Err(error) => Arc::new(MemoryStore::new(format!("the session store could not be opened: {error}"))),
        };
        announce_store(store.as_ref(), announce);
        store
    }
}

/// The stored sessions' states without the keyring (for `list`): see `open_states_only`.
pub fn open_states_store(announce: bool) -> Arc<dyn SecretStore> {
    let store = open_states_only(StoreChoice::from_env());
    announce_store(store.as_ref(), announce);
    store
}

fn announce_store(store: &dyn SecretStore, announce: bool) {
    if announce || matches!(store.backend(), Backend::Memory { .. }) {
        eprintln!("switchboard: session cache: {}", store.backend());
    } else {
        tracing::info!("session cache: {}", store.backend());
    }
}

pub fn build_engine(inventory: Arc<Inventory>, store: Arc<dyn SecretStore>, mfa: Arc<dyn MfaPrompt>) -> Engine {
    build_engine_signing_in(inventory, store, mfa, Arc::new(NoSignIn))
}

/// `build_engine` whose Identity Center sign-ins are shown by `sign_in` (the terminal, the
/// screen's modal, the agent's host).
pub fn build_engine_signing_in(
    inventory: Arc<Inventory>,
    store: Arc<dyn SecretStore>,
    mfa: Arc<dyn MfaPrompt>,
    sign_in: Arc<dyn SignInPrompt>,
) -> Engine {
    // The STS client measures how far the local clock is off AWS's; the engine judges
    // freshness with the corrected time.
    let sts_endpoint = inventory.endpoint_for("AWS_ENDPOINT_URL_STS");
    let clock = remembered_clock(&inventory);
    let parts = EngineParts {
        sts: Arc::new(AwsSts::new(sts_endpoint).with_clock(clock.clone())),
        sources: Arc::new(LocalSourceKeys::new(store.clone(), &inventory)),
        cache: SessionCache::new(store),
        mfa,
        clock: Arc::new(clock),
        identity_center: Arc::new(AwsIdentityCenter::new(SsoEndpoints::of(&inventory))),
        sign_in,
    };
    Engine::new(inventory, parts)
}

/// The offset of this machine's clock from the inventory's STS endpoint, as an earlier
/// command measured it (unknown when none did within a day).
pub fn remembered_clock(inventory: &Inventory) -> AwsClock {
    let sts_endpoint = inventory.endpoint_for("AWS_ENDPOINT_URL_STS");
    clock_file(sts_endpoint.as_deref()).map_or_else(AwsClock::new, AwsClock::remembered)
}

/// Where the offset of this machine's clock from an endpoint's is kept between processes:
/// one small file per STS endpoint (an emulator's clock is not AWS's).
fn clock_file(endpoint: Option<&str>) -> Option<std::path::PathBuf> {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(endpoint.unwrap_or("aws").as_bytes());
    let name: String = digest.iter().take(8).map(|byte| format!("{byte:02x}")).collect();
    Some(crate::domain::store::state_dir()?.join("clock").join(format!("{name}.offset")))
}
