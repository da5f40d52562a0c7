//! Client-dealt keys (the protocol's older flow, §9): the user creates (or imports) a secp256k1
//! key and splits it into one additive share per subgroup with the key-share crate's trusted
//! dealer, so a dealt share has exactly the format of a DKG share ([`KeyShare`]) and can sign
//! later. The dealing publishes Feldman-style commitments: the public key `x_i·G` of each share.
//! A server checks its share against them ([`check_share`]); their sum is the verifying key, so
//! the commitments fix the key ([`Commitments::verifying_key`]).

use generic_ec::curves::Secp256k1;
use generic_ec::{NonZero, Scalar, SecretScalar};

use crate::dkg::KeyShare;
use crate::types::VerifyingKey;

pub use crate::commitments::{Commitments, CommitmentsError, MAX_DEALT_SHARES};

/// Why a dealing or a dealt share is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DealingError {
    /// The number of shares is outside 2..=16.
    #[error("a dealing needs 2 to {MAX_DEALT_SHARES} shares, got {0}")]
    ShareCount(usize),
    /// The imported secret is zero or not below the curve order.
    #[error("the secret key is not a valid secp256k1 scalar")]
    BadSecret,
    /// The commitments are unusable.
    #[error(transparent)]
    Commitments(#[from] CommitmentsError),
    /// The share does not match the commitments.
    #[error("the share does not match the commitments: {0}")]
    Mismatch(&'static str),
    /// The key-share library refused.
    #[error("the key-share library refused: {0}")]
    Library(String),
}

/// A dealt key: the commitments and the shares, `shares[i]` for subgroup `i`. The shares are
/// secrets: each goes, encrypted, to the servers of its subgroup only.
pub struct Dealt {
    /// Public: recorded on chain.
    pub commitments: Commitments,
    /// Secret: one per subgroup.
    pub shares: Vec<KeyShare>,
}

/// A fresh random secp256k1 secret key (32 bytes, big-endian, nonzero and below the order), for
/// a user who deals a new key and keeps it.
pub fn generate_secret() -> zeroize::Zeroizing<[u8; 32]> {
    let s = SecretScalar::<Secp256k1>::random(&mut rand_core::OsRng);
    let mut out = zeroize::Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&s.as_ref().to_be_bytes());
    out
}

fn secret_scalar(b: &[u8; 32]) -> Result<NonZero<SecretScalar<Secp256k1>>, DealingError> {
    let mut s = Scalar::<Secp256k1>::from_be_bytes(b).map_err(|_| DealingError::BadSecret)?;
    NonZero::from_secret_scalar(SecretScalar::new(&mut s)).ok_or(DealingError::BadSecret)
}

/// `BadSecret` unless `secret` (32 bytes, big-endian) is a valid secp256k1 secret key: nonzero
/// and below the curve order.
pub fn check_secret(secret: &[u8; 32]) -> Result<(), DealingError> {
    secret_scalar(secret).map(drop)
}

/// Deals `secret` (32 bytes, big-endian; a fresh random key when `None`) into `subgroups`
/// additive shares.
pub fn deal(secret: Option<&[u8; 32]>, subgroups: usize) -> Result<Dealt, DealingError> {
    if !(2..=MAX_DEALT_SHARES as usize).contains(&subgroups) {
        return Err(DealingError::ShareCount(subgroups));
    }
    let mut rng = rand_core::OsRng;
    let secret = secret.map(secret_scalar).transpose()?;
    let mut builder = key_share::trusted_dealer::builder::<Secp256k1>(subgroups as u16);
    if let Some(s) = secret {
        builder = builder.set_shared_secret_key(s);
    }
    let core_shares = builder
        .generate_shares(&mut rng)
        .map_err(|e| DealingError::Library(e.to_string()))?;
    let shares = core_shares
        .into_iter()
        .map(|s| KeyShare::from_core(s).map_err(|e| DealingError::Library(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let commitments = Commitments::new(shares[0].public_shares())?;
    Ok(Dealt {
        commitments,
        shares,
    })
}

/// A server's check of the share it received for `subgroup`: it is party `subgroup` of as many
/// parties as there are commitments, its public shares are the commitments (the library has
/// already checked that its secret is the discrete log of its own public share), and its key is
/// the key the commitments fix.
pub fn check_share(
    share: &KeyShare,
    subgroup: u16,
    commitments: &Commitments,
) -> Result<VerifyingKey, DealingError> {
    let vk = commitments.verifying_key()?;
    if usize::from(share.parties()) != commitments.points().len() {
        return Err(DealingError::Mismatch(
            "it is not a share of as many parties",
        ));
    }
    if share.party_index() != subgroup {
        return Err(DealingError::Mismatch("it is another subgroup's share"));
    }
    if share.public_shares() != commitments.points() {
        return Err(DealingError::Mismatch("its public shares differ"));
    }
    if share.verifying_key() != vk {
        return Err(DealingError::Mismatch("it is a share of another key"));
    }
    Ok(vk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use codec::{Decode, Encode};
    use generic_ec::Point;

    /// Test only: the key the shares add up to.
    fn reconstruct(shares: &[KeyShare]) -> [u8; 32] {
        let sum: Scalar<Secp256k1> = shares.iter().map(|s| *s.secret_scalar().as_ref()).sum();
        let mut out = [0u8; 32];
        out.copy_from_slice(&sum.to_be_bytes());
        out
    }

    #[test]
    fn dealt_shares_check_and_add_up_to_the_key() {
        let mut secret = [0u8; 32];
        secret[31] = 1; // the key 1: its public key is the generator
        let d = deal(Some(&secret), 2).unwrap();
        let vk = d.commitments.verifying_key().unwrap();
        assert_eq!(
            crate::hex::encode(vk.as_bytes()),
            "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
        );
        for (g, share) in d.shares.iter().enumerate() {
            assert_eq!(check_share(share, g as u16, &d.commitments).unwrap(), vk);
            // The dealt share survives the DKG share's serialized form.
            let again = KeyShare::from_bytes(&share.to_bytes()).unwrap();
            assert_eq!(check_share(&again, g as u16, &d.commitments).unwrap(), vk);
        }
        assert_eq!(reconstruct(&d.shares), secret);

        let random = deal(None, 3).unwrap();
        let vk = random.commitments.verifying_key().unwrap();
        assert!(random.shares.iter().all(|s| s.verifying_key() == vk));
        let again = reconstruct(&random.shares);
        let pk =
            Point::<Secp256k1>::generator() * Scalar::<Secp256k1>::from_be_bytes(again).unwrap();
        assert_eq!(pk.to_bytes(true).as_ref(), vk.as_bytes());
    }

    #[test]
    fn mismatching_shares_and_commitments_are_refused() {
        let a = deal(None, 2).unwrap();
        let b = deal(None, 2).unwrap();
        // Another subgroup's share.
        assert_eq!(
            check_share(&a.shares[1], 0, &a.commitments),
            Err(DealingError::Mismatch("it is another subgroup's share"))
        );
        // A share of another dealing.
        assert!(matches!(
            check_share(&b.shares[0], 0, &a.commitments),
            Err(DealingError::Mismatch(_))
        ));
        // Tampered commitments: one point swapped for another dealing's.
        let c =
            Commitments::new(vec![a.commitments.points()[0], b.commitments.points()[1]]).unwrap();
        assert!(check_share(&a.shares[0], 0, &c).is_err());
        // Not a point; too few.
        let c = Commitments::new(vec![[0xff; 33], a.commitments.points()[1]]).unwrap();
        assert_eq!(
            check_share(&a.shares[0], 0, &c),
            Err(DealingError::Commitments(CommitmentsError::BadCommitment(
                0
            )))
        );
        let one = Commitments::new(vec![a.commitments.points()[0]]).unwrap();
        assert_eq!(
            check_share(&a.shares[0], 0, &one),
            Err(DealingError::Commitments(CommitmentsError::ShareCount(1)))
        );
        assert_eq!(deal(None, 1).err(), Some(DealingError::ShareCount(1)));
        let fresh = generate_secret();
        assert_ne!(*fresh, generate_secret()[..]);
        assert!(deal(Some(&fresh), 2).is_ok());
        assert_eq!(deal(None, 17).err(), Some(DealingError::ShareCount(17)));
        // Zero and out-of-range secrets.
        assert_eq!(
            deal(Some(&[0u8; 32]), 2).err(),
            Some(DealingError::BadSecret)
        );
        assert_eq!(
            deal(Some(&[0xff; 32]), 2).err(),
            Some(DealingError::BadSecret)
        );
    }

    #[test]
    fn commitments_encode_as_scale() {
        let d = deal(None, 2).unwrap();
        let bytes = d.commitments.encode();
        assert_eq!(bytes.len(), 1 + 2 * 33);
        assert_eq!(Commitments::decode(&mut &bytes[..]).unwrap(), d.commitments);
    }
}
