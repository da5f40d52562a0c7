//! What one connection has already read from the chain, by block hash.
//!
//! A block's state, events and extrinsics never change once the block exists, so whatever was
//! read at a block hash answers every later read there. A connection that follows many
//! registrations at once (a dapp's back end, the benchmark's clients, a threshold server)
//! otherwise asks its node for the same block's events and body once per registration: at 100
//! registrations that is hundreds of identical hex-encoded answers per block, and the nodes'
//! RPC threads spent ~40% of their CPU on them. Readers that arrive while a value is being
//! fetched wait for that fetch instead of sending their own; a failed fetch is not kept, so the
//! next reader tries again.
//!
//! A submitted transaction's outcome is read the same way: the block's body and events once
//! ([`Applied`]), not once per transaction (subxt's own check, `wait_for_success`, fetches both,
//! and the block's client with a runtime call, for every transaction it follows).
//!
//! Bounded: [`MAX_KEPT_BLOCKS`] blocks per connection (the oldest kept is dropped first), and
//! [`MAX_KEPT_READS`] storage values per block.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};

use entropy_register_client::backend::{RawEvent, RawExtrinsic};

/// Most blocks kept per connection.
pub const MAX_KEPT_BLOCKS: usize = 32;

/// Most storage values kept for one block (reads beyond it go to the node).
pub const MAX_KEPT_READS: usize = 4096;

/// One extrinsic of a block as it was applied: its hash and the events it emitted, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Applied {
    /// `blake2_256` of the extrinsic's bytes (the transaction hash the pool reports).
    pub(crate) hash: [u8; 32],
    /// Its events (phase `ApplyExtrinsic` of its index).
    pub(crate) events: Vec<RawEvent>,
}

/// A value fetched once, for every reader (an async once-cell whose failures are not kept).
pub(crate) struct Once<T>(futures::lock::Mutex<Option<T>>);

impl<T> Default for Once<T> {
    fn default() -> Self {
        Once(futures::lock::Mutex::new(None))
    }
}

impl<T: Clone> Once<T> {
    /// The kept value, or `fetch`'s (kept when it succeeds). Concurrent callers wait for the
    /// first one's fetch.
    pub(crate) async fn get_or_fetch<E, F: Future<Output = Result<T, E>>>(
        &self,
        fetch: impl FnOnce() -> F,
    ) -> Result<T, E> {
        let mut slot = self.0.lock().await;
        if let Some(v) = slot.as_ref() {
            return Ok(v.clone());
        }
        let v = fetch().await?;
        *slot = Some(v.clone());
        Ok(v)
    }
}

/// What was read at one block.
pub(crate) struct KeptBlock<At> {
    /// The client at the block (its metadata, found with a runtime call).
    pub(crate) at: Once<At>,
    /// Storage values by key (`None`: absent).
    reads: Mutex<HashMap<Vec<u8>, Option<Vec<u8>>>>,
    pub(crate) events: Once<Vec<RawEvent>>,
    pub(crate) extrinsics: Once<Vec<RawExtrinsic>>,
    /// Each extrinsic's hash and events, in block order.
    pub(crate) applied: Once<Arc<Vec<Applied>>>,
}

impl<At> Default for KeptBlock<At> {
    fn default() -> Self {
        KeptBlock {
            at: Once::default(),
            reads: Mutex::default(),
            events: Once::default(),
            extrinsics: Once::default(),
            applied: Once::default(),
        }
    }
}

impl<At> KeptBlock<At> {
    /// The storage value kept for `key`, if it was read before (`Some(None)`: read, absent).
    pub(crate) fn read(&self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        self.reads.lock().ok()?.get(key).cloned()
    }

    /// Keeps a storage value read at this block (up to [`MAX_KEPT_READS`]).
    pub(crate) fn keep_read(&self, key: Vec<u8>, value: Option<Vec<u8>>) {
        if let Ok(mut r) = self.reads.lock() {
            if r.len() < MAX_KEPT_READS {
                r.insert(key, value);
            }
        }
    }
}

/// The blocks kept by one connection, by hash.
pub(crate) struct KeptBlocks<At> {
    inner: Mutex<Table<At>>,
}

/// The kept blocks by hash, and their hashes oldest first.
struct Table<At> {
    by_hash: HashMap<[u8; 32], Arc<KeptBlock<At>>>,
    order: VecDeque<[u8; 32]>,
}

impl<At> Default for KeptBlocks<At> {
    fn default() -> Self {
        KeptBlocks {
            inner: Mutex::new(Table {
                by_hash: HashMap::new(),
                order: VecDeque::new(),
            }),
        }
    }
}

impl<At> KeptBlocks<At> {
    /// The block `hash`'s entry, new (and empty) the first time; the oldest entry is dropped
    /// beyond [`MAX_KEPT_BLOCKS`] (readers holding it keep their copy).
    pub(crate) fn block(&self, hash: [u8; 32]) -> Arc<KeptBlock<At>> {
        let Ok(mut inner) = self.inner.lock() else {
            // A reader panicked while holding the table: read without keeping.
            return Arc::default();
        };
        let Table { by_hash, order } = &mut *inner;
        if let Some(b) = by_hash.get(&hash) {
            return b.clone();
        }
        let b: Arc<KeptBlock<At>> = Arc::default();
        by_hash.insert(hash, b.clone());
        order.push_back(hash);
        while order.len() > MAX_KEPT_BLOCKS {
            if let Some(old) = order.pop_front() {
                by_hash.remove(&old);
            }
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn one_fetch_answers_every_reader_and_a_failure_is_not_kept() {
        futures::executor::block_on(async {
            let once = Once::<u32>::default();
            let fetches = AtomicUsize::new(0);
            let fetch = |v: Result<u32, &'static str>| {
                let fetches = &fetches;
                move || async move {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    v
                }
            };
            assert_eq!(
                once.get_or_fetch(fetch(Err("node away"))).await,
                Err("node away")
            );
            let readers = (0..25).map(|i| once.get_or_fetch(fetch(Ok(i))));
            let answers = futures::future::join_all(readers).await;
            // The failed fetch and one successful one; every reader got the first value.
            assert_eq!(fetches.load(Ordering::SeqCst), 2);
            assert!(answers.iter().all(|a| *a == Ok(0)), "{answers:?}");
        });
    }

    #[test]
    fn blocks_are_shared_by_hash_and_bounded() {
        let kept = KeptBlocks::<()>::default();
        let a = kept.block([1; 32]);
        a.keep_read(b"key".to_vec(), None);
        assert_eq!(kept.block([1; 32]).read(b"key"), Some(None));
        assert_eq!(kept.block([1; 32]).read(b"other"), None);
        for i in 0..MAX_KEPT_BLOCKS as u8 {
            kept.block([i + 2; 32]);
        }
        // Block [1; 32] was the oldest: dropped, so it starts empty again.
        assert_eq!(kept.block([1; 32]).read(b"key"), None);
        // The reader that held it keeps its copy.
        assert_eq!(a.read(b"key"), Some(None));
        assert_eq!(kept.inner.lock().unwrap().by_hash.len(), MAX_KEPT_BLOCKS);
    }

    #[test]
    fn reads_per_block_are_bounded() {
        let b = KeptBlock::<()>::default();
        for i in 0..MAX_KEPT_READS + 10 {
            b.keep_read(i.to_le_bytes().to_vec(), Some(vec![1]));
        }
        assert_eq!(b.reads.lock().unwrap().len(), MAX_KEPT_READS);
        assert_eq!(b.read(&(MAX_KEPT_READS + 1).to_le_bytes()), None);
    }
}
