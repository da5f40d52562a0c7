//! DKGs started early. As soon as a server's node has block N with registrations for a
//! committee this server belongs to (N as its best block, not yet final), the server opens
//! their DKG sessions, before the off-chain worker's `/user/new` arrives (with block N+1) and
//! before GRANDPA finalizes N. What an early DKG produces stays in memory: it is not stored,
//! forwarded or confirmed until `/user/new` for N is accepted, judged against the finalized
//! chain as before. The accepted registration takes the early result when the session, the
//! committee and the user's key mode it was run for are the ones it was judged with, and waits
//! for it while it runs; otherwise (a block of an abandoned fork, a committee that N+1
//! changed, a failed early run) the early result is dropped and the DKG runs as it did before
//! (docs/decisions.md, "Early DKG").

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::dkg::KeyShare;
use entropy_register_core::session::SessionId;
use entropy_register_core::test_signature::TestSignature;
use entropy_register_core::types::AccountId32;
use tokio::sync::oneshot;

use crate::chain::At;
use crate::server::{committee_of, DkgParties, RegistrationError, Server};
use crate::sessions::{self, SessionError};

/// At most this many early DKGs are kept (running or finished, not yet taken); the
/// registrations of a block beyond it wait for `/user/new` as before. Early DKGs share the
/// cores with the nodes while they import and finalize the block: without this bound, 416
/// registrations in one block started as many DKGs at once on each server, and the nodes
/// forked and stopped finalizing for ~25 s (registration-bench, 500 in one round).
pub const MAX_EARLY_DKGS: usize = 128;
/// Early DKGs of blocks more than this many blocks below the finalized head are dropped (their
/// `/user/new` is stale by then).
pub const KEEP_BLOCKS: u32 = entropy_register_core::new_user::FRESHNESS_WINDOW_BLOCKS + 2;
/// At most this many blocks below a new best head are looked at when the head jumps.
pub const LOOK_BACK: u32 = 2;

/// What a DKG session yields: the share and the test signature.
pub type DkgOutcome = Result<(KeyShare, Option<TestSignature>), SessionError>;

/// One early DKG.
struct Early {
    block: u32,
    parties: DkgParties,
    outcome: oneshot::Receiver<DkgOutcome>,
}

/// What [`EarlyDkgs::take`] found for a session.
pub enum Taken {
    /// No early DKG of this session.
    None,
    /// An early DKG of this session with the same parties: its outcome, when it ends.
    Same(oneshot::Receiver<DkgOutcome>),
    /// An early DKG of this session with other parties: it must end before the session can
    /// be opened again.
    Other(oneshot::Receiver<DkgOutcome>),
}

/// The early DKGs of one server, by session.
#[derive(Default)]
pub struct EarlyDkgs {
    runs: Mutex<HashMap<SessionId, Early>>,
}

impl EarlyDkgs {
    /// Keeps an early DKG of `sid` (block `block`, `parties`) whose outcome `outcome` will
    /// carry. `false` (nothing kept) when one of that session is already kept or
    /// [`MAX_EARLY_DKGS`] are.
    fn insert(
        &self,
        sid: SessionId,
        block: u32,
        parties: DkgParties,
        outcome: oneshot::Receiver<DkgOutcome>,
    ) -> bool {
        let mut runs = self.runs.lock().expect("not poisoned");
        if runs.len() >= MAX_EARLY_DKGS || runs.contains_key(&sid) {
            return false;
        }
        runs.insert(
            sid,
            Early {
                block,
                parties,
                outcome,
            },
        );
        true
    }

    /// Removes the early DKG of `sid`, if any, and says whether it was run with `parties`.
    pub fn take(&self, sid: &SessionId, parties: &DkgParties) -> Taken {
        match self.runs.lock().expect("not poisoned").remove(sid) {
            None => Taken::None,
            Some(e) if &e.parties == parties => Taken::Same(e.outcome),
            Some(e) => Taken::Other(e.outcome),
        }
    }

    /// Drops the early DKGs of blocks below `floor` (a running one goes on until its session
    /// ends; its outcome is dropped).
    fn forget_below(&self, floor: u32) {
        self.runs
            .lock()
            .expect("not poisoned")
            .retain(|_, e| e.block >= floor);
    }

    /// How many early DKGs are kept.
    pub fn len(&self) -> usize {
        self.runs.lock().expect("not poisoned").len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Follows the server's best head for as long as the server lives: each new best block is
/// looked at (at most [`LOOK_BACK`] blocks below the head when it jumps) and its registrations'
/// early DKGs are started. Blocks before the server's first reading are not looked at.
pub async fn follow(s: Arc<Server>) {
    let mut heads = s.heads.clone();
    let mut seen = heads.borrow().best;
    while heads.changed().await.is_ok() {
        let h = *heads.borrow_and_update();
        s.early
            .forget_below(h.finalized.saturating_sub(KEEP_BLOCKS));
        if h.best <= seen {
            // The same height or a reorganisation to a lower one: the blocks there were
            // looked at (a replaced block's registrations wait for `/user/new`).
            continue;
        }
        for n in (seen + 1).max(h.best.saturating_sub(LOOK_BACK))..=h.best {
            let s = s.clone();
            tokio::spawn(async move {
                if let Err(e) = start(&s, n).await {
                    tracing::debug!(block = n, "no early DKG: {e}");
                }
            });
        }
        seen = h.best;
    }
}

/// Starts the early DKGs of block `n` (the node's block at that height now) where this server
/// is in the committee.
async fn start(s: &Arc<Server>, n: u32) -> Result<(), RegistrationError> {
    let seen = std::time::Instant::now();
    let state = s.chain.at(At::Block(n)).await?;
    let block = InclusionBlock(n);
    let accounts = state.dkg_accounts(n).await?;
    if accounts.is_empty() {
        return Ok(());
    }
    let committee = committee_of(&state, n).await?;
    let me = s.account();
    if !committee.iter().any(|v| v.tss_account == me.0) {
        return Ok(());
    }
    // One request for all the registrations' requests (one read each took ~0.6 s for 100
    // under load: the off-chain worker's `/user/new` came first).
    let accounts: Vec<AccountId32> = accounts
        .iter()
        .filter_map(|a| <[u8; 32]>::try_from(a.as_slice()).ok().map(AccountId32))
        .collect();
    let requests = state.registering_many(&accounts).await?;
    let mut started = 0usize;
    for (account, details) in accounts.into_iter().zip(requests) {
        let Some(details) = details else {
            continue;
        };
        let parties = DkgParties::new(&committee, account, &details.key_visibility)?;
        let sid = SessionId::dkg(account, block);
        let (tx, rx) = oneshot::channel();
        if !s.early.insert(sid, n, parties.clone(), rx) {
            continue;
        }
        let plan = parties.plan(sid, me, s.fault);
        let s = s.clone();
        tokio::spawn(async move {
            let secret = s.keys.x25519.secret_bytes();
            let outcome = sessions::run_dkg(&s.sessions, plan, &s.keys.account, &secret).await;
            if let Err(e) = &outcome {
                tracing::debug!(%account, block = n, "early DKG failed: {e}");
            }
            let _ = tx.send(outcome);
        });
        started += 1;
    }
    if started > 0 {
        tracing::info!(
            block = n,
            started,
            took_ms = seen.elapsed().as_millis() as u64,
            "early DKGs started"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parties(port: u16) -> DkgParties {
        DkgParties {
            members: vec![(AccountId32([1; 32]), format!("127.0.0.1:{port}"), [2; 32])],
            user: None,
        }
    }

    fn sid(user: u8, block: u32) -> SessionId {
        SessionId::dkg(AccountId32([user; 32]), InclusionBlock(block))
    }

    #[test]
    fn taken_once_and_only_with_the_same_parties() {
        let early = EarlyDkgs::default();
        let (_tx, rx) = oneshot::channel();
        assert!(early.insert(sid(7, 10), 10, parties(1), rx));
        let (_tx2, rx2) = oneshot::channel();
        assert!(
            !early.insert(sid(7, 10), 10, parties(1), rx2),
            "one per session"
        );
        assert!(matches!(
            early.take(&sid(7, 10), &parties(2)),
            Taken::Other(_)
        ));
        assert!(matches!(early.take(&sid(7, 10), &parties(2)), Taken::None));
        let (_tx, rx) = oneshot::channel();
        assert!(early.insert(sid(7, 10), 10, parties(1), rx));
        assert!(matches!(early.take(&sid(7, 11), &parties(1)), Taken::None));
        assert!(matches!(
            early.take(&sid(7, 10), &parties(1)),
            Taken::Same(_)
        ));
        assert!(early.is_empty());
    }

    #[test]
    fn old_blocks_are_forgotten_and_the_table_is_bounded() {
        let early = EarlyDkgs::default();
        for b in 0..4u32 {
            let (_tx, rx) = oneshot::channel();
            assert!(early.insert(sid(1, b), b, parties(1), rx));
        }
        early.forget_below(2);
        assert_eq!(early.len(), 2);
        assert!(matches!(early.take(&sid(1, 1), &parties(1)), Taken::None));
        for i in 0..MAX_EARLY_DKGS {
            let (_tx, rx) = oneshot::channel();
            let user = AccountId32(
                u32::try_from(i)
                    .unwrap()
                    .to_le_bytes()
                    .repeat(8)
                    .try_into()
                    .unwrap(),
            );
            early.insert(SessionId::dkg(user, InclusionBlock(9)), 9, parties(1), rx);
        }
        assert_eq!(early.len(), MAX_EARLY_DKGS);
    }
}
