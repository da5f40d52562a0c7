//! Forwarding a key share to the other servers of a subgroup (`POST /user/receive_key`, §4.8):
//! the payload type and the receiver's acceptance rule, as pure functions.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::dkg::KeyShare;
use crate::kvdb::FORBIDDEN_KEYS;
use crate::types::AccountId32;

/// `UserRegistrationInfo` (JSON), the payload of the HPKE envelope a committee server sends to
/// its subgroup peers.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRegistrationInfo {
    /// Key-store key: lowercase hex of the verifying key, no `0x`.
    pub key: String,
    /// The serialized key share (a JSON array of numbers on the wire).
    pub value: Vec<u8>,
    /// Whether this replaces a share after a proactive refresh (never, for registration).
    pub proactive_refresh: bool,
    /// The registering account (SS58 string).
    pub sig_request_address: Option<AccountId32>,
}

impl core::fmt::Debug for UserRegistrationInfo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "UserRegistrationInfo(key {}, {} value bytes, account {:?})",
            self.key,
            self.value.len(),
            self.sig_request_address
        )
    }
}

impl UserRegistrationInfo {
    /// The payload forwarding `share` of `account`.
    pub fn new(account: AccountId32, share: &KeyShare) -> Self {
        UserRegistrationInfo {
            key: share.verifying_key().to_hex(),
            value: share.to_bytes().to_vec(),
            proactive_refresh: false,
            sig_request_address: Some(account),
        }
    }

    /// JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("plain data serializes")
    }

    /// Parses JSON bytes.
    pub fn from_json(b: &[u8]) -> Result<Self, ReceiveKeyRejection> {
        serde_json::from_slice(b).map_err(|e| ReceiveKeyRejection::Malformed(e.to_string()))
    }
}

/// The chain and store facts the receiver gathers for a forwarded share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiveKeyFacts {
    /// The receiver's own subgroup (`None`: this server is not registered on chain).
    pub own_subgroup: Option<u8>,
    /// The sender's subgroup, from `ThresholdToStash` and `ValidatorToSubgroup` (`None`: the
    /// sender is not a threshold server).
    pub sender_subgroup: Option<u8>,
    /// `Registry::Registering[account]` exists.
    pub registering: bool,
    /// The store already holds a usable value under the key.
    pub key_exists: bool,
}

/// What the receiver does with an accepted share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiveKeyAction {
    /// Store it under a new key.
    Store,
    /// Replace the value under an existing key (the account is still registering).
    Replace,
}

/// Why a forwarded share is refused (nothing is stored).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiveKeyRejection {
    /// The payload is not a `UserRegistrationInfo`.
    #[error("malformed UserRegistrationInfo: {0}")]
    Malformed(String),
    /// The key names one of the server's own secrets.
    #[error("the given key is forbidden")]
    ForbiddenKey,
    /// The value is not a key share.
    #[error("not a valid key share: {0}")]
    NotAKeyShare(String),
    /// The key is not the share's verifying key.
    #[error("the key {key} is not the share's verifying key {verifying_key}")]
    KeyMismatch {
        /// The key sent.
        key: String,
        /// The share's verifying key (hex).
        verifying_key: String,
    },
    /// No account named.
    #[error("the payload names no registering account")]
    NoAccount,
    /// Proactive refresh is not part of registration.
    #[error("proactive refresh is not accepted here")]
    ProactiveRefresh,
    /// This server is not a threshold server on chain.
    #[error("this server is not registered on chain")]
    ReceiverNotOnChain,
    /// The sender is not a server of the receiver's subgroup.
    #[error("the sender is not a server of this server's subgroup")]
    NotInSubgroup,
    /// The key exists and the account is no longer registering.
    #[error("user already registered")]
    AlreadyRegistered,
    /// The account is not registering.
    #[error("the account {0} is not registering")]
    NotRegistering(AccountId32),
}

impl ReceiveKeyRejection {
    /// The stable code of the refusal ([`crate::api::ApiCode`]).
    pub fn code(&self) -> &'static str {
        crate::api::ApiCode::from(self).as_str()
    }
}

/// Checks what a payload says about itself, before any chain lookup: the key is not forbidden,
/// the value is a key share and the key is its verifying key, an account is named. Returns the
/// account and the parsed share.
pub fn check_payload(
    info: &UserRegistrationInfo,
) -> Result<(AccountId32, KeyShare), ReceiveKeyRejection> {
    if FORBIDDEN_KEYS.contains(&info.key.as_str()) {
        return Err(ReceiveKeyRejection::ForbiddenKey);
    }
    if info.proactive_refresh {
        return Err(ReceiveKeyRejection::ProactiveRefresh);
    }
    let share = KeyShare::from_bytes(&info.value)
        .map_err(|e| ReceiveKeyRejection::NotAKeyShare(e.to_string()))?;
    let vk = share.verifying_key().to_hex();
    if vk != info.key {
        return Err(ReceiveKeyRejection::KeyMismatch {
            key: info.key.clone(),
            verifying_key: vk,
        });
    }
    let account = info
        .sig_request_address
        .ok_or(ReceiveKeyRejection::NoAccount)?;
    Ok((account, share))
}

/// The receiver's rule once the facts are known (§4.8 steps 5–6): the sender must be in the
/// receiver's subgroup; a new key needs a registering account; an existing key is replaced only
/// while the account is still registering.
pub fn judge(
    account: &AccountId32,
    facts: ReceiveKeyFacts,
) -> Result<ReceiveKeyAction, ReceiveKeyRejection> {
    let own = facts
        .own_subgroup
        .ok_or(ReceiveKeyRejection::ReceiverNotOnChain)?;
    if facts.sender_subgroup != Some(own) {
        return Err(ReceiveKeyRejection::NotInSubgroup);
    }
    match (facts.key_exists, facts.registering) {
        (true, true) => Ok(ReceiveKeyAction::Replace),
        (true, false) => Err(ReceiveKeyRejection::AlreadyRegistered),
        (false, true) => Ok(ReceiveKeyAction::Store),
        (false, false) => Err(ReceiveKeyRejection::NotRegistering(*account)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(own: Option<u8>, sender: Option<u8>, reg: bool, exists: bool) -> ReceiveKeyFacts {
        ReceiveKeyFacts {
            own_subgroup: own,
            sender_subgroup: sender,
            registering: reg,
            key_exists: exists,
        }
    }

    #[test]
    fn judge_follows_the_reference_table() {
        let a = AccountId32([1; 32]);
        use ReceiveKeyAction::*;
        use ReceiveKeyRejection::*;
        assert_eq!(judge(&a, facts(Some(0), Some(0), true, false)), Ok(Store));
        assert_eq!(judge(&a, facts(Some(0), Some(0), true, true)), Ok(Replace));
        assert_eq!(
            judge(&a, facts(Some(0), Some(0), false, true)),
            Err(AlreadyRegistered)
        );
        assert_eq!(
            judge(&a, facts(Some(0), Some(0), false, false)),
            Err(NotRegistering(a))
        );
        assert_eq!(
            judge(&a, facts(Some(0), Some(1), true, false)),
            Err(NotInSubgroup)
        );
        assert_eq!(
            judge(&a, facts(Some(0), None, true, false)),
            Err(NotInSubgroup)
        );
        assert_eq!(
            judge(&a, facts(None, Some(0), true, false)),
            Err(ReceiverNotOnChain)
        );
    }

    #[test]
    fn payload_checks() {
        let pairs = vec![
            crate::keys::Sr25519Pair::from_suri("//A").unwrap(),
            crate::keys::Sr25519Pair::from_suri("//B").unwrap(),
        ];
        let sid = crate::session::SessionId::dkg(pairs[1].account(), crate::InclusionBlock(3));
        let share = crate::dkg::run_in_process(sid, pairs).unwrap().remove(0);
        let a = AccountId32([3; 32]);
        let info = UserRegistrationInfo::new(a, &share);
        let parsed = UserRegistrationInfo::from_json(&info.to_json()).unwrap();
        assert_eq!(parsed, info);
        let (acc, got) = check_payload(&parsed).unwrap();
        assert_eq!(acc, a);
        assert_eq!(got.verifying_key(), share.verifying_key());

        let mut bad = info.clone();
        bad.key = "MNEMONIC".into();
        assert_eq!(
            check_payload(&bad).unwrap_err(),
            ReceiveKeyRejection::ForbiddenKey
        );
        let mut bad = info.clone();
        bad.key = "02".repeat(33);
        assert_eq!(check_payload(&bad).unwrap_err().code(), "KeyMismatch");
        let mut bad = info.clone();
        bad.value[5] ^= 0x55;
        assert_eq!(check_payload(&bad).unwrap_err().code(), "NotAKeyShare");
        let mut bad = info.clone();
        bad.sig_request_address = None;
        assert_eq!(
            check_payload(&bad).unwrap_err(),
            ReceiveKeyRejection::NoAccount
        );
        let mut bad = info;
        bad.proactive_refresh = true;
        assert_eq!(
            check_payload(&bad).unwrap_err(),
            ReceiveKeyRejection::ProactiveRefresh
        );
        assert!(UserRegistrationInfo::from_json(b"{").is_err());
    }
}
