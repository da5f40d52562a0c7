//! HTTP to the threshold servers (gloo-net: `fetch` in browsers and Node).

use entropy_register_core::types::AccountId32;
use entropy_register_core::verify::Receipt;

use crate::error::{ClientError, Code};

/// A server writes its receipt once its own confirmation is final, which may be a little after
/// the block that completed the registration: retry "not found" this many times.
const RECEIPT_TRIES: u32 = 40;

/// Fetches a server's receipt for the registration of `account` included in block `n`.
pub async fn receipt(
    endpoint: &str,
    account: &AccountId32,
    n: u32,
) -> Result<Receipt, ClientError> {
    let url = format!("http://{endpoint}/user/receipt/{}/{n}", account.to_ss58());
    let unreachable = |e: String| ClientError::new(Code::ServerUnreachable, "register", e);
    for _ in 0..RECEIPT_TRIES {
        let resp = gloo_net::http::Request::get(&url)
            .send()
            .await
            .map_err(|e| unreachable(format!("{url}: {e}")))?;
        match resp.status() {
            200 => {
                let text = resp.text().await.map_err(|e| unreachable(e.to_string()))?;
                return parse_receipt(&url, &text, "register");
            }
            404 => gloo_timers::future::TimeoutFuture::new(250).await,
            s => return Err(unreachable(format!("{url}: HTTP {s}"))),
        }
    }
    Err(unreachable(format!(
        "{url}: no receipt after {RECEIPT_TRIES} tries"
    )))
}

/// Reads a server's answer as its signed receipt (verified by the caller); anything else is
/// `VerificationFailed`.
pub fn parse_receipt(url: &str, text: &str, op: &'static str) -> Result<Receipt, ClientError> {
    serde_json::from_str(text).map_err(|e| {
        ClientError::new(
            Code::VerificationFailed,
            op,
            format!("{url} did not answer a receipt: {e}"),
        )
    })
}
