//! DKG session ids and the signed subscription sent in Noise handshake message 3 (§4.4, §4.5).
//! Encodings are bincode 1.x fixint, with accounts as SS58 strings, as the reference.

use crate::keys::{self, Sr25519Pair};
use crate::types::AccountId32;
use crate::wire::{Reader, WireError, Writer};

/// Identifies one protocol run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionId {
    /// Registration DKG of `user`, registered in block `block_number` (= N).
    Dkg {
        /// The registering (signature-request) account.
        user: AccountId32,
        /// Inclusion block N.
        block_number: u32,
    },
}

impl SessionId {
    /// The registration DKG session of `user` included in `block`.
    pub fn dkg(user: AccountId32, block: crate::committee::InclusionBlock) -> Self {
        SessionId::Dkg {
            user,
            block_number: block.0,
        }
    }

    /// bincode: `u32 LE variant ‖ u64 LE len ‖ SS58 ‖ u32 LE block`.
    pub fn to_bincode(&self) -> Vec<u8> {
        let mut w = Writer::fixint();
        self.write(&mut w);
        w.finish()
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        match self {
            SessionId::Dkg { user, block_number } => {
                w.u32(0).string(&user.to_ss58()).u32(*block_number);
            }
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        match r.u32()? {
            0 => {
                let ss58 = r.string()?;
                let user = AccountId32::from_ss58(&ss58).map_err(|_| WireError::BadUtf8)?;
                let block_number = r.u32()?;
                Ok(SessionId::Dkg { user, block_number })
            }
            t => Err(WireError::BadVariant(t)),
        }
    }

    /// Decodes the bincode form; the whole input must be used.
    pub fn from_bincode(b: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::fixint(b);
        let s = Self::read(&mut r)?;
        r.finish()?;
        Ok(s)
    }

    /// `Blake2s-256(bincode(session id))`: the DKG's shared randomness / execution id.
    pub fn shared_randomness(&self) -> [u8; 32] {
        crate::hashing::blake2s_256(&self.to_bincode())
    }
}

/// `SubscribeMessage{session_id, public_key, signature}`: a party's signed request to join a
/// session, carried in Noise handshake message 3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeMessage {
    /// The session.
    pub session_id: SessionId,
    /// The subscriber's sr25519 account.
    pub public_key: AccountId32,
    /// sr25519 signature over `bincode(session_id)`.
    pub signature: [u8; 64],
}

/// Why a subscription is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscribeRejection {
    /// Does not decode.
    #[error("malformed subscribe message: {0}")]
    Malformed(String),
    /// The signature does not verify for the public key and session.
    #[error("the subscribe message's signature does not verify")]
    BadSignature,
    /// No such session is expected here.
    #[error("no listener for this session")]
    UnknownSession,
    /// The account is not a party of the session, or its Noise static key is not the one the
    /// chain records for it.
    #[error("account {0} is not a party of this session with this Noise static key")]
    NotAParty(AccountId32),
}

impl SubscribeMessage {
    /// Signs a subscription for `session_id` with `pair`.
    pub fn new(session_id: SessionId, pair: &Sr25519Pair) -> Self {
        let signature = pair.sign(&session_id.to_bincode());
        SubscribeMessage {
            session_id,
            public_key: pair.account(),
            signature,
        }
    }

    /// bincode: session id ‖ SS58 string ‖ 128-char hex string.
    pub fn to_bincode(&self) -> Vec<u8> {
        let mut w = Writer::fixint();
        self.session_id.write(&mut w);
        w.string(&self.public_key.to_ss58())
            .string(&crate::hex::encode(&self.signature));
        w.finish()
    }

    /// Decodes; the whole input must be used.
    pub fn from_bincode(b: &[u8]) -> Result<Self, SubscribeRejection> {
        let bad = |e: WireError| SubscribeRejection::Malformed(e.to_string());
        let mut r = Reader::fixint(b);
        let session_id = SessionId::read(&mut r).map_err(bad)?;
        let pk = r.string().map_err(bad)?;
        let public_key = AccountId32::from_ss58(&pk)
            .map_err(|e| SubscribeRejection::Malformed(e.to_string()))?;
        let sig = r.string().map_err(bad)?;
        let signature = crate::hex::decode_array::<64>(&sig)
            .map_err(|e| SubscribeRejection::Malformed(e.to_string()))?;
        r.finish().map_err(bad)?;
        Ok(SubscribeMessage {
            session_id,
            public_key,
            signature,
        })
    }

    /// Checks the signature.
    pub fn verify_signature(&self) -> bool {
        keys::verify(
            &self.public_key.0,
            &self.session_id.to_bincode(),
            &self.signature,
        )
    }

    /// The responder's checks (§4.5): signature, known session, and the (account, Noise static
    /// key) pair among the session's expected parties. `expected_x25519(account)` returns the
    /// static key the chain (or `KeyVisibility::Private`) records for a party of `session`, or
    /// `None` if the account is not a party; `session_known` says whether a listener exists.
    pub fn check(
        &self,
        remote_static: &[u8; 32],
        session_known: bool,
        expected_x25519: impl FnOnce(&AccountId32) -> Option<[u8; 32]>,
    ) -> Result<(), SubscribeRejection> {
        if !self.verify_signature() {
            return Err(SubscribeRejection::BadSignature);
        }
        if !session_known {
            return Err(SubscribeRejection::UnknownSession);
        }
        match expected_x25519(&self.public_key) {
            Some(k) if &k == remote_static => Ok(()),
            _ => Err(SubscribeRejection::NotAParty(self.public_key)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_round_trip_and_checks() {
        let alice = Sr25519Pair::from_suri("//Alice").unwrap();
        let sid = SessionId::Dkg {
            user: alice.account(),
            block_number: 7,
        };
        let sub = SubscribeMessage::new(sid, &alice);
        let decoded = SubscribeMessage::from_bincode(&sub.to_bincode()).unwrap();
        assert_eq!(decoded, sub);
        let key = [5u8; 32];
        assert_eq!(sub.check(&key, true, |_| Some(key)), Ok(()));
        assert_eq!(
            sub.check(&key, false, |_| Some(key)),
            Err(SubscribeRejection::UnknownSession)
        );
        assert_eq!(
            sub.check(&key, true, |_| Some([6; 32])),
            Err(SubscribeRejection::NotAParty(alice.account()))
        );
        assert_eq!(
            sub.check(&key, true, |_| None),
            Err(SubscribeRejection::NotAParty(alice.account()))
        );
        let mut forged = sub.clone();
        forged.session_id = SessionId::Dkg {
            user: alice.account(),
            block_number: 8,
        };
        assert_eq!(
            forged.check(&key, true, |_| Some(key)),
            Err(SubscribeRejection::BadSignature)
        );
        let mut bytes = sub.to_bincode();
        bytes.push(0);
        assert!(SubscribeMessage::from_bincode(&bytes).is_err());
        assert!(SubscribeMessage::from_bincode(&bytes[..20]).is_err());
    }
}
