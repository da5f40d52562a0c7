//! The encrypted key store (§4.7): an embedded redb database whose every value is an
//! XChaCha20-Poly1305 record under a key derived from the server's password (the core's record
//! format). Only the password salt is stored in the clear.
//!
//! Reservation: [`Store::reserve`] writes an (encrypted) empty value, [`Store::put`] only fills
//! a reserved key, and an empty value is never served by [`Store::get`]; a DKG that fails
//! between the two leaves nothing usable and [`Store::release`] removes the reservation.

use std::path::Path;
use std::sync::Mutex;

use entropy_register_core::dkg::KeyShare;
use entropy_register_core::kvdb::{
    KvdbError, RecordKey, ScryptParams, SALT_KEY, SALT_LEN, VERIFICATION_KEY, VERIFICATION_VALUE,
};
use entropy_register_core::types::VerifyingKey;
use rand::RngCore;
use redb::{Database, ReadableTable, TableDefinition};
use zeroize::Zeroizing;

const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("kv");

/// Key-store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The password does not open this store.
    #[error("the password does not open the key store at {0} (wrong password, or another server's data directory)")]
    WrongPassword(String),
    /// The database could not be opened or written.
    #[error("key store I/O: {0}")]
    Io(String),
    /// A record is corrupt or was tampered with.
    #[error("key store record {key}: {source}")]
    Record {
        /// The record's key.
        key: String,
        /// Why it cannot be opened.
        source: KvdbError,
    },
    /// `reserve` on a key that exists.
    #[error("key {0} already exists")]
    Exists(String),
    /// `put` on a key that was not reserved (or already holds a value).
    #[error("key {0} is not reserved")]
    NotReserved(String),
    /// The record under a verifying key does not hold a share of that key.
    #[error("the record of {key} is not a share of that key: {why}")]
    BadShare {
        /// The verifying key (hex).
        key: String,
        /// What is wrong.
        why: String,
    },
}

fn io<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Io(e.to_string())
}

/// The encrypted store.
pub struct Store {
    db: Database,
    key: RecordKey,
    /// Writes waiting to be committed ([`Store::write`]).
    queue: Mutex<Vec<Queued>>,
    /// Held while one batch of writes is committed.
    committing: Mutex<()>,
}

/// One write of one key.
enum Write {
    /// An empty value under a key that does not exist.
    Reserve,
    /// Fill a reserved key.
    Put(Zeroizing<Vec<u8>>),
    /// A value under a key that does not exist (no reservation either).
    InsertNew(Zeroizing<Vec<u8>>),
    /// A value, whatever was there.
    Replace(Zeroizing<Vec<u8>>),
    /// Remove a reservation (a filled value stays).
    Release,
}

impl Write {
    /// The new value of `key` given its `current` one (`None`: absent or removed).
    fn apply(
        self,
        key: &str,
        current: Option<&[u8]>,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        match (self, current) {
            (Write::Reserve, Some(_)) | (Write::InsertNew(_), Some(_)) => {
                Err(StoreError::Exists(key.into()))
            }
            (Write::Reserve, None) => Ok(Some(Zeroizing::new(Vec::new()))),
            (Write::InsertNew(v), None) | (Write::Replace(v), _) => Ok(Some(v)),
            (Write::Put(v), Some([])) => Ok(Some(v)),
            (Write::Put(_), _) => Err(StoreError::NotReserved(key.into())),
            (Write::Release, Some([])) | (Write::Release, None) => Ok(None),
            (Write::Release, Some(v)) => Ok(Some(Zeroizing::new(v.to_vec()))),
        }
    }
}

/// A write waiting for its batch, and where its outcome goes.
struct Queued {
    key: String,
    write: Write,
    done: std::sync::mpsc::Sender<Result<(), StoreError>>,
}

impl Store {
    /// Opens (or creates) the store at `dir/kv.redb` with `password`. A new store gets a random
    /// salt and a verification record; an existing one must open its verification record.
    pub fn open(dir: &Path, password: &[u8], params: ScryptParams) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(io)?;
        let path = dir.join("kv.redb");
        let db = Database::create(&path).map_err(io)?;
        let salt = {
            let tx = db.begin_read().map_err(io)?;
            match tx.open_table(TABLE) {
                Ok(t) => t.get(SALT_KEY).map_err(io)?.map(|v| v.value().to_vec()),
                Err(redb::TableError::TableDoesNotExist(_)) => None,
                Err(e) => return Err(io(e)),
            }
        };
        let derive = |salt: &[u8]| {
            RecordKey::derive(password, salt, params).map_err(|source| StoreError::Record {
                key: SALT_KEY.into(),
                source,
            })
        };
        match salt {
            Some(salt) => {
                let store = Store::new(db, derive(&salt)?);
                match store.get_raw(VERIFICATION_KEY) {
                    Ok(Some(v)) if v.as_slice() == VERIFICATION_VALUE => Ok(store),
                    Ok(_) | Err(StoreError::Record { .. }) => {
                        Err(StoreError::WrongPassword(path.display().to_string()))
                    }
                    Err(e) => Err(e),
                }
            }
            None => {
                let mut salt = [0u8; SALT_LEN];
                rand::rngs::OsRng.fill_bytes(&mut salt);
                let store = Store::new(db, derive(&salt)?);
                let tx = store.db.begin_write().map_err(io)?;
                {
                    let mut t = tx.open_table(TABLE).map_err(io)?;
                    t.insert(SALT_KEY, salt.as_slice()).map_err(io)?;
                    let rec = store.key.seal_value(VERIFICATION_VALUE);
                    t.insert(VERIFICATION_KEY, rec.as_slice()).map_err(io)?;
                }
                tx.commit().map_err(io)?;
                Ok(store)
            }
        }
    }

    /// The decrypted value under `key`, including an empty (reserved) one.
    fn get_raw(&self, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        let tx = self.db.begin_read().map_err(io)?;
        let t = match tx.open_table(TABLE) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let Some(rec) = t.get(key).map_err(io)? else {
            return Ok(None);
        };
        self.key
            .open_value(rec.value())
            .map(Some)
            .map_err(|source| StoreError::Record {
                key: key.into(),
                source,
            })
    }

    /// The value under `key`; `None` if absent or only reserved.
    pub fn get(&self, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        Ok(self.get_raw(key)?.filter(|v| !v.is_empty()))
    }

    /// The share of `vk` this store holds, decrypted and parsed; `None` when there is none (or
    /// only a reservation). A record that does not parse, or holds a share of another key, is
    /// an error, never an answer.
    pub fn key_share(&self, vk: &VerifyingKey) -> Result<Option<KeyShare>, StoreError> {
        let key = vk.to_hex();
        let Some(bytes) = self.get(&key)? else {
            return Ok(None);
        };
        let bad = |why: String| StoreError::BadShare {
            key: key.clone(),
            why,
        };
        let share = KeyShare::from_bytes(&bytes).map_err(|e| bad(e.to_string()))?;
        if share.verifying_key() != *vk {
            return Err(bad(format!(
                "it is a share of {}",
                share.verifying_key().to_hex()
            )));
        }
        Ok(Some(share))
    }

    /// Whether a usable value exists under `key`.
    pub fn exists(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.get(key)?.is_some())
    }

    /// The names of the records holding a usable value (not reservations, the salt or the
    /// verification record), in order; the values stay encrypted. For checks of what a store
    /// holds (the network test lists every share a server kept).
    pub fn keys(&self) -> Result<Vec<String>, StoreError> {
        let tx = self.db.begin_read().map_err(io)?;
        let t = match tx.open_table(TABLE) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(io(e)),
        };
        let mut names = Vec::new();
        for entry in t.iter().map_err(io)? {
            let (k, _) = entry.map_err(io)?;
            let k = k.value();
            if k != SALT_KEY && k != VERIFICATION_KEY && self.exists(k)? {
                names.push(k.to_string());
            }
        }
        Ok(names)
    }

    fn new(db: Database, key: RecordKey) -> Self {
        Store {
            db,
            key,
            queue: Mutex::new(Vec::new()),
            committing: Mutex::new(()),
        }
    }

    /// Reserves `key` (fails if it exists).
    pub fn reserve(&self, key: &str) -> Result<(), StoreError> {
        self.write(key, Write::Reserve)
    }

    /// Fills a reserved `key` with `value`.
    pub fn put(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.write(key, Write::Put(Zeroizing::new(value.to_vec())))
    }

    /// Stores `value` under a new `key` in one transaction: fails if `key` exists (or is
    /// reserved), and a failed write leaves nothing behind.
    pub fn insert_new(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.write(key, Write::InsertNew(Zeroizing::new(value.to_vec())))
    }

    /// Writes `value` under `key` in one transaction, whatever was there (a replaced share, or a
    /// plain record such as a receipt).
    pub fn replace(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.write(key, Write::Replace(Zeroizing::new(value.to_vec())))
    }

    /// Removes a reservation that was never filled (a filled key is left alone).
    pub fn release(&self, key: &str) -> Result<(), StoreError> {
        self.write(key, Write::Release)
    }

    /// One write, durable when this returns `Ok`. Writes that arrive while a batch is being
    /// committed wait together and are committed as the next batch, in one transaction (one
    /// commit and its fsyncs instead of one each: at 100 registrations a server stored its
    /// shares one commit after the other, ~12 ms each, before it could confirm any). A write
    /// whose rule refuses it ([`StoreError::Exists`], [`StoreError::NotReserved`], a tampered
    /// record) changes nothing and fails alone; a failed commit fails its whole batch, and
    /// none of it is stored.
    fn write(&self, key: &str, write: Write) -> Result<(), StoreError> {
        if key == SALT_KEY || key == VERIFICATION_KEY {
            return Err(StoreError::Exists(key.into()));
        }
        let (done, outcome) = std::sync::mpsc::channel();
        self.queue.lock().expect("store queue").push(Queued {
            key: key.into(),
            write,
            done,
        });
        off_the_runtime(|| {
            // Whoever holds `committing` commits everything queued; a batch's outcomes are
            // sent before it lets go, so this write was either committed by an earlier holder
            // or is still queued now.
            let committing = self.committing.lock().expect("store commit lock");
            let batch = std::mem::take(&mut *self.queue.lock().expect("store queue"));
            if !batch.is_empty() {
                self.commit(batch);
            }
            drop(committing);
            outcome
                .recv()
                .unwrap_or_else(|_| Err(StoreError::Io("the write was dropped".into())))
        })
    }

    /// Applies `batch` in order in one transaction and sends each write its outcome.
    fn commit(&self, batch: Vec<Queued>) {
        let mut outcomes = Vec::with_capacity(batch.len());
        let committed = (|| {
            let tx = self.db.begin_write().map_err(io)?;
            {
                let mut t = tx.open_table(TABLE).map_err(io)?;
                for Queued { key, write, done } in batch {
                    let current = match t.get(key.as_str()).map_err(io)? {
                        Some(rec) => match self.key.open_value(rec.value()) {
                            Ok(v) => Some(v),
                            Err(source) => {
                                outcomes.push((done, Err(StoreError::Record { key, source })));
                                continue;
                            }
                        },
                        None => None,
                    };
                    match write.apply(&key, current.as_deref().map(|v| v.as_slice())) {
                        Ok(Some(v)) => {
                            let rec = self.key.seal_value(&v);
                            t.insert(key.as_str(), rec.as_slice()).map_err(io)?;
                            outcomes.push((done, Ok(())));
                        }
                        Ok(None) => {
                            t.remove(key.as_str()).map_err(io)?;
                            outcomes.push((done, Ok(())));
                        }
                        Err(e) => outcomes.push((done, Err(e))),
                    }
                }
            }
            tx.commit().map_err(io)
        })();
        for (done, outcome) in outcomes {
            let outcome = match &committed {
                Ok(()) => outcome,
                Err(e) => Err(StoreError::Io(format!("the batch was not committed: {e}"))),
            };
            let _ = done.send(outcome);
        }
    }
}

/// Runs a write that waits on the disk (the single writer's lock, the commit's fsync). On a
/// multi-threaded tokio runtime (the server's) the worker first hands its other tasks to
/// another thread, so requests and DKG sessions do not stall behind the store (at 500
/// registrations a server commits hundreds of forwarded shares within seconds; that this
/// stalled its workers was suspected, not measured).
fn off_the_runtime<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: ScryptParams = ScryptParams {
        log_n: 4,
        r: 8,
        p: 1,
    };

    fn tmp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("tss-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn insert_new_stores_once() {
        let d = tmp("insert");
        let s = Store::open(&d, b"pw", FAST).unwrap();
        s.insert_new("k", b"first").unwrap();
        assert!(matches!(
            s.insert_new("k", b"second"),
            Err(StoreError::Exists(_))
        ));
        assert_eq!(&s.get("k").unwrap().unwrap()[..], b"first");
        // A key held by a reservation is taken too.
        s.reserve("r").unwrap();
        assert!(matches!(
            s.insert_new("r", b"x"),
            Err(StoreError::Exists(_))
        ));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn reserve_put_get_and_reopen() {
        let d = tmp("basic");
        let s = Store::open(&d, b"pw", FAST).unwrap();
        assert!(s.get("k").unwrap().is_none());
        s.reserve("k").unwrap();
        assert!(
            s.get("k").unwrap().is_none(),
            "a reservation is not a value"
        );
        assert!(matches!(s.reserve("k"), Err(StoreError::Exists(_))));
        s.put("k", b"share bytes").unwrap();
        assert!(matches!(
            s.put("k", b"again"),
            Err(StoreError::NotReserved(_))
        ));
        assert!(matches!(
            s.put("other", b"x"),
            Err(StoreError::NotReserved(_))
        ));
        assert_eq!(&s.get("k").unwrap().unwrap()[..], b"share bytes");
        s.reserve("half").unwrap();
        s.release("half").unwrap();
        s.release("k").unwrap();
        assert!(s.exists("k").unwrap(), "release keeps filled values");
        s.reserve("half").unwrap();
        assert_eq!(
            s.keys().unwrap(),
            vec!["k".to_string()],
            "reservations are not listed"
        );
        drop(s);

        let bytes = std::fs::read(d.join("kv.redb")).unwrap();
        assert!(
            !bytes.windows(11).any(|w| w == b"share bytes"),
            "plaintext on disk"
        );
        let s = Store::open(&d, b"pw", FAST).unwrap();
        assert_eq!(&s.get("k").unwrap().unwrap()[..], b"share bytes");
        drop(s);
        assert!(matches!(
            Store::open(&d, b"wrong", FAST),
            Err(StoreError::WrongPassword(_))
        ));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn concurrent_writes_are_committed_together_and_fail_alone() {
        let d = tmp("group");
        let s = std::sync::Arc::new(Store::open(&d, b"pw", FAST).unwrap());
        s.insert_new("taken", b"old").unwrap();
        let writers: Vec<_> = (0..32)
            .map(|i| {
                let s = s.clone();
                std::thread::spawn(move || {
                    let mine = s.insert_new(&format!("k{i}"), format!("v{i}").as_bytes());
                    let taken = s.insert_new("taken", b"new");
                    (mine, taken)
                })
            })
            .collect();
        for w in writers {
            let (mine, taken) = w.join().unwrap();
            mine.unwrap();
            assert!(matches!(taken, Err(StoreError::Exists(_))));
        }
        assert_eq!(&s.get("taken").unwrap().unwrap()[..], b"old");
        drop(s);
        let s = Store::open(&d, b"pw", FAST).unwrap();
        for i in 0..32 {
            assert_eq!(
                &s.get(&format!("k{i}")).unwrap().unwrap()[..],
                format!("v{i}").as_bytes()
            );
        }
        assert_eq!(s.keys().unwrap().len(), 33);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_refused_write_in_a_batch_leaves_the_others() {
        let d = tmp("batch");
        let s = Store::open(&d, b"pw", FAST).unwrap();
        s.insert_new("a", b"1").unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let queued = |key: &str, write: Write| Queued {
            key: key.into(),
            write,
            done: tx.clone(),
        };
        s.commit(vec![
            queued("b", Write::InsertNew(Zeroizing::new(b"2".to_vec()))),
            queued("a", Write::InsertNew(Zeroizing::new(b"x".to_vec()))),
            queued("c", Write::Put(Zeroizing::new(b"x".to_vec()))),
            queued("b", Write::Replace(Zeroizing::new(b"3".to_vec()))),
        ]);
        drop(tx);
        let outcomes: Vec<_> = rx.iter().collect();
        assert!(outcomes[0].is_ok());
        assert!(matches!(outcomes[1], Err(StoreError::Exists(_))));
        assert!(matches!(outcomes[2], Err(StoreError::NotReserved(_))));
        assert!(
            outcomes[3].is_ok(),
            "a later write of the batch sees the earlier one"
        );
        assert_eq!(&s.get("a").unwrap().unwrap()[..], b"1");
        assert_eq!(&s.get("b").unwrap().unwrap()[..], b"3");
        assert!(s.get("c").unwrap().is_none());
        let _ = std::fs::remove_dir_all(&d);
    }
}
