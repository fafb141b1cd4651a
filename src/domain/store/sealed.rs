//! Sealing session secrets: XChaCha20-Poly1305 with a random 24-byte nonce per entry and the
//! entry's key as associated data, so a sealed value copied under another key does not open.
//! Used MFA codes are kept only as a keyed digest: a six-digit code hashed without a key could
//! be found by trying all million of them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::zeroize::Zeroizing;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const KEY_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SealError {
    #[error("the store key in the keyring is not a 32-byte key")]
    BadKey,
    #[error("a sealed entry does not open with this store key")]
    WontOpen,
}

/// A secret value as it rests on disk: nonce and ciphertext (with its tag), both base64.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Sealed {
    nonce: String,
    data: String,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealed(***)")
    }
}

pub struct StoreKey {
    cipher: XChaCha20Poly1305,
    digest_key: Zeroizing<[u8; KEY_LEN]>,
}

impl StoreKey {
    /// A fresh random key and its text form (what the keyring keeps).
    pub fn generate() -> (Self, Zeroizing<String>) {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        let text = Zeroizing::new(BASE64.encode(key.as_slice()));
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        bytes.copy_from_slice(key.as_slice());
        (Self::from_bytes(&bytes), text)
    }

    pub fn from_text(text: &str) -> Result<Self, SealError> {
        let decoded = Zeroizing::new(BASE64.decode(text.trim()).map_err(|_| SealError::BadKey)?);
        let bytes: &[u8; KEY_LEN] = decoded.as_slice().try_into().map_err(|_| SealError::BadKey)?;
        Ok(Self::from_bytes(bytes))
    }

    fn from_bytes(bytes: &[u8; KEY_LEN]) -> Self {
        let mut digest_key = Zeroizing::new([0u8; KEY_LEN]);
        let derived = Sha256::new().chain_update(b"switchboard used-code digest\0").chain_update(bytes).finalize();
        digest_key.copy_from_slice(&derived);
        Self { cipher: XChaCha20Poly1305::new(bytes.into()), digest_key }
    }

    pub fn seal(&self, entry_key: &str, plain: &[u8]) -> Result<Sealed, SealError> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let data = self
            .cipher
            .encrypt(&nonce, Payload { msg: plain, aad: entry_key.as_bytes() })
            .map_err(|_| SealError::WontOpen)?;
        Ok(Sealed { nonce: BASE64.encode(nonce), data: BASE64.encode(data) })
    }

    pub fn open(&self, entry_key: &str, sealed: &Sealed) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let nonce = BASE64.decode(&sealed.nonce).map_err(|_| SealError::WontOpen)?;
        if nonce.len() != 24 {
            return Err(SealError::WontOpen);
        }
        let data = BASE64.decode(&sealed.data).map_err(|_| SealError::WontOpen)?;
        self.cipher
            .decrypt(XNonce::from_slice(&nonce), Payload { msg: &data, aad: entry_key.as_bytes() })
            .map(Zeroizing::new)
            .map_err(|_| SealError::WontOpen)
    }

    /// A keyed digest of `parts` (each length-prefixed, so ("ab","c") differs from ("a","bc")).
    pub fn digest(&self, parts: &[&str]) -> String {
        let mut hasher = Sha256::new().chain_update(self.digest_key.as_slice());
        for part in parts {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        BASE64.encode(hasher.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_under_their_own_entry_key_and_store_key() {
        let (key, text) = StoreKey::generate();
        let sealed = key.seal("scope|layer-a", b"very-secret").unwrap();
        assert_eq!(key.open("scope|layer-a", &sealed).unwrap().as_slice(), b"very-secret");
        assert_eq!(key.open("scope|layer-b", &sealed), Err(SealError::WontOpen), "moved to another entry");
        let same = StoreKey::from_text(&text).unwrap();
        assert_eq!(same.open("scope|layer-a", &sealed).unwrap().as_slice(), b"very-secret");
        let (other, _) = StoreKey::generate();
        assert_eq!(other.open("scope|layer-a", &sealed), Err(SealError::WontOpen));
        let shown = format!("{sealed:?} {}", serde_json::to_string(&sealed).unwrap());
        assert!(!shown.contains("very-secret"), "{shown}");
    }

    #[test]
    fn nonces_differ_per_seal_and_digests_depend_on_the_key() {
        let (key, _) = StoreKey::generate();
        assert_ne!(key.seal("k", b"x").unwrap(), key.seal("k", b"x").unwrap());
        assert_eq!(key.digest(&["dev", "123456"]), key.digest(&["dev", "123456"]));
        assert_ne!(key.digest(&["dev", "123456"]), key.digest(&["dev1", "23456"]));
        let (other, _) = StoreKey::generate();
        assert_ne!(key.digest(&["dev", "123456"]), other.digest(&["dev", "123456"]));
        assert_eq!(StoreKey::from_text("c2hvcnQ=").err(), Some(SealError::BadKey));
    }
}
