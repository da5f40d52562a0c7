//! Client-dealt mode on the client: after `register_client_dealt` is in block N, send every
//! server of each subgroup its share (an HPKE envelope the user signs, `POST
//! /user/dealt_share` with gloo-net) and verify each server's signed receipt against on-chain
//! state. Each server answers once its whole subgroup holds the same share and (for the
//! committee member) once it has confirmed.

use entropy_register_core::client_dealt::DealtShare;
use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::dealing::Dealt;
use entropy_register_core::envelope::EncryptedSignedMessage;
use entropy_register_core::keys::Sr25519Pair;
use entropy_register_core::verify::Receipt;

use crate::chain::State;
use crate::error::{ClientError, Code};
use crate::flow::{Member, Progress};

const OP: &str = "register";

/// A server that received its share, with its verified receipt.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveredShare {
    /// The server.
    #[serde(flatten)]
    pub member: Member,
    /// Its receipt.
    pub receipt: Receipt,
}

/// Sends the shares (all at once) and verifies each receipt against `state` (block N).
pub async fn deliver(
    user: &Sr25519Pair,
    dealt: &Dealt,
    n: u32,
    state: &State,
    progress: &dyn Fn(Progress),
) -> Result<Vec<DeliveredShare>, ClientError> {
    let account = user.account();
    let vk = dealt
        .commitments
        .verifying_key()
        .map_err(|e| ClientError::new(Code::InvalidInput, OP, e.to_string()))?;
    let groups = state.servers_by_subgroup(OP).await?;
    let mut posts = Vec::new();
    for (g, servers) in groups.iter().enumerate() {
        let payload = DealtShare::new(account, g as u8, &dealt.shares[g]).to_json();
        for (_, server) in servers {
            let envelope =
                EncryptedSignedMessage::seal(user, &payload, &server.x25519_public_key, None)
                    .map_err(|e| {
                        ClientError::new(
                            Code::VerificationFailed,
                            OP,
                            format!("server {}: {e}", server.tss_account),
                        )
                    })?;
            let member = Member {
                subgroup: g as u8,
                tss_account: server.tss_account.to_ss58(),
                endpoint: String::from_utf8_lossy(&server.endpoint).into_owned(),
            };
            posts.push(async move {
                let receipt = post(&member.endpoint, envelope.to_json()).await?;
                if receipt.server != server.tss_account {
                    return Err(ClientError::new(
                        Code::VerificationFailed,
                        OP,
                        format!("{} answered with another server's receipt", member.endpoint),
                    ));
                }
                let subgroup = state.subgroup_of_tss(&receipt.server, OP).await?;
                receipt
                    .verify(&account, InclusionBlock(n), &vk, |_| subgroup)
                    .map_err(|e| ClientError::new(Code::VerificationFailed, OP, e.to_string()))?;
                progress(Progress::ShareDelivered {
                    subgroup: member.subgroup,
                    server: member.tss_account.clone(),
                });
                Ok(DeliveredShare { member, receipt })
            });
        }
    }
    futures::future::try_join_all(posts).await
}

async fn post(endpoint: &str, body: String) -> Result<Receipt, ClientError> {
    let url = format!("http://{endpoint}/user/dealt_share");
    let unreachable =
        |e: String| ClientError::new(Code::ServerUnreachable, OP, format!("{url}: {e}"));
    let resp = gloo_net::http::Request::post(&url)
        .header("content-type", "application/json")
        .body(body)
        .map_err(|e| unreachable(e.to_string()))?
        .send()
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| unreachable(e.to_string()))?;
    if status != 200 {
        // The server's answer is `{code, message}`.
        let why = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .map(|v| {
                format!(
                    "{}: {}",
                    v["code"].as_str().unwrap_or("?"),
                    v["message"].as_str().unwrap_or("")
                )
            })
            .unwrap_or(text);
        return Err(ClientError::new(
            Code::ShareRefused,
            OP,
            format!("{endpoint} refused its share (HTTP {status}): {why}"),
        ));
    }
    crate::http::parse_receipt(&url, &text, OP)
}
