//! The server's chain access: a connection to its own validator's node (retried while the node
//! starts; on failure it moves to the next node of its list, so a server outlives its node being
//! down), the client crate's typed reads (one implementation of every storage read and of the committee rule for the
//! client, the servers and the tools), and `confirm_register` submissions with local nonces.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use codec::Encode;
use entropy_register_client::backend::{Call, Chain as _};
use entropy_register_core::keys::Sr25519Pair;
use entropy_register_core::types::{AccountId32, ConfirmRegisterArgs, VerifyingKey};
use entropy_register_subxt::{Included, SubxtChain, SubxtState};
use tokio::sync::Mutex;

pub use entropy_register_client::reads::ChainError;

/// The chain state at one block, read through the core's types.
pub type ChainAt = entropy_register_client::reads::State<SubxtState>;

/// A connection to one of the chain nodes the server was given (its own validator's first).
#[derive(Clone)]
pub struct Chain {
    urls: Arc<Vec<String>>,
    current: Arc<RwLock<(usize, SubxtChain)>>,
}

/// Which state to read: the latest finalized block or a block number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// The latest finalized block.
    Latest,
    /// A block number (of the finalized chain: only ask for blocks at or below `Latest`).
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

/// How often [`Chain::watch_heads`] reads the heads.
pub const HEADS_POLL: Duration = Duration::from_millis(200);

impl Chain {
    /// Starts one task that reads the heads every [`HEADS_POLL`] for as long as a receiver is
    /// kept: every request that waits for a block to be finalized watches this one reading
    /// instead of asking the node itself.
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

/// Submits `confirm_register` for a server with locally tracked nonces, so that concurrent DKGs
/// confirm in parallel without nonce clashes: each new confirmation takes the next nonce, never
/// below the node pool's next index (`system_accountNextIndex`: the chain's nonce plus this
/// account's ready transactions); the nonce of a failed submission is handed out again first, so
/// a gap it leaves cannot hold up the later ones, unless the pool shows it used by then. The
/// pool is asked only for the first nonce and after a failure: while every submission succeeds,
/// the next nonce is local (asking the node under the lock for each of 300 confirmations
/// serialized them to about ten a second at 500 registrations).
pub struct Confirmer {
    chain: Chain,
    signer: Sr25519Pair,
    nonces: Mutex<Nonces>,
}

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
    /// A confirmer for `signer` (the server's TSS account).
    pub fn new(chain: Chain, signer: Sr25519Pair) -> Self {
        Confirmer {
            chain,
            signer,
            nonces: Mutex::new(Nonces::default()),
        }
    }

    /// Confirms `vk` for `account` as a member of `subgroup`; tries up to [`CONFIRM_ATTEMPTS`]
    /// times (a reorganisation, a pruned block or a nonce taken by a sibling confirmation are
    /// transient on a real network); returns the block it was included in.
    pub async fn confirm(
        &self,
        account: AccountId32,
        subgroup: u8,
        vk: VerifyingKey,
    ) -> Result<Included, ConfirmError> {
        let call = Call {
            pallet: "Registry",
            name: "confirm_register",
            args: ConfirmRegisterArgs {
                sig_req_account: account,
                signing_subgroup: subgroup,
                verifying_key: vk.to_bounded(),
            }
            .encode(),
        };
        let mut last = String::new();
        for attempt in 0..CONFIRM_ATTEMPTS {
            let nonce = {
                let mut nonces = self.nonces.lock().await;
                match nonces.take_local() {
                    Some(n) => n,
                    None => {
                        let pool_next = self
                            .chain
                            .subxt()
                            .account_nonce(&self.signer.account())
                            .await
                            .map_err(|e| ConfirmError(e.to_string()))?;
                        nonces.take(pool_next)
                    }
                }
            };
            match self
                .chain
                .subxt()
                .submit_signed(&call, &self.signer, Some(nonce))
                .await
            {
                Ok(inc) => return Ok(inc),
                Err(e) => {
                    tracing::warn!(attempt, nonce, %account, "confirm_register failed: {e}");
                    self.nonces.lock().await.give_back(nonce);
                    last = e;
                    tokio::time::sleep(Duration::from_millis(1000)).await;
                    // If the node is down, this read moves the server to another one.
                    if let Some(done) = self.already_confirmed(&account, subgroup, &vk).await {
                        return Ok(done);
                    }
                }
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Nonces;

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
