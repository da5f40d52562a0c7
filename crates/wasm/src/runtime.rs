//! What the JS runtime must provide, checked (and where harmless, completed) before connecting.
//! Node 20 has no global `WebSocket` (the npm package's Node entry installs the `ws` package's)
//! and no global `CloseEvent`, which gloo-net's websocket dispatches when it is dropped; without
//! it a dropped connection's listener fires later and throws.

use wasm_bindgen::prelude::*;

use crate::error::{ClientError, Code};

#[wasm_bindgen(inline_js = r#"
export function has_websocket() {
  return typeof globalThis.WebSocket === 'function';
}
export function ensure_close_event() {
  if (typeof globalThis.CloseEvent === 'undefined' && typeof globalThis.Event === 'function') {
    globalThis.CloseEvent = class CloseEvent extends Event {
      constructor(type, init = {}) {
        super(type, init);
        this.code = init.code ?? 0;
        this.reason = init.reason ?? '';
        this.wasClean = init.wasClean ?? false;
      }
    };
  }
}
"#)]
extern "C" {
    fn has_websocket() -> bool;
    fn ensure_close_event();
}

/// Checks the runtime before `operation` opens a connection.
pub fn prepare(operation: &'static str) -> Result<(), ClientError> {
    if !has_websocket() {
        return Err(ClientError::new(
            Code::ServerUnreachable,
            operation,
            "this JavaScript runtime has no global WebSocket: on Node 20 use the package's Node \
             entry (it installs the 'ws' package) or run node with --experimental-websocket",
        ));
    }
    ensure_close_event();
    Ok(())
}
