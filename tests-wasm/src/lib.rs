//! Helpers of the devnet suites (the suites are in `tests/`; they need the devnet running:
//! `devnet/run`). Everything here is wasm32-only.
#![cfg(target_arch = "wasm32")]

use entropy_register_wasm::Client;
use wasm_bindgen::prelude::*;

/// The devnet node.
pub const NODE: &str = "ws://127.0.0.1:9944";
/// The genesis program.
pub const GENESIS_PROGRAM: &str =
    "0x0000000000000000000000000000000000000000000000000000000000000000";

/// A connected client.
pub async fn client() -> Client {
    Client::connect(NODE.into())
        .await
        .unwrap_or_else(|e| panic!("is the devnet running (devnet/run)? {e:?}"))
}

/// JSON → a JS object.
pub fn js(v: serde_json::Value) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .expect("JSON converts")
}

use serde::Serialize as _;

/// A JS value → JSON.
pub fn json(v: &JsValue) -> serde_json::Value {
    serde_wasm_bindgen::from_value(v.clone()).expect("JSON-like value")
}

/// The `code` of a thrown error.
pub fn code(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &"code".into())
        .ok()
        .and_then(|c| c.as_string())
        .unwrap_or_else(|| format!("no code in {e:?}"))
}

/// A fresh, random secret URI (an unfunded account).
pub fn fresh_uri() -> String {
    format!("//wasm-test-{}", js_sys::Math::random())
}
