//! SS58 addresses (the Substrate base-58 account format).
//!
//! Only the simple one-byte prefix form (prefix < 64) with the two-byte checksum used for 32-byte
//! account ids is supported, which is everything this protocol needs (prefix 42).

use alloc::string::String;
use alloc::vec::Vec;

/// The generic Substrate prefix used everywhere in the reference system.
pub const SUBSTRATE_PREFIX: u8 = 42;

const CHECKSUM_PRE: &[u8] = b"SS58PRE";

/// Why an SS58 string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ss58Error {
    /// The text is not base-58.
    #[error("not a base-58 string")]
    BadBase58,
    /// Decoded to the wrong number of bytes for a 32-byte account.
    #[error("an SS58 account address decodes to 35 bytes, this one to {0}")]
    BadLength(usize),
    /// The address uses a network prefix other than the expected one.
    #[error("address prefix {found} is not the expected {expected}")]
    WrongPrefix {
        /// Expected prefix.
        expected: u8,
        /// Prefix found in the string.
        found: u8,
    },
    /// The two checksum bytes do not match.
    #[error("the address checksum does not match (typo?)")]
    BadChecksum,
}

fn checksum(body: &[u8]) -> [u8; 64] {
    let mut data = Vec::with_capacity(CHECKSUM_PRE.len() + body.len());
    data.extend_from_slice(CHECKSUM_PRE);
    data.extend_from_slice(body);
    sp_crypto_hashing::blake2_512(&data)
}

/// Encodes a 32-byte account id with the given one-byte prefix (must be < 64).
pub fn encode_with_prefix(account: &[u8; 32], prefix: u8) -> String {
    debug_assert!(prefix < 64, "two-byte SS58 prefixes are not supported");
    let mut body = Vec::with_capacity(35);
    body.push(prefix);
    body.extend_from_slice(account);
    let sum = checksum(&body);
    body.extend_from_slice(&sum[..2]);
    bs58::encode(body).into_string()
}

/// Encodes a 32-byte account id with prefix 42.
pub fn encode(account: &[u8; 32]) -> String {
    encode_with_prefix(account, SUBSTRATE_PREFIX)
}

/// Decodes an SS58 string with prefix 42 into the 32-byte account id.
pub fn decode(s: &str) -> Result<[u8; 32], Ss58Error> {
    decode_with_prefix(s, SUBSTRATE_PREFIX)
}

/// Decodes an SS58 string, requiring the given one-byte prefix.
pub fn decode_with_prefix(s: &str, expected: u8) -> Result<[u8; 32], Ss58Error> {
    let bytes = bs58::decode(s)
        .into_vec()
        .map_err(|_| Ss58Error::BadBase58)?;
    if bytes.len() != 35 {
        return Err(Ss58Error::BadLength(bytes.len()));
    }
    if bytes[0] != expected {
        return Err(Ss58Error::WrongPrefix {
            expected,
            found: bytes[0],
        });
    }
    let sum = checksum(&bytes[..33]);
    if sum[..2] != bytes[33..35] {
        return Err(Ss58Error::BadChecksum);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&bytes[1..33]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: [u8; 32] = [
        0xd4, 0x35, 0x93, 0xc7, 0x15, 0xfd, 0xd3, 0x1c, 0x61, 0x14, 0x1a, 0xbd, 0x04, 0xa9, 0x9f,
        0xd6, 0x82, 0x2c, 0x85, 0x58, 0x85, 0x4c, 0xcd, 0xe3, 0x9a, 0x56, 0x84, 0xe7, 0xa5, 0x6d,
        0xa2, 0x7d,
    ];

    #[test]
    fn alice_round_trip() {
        let s = encode(&ALICE);
        assert_eq!(s, "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
        assert_eq!(decode(&s).unwrap(), ALICE);
    }

    #[test]
    fn rejects_typo_and_wrong_prefix() {
        assert_eq!(
            decode("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQZ"),
            Err(Ss58Error::BadChecksum)
        );
        let polkadot = encode_with_prefix(&ALICE, 0);
        assert_eq!(
            decode(&polkadot),
            Err(Ss58Error::WrongPrefix {
                expected: 42,
                found: 0
            })
        );
        assert_eq!(decode("0OIl"), Err(Ss58Error::BadBase58));
        assert!(matches!(decode("5Grwva"), Err(Ss58Error::BadLength(_))));
    }
}
