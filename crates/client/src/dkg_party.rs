//! The user's side of a `Private` registration: connect to every committee server (its DKG
//! websocket, Noise XK with the server's on-chain x25519 key, a subscription the user signs),
//! then run the core's DKG as the last party, all on the caller's task.

use entropy_register_core::api;
use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::dkg::{DkgError, DkgSession, KeyShare, Outgoing};
use entropy_register_core::keys::{Sr25519Pair, X25519Keypair};
use entropy_register_core::noise::{Channel, Initiator};
use entropy_register_core::session::{SessionId, SubscribeMessage};
use entropy_register_core::types::{AccountId32, ServerInfo};
use futures::stream::LocalBoxStream;
use futures::{SinkExt, StreamExt};

use crate::backend::{Clock, FrameSink, FrameStream, Websocket};
use crate::error::Error;
use crate::request::endpoint;

/// How long the key generation may take once connected (the servers wait 20 s for parties and
/// 60 s for the protocol).
pub const DKG_TIMEOUT_MS: u32 = 60_000;

fn unreachable(endpoint: &str, e: impl std::fmt::Display) -> Error {
    Error::ServerUnreachable(format!("server {endpoint}: {e}"))
}

fn failed(e: impl std::fmt::Display) -> Error {
    Error::RegistrationFailed(format!("key generation: {e}"))
}

struct Peer {
    account: AccountId32,
    endpoint: String,
    channel: Channel,
    sink: FrameSink,
}

/// The open connections of a finished DKG. Keep them until the registration is on chain: a
/// server may still wait for another party's last message and must not see the user leave,
/// which it would take for a drop-out. Dropping this closes them.
pub struct Connections {
    _peers: Vec<Peer>,
    _incoming: futures::stream::SelectAll<Tagged>,
}

/// Every connection's frames in one stream, each with its connection's index.
type Tagged = LocalBoxStream<'static, (usize, Result<Vec<u8>, String>)>;

async fn next_frame(stream: &mut FrameStream, endpoint: &str) -> Result<Vec<u8>, Error> {
    match stream.next().await {
        Some(Ok(b)) => Ok(b),
        Some(Err(e)) => Err(unreachable(endpoint, e)),
        None => Err(unreachable(endpoint, "closed the connection")),
    }
}

async fn connect<W: Websocket>(
    ws: &W,
    server: &ServerInfo,
    x25519: &X25519Keypair,
    subscribe: &SubscribeMessage,
) -> Result<(Peer, FrameStream), Error> {
    let endpoint = endpoint(server);
    let (mut sink, mut stream) = ws
        .connect(&api::ws_url(&endpoint))
        .await
        .map_err(|e| unreachable(&endpoint, e))?;
    let (init, m1) = Initiator::start(&x25519.secret_bytes(), &server.x25519_public_key, subscribe)
        .map_err(failed)?;
    sink.send(m1).await.map_err(|e| unreachable(&endpoint, e))?;
    let m2 = next_frame(&mut stream, &endpoint).await?;
    let (awaiting, m3) = init.read_message2(&m2).map_err(failed)?;
    sink.send(m3).await.map_err(|e| unreachable(&endpoint, e))?;
    let reply = next_frame(&mut stream, &endpoint).await?;
    let channel = awaiting.read_reply(&reply).map_err(|e| {
        Error::RegistrationFailed(format!(
            "server {endpoint} refused the DKG subscription: {e}"
        ))
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

async fn send(peers: &mut [Peer], outgoing: Vec<Outgoing>) -> Result<(), Error> {
    for o in outgoing {
        let peer = peers
            .iter_mut()
            .find(|p| p.account == o.to)
            .ok_or_else(|| failed(format!("a message for a non-party {}", o.to)))?;
        let frame = peer.channel.encrypt(&o.bytes).map_err(failed)?;
        peer.sink
            .send(frame)
            .await
            .map_err(|e| unreachable(&peer.endpoint, e))?;
    }
    Ok(())
}

/// Runs the user's part of the DKG of a registration included in `n`; `committee` is index =
/// subgroup. The session ends with the test signature of the new key, which the user signs as a
/// party ([`entropy_register_core::test_signature`]); an invalid signature share fails it.
/// Returns the user's share and the connections to keep open until the registration is on
/// chain.
pub async fn join<P: Websocket + Clock>(
    io: &P,
    user: &Sr25519Pair,
    x25519: &X25519Keypair,
    n: u32,
    committee: &[ServerInfo],
) -> Result<(KeyShare, Connections), Error> {
    let sid = SessionId::dkg(user.account(), InclusionBlock(n));
    let subscribe = SubscribeMessage::new(sid, user);
    let connected =
        crate::concurrency::all(committee.iter().map(|s| connect(io, s, x25519, &subscribe)))
            .await?;
    let mut peers = Vec::new();
    let mut streams: Vec<Tagged> = Vec::new();
    for (i, (peer, stream)) in connected.into_iter().enumerate() {
        peers.push(peer);
        streams.push(Box::pin(stream.map(move |m| (i, m))));
    }
    let mut incoming = futures::stream::select_all(streams);
    let parties: Vec<AccountId32> = committee
        .iter()
        .map(|s| s.tss_account)
        .chain([user.account()])
        .collect();
    let mut session = DkgSession::new(sid, parties, user.clone()).map_err(failed)?;
    send(&mut peers, session.start().map_err(failed)?.outgoing).await?;
    let deadline = io.sleep(DKG_TIMEOUT_MS);
    futures::pin_mut!(deadline);
    loop {
        let next = futures::future::select(incoming.next(), &mut deadline).await;
        let frame = match next {
            futures::future::Either::Right(_) => return Err(failed(DkgError::Timeout)),
            futures::future::Either::Left((None, _)) => {
                return Err(failed("every server closed its connection"))
            }
            futures::future::Either::Left((Some(m), _)) => m,
        };
        let (i, bytes) = match frame {
            (i, Ok(bytes)) => (i, bytes),
            (i, Err(_)) => {
                session.peer_left(&peers[i].account).map_err(failed)?;
                continue;
            }
        };
        let plain = peers[i].channel.decrypt(&bytes).map_err(failed)?;
        match session.handle(&plain) {
            Ok(progress) => {
                send(&mut peers, progress.outgoing).await?;
                if let Some(share) = progress.key_share {
                    return Ok((
                        share,
                        Connections {
                            _peers: peers,
                            _incoming: incoming,
                        },
                    ));
                }
            }
            // A refused message changes nothing; the protocol goes on without it.
            Err(DkgError::BadMessage(_)) => {}
            Err(e) => return Err(failed(e)),
        }
    }
}
