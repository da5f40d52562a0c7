//! The server's bounds and the HTTP serving loop that keeps them: open connections, the time a
//! request's headers and body may take, the largest body, `/user/new` requests waiting for
//! finality, DKG subscriptions waiting for their session. Each bound, when reached, answers the
//! core's refusal with a stable code (`Busy`, `BodyTimeout`, `TooLarge`) and does nothing else.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use entropy_register_core::api::{ApiCode, ApiError};
use entropy_register_core::envelope::MAX_ENVELOPE_JSON;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::refusal::Refusal;

/// The bounds of one server.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open connections (HTTP and DKG websockets together); one more is answered
    /// `503 Busy` and closed.
    pub max_connections: usize,
    /// Time for a request's headers to arrive (also how long an idle keep-alive connection
    /// stays open); then the connection is closed.
    pub header_read: Duration,
    /// Time for a request's body to arrive once its headers have; then `408 BodyTimeout`.
    pub body_read: Duration,
    /// Largest request body; a larger one is `413 TooLarge`.
    pub max_body: usize,
    /// `/user/new` requests waiting for finality at once; one more is `503 Busy`.
    pub max_new_user_waiting: usize,
    /// DKG subscriptions waiting at once for their session to open here; one more is refused
    /// at once, as for a session this server does not know.
    pub max_pending_subscriptions: usize,
}

impl Default for Limits {
    /// The devnet's bounds (README, "Limits").
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(10),
            max_body: MAX_ENVELOPE_JSON,
            max_new_user_waiting: 256,
            max_pending_subscriptions: 256,
        }
    }
}

/// `router` with the body bounds: a POST body is read whole before its handler runs, within
/// [`Limits::body_read`] and [`Limits::max_body`].
pub fn bounded(router: Router, limits: &Limits) -> Router {
    router
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(limits.clone()),
            read_body,
        ))
        .layer(DefaultBodyLimit::max(limits.max_body))
}

async fn read_body(State(limits): State<Arc<Limits>>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let too_large = || {
        Refusal::new(
            ApiCode::TooLarge,
            format!("the body is larger than {} bytes", limits.max_body),
        )
        .into_response()
    };
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body as u64) {
        return too_large();
    }
    let (parts, body) = request.into_parts();
    let read = axum::body::to_bytes(body, limits.max_body);
    match tokio::time::timeout(limits.body_read, read).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(e)) if is_length_limit(&e) => too_large(),
        Ok(Err(e)) => Refusal::new(
            ApiCode::Malformed,
            format!("the body could not be read: {e}"),
        )
        .into_response(),
        Err(_) => Refusal::new(
            ApiCode::BodyTimeout,
            format!(
                "the body did not arrive within {} s",
                limits.body_read.as_secs_f32()
            ),
        )
        .into_response(),
    }
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// A connection that holds one of the server's connection permits until it is dropped (an
/// upgraded websocket keeps its permit).
struct Counted {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The raw answer to a connection over [`Limits::max_connections`].
fn busy_answer(max: usize) -> Vec<u8> {
    let body = ApiError::new(
        ApiCode::Busy,
        format!("this server has {max} connections open; try again shortly"),
    )
    .body();
    let json = serde_json::to_string(&body).expect("an error body serializes");
    format!(
        "HTTP/1.1 {} Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{json}",
        ApiCode::Busy.status(),
        json.len()
    )
    .into_bytes()
}

/// Answers `503 Busy` and closes, giving the peer a moment to send its request first (so that
/// closing with its bytes unread does not reset the connection before it reads the answer).
async fn refuse_busy(mut stream: TcpStream, answer: Arc<Vec<u8>>) {
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        stream.write_all(&answer).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
}

/// Serves `app` (HTTP/1.1 with websocket upgrades) on `listener` until `shutdown` completes,
/// keeping [`Limits::max_connections`] and [`Limits::header_read`]. Connections being served
/// when it returns are dropped with the runtime.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let busy = Arc::new(busy_answer(limits.max_connections));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "connection refused: at the connection bound");
            tokio::spawn(refuse_busy(stream, busy.clone()));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(Counted {
            stream,
            _permit: permit,
        });
        let service = TowerToHyperService::new(app.clone());
        let header_read = limits.header_read;
        tokio::spawn(async move {
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_read)
                .serve_connection(io, service)
                .with_upgrades()
                .await;
            if let Err(e) = served {
                tracing::debug!(%peer, "connection ended: {e}");
            }
        });
    }
}
