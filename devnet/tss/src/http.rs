//! The server's side of the HTTP API that `entropy_register_core::api` defines: its routes,
//! bodies and refusal codes (the client-dealt routes are in [`crate::dealt`]). A refusal is the
//! core's `{code, message}` body with the core's status for the code.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use entropy_register_core::api::{self, routes, ApiCode, Health, KeyStatus};
use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::envelope::EncryptedSignedMessage;
use entropy_register_core::new_user::{
    decode_request, judge, NewUserFacts, NewUserRejection, NewUserVerdict, ServedBlocks,
    FRESHNESS_WINDOW_BLOCKS,
};
use entropy_register_core::share_transfer::{
    self, ReceiveKeyAction, ReceiveKeyFacts, UserRegistrationInfo,
};
use entropy_register_core::types::{AccountId32, ValidatorInfo};

use crate::chain::At;
use crate::refusal::Refusal;
use crate::server::{receipt_key, Server, SERVED_BLOCKS_KEY};

/// Largest websocket message accepted (a Noise frame of the largest application message).
const MAX_WS_MESSAGE: usize = 9 * 1024 * 1024;

/// The router of a server.
pub fn router(server: Arc<Server>) -> Router {
    let router = Router::new()
        .route(routes::USER_NEW, post(new_user))
        .route(routes::RECEIVE_KEY, post(receive_key))
        .route(routes::DEALT_SHARE, post(crate::dealt::dealt_share))
        .route(routes::SHARE_CHECK, post(crate::dealt::share_check))
        .route(routes::RECEIPT, get(receipt))
        .route(routes::KEY, get(key_status))
        .route(routes::WS, get(ws))
        .route(routes::HEALTHZ, get(healthz))
        .route(routes::VERSION, get(version));
    crate::limits::bounded(router.with_state(server.clone()), &server.limits)
        .layer(tower_http::cors::CorsLayer::permissive())
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).expect("the core's statuses are valid")
}

/// How long `/user/new` waits for block N to be finalized (and, when the committee must be read
/// in the off-chain worker's block N+1, for N+1) before it judges the request (which then
/// counts as stale). Below the off-chain worker's HTTP deadline
/// (`pallet_propagation::POST_DEADLINE_MS`).
pub const FINALITY_WAIT: Duration = Duration::from_secs(40);

/// `POST /user/new`: judge the off-chain worker's message against finalized chain state (a
/// request from a block that a reorganisation abandons does not match it); on acceptance
/// answer 200 and run one registration per account concurrently in the background.
async fn new_user(State(s): State<Arc<Server>>, body: Bytes) -> Result<StatusCode, Refusal> {
    tracing::debug!(bytes = body.len(), route = routes::USER_NEW, "request");
    let msg = decode_request(&body)?;
    if msg.sig_request_accounts.is_empty() {
        return Ok(status(api::new_user_status(&NewUserVerdict::NothingToDo)));
    }
    let n = msg.block_number;
    let received = std::time::Instant::now();
    let deadline = tokio::time::Instant::now() + FINALITY_WAIT;
    // Bounded: each request below waits for finality on its own.
    let _waiting = s.new_user_waiting.try_acquire().map_err(|_| {
        Refusal::new(
            ApiCode::Busy,
            format!(
                "{} /user/new requests are waiting for finality here; try again shortly",
                s.limits.max_new_user_waiting
            ),
        )
    })?;
    // The off-chain worker of N+1 posts once N+1 is authored: a block further ahead than the
    // node's best (give or take a block of propagation) is no request to wait for.
    let heads = *s.heads.borrow();
    if heads.best > 0 && n > heads.best + 1 {
        return Err(NewUserRejection::Stale {
            block: n,
            best: heads.best,
        }
        .into());
    }
    // The request is judged against finalized state. `Dkg[N]` is complete once block N is
    // (nothing after N writes it), so the server waits only until GRANDPA has finalized N and
    // its node has N+1 (the off-chain worker's block), not until N+1 is final: the committee is
    // read in N's state too, and only if that differs from the request's (a server's sync
    // status or keys changed in N+1 itself) is it read again in N+1 once N+1 is final. Each
    // request waits on its own, watching the server's one reading of the heads (requests of
    // different blocks do not queue behind each other's waits); only the reads and judging of
    // one block's copies, and the judging and record of served blocks below, are one at a time.
    wait_for_heads(&s, deadline, |h| h.finalized >= n && h.best > n).await;
    // The copies of one block are read and judged one after the other: a later copy finds the
    // block served and is refused without reading the chain again (otherwise each of the V
    // copies reads `Dkg[N]` and the committee, at the moment the accepted one's DKGs start).
    let block_lock = s.judging(n, FRESHNESS_WINDOW_BLOCKS + 2);
    let _judging = block_lock.lock().await;
    let mut committee_at = None;
    let (verdict, finalized, mut served, place, _guard) = loop {
        // The state judged in: N's (where the early DKGs read the same facts, so these reads
        // are usually answered from what was kept of them), N+1's after a committee mismatch.
        // Read together with the finalized head, which says whether it may be used.
        let view = committee_at.unwrap_or(n);
        let (latest, at_view) = futures::join!(s.chain.at(At::Latest), s.chain.at(At::Block(view)));
        let latest = latest.map_err(Refusal::internal)?;
        let finalized = latest.number();
        // Freshness counts from the node's best block once that state is final (before that
        // the request cannot be judged, and counts as stale).
        let best = if finalized >= view {
            finalized.max(s.heads.borrow().best)
        } else {
            finalized
        };
        let fresh = best > n && best <= n + 1 + FRESHNESS_WINDOW_BLOCKS;
        // Dkg[N] and the committee as the finalized chain holds them, read outside the lock
        // (requests of different blocks read at the same time) and not for a block already
        // served (every validator's off-chain worker sends a copy).
        let read = if fresh && !served_blocks(&s)?.contains(n) {
            let state = match at_view {
                _ if finalized == view => latest,
                Ok(state) => state,
                // Read before the node had the block: read again.
                Err(_) => s
                    .chain
                    .at(At::Block(view))
                    .await
                    .map_err(Refusal::internal)?,
            };
            // This server's place is read with them, for an accepted request.
            let (facts, place) = futures::join!(judged_facts(&state, n), s.place_at(&state));
            Some((facts?, place))
        } else {
            None
        };
        let guard = s.new_user_lock.lock().await;
        let served = served_blocks(&s)?;
        let facts = NewUserFacts {
            own_tss_account: s.account().0,
            already_served: served.contains(n),
            best_block: best,
            onchain_accounts: read.as_ref().map(|((a, _), _)| a.as_slice()),
            expected_committee: read.as_ref().map(|((_, c), _)| c.as_slice()),
            freshness_window: FRESHNESS_WINDOW_BLOCKS,
        };
        match judge(&msg, &facts) {
            Err(NewUserRejection::CommitteeMismatch { .. }) if view == n => {
                drop(guard);
                tracing::info!(
                    block = n,
                    "the committee in N's state differs from the request's: judging again in N+1's"
                );
                wait_for_heads(&s, deadline, |h| h.finalized > n).await;
                committee_at = Some(n + 1);
            }
            verdict => {
                let verdict = verdict.map_err(|e| {
                    tracing::warn!(block = n, "refused /user/new: {e}");
                    e
                })?;
                break (
                    verdict,
                    finalized,
                    served,
                    read.map(|(_, place)| place),
                    guard,
                );
            }
        }
    };
    let waited = received.elapsed();
    let answer = status(api::new_user_status(&verdict));
    match verdict {
        NewUserVerdict::NothingToDo | NewUserVerdict::NotInCommittee => Ok(answer),
        NewUserVerdict::Accept {
            block, accounts, ..
        } => {
            // Read once for the block's registrations (before the block counts as served: a
            // failed read leaves the request to be sent again).
            let place = match place {
                Some(place) => Arc::new(place.map_err(Refusal::internal)?),
                None => return Err(Refusal::internal("accepted without reading the chain")),
            };
            // The requests, in block N's state: one read for the block (usually answered from
            // what its early DKGs read, crate::early).
            let accounts: Vec<AccountId32> = accounts.into_iter().map(AccountId32).collect();
            let requests = s
                .chain
                .at(At::Block(block.0))
                .await
                .map_err(Refusal::internal)?
                .registering_many(&accounts)
                .await
                .map_err(Refusal::internal)?;
            // Forgets only blocks stale for the finalized head (the node's best can go back).
            served.record(block.0, finalized);
            s.store
                .replace(SERVED_BLOCKS_KEY, &served.to_bytes())
                .map_err(Refusal::internal)?;
            tracing::info!(
                block = block.0,
                accounts = accounts.len(),
                waited_for_finality_ms = waited.as_millis() as u64,
                took_ms = received.elapsed().as_millis() as u64,
                "accepted /user/new"
            );
            for (account, details) in accounts.into_iter().zip(requests) {
                let Some(details) = details else {
                    tracing::error!(%account, block = block.0, "registration failed: the account is not registering on chain");
                    continue;
                };
                let (s, place) = (s.clone(), place.clone());
                let committee = msg.validators_info.clone();
                tokio::spawn(async move {
                    if let Err(e) = s
                        .register_account(block, account, &details, &committee, &place)
                        .await
                    {
                        tracing::error!(%account, block = block.0, "registration failed: {e}");
                    }
                });
            }
            Ok(answer)
        }
    }
}

/// The blocks this server served (`/user/new`), from its store.
fn served_blocks(s: &Server) -> Result<ServedBlocks, Refusal> {
    match s.store.get(SERVED_BLOCKS_KEY).map_err(Refusal::internal)? {
        Some(v) => ServedBlocks::from_bytes(&v)
            .ok_or_else(|| Refusal::internal("the record of served blocks is unreadable")),
        None => Ok(ServedBlocks::default()),
    }
}

/// Waits (until `deadline` at most) for the server's reading of the heads to satisfy `ready`.
async fn wait_for_heads(
    s: &Server,
    deadline: tokio::time::Instant,
    ready: impl FnMut(&crate::chain::Heads) -> bool,
) {
    let mut heads = s.heads.clone();
    let _ = tokio::time::timeout_at(deadline, heads.wait_for(ready)).await;
}

/// `Dkg[N]` and the committee of N's registrations (rotation index N+1) in `state`.
async fn judged_facts(
    state: &crate::chain::ChainAt,
    n: u32,
) -> Result<(Vec<Vec<u8>>, Vec<ValidatorInfo>), Refusal> {
    let (onchain, committee) =
        futures::join!(state.dkg_accounts(n), crate::server::committee_of(state, n));
    Ok((
        onchain.map_err(Refusal::internal)?,
        committee.map_err(Refusal::internal)?,
    ))
}

/// `POST /user/receive_key`: a subgroup peer forwards a share (§4.8).
async fn receive_key(State(s): State<Arc<Server>>, body: Bytes) -> Result<StatusCode, Refusal> {
    let envelope = EncryptedSignedMessage::from_json(&body)?;
    let opened = envelope.open(&s.keys.x25519.secret_bytes())?;
    let info = UserRegistrationInfo::from_json(&opened.message)?;
    let (account, share) = share_transfer::check_payload(&info)?;
    let started = std::time::Instant::now();
    let state = s.chain.at(At::Latest).await.map_err(Refusal::internal)?;
    let own = s.account();
    let (own_subgroup, sender_subgroup, registering) = futures::join!(
        state.subgroup_of_tss(&own),
        state.subgroup_of_tss(&opened.sender),
        state.registering(&account)
    );
    let facts = ReceiveKeyFacts {
        own_subgroup: own_subgroup.map_err(Refusal::internal)?,
        sender_subgroup: sender_subgroup.map_err(Refusal::internal)?,
        registering: registering.map_err(Refusal::internal)?.is_some(),
        key_exists: s.store.exists(&info.key).map_err(Refusal::internal)?,
    };
    let read_ms = started.elapsed().as_millis() as u64;
    let action = share_transfer::judge(&account, facts).map_err(|e| {
        tracing::warn!(sender = %opened.sender, %account, "refused a forwarded share: {e}");
        e
    })?;
    let value = share.to_bytes();
    match action {
        ReceiveKeyAction::Store => {
            s.store_new_share(&info.key, &value)
                .map_err(Refusal::internal)?;
        }
        ReceiveKeyAction::Replace => s
            .store
            .replace(&info.key, &value)
            .map_err(Refusal::internal)?,
    }
    // The chain reads' time and the whole (the reads were most of it under load).
    let took_ms = started.elapsed().as_millis() as u64;
    tracing::info!(sender = %opened.sender, %account, vk = %info.key, read_ms, took_ms, "stored a forwarded share");
    Ok(StatusCode::OK)
}

fn parse_account(s: &str) -> Option<AccountId32> {
    if let Ok(a) = AccountId32::from_ss58(s) {
        return Some(a);
    }
    entropy_register_core::hex::decode_array::<32>(s)
        .ok()
        .map(AccountId32)
}

/// `GET /user/receipt/{account}/{block}`: this server's signed receipt for the registration of
/// `account` included in `block`, once it confirmed it.
async fn receipt(
    State(s): State<Arc<Server>>,
    Path((account, block)): Path<(String, u32)>,
) -> Result<Response, Refusal> {
    let account = parse_account(&account).ok_or_else(|| {
        Refusal::new(
            ApiCode::InvalidAccount,
            "expected an SS58 address or 32 bytes of hex",
        )
    })?;
    match s
        .store
        .get(&receipt_key(&account, InclusionBlock(block)))
        .map_err(Refusal::internal)?
    {
        Some(json) => Ok((
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            json.to_vec(),
        )
            .into_response()),
        None => Err(Refusal::new(
            ApiCode::NoReceipt,
            format!("no confirmed registration of {account} in block {block} on this server"),
        )),
    }
}

/// `GET /user/key/{verifying_key}`: whether this server holds a usable share of the key (it is
/// decrypted and parsed to answer): `{verifyingKey, partyIndex, parties}`, never the share.
async fn key_status(
    State(s): State<Arc<Server>>,
    Path(vk): Path<String>,
) -> Result<Json<KeyStatus>, Refusal> {
    let vk = entropy_register_core::hex::decode(&vk)
        .map_err(|e| e.to_string())
        .and_then(|b| {
            entropy_register_core::types::VerifyingKey::from_bytes(&b).map_err(|e| e.to_string())
        })
        .map_err(|e| Refusal::new(ApiCode::InvalidVerifyingKey, e))?;
    let Some(share) = s.store.key_share(&vk).map_err(Refusal::internal)? else {
        return Err(Refusal::new(
            ApiCode::NoKeyShare,
            format!("no share of {} on this server", vk.to_hex()),
        ));
    };
    Ok(Json(KeyStatus {
        verifying_key: vk.to_hex(),
        party_index: share.party_index(),
        parties: share.parties(),
    }))
}

/// `GET /ws`: a DKG party connects; Noise XK responder, then the subscription checks.
async fn ws(State(s): State<Arc<Server>>, upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .max_message_size(MAX_WS_MESSAGE)
        .on_upgrade(move |socket| async move {
            let mut io = crate::transport::from_axum(socket);
            match crate::transport::respond(&mut io, &s.keys.x25519.secret_bytes()).await {
                Ok(pending) => {
                    s.sessions
                        .accept(pending, io, s.limits.max_pending_subscriptions)
                        .await
                }
                Err(e) => tracing::warn!("websocket handshake failed: {e}"),
            }
        })
}

/// `GET /healthz`: ready when the chain answers.
async fn healthz(State(s): State<Arc<Server>>) -> Result<Json<Health>, Refusal> {
    let best = s
        .chain
        .best_block()
        .await
        .map_err(|e| Refusal::new(ApiCode::ChainUnavailable, e))?;
    Ok(Json(Health {
        status: "ok".into(),
        account: s.account().to_ss58(),
        x25519: entropy_register_core::hex::encode_0x(&s.keys.x25519.public),
        best_block: best,
        open_sessions: s.sessions.waiting(),
    }))
}

/// `GET /version`.
async fn version() -> Json<api::Version> {
    Json(api::Version {
        name: env!("CARGO_PKG_NAME").into(),
        version: env!("CARGO_PKG_VERSION").into(),
        protocol: "entropy-v0.2.0-registration".into(),
    })
}
