//! Hex helpers (`0x` optional on input, lowercase on output).

use alloc::string::String;
use alloc::vec::Vec;

/// Why a hex string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// Odd number of digits.
    #[error("hex string has an odd number of digits")]
    OddLength,
    /// A character that is not a hex digit.
    #[error("'{0}' is not a hex digit")]
    BadChar(char),
    /// Decoded to the wrong number of bytes.
    #[error("expected {expected} bytes, got {got}")]
    WrongLength {
        /// Wanted length.
        expected: usize,
        /// Decoded length.
        got: usize,
    },
}

/// Decodes hex, with or without a `0x` prefix.
pub fn decode(s: &str) -> Result<Vec<u8>, HexError> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if s.len() % 2 != 0 {
        return Err(HexError::OddLength);
    }
    let digit = |c: u8| -> Result<u8, HexError> {
        (c as char)
            .to_digit(16)
            .map(|d| d as u8)
            .ok_or(HexError::BadChar(c as char))
    };
    s.as_bytes()
        .chunks(2)
        .map(|p| Ok(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// Decodes hex into exactly `N` bytes.
pub fn decode_array<const N: usize>(s: &str) -> Result<[u8; N], HexError> {
    let v = decode(s)?;
    let got = v.len();
    v.try_into()
        .map_err(|_| HexError::WrongLength { expected: N, got })
}

/// Lowercase hex without prefix.
pub fn encode(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
    s
}

/// Lowercase hex with `0x`.
pub fn encode_0x(bytes: &[u8]) -> String {
    let mut s = String::from("0x");
    s.push_str(&encode(bytes));
    s
}

/// Serde for byte strings as `0x` hex (JSON): `#[serde(with = "crate::hex::serde_bytes")]`.
/// The decoded text is zeroized (the bytes may be a key share).
#[cfg(feature = "std")]
pub mod serde_bytes {
    use alloc::string::String;
    use alloc::vec::Vec;
    use serde::{Deserialize, Deserializer, Serializer};
    /// Serializes as `0x` hex.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::encode_0x(v))
    }
    /// Parses hex (`0x` optional).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = zeroize::Zeroizing::new(String::deserialize(d)?);
        super::decode(&s).map_err(serde::de::Error::custom)
    }
}

/// Serde for fixed-size byte arrays as `0x` hex (JSON):
/// `#[serde(with = "crate::hex::serde_array")]`.
#[cfg(feature = "std")]
pub mod serde_array {
    use alloc::string::String;
    use serde::{Deserialize, Deserializer, Serializer};
    /// Serializes as `0x` hex.
    pub fn serialize<S: Serializer, const N: usize>(v: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::encode_0x(v))
    }
    /// Parses hex (`0x` optional) of exactly `N` bytes.
    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let s = String::deserialize(d)?;
        super::decode_array(&s).map_err(serde::de::Error::custom)
    }
}
