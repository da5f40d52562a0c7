//! Keys: sr25519 accounts (Substrate secret URIs, the reference's signing context), the threshold
//! servers' HKDF key derivation (§4.1) and x25519 keys.

use codec::Encode;
use hkdf::Hkdf;
use schnorrkel::derive::{ChainCode, Derivation};
use schnorrkel::{ExpansionMode, MiniSecretKey, SecretKey};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::types::AccountId32;

/// The sr25519 signing context of sp-core.
pub const SIGNING_CONTEXT: &[u8] = b"substrate";
/// HKDF info for the server's sr25519 account.
pub const HKDF_INFO_SR25519: &[u8] = b"sr25519-threshold-account";
/// HKDF info for the server's x25519 key.
pub const HKDF_INFO_X25519: &[u8] = b"X25519-keypair";
/// Substrate's development phrase (`//Alice` etc. derive from it).
pub const DEV_PHRASE: &str =
    "bottom drive obey lake curtain smoke basket hold race lonely fit walk";

/// Why a key could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not a valid BIP-39 English mnemonic.
    #[error("not a valid BIP-39 mnemonic: {0}")]
    BadMnemonic(String),
    /// The secret URI could not be parsed.
    #[error("not a valid secret URI: {0}")]
    BadSuri(String),
    /// Secret bytes of the wrong size or form.
    #[error("secret key bytes are invalid: {0}")]
    BadSecret(String),
}

/// An sr25519 key pair (a Substrate account).
#[derive(Clone)]
pub struct Sr25519Pair(schnorrkel::Keypair);

impl core::fmt::Debug for Sr25519Pair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Sr25519Pair({})", self.account())
    }
}

impl Sr25519Pair {
    /// From a 32-byte mini secret (sp-core `Pair::from_seed`, Ed25519 expansion).
    pub fn from_mini_secret(seed: &[u8; 32]) -> Result<Self, KeyError> {
        let mini =
            MiniSecretKey::from_bytes(seed).map_err(|e| KeyError::BadSecret(e.to_string()))?;
        Ok(Sr25519Pair(mini.expand_to_keypair(ExpansionMode::Ed25519)))
    }

    /// A fresh random mini secret (OS randomness) and its pair.
    pub fn generate() -> (Zeroizing<[u8; 32]>, Self) {
        let mut seed = Zeroizing::new([0u8; 32]);
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut seed[..]);
        let pair = Self::from_mini_secret(&seed).expect("any 32 bytes are a mini secret");
        (seed, pair)
    }

    /// From the 64-byte schnorrkel secret `key ‖ nonce` (sp-core `to_raw_vec`).
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let sk = SecretKey::from_bytes(bytes).map_err(|e| KeyError::BadSecret(e.to_string()))?;
        Ok(Sr25519Pair(sk.to_keypair()))
    }

    /// From the 64-byte ed25519-expanded form (the polkadot-js format).
    pub fn from_ed25519_expanded(bytes: &[u8]) -> Result<Self, KeyError> {
        let sk =
            SecretKey::from_ed25519_bytes(bytes).map_err(|e| KeyError::BadSecret(e.to_string()))?;
        Ok(Sr25519Pair(sk.to_keypair()))
    }

    /// From a Substrate secret URI: `<phrase | 0xseed>[//hard|/soft…][///password]`; with no phrase,
    /// the development phrase (`//Alice`).
    pub fn from_suri(suri: &str) -> Result<Self, KeyError> {
        derive_suri(suri).map(|d| d.pair)
    }

    /// The 32-byte public key.
    pub fn public(&self) -> [u8; 32] {
        self.0.public.to_bytes()
    }

    /// The account id.
    pub fn account(&self) -> AccountId32 {
        AccountId32(self.public())
    }

    /// The 64-byte secret `key ‖ nonce`.
    pub fn secret_bytes(&self) -> Zeroizing<[u8; 64]> {
        Zeroizing::new(self.0.secret.to_bytes())
    }

    /// The 64-byte secret in ed25519-expanded form (polkadot-js).
    pub fn secret_ed25519_expanded(&self) -> Zeroizing<[u8; 64]> {
        Zeroizing::new(self.0.secret.to_ed25519_bytes())
    }

    /// Signs with the "substrate" context.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0
            .sign(schnorrkel::signing_context(SIGNING_CONTEXT).bytes(message))
            .to_bytes()
    }
}

/// Verifies an sr25519 signature (context "substrate").
pub fn verify(public: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let Ok(pk) = schnorrkel::PublicKey::from_bytes(public) else {
        return false;
    };
    let Ok(sig) = schnorrkel::Signature::from_bytes(signature) else {
        return false;
    };
    pk.verify_simple(SIGNING_CONTEXT, message, &sig).is_ok()
}

/// The result of deriving a secret URI, with the forms the test vectors record.
pub struct DerivedAccount {
    /// The key pair.
    pub pair: Sr25519Pair,
    /// The mini secret after the last hard junction; `None` if the path ends in a soft junction.
    pub mini_secret: Option<Zeroizing<[u8; 32]>>,
}

fn junction_chain_code(j: &str) -> [u8; 32] {
    let encoded = match j.parse::<u64>() {
        Ok(n) => n.encode(),
        Err(_) => j.encode(),
    };
    let mut cc = [0u8; 32];
    if encoded.len() > 32 {
        cc = sp_crypto_hashing::blake2_256(&encoded);
    } else {
        cc[..encoded.len()].copy_from_slice(&encoded);
    }
    cc
}

/// Derives a secret URI as sp-core's `Pair::from_string` does.
pub fn derive_suri(suri: &str) -> Result<DerivedAccount, KeyError> {
    let (main, password) = match suri.find("///") {
        Some(i) => (&suri[..i], Some(&suri[i + 3..])),
        None => (suri, None),
    };
    let (phrase, path) = match main.find('/') {
        Some(i) => (main[..i].trim(), &main[i..]),
        None => (main.trim(), ""),
    };
    let phrase = if phrase.is_empty() {
        DEV_PHRASE
    } else {
        phrase
    };
    let mini: Zeroizing<[u8; 32]> = if let Some(hex) = phrase.strip_prefix("0x") {
        let bytes =
            crate::hex::decode_array::<32>(hex).map_err(|e| KeyError::BadSuri(e.to_string()))?;
        Zeroizing::new(bytes)
    } else {
        let m = bip39::Mnemonic::parse_in_normalized(bip39::Language::English, phrase)
            .map_err(|e| KeyError::BadMnemonic(e.to_string()))?;
        let seed = substrate_bip39::seed_from_entropy(&m.to_entropy(), password.unwrap_or(""))
            .map_err(|e| KeyError::BadMnemonic(format!("{e:?}")))?;
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&seed[..32]);
        out
    };
    let mut secret = MiniSecretKey::from_bytes(&mini[..])
        .map_err(|e| KeyError::BadSecret(e.to_string()))?
        .expand(ExpansionMode::Ed25519);
    let mut last_mini = Some(mini);
    let mut rest = path;
    while !rest.is_empty() {
        let hard = rest.starts_with("//");
        let body = if hard { &rest[2..] } else { &rest[1..] };
        let end = body.find('/').unwrap_or(body.len());
        let junction = &body[..end];
        if junction.is_empty() {
            return Err(KeyError::BadSuri("empty derivation junction".into()));
        }
        rest = &body[end..];
        let cc = ChainCode(junction_chain_code(junction));
        if hard {
            let (m, _) = secret.hard_derive_mini_secret_key(Some(cc), b"");
            last_mini = Some(Zeroizing::new(m.to_bytes()));
            secret = m.expand(ExpansionMode::Ed25519);
        } else {
            secret = secret.derived_key_simple(cc, []).0;
            last_mini = None;
        }
    }
    Ok(DerivedAccount {
        pair: Sr25519Pair(secret.to_keypair()),
        mini_secret: last_mini,
    })
}

/// A static x25519 key pair (Noise static key and HPKE recipient key).
#[derive(Clone)]
pub struct X25519Keypair {
    secret: x25519_dalek::StaticSecret,
    /// The public key.
    pub public: [u8; 32],
}

impl X25519Keypair {
    /// From secret bytes.
    pub fn from_secret(secret: [u8; 32]) -> Self {
        let secret = x25519_dalek::StaticSecret::from(secret);
        let public = x25519_dalek::PublicKey::from(&secret).to_bytes();
        X25519Keypair { secret, public }
    }
    /// A fresh random key pair.
    pub fn generate() -> Self {
        let mut b = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
        let k = Self::from_secret(b);
        zeroize::Zeroize::zeroize(&mut b);
        k
    }
    /// The secret bytes.
    pub fn secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.secret.to_bytes())
    }
}

impl core::fmt::Debug for X25519Keypair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "X25519Keypair(public 0x{})",
            crate::hex::encode(&self.public)
        )
    }
}

/// A threshold server's identity derived from its mnemonic (§4.1).
#[derive(Debug, Clone)]
pub struct TssKeys {
    /// The TSS account (signs confirmations, DKG messages, receipts).
    pub account: Sr25519Pair,
    /// The Noise / HPKE static key.
    pub x25519: X25519Keypair,
}

/// Intermediate values of the derivation, for the test vectors.
pub struct TssDerivation {
    /// BIP-39 seed with empty passphrase.
    pub bip39_seed: Zeroizing<[u8; 64]>,
    /// HKDF output used as sr25519 mini secret.
    pub sr25519_mini_secret: Zeroizing<[u8; 32]>,
    /// HKDF output used as x25519 secret.
    pub x25519_secret: Zeroizing<[u8; 32]>,
    /// The keys.
    pub keys: TssKeys,
}

/// `seed = BIP39(mnemonic, "")`; `HKDF-SHA256(salt none, ikm seed)` expanded with the two infos.
pub fn derive_tss_keys(mnemonic: &str) -> Result<TssDerivation, KeyError> {
    let m = bip39::Mnemonic::parse_in_normalized(bip39::Language::English, mnemonic.trim())
        .map_err(|e| KeyError::BadMnemonic(e.to_string()))?;
    let seed = Zeroizing::new(m.to_seed(""));
    let hk = Hkdf::<Sha256>::new(None, &seed[..]);
    let mut sr = Zeroizing::new([0u8; 32]);
    let mut x = Zeroizing::new([0u8; 32]);
    hk.expand(HKDF_INFO_SR25519, &mut sr[..])
        .expect("32 bytes is a valid HKDF length");
    hk.expand(HKDF_INFO_X25519, &mut x[..])
        .expect("32 bytes is a valid HKDF length");
    let keys = TssKeys {
        account: Sr25519Pair::from_mini_secret(&sr)?,
        x25519: X25519Keypair::from_secret(*x),
    };
    Ok(TssDerivation {
        bip39_seed: seed,
        sr25519_mini_secret: sr,
        x25519_secret: x,
        keys,
    })
}

/// The devnet's names, in validator order: validator i is `//<Name>` (Aura and GRANDPA keys),
/// its stash `//<Name>//stash`, and threshold server i runs `--dev <name>`. The first six are
/// Substrate's dev keyring; the rest follow the cryptographers' cast.
pub const DEV_NAMES: [&str; 12] = [
    "alice", "bob", "charlie", "dave", "eve", "ferdie", "grace", "heidi", "ivan", "judy",
    "mallory", "niaj",
];

/// The first dev server's port: server i (dev name `DEV_NAMES[i]`) listens on
/// `127.0.0.1:<DEV_SERVER_PORT + i>`, its genesis endpoint.
pub const DEV_SERVER_PORT: u16 = 3001;

/// The port of dev server i (see [`DEV_SERVER_PORT`]).
pub fn dev_server_port(i: usize) -> u16 {
    DEV_SERVER_PORT + i as u16
}

/// A devnet layout that cannot be: `validators` validators (each with its server) in
/// `subgroups` subgroups, where `2 ≤ subgroups ≤ validators ≤ DEV_NAMES.len()` must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{validators} validators in {subgroups} subgroups: need 2 ≤ subgroups ≤ validators ≤ {max}", max = DEV_NAMES.len())]
pub struct BadDevLayout {
    /// Validators asked for.
    pub validators: usize,
    /// Subgroups asked for.
    pub subgroups: usize,
}

/// Checks a devnet layout: every subgroup holds a server, every validator has a dev name.
pub fn check_dev_layout(validators: usize, subgroups: usize) -> Result<(), BadDevLayout> {
    if 2 <= subgroups && subgroups <= validators && validators <= DEV_NAMES.len() {
        Ok(())
    } else {
        Err(BadDevLayout {
            validators,
            subgroups,
        })
    }
}

/// The secret URI of dev name `name`: `//Alice` for `alice`.
pub fn dev_suri(name: &str) -> String {
    let mut chars = name.chars();
    let title: String = chars
        .next()
        .map(|c| c.to_ascii_uppercase())
        .into_iter()
        .chain(chars)
        .collect();
    format!("//{title}")
}

/// The stash account of dev validator `name` (`//<Name>//stash`), which owns threshold server
/// `name` on chain (`ThresholdToStash`).
pub fn dev_stash(name: &str) -> Sr25519Pair {
    Sr25519Pair::from_suri(&format!("{}//stash", dev_suri(name)))
        .expect("a dev name makes a valid secret URI")
}

/// The development mnemonic of threshold server `name`: the reference's mnemonics for alice,
/// bob, charlie, dave and eve (§4.1); for the other [`DEV_NAMES`] a mnemonic made from the
/// BLAKE2 hash of the name (devnet only: anyone can recompute it). `None` for any other name.
pub fn dev_tss_mnemonic(name: &str) -> Option<String> {
    let reference = match name {
        "alice" => {
            "alarm mutual concert decrease hurry invest culture survey diagram crash snap click"
        }
        "bob" => "where sight patient orphan general short empower hope party hurt month voice",
        "charlie" => "lake carry still awful point mention bike category tornado plate brass lock",
        "dave" => "beef dutch panic monkey black glad audit twice humor gossip wealth drive",
        "eve" => "impact federal dish number fun crisp various wedding radio immense whisper glue",
        other if DEV_NAMES.contains(&other) => {
            let hash = sp_crypto_hashing::blake2_256(
                format!("entropy-register devnet server {other}").as_bytes(),
            );
            let m = bip39::Mnemonic::from_entropy_in(bip39::Language::English, &hash[..16])
                .expect("16 bytes of entropy make a 12-word mnemonic");
            return Some(m.to_string());
        }
        _ => return None,
    };
    Some(reference.to_string())
}

/// The keys threshold server `name` derives from [`dev_tss_mnemonic`]; `None` for a name that
/// is not a dev server's.
pub fn dev_tss_keys(name: &str) -> Option<TssKeys> {
    let phrase = Zeroizing::new(dev_tss_mnemonic(name)?);
    Some(
        derive_tss_keys(&phrase)
            .expect("the dev mnemonics are valid")
            .keys,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_names_give_distinct_keys_and_the_reference_stashes() {
        assert_eq!(dev_suri("alice"), "//Alice");
        assert_eq!(dev_suri("niaj"), "//Niaj");
        // sp-core's `//Alice//stash`.
        assert_eq!(
            dev_stash("alice").account().to_ss58(),
            "5GNJqTPyNqANBkUVMN1LPPrxXnFouWXoe2wNSmmEoLctxiZY"
        );
        let mut accounts: Vec<[u8; 32]> = DEV_NAMES
            .iter()
            .map(|n| dev_tss_keys(n).unwrap().account.public())
            .collect();
        // A derived mnemonic is a valid one, and the same every time.
        assert_eq!(dev_tss_mnemonic("grace"), dev_tss_mnemonic("grace"));
        assert_eq!(dev_tss_mnemonic("grace").unwrap().split(' ').count(), 12);
        accounts.sort();
        accounts.dedup();
        assert_eq!(accounts.len(), DEV_NAMES.len());
        assert!(dev_tss_mnemonic("zed").is_none());
        assert!(dev_tss_keys("Alice").is_none());
    }

    #[test]
    fn dev_layouts() {
        assert_eq!(check_dev_layout(4, 2), Ok(()));
        assert_eq!(check_dev_layout(2, 2), Ok(()));
        assert_eq!(check_dev_layout(12, 12), Ok(()));
        for (v, g) in [(4, 1), (4, 5), (13, 2), (1, 1), (0, 0)] {
            let e = check_dev_layout(v, g).unwrap_err();
            assert_eq!((e.validators, e.subgroups), (v, g));
        }
        assert_eq!(
            check_dev_layout(13, 2).unwrap_err().to_string(),
            "13 validators in 2 subgroups: need 2 ≤ subgroups ≤ validators ≤ 12"
        );
        assert_eq!(dev_server_port(0), 3001);
        assert_eq!(dev_server_port(11), 3012);
    }

    #[test]
    fn generated_accounts_are_fresh_and_match_their_seed() {
        let (seed_a, a) = Sr25519Pair::generate();
        let (seed_b, b) = Sr25519Pair::generate();
        assert_ne!(seed_a[..], seed_b[..]);
        assert_ne!(a.public(), b.public());
        assert_eq!(
            Sr25519Pair::from_mini_secret(&seed_a).unwrap().public(),
            a.public()
        );
    }

    #[test]
    fn alice_dev_account_and_signature() {
        let alice = Sr25519Pair::from_suri("//Alice").unwrap();
        assert_eq!(
            alice.account().to_ss58(),
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
        );
        let sig = alice.sign(b"hello");
        assert!(verify(&alice.public(), b"hello", &sig));
        assert!(!verify(&alice.public(), b"hellO", &sig));
        let bob = Sr25519Pair::from_suri("//Bob").unwrap();
        assert!(!verify(&bob.public(), b"hello", &sig));
    }

    #[test]
    fn secret_forms_round_trip() {
        let alice = Sr25519Pair::from_suri("//Alice").unwrap();
        let a = Sr25519Pair::from_secret_bytes(&alice.secret_bytes()[..]).unwrap();
        let b = Sr25519Pair::from_ed25519_expanded(&alice.secret_ed25519_expanded()[..]).unwrap();
        assert_eq!(a.public(), alice.public());
        assert_eq!(b.public(), alice.public());
        assert!(Sr25519Pair::from_secret_bytes(&[0u8; 10]).is_err());
    }

    #[test]
    fn bad_inputs() {
        assert!(matches!(
            derive_tss_keys("not a mnemonic"),
            Err(KeyError::BadMnemonic(_))
        ));
        assert!(matches!(
            Sr25519Pair::from_suri("//Alice//"),
            Err(KeyError::BadSuri(_))
        ));
    }
}
