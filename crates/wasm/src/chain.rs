//! The chain side of the client (browser and Node): subxt with its `web` feature on the
//! request/response RPC methods, storage read by the core's typed keys, `register` signed by the
//! core's sr25519 pair, and blocks followed through the finalized-heads subscription (no timers).

use codec::Decode;
use entropy_register_core::commitments::Commitments;
use entropy_register_core::committee::{select_committee, CommitteeBlock};
use entropy_register_core::events::RegistryEvent;
use entropy_register_core::keys::Sr25519Pair;
use entropy_register_core::storage;
use entropy_register_core::types::{
    AccountId32, ConfirmRegisterArgs, RegisteredInfo, RegisteringDetails, ServerInfo, VerifyingKey,
    SIGNING_PARTY_SIZE,
};
use entropy_register_core::verify::SeenConfirmation;
use entropy_register_subxt::DevnetConfig;
use entropy_register_subxt::{PairSigner, RawCall};
use futures::StreamExt;
use subxt::utils::MultiSignature;
use subxt::OnlineClient;

use crate::error::{classify_tx_error, ClientError, Code};
use crate::options::WaitFor;

type AtBlock = subxt::client::ClientAtBlock<
    DevnetConfig,
    subxt::client::OnlineClientAtBlockImpl<DevnetConfig>,
>;

/// The pallet index and call index the client encodes `register` for.
const REGISTRY_PALLET: (&str, u8) = ("Registry", 51);

fn unreachable_err(op: &'static str) -> impl Fn(String) -> ClientError {
    move |e| ClientError::new(Code::ServerUnreachable, op, format!("chain node: {e}"))
}

/// A connection to a node.
#[derive(Clone)]
pub struct Chain {
    api: OnlineClient<DevnetConfig>,
}

/// Who signs a transaction: a key held here, or an external signer (a wallet) called with the
/// signer payload `{address, payload}` (hex) that must resolve to `{signature}` (hex, sr25519).
pub enum Signing<'a> {
    /// A key held by the client.
    Pair(&'a Sr25519Pair),
    /// An external signer.
    External(AccountId32, &'a js_sys::Function),
}

async fn external_signature(
    sign: &js_sys::Function,
    account: &AccountId32,
    payload: &[u8],
    op: &'static str,
) -> Result<[u8; 64], ClientError> {
    let fail = |e: String| ClientError::new(Code::SignerFailed, op, e);
    let request = js_sys::Object::new();
    let set = |k: &str, v: String| js_sys::Reflect::set(&request, &k.into(), &v.into());
    set("address", account.to_ss58()).map_err(|_| fail("cannot build the request".into()))?;
    set("payload", entropy_register_core::hex::encode_0x(payload))
        .map_err(|_| fail("cannot build the request".into()))?;
    let answer = sign
        .call1(&wasm_bindgen::JsValue::NULL, &request)
        .map_err(|e| fail(format!("signPayload threw: {e:?}")))?;
    let answer = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&answer))
        .await
        .map_err(|e| fail(format!("signPayload rejected: {e:?}")))?;
    let sig = js_sys::Reflect::get(&answer, &"signature".into())
        .ok()
        .and_then(|v| v.as_string())
        .ok_or_else(|| fail("signPayload must resolve to {signature: '0x…'}".into()))?;
    let sig = entropy_register_core::hex::decode_array::<64>(&sig)
        .map_err(|e| fail(format!("signature: {e}")))?;
    if !entropy_register_core::keys::verify(&account.0, payload, &sig) {
        return Err(fail(format!(
            "the signature does not verify for {account} (is it an sr25519 key?)"
        )));
    }
    Ok(sig)
}

/// The chain state at one block.
pub struct State {
    block: AtBlock,
}

impl Chain {
    /// Connects and checks that the node runs a runtime with the registry this client speaks.
    pub async fn connect(url: &str) -> Result<Chain, ClientError> {
        crate::runtime::prepare("connect")?;
        let err = unreachable_err("connect");
        if !(url.starts_with("ws://") || url.starts_with("wss://")) {
            return Err(ClientError::new(
                Code::InvalidInput,
                "connect",
                format!("the node URL must start with ws:// or wss://, got {url:?}"),
            ));
        }
        let rpc = subxt::rpcs::RpcClient::from_insecure_url(url)
            .await
            .map_err(|e| err(e.to_string()))?;
        let backend = subxt::backend::LegacyBackend::<DevnetConfig>::builder().build(rpc);
        let api = OnlineClient::from_backend(std::sync::Arc::new(backend))
            .await
            .map_err(|e| err(e.to_string()))?;
        let chain = Chain { api };
        chain.check_version().await?;
        Ok(chain)
    }

    async fn check_version(&self) -> Result<(), ClientError> {
        let at = self.latest("connect").await?;
        let md = at.block.metadata();
        let mismatch = |why: String| ClientError::new(Code::ChainVersionMismatch, "connect", why);
        let pallet = md
            .pallet_by_name(REGISTRY_PALLET.0)
            .ok_or_else(|| mismatch("the chain has no Registry pallet".into()))?;
        if pallet.call_index() != REGISTRY_PALLET.1 {
            return Err(mismatch(format!(
                "the Registry pallet has index {}, this client expects {}",
                pallet.call_index(),
                REGISTRY_PALLET.1
            )));
        }
        for (call, index) in [("register", 0u8), ("confirm_register", 4)] {
            match pallet.call_variant_by_name(call) {
                Some(v) if v.index == index => {}
                _ => return Err(mismatch(format!("Registry.{call} is not call {index}"))),
            }
        }
        Ok(())
    }

    /// Fails with `ChainVersionMismatch` unless the runtime has `Registry.{call}` at `index`.
    pub async fn ensure_call(
        &self,
        call: &str,
        index: u8,
        op: &'static str,
    ) -> Result<(), ClientError> {
        let at = self.latest(op).await?;
        let md = at.block.metadata();
        match md
            .pallet_by_name(REGISTRY_PALLET.0)
            .and_then(|p| p.call_variant_by_name(call).map(|v| v.index))
        {
            Some(i) if i == index => Ok(()),
            _ => Err(ClientError::new(
                Code::ChainVersionMismatch,
                op,
                format!("the chain has no Registry.{call} as call {index}: it does not support this mode"),
            )),
        }
    }

    /// The state at the latest finalized block.
    pub async fn latest(&self, op: &'static str) -> Result<State, ClientError> {
        let block = self
            .api
            .at_current_block()
            .await
            .map_err(|e| unreachable_err(op)(e.to_string()))?;
        Ok(State { block })
    }

    /// The state at block `n`.
    pub async fn at(&self, n: u32, op: &'static str) -> Result<State, ClientError> {
        let block = self
            .api
            .at_block(n as u64)
            .await
            .map_err(|e| unreachable_err(op)(e.to_string()))?;
        Ok(State { block })
    }

    /// Signs and submits a call, waits until it is in a best block (`WaitFor::InBlock`) or a
    /// finalized block and succeeded there; returns that block's number. `on_submitted` runs once
    /// the pool accepted it.
    pub async fn submit(
        &self,
        signing: Signing<'_>,
        payload: &RawCall,
        wait_for: WaitFor,
        on_submitted: impl FnOnce(),
        op: &'static str,
    ) -> Result<u32, ClientError> {
        let tx_err = |e: String| ClientError::new(classify_tx_error(&e), op, e);
        let mut tx = self
            .api
            .tx()
            .await
            .map_err(|e| unreachable_err(op)(e.to_string()))?;
        let mut progress = match signing {
            Signing::Pair(pair) => tx
                .sign_and_submit_then_watch_default(payload, &PairSigner(pair))
                .await
                .map_err(|e| tx_err(e.to_string()))?,
            Signing::External(account, sign) => {
                let id = subxt::utils::AccountId32(account.0);
                let mut signable = tx
                    .create_signable(payload, &id, Default::default())
                    .await
                    .map_err(|e| tx_err(e.to_string()))?;
                let signer_payload = signable
                    .signer_payload()
                    .map_err(|e| tx_err(e.to_string()))?;
                let sig = external_signature(sign, &account, &signer_payload, op).await?;
                signable
                    .sign_with_account_and_signature(&id, &MultiSignature::Sr25519(sig))
                    .map_err(|e| tx_err(e.to_string()))?
                    .submit_and_watch()
                    .await
                    .map_err(|e| tx_err(e.to_string()))?
            }
        };
        on_submitted();
        use subxt::transactions::TransactionStatus as S;
        let in_block = loop {
            match progress.next().await {
                None => return Err(tx_err("the transaction status stream ended".into())),
                Some(Err(e)) => return Err(tx_err(e.to_string())),
                Some(Ok(S::InBestBlock(b))) if wait_for == WaitFor::InBlock => break b,
                Some(Ok(S::InFinalizedBlock(b))) => break b,
                Some(Ok(S::Dropped { message })) => {
                    return Err(ClientError::new(
                        Code::TxDropped,
                        op,
                        format!("the transaction left the pool: {message}"),
                    ))
                }
                Some(Ok(S::Error { message })) | Some(Ok(S::Invalid { message })) => {
                    return Err(tx_err(message))
                }
                Some(Ok(_)) => continue,
            }
        };
        let hash = in_block.block_hash();
        in_block
            .wait_for_success()
            .await
            .map_err(|e| tx_err(e.to_string()))?;
        let at = self
            .api
            .at_block(hash)
            .await
            .map_err(|e| unreachable_err(op)(e.to_string()))?;
        Ok(at.block_number() as u32)
    }

    /// A stream of block numbers, without gaps, starting after `after`: best blocks with
    /// `WaitFor::InBlock`, finalized blocks otherwise.
    pub async fn follow(
        &self,
        after: u32,
        wait_for: WaitFor,
        op: &'static str,
    ) -> Result<impl futures::Stream<Item = Result<u32, ClientError>> + '_, ClientError> {
        let blocks = match wait_for {
            WaitFor::InBlock => self.api.stream_best_blocks().await,
            WaitFor::Finalized => self.api.stream_blocks().await,
        }
        .map_err(|e| unreachable_err(op)(e.to_string()))?;
        let mut next = after + 1;
        Ok(blocks
            .map(move |b| match b {
                Ok(b) => {
                    let n = b.number() as u32;
                    let from = next;
                    next = next.max(n + 1);
                    Ok((from..=n).collect::<Vec<_>>())
                }
                Err(e) => Err(unreachable_err(op)(e.to_string())),
            })
            .flat_map(|r| match r {
                Ok(v) => futures::stream::iter(v.into_iter().map(Ok).collect::<Vec<_>>()),
                Err(e) => futures::stream::iter(vec![Err(e)]),
            }))
    }
}

impl State {
    /// Block number.
    pub fn number(&self) -> u32 {
        self.block.block_number() as u32
    }

    /// Raw storage value (`None` if absent).
    async fn raw(&self, key: Vec<u8>, op: &'static str) -> Result<Option<Vec<u8>>, ClientError> {
        match self.block.storage().fetch_raw(key).await {
            Ok(v) => Ok(Some(v)),
            Err(subxt::error::StorageError::NoValueFound) => Ok(None),
            Err(e) => Err(unreachable_err(op)(e.to_string())),
        }
    }

    async fn get<T: Decode>(
        &self,
        key: Vec<u8>,
        name: &'static str,
        op: &'static str,
    ) -> Result<Option<T>, ClientError> {
        self.raw(key, op)
            .await?
            .map(|v| {
                T::decode(&mut &v[..]).map_err(|e| {
                    ClientError::new(
                        Code::ChainVersionMismatch,
                        op,
                        format!("{name} does not decode: {e}"),
                    )
                })
            })
            .transpose()
    }

    /// Free balance of an account.
    pub async fn free_balance(
        &self,
        a: &AccountId32,
        op: &'static str,
    ) -> Result<u128, ClientError> {
        Ok(self
            .raw(storage::system_account(a), op)
            .await?
            .and_then(|v| storage::free_balance(&v))
            .unwrap_or(0))
    }

    /// `InsufficientFunds` unless `a`'s free balance is at least `needed` (and not zero).
    pub async fn ensure_funds(
        &self,
        a: &AccountId32,
        needed: u128,
        op: &'static str,
    ) -> Result<(), ClientError> {
        let free = self.free_balance(a, op).await?;
        if free == 0 || free < needed {
            return Err(ClientError::new(
                Code::InsufficientFunds,
                op,
                if free == 0 {
                    format!("{a} has no funds to pay the transaction fee")
                } else {
                    format!("{a} holds {free}, less than the {needed} needed")
                },
            ));
        }
        Ok(())
    }

    /// Whether a program is stored under `pointer`.
    pub async fn program_exists(
        &self,
        pointer: &[u8; 32],
        op: &'static str,
    ) -> Result<bool, ClientError> {
        Ok(self.raw(storage::program(pointer), op).await?.is_some())
    }

    /// `Registering[account]`.
    pub async fn registering(
        &self,
        a: &AccountId32,
        op: &'static str,
    ) -> Result<Option<RegisteringDetails>, ClientError> {
        self.get(storage::registering(a), "Registering", op).await
    }

    /// `Registered[vk]`.
    pub async fn registered(
        &self,
        vk: &VerifyingKey,
        op: &'static str,
    ) -> Result<Option<RegisteredInfo>, ClientError> {
        self.get(storage::registered(vk), "Registered", op).await
    }

    /// `DealtKeys[vk]`: the commitments of a registered client-dealt key.
    pub async fn dealt_keys(
        &self,
        vk: &VerifyingKey,
        op: &'static str,
    ) -> Result<Option<Commitments>, ClientError> {
        self.get(storage::dealt_keys(vk), "DealtKeys", op).await
    }

    /// `SigningGroups[g]`.
    pub async fn signing_group(
        &self,
        g: u8,
        op: &'static str,
    ) -> Result<Vec<AccountId32>, ClientError> {
        Ok(self
            .get(storage::signing_groups(g), "SigningGroups", op)
            .await?
            .unwrap_or_default())
    }

    /// Every server of each subgroup (index = subgroup) with its stash, storage order.
    pub async fn servers_by_subgroup(
        &self,
        op: &'static str,
    ) -> Result<Vec<Vec<(AccountId32, ServerInfo)>>, ClientError> {
        let mut groups = Vec::new();
        for g in 0..SIGNING_PARTY_SIZE as u8 {
            let mut servers = Vec::new();
            for stash in self.signing_group(g, op).await? {
                if let Some(s) = self.server(&stash, op).await? {
                    servers.push((stash, s));
                }
            }
            groups.push(servers);
        }
        Ok(groups)
    }

    /// `ThresholdServers[stash]`.
    pub async fn server(
        &self,
        stash: &AccountId32,
        op: &'static str,
    ) -> Result<Option<ServerInfo>, ClientError> {
        self.get(storage::threshold_servers(stash), "ThresholdServers", op)
            .await
    }

    /// The subgroup of a TSS account.
    pub async fn subgroup_of_tss(
        &self,
        tss: &AccountId32,
        op: &'static str,
    ) -> Result<Option<u8>, ClientError> {
        let Some(stash) = self
            .get::<AccountId32>(storage::threshold_to_stash(tss), "ThresholdToStash", op)
            .await?
        else {
            return Ok(None);
        };
        self.get(
            storage::validator_to_subgroup(&stash),
            "ValidatorToSubgroup",
            op,
        )
        .await
    }

    /// The committee for `block`, with the core's rule, index = subgroup.
    pub async fn committee(
        &self,
        block: CommitteeBlock,
        op: &'static str,
    ) -> Result<Vec<ServerInfo>, ClientError> {
        let groups = [
            self.signing_group(0, op).await?,
            self.signing_group(1, op).await?,
        ];
        let mut synced = std::collections::HashMap::new();
        for s in groups.iter().flatten() {
            let v: Option<bool> = self
                .get(storage::is_validator_synced(s), "IsValidatorSynced", op)
                .await?;
            synced.insert(*s, v.unwrap_or(false));
        }
        let members = select_committee(
            block,
            |g| groups.get(g as usize).cloned(),
            |s| synced.get(s).copied().unwrap_or(false),
        )
        .map_err(|e| ClientError::new(Code::VerificationFailed, op, e.to_string()))?;
        let mut out = Vec::new();
        for m in members {
            out.push(self.server(&m.stash, op).await?.ok_or_else(|| {
                ClientError::new(
                    Code::VerificationFailed,
                    op,
                    format!("committee stash {} has no ThresholdServers entry", m.stash),
                )
            })?);
        }
        Ok(out)
    }

    /// The `Registry` events of this block.
    pub async fn registry_events(
        &self,
        op: &'static str,
    ) -> Result<Vec<RegistryEvent>, ClientError> {
        let events = self
            .block
            .events()
            .fetch()
            .await
            .map_err(|e| unreachable_err(op)(e.to_string()))?;
        Ok(events
            .iter()
            .flatten()
            .filter(|e| e.pallet_name() == REGISTRY_PALLET.0)
            .filter_map(|e| RegistryEvent::from_fields(e.event_name(), e.field_bytes()))
            .collect())
    }

    /// The `confirm_register` extrinsics for `account` in this block, with their signers.
    pub async fn confirmations(
        &self,
        account: &AccountId32,
        op: &'static str,
    ) -> Result<Vec<SeenConfirmation>, ClientError> {
        let xts = self
            .block
            .extrinsics()
            .fetch()
            .await
            .map_err(|e| unreachable_err(op)(e.to_string()))?;
        let mut out = Vec::new();
        for x in xts.iter().flatten() {
            if x.pallet_name() != REGISTRY_PALLET.0 || x.call_name() != "confirm_register" {
                continue;
            }
            let Ok(args) = ConfirmRegisterArgs::decode(&mut x.call_data_field_bytes()) else {
                continue;
            };
            if &args.sig_req_account != account {
                continue;
            }
            // MultiAddress::Id(account): 0x00 ‖ 32 bytes.
            let signer = match x.address_bytes() {
                Some([0, rest @ ..]) if rest.len() == 32 => {
                    AccountId32(rest.try_into().expect("32 bytes"))
                }
                _ => continue,
            };
            out.push(SeenConfirmation {
                signer,
                subgroup: args.signing_subgroup,
                verifying_key: args.verifying_key.to_vec(),
                block: self.number(),
            });
        }
        Ok(out)
    }
}
