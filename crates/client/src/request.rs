//! What a registration is asked to do ([`RegisterRequest`], with a [`Mode`] that cannot hold an
//! invalid combination), what it reports while it runs ([`Progress`]) and what it returns
//! ([`Registration`]). The JSON shapes (camelCase) are the npm package's.

use entropy_register_core::dkg::KeyShare;
use entropy_register_core::keys::{Sr25519Pair, X25519Keypair};
use entropy_register_core::test_signature::TestSignature;
use entropy_register_core::types::{
    AccountId32, KeyVisibility, ProgramInstance, ProgramsData, ServerInfo, VerifyingKey,
    MAX_PROGRAMS,
};
use entropy_register_core::verify::Receipt;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::backend::{PayloadSigner, WaitFor};
use crate::error::Error;

/// Default number of blocks to wait after inclusion.
pub const DEFAULT_TIMEOUT_BLOCKS: u32 = 20;
/// Largest program configuration accepted (bytes).
pub const MAX_PROGRAM_CONFIG: usize = 64 * 1024;
/// Largest program accepted by `store_program` (the devnet's `MaxBytecodeLength`).
pub const MAX_PROGRAM_BYTES: usize = 1_000_000;

/// How the key is made and who holds its shares.
pub enum Mode<S> {
    /// The servers run the DKG and hold every share; `S` signs the transaction (a held key or
    /// a wallet).
    Public(S),
    /// The user is the last DKG party and keeps its share: the user's key signs the transaction
    /// and every DKG message; `x25519` is its Noise key (named in the call).
    Private {
        /// The account's key.
        user: Sr25519Pair,
        /// The Noise static key.
        x25519: X25519Keypair,
    },
    /// No DKG: the user deals a key into one share per subgroup, registers its commitments and
    /// sends every server its share (signed with the user's key).
    ClientDealt {
        /// The account's key.
        user: Sr25519Pair,
        /// The secp256k1 key to deal.
        secret: DealtSecret,
    },
}

/// The key a client-dealt registration deals.
pub enum DealtSecret {
    /// Given by the caller (not returned).
    Imported(Zeroizing<[u8; 32]>),
    /// Generated here (returned once registered).
    Generated(Zeroizing<[u8; 32]>),
}

impl DealtSecret {
    /// A fresh key.
    pub fn generate() -> Self {
        DealtSecret::Generated(entropy_register_core::dealing::generate_secret())
    }

    /// The key's bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        match self {
            DealtSecret::Imported(s) | DealtSecret::Generated(s) => s,
        }
    }
}

impl<S: PayloadSigner> Mode<S> {
    /// The signature-request account.
    pub fn account(&self) -> AccountId32 {
        match self {
            Mode::Public(s) => s.account(),
            Mode::Private { user, .. } | Mode::ClientDealt { user, .. } => user.account(),
        }
    }

    /// The transaction signer.
    pub fn signer(&self) -> &dyn PayloadSigner {
        match self {
            Mode::Public(s) => s,
            Mode::Private { user, .. } | Mode::ClientDealt { user, .. } => user,
        }
    }

    /// The key visibility recorded on chain (a client-dealt key is recorded as `Public`).
    pub fn key_visibility(&self) -> KeyVisibility {
        match self {
            Mode::Private { x25519, .. } => KeyVisibility::Private(x25519.public),
            _ => KeyVisibility::Public,
        }
    }

    /// The name reported in results.
    pub fn access_mode(&self) -> AccessMode {
        match self {
            Mode::Public(_) => AccessMode::Public,
            Mode::Private { .. } => AccessMode::Private,
            Mode::ClientDealt { .. } => AccessMode::ClientDealt,
        }
    }
}

/// A validated registration request.
pub struct RegisterRequest<S> {
    /// The mode and its keys.
    pub mode: Mode<S>,
    /// Who may change the programs later (default: the account).
    pub program_modification_account: Option<AccountId32>,
    /// The programs (1 to 5, see [`programs`]).
    pub programs: ProgramsData,
    /// Which blocks count.
    pub wait_for: WaitFor,
    /// Give up this many blocks after inclusion.
    pub timeout_blocks: u32,
}

/// Checks a program list: 1 to 5 instances, each configuration at most
/// [`MAX_PROGRAM_CONFIG`] bytes.
pub fn programs(list: Vec<ProgramInstance>) -> Result<ProgramsData, Error> {
    if list.is_empty() {
        return Err(Error::NoProgramSet);
    }
    if list.len() > MAX_PROGRAMS as usize {
        return Err(Error::TooManyPrograms { given: list.len() });
    }
    if let Some((i, p)) = list
        .iter()
        .enumerate()
        .find(|(_, p)| p.program_config.len() > MAX_PROGRAM_CONFIG)
    {
        return Err(Error::InvalidInput(format!(
            "programs[{i}].config is {} bytes, more than {MAX_PROGRAM_CONFIG}",
            p.program_config.len()
        )));
    }
    ProgramsData::new(list).map_err(|l| Error::TooManyPrograms { given: l.len() })
}

/// `"public"`, `"private"` or `"clientDealt"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AccessMode {
    /// The servers hold every share.
    Public,
    /// The user holds one share.
    Private,
    /// The user dealt the key.
    ClientDealt,
}

/// A committee member or a server, as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// Subgroup.
    pub subgroup: u8,
    /// TSS account.
    pub tss_account: AccountId32,
    /// `host:port`.
    pub endpoint: String,
}

impl Member {
    /// Subgroup `g`'s server `s`.
    pub fn new(g: u8, s: &ServerInfo) -> Self {
        Member {
            subgroup: g,
            tss_account: s.tss_account,
            endpoint: endpoint(s),
        }
    }
}

/// A server's endpoint as text.
pub fn endpoint(s: &ServerInfo) -> String {
    String::from_utf8_lossy(&s.endpoint).into_owned()
}

/// A progress event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Progress {
    /// Client-dealt mode: the key is split; its commitments fix this key.
    #[serde(rename_all = "camelCase")]
    Dealt {
        /// The key.
        verifying_key: VerifyingKey,
    },
    /// The pool accepted the transaction.
    Submitted,
    /// Included in block N (final with `WaitFor::Finalized`).
    #[serde(rename_all = "camelCase")]
    InBlock {
        /// N.
        block: u32,
    },
    /// The committee for N+1.
    #[serde(rename_all = "camelCase")]
    Committee {
        /// N+1.
        block: u32,
        /// Index = subgroup.
        members: Vec<Member>,
    },
    /// Client-dealt mode: a server holds its share (its receipt verified).
    #[serde(rename_all = "camelCase")]
    ShareDelivered {
        /// Its subgroup.
        subgroup: u8,
        /// The server.
        server: AccountId32,
    },
    /// A subgroup confirmed.
    #[serde(rename_all = "camelCase")]
    Confirmation {
        /// Block of the confirmation.
        block: u32,
        /// Subgroup.
        subgroup: u8,
        /// Signer.
        server: AccountId32,
    },
    /// `AccountRegistered`.
    #[serde(rename_all = "camelCase")]
    Registered {
        /// Block.
        block: u32,
        /// The key.
        verifying_key: VerifyingKey,
    },
    /// The registration block is finalized (only with `WaitFor::Finalized`).
    #[serde(rename_all = "camelCase")]
    Finalized {
        /// Block.
        block: u32,
    },
    /// The share holders' test signature verified under the registered key (last step before
    /// the result).
    #[serde(rename_all = "camelCase")]
    TestSignature {
        /// The signature (FROST secp256k1).
        signature: TestSignature,
        /// The key it verified under.
        verifying_key: VerifyingKey,
    },
}

/// A committee member whose confirmation and receipt verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedMember {
    /// The member.
    #[serde(flatten)]
    pub member: Member,
    /// Block of its confirmation.
    pub confirmed_in: u32,
    /// Its receipt.
    pub receipt: Receipt,
}

/// Client-dealt mode: a server that received its share, with its verified receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveredShare {
    /// The server.
    #[serde(flatten)]
    pub member: Member,
    /// Its receipt.
    pub receipt: Receipt,
}

/// A verified registration.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    /// The account.
    pub account: AccountId32,
    /// The verifying key.
    pub verifying_key: VerifyingKey,
    /// Its EIP-55 Ethereum address.
    pub ethereum_address: String,
    /// Block N.
    pub inclusion_block: u32,
    /// Block of `AccountRegistered`.
    pub registered_block: u32,
    /// The mode.
    pub access_mode: AccessMode,
    /// The committee, each with its verified receipt.
    pub committee: Vec<VerifiedMember>,
    /// The share holders' test signature over the registration's transcript (account, N, key,
    /// committee), verified under `verifying_key`.
    pub test_signature: TestSignature,
    /// Private mode: the user's share; keep it secret.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_share"
    )]
    pub key_share: Option<KeyShare>,
    /// Private mode: the user's x25519 secret (needed for later sessions); keep it secret.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_secret"
    )]
    pub x25519_secret_key: Option<Zeroizing<[u8; 32]>>,
    /// Client-dealt mode: every server that received its share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dealt_shares: Option<Vec<DeliveredShare>>,
    /// Client-dealt mode with a generated key: the key that was dealt; keep it secret, or
    /// discard it (the servers hold every share).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_secret"
    )]
    pub dealt_secret_key: Option<Zeroizing<[u8; 32]>>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("account", &self.account)
            .field("verifying_key", &self.verifying_key)
            .field("inclusion_block", &self.inclusion_block)
            .field("registered_block", &self.registered_block)
            .field("access_mode", &self.access_mode)
            .finish_non_exhaustive()
    }
}

fn serialize_share<Z: serde::Serializer>(s: &Option<KeyShare>, z: Z) -> Result<Z::Ok, Z::Error> {
    match s {
        Some(s) => z.serialize_str(&entropy_register_core::hex::encode_0x(&s.to_bytes())),
        None => z.serialize_none(),
    }
}

fn serialize_secret<Z: serde::Serializer>(
    s: &Option<Zeroizing<[u8; 32]>>,
    z: Z,
) -> Result<Z::Ok, Z::Error> {
    match s {
        Some(s) => z.serialize_str(&entropy_register_core::hex::encode_0x(&s[..])),
        None => z.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(config: usize) -> ProgramInstance {
        ProgramInstance {
            program_pointer: [0; 32],
            program_config: vec![0; config],
        }
    }

    #[test]
    fn program_lists() {
        assert_eq!(programs(vec![]).unwrap_err(), Error::NoProgramSet);
        assert_eq!(
            programs((0..6).map(|_| program(0)).collect()).unwrap_err(),
            Error::TooManyPrograms { given: 6 }
        );
        assert!(matches!(
            programs(vec![program(MAX_PROGRAM_CONFIG + 1)]).unwrap_err(),
            Error::InvalidInput(_)
        ));
        assert_eq!(programs(vec![program(3)]).unwrap().len(), 1);
    }

    #[test]
    fn progress_json_is_camel_case() {
        let a = AccountId32([1; 32]);
        let p = Progress::Confirmation {
            block: 3,
            subgroup: 1,
            server: a,
        };
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "confirmation");
        assert_eq!(v["server"], a.to_ss58());
        let p = Progress::ShareDelivered {
            subgroup: 0,
            server: a,
        };
        assert_eq!(serde_json::to_value(&p).unwrap()["type"], "shareDelivered");
        assert_eq!(
            serde_json::to_value(AccessMode::ClientDealt).unwrap(),
            "clientDealt"
        );
    }
}
