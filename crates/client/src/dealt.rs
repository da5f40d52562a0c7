//! Client-dealt mode on the client: after `register_client_dealt` is in block N, send every
//! server of each subgroup its share (an HPKE envelope the user signs) and verify each server's
//! signed receipt against chain state. A server answers once its whole subgroup holds the same
//! share and (for the committee member) once it has confirmed.

use entropy_register_core::client_dealt::DealtShare;
use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::dealing::Dealt;
use entropy_register_core::envelope::EncryptedSignedMessage;
use entropy_register_core::keys::Sr25519Pair;

use crate::backend::{ChainState, Http};
use crate::error::Error;
use crate::reads::State;
use crate::request::{DeliveredShare, Member, Progress};

/// Sends every server its subgroup's share (all at once) and verifies each receipt against
/// `state` (the block that included the registration).
pub async fn deliver<H: Http, S: ChainState>(
    io: &H,
    state: &State<S>,
    user: &Sr25519Pair,
    dealt: &Dealt,
    n: u32,
    progress: &dyn Fn(Progress),
) -> Result<Vec<DeliveredShare>, Error> {
    let account = user.account();
    let vk = dealt
        .commitments
        .verifying_key()
        .map_err(|e| Error::InvalidInput(e.to_string()))?;
    let groups = state.servers_by_subgroup().await?;
    if groups.len() != dealt.shares.len() {
        return Err(Error::VerificationFailed(format!(
            "the chain has {} subgroups, the key was dealt into {}",
            groups.len(),
            dealt.shares.len()
        )));
    }
    let mut posts = Vec::new();
    for (g, servers) in groups.iter().enumerate() {
        let payload = DealtShare::new(account, g as u8, &dealt.shares[g]).to_json();
        for (_, server) in servers {
            let envelope =
                EncryptedSignedMessage::seal(user, &payload, &server.x25519_public_key, None)
                    .map_err(|e| {
                        Error::VerificationFailed(format!(
                            "server {}'s key: {e}",
                            server.tss_account
                        ))
                    })?;
            let member = Member::new(g as u8, server);
            posts.push(async move {
                let receipt = crate::servers::post_dealt_share(io, server, &envelope).await?;
                let subgroup = state.subgroup_of_tss(&receipt.server).await?;
                receipt
                    .verify(&account, InclusionBlock(n), &vk, |_| subgroup)
                    .map_err(|e| Error::VerificationFailed(e.to_string()))?;
                progress(Progress::ShareDelivered {
                    subgroup: member.subgroup,
                    server: member.tss_account,
                });
                Ok(DeliveredShare { member, receipt })
            });
        }
    }
    crate::concurrency::all_at_once(posts).await
}
