//! The chain storage items the servers and the client read, as typed keys: one function per item
//! gives its full storage key, and the item's value type is named beside it. Pallet and item
//! names, hashers and value types are those of the devnet runtime (= v0.2.0, §1.3, §2).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use codec::{Decode, Encode};

use crate::hashing::{storage_map_key, StorageHasher};
use crate::types::{AccountId32, VerifyingKey};

const REGISTRY: &str = "Registry";
const STAKING: &str = "StakingExtension";

/// `Registry::Registering[account]` → [`crate::types::RegisteringDetails`].
pub fn registering(account: &AccountId32) -> Vec<u8> {
    storage_map_key(
        REGISTRY,
        "Registering",
        StorageHasher::Blake2_128Concat,
        &account.encode(),
    )
}

/// `Registry::Dkg[block]` → `Vec<Vec<u8>>` (accounts that called `register` in the block).
pub fn dkg(block: u32) -> Vec<u8> {
    storage_map_key(
        REGISTRY,
        "Dkg",
        StorageHasher::Blake2_128Concat,
        &block.encode(),
    )
}

/// `Registry::Registered[vk]` → [`crate::types::RegisteredInfo`].
pub fn registered(vk: &VerifyingKey) -> Vec<u8> {
    storage_map_key(
        REGISTRY,
        "Registered",
        StorageHasher::Blake2_128Concat,
        &vk.to_bounded().encode(),
    )
}

/// `Registry::ClientDealt[account]` (ours) →
/// [`crate::commitments::ClientDealtRegistration`].
pub fn client_dealt(account: &AccountId32) -> Vec<u8> {
    storage_map_key(
        REGISTRY,
        "ClientDealt",
        StorageHasher::Blake2_128Concat,
        &account.encode(),
    )
}

/// `Registry::DealtKeys[vk]` (ours) → [`crate::commitments::Commitments`].
pub fn dealt_keys(vk: &VerifyingKey) -> Vec<u8> {
    storage_map_key(
        REGISTRY,
        "DealtKeys",
        StorageHasher::Blake2_128Concat,
        &vk.to_bounded().encode(),
    )
}

/// `StakingExtension::ThresholdServers[stash]` → [`crate::types::ServerInfo`].
pub fn threshold_servers(stash: &AccountId32) -> Vec<u8> {
    storage_map_key(
        STAKING,
        "ThresholdServers",
        StorageHasher::Blake2_128Concat,
        &stash.encode(),
    )
}

/// `StakingExtension::ThresholdToStash[tss_account]` → [`AccountId32`] (the stash).
pub fn threshold_to_stash(tss_account: &AccountId32) -> Vec<u8> {
    storage_map_key(
        STAKING,
        "ThresholdToStash",
        StorageHasher::Blake2_128Concat,
        &tss_account.encode(),
    )
}

/// `StakingExtension::SubgroupCount` → `u8` (how many signing subgroups; ours, not in v0.2.0,
/// where the count is the constant 2).
pub fn subgroup_count() -> Vec<u8> {
    crate::hashing::storage_prefix(STAKING, "SubgroupCount")
}

/// `StakingExtension::SigningGroups[subgroup]` → `Vec<AccountId32>` (stashes, storage order).
pub fn signing_groups(subgroup: u8) -> Vec<u8> {
    storage_map_key(
        STAKING,
        "SigningGroups",
        StorageHasher::Blake2_128Concat,
        &subgroup.encode(),
    )
}

/// `StakingExtension::ValidatorToSubgroup[stash]` → `u8`.
pub fn validator_to_subgroup(stash: &AccountId32) -> Vec<u8> {
    storage_map_key(
        STAKING,
        "ValidatorToSubgroup",
        StorageHasher::Identity,
        &stash.encode(),
    )
}

/// `StakingExtension::IsValidatorSynced[stash]` → `bool` (absent = `false`).
pub fn is_validator_synced(stash: &AccountId32) -> Vec<u8> {
    storage_map_key(
        STAKING,
        "IsValidatorSynced",
        StorageHasher::Blake2_128Concat,
        &stash.encode(),
    )
}

/// `Programs::Programs[pointer]` → the program (bytecode, schemas, deployer, ref count).
pub fn program(pointer: &[u8; 32]) -> Vec<u8> {
    storage_map_key(
        "Programs",
        "Programs",
        StorageHasher::Blake2_128Concat,
        &pointer.encode(),
    )
}

/// `System::Account[account]` → `AccountInfo{nonce u32, consumers u32, providers u32,
/// sufficients u32, data{free u128, reserved u128, frozen u128, flags u128}}`.
pub fn system_account(account: &AccountId32) -> Vec<u8> {
    storage_map_key(
        "System",
        "Account",
        StorageHasher::Blake2_128Concat,
        &account.encode(),
    )
}

/// The free balance in a SCALE `System::Account` value (`None` if it is too short).
pub fn free_balance(account_info: &[u8]) -> Option<u128> {
    let b = account_info.get(16..32)?;
    Some(u128::from_le_bytes(b.try_into().ok()?))
}

/// Decodes a whole storage value as `T`: SCALE, with no byte left over (a value that does not
/// decode this way was written by another runtime version). The error says why, for people.
pub fn decode_value<T: Decode>(value: &[u8]) -> Result<T, String> {
    let mut input = value;
    let decoded = T::decode(&mut input).map_err(|e| e.to_string())?;
    if !input.is_empty() {
        return Err(alloc::format!("{} trailing bytes", input.len()));
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashing::storage_prefix;

    #[test]
    fn a_value_decodes_whole_or_not_at_all() {
        assert_eq!(decode_value::<u8>(&[3]), Ok(3));
        assert_eq!(
            decode_value::<u8>(&[3, 4]),
            Err("1 trailing bytes".to_string())
        );
        assert!(decode_value::<u32>(&[3]).is_err());
        assert!(decode_value::<Vec<AccountId32>>(&[0x04, 1, 2]).is_err());
    }

    #[test]
    fn keys_have_prefix_hash_and_key() {
        let a = AccountId32([7; 32]);
        let k = registering(&a);
        assert_eq!(&k[..32], &storage_prefix("Registry", "Registering")[..]);
        assert_eq!(k.len(), 32 + 16 + 32);
        assert_eq!(&k[48..], &a.0);
        // Identity hasher: the key follows the prefix directly.
        let v = validator_to_subgroup(&a);
        assert_eq!(v.len(), 64);
        assert_eq!(&v[32..], &a.0);
        assert_eq!(dkg(5).len(), 32 + 16 + 4);
        assert_ne!(dkg(5), dkg(6));
        assert_eq!(signing_groups(1)[48], 1);
    }

    #[test]
    fn free_balance_reads_the_data_field() {
        let mut info = vec![0u8; 16];
        info.extend_from_slice(&123_456u128.to_le_bytes());
        info.extend_from_slice(&[0; 48]);
        assert_eq!(free_balance(&info), Some(123_456));
        assert_eq!(free_balance(&info[..20]), None);
    }
}
