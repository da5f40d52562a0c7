//! A native registration client for the devnet's own tools (launcher demo, end-to-end tests,
//! benchmark): submit `register`, join the DKG in `Private` mode, follow the chain to
//! `AccountRegistered`, and check what the chain and the servers answer; or deal the key
//! (`register_client_dealt`) and deliver each server its share. The product client is
//! the wasm one; this is the same flow for Rust callers.

use std::collections::HashMap;

use entropy_register_core::client_dealt::DealtShare;
use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::dealing::{deal, Dealt};
use entropy_register_core::dkg::KeyShare;
use entropy_register_core::envelope::EncryptedSignedMessage;
use entropy_register_core::keys::{Sr25519Pair, X25519Keypair};
use entropy_register_core::session::SessionId;
use entropy_register_core::types::{
    AccountId32, KeyVisibility, ProgramsData, RegisterArgs, RegisterClientDealtArgs, ServerInfo,
    ValidatorInfo, VerifyingKey, SIGNING_PARTY_SIZE,
};
use entropy_register_core::verify::Receipt;

use crate::chain::{At, Chain, ChainError, Registration};
use crate::sessions::{self, Dial, DkgPlan, SessionError, Sessions};

/// Why a registration did not end verified.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Chain access or a transaction failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The user's part of the DKG failed.
    #[error("the user's DKG: {0}")]
    Dkg(#[from] SessionError),
    /// The chain reported `FailedRegistration`.
    #[error("the servers' confirmations disagreed (FailedRegistration in block {0})")]
    Failed(u32),
    /// No outcome within the blocks waited for.
    #[error("not registered by block {0}")]
    Timeout(u32),
    /// A server refused a dealt share.
    #[error("{server} refused the dealt share: HTTP {status}: {body}")]
    ShareRefused {
        /// The server's endpoint.
        server: String,
        /// HTTP status (0: unreachable).
        status: u16,
        /// Its answer.
        body: String,
    },
    /// Something the chain or a server said does not check out.
    #[error("verification failed: {0}")]
    Verification(String),
}

/// A verified registration.
#[derive(Debug)]
pub struct Outcome {
    /// The registered account.
    pub account: AccountId32,
    /// Block N, where `register` was included.
    pub inclusion_block: u32,
    /// The block of `AccountRegistered`.
    pub registered_block: u32,
    /// The verifying key.
    pub verifying_key: VerifyingKey,
    /// The DKG committee (subgroup 0's server, subgroup 1's server).
    pub committee: Vec<ValidatorInfo>,
    /// The committee's receipts, each verified.
    pub receipts: Vec<Receipt>,
    /// The user's own share (`Private` mode).
    pub key_share: Option<KeyShare>,
}

/// The committee that serves a registration included in `n` (state at the latest block).
pub async fn committee_for(chain: &Chain, n: u32) -> Result<Vec<ValidatorInfo>, ChainError> {
    chain
        .at(At::Latest)
        .await?
        .committee(InclusionBlock(n).committee_block())
        .await
}

/// The user's side of a `Private` DKG: dials every committee server with its x25519 key.
pub async fn join_dkg(
    user: &Sr25519Pair,
    x25519: &X25519Keypair,
    n: u32,
    committee: &[ValidatorInfo],
) -> Result<KeyShare, ClientError> {
    let mut parties = Vec::new();
    let mut dial = Vec::new();
    for v in committee {
        let account = AccountId32(v.tss_account.as_slice().try_into().map_err(|_| {
            ClientError::Verification("a committee account is not 32 bytes".into())
        })?);
        parties.push(account);
        dial.push(Dial {
            account,
            endpoint: String::from_utf8_lossy(&v.ip_address).into_owned(),
            x25519: v.x25519_public_key,
        });
    }
    parties.push(user.account());
    let plan = DkgPlan {
        session_id: SessionId::dkg(user.account(), InclusionBlock(n)),
        parties,
        expected: HashMap::new(),
        dial,
    };
    Ok(sessions::run_dkg(&Sessions::default(), plan, user, &x25519.secret_bytes()).await?)
}

/// Registers `user` with `args` and verifies the result. In `Private` mode `x25519` must be the
/// key named in `args` and the user takes part in the DKG.
pub async fn register(
    chain: &Chain,
    user: &Sr25519Pair,
    args: &RegisterArgs,
    x25519: Option<&X25519Keypair>,
    max_blocks: u32,
) -> Result<Outcome, ClientError> {
    let n = chain.register(user, args).await?.block;
    let committee = committee_for(chain, n).await?;
    let key_share = match (&args.key_visibility, x25519) {
        (KeyVisibility::Private(pk), Some(x)) if *pk == x.public => {
            Some(join_dkg(user, x, n, &committee).await?)
        }
        (KeyVisibility::Private(_), _) => {
            return Err(ClientError::Verification(
                "Private mode needs the x25519 key named in the call".into(),
            ))
        }
        (KeyVisibility::Public, _) => None,
    };
    wait_and_verify(
        chain,
        user.account(),
        n,
        args,
        committee,
        key_share,
        max_blocks,
    )
    .await
}

/// How long a receipt may lag the block that registered the account: a server writes it once
/// its own confirmation is final, which can be after the other subgroup's completed the
/// registration.
const RECEIPT_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

async fn fetch_receipt(http: &reqwest::Client, url: &str) -> Result<Receipt, String> {
    let deadline = std::time::Instant::now() + RECEIPT_WAIT;
    loop {
        let resp = http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| format!("{url}: {e}"))?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| format!("{url}: not a receipt: {e}"));
        }
        if status != reqwest::StatusCode::NOT_FOUND || std::time::Instant::now() > deadline {
            return Err(format!(
                "{url}: HTTP {status}: {}",
                String::from_utf8_lossy(&body)
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Follows the chain from block `n` until `account` is registered, then checks: `Registered[vk]`
/// holds what was asked, each committee server's receipt verifies against on-chain state, and
/// the user's share (if any) is of `vk`.
pub async fn wait_and_verify(
    chain: &Chain,
    account: AccountId32,
    n: u32,
    args: &RegisterArgs,
    committee: Vec<ValidatorInfo>,
    key_share: Option<KeyShare>,
    max_blocks: u32,
) -> Result<Outcome, ClientError> {
    let (registered_block, vk) = match chain.wait_registered(&account, n, max_blocks).await? {
        Registration::Registered { block, vk } => (block, vk),
        Registration::Failed { block } => return Err(ClientError::Failed(block)),
        Registration::TimedOut { last_block } => return Err(ClientError::Timeout(last_block)),
    };
    let fail = |s: String| ClientError::Verification(s);
    let state = chain.at(At::Block(registered_block)).await?;
    let info = state
        .registered(&vk)
        .await?
        .ok_or_else(|| fail("Registered[vk] is missing".into()))?;
    if info.key_visibility != args.key_visibility
        || info.programs_data != args.programs_data
        || info.program_modification_account != args.program_modification_account
    {
        return Err(fail(
            "Registered[vk] does not hold what was requested".into(),
        ));
    }
    if let Some(share) = &key_share {
        if share.verifying_key() != vk {
            return Err(fail("the user's share is not of the registered key".into()));
        }
    }
    let http = reqwest::Client::new();
    let mut receipts = Vec::new();
    for v in &committee {
        let url = format!(
            "http://{}/user/receipt/{}/{n}",
            String::from_utf8_lossy(&v.ip_address),
            account.to_ss58()
        );
        let r = fetch_receipt(&http, &url).await.map_err(fail)?;
        if r.server.0.as_slice() != v.tss_account.as_slice() {
            return Err(fail(format!("{url} answered for another server")));
        }
        let subgroup = state.subgroup_of_tss(&r.server).await?;
        r.verify(&account, InclusionBlock(n), &vk, |_| subgroup)
            .map_err(|e| fail(e.to_string()))?;
        receipts.push(r);
    }
    Ok(Outcome {
        account,
        inclusion_block: n,
        registered_block,
        verifying_key: vk,
        committee,
        receipts,
        key_share,
    })
}

/// A verified client-dealt registration.
#[derive(Debug)]
pub struct DealtOutcome {
    /// The registration, verified as a DKG one (committee confirmations and receipts).
    pub outcome: Outcome,
    /// Every server's receipt for the share it received, each verified.
    pub delivery_receipts: Vec<Receipt>,
}

/// Deals `secret` (a fresh key when `None`), registers `user` with
/// `Registry.register_client_dealt`, sends every server of each subgroup its share and verifies
/// the result: the key the commitments fix is the registered one, `DealtKeys[vk]` holds the
/// commitments, each server's receipt verifies.
pub async fn register_client_dealt(
    chain: &Chain,
    user: &Sr25519Pair,
    program_modification_account: AccountId32,
    programs_data: ProgramsData,
    secret: Option<&[u8; 32]>,
    max_blocks: u32,
) -> Result<DealtOutcome, ClientError> {
    let fail = |s: String| ClientError::Verification(s);
    let dealt = deal(secret, SIGNING_PARTY_SIZE).map_err(|e| fail(e.to_string()))?;
    let vk = dealt
        .commitments
        .verifying_key()
        .map_err(|e| fail(e.to_string()))?;
    let args = RegisterClientDealtArgs {
        program_modification_account,
        programs_data: programs_data.clone(),
        commitments: dealt.commitments.clone(),
    };
    let n = chain.register_client_dealt(user, &args).await?.block;
    let delivery_receipts = deliver_shares(chain, user, &dealt, n).await?;
    let recorded = RegisterArgs {
        program_modification_account,
        key_visibility: KeyVisibility::Public,
        programs_data,
    };
    let committee = committee_for(chain, n).await?;
    let outcome = wait_and_verify(
        chain,
        user.account(),
        n,
        &recorded,
        committee,
        None,
        max_blocks,
    )
    .await?;
    if outcome.verifying_key != vk {
        return Err(fail("the registered key is not the dealt key".into()));
    }
    let on_chain = chain
        .at(At::Block(outcome.registered_block))
        .await?
        .dealt_keys(&vk)
        .await?;
    if on_chain.as_ref() != Some(&dealt.commitments) {
        return Err(fail(
            "DealtKeys[vk] does not hold the dealt commitments".into(),
        ));
    }
    Ok(DealtOutcome {
        outcome,
        delivery_receipts,
    })
}

/// The servers of each subgroup (index = subgroup), from the latest state.
pub async fn subgroup_servers(chain: &Chain) -> Result<Vec<Vec<ServerInfo>>, ChainError> {
    let state = chain.at(At::Latest).await?;
    futures::future::try_join_all((0..SIGNING_PARTY_SIZE as u8).map(|g| state.subgroup_servers(g)))
        .await
}

/// Sends every server of subgroup `g` the share `g` of `dealt` (an envelope `user` signs and
/// seals to the server's x25519 key), all at once, and verifies each server's receipt.
pub async fn deliver_shares(
    chain: &Chain,
    user: &Sr25519Pair,
    dealt: &Dealt,
    n: u32,
) -> Result<Vec<Receipt>, ClientError> {
    let vk = dealt
        .commitments
        .verifying_key()
        .map_err(|e| ClientError::Verification(e.to_string()))?;
    let groups = subgroup_servers(chain).await?;
    let http = reqwest::Client::new();
    let mut posts = Vec::new();
    for (g, servers) in groups.iter().enumerate() {
        let payload = DealtShare::new(user.account(), g as u8, &dealt.shares[g]).to_json();
        for server in servers {
            let envelope =
                EncryptedSignedMessage::seal(user, &payload, &server.x25519_public_key, None)
                    .map_err(|e| ClientError::Verification(e.to_string()))?;
            posts.push(post_share(&http, server, envelope));
        }
    }
    let receipts = futures::future::try_join_all(posts).await?;
    let state = chain.at(At::Latest).await?;
    for r in &receipts {
        let subgroup = state.subgroup_of_tss(&r.server).await?;
        r.verify(&user.account(), InclusionBlock(n), &vk, |_| subgroup)
            .map_err(|e| ClientError::Verification(e.to_string()))?;
    }
    Ok(receipts)
}

async fn post_share(
    http: &reqwest::Client,
    server: &ServerInfo,
    envelope: EncryptedSignedMessage,
) -> Result<Receipt, ClientError> {
    let endpoint = String::from_utf8_lossy(&server.endpoint).into_owned();
    let refused = |status: u16, body: String| ClientError::ShareRefused {
        server: endpoint.clone(),
        status,
        body,
    };
    let resp = http
        .post(format!("http://{endpoint}/user/dealt_share"))
        .header("content-type", "application/json")
        .body(envelope.to_json())
        .send()
        .await
        .map_err(|e| refused(0, e.to_string()))?;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.map_err(|e| refused(0, e.to_string()))?;
    if status != 200 {
        return Err(refused(status, String::from_utf8_lossy(&body).into_owned()));
    }
    let receipt: Receipt = serde_json::from_slice(&body)
        .map_err(|e| refused(status, format!("not a receipt: {e}")))?;
    if receipt.server != server.tss_account {
        return Err(ClientError::Verification(format!(
            "{endpoint} answered with another server's receipt"
        )));
    }
    Ok(receipt)
}
