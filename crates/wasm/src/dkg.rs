//! The user's side of a `Private` registration: connect to every committee server
//! (`ws://<endpoint>/ws`, Noise XK with the server's on-chain x25519 key, a subscription signed
//! by the user), then run the core's DKG as the last party on this (single) thread.

use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::dkg::{DkgError, DkgSession, KeyShare, Outgoing};
use entropy_register_core::keys::{Sr25519Pair, X25519Keypair};
use entropy_register_core::noise::{Channel, Initiator};
use entropy_register_core::session::{SessionId, SubscribeMessage};
use entropy_register_core::types::{AccountId32, ServerInfo};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::{futures::WebSocket, Message};

use crate::error::{ClientError, Code};

const OP: &str = "register";
/// How long the key generation may take once connected (the servers wait 20 s for parties and
/// 60 s for the protocol).
const DKG_TIMEOUT_MS: u32 = 60_000;
/// After the key is generated the connections stay open until the servers close them (or this
/// long): a server may still wait for the other server's last message and must not see the user
/// leave, which it would take for a drop-out.
const LINGER_MS: u32 = 10_000;

fn unreachable(endpoint: &str, e: impl std::fmt::Display) -> ClientError {
    ClientError::new(
        Code::ServerUnreachable,
        OP,
        format!("server {endpoint}: {e}"),
    )
}

fn failed(e: impl std::fmt::Display) -> ClientError {
    ClientError::new(Code::RegistrationFailed, OP, format!("key generation: {e}"))
}

struct Peer {
    account: AccountId32,
    endpoint: String,
    channel: Channel,
    sink: SplitSink<WebSocket, Message>,
}

async fn next_bytes(
    stream: &mut SplitStream<WebSocket>,
    endpoint: &str,
) -> Result<Vec<u8>, ClientError> {
    match stream.next().await {
        Some(Ok(Message::Bytes(b))) => Ok(b),
        Some(Ok(Message::Text(_))) => Err(unreachable(endpoint, "sent a text frame")),
        Some(Err(e)) => Err(unreachable(endpoint, e)),
        None => Err(unreachable(endpoint, "closed the connection")),
    }
}

async fn connect(
    server: &ServerInfo,
    x25519: &X25519Keypair,
    subscribe: &SubscribeMessage,
) -> Result<(Peer, SplitStream<WebSocket>), ClientError> {
    let endpoint = String::from_utf8_lossy(&server.endpoint).into_owned();
    let ws =
        WebSocket::open(&format!("ws://{endpoint}/ws")).map_err(|e| unreachable(&endpoint, e))?;
    let (mut sink, mut stream) = ws.split();
    let (init, m1) = Initiator::start(&x25519.secret_bytes(), &server.x25519_public_key, subscribe)
        .map_err(failed)?;
    sink.send(Message::Bytes(m1))
        .await
        .map_err(|e| unreachable(&endpoint, e))?;
    let m2 = next_bytes(&mut stream, &endpoint).await?;
    let (awaiting, m3) = init.read_message2(&m2).map_err(failed)?;
    sink.send(Message::Bytes(m3))
        .await
        .map_err(|e| unreachable(&endpoint, e))?;
    let reply = next_bytes(&mut stream, &endpoint).await?;
    let channel = awaiting.read_reply(&reply).map_err(|e| {
        ClientError::new(
            Code::RegistrationFailed,
            OP,
            format!("server {endpoint} refused the DKG subscription: {e}"),
        )
    })?;
    Ok((
        Peer {
            account: server.tss_account,
            endpoint,
            channel,
            sink,
        },
        stream,
    ))
}

async fn send(peers: &mut [Peer], outgoing: Vec<Outgoing>) -> Result<(), ClientError> {
    for o in outgoing {
        let peer = peers
            .iter_mut()
            .find(|p| p.account == o.to)
            .ok_or_else(|| failed(format!("a message for a non-party {}", o.to)))?;
        let frame = peer.channel.encrypt(&o.bytes).map_err(failed)?;
        peer.sink
            .send(Message::Bytes(frame))
            .await
            .map_err(|e| unreachable(&peer.endpoint, e))?;
    }
    Ok(())
}

/// Runs the user's part of the DKG for a registration included in `n`; `committee` is index =
/// subgroup. Returns the user's key share.
pub async fn join(
    user: &Sr25519Pair,
    x25519: &X25519Keypair,
    n: u32,
    committee: &[ServerInfo],
) -> Result<KeyShare, ClientError> {
    let sid = SessionId::dkg(user.account(), InclusionBlock(n));
    let subscribe = SubscribeMessage::new(sid, user);
    let connected =
        futures::future::try_join_all(committee.iter().map(|s| connect(s, x25519, &subscribe)))
            .await?;
    let mut peers = Vec::new();
    let mut streams = Vec::new();
    for (i, (peer, stream)) in connected.into_iter().enumerate() {
        peers.push(peer);
        streams.push(stream.map(move |m| (i, m)));
    }
    let mut incoming = futures::stream::select_all(streams);
    let parties: Vec<AccountId32> = committee
        .iter()
        .map(|s| s.tss_account)
        .chain([user.account()])
        .collect();
    let mut session = DkgSession::new(sid, parties, user.clone()).map_err(failed)?;
    send(&mut peers, session.start().map_err(failed)?.outgoing).await?;
    let mut deadline = gloo_timers::future::TimeoutFuture::new(DKG_TIMEOUT_MS);
    loop {
        let next = futures::future::select(incoming.next(), &mut deadline).await;
        let (i, message) = match next {
            futures::future::Either::Right(_) => return Err(failed(DkgError::Timeout)),
            futures::future::Either::Left((None, _)) => {
                return Err(failed("every server closed its connection"))
            }
            futures::future::Either::Left((Some(m), _)) => m,
        };
        let bytes = match message {
            Ok(Message::Bytes(b)) => b,
            Ok(Message::Text(_)) | Err(_) => {
                let who = peers[i].account;
                session.peer_left(&who).map_err(failed)?;
                continue;
            }
        };
        let plain = peers[i].channel.decrypt(&bytes).map_err(failed)?;
        match session.handle(&plain) {
            Ok(progress) => {
                send(&mut peers, progress.outgoing).await?;
                if let Some(share) = progress.key_share {
                    wasm_bindgen_futures::spawn_local(async move {
                        let closed = async { while incoming.next().await.is_some() {} };
                        futures::pin_mut!(closed);
                        let linger = gloo_timers::future::TimeoutFuture::new(LINGER_MS);
                        futures::future::select(closed, linger).await;
                        drop(peers);
                    });
                    return Ok(share);
                }
            }
            // A refused message changes nothing; the protocol goes on without it.
            Err(DkgError::BadMessage(_)) => {}
            Err(e) => return Err(failed(e)),
        }
    }
}
