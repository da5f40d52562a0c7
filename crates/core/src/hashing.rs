//! Hashes the chain and the servers agree on: storage keys, program pointers, the `/user/new`
//! account-list digest and DKG shared randomness.

use alloc::vec::Vec;
use codec::Encode;

pub use sp_crypto_hashing::{blake2_128, blake2_256, twox_128};

/// Blake2s-256 (the reference's `Blake2s256`).
pub fn blake2s_256(data: &[u8]) -> [u8; 32] {
    use blake2::Digest;
    blake2::Blake2s256::digest(data).into()
}

/// How a storage map hashes its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageHasher {
    /// `blake2_128(key) ‖ key`.
    Blake2_128Concat,
    /// `key` as is.
    Identity,
    /// `twox64(key) ‖ key`.
    Twox64Concat,
}

impl StorageHasher {
    /// Applies the hasher to an already SCALE-encoded key.
    pub fn hash(self, key_scale: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + key_scale.len());
        match self {
            StorageHasher::Blake2_128Concat => out.extend_from_slice(&blake2_128(key_scale)),
            StorageHasher::Identity => {}
            StorageHasher::Twox64Concat => {
                out.extend_from_slice(&sp_crypto_hashing::twox_64(key_scale))
            }
        }
        out.extend_from_slice(key_scale);
        out
    }
}

/// `twox128(pallet) ‖ twox128(storage)`: the prefix of every key of a storage item.
pub fn storage_prefix(pallet: &str, storage: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(32);
    out.extend_from_slice(&twox_128(pallet.as_bytes()));
    out.extend_from_slice(&twox_128(storage.as_bytes()));
    out
}

/// Full storage key of one map entry: prefix ‖ hasher(SCALE(key)).
pub fn storage_map_key(
    pallet: &str,
    storage: &str,
    hasher: StorageHasher,
    key_scale: &[u8],
) -> Vec<u8> {
    let mut out = storage_prefix(pallet, storage);
    out.extend_from_slice(&hasher.hash(key_scale));
    out
}

/// The Programs pallet's program pointer:
/// `BlakeTwo256(bytecode ‖ configuration_schema ‖ auxiliary_data_schema ‖ oracle_data_pointer)`.
pub fn program_pointer(
    bytecode: &[u8],
    configuration_schema: &[u8],
    auxiliary_data_schema: &[u8],
    oracle_data_pointer: &[u8],
) -> [u8; 32] {
    let mut data = Vec::with_capacity(
        bytecode.len()
            + configuration_schema.len()
            + auxiliary_data_schema.len()
            + oracle_data_pointer.len(),
    );
    data.extend_from_slice(bytecode);
    data.extend_from_slice(configuration_schema);
    data.extend_from_slice(auxiliary_data_schema);
    data.extend_from_slice(oracle_data_pointer);
    blake2_256(&data)
}

/// The `/user/new` integrity digest: `Blake2s256(SCALE(Some(accounts)))` (§3.3).
///
/// The chain side hashes `SCALE(Option<Vec<Vec<u8>>>)` of `Registry::Dkg(N)`, which for a
/// present value is the same `Some` encoding.
pub fn account_list_digest(accounts: &[Vec<u8>]) -> [u8; 32] {
    blake2s_256(&Some(accounts).encode())
}
