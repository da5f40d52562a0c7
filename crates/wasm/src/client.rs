//! The JS `Client` class: options in, the client crate's operations, results out (camelCase),
//! errors with their operation.

use entropy_register_client::request::{Progress, DEFAULT_TIMEOUT_BLOCKS};
use entropy_register_client::Error;
use entropy_register_core::types::VerifyingKey;
use entropy_register_subxt::SubxtChain;
use wasm_bindgen::prelude::*;

use crate::io::GlooIo;
use crate::options::{self, RegisterOptions};
use crate::signer::{JsSigner, JsSignerKind};

type Inner = entropy_register_client::Client<SubxtChain, GlooIo>;

/// `{block}` of a transfer, `{pointer, block}` of a stored program.
#[derive(serde::Serialize)]
struct Included {
    block: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pointer: Option<String>,
}

/// A connection to an entropy-register network.
#[wasm_bindgen]
pub struct Client {
    inner: Inner,
}

fn js_get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn to_js<T: serde::Serialize>(v: &T) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

/// An operation's options object: its fields as `T`, and the external signer's maker when
/// `signer` is a wallet's (`signer.signer` with a `signPayload` function) or a plain one
/// (`signer.signPayload` a function); functions are not deserialized.
#[allow(clippy::type_complexity)]
fn read_options<T: serde::de::DeserializeOwned>(
    options: JsValue,
) -> Result<
    (
        T,
        Option<impl FnOnce(entropy_register_core::types::AccountId32) -> JsSigner>,
    ),
    Error,
> {
    let spec = js_get(&options, "signer");
    let injected = js_get(&spec, "signer");
    let kind = if !injected.is_undefined() && !injected.is_null() {
        if !js_get(&injected, "signPayload").is_function() {
            return Err(Error::InvalidInput(
                "signer.signer must be a wallet's signer with a signPayload function".into(),
            ));
        }
        Some(JsSignerKind::Injected(injected))
    } else {
        js_get(&spec, "signPayload")
            .dyn_into::<js_sys::Function>()
            .ok()
            .map(JsSignerKind::Bytes)
    };
    if matches!(kind, Some(JsSignerKind::Injected(_))) && js_get(&spec, "signPayload").is_function()
    {
        return Err(Error::InvalidInput(
            "give either signer.signer (a wallet) or signer.signPayload, not both".into(),
        ));
    }
    let fields = serde_wasm_bindgen::from_value(options)
        .map_err(|e| Error::InvalidInput(format!("options: {e}")))?;
    Ok((
        fields,
        kind.map(|kind| move |account| JsSigner { account, kind }),
    ))
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

/// Runs `f` and attaches `operation` to its error.
async fn op<T>(
    operation: &'static str,
    f: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, JsValue> {
    f.await.map_err(|e| crate::error::to_js(e, operation))
}

#[wasm_bindgen]
impl Client {
    /// Connects to a node (`ws://` or `wss://`) and checks that it runs a compatible registry.
    pub async fn connect(url: String) -> Result<Client, JsValue> {
        op("connect", async {
            crate::runtime::prepare()?;
            if !(url.starts_with("ws://") || url.starts_with("wss://")) {
                return Err(Error::InvalidInput(format!(
                    "the node URL must start with ws:// or wss://, got {url:?}"
                )));
            }
            let chain = SubxtChain::connect(&url).await?;
            let inner = Inner::new(chain, GlooIo);
            inner.check_runtime().await?;
            Ok(Client { inner })
        })
        .await
    }

    /// Registers the signer's account and resolves with the verified result (see the
    /// package's `RegisterOptions` and `RegisterResult`).
    pub async fn register(&self, options: JsValue) -> Result<JsValue, JsValue> {
        let on_progress = js_get(&options, "onProgress");
        let signal = js_get(&options, "signal");
        op("register", async {
            let (parsed, external) = read_options::<RegisterOptions>(options)?;
            let req = options::parse(parsed, external)?;
            let report = |p: Progress| {
                if let Some(f) = on_progress.dyn_ref::<js_sys::Function>() {
                    let _ = f.call1(&JsValue::NULL, &to_js(&p));
                }
            };
            let out = self.inner.register(req, &report, aborted(signal)).await?;
            Ok(to_js(&out))
        })
        .await
    }

    /// Where an account stands, to resume after a page reload: `{state: 'registering',
    /// programModificationAccount, block}`, `{state: 'registered', verifyingKey,
    /// registeredBlock, block}` for its latest `AccountRegistered` at or after `sinceBlock`
    /// (default: the last 100 blocks), or `{state: 'none', block}`; `block` is the finalized
    /// block the answer was read at.
    pub async fn status(
        &self,
        account: String,
        #[wasm_bindgen(js_name = sinceBlock)] since_block: Option<u32>,
    ) -> Result<JsValue, JsValue> {
        op("status", async {
            let a = options::parse_account(&account)?;
            Ok(to_js(&self.inner.status(&a, since_block).await?))
        })
        .await
    }

    /// Checks a result `register` gave with `waitFor: 'inBlock'` against finality: resolves with
    /// `{finalizedBlock, moved}` once the finalized chain registered the same key for the
    /// account (`moved`: in another block than the result named); rejects with `Reorged` when a
    /// reorganisation dropped the result, `Timeout` after `timeoutBlocks` finalized blocks past
    /// its `registeredBlock` (default 20). Reads `account`, `verifyingKey`, `inclusionBlock` and
    /// `registeredBlock` of `result`.
    pub async fn finality(
        &self,
        result: JsValue,
        #[wasm_bindgen(js_name = timeoutBlocks)] timeout_blocks: Option<u32>,
    ) -> Result<JsValue, JsValue> {
        op("finality", async {
            let bad = |e: String| Error::InvalidInput(e);
            let text = |key: &str| {
                js_get(&result, key)
                    .as_string()
                    .ok_or_else(|| bad(format!("result.{key} must be a string")))
            };
            let number = |key: &str| {
                js_get(&result, key)
                    .as_f64()
                    .filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n <= u32::MAX as f64)
                    .map(|n| n as u32)
                    .ok_or_else(|| bad(format!("result.{key} must be a block number")))
            };
            let account = options::parse_account(&text("account")?)?;
            let bytes = entropy_register_core::hex::decode(&text("verifyingKey")?)
                .map_err(|e| bad(format!("result.verifyingKey: {e}")))?;
            let vk = VerifyingKey::from_bytes(&bytes)
                .map_err(|e| bad(format!("result.verifyingKey: {e}")))?;
            let timeout = timeout_blocks.unwrap_or(DEFAULT_TIMEOUT_BLOCKS);
            if timeout == 0 {
                return Err(bad("timeoutBlocks must be at least 1".into()));
            }
            let f = self
                .inner
                .finality(
                    &account,
                    &vk,
                    number("inclusionBlock")?,
                    number("registeredBlock")?,
                    timeout,
                )
                .await?;
            Ok(to_js(&f))
        })
        .await
    }

    /// Free balance of an account, in the chain's smallest unit, as a decimal string.
    pub async fn balance(&self, account: String) -> Result<String, JsValue> {
        op("balance", async {
            let a = options::parse_account(&account)?;
            Ok(self.inner.balance(&a).await?.to_string())
        })
        .await
    }

    /// Transfers funds (`Balances.transfer_keep_alive`): `{signer, to, amount, waitFor?}`;
    /// resolves with `{block}` once the transfer succeeded.
    pub async fn transfer(&self, options: JsValue) -> Result<JsValue, JsValue> {
        op("transfer", async {
            let (o, external) = read_options::<options::TransferOptions>(options)?;
            let signer = options::signer(&o.signer, external)?;
            let to = options::parse_account(&o.to)?;
            let amount = o.amount.value()?;
            let wait_for = options::wait_for(o.wait_for.as_deref())?;
            let block = self.inner.transfer(&signer, to, amount, wait_for).await?;
            Ok(to_js(&Included {
                block,
                pointer: None,
            }))
        })
        .await
    }

    /// Stores a program (`Programs.set_program`): `{signer, bytecode, configurationSchema?,
    /// auxiliaryDataSchema?, oracleDataPointer?, waitFor?}` (hex); resolves with `{pointer,
    /// block}`. The deployer pays a deposit per stored byte.
    #[wasm_bindgen(js_name = storeProgram)]
    pub async fn store_program(&self, options: JsValue) -> Result<JsValue, JsValue> {
        op("storeProgram", async {
            let (o, external) = read_options::<options::StoreProgramOptions>(options)?;
            let signer = options::signer(&o.signer, external)?;
            let wait_for = options::wait_for(o.wait_for.as_deref())?;
            let program = o.program()?;
            let (pointer, block) = self
                .inner
                .store_program(&signer, &program, wait_for)
                .await?;
            Ok(to_js(&Included {
                block,
                pointer: Some(entropy_register_core::hex::encode_0x(&pointer)),
            }))
        })
        .await
    }

    /// `SigningGroups`: the stash accounts (SS58) of each subgroup, index = subgroup.
    #[wasm_bindgen(js_name = signingGroups)]
    pub async fn signing_groups(&self) -> Result<JsValue, JsValue> {
        op("signingGroups", async {
            Ok(to_js(&self.inner.signing_groups().await?))
        })
        .await
    }

    /// `Registered[vk]`: `{accessMode, commitments, programs, programModificationAccount}` or
    /// `null`.
    #[wasm_bindgen(js_name = registeredInfo)]
    pub async fn registered_info(&self, verifying_key: String) -> Result<JsValue, JsValue> {
        op("registeredInfo", async {
            let bad = |e: String| Error::InvalidInput(e);
            let bytes = entropy_register_core::hex::decode(&verifying_key)
                .map_err(|e| bad(e.to_string()))?;
            let vk = VerifyingKey::from_bytes(&bytes).map_err(|e| bad(e.to_string()))?;
            Ok(match self.inner.registered_key(&vk).await? {
                None => JsValue::NULL,
                Some(k) => to_js(&k),
            })
        })
        .await
    }

    /// The threshold servers by subgroup: `[{subgroup, stash, tssAccount, x25519, endpoint}]`.
    #[wasm_bindgen(js_name = thresholdServers)]
    pub async fn threshold_servers(&self) -> Result<JsValue, JsValue> {
        op("thresholdServers", async {
            Ok(to_js(&self.inner.threshold_servers().await?))
        })
        .await
    }
}
