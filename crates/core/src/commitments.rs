//! The public side of a client-dealt key (our `ClientDealt` access mode): one Feldman-style
//! commitment `x_i·G` per subgroup share. Their sum is the verifying key, so the commitments fix
//! the key, and a server can check its share against its own commitment. `no_std`: the runtime
//! computes the key the commitments imply when it records a client-dealt registration.

use alloc::string::String;
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use k256::elliptic_curve::sec1::ToEncodedPoint;
use k256::{ProjectivePoint, PublicKey};
use scale_info::TypeInfo;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::types::{BoundedVec, VerifyingKey};

/// Most shares (subgroups) a dealing may have.
pub const MAX_DEALT_SHARES: u32 = 16;

/// Why commitments are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitmentsError {
    /// Fewer than 2 or more than 16 commitments.
    #[error("a dealing needs 2 to {MAX_DEALT_SHARES} share commitments, got {0}")]
    ShareCount(usize),
    /// A commitment is not a compressed point on secp256k1.
    #[error("commitment {0} is not a compressed secp256k1 point")]
    BadCommitment(usize),
    /// The commitments cancel out: their sum is the point at infinity, which is no key.
    #[error("the commitments sum to the point at infinity")]
    Infinity,
}

/// `x_i·G` of each share, SEC1-compressed, index = subgroup. SCALE: `BoundedVec<[u8; 33], 16>`;
/// JSON: a list of `0x` hex strings.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct Commitments(pub BoundedVec<[u8; 33], MAX_DEALT_SHARES>);

impl core::fmt::Debug for Commitments {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|p| crate::hex::encode_0x(p)))
            .finish()
    }
}

impl Commitments {
    /// Wraps the points (index = subgroup); refuses more than 16.
    pub fn new(points: Vec<[u8; 33]>) -> Result<Self, CommitmentsError> {
        let n = points.len();
        BoundedVec::new(points)
            .map(Commitments)
            .map_err(|_| CommitmentsError::ShareCount(n))
    }

    /// The points, index = subgroup.
    pub fn points(&self) -> &[[u8; 33]] {
        &self.0
    }

    /// The verifying key the commitments fix: the sum of the share commitments. Refuses fewer
    /// than 2 or more than 16 commitments, a byte string that is not a point, and a sum at
    /// infinity.
    pub fn verifying_key(&self) -> Result<VerifyingKey, CommitmentsError> {
        let n = self.0.len();
        if !(2..=MAX_DEALT_SHARES as usize).contains(&n) {
            return Err(CommitmentsError::ShareCount(n));
        }
        let mut sum = ProjectivePoint::IDENTITY;
        for (i, p) in self.0.iter().enumerate() {
            let point = match p[0] {
                0x02 | 0x03 => PublicKey::from_sec1_bytes(p).ok(),
                _ => None,
            }
            .ok_or(CommitmentsError::BadCommitment(i))?;
            sum += point.to_projective();
        }
        let sum = sum.to_affine().to_encoded_point(true);
        // A sum at infinity encodes as one byte; every other sum as 33.
        VerifyingKey::from_bytes(sum.as_bytes()).map_err(|_| CommitmentsError::Infinity)
    }
}

/// `ClientDealt[account]` (ours): a client-dealt registration in progress, beside its
/// `Registering[account]` entry.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct ClientDealtRegistration {
    /// The commitments of the `register_client_dealt` call.
    pub commitments: Commitments,
    /// Block N that included the call; the confirming server of each subgroup is the committee
    /// member for N+1, as in the DKG flow.
    pub inclusion_block: u32,
}

impl Serialize for Commitments {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|p| crate::hex::encode_0x(p)))
    }
}

impl<'de> Deserialize<'de> for Commitments {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = Vec::<String>::deserialize(d)?;
        let points = items
            .iter()
            .map(|s| crate::hex::decode_array::<33>(s).map_err(serde::de::Error::custom))
            .collect::<Result<Vec<_>, _>>()?;
        Commitments::new(points).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn point(n: u8) -> [u8; 33] {
        let sk = k256::SecretKey::from_slice(&[n; 32]).unwrap();
        sk.public_key()
            .to_encoded_point(true)
            .as_bytes()
            .try_into()
            .unwrap()
    }

    #[test]
    fn the_key_is_the_sum_of_the_commitments() {
        // 1·G + 2·G = 3·G.
        let mut one = [0u8; 32];
        one[31] = 1;
        let mut two = [0u8; 32];
        two[31] = 2;
        let mut three = [0u8; 32];
        three[31] = 3;
        let p = |b: [u8; 32]| -> [u8; 33] {
            k256::SecretKey::from_slice(&b)
                .unwrap()
                .public_key()
                .to_encoded_point(true)
                .as_bytes()
                .try_into()
                .unwrap()
        };
        let c = Commitments::new(vec![p(one), p(two)]).unwrap();
        assert_eq!(c.verifying_key().unwrap().as_bytes(), &p(three));
    }

    #[test]
    fn bad_commitments_are_refused() {
        let a = point(1);
        assert_eq!(
            Commitments::new(vec![a]).unwrap().verifying_key(),
            Err(CommitmentsError::ShareCount(1))
        );
        assert_eq!(
            Commitments::new(vec![a; 17]).err(),
            Some(CommitmentsError::ShareCount(17))
        );
        let mut bad = a;
        bad[0] = 0x04;
        assert_eq!(
            Commitments::new(vec![a, bad]).unwrap().verifying_key(),
            Err(CommitmentsError::BadCommitment(1))
        );
        assert_eq!(
            Commitments::new(vec![[0xff; 33], a])
                .unwrap()
                .verifying_key(),
            Err(CommitmentsError::BadCommitment(0))
        );
        // P + (−P) is the point at infinity: no key.
        let mut neg = a;
        neg[0] ^= 1;
        assert_eq!(
            Commitments::new(vec![a, neg]).unwrap().verifying_key(),
            Err(CommitmentsError::Infinity)
        );
        // SCALE refuses more than 16 on decode.
        let long = vec![a; 17].encode();
        assert!(Commitments::decode(&mut &long[..]).is_err());
    }

    #[test]
    fn commitments_travel_as_hex_json_and_bounded_scale() {
        let c = Commitments::new(vec![point(1), point(2)]).unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.starts_with("[\"0x"));
        assert_eq!(serde_json::from_str::<Commitments>(&json).unwrap(), c);
        let bytes = c.encode();
        assert_eq!(bytes.len(), 1 + 2 * 33);
        assert_eq!(Commitments::decode(&mut &bytes[..]).unwrap(), c);
    }
}
