//! The wallet interface's data, without JS: polkadot-js's `SignerPayloadJSON` made from a
//! transaction's fields, and the signature in a wallet's answer (see [`crate`]'s signer).

use entropy_register_client::backend::TxFields;
use entropy_register_core::hex::encode_0x;
use entropy_register_core::types::AccountId32;
use serde::Serialize;

/// polkadot-js's `SignerPayloadJSON`: what a wallet's `signPayload` gets. Numbers are hex
/// (big-endian, as polkadot-js writes them), the call and the era are their SCALE bytes.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SignerPayloadJson {
    /// SS58 of the signing account.
    pub address: String,
    /// The block the era counts from.
    pub block_hash: String,
    /// Its number.
    pub block_number: String,
    /// The SCALE-encoded era.
    pub era: String,
    /// The genesis hash.
    pub genesis_hash: String,
    /// The SCALE-encoded call.
    pub method: String,
    /// The account's nonce.
    pub nonce: String,
    /// The runtime's spec version.
    pub spec_version: String,
    /// The tip.
    pub tip: String,
    /// The runtime's transaction version.
    pub transaction_version: String,
    /// The transaction extensions by name.
    pub signed_extensions: Vec<String>,
    /// The extrinsic version.
    pub version: u8,
}

impl SignerPayloadJson {
    /// The JSON payload of `fields`, signed by `account`.
    pub fn new(account: &AccountId32, fields: &TxFields) -> Self {
        SignerPayloadJson {
            address: account.to_ss58(),
            block_hash: encode_0x(&fields.block_hash),
            block_number: format!("0x{:08x}", fields.block_number),
            era: encode_0x(&fields.era),
            genesis_hash: encode_0x(&fields.genesis_hash),
            method: encode_0x(&fields.call),
            nonce: format!("0x{:08x}", fields.nonce),
            spec_version: format!("0x{:08x}", fields.spec_version),
            tip: format!("0x{:032x}", fields.tip),
            transaction_version: format!("0x{:08x}", fields.transaction_version),
            signed_extensions: fields.extensions.clone(),
            version: fields.version,
        }
    }
}

/// The sr25519 signature in a wallet's answer: 64 bytes, or 65 with the `MultiSignature` type
/// byte in front (`0x01` for sr25519; ed25519 `0x00` and ecdsa `0x02` are refused).
pub fn wallet_signature(hex: &str) -> Result<[u8; 64], String> {
    let bytes = entropy_register_core::hex::decode(hex).map_err(|e| format!("signature: {e}"))?;
    match bytes.len() {
        64 => Ok(bytes.try_into().expect("64 bytes")),
        65 if bytes[0] == 1 => Ok(bytes[1..].try_into().expect("64 bytes")),
        65 => Err(format!(
            "the wallet signed with a {} key; the account must be sr25519",
            match bytes[0] {
                0 => "ed25519",
                2 => "ecdsa",
                _ => "non-sr25519",
            }
        )),
        n => Err(format!(
            "signature must be 64 bytes (or 65 with its type byte), got {n}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_json_has_polkadot_js_field_forms() {
        let fields = TxFields {
            call: vec![51, 0, 1],
            nonce: 7,
            era: vec![0xa5, 0x02],
            tip: 0,
            block_hash: [1; 32],
            block_number: 42,
            genesis_hash: [2; 32],
            spec_version: 4,
            transaction_version: 1,
            extensions: vec!["CheckNonce".into(), "CheckWeight".into()],
            version: 4,
        };
        let alice =
            AccountId32::from_ss58("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY").unwrap();
        let j = SignerPayloadJson::new(&alice, &fields);
        assert_eq!(
            j.address,
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
        );
        assert_eq!(j.method, "0x330001");
        assert_eq!(j.era, "0xa502");
        assert_eq!(j.nonce, "0x00000007");
        assert_eq!(j.block_number, "0x0000002a");
        assert_eq!(j.tip, format!("0x{}", "0".repeat(32)));
        assert_eq!(j.genesis_hash, format!("0x{}", "02".repeat(32)));
        let v = serde_json::to_value(&j).unwrap();
        assert_eq!(v["signedExtensions"][1], "CheckWeight");
        assert_eq!(v["specVersion"], "0x00000004");
        assert_eq!(v["version"], 4);
    }

    #[test]
    fn wallet_signatures_with_and_without_type_byte() {
        let raw = [9u8; 64];
        assert_eq!(wallet_signature(&encode_0x(&raw)).unwrap(), raw);
        let mut typed = vec![1u8];
        typed.extend_from_slice(&raw);
        assert_eq!(wallet_signature(&encode_0x(&typed)).unwrap(), raw);
        typed[0] = 0;
        assert!(wallet_signature(&encode_0x(&typed))
            .unwrap_err()
            .contains("ed25519"));
        typed[0] = 2;
        assert!(wallet_signature(&encode_0x(&typed))
            .unwrap_err()
            .contains("ecdsa"));
        assert!(wallet_signature("0x0102").unwrap_err().contains("got 2"));
        assert!(wallet_signature("zz").is_err());
    }
}
