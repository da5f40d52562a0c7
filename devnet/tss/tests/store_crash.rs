//! Crash safety of the key store (issue 16): a writer process stores new shares, replaces the
//! share of one key and rewrites a plain record, over and over, as a server does; the test kills
//! it with SIGKILL at random points and reopens the store after each kill. The store must open,
//! every share acknowledged before the kill must be there and be a share of its key (what
//! `/user/key/{vk}` answers, through the same `Store::key_share`), and the value being written
//! when the kill came must be the old one or the new one, never anything else. A second test
//! fills the store's file system (a file-size limit on the writer) and checks that the failed
//! write is refused and leaves no share.
//!
//! The writer is this test binary, run again with `STORE_CRASH_WRITER` set: each line it prints
//! on stdout is an acknowledgement sent only after the store's commit returned.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use devnet_tss::store::{Store, StoreError};
use entropy_register_core::client_dealt::share_digest;
use entropy_register_core::dealing::deal;
use entropy_register_core::kvdb::ScryptParams;
use entropy_register_core::types::{AccountId32, VerifyingKey};

const WRITER_ENV: &str = "STORE_CRASH_WRITER";
const LIMITED_ENV: &str = "STORE_CRASH_LIMITED";
const PASSWORD: &[u8] = b"crash test password";
/// Fast scrypt: the test opens the store after every kill.
const PARAMS: ScryptParams = ScryptParams {
    log_n: 4,
    r: 8,
    p: 1,
};
/// The key whose share is replaced again and again (a client-dealt key dealt anew).
const REPLACED_SECRET: [u8; 32] = [7; 32];
const RECORD: &str = "receipt:replaced";
/// Kills in one run of the test.
const KILLS: u32 = 100;

fn account() -> AccountId32 {
    AccountId32([1; 32])
}

fn record_value(generation: u64) -> Vec<u8> {
    let mut v = format!("generation {generation};").into_bytes();
    v.resize(1500, b'.');
    v
}

/// The writer: runs until killed. Every step prints what it starts (`begin …`) and, once the
/// store's commit returned, what is now stored (`done …`).
fn writer(dir: &Path, start: u64) {
    let store = Store::open(dir, PASSWORD, PARAMS).expect("the writer opens the store");
    for generation in start.. {
        // A new share, as a server stores a DKG's share: one transaction that refuses a key
        // already there.
        let dealt = deal(None, 2).unwrap();
        let share = &dealt.shares[0];
        let key = share.verifying_key().to_hex();
        println!("begin new {key}");
        store.insert_new(&key, &share.to_bytes()).unwrap();
        println!("done new {key}");
        // The share of one key replaced by a new dealing of the same secret.
        let dealt = deal(Some(&REPLACED_SECRET), 2).unwrap();
        let share = &dealt.shares[(generation % 2) as usize];
        let digest = entropy_register_core::hex::encode(&share_digest(&account(), share));
        println!("begin replace {digest}");
        store
            .replace(&share.verifying_key().to_hex(), &share.to_bytes())
            .unwrap();
        println!("done replace {digest}");
        // A plain record rewritten (a receipt).
        println!("begin record {generation}");
        store.replace(RECORD, &record_value(generation)).unwrap();
        println!("done record {generation}");
    }
}

/// Fills the store, then stores new shares until a write fails (the file-size limit the parent
/// set), then prints `failed <key> <error>` and exits.
fn limited_writer(dir: &Path) {
    let store = Store::open(dir, PASSWORD, PARAMS).expect("the writer opens the store");
    // Filler records take the file's free pages first (thousands of shares would fit).
    for i in 0.. {
        if store
            .replace(&format!("filler-{i}"), &vec![0x55; 64 * 1024])
            .is_err()
        {
            println!("filled after {i} records of 64 KiB");
            break;
        }
    }
    // A failed commit leaves the database refusing every write until it is reopened, as a
    // server restarted after its disk filled up would.
    drop(store);
    let store = Store::open(dir, PASSWORD, PARAMS).expect("the writer reopens the full store");
    loop {
        let dealt = deal(None, 2).unwrap();
        let share = &dealt.shares[0];
        let key = share.verifying_key().to_hex();
        let result = store.insert_new(&key, &share.to_bytes());
        match result {
            Ok(()) => println!("done new {key}"),
            Err(e) => {
                let _ = store.release(&key);
                println!("failed {key} {e}");
                return;
            }
        }
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tss-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Runs this test binary as a writer (`test` names the test function that acts as one).
fn spawn_writer(
    test: &str,
    env: &str,
    dir: &Path,
    start: u64,
    file_limit_kib: Option<u64>,
) -> Child {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = match file_limit_kib {
        // bash: `ulimit -f` counts KiB; SIGXFSZ ignored so a write past the limit fails with
        // EFBIG instead of killing the writer (a full disk, as the store sees it).
        Some(kib) => {
            let mut c = Command::new("bash");
            c.arg("-c")
                .arg(format!("trap '' XFSZ; ulimit -f {kib}; exec \"$0\" \"$@\""))
                .arg(exe);
            c
        }
        None => Command::new(exe),
    };
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(env, format!("{}:{start}", dir.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the writer starts")
}

/// The writer's role, when this process is one.
fn writer_role(env: &str) -> Option<(PathBuf, u64)> {
    let v = std::env::var(env).ok()?;
    let (dir, start) = v.rsplit_once(':')?;
    Some((PathBuf::from(dir), start.parse().ok()?))
}

/// A small deterministic generator, so a failing run can be repeated from its printed seed.
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// What the acknowledgements say must be in the store, and what may be there.
#[derive(Default)]
struct Expected {
    /// Shares acknowledged as stored.
    stored: Vec<String>,
    /// A new share begun but not acknowledged: absent or whole.
    new_in_flight: Option<String>,
    /// The replaced key's acknowledged share (digest), and one begun after it.
    replaced: Option<String>,
    replace_in_flight: Option<String>,
    /// The record's acknowledged generation, and one begun after it.
    record: Option<u64>,
    record_in_flight: Option<u64>,
}

impl Expected {
    fn read(&mut self, line: &str) {
        let mut w = line.split(' ');
        match (w.next(), w.next(), w.next()) {
            (Some("begin"), Some("new"), Some(k)) => self.new_in_flight = Some(k.into()),
            (Some("done"), Some("new"), Some(k)) => {
                self.stored.push(k.into());
                self.new_in_flight = None;
            }
            (Some("begin"), Some("replace"), Some(d)) => self.replace_in_flight = Some(d.into()),
            (Some("done"), Some("replace"), Some(d)) => {
                self.replaced = Some(d.into());
                self.replace_in_flight = None;
            }
            (Some("begin"), Some("record"), Some(g)) => self.record_in_flight = g.parse().ok(),
            (Some("done"), Some("record"), Some(g)) => {
                self.record = g.parse().ok();
                self.record_in_flight = None;
            }
            _ => {}
        }
    }
}

fn vk_of(hex: &str) -> VerifyingKey {
    VerifyingKey::from_bytes(&entropy_register_core::hex::decode(hex).unwrap()).unwrap()
}

/// Reopens the store after a kill and checks it against the acknowledgements; settles what was
/// in flight (the store's answer is now the truth) and returns what it found.
fn check_after_kill(dir: &Path, e: &mut Expected, kill: u32) -> (usize, bool) {
    let store = match Store::open(dir, PASSWORD, PARAMS) {
        Ok(s) => s,
        Err(err) => panic!("kill {kill}: the store does not open: {err}"),
    };
    for key in &e.stored {
        let share = store.key_share(&vk_of(key)).unwrap_or_else(|err| {
            panic!("kill {kill}: acknowledged share {key} unreadable: {err}")
        });
        assert!(
            share.is_some(),
            "kill {kill}: acknowledged share {key} is gone"
        );
    }
    let mut in_flight_landed = false;
    if let Some(key) = e.new_in_flight.take() {
        match store.key_share(&vk_of(&key)) {
            Ok(Some(_)) => {
                in_flight_landed = true;
                e.stored.push(key);
            }
            Ok(None) => {
                // Not stored: a reservation at most, which `get` never serves; a server
                // releases it or refuses it ("already exists") for that key.
            }
            Err(err) => panic!("kill {kill}: the share being written is half there: {err}"),
        }
    }
    let replaced_vk = deal(Some(&REPLACED_SECRET), 2).unwrap().shares[0].verifying_key();
    match store.key_share(&replaced_vk) {
        Ok(Some(share)) => {
            let digest = entropy_register_core::hex::encode(&share_digest(&account(), &share));
            let allowed = [e.replaced.as_ref(), e.replace_in_flight.as_ref()];
            assert!(
                allowed.contains(&Some(&digest)),
                "kill {kill}: the replaced share is neither the old nor the new one"
            );
            in_flight_landed |= e.replace_in_flight.as_ref() == Some(&digest);
            e.replaced = Some(digest);
        }
        Ok(None) => assert!(
            e.replaced.is_none(),
            "kill {kill}: the acknowledged replaced share is gone"
        ),
        Err(err) => panic!("kill {kill}: the replaced share is unreadable: {err}"),
    }
    e.replace_in_flight = None;
    match store.get(RECORD) {
        Ok(Some(v)) => {
            let found = [e.record, e.record_in_flight]
                .into_iter()
                .flatten()
                .find(|g| record_value(*g) == v.as_slice());
            let Some(g) = found else {
                panic!("kill {kill}: the record is neither the old nor the new value")
            };
            in_flight_landed |= Some(g) == e.record_in_flight;
            e.record = Some(g);
        }
        Ok(None) => assert!(
            e.record.is_none(),
            "kill {kill}: the acknowledged record is gone"
        ),
        Err(err) => panic!("kill {kill}: the record is unreadable: {err}"),
    }
    e.record_in_flight = None;
    let listed = store.keys().unwrap();
    for key in &e.stored {
        assert!(listed.contains(key), "kill {kill}: {key} not listed");
    }
    (e.stored.len(), in_flight_landed)
}

#[test]
fn a_store_killed_at_random_points_of_its_writes_reopens_whole() {
    if let Some((dir, start)) = writer_role(WRITER_ENV) {
        writer(&dir, start);
        return;
    }
    let dir = temp_dir("store-crash");
    let seed = std::env::var("STORE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("seed {seed} (STORE_CRASH_SEED repeats the run's kill times)");
    let mut rng = XorShift(seed);
    let mut expected = Expected::default();
    let mut generation = 0u64;
    let mut landed = 0;
    let mut mid_write = 0;
    let started = Instant::now();
    for kill in 1..=KILLS {
        let mut child = spawn_writer(
            "a_store_killed_at_random_points_of_its_writes_reopens_whole",
            WRITER_ENV,
            &dir,
            generation,
            None,
        );
        // Lines arrive on a thread; the kill comes after a random number of them, then a random
        // delay of up to 3 ms, so it falls anywhere in a write.
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let lines_before_kill = 1 + rng.next() % 40;
        let mut seen = 0;
        while seen < lines_before_kill {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .expect("the writer acknowledges writes");
            expected.read(&line);
            seen += u64::from(line.starts_with("begin ") || line.starts_with("done "));
        }
        std::thread::sleep(Duration::from_micros(rng.next() % 3000));
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        for line in rx.try_iter() {
            expected.read(&line);
        }
        let was_mid_write = expected.new_in_flight.is_some()
            || expected.replace_in_flight.is_some()
            || expected.record_in_flight.is_some();
        mid_write += u32::from(was_mid_write);
        let (_, in_flight_landed) = check_after_kill(&dir, &mut expected, kill);
        landed += u32::from(in_flight_landed);
        generation = expected.record.unwrap_or(0) + 1;
    }
    println!(
        "{KILLS} kills in {:.1} s: {mid_write} between a write's start and its acknowledgement \
         ({landed} of those writes had landed, the rest had not); after each the store opened, \
         {} acknowledged shares read back as shares of their keys, the replaced share and the \
         record were the old or the new value",
        started.elapsed().as_secs_f64(),
        expected.stored.len()
    );
    assert!(
        mid_write > 0,
        "no kill fell inside a write: the test proved nothing"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_write_that_fails_for_want_of_space_leaves_no_share() {
    if let Some((dir, _)) = writer_role(LIMITED_ENV) {
        limited_writer(&dir);
        return;
    }
    let dir = temp_dir("store-full");
    // A store with some shares in it, then a writer that may not grow the file.
    let before: Vec<String> = {
        let store = Store::open(&dir, PASSWORD, PARAMS).unwrap();
        (0..5)
            .map(|_| {
                let dealt = deal(None, 2).unwrap();
                let key = dealt.shares[0].verifying_key().to_hex();
                store.insert_new(&key, &dealt.shares[0].to_bytes()).unwrap();
                key
            })
            .collect()
    };
    let size_kib = std::fs::metadata(dir.join("kv.redb")).unwrap().len() / 1024;
    let child = spawn_writer(
        "a_write_that_fails_for_want_of_space_leaves_no_share",
        LIMITED_ENV,
        &dir,
        0,
        Some(size_kib),
    );
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let failed = text
        .lines()
        .find_map(|l| l.strip_prefix("failed "))
        .unwrap_or_else(|| panic!("no write failed under the file-size limit: {text}"));
    let (failed_key, error) = failed.split_once(' ').unwrap();
    println!("the write of {failed_key} failed: {error}");
    assert!(
        error.starts_with("key store I/O"),
        "a typed I/O error: {error}"
    );
    let acknowledged: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("done new "))
        .collect();

    let t = Instant::now();
    let store =
        Store::open(&dir, PASSWORD, PARAMS).expect("the store opens after the failed write");
    println!(
        "reopen in {:?}, {} acknowledged",
        t.elapsed(),
        acknowledged.len()
    );
    assert!(
        store.key_share(&vk_of(failed_key)).unwrap().is_none(),
        "the failed write left a share"
    );
    for key in before
        .iter()
        .map(String::as_str)
        .chain(acknowledged.iter().copied())
    {
        assert!(
            store.key_share(&vk_of(key)).unwrap().is_some(),
            "{key} lost"
        );
    }
    drop(store);
    let t = Instant::now();
    let r = Store::open(&dir, b"another password", PARAMS);
    println!("wrong pw: {:?} in {:?}", r.as_ref().err(), t.elapsed());
    assert!(matches!(r, Err(StoreError::WrongPassword(_))));
    let _ = std::fs::remove_dir_all(&dir);
}
