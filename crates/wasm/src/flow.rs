//! `register` as the client runs it: validate, submit, follow the chain block by block, collect
//! the confirmations of the client's own account, verify everything with the core, fetch and
//! verify the committee's receipts. Progress is reported as typed events.

use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::dkg::KeyShare;
use entropy_register_core::events::RegistryEvent;
use entropy_register_core::types::{AccountId32, ServerInfo, VerifyingKey};
use entropy_register_core::verify::{verify_registration, Expectation, Receipt, SeenConfirmation};
use futures::StreamExt;

use crate::chain::Chain;
use crate::chain::Signing;
use crate::error::{ClientError, Code};
use crate::options::{RegisterRequest, Signer, WaitFor};

const OP: &str = "register";

/// A progress event.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Progress {
    /// The pool accepted the transaction.
    Submitted,
    /// Included (and finalized) in block N.
    #[serde(rename_all = "camelCase")]
    InBlock {
        /// N.
        block: u32,
    },
    /// The committee for N+1.
    #[serde(rename_all = "camelCase")]
    Committee {
        /// N+1.
        block: u32,
        /// Members, index = subgroup.
        members: Vec<Member>,
    },
    /// A subgroup confirmed.
    #[serde(rename_all = "camelCase")]
    Confirmation {
        /// Block of the confirmation.
        block: u32,
        /// Subgroup.
        subgroup: u8,
        /// Signer (TSS account).
        server: String,
    },
    /// `AccountRegistered`.
    #[serde(rename_all = "camelCase")]
    Registered {
        /// Block.
        block: u32,
        /// Verifying key (0x hex).
        verifying_key: String,
    },
    /// The block of `AccountRegistered` is finalized (only with `waitFor: 'finalized'`).
    #[serde(rename_all = "camelCase")]
    Finalized {
        /// Block.
        block: u32,
    },
}

/// A committee member as reported to JS.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// Subgroup.
    pub subgroup: u8,
    /// TSS account (SS58).
    pub tss_account: String,
    /// `host:port`.
    pub endpoint: String,
}

/// A verified registration as returned to JS.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// The account (SS58).
    pub account: String,
    /// 0x hex of the 33-byte verifying key.
    pub verifying_key: String,
    /// EIP-55 Ethereum address.
    pub ethereum_address: String,
    /// Block N.
    pub inclusion_block: u32,
    /// Block of `AccountRegistered`.
    pub registered_block: u32,
    /// The committee, each with its verified receipt.
    pub committee: Vec<VerifiedMember>,
    /// `"public"` or `"private"`.
    pub access_mode: &'static str,
    /// Private mode: the user's key share (0x hex of its serialized form); keep it secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_share: Option<String>,
    /// Private mode: the user's x25519 secret (needed for later signing sessions); keep it secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x25519_secret_key: Option<String>,
}

/// A committee member with its confirmation and receipt, both verified.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedMember {
    /// Member.
    #[serde(flatten)]
    pub member: Member,
    /// Block of its confirmation.
    pub confirmed_in: u32,
    /// Its receipt.
    pub receipt: Receipt,
}

fn members(committee: &[ServerInfo]) -> Vec<Member> {
    committee
        .iter()
        .enumerate()
        .map(|(g, s)| Member {
            subgroup: g as u8,
            tss_account: s.tss_account.to_ss58(),
            endpoint: String::from_utf8_lossy(&s.endpoint).into_owned(),
        })
        .collect()
}

/// Checks the request against chain state before anything is signed.
pub async fn preflight(chain: &Chain, req: &RegisterRequest) -> Result<(), ClientError> {
    let state = chain.latest(OP).await?;
    let account = req.signer.account();
    for p in req.args.programs_data.iter() {
        if !state.program_exists(&p.program_pointer, OP).await? {
            return Err(ClientError::new(
                Code::UnknownProgram,
                OP,
                format!(
                    "no program is stored under {} on this chain",
                    entropy_register_core::hex::encode_0x(&p.program_pointer)
                ),
            ));
        }
    }
    if state.registering(&account, OP).await?.is_some() {
        return Err(ClientError::new(
            Code::AlreadySubmitted,
            OP,
            format!("{account} is already registering"),
        ));
    }
    state.ensure_funds(&account, 0, OP).await?;
    Ok(())
}

/// Runs a registration; `cancel` resolves when the caller aborts.
pub async fn register(
    chain: &Chain,
    req: RegisterRequest,
    sign_payload: Option<&js_sys::Function>,
    progress: &dyn Fn(Progress),
    cancel: impl std::future::Future<Output = ()>,
) -> Result<Outcome, ClientError> {
    preflight(chain, &req).await?;
    let account = req.signer.account();
    let run = async {
        let n = chain
            .register(
                signing(&req.signer, sign_payload, OP)?,
                &req.args,
                req.wait_for,
                || progress(Progress::Submitted),
            )
            .await?;
        progress(Progress::InBlock { block: n });
        let committee = chain
            .at(n, OP)
            .await?
            .committee(InclusionBlock(n).committee_block(), OP)
            .await?;
        progress(Progress::Committee {
            block: n + 1,
            members: members(&committee),
        });
        let following = follow(chain, &account, n, &req, progress);
        let (share, (registered_block, vk, seen)) = match &req.x25519 {
            // Private: the user is the last DKG party; either failing ends the registration.
            Some(x) => {
                let Signer::Pair(pair) = &req.signer else {
                    return Err(ClientError::new(
                        Code::InvalidInput,
                        OP,
                        "Private mode needs the account's key",
                    ));
                };
                let dkg = crate::dkg::join(pair, x, n, &committee);
                let (share, followed) = futures::future::try_join(dkg, following).await?;
                (Some(share), followed)
            }
            None => (None, following.await?),
        };
        verify(
            chain,
            &req,
            n,
            registered_block,
            vk,
            &committee,
            &seen,
            share,
        )
        .await
    };
    futures::pin_mut!(run);
    futures::pin_mut!(cancel);
    match futures::future::select(run, cancel).await {
        futures::future::Either::Left((r, _)) => r,
        futures::future::Either::Right(((), _)) => Err(ClientError::new(
            Code::Cancelled,
            OP,
            "cancelled by the caller (the transaction may still complete on chain; status() tells)",
        )),
    }
}

/// Who signs: the held key, or the external signer's `signPayload`.
pub fn signing<'a>(
    signer: &'a Signer,
    sign_payload: Option<&'a js_sys::Function>,
    op: &'static str,
) -> Result<Signing<'a>, ClientError> {
    match (signer, sign_payload) {
        (Signer::Pair(p), _) => Ok(Signing::Pair(p)),
        (Signer::External(a), Some(f)) => Ok(Signing::External(*a, f)),
        (Signer::External(_), None) => Err(ClientError::new(
            Code::InvalidInput,
            op,
            "an external signer needs signPayload",
        )),
    }
}

async fn follow(
    chain: &Chain,
    account: &AccountId32,
    n: u32,
    req: &RegisterRequest,
    progress: &dyn Fn(Progress),
) -> Result<(u32, VerifyingKey, Vec<SeenConfirmation>), ClientError> {
    let timeout_blocks = req.timeout_blocks;
    let mut seen = Vec::new();
    let blocks = chain.follow(n, req.wait_for, OP).await?;
    futures::pin_mut!(blocks);
    while let Some(b) = blocks.next().await {
        let b = b?;
        if b > n + timeout_blocks {
            return Err(ClientError::new(
                Code::Timeout,
                OP,
                format!("not registered within {timeout_blocks} blocks after block {n}"),
            ));
        }
        let state = chain.at(b, OP).await?;
        for c in state.confirmations(account, OP).await? {
            progress(Progress::Confirmation {
                block: b,
                subgroup: c.subgroup,
                server: c.signer.to_ss58(),
            });
            seen.push(c);
        }
        for e in state.registry_events(OP).await? {
            match e {
                RegistryEvent::AccountRegistered(a, vk) if a == *account => {
                    let vk = VerifyingKey::from_bytes(&vk).map_err(|e| {
                        ClientError::new(Code::VerificationFailed, OP, e.to_string())
                    })?;
                    progress(Progress::Registered {
                        block: b,
                        verifying_key: entropy_register_core::hex::encode_0x(vk.as_bytes()),
                    });
                    if req.wait_for == WaitFor::Finalized {
                        progress(Progress::Finalized { block: b });
                    }
                    return Ok((b, vk, seen));
                }
                RegistryEvent::FailedRegistration(a) if a == *account => {
                    return Err(ClientError::new(
                        Code::RegistrationFailed,
                        OP,
                        format!("the servers' confirmations disagreed (block {b})"),
                    ));
                }
                _ => {}
            }
        }
    }
    Err(ClientError::new(
        Code::ServerUnreachable,
        OP,
        "the node's block subscription ended",
    ))
}

#[allow(clippy::too_many_arguments)]
async fn verify(
    chain: &Chain,
    req: &RegisterRequest,
    n: u32,
    registered_block: u32,
    vk: VerifyingKey,
    committee: &[ServerInfo],
    seen: &[SeenConfirmation],
    share: Option<KeyShare>,
) -> Result<Outcome, ClientError> {
    let account = req.signer.account();
    let bad = |e: String| ClientError::new(Code::VerificationFailed, OP, e);
    let state = chain.at(registered_block, OP).await?;
    let info = state.registered(&vk, OP).await?;
    let verified = verify_registration(
        &Expectation {
            account,
            inclusion_block: InclusionBlock(n),
            request: &req.args,
            committee,
        },
        seen,
        info.as_ref(),
        share.as_ref().map(|s| s.verifying_key()).as_ref(),
    )
    .map_err(|e| bad(e.to_string()))?;
    if verified.verifying_key != vk {
        return Err(bad("the confirmed key is not the registered key".into()));
    }
    let mut out = Vec::new();
    for (member, server) in members(committee).into_iter().zip(committee) {
        let receipt = crate::http::receipt(&member.endpoint, &account, n).await?;
        if receipt.server != server.tss_account {
            return Err(bad(format!(
                "{} answered for another server",
                member.endpoint
            )));
        }
        let subgroup = state.subgroup_of_tss(&receipt.server, OP).await?;
        receipt
            .verify(&account, InclusionBlock(n), &vk, |_| subgroup)
            .map_err(|e| bad(e.to_string()))?;
        let confirmed_in = seen
            .iter()
            .find(|c| c.signer == server.tss_account)
            .map(|c| c.block)
            .unwrap_or(registered_block);
        out.push(VerifiedMember {
            member,
            confirmed_in,
            receipt,
        });
    }
    Ok(Outcome {
        account: account.to_ss58(),
        verifying_key: entropy_register_core::hex::encode_0x(vk.as_bytes()),
        ethereum_address: entropy_register_core::eth::ethereum_address_eip55(&vk),
        inclusion_block: n,
        registered_block,
        committee: out,
        access_mode: if share.is_some() { "private" } else { "public" },
        key_share: share.map(|s| entropy_register_core::hex::encode_0x(&s.to_bytes())),
        x25519_secret_key: req
            .x25519
            .as_ref()
            .map(|x| entropy_register_core::hex::encode_0x(&x.secret_bytes()[..])),
    })
}
