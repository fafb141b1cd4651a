//! The engine over the real parts: STS through the SDK, long-term keys from profiles or the
//! keyring, sessions in the store, and the front end's own way of asking for MFA codes.

use std::sync::Arc;

use crate::domain::cache::SessionCache;
use crate::domain::clock::AwsClock;
use crate::domain::engine::{Engine, EngineParts};
use crate::domain::inventory::Inventory;
use crate::domain::mfa::MfaPrompt;
use crate::domain::sources::LocalSourceKeys;
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
pub fn start_opening_store(announce: bool) -> impl std::future::Future<Output = Arc<dyn SecretStore>> {
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
    // The STS client measures how far the local clock is off AWS's; the engine judges
    // freshness with the corrected time.
    let clock = AwsClock::new();
    let parts = EngineParts {
        sts: Arc::new(AwsSts::new(inventory.endpoint_for("AWS_ENDPOINT_URL_STS")).with_clock(clock.clone())),
        sources: Arc::new(LocalSourceKeys::new(store.clone(), &inventory)),
        cache: SessionCache::new(store),
        mfa,
        clock: Arc::new(clock),
    };
    Engine::new(inventory, parts)
}
