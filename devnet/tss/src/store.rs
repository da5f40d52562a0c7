//! The encrypted key store (§4.7): an embedded redb database whose every value is an
//! XChaCha20-Poly1305 record under a key derived from the server's password (the core's record
//! format). Only the password salt is stored in the clear.
//!
//! Reservation: [`Store::reserve`] writes an (encrypted) empty value, [`Store::put`] only fills
//! a reserved key, and an empty value is never served by [`Store::get`]; a DKG that fails
//! between the two leaves nothing usable and [`Store::release`] removes the reservation.

use std::path::Path;

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
                let store = Store {
                    key: derive(&salt)?,
                    db,
                };
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
                let store = Store {
                    key: derive(&salt)?,
                    db,
                };
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

    /// Reserves `key` (fails if it exists).
    pub fn reserve(&self, key: &str) -> Result<(), StoreError> {
        self.write(key, |current| match current {
            Some(_) => Err(StoreError::Exists(key.into())),
            None => Ok(Some(Vec::new())),
        })
    }

    /// Fills a reserved `key` with `value`.
    pub fn put(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.write(key, |current| match current {
            Some([]) => Ok(Some(value.to_vec())),
            _ => Err(StoreError::NotReserved(key.into())),
        })
    }

    /// Stores `value` under a new `key`: reserves it, fills it, and removes the reservation
    /// again if the fill fails, so that a failed write leaves nothing behind. Fails if `key`
    /// exists.
    pub fn insert_new(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.reserve(key)?;
        self.put(key, value).inspect_err(|_| {
            let _ = self.release(key);
        })
    }

    /// Writes `value` under `key` in one transaction, whatever was there (a replaced share, or a
    /// plain record such as a receipt).
    pub fn replace(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.write(key, |_| Ok(Some(value.to_vec())))
    }

    /// Removes a reservation that was never filled (a filled key is left alone).
    pub fn release(&self, key: &str) -> Result<(), StoreError> {
        self.write(key, |current| match current {
            Some([]) => Ok(None),
            Some(v) => Ok(Some(v.to_vec())),
            None => Ok(None),
        })
    }

    /// Read-modify-write of one key in one transaction: `f(current)` returns the new value
    /// (`None` deletes).
    fn write(
        &self,
        key: &str,
        f: impl FnOnce(Option<&[u8]>) -> Result<Option<Vec<u8>>, StoreError>,
    ) -> Result<(), StoreError> {
        if key == SALT_KEY || key == VERIFICATION_KEY {
            return Err(StoreError::Exists(key.into()));
        }
        off_the_runtime(|| self.write_now(key, f))
    }

    fn write_now(
        &self,
        key: &str,
        f: impl FnOnce(Option<&[u8]>) -> Result<Option<Vec<u8>>, StoreError>,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(io)?;
        {
            let mut t = tx.open_table(TABLE).map_err(io)?;
            let current =
                match t.get(key).map_err(io)? {
                    Some(rec) => Some(self.key.open_value(rec.value()).map_err(|source| {
                        StoreError::Record {
                            key: key.into(),
                            source,
                        }
                    })?),
                    None => None,
                };
            let new = Zeroizing::new(f(current.as_deref().map(|v| v.as_slice()))?);
            match new.as_ref() {
                Some(v) => {
                    let rec = self.key.seal_value(v);
                    t.insert(key, rec.as_slice()).map_err(io)?;
                }
                None => {
                    t.remove(key).map_err(io)?;
                }
            }
        }
        tx.commit().map_err(io)
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
}
