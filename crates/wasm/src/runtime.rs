//! What the JS runtime must provide, checked (and where harmless, completed) before connecting.
//! Node 20 has no global `WebSocket` (the npm package's Node entry installs the `ws` package's)
//! and no global `CloseEvent`, which gloo-net's websocket dispatches when it is dropped; without
//! it a dropped connection's listener fires later and throws.

use wasm_bindgen::prelude::*;

use entropy_register_client::Error;

/// Defines `globalThis.CloseEvent` (only ever run where it is missing, i.e. not in browsers,
/// so no content-security policy is in the way of `Function`).
const CLOSE_EVENT_SHIM: &str = r#"
globalThis.CloseEvent = class CloseEvent extends Event {
  constructor(type, init = {}) {
    super(type, init);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? '';
    this.wasClean = init.wasClean ?? false;
  }
};"#;

fn global_is_function(name: &str) -> bool {
    js_sys::Reflect::get(&js_sys::global(), &name.into())
        .map(|v| v.is_function())
        .unwrap_or(false)
}

fn has_websocket() -> bool {
    global_is_function("WebSocket")
}

fn ensure_close_event() {
    if !global_is_function("CloseEvent") && global_is_function("Event") {
        let _ = js_sys::Function::new_no_args(CLOSE_EVENT_SHIM).call0(&JsValue::NULL);
    }
}

/// Checks the runtime before a connection is opened.
pub fn prepare() -> Result<(), Error> {
    if !has_websocket() {
        return Err(Error::ServerUnreachable(
            "this JavaScript runtime has no global WebSocket: on Node 20 use the package's Node \
             entry (it installs the 'ws' package) or run node with --experimental-websocket"
                .into(),
        ));
    }
    ensure_close_event();
    Ok(())
}
