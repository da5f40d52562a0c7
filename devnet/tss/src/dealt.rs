//! The client-dealt flow on a server (`Registry::register_client_dealt`; the rules are the
//! core's `client_dealt` module):
//!
//! - `POST /user/dealt_share`: a user's HPKE envelope with the share of this server's
//!   subgroup. The server checks it against the chain (signer = registering account, client-dealt
//!   mode, its subgroup, the share against the on-chain commitments), compares the share's digest
//!   with every other member of its subgroup; the subgroup's committee member for N+1 then makes
//!   the key's test signature with the other subgroups' committee members (each signs with the
//!   share it received). It stores the share encrypted, confirms on chain if it is the committee
//!   member, and answers with its signed receipt (the committee member's carries the test
//!   signature).
//! - `POST /user/share_check`: a subgroup peer asks whether this server holds the same share;
//!   the answer is signed.
//!
//! A refusal at any step leaves nothing stored and nothing confirmed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use entropy_register_core::api::{self, routes, ApiCode};
use entropy_register_core::client_dealt::{
    self, share_digest, DealtShare, DealtShareFacts, DealtShareRejection, ShareCheck,
    ShareCheckAnswer,
};
use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::envelope::{EncryptedSignedMessage, Opened};
use entropy_register_core::session::SessionId;
use entropy_register_core::types::{AccountId32, ServerInfo, VerifyingKey};
use entropy_register_core::verify::Receipt;

use crate::chain::At;
use crate::refusal::Refusal;
use crate::server::{receipt_key, Server};
use crate::sessions::{self, DkgPlan};

/// How long a server waits for its subgroup peers to have the user's share too.
pub const PEER_WAIT: Duration = Duration::from_secs(30);

fn open(s: &Server, body: &[u8]) -> Result<Opened, Refusal> {
    Ok(EncryptedSignedMessage::from_json(body)?.open(&s.keys.x25519.secret_bytes())?)
}

/// How long `/user/dealt_share` looks again for a registration its node has not finalized yet.
pub const DEALT_FINALITY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// `POST /user/dealt_share`.
pub async fn dealt_share(
    State(s): State<Arc<Server>>,
    body: Bytes,
) -> Result<Json<Receipt>, Refusal> {
    let opened = open(&s, &body)?;
    let msg = DealtShare::from_json(&opened.message)?;
    let account = msg.account;
    let me = s.account();
    // The client sends once its node has finalized the registration; this server's node may
    // learn of that finality a moment later, so an account not (yet) registering in the
    // finalized state is looked at again for up to `DEALT_FINALITY_WAIT`.
    let mut state = s.chain.at(At::Latest).await.map_err(Refusal::internal)?;
    let waiting = std::time::Instant::now();
    let (registering, dealt) = loop {
        let (registering, dealt) =
            futures::join!(state.registering(&account), state.client_dealt(&account));
        let registering = registering.map_err(Refusal::internal)?;
        let dealt = dealt.map_err(Refusal::internal)?;
        if (registering.is_some() && dealt.is_some()) || waiting.elapsed() >= DEALT_FINALITY_WAIT {
            break (registering, dealt);
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        state = s.chain.at(At::Latest).await.map_err(Refusal::internal)?;
    };
    let own = state.subgroup_of_tss(&me).await;
    let facts = DealtShareFacts {
        signer: opened.sender,
        own_subgroup: own.map_err(Refusal::internal)?,
        registering: registering.as_ref(),
        dealt: dealt.as_ref(),
    };
    let accepted = client_dealt::judge(&msg, &facts).map_err(|e| {
        tracing::warn!(signer = %opened.sender, %account, "refused a dealt share: {e}");
        e
    })?;
    drop(msg);
    let (subgroup, vk) = (accepted.subgroup, accepted.verifying_key);
    let n = dealt
        .as_ref()
        .map(|d| d.inclusion_block)
        .expect("judge checked the client-dealt record");
    let already_confirmed = registering
        .as_ref()
        .is_some_and(|r| r.confirmations.contains(&subgroup));

    // The subgroup's committee member for N+1 confirms, as in the DKG flow (the rule applied
    // to this state, as the client computes it: block N+1 need not exist yet).
    let (servers, committee) = futures::join!(
        state.subgroup_servers(subgroup),
        state.committee(InclusionBlock(n).committee_block())
    );
    let peers: Vec<ServerInfo> = servers
        .map_err(Refusal::internal)?
        .into_iter()
        .map(|(_, info)| info)
        .filter(|i| i.tss_account != me)
        .collect();
    let committee = committee.map_err(Refusal::internal)?;
    let confirmer = committee
        .get(subgroup as usize)
        .is_some_and(|v| v.tss_account == me);
    drop(state);
    // The subgroup's other members must hold the same share before anyone keeps it.
    s.dealt_digests
        .lock()
        .expect("not poisoned")
        .insert(account, accepted.digest);
    let check = ShareCheck {
        account,
        verifying_key: vk,
        digest: accepted.digest,
    };
    if let Err(e) =
        futures::future::try_join_all(peers.iter().map(|p| ask_peer(&s, p, &check))).await
    {
        s.dealt_digests
            .lock()
            .expect("not poisoned")
            .remove(&account);
        tracing::warn!(%account, "subgroup check failed: {}", e.message());
        return Err(e);
    }

    // The committee members sign the key's test signature with the shares they received,
    // before anything is kept: a dealt share that does not combine to the key is refused. A
    // repeated POST after the confirmation answers the receipt kept then.
    let receipt_at = receipt_key(&account, InclusionBlock(n));
    if already_confirmed {
        if let Some(kept) = s.store.get(&receipt_at).map_err(Refusal::internal)? {
            let receipt: Receipt = serde_json::from_slice(&kept).map_err(Refusal::internal)?;
            return Ok(Json(receipt));
        }
    }
    let test_signature = if confirmer && !already_confirmed {
        let members: Vec<(AccountId32, String, [u8; 32])> = committee
            .iter()
            .map(|m| {
                (
                    m.tss_account,
                    String::from_utf8_lossy(&m.endpoint).into_owned(),
                    m.x25519_public_key,
                )
            })
            .collect();
        let mut plan = DkgPlan::new(
            SessionId::dkg(account, InclusionBlock(n)),
            me,
            &members,
            None,
        );
        plan.fault = s.fault;
        plan.held_share = Some(accepted.share.clone());
        let secret = s.keys.x25519.secret_bytes();
        match sessions::run_dkg(&s.sessions, plan, &s.keys.account, &secret).await {
            // A signature-only session always ends with the signature.
            Ok((_, sig)) => sig,
            Err(e) => {
                s.dealt_digests
                    .lock()
                    .expect("not poisoned")
                    .remove(&account);
                tracing::error!(%account, vk = %vk.to_hex(), "dealt key's test signature failed: {e}");
                return Err(Refusal::new(ApiCode::TestSignatureFailed, e));
            }
        }
    } else {
        None
    };

    let key = vk.to_hex();
    let value = accepted.share.to_bytes();
    if s.store.exists(&key).map_err(Refusal::internal)? {
        s.store.replace(&key, &value).map_err(Refusal::internal)?;
    } else {
        s.store_new_share(&key, &value).map_err(Refusal::internal)?;
    }
    tracing::info!(%account, subgroup, vk = %key, peers = peers.len(), "stored a dealt share");

    if confirmer && !already_confirmed {
        let included = s
            .confirmer
            .confirm(account, subgroup, vk)
            .await
            .map_err(|e| Refusal::new(ApiCode::ConfirmFailed, e))?;
        tracing::info!(%account, subgroup, block = included.block, "confirmed a dealt key");
    }
    let receipt = Receipt::sign(
        &s.keys.account,
        account,
        InclusionBlock(n),
        subgroup,
        vk,
        test_signature,
    );
    let json = serde_json::to_vec(&receipt).expect("plain data serializes");
    s.store
        .replace(&receipt_at, &json)
        .map_err(Refusal::internal)?;
    Ok(Json(receipt))
}

/// Asks `peer` whether it holds the share `check` describes, until it answers (it may not have
/// received its envelope yet) or [`PEER_WAIT`] passes. A signed "same" is the only success.
async fn ask_peer(s: &Server, peer: &ServerInfo, check: &ShareCheck) -> Result<(), Refusal> {
    let endpoint = String::from_utf8_lossy(&peer.endpoint).into_owned();
    let url = api::url(&endpoint, routes::SHARE_CHECK);
    let unavailable = |why: String| {
        Refusal::new(
            ApiCode::PeerUnavailable,
            format!("subgroup peer {} ({endpoint}): {why}", peer.tss_account),
        )
    };
    let deadline = Instant::now() + PEER_WAIT;
    loop {
        let envelope = EncryptedSignedMessage::seal(
            &s.keys.account,
            &check.to_json(),
            &peer.x25519_public_key,
            None,
        )
        .map_err(|e| unavailable(e.to_string()))?;
        let answer = s
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body(envelope.to_json())
            .send()
            .await;
        let retry_why = match answer {
            Ok(resp) if resp.status().is_success() => {
                let answer: ShareCheckAnswer = resp
                    .json()
                    .await
                    .map_err(|e| unavailable(format!("not an answer: {e}")))?;
                return answer
                    .accept(check, &s.account(), &peer.tss_account)
                    .map_err(|e| Refusal::new(ApiCode::PeerMismatch, e));
            }
            Ok(resp) if resp.status().as_u16() == ApiCode::NoShareYet.status() => {
                "it has no share yet".to_string()
            }
            Ok(resp) => {
                let status = resp.status();
                let body = resp.text().await.unwrap_or_default();
                return Err(unavailable(format!("HTTP {status}: {body}")));
            }
            Err(e) => e.to_string(),
        };
        if Instant::now() > deadline {
            return Err(unavailable(format!(
                "no answer in {} s ({retry_why})",
                PEER_WAIT.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `POST /user/share_check`.
pub async fn share_check(
    State(s): State<Arc<Server>>,
    body: Bytes,
) -> Result<Json<ShareCheckAnswer>, Refusal> {
    let opened = open(&s, &body)?;
    let check = ShareCheck::from_json(&opened.message)?;
    let state = s.chain.at(At::Latest).await.map_err(Refusal::internal)?;
    let me = s.account();
    let (asker, own) = futures::join!(
        state.subgroup_of_tss(&opened.sender),
        state.subgroup_of_tss(&me)
    );
    client_dealt::judge_check(
        &opened.sender,
        asker.map_err(Refusal::internal)?,
        own.map_err(Refusal::internal)?,
    )?;
    let held = s
        .dealt_digests
        .lock()
        .expect("not poisoned")
        .get(&check.account)
        .copied();
    let digest = match held {
        Some(d) => d,
        None => stored_digest(&s, &check.account, &check.verifying_key)?
            .ok_or(DealtShareRejection::NoShareYet(check.account))?,
    };
    Ok(Json(ShareCheckAnswer::sign(
        &s.keys.account,
        &check,
        &opened.sender,
        &digest,
    )))
}

/// The digest of the share of `vk` in the store (after a restart the in-memory digests are
/// gone).
fn stored_digest(
    s: &Server,
    account: &AccountId32,
    vk: &VerifyingKey,
) -> Result<Option<[u8; 32]>, Refusal> {
    Ok(s.store
        .key_share(vk)
        .map_err(Refusal::internal)?
        .map(|share| share_digest(account, &share)))
}
