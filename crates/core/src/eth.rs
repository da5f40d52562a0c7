//! Verifying key → Ethereum address (keccak-256 of the uncompressed point), with EIP-55.

use sha3::{Digest, Keccak256};

use crate::types::VerifyingKey;

/// The 20-byte Ethereum address of a verifying key.
pub fn ethereum_address(vk: &VerifyingKey) -> [u8; 20] {
    let uncompressed = vk.to_uncompressed();
    let hash = Keccak256::digest(&uncompressed[1..]);
    let mut out = [0u8; 20];
    out.copy_from_slice(&hash[12..]);
    out
}

/// EIP-55 mixed-case checksum form, with `0x`.
pub fn to_eip55(address: &[u8; 20]) -> String {
    let lower = crate::hex::encode(address);
    let hash = Keccak256::digest(lower.as_bytes());
    let mut out = String::with_capacity(42);
    out.push_str("0x");
    for (i, c) in lower.chars().enumerate() {
        let nibble = (hash[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0x0f;
        if c.is_ascii_alphabetic() && nibble >= 8 {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// EIP-55 address of a verifying key.
pub fn ethereum_address_eip55(vk: &VerifyingKey) -> String {
    to_eip55(&ethereum_address(vk))
}
