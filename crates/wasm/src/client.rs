//! The JS `Client` class.

use codec::Encode;
use entropy_register_core::events::RegistryEvent;
use entropy_register_core::types::{TransferArgs, VerifyingKey};
use entropy_register_subxt::RawCall;
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

/// An operation's options object: its fields as `T`, and `signer.signPayload` when it is a
/// function (an external signer; functions are not deserialized).
fn read_options<T: serde::de::DeserializeOwned>(
    options: JsValue,
    op: &'static str,
) -> Result<(T, Option<js_sys::Function>), ClientError> {
    let sign_payload = js_get(&js_get(&options, "signer"), "signPayload")
        .dyn_into::<js_sys::Function>()
        .ok();
    let fields = serde_wasm_bindgen::from_value(options)
        .map_err(|e| ClientError::new(Code::InvalidInput, op, format!("options: {e}")))?;
    Ok((fields, sign_payload))
}

/// How many blocks back `status` looks for an `AccountRegistered` by default.
const STATUS_WINDOW: u32 = 100;

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

impl Client {
    /// Signs (held key or external signer) and submits `call`; the block it succeeded in.
    async fn send(
        &self,
        signer: &options::Signer,
        sign_payload: Option<&js_sys::Function>,
        call: &RawCall,
        wait_for: options::WaitFor,
        op: &'static str,
    ) -> Result<u32, ClientError> {
        let signing = flow::signing(signer, sign_payload, op)?;
        self.chain.submit(signing, call, wait_for, || {}, op).await
    }
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
    /// `{ signer: {uri|mnemonic|secretKey} | {address, signPayload}, programModificationAccount?,
    /// programs: [{pointer, config?}], accessMode?: 'public' | 'private', x25519SecretKey?,
    /// waitFor?: 'inBlock' | 'finalized', timeoutBlocks?, onProgress?, signal? }`.
    pub async fn register(&self, options: JsValue) -> Result<JsValue, JsValue> {
        let on_progress = js_get(&options, "onProgress");
        let signal = js_get(&options, "signal");
        let (parsed, sign_payload) = read_options::<RegisterOptions>(options, "register")?;
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

    /// Where an account stands, to resume after a page reload: `{state: 'registering',
    /// programModificationAccount, block}` while the network works on it; `{state:
    /// 'registered', verifyingKey, registeredBlock, block}` for its latest `AccountRegistered`
    /// at or after `sinceBlock` (default: the last 100 blocks); else `{state: 'none', block}`.
    /// `block` is the finalized block the answer was read at.
    pub async fn status(
        &self,
        account: String,
        #[wasm_bindgen(js_name = sinceBlock)] since_block: Option<u32>,
    ) -> Result<JsValue, JsValue> {
        const OP: &str = "status";
        let a = options::parse_account(&account).map_err(|e| e.during(OP))?;
        let state = self.chain.latest(OP).await?;
        let head = state.number();
        if let Some(d) = state.registering(&a, OP).await? {
            return Ok(to_js(&serde_json::json!({
                "state": "registering",
                "programModificationAccount": d.program_modification_account.to_ss58(),
                "block": head,
            })));
        }
        let from = since_block.unwrap_or(head.saturating_sub(STATUS_WINDOW));
        if from > head {
            return Err(ClientError::new(
                Code::InvalidInput,
                OP,
                format!("sinceBlock {from} is after the finalized head {head}"),
            )
            .into());
        }
        for b in (from..=head).rev() {
            for e in self.chain.at(b, OP).await?.registry_events(OP).await? {
                if let RegistryEvent::AccountRegistered(who, vk) = e {
                    if who == a {
                        return Ok(to_js(&serde_json::json!({
                            "state": "registered",
                            "verifyingKey": entropy_register_core::hex::encode_0x(&vk),
                            "registeredBlock": b,
                            "block": head,
                        })));
                    }
                }
            }
        }
        Ok(to_js(&serde_json::json!({"state": "none", "block": head})))
    }

    /// Free balance of an account, in the chain's smallest unit, as a decimal string.
    pub async fn balance(&self, account: String) -> Result<String, JsValue> {
        const OP: &str = "balance";
        let a = options::parse_account(&account).map_err(|e| e.during(OP))?;
        let state = self.chain.latest(OP).await?;
        Ok(state.free_balance(&a, OP).await?.to_string())
    }

    /// Transfers funds (`Balances.transfer_keep_alive`): `{signer, to, amount, waitFor?}`;
    /// resolves with `{block}` once the transfer succeeded.
    pub async fn transfer(&self, options: JsValue) -> Result<JsValue, JsValue> {
        const OP: &str = "transfer";
        let (o, sign_payload) = read_options::<options::TransferOptions>(options, OP)?;
        let signer =
            options::signer(&o.signer, sign_payload.is_some()).map_err(|e| e.during(OP))?;
        let to = options::parse_account(&o.to).map_err(|e| e.during(OP))?;
        let amount = o.amount.value(OP)?;
        let wait_for = options::WaitFor::parse(o.wait_for.as_deref(), OP)?;
        let state = self.chain.latest(OP).await?;
        state.ensure_funds(&signer.account(), amount, OP).await?;
        let args = TransferArgs { dest: to, amount };
        let call = RawCall::new("Balances", "transfer_keep_alive", args.encode());
        let block = self
            .send(&signer, sign_payload.as_ref(), &call, wait_for, OP)
            .await?;
        Ok(to_js(&serde_json::json!({ "block": block })))
    }

    /// Stores a program (`Programs.set_program`): `{signer, bytecode, configurationSchema?,
    /// auxiliaryDataSchema?, oracleDataPointer?, waitFor?}` (hex); resolves with `{pointer,
    /// block}`. The deployer pays a deposit per stored byte.
    #[wasm_bindgen(js_name = storeProgram)]
    pub async fn store_program(&self, options: JsValue) -> Result<JsValue, JsValue> {
        const OP: &str = "storeProgram";
        let (o, sign_payload) = read_options::<options::StoreProgramOptions>(options, OP)?;
        let signer =
            options::signer(&o.signer, sign_payload.is_some()).map_err(|e| e.during(OP))?;
        let wait_for = options::WaitFor::parse(o.wait_for.as_deref(), OP)?;
        let [bytecode, configuration_schema, auxiliary_data_schema, oracle_data_pointer] =
            o.parts(OP)?.parts;
        let pointer = entropy_register_core::hashing::program_pointer(
            &bytecode,
            &configuration_schema,
            &auxiliary_data_schema,
            &oracle_data_pointer,
        );
        let state = self.chain.latest(OP).await?;
        state.ensure_funds(&signer.account(), 0, OP).await?;
        if state.program_exists(&pointer, OP).await? {
            return Err(ClientError::new(
                Code::ProgramExists,
                OP,
                format!(
                    "a program is already stored under {}; register with that pointer",
                    entropy_register_core::hex::encode_0x(&pointer)
                ),
            )
            .into());
        }
        let args = codec::Encode::encode(&(
            bytecode,
            configuration_schema,
            auxiliary_data_schema,
            oracle_data_pointer,
        ));
        let call = RawCall::new("Programs", "set_program", args);
        let block = self
            .send(&signer, sign_payload.as_ref(), &call, wait_for, OP)
            .await?;
        Ok(to_js(&serde_json::json!({
            "pointer": entropy_register_core::hex::encode_0x(&pointer),
            "block": block,
        })))
    }

    /// `SigningGroups`: the stash accounts (SS58) of each subgroup, index = subgroup.
    #[wasm_bindgen(js_name = signingGroups)]
    pub async fn signing_groups(&self) -> Result<JsValue, JsValue> {
        const OP: &str = "signingGroups";
        let state = self.chain.latest(OP).await?;
        let mut out = Vec::new();
        for g in 0..2u8 {
            let stashes: Vec<String> = state
                .signing_group(g, OP)
                .await?
                .iter()
                .map(|s| s.to_ss58())
                .collect();
            out.push(stashes);
        }
        Ok(to_js(&out))
    }

    /// `Registered[vk]`: `{accessMode, programs, programModificationAccount}` or `null`.
    #[wasm_bindgen(js_name = registeredInfo)]
    pub async fn registered_info(&self, verifying_key: String) -> Result<JsValue, JsValue> {
        let bad = |e: String| ClientError::new(Code::InvalidInput, "registeredInfo", e);
        let bytes =
            entropy_register_core::hex::decode(&verifying_key).map_err(|e| bad(e.to_string()))?;
        let vk = VerifyingKey::from_bytes(&bytes).map_err(|e| bad(e.to_string()))?;
        let state = self.chain.latest("registeredInfo").await?;
        let dealt = state.dealt_keys(&vk, "registeredInfo").await?;
        Ok(match state.registered(&vk, "registeredInfo").await? {
            None => JsValue::NULL,
            Some(i) => to_js(&serde_json::json!({
                "accessMode": match (&dealt, i.key_visibility) {
                    (Some(_), _) => "clientDealt",
                    (None, entropy_register_core::types::KeyVisibility::Public) => "public",
                    (None, entropy_register_core::types::KeyVisibility::Private(_)) => "private",
                },
                "commitments": dealt,
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
        for (g, servers) in state.servers_by_subgroup(op).await?.iter().enumerate() {
            for (stash, s) in servers {
                out.push(serde_json::json!({
                    "subgroup": g,
                    "stash": stash.to_ss58(),
                    "tssAccount": s.tss_account.to_ss58(),
                    "x25519": entropy_register_core::hex::encode_0x(&s.x25519_public_key),
                    "endpoint": String::from_utf8_lossy(&s.endpoint),
                }));
            }
        }
        Ok(to_js(&out))
    }
}
