//! The server's chain access: a connection to its own validator's node (retried while the node
//! starts; on failure it moves to the next node of its list, so a server outlives its node being
//! down), the client crate's typed reads (one implementation of every storage read and of the committee rule for the
//! client, the servers and the tools), and `confirm_register` submissions, batched, with local
//! nonces.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use entropy_register_client::backend::{Call, Chain as _, WaitFor};
use entropy_register_core::batch::{encode_confirmations, MAX_BATCHED_CONFIRMATIONS};
use entropy_register_core::keys::Sr25519Pair;
use entropy_register_core::types::{AccountId32, ConfirmRegisterArgs, VerifyingKey};
use entropy_register_subxt::{Included, SubxtChain, SubxtState};
use futures::StreamExt;

pub use entropy_register_client::reads::ChainError;
use entropy_register_client::reads::UTILITY;

/// The chain state at one block, read through the core's types.
pub type ChainAt = entropy_register_client::reads::State<SubxtState>;

/// A connection to one of the chain nodes the server was given (its own validator's first).
#[derive(Clone)]
pub struct Chain {
    urls: Arc<Vec<String>>,
    current: Arc<RwLock<(usize, SubxtChain)>>,
    /// Connections to the other nodes of `urls` for [`Chain::hand_to_others`], made on first
    /// use (index = the URL's).
    others: Arc<tokio::sync::Mutex<Vec<Option<SubxtChain>>>>,
}

/// Which state to read: the latest finalized block or a block number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// The latest finalized block.
    Latest,
    /// The block the node has at this height now (below `Latest`, the finalized one; above
    /// it, its best chain's, which a reorganisation may replace).
    Block(u32),
}

/// The best and the finalized block numbers of the node in use, as last read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Heads {
    /// The best block (not necessarily final).
    pub best: u32,
    /// The latest finalized block.
    pub finalized: u32,
}

/// Which head a node announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    Best,
    Finalized,
}

impl Heads {
    /// A node announced block `n` as its new best or finalized head. The best head is the one
    /// announced (after a reorganisation it can go back), never below the finalized one; the
    /// finalized head only moves forward.
    fn announced(&mut self, head: Head, n: u32) {
        match head {
            Head::Best => self.best = n,
            Head::Finalized => self.finalized = self.finalized.max(n),
        }
        self.best = self.best.max(self.finalized);
    }
}

/// How long [`Chain::hand_to_others`] waits to connect to another node.
pub const HAND_OVER_CONNECT: Duration = Duration::from_secs(2);

/// How long [`Chain::watch_heads`] waits before it reads the heads again when the node's
/// announcements end.
pub const HEADS_POLL: Duration = Duration::from_millis(200);

impl Chain {
    /// Starts one task that keeps the heads for as long as a receiver is kept: every request
    /// that waits for a block to be finalized watches this one reading instead of asking the
    /// node itself. The task reads both heads, then follows the node's own announcements of
    /// new best and finalized blocks (no polling delay); when a subscription ends or fails (the
    /// node went away) it reads again after [`HEADS_POLL`] (moving to another node if this one
    /// does not answer) and subscribes again.
    pub fn watch_heads(&self) -> tokio::sync::watch::Receiver<Heads> {
        let (tx, rx) = tokio::sync::watch::channel(Heads::default());
        let chain = self.clone();
        tokio::spawn(async move {
            while !tx.is_closed() {
                let subxt = chain.subxt();
                let (best, finalized) = futures::join!(subxt.best_number(), chain.best_block());
                if let (Ok(best), Ok(finalized)) = (best, finalized) {
                    tx.send_replace(Heads {
                        best: best.max(finalized),
                        finalized,
                    });
                    // The connection in use now (the read above may have moved to another).
                    let subxt = chain.subxt();
                    if let (Ok(best), Ok(finalized)) = futures::join!(
                        subxt.head_numbers(WaitFor::InBlock),
                        subxt.head_numbers(WaitFor::Finalized)
                    ) {
                        // Either subscription ending or failing ends the following.
                        let ended = || futures::stream::once(futures::future::ready(None));
                        let announced = futures::stream::select(
                            best.map(|n| Some((Head::Best, n))).chain(ended()),
                            finalized.map(|n| Some((Head::Finalized, n))).chain(ended()),
                        );
                        let mut announced = std::pin::pin!(announced);
                        while let Some(Some((head, Ok(n)))) = announced.next().await {
                            tx.send_modify(|h| h.announced(head, n));
                            if tx.is_closed() {
                                return;
                            }
                        }
                    }
                }
                tokio::time::sleep(HEADS_POLL).await;
            }
        });
        rx
    }

    /// Connects to the first of `urls` that answers (a loopback `ws://` URL is allowed),
    /// trying them in turn for up to `wait`.
    pub async fn connect(urls: &[String], wait: Duration) -> Result<Self, ChainError> {
        if urls.is_empty() {
            return Err(ChainError::Unreachable("no chain endpoint given".into()));
        }
        let start = std::time::Instant::now();
        loop {
            let mut last = String::new();
            for (i, url) in urls.iter().enumerate() {
                match SubxtChain::connect(url).await {
                    Ok(inner) => {
                        return Ok(Chain {
                            urls: Arc::new(urls.to_vec()),
                            current: Arc::new(RwLock::new((i, inner))),
                            others: Arc::new(tokio::sync::Mutex::new(vec![None; urls.len()])),
                        })
                    }
                    Err(e) => last = format!("cannot reach {url}: {e}"),
                }
            }
            if start.elapsed() >= wait {
                return Err(ChainError::Unreachable(last));
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// The subxt connection in use.
    pub fn subxt(&self) -> SubxtChain {
        self.current.read().expect("chain lock").1.clone()
    }

    /// Hands a signed extrinsic to every node of the list but the one in use, at once, so that
    /// the next author has it whoever it is, without waiting for the pool's gossip (which
    /// passed some transactions on only at its rebroadcast, seconds later). Best effort: a node
    /// that cannot be reached within [`HAND_OVER_CONNECT`] or refuses it is skipped (the node in
    /// use follows the transaction). Returns how many nodes took it.
    pub async fn hand_to_others(&self, signed: &[u8]) -> usize {
        let current = self.current.read().expect("chain lock").0;
        let mut targets = Vec::new();
        {
            let mut others = self.others.lock().await;
            for (i, url) in self.urls.iter().enumerate() {
                if i == current {
                    continue;
                }
                if others[i].is_none() {
                    let connect = SubxtChain::connect(url);
                    if let Ok(Ok(c)) = tokio::time::timeout(HAND_OVER_CONNECT, connect).await {
                        others[i] = Some(c);
                    }
                }
                if let Some(c) = &others[i] {
                    targets.push((i, c.clone()));
                }
            }
        }
        let results = futures::future::join_all(
            targets
                .iter()
                .map(|(_, c)| c.submit_encoded(signed.to_vec())),
        )
        .await;
        let mut took = 0;
        let mut others = self.others.lock().await;
        for ((i, _), r) in targets.iter().zip(results) {
            match r {
                Ok(()) => took += 1,
                // A pool's answer ("already imported": gossip was first; or a refusal) keeps
                // the connection: the node in use follows the transaction. Any other error
                // drops it, to be made again next time (the node may have restarted).
                Err(e) => {
                    tracing::debug!(url = %self.urls[*i], "handing over a transaction: {e}");
                    if !e.pool_answered() {
                        others[*i] = None;
                    }
                }
            }
        }
        took
    }

    /// The URL in use.
    pub fn url(&self) -> String {
        let i = self.current.read().expect("chain lock").0;
        self.urls[i].clone()
    }

    /// Moves to the next node of the list that answers (after the one in use, wrapping
    /// around); keeps the current one when none does.
    pub async fn failover(&self) -> Result<(), ChainError> {
        let from = self.current.read().expect("chain lock").0;
        let n = self.urls.len();
        for step in 1..=n {
            let i = (from + step) % n;
            if let Ok(inner) = SubxtChain::connect(&self.urls[i]).await {
                tracing::warn!(from = %self.urls[from], to = %self.urls[i], "chain node failover");
                *self.current.write().expect("chain lock") = (i, inner);
                return Ok(());
            }
        }
        Err(ChainError::Unreachable(format!(
            "none of the {n} chain endpoints answers"
        )))
    }

    /// The latest finalized block number.
    pub async fn best_block(&self) -> Result<u32, ChainError> {
        Ok(self.at(At::Latest).await?.number())
    }

    /// The state at `at`, for several reads of one consistent state. A node that does not
    /// answer makes the server move to the next one and ask once more.
    pub async fn at(&self, at: At) -> Result<ChainAt, ChainError> {
        match self.at_once(at).await {
            Err(ChainError::Unreachable(e)) if self.urls.len() > 1 => {
                tracing::warn!(url = %self.url(), "chain read failed: {e}");
                self.failover().await?;
                self.at_once(at).await
            }
            r => r,
        }
    }

    async fn at_once(&self, at: At) -> Result<ChainAt, ChainError> {
        let chain = self.subxt();
        Ok(ChainAt::new(match at {
            At::Latest => chain.finalized().await?,
            At::Block(n) => chain.at(n).await?,
        }))
    }
}

/// How many times a confirmation is submitted before the registration counts as failed here.
pub const CONFIRM_ATTEMPTS: u32 = 5;
/// After the last refused attempt, how long the finalized state is watched for a confirmation
/// that an earlier attempt made after all (finality lags the best head by a few blocks).
pub const CONFIRM_SETTLE: Duration = Duration::from_secs(15);

/// Why a confirmation was not submitted.
#[derive(Debug, thiserror::Error)]
#[error("confirm_register failed: {0}")]
pub struct ConfirmError(pub String);

/// Submits a server's `confirm_register` calls, batched: one background task takes the
/// confirmations that are waiting, puts them (up to [`MAX_BATCHED_CONFIRMATIONS`]) in one
/// `Utility.force_batch` (`entropy_register_core::batch`) and hands it to the node; the
/// confirmations that arrive meanwhile go in the next batch. So a server's transactions reach the
/// pool one after the other in nonce order: a later nonce never waits in the pool's future queue,
/// where a transaction is gossiped to the other validators only at the pool's next periodic
/// rebroadcast (at 100 registrations in one block, individual concurrent submissions left
/// confirmations in one node's pool for seconds while the other validators authored empty
/// blocks). A registration alone is submitted at once, in a batch of one.
///
/// Nonces are tracked locally: each batch takes the next nonce, never below the node pool's
/// next index (`system_accountNextIndex`: the chain's nonce plus this account's ready
/// transactions); the nonce of a failed submission is handed out again first, so a gap it leaves
/// cannot hold up the later ones, unless the pool shows it used by then. The pool is asked only
/// for the first nonce and after a failure.
pub struct Confirmer {
    chain: Chain,
    queue: tokio::sync::mpsc::Sender<Waiting>,
}

/// A confirmation waiting for its batch, and where its outcome goes.
struct Waiting {
    args: ConfirmRegisterArgs,
    outcome: tokio::sync::oneshot::Sender<Result<Included, String>>,
}

/// Most confirmations waiting for a batch (the DKG sessions' own bound is far lower); a
/// confirmation beyond it waits for room.
pub const MAX_WAITING: usize = 4096;

/// How long the next batch waits for the node to take the previous one.
const POOL_TAKE_WAIT: Duration = Duration::from_secs(10);

/// The confirmer's nonces: the next one never handed out, and those handed out whose
/// transaction failed (they may still be free: a gap that holds up every later confirmation).
#[derive(Debug, Default)]
struct Nonces {
    next: Option<u64>,
    returned: std::collections::BTreeSet<u64>,
}

impl Nonces {
    /// The nonce for the next transaction, given the pool's next index (the chain's nonce plus
    /// the account's ready transactions): the lowest returned nonce the pool still lacks, else
    /// the next new one (never below the pool's: another client may have used the account).
    fn take(&mut self, pool_next: u64) -> u64 {
        self.returned.retain(|n| *n >= pool_next);
        if let Some(n) = self.returned.pop_first() {
            return n;
        }
        let n = self.next.map_or(pool_next, |next| next.max(pool_next));
        self.next = Some(n + 1);
        n
    }

    /// The next nonce without asking the pool, when that is safe: one was handed out before and
    /// no failed submission left a nonce to check against the pool.
    fn take_local(&mut self) -> Option<u64> {
        if !self.returned.is_empty() {
            return None;
        }
        let n = self.next?;
        self.next = Some(n + 1);
        Some(n)
    }

    /// `n`'s transaction failed: `n` may be reused (if the pool shows it unused by then).
    fn give_back(&mut self, n: u64) {
        self.returned.insert(n);
    }
}

impl Confirmer {
    /// A confirmer for `signer` (the server's TSS account); starts its batching task on the
    /// current tokio runtime (it ends when the confirmer is dropped).
    pub fn new(chain: Chain, signer: Sr25519Pair) -> Self {
        let (queue, waiting) = tokio::sync::mpsc::channel(MAX_WAITING);
        tokio::spawn(batches(chain.clone(), signer, waiting));
        Confirmer { chain, queue }
    }

    /// Confirms `vk` for `account` as a member of `subgroup`; tries up to [`CONFIRM_ATTEMPTS`]
    /// times (a reorganisation, a pruned block or a nonce taken by a sibling confirmation are
    /// transient on a real network); returns the finalized block it was included in.
    pub async fn confirm(
        &self,
        account: AccountId32,
        subgroup: u8,
        vk: VerifyingKey,
    ) -> Result<Included, ConfirmError> {
        let args = ConfirmRegisterArgs {
            sig_req_account: account,
            signing_subgroup: subgroup,
            verifying_key: vk.to_bounded(),
        };
        let mut last = String::new();
        for attempt in 0..CONFIRM_ATTEMPTS {
            let (outcome, result) = tokio::sync::oneshot::channel();
            let waiting = Waiting {
                args: args.clone(),
                outcome,
            };
            if self.queue.send(waiting).await.is_err() {
                return Err(ConfirmError("the confirmer has stopped".into()));
            }
            match result.await {
                Ok(Ok(inc)) => return Ok(inc),
                Ok(Err(e)) => {
                    tracing::warn!(attempt, %account, "confirm_register failed: {e}");
                    last = e;
                    tokio::time::sleep(Duration::from_millis(1000)).await;
                    // If the node is down, this read moves the server to another one.
                    if let Some(done) = self.already_confirmed(&account, subgroup, &vk).await {
                        return Ok(done);
                    }
                }
                Err(_) => return Err(ConfirmError("the confirmer has stopped".into())),
            }
        }
        // A refused submission may be a copy of one that is in a block already (the pool then
        // answers "already confirmed" or "not registering"): give finality time to show it.
        let until = tokio::time::Instant::now() + CONFIRM_SETTLE;
        while tokio::time::Instant::now() < until {
            if let Some(done) = self.already_confirmed(&account, subgroup, &vk).await {
                return Ok(done);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Err(ConfirmError(last))
    }

    /// Whether the finalized state holds this server's confirmation after all (an earlier
    /// attempt's transaction was included although a later submission was refused): the
    /// subgroup among the account's confirmations, or, once the registration completed, the
    /// key registered (a key of this server's own DKG is no other account's). `None` when it
    /// does not, or the state cannot be read; the block is the finalized block read (no events).
    async fn already_confirmed(
        &self,
        account: &AccountId32,
        subgroup: u8,
        vk: &VerifyingKey,
    ) -> Option<Included> {
        let state = self.chain.at(At::Latest).await.ok()?;
        let done = match state.registering(account).await.ok()? {
            Some(details) => details.confirmations.contains(&subgroup),
            None => state.registered(vk).await.ok()?.is_some(),
        };
        done.then(|| Included {
            block: state.number(),
            events: Vec::new(),
            items: Vec::new(),
        })
    }
}

/// The confirmer's task: one batch of the waiting confirmations at a time, handed to the node
/// before the next is built; each batch's outcome is awaited (finality) in a task of its own.
async fn batches(
    chain: Chain,
    signer: Sr25519Pair,
    mut waiting: tokio::sync::mpsc::Receiver<Waiting>,
) {
    let nonces = Arc::new(std::sync::Mutex::new(Nonces::default()));
    while let Some(first) = waiting.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCHED_CONFIRMATIONS {
            match waiting.try_recv() {
                Ok(w) => batch.push(w),
                Err(_) => break,
            }
        }
        let local = nonces.lock().expect("nonces lock").take_local();
        let nonce = match local {
            Some(n) => n,
            None => match chain.subxt().account_nonce(&signer.account()).await {
                Ok(pool_next) => nonces.lock().expect("nonces lock").take(pool_next),
                Err(e) => {
                    fail(batch, &e.to_string());
                    continue;
                }
            },
        };
        let call = Call {
            pallet: UTILITY,
            name: "force_batch",
            args: encode_confirmations(batch.iter().map(|w| &w.args)),
        };
        let (handed, accepted) = tokio::sync::oneshot::channel();
        let (chain, signer, nonces) = (chain.clone(), signer.clone(), nonces.clone());
        tokio::spawn(async move {
            let subxt = chain.subxt();
            let submitted = match subxt.sign_immortal(&call, &signer, Some(nonce)).await {
                Ok(signed) => subxt
                    .submit_encoded_then(signed.clone())
                    .await
                    .map(|finalized| (signed, finalized))
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            let outcome = match submitted {
                Ok((signed, finalized)) => {
                    let _ = handed.send(());
                    // The other validators get it too, while this node follows it.
                    let relay = chain.clone();
                    tokio::spawn(async move { relay.hand_to_others(&signed).await });
                    finalized.await
                }
                Err(e) => {
                    let _ = handed.send(());
                    Err(e)
                }
            };
            match outcome {
                Ok(included) => settle(batch, included),
                Err(e) => {
                    nonces.lock().expect("nonces lock").give_back(nonce);
                    fail(batch, &e);
                }
            }
        });
        // The next batch is built once the node has this one (or refused it), or after
        // `POOL_TAKE_WAIT` if the node does not answer (this batch then settles on its own).
        let _ = tokio::time::timeout(POOL_TAKE_WAIT, accepted).await;
    }
}

/// Every confirmation of a batch failed with `why`.
fn fail(batch: Vec<Waiting>, why: &str) {
    for w in batch {
        let _ = w.outcome.send(Err(why.to_string()));
    }
}

/// Hands each confirmation of an included batch its call's outcome (`ItemCompleted` or
/// `ItemFailed`, in the order of the calls).
fn settle(batch: Vec<Waiting>, included: Included) {
    let calls = batch.len();
    for (i, w) in batch.into_iter().enumerate() {
        let outcome = match included.items.get(i) {
            Some(Ok(())) => Ok(Included {
                block: included.block,
                events: Vec::new(),
                items: Vec::new(),
            }),
            Some(Err(e)) => Err(format!("in block {}: {e}", included.block)),
            None => Err(format!(
                "block {} reports {} outcomes for a batch of {calls}",
                included.block,
                included.items.len()
            )),
        };
        let _ = w.outcome.send(outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::{settle, Head, Heads, Included, Nonces, Waiting};
    use entropy_register_client::backend::DispatchFailure;
    use entropy_register_core::types::{AccountId32, BoundedVec, ConfirmRegisterArgs};

    #[test]
    fn announced_heads() {
        let mut h = Heads {
            best: 10,
            finalized: 8,
        };
        h.announced(Head::Best, 11);
        assert_eq!((h.best, h.finalized), (11, 8));
        // A reorganisation to a shorter fork: the best head goes back.
        h.announced(Head::Best, 10);
        assert_eq!((h.best, h.finalized), (10, 8));
        // Finality moves forward only, and carries the best head with it.
        h.announced(Head::Finalized, 9);
        h.announced(Head::Finalized, 7);
        assert_eq!((h.best, h.finalized), (10, 9));
        h.announced(Head::Finalized, 12);
        assert_eq!((h.best, h.finalized), (12, 12));
        // A best head announced below the finalized one does not pass it.
        h.announced(Head::Best, 11);
        assert_eq!((h.best, h.finalized), (12, 12));
    }

    #[test]
    fn each_batched_confirmation_gets_its_own_calls_outcome() {
        let mut results = Vec::new();
        let batch: Vec<Waiting> = (0..3u8)
            .map(|n| {
                let (outcome, result) = tokio::sync::oneshot::channel();
                results.push(result);
                Waiting {
                    args: ConfirmRegisterArgs {
                        sig_req_account: AccountId32([n; 32]),
                        signing_subgroup: 0,
                        verifying_key: BoundedVec::new(vec![2; 33]).unwrap(),
                    },
                    outcome,
                }
            })
            .collect();
        let included = Included {
            block: 7,
            events: Vec::new(),
            // The third call has no outcome: a batch the chain reports short.
            items: vec![
                Ok(()),
                Err(DispatchFailure::Module {
                    pallet: "Registry".into(),
                    error: "AlreadyConfirmed".into(),
                }),
            ],
        };
        settle(batch, included);
        let mut got: Vec<_> = results
            .into_iter()
            .map(|mut r| r.try_recv().unwrap())
            .collect();
        assert_eq!(got.remove(0).unwrap().block, 7);
        assert_eq!(
            got.remove(0).unwrap_err(),
            "in block 7: Registry::AlreadyConfirmed"
        );
        assert!(got
            .remove(0)
            .unwrap_err()
            .contains("2 outcomes for a batch of 3"));
    }

    #[test]
    fn nonces_count_up_from_the_pool_and_fill_gaps_first() {
        let mut n = Nonces::default();
        assert_eq!(n.take(5), 5);
        assert_eq!(n.take(5), 6, "in flight, not in the pool yet");
        assert_eq!(n.take(6), 7);
        n.give_back(6);
        assert_eq!(n.take(6), 6, "the gap first");
        assert_eq!(n.take(7), 8, "never a nonce still in flight");
        n.give_back(7);
        assert_eq!(n.take(9), 9, "7 was used after all: the pool is past it");
        assert_eq!(n.take(20), 20, "another client used the account");
    }

    #[test]
    fn the_pool_is_asked_first_and_after_a_failure_only() {
        let mut n = Nonces::default();
        assert_eq!(n.take_local(), None, "the first nonce comes from the pool");
        assert_eq!(n.take(5), 5);
        assert_eq!(n.take_local(), Some(6));
        assert_eq!(n.take_local(), Some(7));
        n.give_back(6);
        assert_eq!(n.take_local(), None, "a failure: ask the pool");
        assert_eq!(n.take(6), 6, "the gap first");
        assert_eq!(n.take_local(), Some(8));
    }
}
