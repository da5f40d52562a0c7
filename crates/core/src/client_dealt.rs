//! Client-dealt registration (`Registry::register_client_dealt`, ours; the §9 flow with the two
//! ideas the reference only wrote down): what a user sends each server of a subgroup (`POST
//! /user/dealt_share`, inside an HPKE envelope the user signs), the server's acceptance rule, the
//! digest the members of a subgroup compare before storing, and the signed answer of that
//! comparison (`POST /user/share_check`). Pure functions; the server does the IO.

use alloc::string::String;
use alloc::vec::Vec;
use codec::Encode;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::commitments::ClientDealtRegistration;
use crate::dealing::{check_share, DealingError};
use crate::dkg::KeyShare;
use crate::keys::{self, Sr25519Pair};
use crate::types::{AccountId32, RegisteringDetails, VerifyingKey};

/// Domain separation of the share digest.
const DIGEST_DOMAIN: &[u8] = b"entropy-register/dealt-share-digest/v1";
/// Domain separation of a peer's answer.
const ANSWER_DOMAIN: &[u8] = b"entropy-register/share-check-answer/v1";

/// The payload of a user's envelope to one server: the share of `subgroup` of `account`'s
/// client-dealt key. JSON; the share travels as hex.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DealtShare {
    /// The registering account; the envelope must be signed by it.
    pub account: AccountId32,
    /// The subgroup the share is for.
    pub subgroup: u8,
    /// The serialized key share (the DKG share format), hex.
    #[serde(with = "crate::hex::serde_bytes")]
    pub share: Vec<u8>,
}

impl core::fmt::Debug for DealtShare {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "DealtShare(account {}, subgroup {}, {} share bytes)",
            self.account,
            self.subgroup,
            self.share.len()
        )
    }
}

impl DealtShare {
    /// The payload carrying `share` (for `subgroup`) of `account`.
    pub fn new(account: AccountId32, subgroup: u8, share: &KeyShare) -> Self {
        DealtShare {
            account,
            subgroup,
            share: share.to_bytes().to_vec(),
        }
    }

    /// JSON bytes (secret: zeroized on drop).
    pub fn to_json(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(serde_json::to_vec(self).expect("plain data serializes"))
    }

    /// Parses JSON bytes.
    pub fn from_json(b: &[u8]) -> Result<Self, DealtShareRejection> {
        serde_json::from_slice(b).map_err(|e| DealtShareRejection::Malformed(e.to_string()))
    }
}

impl Drop for DealtShare {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.share);
    }
}

/// What the chain says, gathered by the server for one envelope.
#[derive(Debug, Clone, Copy)]
pub struct DealtShareFacts<'a> {
    /// Who signed the envelope (authenticated by its signature).
    pub signer: AccountId32,
    /// The receiving server's subgroup (`None`: not a threshold server on chain).
    pub own_subgroup: Option<u8>,
    /// `Registering[account]`.
    pub registering: Option<&'a RegisteringDetails>,
    /// `ClientDealt[account]`.
    pub dealt: Option<&'a ClientDealtRegistration>,
}

/// A share the server may keep (after its subgroup peers agree).
pub struct AcceptedShare {
    /// The share.
    pub share: KeyShare,
    /// The server's subgroup.
    pub subgroup: u8,
    /// The key the on-chain commitments fix.
    pub verifying_key: VerifyingKey,
    /// The digest subgroup peers compare ([`share_digest`]).
    pub digest: [u8; 32],
}

/// Why a server refuses a dealt share or a peer's comparison. Nothing is stored or confirmed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DealtShareRejection {
    /// The payload is not valid JSON of the expected shape.
    #[error("malformed payload: {0}")]
    Malformed(String),
    /// The envelope was signed by another account than the one registering.
    #[error("the envelope is signed by {signer}, not by the registering account {account}")]
    SignedByAnother {
        /// Who signed.
        signer: AccountId32,
        /// The account named in the payload.
        account: AccountId32,
    },
    /// The account is not registering on chain.
    #[error("account {0} is not registering on chain")]
    NotRegistering(AccountId32),
    /// The account is registering, but not in the client-dealt mode.
    #[error("account {0} is registering, but not in the client-dealt mode (it has a DKG)")]
    NotClientDealt(AccountId32),
    /// This server is not a threshold server on chain.
    #[error("this server has no subgroup on chain")]
    ServerNotOnChain,
    /// The share is for another subgroup than this server's.
    #[error("this server is in subgroup {own}; the share is for subgroup {share}")]
    WrongSubgroup {
        /// This server's subgroup.
        own: u8,
        /// The payload's subgroup.
        share: u8,
    },
    /// The bytes are not a key share.
    #[error("the share is not a key share: {0}")]
    NotAKeyShare(String),
    /// The share does not match the commitments recorded on chain.
    #[error("{0}")]
    ShareMismatch(DealingError),
    /// The asking server is not in this server's subgroup.
    #[error("server {0} is not in this server's subgroup")]
    NotInSubgroup(AccountId32),
    /// This server has not (yet) accepted a share for the account.
    #[error("no accepted share of {0} on this server yet")]
    NoShareYet(AccountId32),
}

impl DealtShareRejection {
    /// The stable code of the refusal ([`crate::api::ApiCode`]).
    pub fn code(&self) -> &'static str {
        crate::api::ApiCode::from(self).as_str()
    }
}

/// The server's rule for a user's envelope: signed by the account it names, which is
/// registering on chain in the client-dealt mode; the share is for this server's subgroup and
/// matches the on-chain commitments (and so the key the chain recorded).
pub fn judge(
    msg: &DealtShare,
    facts: &DealtShareFacts<'_>,
) -> Result<AcceptedShare, DealtShareRejection> {
    if facts.signer != msg.account {
        return Err(DealtShareRejection::SignedByAnother {
            signer: facts.signer,
            account: msg.account,
        });
    }
    let details = facts
        .registering
        .ok_or(DealtShareRejection::NotRegistering(msg.account))?;
    let commitments = &facts
        .dealt
        .ok_or(DealtShareRejection::NotClientDealt(msg.account))?
        .commitments;
    let own = facts
        .own_subgroup
        .ok_or(DealtShareRejection::ServerNotOnChain)?;
    if msg.subgroup != own {
        return Err(DealtShareRejection::WrongSubgroup {
            own,
            share: msg.subgroup,
        });
    }
    let share = KeyShare::from_bytes(&msg.share)
        .map_err(|e| DealtShareRejection::NotAKeyShare(e.to_string()))?;
    let verifying_key = check_share(&share, u16::from(own), commitments)
        .map_err(DealtShareRejection::ShareMismatch)?;
    if details.verifying_key.as_deref() != Some(&verifying_key.as_bytes()[..]) {
        return Err(DealtShareRejection::ShareMismatch(DealingError::Mismatch(
            "the chain recorded another key for this registration",
        )));
    }
    let digest = share_digest(&msg.account, &share);
    Ok(AcceptedShare {
        share,
        subgroup: own,
        verifying_key,
        digest,
    })
}

/// What the members of a subgroup compare: BLAKE2-256 over a domain tag, the account and the
/// serialized share. Equal digests mean equal shares; the digest reveals nothing usable about
/// the share (it is a 256-bit secret under a hash).
pub fn share_digest(account: &AccountId32, share: &KeyShare) -> [u8; 32] {
    let mut b = Zeroizing::new(DIGEST_DOMAIN.to_vec());
    b.extend_from_slice(&account.0);
    b.extend_from_slice(&share.to_bytes());
    sp_crypto_hashing::blake2_256(&b)
}

/// One server asks a subgroup peer whether it holds the same share (the payload of an envelope
/// the asking server signs and seals to the peer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareCheck {
    /// The registering account.
    pub account: AccountId32,
    /// The key of the registration.
    pub verifying_key: VerifyingKey,
    /// The asking server's digest.
    #[serde(with = "crate::hex::serde_array")]
    pub digest: [u8; 32],
}

impl ShareCheck {
    /// JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("plain data serializes")
    }

    /// Parses JSON bytes.
    pub fn from_json(b: &[u8]) -> Result<Self, DealtShareRejection> {
        serde_json::from_slice(b).map_err(|e| DealtShareRejection::Malformed(e.to_string()))
    }
}

/// The answering peer's rule: the asker must be a member of its own subgroup.
pub fn judge_check(
    asker: &AccountId32,
    asker_subgroup: Option<u8>,
    own_subgroup: Option<u8>,
) -> Result<u8, DealtShareRejection> {
    let own = own_subgroup.ok_or(DealtShareRejection::ServerNotOnChain)?;
    if asker_subgroup != Some(own) {
        return Err(DealtShareRejection::NotInSubgroup(*asker));
    }
    Ok(own)
}

/// A peer's signed answer to a [`ShareCheck`]: whether its digest equals the asker's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareCheckAnswer {
    /// The answering server's TSS account.
    pub server: AccountId32,
    /// Whether it holds the same share.
    pub same: bool,
    /// sr25519 signature over the domain, the account, the asker, the server, the asker's
    /// digest and `same`.
    #[serde(with = "crate::hex::serde_array")]
    pub signature: [u8; 64],
}

fn answer_statement(
    check: &ShareCheck,
    asker: &AccountId32,
    server: &AccountId32,
    same: bool,
) -> Vec<u8> {
    let mut b = ANSWER_DOMAIN.to_vec();
    (check.account, asker, server, check.digest, same).encode_to(&mut b);
    b
}

/// Why a peer's answer is not good enough to store the share.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerCheckError {
    /// The answer is not signed by the peer asked.
    #[error("the answer of {0} is not signed by it")]
    BadSignature(AccountId32),
    /// The peer holds a different share.
    #[error("subgroup peer {0} holds a different share")]
    Different(AccountId32),
}

impl ShareCheckAnswer {
    /// Answers `check` from `asker` as `server`, whose own digest is `own_digest`.
    pub fn sign(
        server: &Sr25519Pair,
        check: &ShareCheck,
        asker: &AccountId32,
        own_digest: &[u8; 32],
    ) -> Self {
        let same = *own_digest == check.digest;
        let account = server.account();
        let signature = server.sign(&answer_statement(check, asker, &account, same));
        ShareCheckAnswer {
            server: account,
            same,
            signature,
        }
    }

    /// The asker's check of the answer of `peer` to its own `check`: signed by `peer` over this
    /// very question, and `same`.
    pub fn accept(
        &self,
        check: &ShareCheck,
        asker: &AccountId32,
        peer: &AccountId32,
    ) -> Result<(), PeerCheckError> {
        if self.server != *peer
            || !keys::verify(
                &peer.0,
                &answer_statement(check, asker, peer, self.same),
                &self.signature,
            )
        {
            return Err(PeerCheckError::BadSignature(*peer));
        }
        if !self.same {
            return Err(PeerCheckError::Different(*peer));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dealing::deal;
    use crate::types::{BoundedVec, KeyVisibility, KEY_VERSION_NUMBER};

    fn registering(vk: Option<VerifyingKey>) -> RegisteringDetails {
        RegisteringDetails {
            program_modification_account: AccountId32([9; 32]),
            confirmations: Vec::new(),
            programs_data: BoundedVec::new(Vec::new()).unwrap(),
            key_visibility: KeyVisibility::Public,
            verifying_key: vk.map(|k| k.to_bounded()),
            version_number: KEY_VERSION_NUMBER,
        }
    }

    #[test]
    fn a_matching_share_is_accepted_and_everything_else_refused() {
        let user = Sr25519Pair::from_suri("//Alice").unwrap().account();
        let d = deal(None, 2).unwrap();
        let vk = d.commitments.verifying_key().unwrap();
        let details = registering(Some(vk));
        let dealt = ClientDealtRegistration {
            commitments: d.commitments.clone(),
            inclusion_block: 7,
        };
        let facts = DealtShareFacts {
            signer: user,
            own_subgroup: Some(1),
            registering: Some(&details),
            dealt: Some(&dealt),
        };
        let msg = DealtShare::new(user, 1, &d.shares[1]);
        let again = DealtShare::from_json(&msg.to_json()).unwrap();
        assert_eq!(again, msg);
        let ok = judge(&again, &facts).unwrap();
        assert_eq!(ok.verifying_key, vk);
        assert_eq!(ok.subgroup, 1);
        assert_eq!(ok.digest, share_digest(&user, &d.shares[1]));

        let code = |m: &DealtShare, f: &DealtShareFacts<'_>| judge(m, f).err().unwrap().code();
        // Signed by someone else.
        let other = AccountId32([5; 32]);
        assert_eq!(
            code(
                &msg,
                &DealtShareFacts {
                    signer: other,
                    ..facts
                }
            ),
            "SignedByAnother"
        );
        // Not registering; registering with a DKG.
        assert_eq!(
            code(
                &msg,
                &DealtShareFacts {
                    registering: None,
                    ..facts
                }
            ),
            "NotRegistering"
        );
        let public = registering(None);
        assert_eq!(
            code(
                &msg,
                &DealtShareFacts {
                    registering: Some(&public),
                    dealt: None,
                    ..facts
                }
            ),
            "NotClientDealt"
        );
        // A server of the other subgroup, a server not on chain.
        assert_eq!(
            code(
                &msg,
                &DealtShareFacts {
                    own_subgroup: Some(0),
                    ..facts
                }
            ),
            "WrongSubgroup"
        );
        assert_eq!(
            code(
                &msg,
                &DealtShareFacts {
                    own_subgroup: None,
                    ..facts
                }
            ),
            "ServerNotOnChain"
        );
        // The other subgroup's share labelled as this one's; another dealing's share; bytes.
        let swapped = DealtShare::new(user, 1, &d.shares[0]);
        assert_eq!(code(&swapped, &facts), "ShareMismatch");
        let e = deal(None, 2).unwrap();
        assert_eq!(
            code(&DealtShare::new(user, 1, &e.shares[1]), &facts),
            "ShareMismatch"
        );
        let garbage = DealtShare {
            account: user,
            subgroup: 1,
            share: vec![1, 2, 3],
        };
        assert_eq!(code(&garbage, &facts), "NotAKeyShare");
        assert_eq!(
            DealtShare::from_json(b"{\"account\":1}")
                .err()
                .unwrap()
                .code(),
            "Malformed"
        );
        // The chain recorded another key than the commitments imply (cannot happen with our
        // pallet, refused all the same).
        let wrong = registering(Some(e.commitments.verifying_key().unwrap()));
        assert_eq!(
            code(
                &msg,
                &DealtShareFacts {
                    registering: Some(&wrong),
                    ..facts
                }
            ),
            "ShareMismatch"
        );
    }

    #[test]
    fn peers_answer_signed_and_only_same_digests_pass() {
        let asker = Sr25519Pair::from_suri("//Alice//tss").unwrap();
        let peer = Sr25519Pair::from_suri("//Bob//tss").unwrap();
        let d = deal(None, 2).unwrap();
        let account = AccountId32([1; 32]);
        let digest = share_digest(&account, &d.shares[0]);
        let check = ShareCheck {
            account,
            verifying_key: d.commitments.verifying_key().unwrap(),
            digest,
        };
        assert_eq!(ShareCheck::from_json(&check.to_json()).unwrap(), check);
        let a = asker.account();
        let p = peer.account();

        let yes = ShareCheckAnswer::sign(&peer, &check, &a, &digest);
        let json = serde_json::to_vec(&yes).unwrap();
        let yes: ShareCheckAnswer = serde_json::from_slice(&json).unwrap();
        assert_eq!(yes.accept(&check, &a, &p), Ok(()));
        // Another share: a signed "no".
        let other = share_digest(&account, &d.shares[1]);
        let no = ShareCheckAnswer::sign(&peer, &check, &a, &other);
        assert_eq!(no.accept(&check, &a, &p), Err(PeerCheckError::Different(p)));
        // Flipped answer, answer by someone else, answer to another question.
        let mut flipped = no.clone();
        flipped.same = true;
        assert_eq!(
            flipped.accept(&check, &a, &p),
            Err(PeerCheckError::BadSignature(p))
        );
        let by_asker = ShareCheckAnswer::sign(&asker, &check, &a, &digest);
        assert!(by_asker.accept(&check, &a, &p).is_err());
        let mut other_q = check.clone();
        other_q.account = AccountId32([2; 32]);
        assert!(yes.accept(&other_q, &a, &p).is_err());
        // Only members of the same subgroup may ask.
        assert_eq!(judge_check(&a, Some(1), Some(1)), Ok(1));
        assert_eq!(
            judge_check(&a, Some(0), Some(1)).err().unwrap().code(),
            "NotInSubgroup"
        );
        assert_eq!(
            judge_check(&a, None, Some(1)).err().unwrap().code(),
            "NotInSubgroup"
        );
        assert_eq!(
            judge_check(&a, Some(1), None).err().unwrap().code(),
            "ServerNotOnChain"
        );
    }
}
