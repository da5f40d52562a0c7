//! The JS binding of entropy-register for browsers and Node: the `Client` class over the one
//! registration client (`entropy-register-client`) with subxt (web) for the chain and gloo for
//! HTTP, websockets and timers; JS options become typed requests ([`options`]); errors become
//! JS `Error`s with the client's stable `code` and the `operation`. The core's pure helpers are
//! exported as functions.

use entropy_register_core::types::{AccountId32, VerifyingKey};
use wasm_bindgen::prelude::*;

pub mod options;
pub mod wallet;

#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(target_arch = "wasm32")]
mod error;
#[cfg(target_arch = "wasm32")]
mod io;
#[cfg(target_arch = "wasm32")]
mod runtime;
#[cfg(target_arch = "wasm32")]
mod signer;

#[cfg(target_arch = "wasm32")]
pub use client::Client;

/// The package version.
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// EIP-55 Ethereum address of a 33-byte compressed verifying key given as hex.
#[wasm_bindgen(js_name = ethereumAddress)]
pub fn ethereum_address(verifying_key_hex: &str) -> Result<String, JsError> {
    let bytes = entropy_register_core::hex::decode(verifying_key_hex)
        .map_err(|e| JsError::new(&e.to_string()))?;
    let vk = VerifyingKey::from_bytes(&bytes).map_err(|e| JsError::new(&e.to_string()))?;
    Ok(entropy_register_core::eth::ethereum_address_eip55(&vk))
}

/// The verifying key (0x hex) of an exported key share (the `keyShare` of a Private
/// registration), after parsing and validating the share.
#[wasm_bindgen(js_name = keyShareVerifyingKey)]
pub fn key_share_verifying_key(key_share_hex: &str) -> Result<String, JsError> {
    let bytes = zeroize::Zeroizing::new(
        entropy_register_core::hex::decode(key_share_hex)
            .map_err(|e| JsError::new(&e.to_string()))?,
    );
    let share = entropy_register_core::dkg::KeyShare::from_bytes(&bytes)
        .map_err(|e| JsError::new(&e.to_string()))?;
    Ok(entropy_register_core::hex::encode_0x(
        share.verifying_key().as_bytes(),
    ))
}

/// Checks the test signature of a registration result (the `RegisterResult` as JSON text):
/// FROST(secp256k1) over its transcript (account, inclusion block, verifying key, committee) under
/// its verifying key, the check `register` made before it answered. For a result kept and read
/// back later. Errors: `InvalidInput` (not a result), `VerificationFailed`.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen(js_name = verifyTestSignature)]
pub fn verify_test_signature(result_json: &str) -> Result<(), JsValue> {
    use entropy_register_client::Error;
    let op = "verifyTestSignature";
    let (vk, sig, transcript) =
        options::test_signature_of_result(result_json).map_err(|e| error::to_js(e, op))?;
    sig.verify(&vk, &transcript)
        .map_err(|e| error::to_js(Error::VerificationFailed(e.to_string()), op))
}

/// A fresh random account: `{secretKey, address}` (0x hex mini secret, SS58). Use it as a
/// signer (`{secretKey}`) once it holds funds. Keep the secret.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen(js_name = generateAccount)]
pub fn generate_account() -> JsValue {
    let (seed, pair) = entropy_register_core::keys::Sr25519Pair::generate();
    let out = js_sys::Object::new();
    let _ = js_sys::Reflect::set(
        &out,
        &"secretKey".into(),
        &entropy_register_core::hex::encode_0x(&seed[..]).into(),
    );
    let _ = js_sys::Reflect::set(&out, &"address".into(), &pair.account().to_ss58().into());
    out.into()
}

/// SS58 (prefix 42) address of a 32-byte account id given as hex.
#[wasm_bindgen(js_name = ss58Encode)]
pub fn ss58_encode(account_hex: &str) -> Result<String, JsError> {
    let a = entropy_register_core::hex::decode_array::<32>(account_hex)
        .map_err(|e| JsError::new(&e.to_string()))?;
    Ok(AccountId32(a).to_ss58())
}

/// Hex account id of an SS58 (prefix 42) address.
#[wasm_bindgen(js_name = ss58Decode)]
pub fn ss58_decode(address: &str) -> Result<String, JsError> {
    let a = AccountId32::from_ss58(address).map_err(|e| JsError::new(&e.to_string()))?;
    Ok(entropy_register_core::hex::encode_0x(&a.0))
}

#[cfg(test)]
mod tests {
    // JsError cannot be built off wasm32, so native tests call only the success paths.
    #[test]
    fn helpers() {
        assert_eq!(
            super::ethereum_address(
                "0x0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
            )
            .unwrap(),
            "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
        );
        let acct = "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";
        let s = super::ss58_encode(acct).unwrap();
        assert_eq!(s, "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
        assert_eq!(super::ss58_decode(&s).unwrap(), acct);
    }
}
