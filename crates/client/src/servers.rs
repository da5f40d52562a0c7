//! The client side of the servers' HTTP API (`entropy_register_core::api`): receipts, dealt
//! shares and key status, each answer parsed and checked the same way on every platform.

use entropy_register_core::api::{self, routes, ErrorBody, KeyStatus};
use entropy_register_core::envelope::EncryptedSignedMessage;
use entropy_register_core::types::{AccountId32, ServerInfo, VerifyingKey};
use entropy_register_core::verify::Receipt;

use crate::backend::{Clock, Http};
use crate::error::Error;
use crate::request::endpoint;

/// A server writes its receipt once its own confirmation is in a block, which may be a little
/// after the block that completed the registration: "not found" is retried this many times…
pub const RECEIPT_TRIES: u32 = 60;
/// …this many milliseconds apart.
pub const RECEIPT_RETRY_MS: u32 = 250;

fn unreachable(url: &str, e: impl std::fmt::Display) -> Error {
    Error::ServerUnreachable(format!("{url}: {e}"))
}

/// Reads a server's answer as a signed receipt (verified by the caller).
pub fn parse_receipt(url: &str, body: &[u8]) -> Result<Receipt, Error> {
    serde_json::from_slice(body)
        .map_err(|e| Error::VerificationFailed(format!("{url} did not answer a receipt: {e}")))
}

/// Fetches `server`'s receipt for the registration of `account` included in block `n`; checks
/// it is signed for that server (the caller verifies it against chain state).
pub async fn fetch_receipt<H: Http + Clock>(
    io: &H,
    server: &ServerInfo,
    account: &AccountId32,
    n: u32,
) -> Result<Receipt, Error> {
    let url = api::receipt_url(&endpoint(server), account, n);
    for _ in 0..RECEIPT_TRIES {
        let resp = io.get(&url).await.map_err(|e| unreachable(&url, e))?;
        match resp.status {
            200 => {
                let r = parse_receipt(&url, &resp.body)?;
                if r.server != server.tss_account {
                    return Err(Error::VerificationFailed(format!(
                        "{url} answered for another server"
                    )));
                }
                return Ok(r);
            }
            404 => io.sleep(RECEIPT_RETRY_MS).await,
            s => {
                let b = ErrorBody::parse(&resp.body);
                return Err(unreachable(
                    &url,
                    format!("HTTP {s}: {} {}", b.code, b.message),
                ));
            }
        }
    }
    Err(unreachable(
        &url,
        format!("no receipt after {RECEIPT_TRIES} tries"),
    ))
}

/// Posts a sealed dealt share to `server` and returns its receipt (checked to be that
/// server's; the caller verifies it against chain state). A refusal is `ShareRefused` with the
/// server's status, code and message.
pub async fn post_dealt_share<H: Http>(
    io: &H,
    server: &ServerInfo,
    envelope: &EncryptedSignedMessage,
) -> Result<Receipt, Error> {
    let endpoint = endpoint(server);
    let url = api::url(&endpoint, routes::DEALT_SHARE);
    let resp = io
        .post_json(&url, envelope.to_json())
        .await
        .map_err(|e| unreachable(&url, e))?;
    if resp.status != 200 {
        let b = ErrorBody::parse(&resp.body);
        return Err(Error::ShareRefused {
            server: endpoint,
            status: resp.status,
            code: b.code,
            message: b.message,
        });
    }
    let r = parse_receipt(&url, &resp.body)?;
    if r.server != server.tss_account {
        return Err(Error::VerificationFailed(format!(
            "{endpoint} answered with another server's receipt"
        )));
    }
    Ok(r)
}

/// Whether the server at `endpoint` holds a usable share of `vk` (`None`: it holds none).
pub async fn key_status<H: Http>(
    io: &H,
    endpoint: &str,
    vk: &VerifyingKey,
) -> Result<Option<KeyStatus>, Error> {
    let url = api::key_url(endpoint, vk);
    let resp = io.get(&url).await.map_err(|e| unreachable(&url, e))?;
    match resp.status {
        200 => serde_json::from_slice(&resp.body)
            .map(Some)
            .map_err(|e| Error::VerificationFailed(format!("{url}: {e}"))),
        404 => Ok(None),
        s => Err(unreachable(&url, format!("HTTP {s}"))),
    }
}
