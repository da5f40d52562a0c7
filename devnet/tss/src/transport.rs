//! Websocket frames as channels, and the Noise XK handshake of §4.5 over them using the core's
//! sans-IO state machines. Both the accepting side (axum) and the dialing side
//! (tokio-tungstenite) become a [`FrameIo`]: binary frames in, binary frames out.

use std::time::Duration;

use entropy_register_core::noise::{
    Channel, Initiator, NoiseError, PendingSubscription, Responder,
};
use entropy_register_core::session::SubscribeMessage;
use futures::{SinkExt, StreamExt};
use tokio::sync::mpsc;

/// How long one handshake step may take. The responder may wait up to
/// [`crate::sessions::SUBSCRIBE_WAIT`] for its own session to appear before replying.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(15);

/// Frames queued per connection before the sender waits.
const QUEUE: usize = 64;

/// One websocket connection as channels of binary frames. A closed `rx` means the peer left.
pub struct FrameIo {
    /// Frames to send.
    pub tx: mpsc::Sender<Vec<u8>>,
    /// Frames received.
    pub rx: mpsc::Receiver<Vec<u8>>,
}

/// Transport errors.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The connection could not be made or closed early.
    #[error("connection: {0}")]
    Connection(String),
    /// The peer did not answer in time.
    #[error("the peer did not answer within {0:?}")]
    Timeout(Duration),
    /// The Noise handshake or a frame failed.
    #[error(transparent)]
    Noise(#[from] NoiseError),
}

impl FrameIo {
    /// Sends one frame.
    pub async fn send(&self, frame: Vec<u8>) -> Result<(), TransportError> {
        self.tx
            .send(frame)
            .await
            .map_err(|_| TransportError::Connection("closed".into()))
    }

    /// Receives one frame within [`STEP_TIMEOUT`].
    pub async fn recv(&mut self) -> Result<Vec<u8>, TransportError> {
        match tokio::time::timeout(STEP_TIMEOUT, self.rx.recv()).await {
            Err(_) => Err(TransportError::Timeout(STEP_TIMEOUT)),
            Ok(None) => Err(TransportError::Connection(
                "the peer closed the connection".into(),
            )),
            Ok(Some(f)) => Ok(f),
        }
    }
}

/// What a received websocket message means for the frame channel.
enum Received {
    Frame(Vec<u8>),
    Ignore,
    End,
}

/// Moves frames between a websocket (any implementation) and a [`FrameIo`]: queued frames go
/// out as binary messages, then a close; binary messages come in; a text or close message ends
/// the connection.
fn pumps<M, E, Si, St>(
    mut sink: Si,
    mut stream: St,
    binary: fn(Vec<u8>) -> M,
    close: fn() -> M,
    classify: fn(M) -> Received,
) -> FrameIo
where
    M: Send + 'static,
    E: Send + 'static,
    Si: futures::Sink<M> + Unpin + Send + 'static,
    St: futures::Stream<Item = Result<M, E>> + Unpin + Send + 'static,
{
    let (in_tx, in_rx) = mpsc::channel(QUEUE);
    let (out_tx, mut out_rx) = mpsc::channel::<Vec<u8>>(QUEUE);
    tokio::spawn(async move {
        while let Some(f) = out_rx.recv().await {
            if sink.send(binary(f)).await.is_err() {
                return;
            }
        }
        let _ = sink.send(close()).await;
    });
    tokio::spawn(async move {
        while let Some(Ok(m)) = stream.next().await {
            match classify(m) {
                Received::Frame(b) => {
                    if in_tx.send(b).await.is_err() {
                        return;
                    }
                }
                Received::Ignore => {}
                Received::End => return,
            }
        }
    });
    FrameIo {
        tx: out_tx,
        rx: in_rx,
    }
}

/// Wraps an accepted axum websocket.
pub fn from_axum(socket: axum::extract::ws::WebSocket) -> FrameIo {
    use axum::extract::ws::Message;
    let (sink, stream) = socket.split();
    pumps(
        sink,
        stream,
        |f| Message::Binary(f.into()),
        || Message::Close(None),
        |m| match m {
            Message::Binary(b) => Received::Frame(b.to_vec()),
            Message::Ping(_) | Message::Pong(_) => Received::Ignore,
            Message::Text(_) | Message::Close(_) => Received::End,
        },
    )
}

/// Dials `ws://<endpoint>/ws`.
pub async fn dial(endpoint: &str) -> Result<FrameIo, TransportError> {
    use tokio_tungstenite::tungstenite::Message;
    let url = entropy_register_core::api::ws_url(endpoint);
    let (ws, _) = tokio::time::timeout(STEP_TIMEOUT, tokio_tungstenite::connect_async(&url))
        .await
        .map_err(|_| TransportError::Timeout(STEP_TIMEOUT))?
        .map_err(|e| TransportError::Connection(format!("{url}: {e}")))?;
    let (sink, stream) = ws.split();
    Ok(pumps(
        sink,
        stream,
        |f| Message::Binary(f.into()),
        || Message::Close(None),
        |m| match m {
            Message::Binary(b) => Received::Frame(b.to_vec()),
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => Received::Ignore,
            Message::Text(_) | Message::Close(_) => Received::End,
        },
    ))
}

/// Initiator side: handshake with the responder's static key, subscribe, await the verdict.
pub async fn initiate(
    io: &mut FrameIo,
    own_secret: &[u8; 32],
    peer_static: &[u8; 32],
    subscribe: &SubscribeMessage,
) -> Result<Channel, TransportError> {
    let (init, msg1) = Initiator::start(own_secret, peer_static, subscribe)?;
    io.send(msg1).await?;
    let msg2 = io.recv().await?;
    let (awaiting, msg3) = init.read_message2(&msg2)?;
    io.send(msg3).await?;
    let reply = io.recv().await?;
    Ok(awaiting.read_reply(&reply)?)
}

/// Responder side, up to the subscription (the caller decides and answers).
pub async fn respond(
    io: &mut FrameIo,
    own_secret: &[u8; 32],
) -> Result<PendingSubscription, TransportError> {
    let msg1 = io.recv().await?;
    let (awaiting, msg2) = Responder::new(own_secret)?.read_message1(&msg1)?;
    io.send(msg2).await?;
    let msg3 = io.recv().await?;
    Ok(awaiting.read_message3(&msg3)?)
}
