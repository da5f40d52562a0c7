//! The client's errors as JS sees them: an `Error` named `EntropyRegisterError` whose message
//! is the client's, with the stable `code` and the `operation` (attached here, once per call);
//! `ShareRefused` also carries `server`, `status` and `serverCode`.

use entropy_register_client::Error;

/// Converts `e`, raised by `operation`, into a JS error.
pub fn to_js(e: Error, operation: &str) -> wasm_bindgen::JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("EntropyRegisterError");
    let obj: &wasm_bindgen::JsValue = err.as_ref();
    let set = |k: &str, v: wasm_bindgen::JsValue| {
        let _ = js_sys::Reflect::set(obj, &k.into(), &v);
    };
    set("code", e.code().as_str().into());
    set("operation", operation.into());
    if let Error::ShareRefused {
        server,
        status,
        code,
        ..
    } = &e
    {
        set("server", server.as_str().into());
        set("status", (*status).into());
        set("serverCode", code.as_str().into());
    }
    err.into()
}
