//! The test signature at registration (DESIGN §3.3; the choice is in docs/decisions.md, "Test
//! signature").
//!
//! Before a server stores and confirms a new key, every holder of a share of that key (the
//! committee, plus the user in `Private` mode) signs a fixed, domain-separated [`transcript`]
//! with FROST(secp256k1, SHA-256) (`frost-secp256k1`, RFC 9591). A valid signature under the
//! registered verifying key proves that the shares combine to that key's secret; an invalid
//! signature share names the party that sent it.
//!
//! ## Share mapping
//! The DKG gives n-of-n additive shares `x_i` (Σ x_i = x) with public shares `X_i = x_i·G`.
//! FROST signs with Shamir shares: for the identifier set {1..n}, party i (0-based index i,
//! identifier i+1) gets the signing share `s_i = x_i · λ_i⁻¹` and the verifying share
//! `X_i · λ_i⁻¹`, where `λ_i` is the Lagrange coefficient of identifier i+1 at 0 for {1..n}.
//! FROST's aggregation computes `Σ λ_i s_i = Σ x_i = x`, so the group key is the registered key.
//!
//! This module is sans-IO: [`TestSigning`] is the two-round state machine that the DKG session
//! runs right after the key generation, over the same authenticated messages.

use std::collections::BTreeMap;

use codec::{Decode, Encode};
use frost_secp256k1 as frost;
use k256::elliptic_curve::ff::PrimeField;
use k256::elliptic_curve::sec1::ToEncodedPoint;
use k256::{ProjectivePoint, PublicKey, Scalar};

use crate::committee::InclusionBlock;
use crate::types::{AccountId32, VerifyingKey};

/// Domain separation of the transcript.
pub const TEST_SIGNATURE_DOMAIN: &[u8] = b"entropy-register/test-signature/v1";
/// Length of a serialized signature: R (33 bytes, compressed) ‖ z (32 bytes).
pub const TEST_SIGNATURE_LEN: usize = 65;

/// Message tag of a round-1 commitment (a DKG payload never starts with it: those are JSON).
const TAG_COMMITMENTS: u8 = 0x01;
/// Message tag of a round-2 signature share.
const TAG_SHARE: u8 = 0x02;

/// Why a test signature could not be made or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TestSignatureError {
    /// The bytes are not a signature.
    #[error("the test signature is malformed: {0}")]
    Malformed(String),
    /// The signature does not verify under the verifying key for this registration.
    #[error("the test signature does not verify under the registered key")]
    Invalid,
    /// A party's key share or public shares cannot be used.
    #[error("the key share cannot sign: {0}")]
    BadShare(String),
    /// A message failed a check; it was dropped.
    #[error("refused a test-signature message: {0}")]
    BadMessage(String),
    /// Signature shares did not combine; these parties (protocol indices) sent invalid ones.
    #[error("invalid signature shares from parties {0:?}")]
    Misbehaved(Vec<u16>),
    /// The library failed for another reason.
    #[error("the test signature failed: {0}")]
    Protocol(String),
}

/// A FROST(secp256k1, SHA-256) signature over a registration's [`transcript`].
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct TestSignature(#[serde(with = "crate::hex::serde_array")] pub [u8; TEST_SIGNATURE_LEN]);

impl core::fmt::Debug for TestSignature {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TestSignature({})", crate::hex::encode_0x(&self.0))
    }
}

impl TestSignature {
    /// Parses 65 bytes.
    pub fn from_bytes(b: &[u8]) -> Result<Self, TestSignatureError> {
        let arr: [u8; TEST_SIGNATURE_LEN] = b.try_into().map_err(|_| {
            TestSignatureError::Malformed(format!(
                "{} bytes, expected {TEST_SIGNATURE_LEN}",
                b.len()
            ))
        })?;
        Ok(TestSignature(arr))
    }

    /// Checks the signature over `transcript` under `verifying_key` with FROST's verifier.
    pub fn verify(
        &self,
        verifying_key: &VerifyingKey,
        transcript: &[u8],
    ) -> Result<(), TestSignatureError> {
        let vk = frost::VerifyingKey::deserialize(verifying_key.as_bytes())
            .map_err(|e| TestSignatureError::Malformed(format!("verifying key: {e}")))?;
        let sig = frost::Signature::deserialize(&self.0)
            .map_err(|e| TestSignatureError::Malformed(e.to_string()))?;
        vk.verify(transcript, &sig)
            .map_err(|_| TestSignatureError::Invalid)
    }
}

/// Signs `transcript` with a whole secret key (32 bytes, big-endian) as FROST's single-signer
/// form: for tests of verifiers only (a registration's shares never meet in one place).
#[cfg(any(test, feature = "test-helpers"))]
pub fn sign_with_whole_key(secret: &[u8; 32], transcript: &[u8]) -> TestSignature {
    let key = frost::SigningKey::deserialize(secret).expect("a valid secret key");
    let sig = key.sign(rand_core::OsRng, transcript);
    TestSignature::from_bytes(&sig.serialize().expect("serializes")).expect("65 bytes")
}

/// What the share holders sign: the domain, then SCALE of (account, N, verifying key,
/// committee servers in subgroup order). The user is not listed: in `Private` mode it is a
/// signer, but the account already names it.
pub fn transcript(
    account: &AccountId32,
    block: InclusionBlock,
    verifying_key: &VerifyingKey,
    committee: &[AccountId32],
) -> Vec<u8> {
    let mut b = TEST_SIGNATURE_DOMAIN.to_vec();
    (account, block.0, verifying_key.as_bytes(), committee).encode_to(&mut b);
    b
}

/// The Lagrange coefficient at 0 of identifier `id` for the identifier set {1..n}.
fn lagrange_at_zero(id: u16, n: u16) -> Scalar {
    let xi = Scalar::from(u64::from(id));
    let mut num = Scalar::ONE;
    let mut den = Scalar::ONE;
    for j in 1..=n {
        if j == id {
            continue;
        }
        let xj = Scalar::from(u64::from(j));
        num *= xj;
        den *= xj - xi;
    }
    num * den.invert().expect("identifiers are distinct")
}

fn identifier(index: u16) -> Result<frost::Identifier, TestSignatureError> {
    frost::Identifier::try_from(index + 1)
        .map_err(|e| TestSignatureError::BadShare(format!("identifier of party {index}: {e}")))
}

fn point(bytes: &[u8]) -> Result<ProjectivePoint, TestSignatureError> {
    PublicKey::from_sec1_bytes(bytes)
        .map(|p| p.to_projective())
        .map_err(|_| TestSignatureError::BadShare("a public share is not a curve point".into()))
}

fn compressed(p: ProjectivePoint) -> Vec<u8> {
    p.to_affine().to_encoded_point(true).as_bytes().to_vec()
}

/// The FROST key material of party `index` (0-based) of `n` additive shares: its key package
/// (from its secret share `x_i`, 32 bytes big-endian) and the group's public key package (from
/// every party's public share `x_j·G`, compressed). Checks that the public shares sum to the
/// verifying key and that the secret share is the party's public share.
pub fn frost_keys(
    index: u16,
    secret_share: &[u8; 32],
    public_shares: &[[u8; 33]],
    verifying_key: &VerifyingKey,
) -> Result<(frost::keys::KeyPackage, frost::keys::PublicKeyPackage), TestSignatureError> {
    let n = u16::try_from(public_shares.len())
        .map_err(|_| TestSignatureError::BadShare("too many parties".into()))?;
    if n < 2 || index >= n {
        return Err(TestSignatureError::BadShare(format!(
            "party {index} of {n} parties"
        )));
    }
    let points = public_shares
        .iter()
        .map(|p| point(p))
        .collect::<Result<Vec<_>, _>>()?;
    let sum = points
        .iter()
        .fold(ProjectivePoint::IDENTITY, |acc, p| acc + p);
    if compressed(sum) != verifying_key.as_bytes() {
        return Err(TestSignatureError::BadShare(
            "the public shares do not sum to the verifying key".into(),
        ));
    }
    let x = Option::<Scalar>::from(Scalar::from_repr((*secret_share).into()))
        .ok_or_else(|| TestSignatureError::BadShare("the secret share is not a scalar".into()))?;
    if compressed(ProjectivePoint::GENERATOR * x) != compressed(points[index as usize]) {
        return Err(TestSignatureError::BadShare(
            "the secret share does not match its public share".into(),
        ));
    }
    let lib = |e: frost::Error| TestSignatureError::BadShare(e.to_string());
    let mut verifying_shares = BTreeMap::new();
    for (j, p) in points.iter().enumerate() {
        let j = j as u16;
        let inv = lagrange_at_zero(j + 1, n).invert().expect("λ is never 0");
        let share = frost::keys::VerifyingShare::deserialize(&compressed(*p * inv)).map_err(lib)?;
        verifying_shares.insert(identifier(j)?, share);
    }
    let group = frost::VerifyingKey::deserialize(verifying_key.as_bytes()).map_err(lib)?;
    let own_inv = lagrange_at_zero(index + 1, n)
        .invert()
        .expect("λ is never 0");
    let signing_share =
        frost::keys::SigningShare::deserialize(&(x * own_inv).to_bytes()).map_err(lib)?;
    let id = identifier(index)?;
    let key_package =
        frost::keys::KeyPackage::new(id, signing_share, verifying_shares[&id], group, n);
    let public = frost::keys::PublicKeyPackage::new(verifying_shares, group, Some(n));
    Ok((key_package, public))
}

/// A round message of the test signature, as carried in a DKG message's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestSigningMessage {
    /// Round 1: the sender's nonce commitments (hiding, binding; compressed points).
    Commitments(Vec<u8>, Vec<u8>),
    /// Round 2: the sender's signature share (32 bytes).
    Share(Vec<u8>),
}

impl TestSigningMessage {
    /// The payload: a tag byte, then the fields.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            TestSigningMessage::Commitments(h, b) => {
                let mut v = vec![TAG_COMMITMENTS];
                v.extend_from_slice(h);
                v.extend_from_slice(b);
                v
            }
            TestSigningMessage::Share(z) => {
                let mut v = vec![TAG_SHARE];
                v.extend_from_slice(z);
                v
            }
        }
    }

    /// Parses a payload; `None` when it is not a test-signature message (no tag).
    pub fn from_bytes(b: &[u8]) -> Option<Result<Self, TestSignatureError>> {
        let bad = |what: &str| Err(TestSignatureError::BadMessage(what.into()));
        match b.first() {
            Some(&TAG_COMMITMENTS) if b.len() == 1 + 66 => Some(Ok(
                TestSigningMessage::Commitments(b[1..34].to_vec(), b[34..].to_vec()),
            )),
            Some(&TAG_COMMITMENTS) => Some(bad("commitments are 66 bytes")),
            Some(&TAG_SHARE) if b.len() == 1 + 32 => {
                Some(Ok(TestSigningMessage::Share(b[1..].to_vec())))
            }
            Some(&TAG_SHARE) => Some(bad("a signature share is 32 bytes")),
            _ => None,
        }
    }
}

/// One party's two-round FROST signing of the transcript. Every party broadcasts its
/// commitments, then, once it holds all n, its signature share; once it holds all n shares it
/// aggregates (which checks every share and names the senders of invalid ones).
pub struct TestSigning {
    me: u16,
    n: u16,
    message: Vec<u8>,
    key_package: frost::keys::KeyPackage,
    public: frost::keys::PublicKeyPackage,
    nonces: Option<frost::round1::SigningNonces>,
    commitments: BTreeMap<frost::Identifier, frost::round1::SigningCommitments>,
    signing_package: Option<frost::SigningPackage>,
    shares: BTreeMap<frost::Identifier, frost::round2::SignatureShare>,
    wrong_share: bool,
}

/// What a step of [`TestSigning`] produced.
#[derive(Debug, Default)]
pub struct SigningStep {
    /// A message to broadcast to every other party.
    pub broadcast: Option<TestSigningMessage>,
    /// The signature, once aggregated and verified.
    pub signature: Option<TestSignature>,
}

impl TestSigning {
    /// Starts party `me`'s signing of `message` with its FROST keys; the step holds its
    /// commitments to broadcast.
    pub fn start(
        me: u16,
        keys: (frost::keys::KeyPackage, frost::keys::PublicKeyPackage),
        message: Vec<u8>,
        wrong_share: bool,
    ) -> Result<(Self, SigningStep), TestSignatureError> {
        let (key_package, public) = keys;
        let n = public.verifying_shares().len() as u16;
        let mut rng = rand_core::OsRng;
        let (nonces, commitments) = frost::round1::commit(key_package.signing_share(), &mut rng);
        let ser = |c: &frost::round1::NonceCommitment| {
            c.serialize()
                .map_err(|e| TestSignatureError::Protocol(e.to_string()))
        };
        let msg = TestSigningMessage::Commitments(
            ser(commitments.hiding())?,
            ser(commitments.binding())?,
        );
        let mut s = TestSigning {
            me,
            n,
            message,
            key_package,
            public,
            nonces: Some(nonces),
            commitments: BTreeMap::new(),
            signing_package: None,
            shares: BTreeMap::new(),
            wrong_share,
        };
        s.commitments.insert(identifier(me)?, commitments);
        Ok((
            s,
            SigningStep {
                broadcast: Some(msg),
                signature: None,
            },
        ))
    }

    /// Feeds party `from`'s message. A refused message changes nothing.
    pub fn handle(
        &mut self,
        from: u16,
        msg: TestSigningMessage,
    ) -> Result<SigningStep, TestSignatureError> {
        if from >= self.n || from == self.me {
            return Err(TestSignatureError::BadMessage(format!(
                "unexpected sender {from}"
            )));
        }
        let id = identifier(from)?;
        let bad = |e: frost::Error| TestSignatureError::BadMessage(e.to_string());
        match msg {
            TestSigningMessage::Commitments(h, b) => {
                if self.commitments.contains_key(&id) {
                    return Err(TestSignatureError::BadMessage(format!(
                        "party {from} sent commitments twice"
                    )));
                }
                let c = frost::round1::SigningCommitments::new(
                    frost::round1::NonceCommitment::deserialize(&h).map_err(bad)?,
                    frost::round1::NonceCommitment::deserialize(&b).map_err(bad)?,
                );
                self.commitments.insert(id, c);
                self.maybe_sign()
            }
            TestSigningMessage::Share(z) => {
                if self.shares.contains_key(&id) {
                    return Err(TestSignatureError::BadMessage(format!(
                        "party {from} sent a signature share twice"
                    )));
                }
                let share = frost::round2::SignatureShare::deserialize(&z).map_err(bad)?;
                self.shares.insert(id, share);
                self.maybe_aggregate()
            }
        }
    }

    fn maybe_sign(&mut self) -> Result<SigningStep, TestSignatureError> {
        if self.commitments.len() < self.n as usize || self.signing_package.is_some() {
            return Ok(SigningStep::default());
        }
        let package = frost::SigningPackage::new(self.commitments.clone(), &self.message);
        let nonces = self.nonces.take().expect("nonces are used once");
        let key_package = if self.wrong_share {
            let s = Scalar::from_repr(
                <[u8; 32]>::try_from(self.key_package.signing_share().serialize().as_slice())
                    .expect("32 bytes")
                    .into(),
            )
            .expect("a signing share is a scalar");
            let wrong = frost::keys::SigningShare::deserialize(&(s + Scalar::ONE).to_bytes())
                .expect("a scalar");
            frost::keys::KeyPackage::new(
                *self.key_package.identifier(),
                wrong,
                *self.key_package.verifying_share(),
                *self.key_package.verifying_key(),
                self.n,
            )
        } else {
            self.key_package.clone()
        };
        let share = frost::round2::sign(&package, &nonces, &key_package)
            .map_err(|e| TestSignatureError::Protocol(e.to_string()))?;
        self.shares.insert(identifier(self.me)?, share);
        self.signing_package = Some(package);
        let mut step = self.maybe_aggregate()?;
        step.broadcast = Some(TestSigningMessage::Share(share.serialize()));
        Ok(step)
    }

    fn maybe_aggregate(&mut self) -> Result<SigningStep, TestSignatureError> {
        let Some(package) = &self.signing_package else {
            return Ok(SigningStep::default());
        };
        if self.shares.len() < self.n as usize {
            return Ok(SigningStep::default());
        }
        let sig = frost::aggregate_custom(
            package,
            &self.shares,
            &self.public,
            frost::CheaterDetection::AllCheaters,
        )
        .map_err(|e| match e {
            frost::Error::InvalidSignatureShare { culprits } => TestSignatureError::Misbehaved(
                (0..self.n)
                    .filter(|i| {
                        identifier(*i)
                            .map(|id| culprits.contains(&id))
                            .unwrap_or(false)
                    })
                    .collect(),
            ),
            e => TestSignatureError::Protocol(e.to_string()),
        })?;
        let bytes = sig
            .serialize()
            .map_err(|e| TestSignatureError::Protocol(e.to_string()))?;
        let sig = TestSignature::from_bytes(&bytes)?;
        // Aggregation verified the group signature; check it as a verifier would, once more.
        sig.verify(
            &VerifyingKey::from_bytes(
                &self
                    .public
                    .verifying_key()
                    .serialize()
                    .map_err(|e| TestSignatureError::Protocol(e.to_string()))?,
            )
            .map_err(|e| TestSignatureError::Protocol(e.to_string()))?,
            &self.message,
        )?;
        Ok(SigningStep {
            broadcast: None,
            signature: Some(sig),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn additive(n: usize, seed: u8) -> (Vec<[u8; 32]>, Vec<[u8; 33]>, VerifyingKey) {
        let xs: Vec<Scalar> = (0..n)
            .map(|i| Scalar::from(u64::from(seed) * 1000 + i as u64 + 7))
            .collect();
        let secret = xs.iter().fold(Scalar::ZERO, |a, x| a + x);
        let pubs = xs
            .iter()
            .map(|x| {
                compressed(ProjectivePoint::GENERATOR * x)
                    .try_into()
                    .unwrap()
            })
            .collect();
        let vk =
            VerifyingKey::from_bytes(&compressed(ProjectivePoint::GENERATOR * secret)).unwrap();
        (xs.iter().map(|x| x.to_bytes().into()).collect(), pubs, vk)
    }

    fn sign_all(
        n: usize,
        wrong: Option<u16>,
    ) -> Vec<Result<Option<TestSignature>, TestSignatureError>> {
        let (xs, pubs, vk) = additive(n, 3);
        let msg = transcript(
            &AccountId32([5; 32]),
            InclusionBlock(9),
            &vk,
            &[AccountId32([1; 32])],
        );
        let mut parties = Vec::new();
        let mut queue = Vec::new();
        for i in 0..n as u16 {
            let keys = frost_keys(i, &xs[i as usize], &pubs, &vk).unwrap();
            let (p, step) = TestSigning::start(i, keys, msg.clone(), wrong == Some(i)).unwrap();
            queue.push((i, step.broadcast.unwrap()));
            parties.push(p);
        }
        let mut out: Vec<Result<Option<TestSignature>, TestSignatureError>> = vec![Ok(None); n];
        while let Some((from, m)) = queue.pop() {
            for to in 0..n as u16 {
                if to == from || out[to as usize].is_err() {
                    continue;
                }
                match parties[to as usize].handle(from, m.clone()) {
                    Ok(step) => {
                        if let Some(b) = step.broadcast {
                            queue.insert(0, (to, b));
                        }
                        if let Some(s) = step.signature {
                            out[to as usize] = Ok(Some(s));
                        }
                    }
                    Err(e) => out[to as usize] = Err(e),
                }
            }
        }
        for o in out.iter().flatten().flatten() {
            o.verify(&vk, &msg).unwrap();
        }
        out
    }

    #[test]
    fn lagrange_coefficients_sum_to_one() {
        for n in 2..6u16 {
            let sum = (1..=n).fold(Scalar::ZERO, |a, i| a + lagrange_at_zero(i, n));
            assert_eq!(sum, Scalar::ONE);
        }
    }

    #[test]
    fn additive_shares_sign_under_the_group_key() {
        for n in [2, 3, 4] {
            let out = sign_all(n, None);
            let sigs: Vec<_> = out.into_iter().map(|o| o.unwrap().unwrap()).collect();
            assert!(sigs.windows(2).all(|w| w[0] == w[1]));
        }
    }

    #[test]
    fn a_wrong_share_is_named() {
        // Every party, the culprit included, refuses party 1's share and names it.
        for o in sign_all(3, Some(1)) {
            assert_eq!(o, Err(TestSignatureError::Misbehaved(vec![1])));
        }
    }

    #[test]
    fn signatures_bind_transcript_and_key() {
        // `sign_all` signs with the key of seed 3 for account 5, block 9.
        let sig = sign_all(2, None).remove(0).unwrap().unwrap();
        let (_, _, vk) = additive(2, 3);
        let (_, _, other_vk) = additive(2, 4);
        let committee = [AccountId32([1; 32])];
        let good = transcript(&AccountId32([5; 32]), InclusionBlock(9), &vk, &committee);
        sig.verify(&vk, &good).unwrap();
        assert_eq!(
            sig.verify(&other_vk, &good),
            Err(TestSignatureError::Invalid)
        );
        let other_block = transcript(&AccountId32([5; 32]), InclusionBlock(10), &vk, &committee);
        assert_eq!(
            sig.verify(&vk, &other_block),
            Err(TestSignatureError::Invalid)
        );
        let other_committee = transcript(&AccountId32([5; 32]), InclusionBlock(9), &vk, &[]);
        assert_eq!(
            sig.verify(&vk, &other_committee),
            Err(TestSignatureError::Invalid)
        );
        let mut tampered = sig;
        tampered.0[40] ^= 1;
        assert!(tampered.verify(&vk, &good).is_err());
        assert!(TestSignature::from_bytes(&[0; 64]).is_err());
        // The single-signer form of the test helpers verifies the same way.
        let whole = Scalar::from(3007u64) + Scalar::from(3008u64);
        let single = sign_with_whole_key(&whole.to_bytes().into(), &good);
        single.verify(&vk, &good).unwrap();
    }

    #[test]
    fn mismatched_keys_are_refused() {
        let (xs, pubs, vk) = additive(3, 6);
        assert!(matches!(
            frost_keys(0, &xs[1], &pubs, &vk),
            Err(TestSignatureError::BadShare(_))
        ));
        let (_, _, other) = additive(3, 7);
        assert!(matches!(
            frost_keys(0, &xs[0], &pubs, &other),
            Err(TestSignatureError::BadShare(_))
        ));
        assert!(matches!(
            frost_keys(3, &xs[0], &pubs, &vk),
            Err(TestSignatureError::BadShare(_))
        ));
    }

    #[test]
    fn messages_round_trip_and_refuse_bad_lengths() {
        let c = TestSigningMessage::Commitments(vec![2; 33], vec![3; 33]);
        assert_eq!(
            TestSigningMessage::from_bytes(&c.to_bytes())
                .unwrap()
                .unwrap(),
            c
        );
        let s = TestSigningMessage::Share(vec![7; 32]);
        assert_eq!(
            TestSigningMessage::from_bytes(&s.to_bytes())
                .unwrap()
                .unwrap(),
            s
        );
        assert!(TestSigningMessage::from_bytes(b"{\"json\":1}").is_none());
        assert!(TestSigningMessage::from_bytes(&[TAG_SHARE, 1, 2])
            .unwrap()
            .is_err());
        assert!(TestSigningMessage::from_bytes(&[TAG_COMMITMENTS; 10])
            .unwrap()
            .is_err());
    }
}
