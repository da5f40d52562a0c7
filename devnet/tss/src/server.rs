//! The server's shared state and the registration work it does for one account after an
//! accepted `/user/new`: DKG, encrypted storage, forwarding to the subgroup, confirmation,
//! receipt (docs/protocol.md, "Network DKG"; run concurrently per account).

use std::collections::HashMap;

use entropy_register_core::api::{self, routes, ApiCode};
use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::dkg::KeyShare;
use entropy_register_core::envelope::EncryptedSignedMessage;
use entropy_register_core::keys::TssKeys;
use entropy_register_core::session::SessionId;
use entropy_register_core::share_transfer::UserRegistrationInfo;
use entropy_register_core::types::{
    AccountId32, KeyVisibility, RegisteringDetails, ServerInfo, ValidatorInfo,
};
use entropy_register_core::verify::Receipt;

use crate::chain::{Chain, ChainAt, ChainError, ConfirmError, Confirmer};
use crate::early::{EarlyDkgs, Taken};
use crate::sessions::{self, DkgPlan, SessionError, Sessions, TestFault};
use crate::store::{Store, StoreError};

/// Store key of the blocks served by `/user/new` (`new_user::ServedBlocks`; the reference keeps
/// only the latest one, under `LATEST_BLOCK_NUMBER_NEW_USER`).
pub const SERVED_BLOCKS_KEY: &str = "NEW_USER_SERVED_BLOCKS";

/// How many times a share is sent to a subgroup peer whose connection fails or who answers
/// `503 Busy`.
pub const FORWARD_TRIES: u32 = 3;

/// Store key of the receipt for the registration of `account` included in `block`.
pub fn receipt_key(account: &AccountId32, block: InclusionBlock) -> String {
    format!("RECEIPT_{}_{}", account.to_ss58(), block.0)
}

/// A threshold server.
pub struct Server {
    /// Its identity.
    pub keys: TssKeys,
    /// Its encrypted store.
    pub store: Store,
    /// Its chain connection.
    pub chain: Chain,
    /// Its confirmation submitter.
    pub confirmer: Confirmer,
    /// Its open DKG sessions.
    pub sessions: Sessions,
    /// Serializes `/user/new` judgements (replay protection).
    pub new_user_lock: tokio::sync::Mutex<()>,
    /// One lock per block N whose `/user/new` copies are being judged: every validator's
    /// off-chain worker sends a copy, and they arrive and see finality together; the first reads
    /// the chain, the others wait for it and find the block served without reading
    /// ([`Server::judging`]).
    pub judging: std::sync::Mutex<HashMap<u32, BlockLock>>,
    /// The chain's heads as last read ([`Chain::watch_heads`]).
    pub heads: tokio::sync::watch::Receiver<crate::chain::Heads>,
    /// The server's bounds.
    pub limits: crate::limits::Limits,
    /// Places for `/user/new` requests waiting for finality ([`Limits::max_new_user_waiting`](crate::limits::Limits::max_new_user_waiting)).
    pub new_user_waiting: tokio::sync::Semaphore,
    /// HTTP client for forwarding shares.
    pub http: reqwest::Client,
    /// Digests of the client-dealt shares this server accepted, by account (what subgroup
    /// peers compare; not secret).
    pub dealt_digests: std::sync::Mutex<HashMap<AccountId32, [u8; 32]>>,
    /// Test-only fault switch (`--test-fault`); `None` in use.
    pub fault: Option<crate::sessions::TestFault>,
    /// DKGs started before their `/user/new` ([`crate::early`]).
    pub early: EarlyDkgs,
}

/// Why a registration failed on this server (logged; nothing is confirmed).
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// The account is not registering on chain.
    #[error("account {0} is not registering on chain")]
    NotRegistering(AccountId32),
    /// The message's committee is unusable.
    #[error("bad committee entry: {0}")]
    BadCommittee(String),
    /// This server is not a threshold server on chain.
    #[error("this server is not registered on chain")]
    NotOnChain,
    /// The DKG failed.
    #[error("DKG: {0}")]
    Session(#[from] SessionError),
    /// Storing failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Chain access failed.
    #[error("chain: {0}")]
    Chain(#[from] ChainError),
    /// The confirmation was not submitted.
    #[error(transparent)]
    Confirm(#[from] ConfirmError),
    /// A subgroup peer refused the forwarded share.
    #[error("server {server} refused the share: HTTP {status}: {body}")]
    ForwardRejected {
        /// The peer's endpoint.
        server: String,
        /// HTTP status.
        status: u16,
        /// Its answer.
        body: String,
    },
    /// A subgroup peer could not be reached.
    #[error("cannot reach {server}: {why}")]
    ForwardFailed {
        /// The peer's endpoint.
        server: String,
        /// Why.
        why: String,
    },
}

/// The lock of one block's `/user/new` copies.
pub type BlockLock = std::sync::Arc<tokio::sync::Mutex<()>>;

/// Block `n`'s lock in `locks`, made if missing. Only blocks from `finalized - keep` on keep a
/// lock: the others are dropped first, and a block below that (a stale request, refused by the
/// judgement) gets a lock of its own that is not kept. So the table holds at most the blocks
/// between that floor and the best head, whatever block numbers requests name.
fn block_lock(locks: &mut HashMap<u32, BlockLock>, n: u32, keep: u32, finalized: u32) -> BlockLock {
    let floor = finalized.saturating_sub(keep);
    locks.retain(|&b, _| b >= floor);
    if n < floor {
        return BlockLock::default();
    }
    locks.entry(n).or_default().clone()
}

/// The committee of the registrations included in block `n` (rotation index N+1), in DKG
/// order, read in `state`.
pub async fn committee_of(state: &ChainAt, n: u32) -> Result<Vec<ValidatorInfo>, ChainError> {
    Ok(state
        .committee(InclusionBlock(n).committee_block())
        .await?
        .iter()
        .map(ValidatorInfo::from)
        .collect())
}

/// Who takes part in one account's DKG: the committee in DKG order and, in Private mode, the
/// user. Two runs of one session with equal parties are runs of the same DKG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkgParties {
    /// The committee: account, `host:port`, Noise static key (protocol order).
    pub members: Vec<(AccountId32, String, [u8; 32])>,
    /// Private mode: the user's account and Noise static key.
    pub user: Option<(AccountId32, [u8; 32])>,
}

impl DkgParties {
    /// The parties of `account`'s DKG with `committee` (in DKG order) and key mode
    /// `visibility`.
    pub fn new(
        committee: &[ValidatorInfo],
        account: AccountId32,
        visibility: &KeyVisibility,
    ) -> Result<Self, RegistrationError> {
        let mut members = Vec::new();
        for v in committee {
            let a: [u8; 32] = v.tss_account.as_slice().try_into().map_err(|_| {
                RegistrationError::BadCommittee("TSS account is not 32 bytes".into())
            })?;
            let endpoint = String::from_utf8(v.ip_address.clone())
                .map_err(|_| RegistrationError::BadCommittee("endpoint is not UTF-8".into()))?;
            members.push((AccountId32(a), endpoint, v.x25519_public_key));
        }
        let user = match visibility {
            KeyVisibility::Private(pk) => Some((account, *pk)),
            KeyVisibility::Public => None,
        };
        Ok(DkgParties { members, user })
    }

    /// Server `me`'s plan for session `sid` with these parties.
    pub fn plan(&self, sid: SessionId, me: AccountId32, fault: Option<TestFault>) -> DkgPlan {
        let mut plan = DkgPlan::new(sid, me, &self.members, self.user);
        plan.fault = fault;
        plan
    }
}

/// This server's subgroup and the subgroup's other members: read once for all the
/// registrations of one accepted `/user/new`.
pub struct Place {
    /// The subgroup.
    pub subgroup: u8,
    /// Its other servers (who get the share forwarded).
    pub peers: Vec<ServerInfo>,
}

impl Server {
    /// The lock of block `n`'s `/user/new` copies; the locks of blocks more than `keep` below
    /// the finalized head are forgotten (none is held for long: a copy holds it while it reads
    /// and judges).
    pub fn judging(&self, n: u32, keep: u32) -> BlockLock {
        let finalized = self.heads.borrow().finalized;
        block_lock(
            &mut self.judging.lock().expect("judging lock"),
            n,
            keep,
            finalized,
        )
    }

    /// Stores a new key share under `key` ([`Store::insert_new`]). With the test fault
    /// `fail-share-write` the write fails, as on a full disk, and nothing is stored.
    pub fn store_new_share(&self, key: &str, share: &[u8]) -> Result<(), StoreError> {
        if self.fault == Some(crate::sessions::TestFault::FailShareWrite) {
            return Err(StoreError::Io(
                "test fault: writing the share failed (as on a full disk)".into(),
            ));
        }
        self.store.insert_new(key, share)
    }

    /// This server's TSS account.
    pub fn account(&self) -> AccountId32 {
        self.keys.account.account()
    }

    /// This server's [`Place`] in `state`.
    pub async fn place_at(&self, state: &ChainAt) -> Result<Place, RegistrationError> {
        let me = self.account();
        let subgroup = state
            .subgroup_of_tss(&me)
            .await?
            .ok_or(RegistrationError::NotOnChain)?;
        let peers = state
            .subgroup_servers(subgroup)
            .await?
            .into_iter()
            .map(|(_, info)| info)
            .filter(|info| info.tss_account != me)
            .collect();
        Ok(Place { subgroup, peers })
    }

    /// The registration of one account in block `block` by `committee` (in DKG order);
    /// `details` is its request in block N's state.
    pub async fn register_account(
        &self,
        block: InclusionBlock,
        account: AccountId32,
        details: &RegisteringDetails,
        committee: &[ValidatorInfo],
        place: &Place,
    ) -> Result<KeyShare, RegistrationError> {
        let me = self.account();
        let Place { subgroup, peers } = place;
        let subgroup = *subgroup;
        let parties = DkgParties::new(committee, account, &details.key_visibility)?;
        let sid = SessionId::dkg(account, block);
        // The DKG session ends with the test signature: a key whose shares do not sign is
        // never stored or confirmed. (Only the benchmark's `--test-fault skip-test-signature`
        // ends it without one.) An early run of this DKG with the same parties (crate::early)
        // is this registration's DKG, failed or not: its session waited `SETUP_TIMEOUT` from
        // block N on, as long as one opened now would from here, and the other parties took
        // its outcome too. The DKG runs now when there was none, or one of other parties.
        let early = match self.early.take(&sid, &parties) {
            Taken::Same(outcome) => match outcome.await {
                Ok(Err(SessionError::AlreadyRunning)) | Err(_) => None,
                Ok(done) => Some(done?),
            },
            Taken::Other(outcome) => {
                tracing::info!(%account, block = block.0, "the early DKG had other parties: running it again");
                let _ = outcome.await;
                None
            }
            Taken::None => None,
        };
        let early_dkg = early.is_some();
        let (share, test_signature) = match early {
            Some(done) => done,
            None => {
                let plan = parties.plan(sid, me, self.fault);
                let secret = self.keys.x25519.secret_bytes();
                sessions::run_dkg(&self.sessions, plan, &self.keys.account, &secret).await?
            }
        };
        let vk = share.verifying_key();
        let key = vk.to_hex();
        self.store_new_share(&key, &share.to_bytes())?;
        match &test_signature {
            Some(sig) => {
                tracing::info!(%account, block = block.0, vk = %key, early_dkg, test_signature = ?sig, "key generated, test signature verified, share stored")
            }
            None => {
                tracing::warn!(%account, block = block.0, vk = %key, early_dkg, "key generated without a test signature (benchmark switch), share stored")
            }
        }

        self.forward(account, peers, &share).await?;
        let included = self.confirmer.confirm(account, subgroup, vk).await?;
        tracing::info!(%account, subgroup, block = included.block, "confirmed on chain");
        let receipt = Receipt::sign(
            &self.keys.account,
            account,
            block,
            subgroup,
            vk,
            test_signature,
        );
        let json = serde_json::to_vec(&receipt).expect("plain data serializes");
        self.store.replace(&receipt_key(&account, block), &json)?;
        Ok(share)
    }

    /// Sends the share to the other members of the subgroup (`/user/receive_key`).
    async fn forward(
        &self,
        account: AccountId32,
        peers: &[ServerInfo],
        share: &KeyShare,
    ) -> Result<(), RegistrationError> {
        let payload = zeroize::Zeroizing::new(UserRegistrationInfo::new(account, share).to_json());
        for info in peers {
            let server = String::from_utf8_lossy(&info.endpoint).into_owned();
            let envelope = EncryptedSignedMessage::seal(
                &self.keys.account,
                &payload,
                &info.x25519_public_key,
                None,
            )
            .map_err(|e| RegistrationError::ForwardFailed {
                server: server.clone(),
                why: e.to_string(),
            })?;
            // A connection that fails or a peer at its bounds (`503 Busy`) is tried again; any
            // other answer is final.
            let mut tries = 0;
            let resp = loop {
                tries += 1;
                let sent = self
                    .http
                    .post(api::url(&server, routes::RECEIVE_KEY))
                    .header("content-type", "application/json")
                    .body(envelope.to_json())
                    .send()
                    .await;
                let again = match &sent {
                    Ok(r) => r.status().as_u16() == ApiCode::Busy.status(),
                    Err(e) => !e.is_timeout(),
                };
                if !again || tries == FORWARD_TRIES {
                    break sent.map_err(|e| RegistrationError::ForwardFailed {
                        server: server.clone(),
                        why: e.to_string(),
                    })?;
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            };
            let status = resp.status().as_u16();
            if status != 200 {
                let body = resp.text().await.unwrap_or_default();
                return Err(RegistrationError::ForwardRejected {
                    server,
                    status,
                    body,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{block_lock, BlockLock};
    use std::collections::HashMap;

    #[test]
    fn copies_of_one_block_share_a_lock_and_old_blocks_are_forgotten() {
        let mut locks: HashMap<u32, BlockLock> = HashMap::new();
        let a = block_lock(&mut locks, 10, 5, 9);
        let b = block_lock(&mut locks, 10, 5, 9);
        assert!(std::sync::Arc::ptr_eq(&a, &b), "one lock per block");
        let held = a.try_lock().unwrap();
        assert!(b.try_lock().is_err(), "a second copy waits for the first");
        drop(held);
        let other = block_lock(&mut locks, 11, 5, 10);
        assert!(!std::sync::Arc::ptr_eq(&a, &other));
        block_lock(&mut locks, 15, 5, 15);
        assert!(locks.contains_key(&10), "10 >= 15 - 5: kept");
        block_lock(&mut locks, 16, 5, 16);
        assert!(!locks.contains_key(&10), "10 < 16 - 5: forgotten");
        assert_eq!(locks.len(), 3, "11, 15 and 16");
    }

    #[test]
    fn stale_block_numbers_do_not_grow_the_table() {
        let mut locks: HashMap<u32, BlockLock> = HashMap::new();
        // Requests naming ever older blocks, the finalized head at 1000.
        for n in (0..1000).rev() {
            block_lock(&mut locks, n, 5, 1000);
        }
        assert_eq!(locks.len(), 5, "995..=999 and nothing older");
        assert!(locks.keys().all(|&b| b >= 995));
        let a = block_lock(&mut locks, 3, 5, 1000);
        let b = block_lock(&mut locks, 3, 5, 1000);
        assert!(
            !std::sync::Arc::ptr_eq(&a, &b),
            "a stale block's lock is not kept"
        );
    }
}
