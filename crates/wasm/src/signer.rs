//! External signers given from JS; the client never sees their secret. Two shapes:
//!
//! - a wallet's injected signer, `{address, signer}`, where `signer` is the interface that
//!   polkadot-js-compatible browser wallets inject: `signer.signPayload(SignerPayloadJSON)` →
//!   `{id, signature}` (the signature may carry its type byte, `0x01` for sr25519);
//! - the plain `{address, signPayload({address, payload}) → {signature}}`, where `payload` is
//!   the bytes to sign (hex).
//!
//! Either way the client checks the signature against the payload it built before anything is
//! submitted: a wallet that signed other fields is refused (`SignerFailed`).

use entropy_register_client::backend::{PayloadSigner, TxToSign};
use entropy_register_core::hex::encode_0x;
use entropy_register_core::types::AccountId32;
use futures::future::LocalBoxFuture;
use serde::Serialize;
use wasm_bindgen::JsValue;

use crate::wallet::{wallet_signature, SignerPayloadJson};

/// How an external signer is called.
pub enum JsSignerKind {
    /// `signPayload({address, payload})` with the payload's bytes.
    Bytes(js_sys::Function),
    /// A wallet's injected signer object: its `signPayload(SignerPayloadJSON)` is called.
    Injected(JsValue),
}

/// An external signer for one account.
pub struct JsSigner {
    /// The account it signs for.
    pub account: AccountId32,
    /// How it is called.
    pub kind: JsSignerKind,
}

/// A thrown or rejected JS value as text: an `Error`'s message, a string, or its debug form.
fn js_text(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

impl JsSigner {
    /// The call's `this`, the function and its argument.
    fn request(&self, tx: TxToSign<'_>) -> Result<(JsValue, js_sys::Function, JsValue), String> {
        match &self.kind {
            JsSignerKind::Bytes(f) => {
                let request = js_sys::Object::new();
                let set = |k: &str, v: String| js_sys::Reflect::set(&request, &k.into(), &v.into());
                set("address", self.account.to_ss58())
                    .and_then(|_| set("payload", encode_0x(tx.payload)))
                    .map_err(|_| "cannot build the signPayload request".to_string())?;
                Ok((JsValue::NULL, f.clone(), request.into()))
            }
            JsSignerKind::Injected(signer) => {
                use wasm_bindgen::JsCast;
                let f = js_sys::Reflect::get(signer, &"signPayload".into())
                    .ok()
                    .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
                    .ok_or("the wallet's signer has no signPayload")?;
                let json = SignerPayloadJson::new(&self.account, tx.fields)
                    .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
                    .map_err(|e| format!("cannot build the SignerPayloadJSON: {e}"))?;
                Ok((signer.clone(), f, json))
            }
        }
    }
}

impl PayloadSigner for JsSigner {
    fn account(&self) -> AccountId32 {
        self.account
    }

    fn sign<'a>(&'a self, tx: TxToSign<'a>) -> LocalBoxFuture<'a, Result<[u8; 64], String>> {
        Box::pin(async move {
            let (this, f, argument) = self.request(tx)?;
            let answer = f
                .call1(&this, &argument)
                .map_err(|e| format!("signPayload threw: {}", js_text(&e)))?;
            let answer = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&answer))
                .await
                .map_err(|e| format!("signPayload rejected: {}", js_text(&e)))?;
            let sig = js_sys::Reflect::get(&answer, &"signature".into())
                .ok()
                .and_then(|v| v.as_string())
                .ok_or("signPayload must resolve to {signature: '0x…'}")?;
            wallet_signature(&sig)
        })
    }
}
