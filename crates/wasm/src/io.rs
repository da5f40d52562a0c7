//! The platform's IO for the client in browsers and Node: `fetch` for the servers' HTTP and
//! `WebSocket` for the DKG connections (both through gloo-net), timers through gloo-timers.

use entropy_register_client::backend::{
    Clock, FrameSink, FrameStream, Http, HttpResponse, Websocket,
};
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::{futures::WebSocket, Message};

/// `fetch`, `WebSocket` and `setTimeout`.
pub struct GlooIo;

async fn answer(
    sent: Result<gloo_net::http::Response, gloo_net::Error>,
) -> Result<HttpResponse, String> {
    let resp = sent.map_err(|e| e.to_string())?;
    let status = resp.status();
    let body = resp.binary().await.map_err(|e| e.to_string())?;
    Ok(HttpResponse { status, body })
}

impl Http for GlooIo {
    async fn get(&self, url: &str) -> Result<HttpResponse, String> {
        answer(gloo_net::http::Request::get(url).send().await).await
    }

    async fn post_json(&self, url: &str, body: String) -> Result<HttpResponse, String> {
        let request = gloo_net::http::Request::post(url)
            .header("content-type", "application/json")
            .body(body)
            .map_err(|e| e.to_string())?;
        answer(request.send().await).await
    }
}

impl Websocket for GlooIo {
    async fn connect(&self, url: &str) -> Result<(FrameSink, FrameStream), String> {
        let ws = WebSocket::open(url).map_err(|e| e.to_string())?;
        let (sink, stream) = ws.split();
        let sink = sink
            .sink_map_err(|e| e.to_string())
            .with(|frame: Vec<u8>| futures::future::ready(Ok::<_, String>(Message::Bytes(frame))));
        let stream = stream.map(|m| match m {
            Ok(Message::Bytes(b)) => Ok(b),
            Ok(Message::Text(_)) => Err("the server sent a text frame".to_string()),
            Err(e) => Err(e.to_string()),
        });
        Ok((Box::pin(sink), Box::pin(stream)))
    }
}

impl Clock for GlooIo {
    async fn sleep(&self, ms: u32) {
        gloo_timers::future::TimeoutFuture::new(ms).await
    }
}
