//! The registration client on native platforms: HTTP with reqwest, websockets with
//! tokio-tungstenite, time with tokio. [`NativeClient`] is the client the browser runs, with
//! this IO and subxt (native) for the chain.

use std::time::Duration;

use entropy_register_client::backend::WaitFor;
use entropy_register_client::backend::{
    Call, Chain as _, Clock, FrameSink, FrameStream, Http, HttpResponse, Websocket,
};
use entropy_register_client::reads::{self, ChainError};
use entropy_register_client::request::{programs, Mode, RegisterRequest};
use entropy_register_core::keys::Sr25519Pair;
use entropy_register_core::types::{AccountId32, ProgramInstance, ProgramsData, TransferArgs};
use entropy_register_subxt::SubxtChain;
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// reqwest, tokio-tungstenite and tokio.
#[derive(Clone)]
pub struct NativeIo {
    http: reqwest::Client,
}

impl Default for NativeIo {
    fn default() -> Self {
        NativeIo {
            // Idle connections are dropped before the servers close them (10 s), so that a
            // pooled connection is not reused as the server closes it.
            http: reqwest::Client::builder()
                .pool_idle_timeout(Duration::from_secs(5))
                .build()
                .expect("a reqwest client with default TLS-less settings"),
        }
    }
}

/// The registration client with native IO.
pub type NativeClient = entropy_register_client::Client<SubxtChain, NativeIo>;

/// Connects a client to the node at `url`, retrying for up to `wait` while the node starts,
/// and checks its runtime.
pub async fn connect(
    url: &str,
    wait: Duration,
) -> Result<NativeClient, entropy_register_client::Error> {
    let start = std::time::Instant::now();
    let chain = loop {
        match SubxtChain::connect(url).await {
            Ok(c) => break c,
            Err(e) if start.elapsed() >= wait => return Err(e.into()),
            Err(_) => tokio::time::sleep(Duration::from_millis(300)).await,
        }
    };
    let client = NativeClient::new(chain, NativeIo::default());
    client.check_runtime().await?;
    Ok(client)
}

async fn answer(sent: reqwest::Result<reqwest::Response>) -> Result<HttpResponse, String> {
    let resp = sent.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.map_err(|e| e.to_string())?.to_vec();
    Ok(HttpResponse { status, body })
}

impl Http for NativeIo {
    async fn get(&self, url: &str) -> Result<HttpResponse, String> {
        answer(self.http.get(url).send().await).await
    }

    async fn post_json(&self, url: &str, body: String) -> Result<HttpResponse, String> {
        answer(
            self.http
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await,
        )
        .await
    }
}

impl Websocket for NativeIo {
    async fn connect(&self, url: &str) -> Result<(FrameSink, FrameStream), String> {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .map_err(|e| e.to_string())?;
        let (sink, stream) = ws.split();
        let sink = sink.sink_map_err(|e| e.to_string()).with(|frame: Vec<u8>| {
            futures::future::ready(Ok::<_, String>(Message::Binary(frame.into())))
        });
        // Pings are answered by tungstenite; a close frame is followed by the stream's end.
        let stream = stream.filter_map(|m| {
            futures::future::ready(match m {
                Ok(Message::Binary(b)) => Some(Ok(b.to_vec())),
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_) | Message::Close(_)) => {
                    None
                }
                Ok(Message::Text(_)) => Some(Err("the server sent a text frame".to_string())),
                Err(e) => Some(Err(e.to_string())),
            })
        });
        Ok((Box::pin(sink), Box::pin(stream)))
    }
}

impl Clock for NativeIo {
    async fn sleep(&self, ms: u32) {
        tokio::time::sleep(Duration::from_millis(ms.into())).await
    }
}

/// Most transfers in one `Utility.batch_all` of [`fund`].
pub const TRANSFERS_PER_BATCH: usize = 100;

/// Transfers `amount` from `from` to each of `to` and waits until all are finalized: one
/// `Utility.batch_all` per [`TRANSFERS_PER_BATCH`] accounts, submitted one after the other
/// with consecutive nonces. (One transaction per account was dropped by the pool at 500
/// accounts after earlier rounds; five batches are five transactions.)
pub async fn fund(
    chain: &SubxtChain,
    from: &Sr25519Pair,
    to: &[AccountId32],
    amount: u128,
) -> Result<(), String> {
    let (pallet, call) = chain
        .call_index("Balances", "transfer_keep_alive")
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the runtime has no Balances.transfer_keep_alive")?;
    let nonce = chain
        .account_nonce(&from.account())
        .await
        .map_err(|e: ChainError| e.to_string())?;
    let mut batches = Vec::new();
    let mut unfollowed = Vec::new();
    for (i, chunk) in to.chunks(TRANSFERS_PER_BATCH).enumerate() {
        let batch = Call {
            pallet: reads::UTILITY,
            name: "batch_all",
            args: entropy_register_core::batch::encode_calls(
                (pallet, call),
                chunk.iter().map(|&dest| TransferArgs { dest, amount }),
            ),
        };
        match chain
            .submit_signed_then(&batch, from, Some(nonce + i as u64))
            .await
        {
            Ok(included) => batches.push(included),
            // The pool holds this very transaction: a submission the RPC connection sent again
            // under load. It cannot be followed; the balances are checked below.
            Err(e) if e.already_imported() => unfollowed.extend_from_slice(chunk),
            Err(e) => return Err(e.to_string()),
        }
    }
    futures::future::try_join_all(batches).await?;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    for a in unfollowed {
        loop {
            let state = reads::State::new(chain.finalized().await.map_err(|e| e.to_string())?);
            if state.free_balance(&a).await.map_err(|e| e.to_string())? >= amount {
                break;
            }
            if std::time::Instant::now() > deadline {
                return Err(format!("the transfer to {a} was not finalized within 60 s"));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    Ok(())
}

/// The devnet's genesis program as a registration's programs: one instance of the program at
/// pointer `[0; 32]`, without configuration.
pub fn genesis_program() -> ProgramsData {
    programs(vec![ProgramInstance {
        program_pointer: [0; 32],
        program_config: vec![],
    }])
    .expect("one program instance is within the bounds")
}

/// A registration of the genesis program in `mode` (the user modifies its own programs),
/// followed on finalized blocks for up to `timeout_blocks`.
pub fn genesis_request(
    mode: Mode<Sr25519Pair>,
    timeout_blocks: u32,
) -> RegisterRequest<Sr25519Pair> {
    RegisterRequest {
        mode,
        program_modification_account: None,
        programs: genesis_program(),
        wait_for: WaitFor::Finalized,
        timeout_blocks,
    }
}
