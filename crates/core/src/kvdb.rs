//! Key-store record encryption (§4.7): XChaCha20-Poly1305 under a key derived from the password
//! with scrypt and a stored salt; records are `kvdb_bincode(EncryptedRecord{value, nonce})`.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::wire::{Reader, WireError, Writer};

/// scrypt parameters, always explicit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScryptParams {
    /// log2(N).
    pub log_n: u8,
    /// Block size.
    pub r: u32,
    /// Parallelism.
    pub p: u32,
}

impl ScryptParams {
    /// The reference's parameters (scrypt 0.11 `Params::default()`): log_n 17, r 8, p 1.
    pub const REFERENCE: ScryptParams = ScryptParams {
        log_n: 17,
        r: 8,
        p: 1,
    };
}

/// Length of the stored salt.
pub const SALT_LEN: usize = 32;
/// Raw key under which the salt is stored (unencrypted).
pub const SALT_KEY: &str = "password_salt_key";
/// Key of the password-check record.
pub const VERIFICATION_KEY: &str = "verification_key";
/// Plaintext of the password-check record.
pub const VERIFICATION_VALUE: &[u8] = b"verification_value";
/// Keys that key-share endpoints may never write or serve.
pub const FORBIDDEN_KEYS: [&str; 3] = ["MNEMONIC", "SHARED_SECRET", "DH_PUBLIC"];

/// Why a record could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvdbError {
    /// Wrong password or tampered record.
    #[error("the record does not decrypt: wrong password or tampered data")]
    DecryptionFailed,
    /// The record bytes are not a record.
    #[error("malformed record: {0}")]
    Malformed(#[from] WireError),
    /// Unusable scrypt parameters.
    #[error("invalid scrypt parameters: {0}")]
    BadParams(String),
}

/// The 32-byte record key (zeroized on drop).
pub struct RecordKey(Zeroizing<[u8; 32]>);

impl RecordKey {
    /// `scrypt(password, salt, params) → 32 bytes`.
    pub fn derive(password: &[u8], salt: &[u8], params: ScryptParams) -> Result<Self, KvdbError> {
        let p = scrypt::Params::new(params.log_n, params.r, params.p, 32)
            .map_err(|e| KvdbError::BadParams(e.to_string()))?;
        let mut key = Zeroizing::new([0u8; 32]);
        scrypt::scrypt(password, salt, &p, &mut key[..])
            .map_err(|e| KvdbError::BadParams(e.to_string()))?;
        Ok(RecordKey(key))
    }
    /// Wraps raw key bytes.
    pub fn from_bytes(b: [u8; 32]) -> Self {
        RecordKey(Zeroizing::new(b))
    }
    /// The raw key (tests and vectors only need this).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Encrypts `plaintext` with a fresh random nonce into record bytes.
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 24];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
        self.seal_with_nonce(plaintext, nonce)
    }

    /// Encrypts with a given nonce (deterministic; for tests and vectors).
    pub fn seal_with_nonce(&self, plaintext: &[u8], nonce: [u8; 24]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new((&*self.0).into());
        let ct = cipher
            .encrypt(XNonce::from_slice(&nonce), plaintext)
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory data");
        Writer::kvdb().vec_u8(&ct).bytes(&nonce).finish()
    }

    /// Decrypts record bytes.
    pub fn open(&self, record: &[u8]) -> Result<Zeroizing<Vec<u8>>, KvdbError> {
        let mut r = Reader::kvdb(record)?;
        let ct = r.vec_u8()?;
        let nonce: [u8; 24] = r.array()?;
        r.finish()?;
        let cipher = XChaCha20Poly1305::new((&*self.0).into());
        cipher
            .decrypt(XNonce::from_slice(&nonce), ct.as_slice())
            .map(Zeroizing::new)
            .map_err(|_| KvdbError::DecryptionFailed)
    }

    /// Seals a value written through the store's `put`: plaintext = `kvdb_bincode(Vec<u8>)`.
    pub fn seal_value(&self, value: &[u8]) -> Vec<u8> {
        let inner = Zeroizing::new(crate::wire::kvdb_encode_vec(value));
        self.seal(&inner)
    }

    /// Opens a value written through `put`.
    pub fn open_value(&self, record: &[u8]) -> Result<Zeroizing<Vec<u8>>, KvdbError> {
        let plain = self.open(record)?;
        Ok(Zeroizing::new(crate::wire::kvdb_decode_vec(&plain)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> ScryptParams {
        ScryptParams {
            log_n: 4,
            r: 8,
            p: 1,
        }
    }

    #[test]
    fn round_trip_and_tamper() {
        let k = RecordKey::derive(b"pw", &[1; 32], fast()).unwrap();
        let rec = k.seal_value(b"secret share");
        assert_eq!(&k.open_value(&rec).unwrap()[..], b"secret share");
        for i in 0..rec.len() {
            let mut bad = rec.clone();
            bad[i] ^= 1;
            assert!(k.open_value(&bad).is_err(), "flipping byte {i} must fail");
        }
        let wrong = RecordKey::derive(b"pw2", &[1; 32], fast()).unwrap();
        assert_eq!(
            wrong.open_value(&rec).unwrap_err(),
            KvdbError::DecryptionFailed
        );
        assert!(matches!(
            k.open(&rec[..rec.len() - 1]),
            Err(KvdbError::Malformed(_))
        ));
    }
}
