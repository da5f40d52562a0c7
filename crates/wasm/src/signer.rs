//! An external signer given from JS: `{address, signPayload({address, payload}) →
//! {signature}}` (hex). The client checks the signature before anything is submitted.

use entropy_register_client::backend::PayloadSigner;
use entropy_register_core::types::AccountId32;
use futures::future::LocalBoxFuture;

/// A wallet-style signer whose `signPayload` is a JS function.
pub struct JsSigner {
    /// The account it signs for.
    pub account: AccountId32,
    /// `signPayload`.
    pub sign_payload: js_sys::Function,
}

impl PayloadSigner for JsSigner {
    fn account(&self) -> AccountId32 {
        self.account
    }

    fn sign<'a>(&'a self, payload: &'a [u8]) -> LocalBoxFuture<'a, Result<[u8; 64], String>> {
        Box::pin(async move {
            let request = js_sys::Object::new();
            let set = |k: &str, v: String| js_sys::Reflect::set(&request, &k.into(), &v.into());
            set("address", self.account.to_ss58())
                .and_then(|_| set("payload", entropy_register_core::hex::encode_0x(payload)))
                .map_err(|_| "cannot build the signPayload request".to_string())?;
            let answer = self
                .sign_payload
                .call1(&wasm_bindgen::JsValue::NULL, &request)
                .map_err(|e| format!("signPayload threw: {e:?}"))?;
            let answer = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&answer))
                .await
                .map_err(|e| format!("signPayload rejected: {e:?}"))?;
            let sig = js_sys::Reflect::get(&answer, &"signature".into())
                .ok()
                .and_then(|v| v.as_string())
                .ok_or("signPayload must resolve to {signature: '0x…'}")?;
            entropy_register_core::hex::decode_array::<64>(&sig)
                .map_err(|e| format!("signature: {e}"))
        })
    }
}
