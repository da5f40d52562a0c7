//! The serving loop's bounds over real TCP (`devnet_tss::limits`), on a small router: the
//! connection bound answers `503 Busy` and frees its places when connections close; stalled
//! headers close the connection; a stalled body is `408 BodyTimeout`; an oversize body is
//! `413 TooLarge` whether declared or streamed; 200 stalled uploads do not hold up a request.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::routing::post;
use axum::Router;
use devnet_tss::limits::{bounded, serve, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn limits(max_connections: usize, body_read: Duration) -> Limits {
    Limits {
        max_connections,
        header_read: Duration::from_millis(500),
        body_read,
        max_body: 1000,
        ..Limits::default()
    }
}

/// Starts a server with `limits` whose `/echo` answers the body's length.
async fn start(limits: Limits) -> String {
    let app = bounded(
        Router::new().route("/echo", post(|b: Bytes| async move { b.len().to_string() })),
        &limits,
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { serve(listener, app, &limits, std::future::pending()).await });
    addr
}

/// Sends `bytes` on a new connection and returns it.
async fn send(addr: &str, bytes: &[u8]) -> TcpStream {
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(bytes).await.unwrap();
    c
}

/// Reads one answer: status and body (up to the connection's close or 5 s).
async fn answer(c: &mut TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let n = c.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf);
            if let Some(end) = text.find("\r\n\r\n") {
                let len = text[..end].lines().find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                });
                if len.is_some_and(|len| buf.len() >= end + 4 + len) {
                    break;
                }
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "no answer within 5 s: {:?}",
        String::from_utf8_lossy(&buf)
    );
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

fn code(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    v["code"].as_str().unwrap().to_string()
}

fn post_echo(body: &str) -> Vec<u8> {
    format!(
        "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Headers that promise `len` body bytes and only part of them.
fn stalled_upload(len: usize) -> Vec<u8> {
    format!("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: {len}\r\n\r\nsome").into_bytes()
}

#[tokio::test]
async fn the_connection_bound_answers_busy_and_frees_its_places() {
    let addr = start(limits(2, Duration::from_secs(30))).await;
    // Two connections hold both places (their uploads stall).
    let held: Vec<TcpStream> = vec![
        send(&addr, &stalled_upload(100)).await,
        send(&addr, &stalled_upload(100)).await,
    ];
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = send(&addr, &post_echo("hello")).await;
    let (status, body) = answer(&mut third).await;
    assert_eq!((status, code(&body).as_str()), (503, "Busy"), "{body}");
    // Closing them frees the places.
    drop(held);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut again = send(&addr, &post_echo("hello")).await;
    assert_eq!(answer(&mut again).await, (200, "5".to_string()));
}

#[tokio::test]
async fn stalled_headers_close_the_connection() {
    let addr = start(limits(8, Duration::from_secs(30))).await;
    let mut c = send(&addr, b"POST /echo HTTP/1.1\r\nhost: x\r\n").await;
    let started = Instant::now();
    let mut buf = [0u8; 64];
    let closed = tokio::time::timeout(Duration::from_secs(5), c.read(&mut buf)).await;
    assert!(
        matches!(closed, Ok(Ok(_)) | Ok(Err(_))),
        "the connection stayed open"
    );
    assert!(started.elapsed() >= Duration::from_millis(400));
    // The place is free again: a whole request is served.
    let mut next = send(&addr, &post_echo("abc")).await;
    assert_eq!(answer(&mut next).await, (200, "3".to_string()));
}

#[tokio::test]
async fn a_stalled_body_is_a_body_timeout() {
    let addr = start(limits(8, Duration::from_millis(300))).await;
    let mut c = send(&addr, &stalled_upload(100)).await;
    let (status, body) = answer(&mut c).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (408, "BodyTimeout"),
        "{body}"
    );
}

#[tokio::test]
async fn an_oversize_body_is_too_large_declared_or_streamed() {
    let addr = start(limits(8, Duration::from_secs(5))).await;
    // Declared.
    let mut c = send(&addr, &stalled_upload(1001)).await;
    let (status, body) = answer(&mut c).await;
    assert_eq!((status, code(&body).as_str()), (413, "TooLarge"), "{body}");
    // Streamed (chunked, no length given).
    let chunk = "x".repeat(600);
    let chunked = format!(
        "POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n258\r\n{chunk}\r\n258\r\n{chunk}\r\n0\r\n\r\n"
    );
    let mut c = send(&addr, chunked.as_bytes()).await;
    let (status, body) = answer(&mut c).await;
    assert_eq!((status, code(&body).as_str()), (413, "TooLarge"), "{body}");
    // At the bound: accepted.
    let mut c = send(&addr, &post_echo(&"y".repeat(1000))).await;
    assert_eq!(answer(&mut c).await, (200, "1000".to_string()));
}

#[tokio::test]
async fn two_hundred_stalled_uploads_do_not_hold_up_a_request() {
    // Uploads stall for longer than the test waits for its answer.
    let addr = start(limits(1024, Duration::from_secs(60))).await;
    let mut stalled = Vec::new();
    for _ in 0..200 {
        stalled.push(send(&addr, &stalled_upload(500)).await);
    }
    // Junk on top: bytes that are not HTTP, each on its own connection.
    for i in 0..100u8 {
        let _ = send(&addr, &[i; 64]).await;
    }
    let mut c = send(&addr, &post_echo("real")).await;
    assert_eq!(answer(&mut c).await, (200, "4".to_string()));
    drop(stalled);
}
