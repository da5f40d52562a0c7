//! The `/user/new` acceptance rule (§3.3, §4.3) as a pure function: the server gathers the chain
//! facts, this module decides. No IO.

use alloc::vec::Vec;
use codec::{Decode, Encode};

use crate::committee::InclusionBlock;
use crate::types::{OcwMessageDkg, ValidatorInfo};

/// How many blocks the server's chain view (its latest *finalized* block) may run ahead of the
/// off-chain worker block N+1 before a request counts as stale. The reference demands
/// `best - 1 == N` exactly, which races block production on any real network; the servers judge
/// against finalized state, which a request reaches only after GRANDPA finalizes N+1 (2–4
/// blocks after it is authored on the devnet), and requests of the other validators' off-chain
/// workers for the same N arrive later still. `Dkg[N]` is pruned at N+2, so the account-list
/// check reads `Dkg[N]` in the state of block N+1 either way.
pub const FRESHNESS_WINDOW_BLOCKS: u32 = 16;

/// The facts a server needs to judge a `/user/new` request.
#[derive(Debug, Clone)]
pub struct NewUserFacts<'a> {
    /// The server's own TSS account (32 bytes).
    pub own_tss_account: [u8; 32],
    /// Whether block N was already served (see [`ServedBlocks`]).
    pub already_served: bool,
    /// The latest block number of the server's chain view (the servers use the finalized head).
    pub best_block: u32,
    /// `Registry::Dkg(N)` as read from the chain at a block ≤ N+1 (`None` if absent).
    pub onchain_accounts: Option<&'a [Vec<u8>]>,
    /// The committee the server itself computed from chain state for N+1, if it did
    /// (recommended: the reference does not re-check the message's committee).
    pub expected_committee: Option<&'a [ValidatorInfo]>,
    /// Accepted distance between `best` and N+1, normally [`FRESHNESS_WINDOW_BLOCKS`].
    pub freshness_window: u32,
}

/// What the server answers when the request is well-formed and consistent (or harmless).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewUserVerdict {
    /// No accounts registered in N: answer 204.
    NothingToDo,
    /// This server is not in the committee: answer 421.
    NotInCommittee,
    /// Accept: answer 200, store N as served, run one DKG per account.
    Accept {
        /// Inclusion block N (the DKG session block).
        block: InclusionBlock,
        /// The server's DKG party index (= its position in `validators_info`).
        party_index: u16,
        /// The registering accounts.
        accounts: Vec<[u8; 32]>,
    },
}

/// Why a `/user/new` request is refused (answered with an error status, nothing changes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NewUserRejection {
    /// The body is not a SCALE `OcwMessageDkg`.
    #[error("the body is not a SCALE-encoded OcwMessageDkg: {0}")]
    Malformed(alloc::string::String),
    /// Block N was already served (replay).
    #[error("data is repeated: block {block} was already served")]
    Repeated {
        /// N of the request.
        block: u32,
    },
    /// N is too old or not yet seen by this server's chain view.
    #[error("data is stale: block {block} is outside the accepted window (best block {best})")]
    Stale {
        /// N of the request.
        block: u32,
        /// The server's best block.
        best: u32,
    },
    /// The account list does not hash to `Registry::Dkg(N)`.
    #[error(
        "data is not verifiable: the account list does not match Registry::Dkg({block}) on chain"
    )]
    NotVerifiable {
        /// N of the request.
        block: u32,
    },
    /// The message's committee differs from the one computed from chain state.
    #[error("the committee in the request is not the one chosen on chain for block {block}")]
    CommitteeMismatch {
        /// N of the request.
        block: u32,
    },
    /// An account entry is not 32 bytes.
    #[error("account entry {index} is {len} bytes, not 32")]
    BadAccount {
        /// Position in the list.
        index: usize,
        /// Its length.
        len: usize,
    },
}

/// Decodes a raw `/user/new` body; the whole body must be consumed.
pub fn decode_request(body: &[u8]) -> Result<OcwMessageDkg, NewUserRejection> {
    crate::storage::decode_value(body).map_err(NewUserRejection::Malformed)
}

/// The blocks a server has served through `/user/new` (a request for one of them again is a
/// replay). A set, not the reference's single "latest block": on a real network the requests of
/// two blocks can be judged out of order (each waits for its own block's finality), and a
/// "latest" rule would then refuse the older block's registrations for good. Blocks older than
/// the freshness window are dropped: a request for them is stale anyway. Stored as SCALE
/// `Vec<u32>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Encode, Decode)]
pub struct ServedBlocks(Vec<u32>);

impl ServedBlocks {
    /// Whether `block` was served.
    pub fn contains(&self, block: u32) -> bool {
        self.0.contains(&block)
    }

    /// Records `block` as served, forgetting blocks that a server whose finalized head is
    /// `best` judges stale whatever they hold.
    pub fn record(&mut self, block: u32, best: u32) {
        let oldest_fresh = best.saturating_sub(FRESHNESS_WINDOW_BLOCKS + 1);
        self.0.retain(|b| *b >= oldest_fresh && *b != block);
        self.0.push(block);
        self.0.sort_unstable();
    }

    /// The stored form.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode()
    }

    /// Reads the stored form (`None` if it is not one).
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        crate::storage::decode_value(b).ok()
    }
}

/// Judges a decoded request against chain facts, in the reference's order: empty → 204,
/// not a member → 421, then replay, freshness, account-list digest (and committee, if known).
pub fn judge(
    msg: &OcwMessageDkg,
    facts: &NewUserFacts<'_>,
) -> Result<NewUserVerdict, NewUserRejection> {
    if msg.sig_request_accounts.is_empty() {
        return Ok(NewUserVerdict::NothingToDo);
    }
    let Some(party_index) = msg
        .validators_info
        .iter()
        .position(|v| v.tss_account.as_slice() == facts.own_tss_account.as_slice())
    else {
        return Ok(NewUserVerdict::NotInCommittee);
    };
    let n = msg.block_number;
    if facts.already_served {
        return Err(NewUserRejection::Repeated { block: n });
    }
    // Fresh iff N+1 <= best <= N+1+window.
    let ocw_block = n as u64 + 1;
    let best = facts.best_block as u64;
    if best < ocw_block || best - ocw_block > facts.freshness_window as u64 {
        return Err(NewUserRejection::Stale {
            block: n,
            best: facts.best_block,
        });
    }
    // The chain side hashes SCALE(Option): an absent Dkg[N] (`None`) never matches.
    let claimed = crate::hashing::account_list_digest(&msg.sig_request_accounts);
    if crate::hashing::blake2s_256(&facts.onchain_accounts.encode()) != claimed {
        return Err(NewUserRejection::NotVerifiable { block: n });
    }
    if let Some(expected) = facts.expected_committee {
        if expected != msg.validators_info.as_slice() {
            return Err(NewUserRejection::CommitteeMismatch { block: n });
        }
    }
    let mut accounts = Vec::with_capacity(msg.sig_request_accounts.len());
    for (index, a) in msg.sig_request_accounts.iter().enumerate() {
        let arr: [u8; 32] = a
            .as_slice()
            .try_into()
            .map_err(|_| NewUserRejection::BadAccount {
                index,
                len: a.len(),
            })?;
        accounts.push(arr);
    }
    Ok(NewUserVerdict::Accept {
        block: InclusionBlock(n),
        party_index: party_index as u16,
        accounts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const ME: [u8; 32] = [2; 32];

    fn msg(n: u32) -> OcwMessageDkg {
        OcwMessageDkg {
            block_number: n,
            sig_request_accounts: vec![vec![7; 32]],
            validators_info: vec![
                ValidatorInfo {
                    x25519_public_key: [1; 32],
                    ip_address: b"127.0.0.1:3001".to_vec(),
                    tss_account: vec![9; 32],
                },
                ValidatorInfo {
                    x25519_public_key: [1; 32],
                    ip_address: b"127.0.0.1:3002".to_vec(),
                    tss_account: ME.to_vec(),
                },
            ],
        }
    }

    fn facts<'a>(onchain: Option<&'a [Vec<u8>]>, best: u32, served: &[u32]) -> NewUserFacts<'a> {
        let mut set = ServedBlocks::default();
        for b in served {
            set.record(*b, best);
        }
        NewUserFacts {
            own_tss_account: ME,
            already_served: set.contains(10),
            best_block: best,
            onchain_accounts: onchain,
            expected_committee: None,
            freshness_window: FRESHNESS_WINDOW_BLOCKS,
        }
    }

    #[test]
    fn accepts_consistent_request() {
        let m = msg(10);
        let on = m.sig_request_accounts.clone();
        let v = judge(&m, &facts(Some(&on), 11, &[9])).unwrap();
        assert_eq!(
            v,
            NewUserVerdict::Accept {
                block: InclusionBlock(10),
                party_index: 1,
                accounts: vec![[7; 32]]
            }
        );
    }

    #[test]
    fn replay_and_staleness_edges() {
        let m = msg(10);
        let on = m.sig_request_accounts.clone();
        assert!(matches!(
            judge(&m, &facts(Some(&on), 11, &[10])),
            Err(NewUserRejection::Repeated { .. })
        ));
        // A later block served first (requests judged out of order) does not make N a replay.
        assert!(judge(&m, &facts(Some(&on), 12, &[11])).is_ok());
        // best == N: the OCW block is not yet visible here.
        assert!(matches!(
            judge(&m, &facts(Some(&on), 10, &[])),
            Err(NewUserRejection::Stale { .. })
        ));
        // best == N+1+window is the last fresh block; one more is stale.
        assert!(judge(&m, &facts(Some(&on), 11 + FRESHNESS_WINDOW_BLOCKS, &[])).is_ok());
        assert!(matches!(
            judge(&m, &facts(Some(&on), 12 + FRESHNESS_WINDOW_BLOCKS, &[])),
            Err(NewUserRejection::Stale { .. })
        ));
    }

    #[test]
    fn served_blocks_are_a_set_that_forgets_stale_blocks() {
        let mut s = ServedBlocks::default();
        s.record(12, 13);
        s.record(10, 13);
        s.record(12, 13);
        assert!(s.contains(10) && s.contains(12) && !s.contains(11));
        assert_eq!(ServedBlocks::from_bytes(&s.to_bytes()), Some(s.clone()));
        // Once the finalized head is past 10 + 1 + window, block 10 is stale: forgotten.
        s.record(40, 12 + FRESHNESS_WINDOW_BLOCKS);
        assert!(!s.contains(10) && s.contains(12) && s.contains(40));
        assert_eq!(ServedBlocks::from_bytes(&[1, 2]), None);
    }

    #[test]
    fn forged_lists_and_membership() {
        let m = msg(10);
        let other = vec![vec![8u8; 32]];
        assert_eq!(
            judge(&m, &facts(Some(&other), 11, &[])),
            Err(NewUserRejection::NotVerifiable { block: 10 })
        );
        assert_eq!(
            judge(&m, &facts(None, 11, &[])),
            Err(NewUserRejection::NotVerifiable { block: 10 })
        );
        let mut not_me = m.clone();
        not_me.validators_info.pop();
        assert_eq!(
            judge(&not_me, &facts(Some(&m.sig_request_accounts), 11, &[])),
            Ok(NewUserVerdict::NotInCommittee)
        );
        let mut empty = m.clone();
        empty.sig_request_accounts.clear();
        assert_eq!(
            judge(&empty, &facts(None, 11, &[])),
            Ok(NewUserVerdict::NothingToDo)
        );
        let on = m.sig_request_accounts.clone();
        let wrong_committee = vec![m.validators_info[1].clone()];
        let mut f = facts(Some(&on), 11, &[]);
        f.expected_committee = Some(&wrong_committee);
        assert_eq!(
            judge(&m, &f),
            Err(NewUserRejection::CommitteeMismatch { block: 10 })
        );
    }

    #[test]
    fn malformed_bodies() {
        assert!(matches!(
            decode_request(&[1, 2, 3]),
            Err(NewUserRejection::Malformed(_))
        ));
        let mut body = msg(1).encode();
        body.push(0);
        assert!(matches!(
            decode_request(&body),
            Err(NewUserRejection::Malformed(_))
        ));
        assert_eq!(decode_request(&msg(1).encode()).unwrap(), msg(1));
    }
}
