//! The client's decision whether a registration can be trusted (docs/architecture.md, `verify`).
//!
//! The client gathers what the chain says — the committee it computes itself from on-chain
//! `SigningGroups`/`IsValidatorSynced`/`ThresholdServers` for block N+1, the confirmations it saw
//! (each with the signer of its `confirm_register` extrinsic), `Registered[vk]` — and, optionally,
//! servers' signed receipts and its own key share. This module decides; it does no IO.

use codec::Encode;

use crate::commitments::Commitments;
use crate::committee::InclusionBlock;
use crate::keys::{self, Sr25519Pair};
use crate::test_signature::{self, TestSignature};
use crate::types::{
    AccountId32, KeyVisibility, RegisterArgs, RegisteredInfo, ServerInfo, VerifyingKey,
};

/// Domain separation of server receipts.
const RECEIPT_DOMAIN: &[u8] = b"entropy-register/receipt/v1";

/// One `confirm_register` the client saw in a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenConfirmation {
    /// Signer of the extrinsic (a TSS account).
    pub signer: AccountId32,
    /// The subgroup it confirmed for.
    pub subgroup: u8,
    /// The verifying key it confirmed.
    pub verifying_key: Vec<u8>,
    /// Block it was included in.
    pub block: u32,
}

/// What the client asked for and what it computed from chain state.
#[derive(Debug, Clone)]
pub struct Expectation<'a> {
    /// The registering account.
    pub account: AccountId32,
    /// Block N that included the `register` call.
    pub inclusion_block: InclusionBlock,
    /// The call's arguments as submitted.
    pub request: &'a RegisterArgs,
    /// The committee computed with the core's rule for N+1, index = subgroup.
    pub committee: &'a [ServerInfo],
    /// The chain's number of subgroups (`SubgroupCount`).
    pub subgroups: u8,
}

/// A registration that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRegistration {
    /// The verifying key.
    pub verifying_key: VerifyingKey,
    /// The committee's TSS accounts, index = subgroup.
    pub committee: Vec<AccountId32>,
}

/// Why a registration is not trustworthy. Every variant means: do not use the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerificationError {
    /// The computed committee does not have one server per subgroup.
    #[error("the committee must have {expected} members, found {found}")]
    BadCommittee {
        /// Subgroups.
        expected: usize,
        /// Members given.
        found: usize,
    },
    /// A subgroup did not confirm.
    #[error("subgroup {0} did not confirm")]
    MissingConfirmation(u8),
    /// A subgroup confirmed twice.
    #[error("subgroup {0} confirmed more than once")]
    DuplicateConfirmation(u8),
    /// A confirmation names a subgroup that does not exist.
    #[error("a confirmation names subgroup {0}, which does not exist")]
    UnknownSubgroup(u8),
    /// A confirmation was signed by a server that is not the committee member of its subgroup.
    #[error(
        "subgroup {subgroup} was confirmed by {signer}, but the committee member is {expected}"
    )]
    WrongSigner {
        /// Subgroup.
        subgroup: u8,
        /// Who signed.
        signer: AccountId32,
        /// Who should have.
        expected: AccountId32,
    },
    /// The confirmed key is not a valid verifying key.
    #[error("a confirmation carries an invalid verifying key")]
    InvalidKey,
    /// Confirmations disagree on the key.
    #[error("the subgroups confirmed different verifying keys")]
    KeyMismatch,
    /// `Registered[vk]` is absent.
    #[error("the chain has no Registered entry for the confirmed key")]
    NotRegistered,
    /// `Registered[vk]` differs from the request.
    #[error("Registered[vk] does not hold what was requested: {0}")]
    RegisteredMismatch(&'static str),
    /// The user's own share does not belong to the key.
    #[error("the private key share does not belong to the registered verifying key")]
    PrivateShareMismatch,
    /// A private registration returned no share, or a public one did.
    #[error("key share presence does not match the access mode")]
    ShareModeMismatch,
    /// A client-dealt registration's confirmed key is not the key the user dealt (or not the
    /// one its commitments fix).
    #[error("the confirmed key is not the key that was dealt")]
    DealtKeyMismatch,
    /// A server receipt is invalid.
    #[error("receipt from {server} is invalid: {why}")]
    BadReceipt {
        /// The server.
        server: AccountId32,
        /// What is wrong.
        why: &'static str,
    },
    /// A server's receipt carries no test signature of the new key.
    #[error("receipt from {0} carries no test signature: nothing proves the servers' shares make the key")]
    MissingTestSignature(AccountId32),
    /// Two committee receipts carry different test signatures (one signing session gives all
    /// its parties one signature).
    #[error("the receipts from {first} and {other} carry different test signatures: the committee signed more than once")]
    DifferentTestSignatures {
        /// The server of the first receipt.
        first: AccountId32,
        /// The server whose receipt differs.
        other: AccountId32,
    },
    /// The test signature in a server's receipt does not verify under the registered key.
    #[error("the test signature in the receipt from {server} is invalid: {why}")]
    BadTestSignature {
        /// The server.
        server: AccountId32,
        /// What is wrong.
        why: String,
    },
}

/// Checks confirmations against the expected committee and `Registered[vk]` against the
/// request; in `Private` mode `own_share_vk` (the verifying key recorded in the user's share)
/// must equal the confirmed key.
pub fn verify_registration(
    expected: &Expectation<'_>,
    confirmations: &[SeenConfirmation],
    registered: Option<&RegisteredInfo>,
    own_share_vk: Option<&VerifyingKey>,
) -> Result<VerifiedRegistration, VerificationError> {
    if expected.committee.len() != expected.subgroups as usize || expected.subgroups == 0 {
        return Err(VerificationError::BadCommittee {
            expected: expected.subgroups as usize,
            found: expected.committee.len(),
        });
    }
    let mut by_subgroup: Vec<Option<&SeenConfirmation>> = vec![None; expected.committee.len()];
    for c in confirmations {
        let slot = by_subgroup
            .get_mut(c.subgroup as usize)
            .ok_or(VerificationError::UnknownSubgroup(c.subgroup))?;
        if slot.is_some() {
            return Err(VerificationError::DuplicateConfirmation(c.subgroup));
        }
        let member = expected.committee[c.subgroup as usize].tss_account;
        if c.signer != member {
            return Err(VerificationError::WrongSigner {
                subgroup: c.subgroup,
                signer: c.signer,
                expected: member,
            });
        }
        *slot = Some(c);
    }
    let mut key: Option<VerifyingKey> = None;
    for (g, c) in by_subgroup.iter().enumerate() {
        let c = c.ok_or(VerificationError::MissingConfirmation(g as u8))?;
        let vk = VerifyingKey::from_bytes(&c.verifying_key)
            .map_err(|_| VerificationError::InvalidKey)?;
        match key {
            None => key = Some(vk),
            Some(k) if k != vk => return Err(VerificationError::KeyMismatch),
            _ => {}
        }
    }
    let verifying_key = key.ok_or(VerificationError::MissingConfirmation(0))?;
    let info = registered.ok_or(VerificationError::NotRegistered)?;
    let req = expected.request;
    if info.key_visibility != req.key_visibility {
        return Err(VerificationError::RegisteredMismatch("key visibility"));
    }
    if info.programs_data != req.programs_data {
        return Err(VerificationError::RegisteredMismatch("programs"));
    }
    if info.program_modification_account != req.program_modification_account {
        return Err(VerificationError::RegisteredMismatch(
            "program modification account",
        ));
    }
    match (&req.key_visibility, own_share_vk) {
        (KeyVisibility::Private(_), Some(vk)) if *vk != verifying_key => {
            return Err(VerificationError::PrivateShareMismatch)
        }
        (KeyVisibility::Private(_), None) | (KeyVisibility::Public, Some(_)) => {
            return Err(VerificationError::ShareModeMismatch)
        }
        _ => {}
    }
    Ok(VerifiedRegistration {
        verifying_key,
        committee: expected.committee.iter().map(|s| s.tss_account).collect(),
    })
}

/// [`verify_registration`] for a client-dealt registration (`request` as recorded: `Public`):
/// besides the committee's confirmations and `Registered[vk]`, the confirmed key must be the
/// key the user dealt (`dealt_vk`), the one its commitments fix, and the chain's `DealtKeys[vk]`
/// must hold those very commitments.
pub fn verify_dealt_registration(
    expected: &Expectation<'_>,
    commitments: &Commitments,
    dealt_vk: &VerifyingKey,
    confirmations: &[SeenConfirmation],
    registered: Option<&RegisteredInfo>,
    recorded_commitments: Option<&Commitments>,
) -> Result<VerifiedRegistration, VerificationError> {
    let verified = verify_registration(expected, confirmations, registered, None)?;
    if commitments.verifying_key().ok().as_ref() != Some(dealt_vk)
        || verified.verifying_key != *dealt_vk
    {
        return Err(VerificationError::DealtKeyMismatch);
    }
    if recorded_commitments != Some(commitments) {
        return Err(VerificationError::RegisteredMismatch("dealt commitments"));
    }
    Ok(verified)
}

/// A server's signed statement that it holds the share of `verifying_key` for `account`.
#[derive(
    Debug, Clone, PartialEq, Eq, Encode, codec::Decode, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// The registered account.
    pub account: AccountId32,
    /// Inclusion block N.
    pub block_number: u32,
    /// The server's subgroup.
    pub subgroup: u8,
    /// The verifying key.
    pub verifying_key: VerifyingKey,
    /// The server's TSS account.
    pub server: AccountId32,
    /// The new key's test signature over the registration's transcript
    /// ([`crate::test_signature`]); `None` in a client-dealt share's receipt from a server
    /// that is not the committee member (it signs nothing with the others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_signature: Option<TestSignature>,
    /// sr25519 signature over the statement.
    #[serde(with = "crate::hex::serde_array")]
    pub signature: [u8; 64],
}

impl Receipt {
    fn statement(&self) -> Vec<u8> {
        let mut b = RECEIPT_DOMAIN.to_vec();
        (
            self.account,
            self.block_number,
            self.subgroup,
            self.verifying_key,
            self.server,
            self.test_signature,
        )
            .encode_to(&mut b);
        b
    }

    /// Signs a receipt as `server`.
    pub fn sign(
        server: &Sr25519Pair,
        account: AccountId32,
        block: InclusionBlock,
        subgroup: u8,
        verifying_key: VerifyingKey,
        test_signature: Option<TestSignature>,
    ) -> Self {
        let mut r = Receipt {
            account,
            block_number: block.0,
            subgroup,
            verifying_key,
            server: server.account(),
            test_signature,
            signature: [0; 64],
        };
        r.signature = server.sign(&r.statement());
        r
    }

    /// Checks the receipt against the registration and the on-chain server set: the signature,
    /// the account, block and key, and that `server_subgroup(server)` (from on-chain
    /// `ThresholdToStash`/`ValidatorToSubgroup`) is the subgroup it claims.
    pub fn verify(
        &self,
        account: &AccountId32,
        block: InclusionBlock,
        verifying_key: &VerifyingKey,
        server_subgroup: impl FnOnce(&AccountId32) -> Option<u8>,
    ) -> Result<(), VerificationError> {
        let fail = |why| VerificationError::BadReceipt {
            server: self.server,
            why,
        };
        if !keys::verify(&self.server.0, &self.statement(), &self.signature) {
            return Err(fail("signature does not verify"));
        }
        if &self.account != account || self.block_number != block.0 {
            return Err(fail("it is for another registration"));
        }
        if &self.verifying_key != verifying_key {
            return Err(fail("it names another verifying key"));
        }
        match server_subgroup(&self.server) {
            Some(g) if g == self.subgroup => Ok(()),
            Some(_) => Err(fail("the server is in another subgroup")),
            None => Err(fail("the signer is not a threshold server on chain")),
        }
    }

    /// Checks the receipt's test signature over the registration's transcript (its account,
    /// block and key, and `committee`: the committee's TSS accounts in subgroup order) under its
    /// verifying key. Call after [`Receipt::verify`].
    pub fn verify_test_signature(
        &self,
        committee: &[AccountId32],
    ) -> Result<TestSignature, VerificationError> {
        let sig = self
            .test_signature
            .ok_or(VerificationError::MissingTestSignature(self.server))?;
        let transcript = test_signature::transcript(
            &self.account,
            InclusionBlock(self.block_number),
            &self.verifying_key,
            committee,
        );
        sig.verify(&self.verifying_key, &transcript).map_err(|e| {
            VerificationError::BadTestSignature {
                server: self.server,
                why: e.to_string(),
            }
        })?;
        Ok(sig)
    }
}

/// The committee's test signature: the one that every receipt of a registration carries (the
/// committee signs in one session, and every party of a session ends with the same signature).
/// Check each receipt with [`Receipt::verify_test_signature`] first.
pub fn committee_test_signature<'a>(
    receipts: impl IntoIterator<Item = &'a Receipt>,
) -> Result<TestSignature, VerificationError> {
    let mut first: Option<(&Receipt, TestSignature)> = None;
    for r in receipts {
        let sig = r
            .test_signature
            .ok_or(VerificationError::MissingTestSignature(r.server))?;
        match first {
            None => first = Some((r, sig)),
            Some((f, s)) if s != sig => {
                return Err(VerificationError::DifferentTestSignatures {
                    first: f.server,
                    other: r.server,
                })
            }
            Some(_) => {}
        }
    }
    first
        .map(|(_, sig)| sig)
        .ok_or(VerificationError::BadCommittee {
            expected: 1,
            found: 0,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ProgramInstance, ProgramsData};

    fn vk(n: u8) -> VerifyingKey {
        use k256::elliptic_curve::sec1::ToEncodedPoint;
        let sk = k256::SecretKey::from_slice(&[n; 32]).unwrap();
        VerifyingKey::from_bytes(sk.public_key().to_encoded_point(true).as_bytes()).unwrap()
    }

    fn setup() -> (RegisterArgs, Vec<ServerInfo>) {
        let req = RegisterArgs {
            program_modification_account: AccountId32([9; 32]),
            key_visibility: KeyVisibility::Public,
            programs_data: ProgramsData::new(vec![ProgramInstance {
                program_pointer: [0; 32],
                program_config: vec![],
            }])
            .unwrap(),
        };
        let committee = (0..2)
            .map(|i| ServerInfo {
                tss_account: AccountId32([i + 1; 32]),
                x25519_public_key: [0; 32],
                endpoint: vec![],
            })
            .collect();
        (req, committee)
    }

    fn conf(signer: u8, subgroup: u8, key: &VerifyingKey) -> SeenConfirmation {
        SeenConfirmation {
            signer: AccountId32([signer; 32]),
            subgroup,
            verifying_key: key.as_bytes().to_vec(),
            block: 3,
        }
    }

    fn info(req: &RegisterArgs) -> RegisteredInfo {
        RegisteredInfo {
            key_visibility: req.key_visibility,
            programs_data: req.programs_data.clone(),
            program_modification_account: req.program_modification_account,
            version_number: 1,
        }
    }

    #[test]
    fn accepts_exact_committee_and_rejects_everything_else() {
        let (req, committee) = setup();
        let e = Expectation {
            account: AccountId32([7; 32]),
            inclusion_block: InclusionBlock(2),
            request: &req,
            committee: &committee,
            subgroups: 2,
        };
        let k = vk(1);
        let ok = verify_registration(
            &e,
            &[conf(1, 0, &k), conf(2, 1, &k)],
            Some(&info(&req)),
            None,
        )
        .unwrap();
        assert_eq!(ok.verifying_key, k);
        use VerificationError::*;
        let check = |c: &[SeenConfirmation], i: Option<&RegisteredInfo>| {
            verify_registration(&e, c, i, None).unwrap_err()
        };
        assert_eq!(
            check(&[conf(1, 0, &k)], Some(&info(&req))),
            MissingConfirmation(1)
        );
        assert_eq!(
            check(&[conf(1, 0, &k), conf(1, 0, &k)], Some(&info(&req))),
            DuplicateConfirmation(0)
        );
        assert!(matches!(
            check(&[conf(1, 0, &k), conf(3, 1, &k)], Some(&info(&req))),
            WrongSigner { .. }
        ));
        assert_eq!(
            check(&[conf(1, 0, &k), conf(2, 1, &vk(2))], Some(&info(&req))),
            KeyMismatch
        );
        assert_eq!(
            check(&[conf(1, 0, &k), conf(2, 5, &k)], Some(&info(&req))),
            UnknownSubgroup(5)
        );
        assert_eq!(
            check(&[conf(1, 0, &k), conf(2, 1, &k)], None),
            NotRegistered
        );
        let mut other = info(&req);
        other.program_modification_account = AccountId32([8; 32]);
        assert!(matches!(
            check(&[conf(1, 0, &k), conf(2, 1, &k)], Some(&other)),
            RegisteredMismatch(_)
        ));
        let mut bad = conf(2, 1, &k);
        bad.verifying_key[0] = 0x05;
        assert_eq!(check(&[conf(1, 0, &k), bad], Some(&info(&req))), InvalidKey);
        // A share in public mode is a mode mismatch.
        assert_eq!(
            verify_registration(
                &e,
                &[conf(1, 0, &k), conf(2, 1, &k)],
                Some(&info(&req)),
                Some(&k)
            )
            .unwrap_err(),
            ShareModeMismatch
        );
    }

    #[test]
    fn private_share_must_match() {
        let (mut req, committee) = setup();
        req.key_visibility = KeyVisibility::Private([4; 32]);
        let e = Expectation {
            account: AccountId32([7; 32]),
            inclusion_block: InclusionBlock(2),
            request: &req,
            committee: &committee,
            subgroups: 2,
        };
        let k = vk(1);
        let c = [conf(1, 0, &k), conf(2, 1, &k)];
        assert!(verify_registration(&e, &c, Some(&info(&req)), Some(&k)).is_ok());
        assert_eq!(
            verify_registration(&e, &c, Some(&info(&req)), Some(&vk(2))).unwrap_err(),
            VerificationError::PrivateShareMismatch
        );
        assert_eq!(
            verify_registration(&e, &c, Some(&info(&req)), None).unwrap_err(),
            VerificationError::ShareModeMismatch
        );
    }

    #[test]
    fn dealt_key_must_be_the_committed_one() {
        let (req, committee) = setup();
        let point = |n: u8| *vk(n).as_bytes();
        // Commitments to 1·… and 2·…: they fix their sum.
        let commitments = Commitments::new(vec![point(1), point(2)]).unwrap();
        let k = commitments.verifying_key().unwrap();
        let e = Expectation {
            account: AccountId32([7; 32]),
            inclusion_block: InclusionBlock(2),
            request: &req,
            committee: &committee,
            subgroups: 2,
        };
        let ok = [conf(1, 0, &k), conf(2, 1, &k)];
        let i = info(&req);
        let v = |dealt: &VerifyingKey, c: &[SeenConfirmation], rec: Option<&Commitments>| {
            verify_dealt_registration(&e, &commitments, dealt, c, Some(&i), rec)
        };
        assert_eq!(v(&k, &ok, Some(&commitments)).unwrap().verifying_key, k);
        // The user dealt another key than the one confirmed.
        assert_eq!(
            v(&vk(9), &ok, Some(&commitments)).unwrap_err(),
            VerificationError::DealtKeyMismatch
        );
        // Both subgroups confirmed a key the commitments do not fix.
        let other = vk(4);
        let bad = [conf(1, 0, &other), conf(2, 1, &other)];
        assert_eq!(
            v(&other, &bad, Some(&commitments)).unwrap_err(),
            VerificationError::DealtKeyMismatch
        );
        // The chain recorded other commitments, or none.
        let swapped = Commitments::new(vec![point(2), point(1)]).unwrap();
        assert!(matches!(
            v(&k, &ok, Some(&swapped)).unwrap_err(),
            VerificationError::RegisteredMismatch(_)
        ));
        assert!(matches!(
            v(&k, &ok, None).unwrap_err(),
            VerificationError::RegisteredMismatch(_)
        ));
        // The DKG checks still apply.
        assert_eq!(
            v(&k, &ok[..1], Some(&commitments)).unwrap_err(),
            VerificationError::MissingConfirmation(1)
        );
    }

    #[test]
    fn receipts() {
        let server = Sr25519Pair::from_suri("//Server").unwrap();
        let acct = AccountId32([7; 32]);
        let k = vk(3);
        let r = Receipt::sign(&server, acct, InclusionBlock(4), 1, k, None);
        let json = serde_json::to_string(&r).unwrap();
        let r: Receipt = serde_json::from_str(&json).unwrap();
        assert!(r.verify(&acct, InclusionBlock(4), &k, |_| Some(1)).is_ok());
        assert!(r.verify(&acct, InclusionBlock(4), &k, |_| Some(0)).is_err());
        assert!(r.verify(&acct, InclusionBlock(4), &k, |_| None).is_err());
        assert!(r.verify(&acct, InclusionBlock(5), &k, |_| Some(1)).is_err());
        assert!(r
            .verify(&acct, InclusionBlock(4), &vk(4), |_| Some(1))
            .is_err());
        let mut forged = r.clone();
        forged.subgroup = 0;
        assert!(forged
            .verify(&acct, InclusionBlock(4), &k, |_| Some(0))
            .is_err());
        assert_eq!(
            r.verify_test_signature(&[]).unwrap_err(),
            VerificationError::MissingTestSignature(server.account())
        );
    }

    #[test]
    fn receipts_with_a_test_signature() {
        let pairs: Vec<_> = (0..2)
            .map(|i| Sr25519Pair::from_suri(&format!("//Server{i}")).unwrap())
            .collect();
        let committee: Vec<_> = pairs.iter().map(|p| p.account()).collect();
        let acct = AccountId32([7; 32]);
        let sid = crate::session::SessionId::dkg(acct, InclusionBlock(4));
        let out = crate::dkg::run_in_process_signed(sid, pairs.clone(), None).unwrap();
        let (share, sig) = &out[0];
        let k = share.verifying_key();
        let r = Receipt::sign(&pairs[0], acct, InclusionBlock(4), 0, k, Some(*sig));
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("testSignature"));
        let r: Receipt = serde_json::from_str(&json).unwrap();
        r.verify(&acct, InclusionBlock(4), &k, |_| Some(0)).unwrap();
        assert_eq!(r.verify_test_signature(&committee).unwrap(), *sig);
        // Another committee (order matters), or a tampered signature, does not verify.
        let swapped = [committee[1], committee[0]];
        assert!(matches!(
            r.verify_test_signature(&swapped),
            Err(VerificationError::BadTestSignature { .. })
        ));
        let mut tampered = r.clone();
        tampered.test_signature.as_mut().unwrap().0[64] ^= 1;
        // The receipt's own signature covers the test signature.
        assert!(tampered
            .verify(&acct, InclusionBlock(4), &k, |_| Some(0))
            .is_err());
        assert!(matches!(
            tampered.verify_test_signature(&committee),
            Err(VerificationError::BadTestSignature { .. })
        ));

        // Both parties of the session hold the same signature: the committee's.
        assert_eq!(out[1].1, *sig);
        let r1 = Receipt::sign(&pairs[1], acct, InclusionBlock(4), 1, k, Some(out[1].1));
        assert_eq!(committee_test_signature([&r, &r1]).unwrap(), *sig);
        // Receipts with different signatures have no committee signature; nor does a receipt
        // without one, or no receipt at all.
        let mut other = sig.0;
        other[64] ^= 1;
        let r2 = Receipt::sign(
            &pairs[1],
            acct,
            InclusionBlock(4),
            1,
            k,
            Some(TestSignature(other)),
        );
        assert_eq!(
            committee_test_signature([&r, &r2]).unwrap_err(),
            VerificationError::DifferentTestSignatures {
                first: pairs[0].account(),
                other: pairs[1].account()
            }
        );
        let bare = Receipt::sign(&pairs[1], acct, InclusionBlock(4), 1, k, None);
        assert_eq!(
            committee_test_signature([&r, &bare]).unwrap_err(),
            VerificationError::MissingTestSignature(pairs[1].account())
        );
        assert!(committee_test_signature([]).is_err());
    }
}
