//! The JS `Client` class.

use entropy_register_core::types::VerifyingKey;
use wasm_bindgen::prelude::*;

use crate::chain::Chain;
use crate::error::{ClientError, Code};
use crate::flow::{self, Progress};
use crate::options::{self, RegisterOptions};

/// A connection to an entropy-register network.
#[wasm_bindgen]
pub struct Client {
    chain: Chain,
}

fn js_get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn to_js<T: serde::Serialize>(v: &T) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

/// A future that resolves when `signal` aborts (never, without a signal).
async fn aborted(signal: JsValue) {
    if signal.is_undefined() || signal.is_null() {
        return futures::future::pending().await;
    }
    let signal: web_sys::AbortSignal = signal.unchecked_into();
    if signal.aborted() {
        return;
    }
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let _ = signal.add_event_listener_with_callback("abort", &resolve);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[wasm_bindgen]
impl Client {
    /// Connects to a node (`ws://` or `wss://`) and checks that it runs a compatible registry.
    pub async fn connect(url: String) -> Result<Client, JsValue> {
        Ok(Client {
            chain: Chain::connect(&url).await?,
        })
    }

    /// Registers the signer's account and resolves with the verified result. Options:
    /// `{ signer: {uri|mnemonic|secretKey}, programModificationAccount?, programs:
    /// [{pointer, config?}], accessMode?: 'public', timeoutBlocks?, onProgress?, signal? }`.
    pub async fn register(&self, options: JsValue) -> Result<JsValue, JsValue> {
        let on_progress = js_get(&options, "onProgress");
        let signal = js_get(&options, "signal");
        let sign_payload = js_get(&js_get(&options, "signer"), "signPayload")
            .dyn_into::<js_sys::Function>()
            .ok();
        let parsed: RegisterOptions = serde_wasm_bindgen::from_value(options).map_err(|e| {
            ClientError::new(Code::InvalidInput, "register", format!("options: {e}"))
        })?;
        let req = options::parse(parsed, sign_payload.is_some())?;
        let report = |p: Progress| {
            if let Some(f) = on_progress.dyn_ref::<js_sys::Function>() {
                let _ = f.call1(&JsValue::NULL, &to_js(&p));
            }
        };
        let out = flow::register(
            &self.chain,
            req,
            sign_payload.as_ref(),
            &report,
            aborted(signal),
        )
        .await?;
        Ok(to_js(&out))
    }

    /// Where an account stands: `{state: 'registering', programModificationAccount}` while the
    /// network works on it, `{state: 'none'}` otherwise.
    pub async fn status(&self, account: String) -> Result<JsValue, JsValue> {
        let a = options::parse_account(&account).map_err(|mut e| {
            e.operation = "status";
            e
        })?;
        let state = self.chain.latest("status").await?;
        let v = match state.registering(&a, "status").await? {
            Some(d) => serde_json::json!({
                "state": "registering",
                "programModificationAccount": d.program_modification_account.to_ss58(),
                "block": state.number(),
            }),
            None => serde_json::json!({"state": "none", "block": state.number()}),
        };
        Ok(to_js(&v))
    }

    /// `Registered[vk]`: `{accessMode, programs, programModificationAccount}` or `null`.
    #[wasm_bindgen(js_name = registeredInfo)]
    pub async fn registered_info(&self, verifying_key: String) -> Result<JsValue, JsValue> {
        let bad = |e: String| ClientError::new(Code::InvalidInput, "registeredInfo", e);
        let bytes =
            entropy_register_core::hex::decode(&verifying_key).map_err(|e| bad(e.to_string()))?;
        let vk = VerifyingKey::from_bytes(&bytes).map_err(|e| bad(e.to_string()))?;
        let state = self.chain.latest("registeredInfo").await?;
        Ok(match state.registered(&vk, "registeredInfo").await? {
            None => JsValue::NULL,
            Some(i) => to_js(&serde_json::json!({
                "accessMode": match i.key_visibility {
                    entropy_register_core::types::KeyVisibility::Public => "public",
                    entropy_register_core::types::KeyVisibility::Private(_) => "private",
                },
                "programs": i.programs_data.iter().map(|p| serde_json::json!({
                    "pointer": entropy_register_core::hex::encode_0x(&p.program_pointer),
                    "config": entropy_register_core::hex::encode_0x(&p.program_config),
                })).collect::<Vec<_>>(),
                "programModificationAccount": i.program_modification_account.to_ss58(),
            })),
        })
    }

    /// The threshold servers by subgroup: `[{subgroup, stash, tssAccount, x25519, endpoint}]`.
    #[wasm_bindgen(js_name = thresholdServers)]
    pub async fn threshold_servers(&self) -> Result<JsValue, JsValue> {
        let op = "thresholdServers";
        let state = self.chain.latest(op).await?;
        let mut out = Vec::new();
        for g in 0..2u8 {
            for stash in state.signing_group(g, op).await? {
                if let Some(s) = state.server(&stash, op).await? {
                    out.push(serde_json::json!({
                        "subgroup": g,
                        "stash": stash.to_ss58(),
                        "tssAccount": s.tss_account.to_ss58(),
                        "x25519": entropy_register_core::hex::encode_0x(&s.x25519_public_key),
                        "endpoint": String::from_utf8_lossy(&s.endpoint),
                    }));
                }
            }
        }
        Ok(to_js(&out))
    }
}
