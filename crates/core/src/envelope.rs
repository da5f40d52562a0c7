//! `EncryptedSignedMessage` (§5.1): a JSON `SignedMessage` (sr25519, "substrate" context) sealed
//! with HPKE base mode — DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, empty info
//! and AAD. Used user → server and server → server (`/user/receive_key`).

use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::keys::{self, Sr25519Pair};
use crate::types::AccountId32;

type KemT = X25519HkdfSha256;

/// Largest envelope JSON accepted by [`EncryptedSignedMessage::from_json`] (bytes).
pub const MAX_ENVELOPE_JSON: usize = 4 * 1024 * 1024;
const TAG_LEN: usize = 16;

/// Why an envelope could not be sealed or opened. [`EnvelopeError::label`] gives the short
/// failure-kind names the reference vectors use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The outer JSON is malformed or oversize.
    #[error("the envelope is not valid JSON of an EncryptedSignedMessage: {0}")]
    BadJson(String),
    /// HPKE rejected the input before decryption (wrong sizes).
    #[error("the envelope's HPKE fields have invalid sizes")]
    HpkeInvalidInput,
    /// HPKE decryption failed: wrong recipient key or tampered ciphertext.
    #[error("the envelope does not decrypt with this key (wrong recipient or tampered)")]
    HpkeOpen,
    /// The recipient's public key is not usable.
    #[error("the recipient x25519 key is invalid")]
    BadRecipientKey,
    /// The decrypted payload is not a `SignedMessage`.
    #[error("the decrypted payload is not a SignedMessage: {0}")]
    BadInnerJson(String),
    /// The inner signature does not verify for the claimed sender.
    #[error("the message signature does not verify for its sender")]
    BadSignature,
}

impl EnvelopeError {
    /// The reference's failure label (`Hpke(OpenError)`, `Hpke(InvalidInput)`, `BadSignature`…),
    /// which is also the code a server answers with ([`crate::api::ApiCode`]).
    pub fn label(&self) -> &'static str {
        crate::api::ApiCode::from(self).as_str()
    }
}

/// The signed inner message, with its JSON encoding as in the reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedMessage {
    /// The payload bytes.
    pub message: Vec<u8>,
    /// The signer.
    pub sender: AccountId32,
    /// sr25519 signature over `message`.
    pub signature: [u8; 64],
    /// Optional x25519 key the receiver should encrypt its reply to.
    pub receiver_x25519: Option<[u8; 32]>,
}

#[derive(Serialize, Deserialize)]
struct SignedMessageJson {
    message: String,
    sender: AccountId32,
    signature: String,
    receiver_x25519: Option<[u8; 32]>,
}

impl SignedMessage {
    /// Signs `message` with `pair`.
    pub fn new(pair: &Sr25519Pair, message: &[u8], receiver_x25519: Option<[u8; 32]>) -> Self {
        SignedMessage {
            message: message.to_vec(),
            sender: pair.account(),
            signature: pair.sign(message),
            receiver_x25519,
        }
    }

    /// `{"message":"0x…","sender":"<SS58>","signature":"<128 hex>","receiver_x25519":null|[…]}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&SignedMessageJson {
            message: crate::hex::encode_0x(&self.message),
            sender: self.sender,
            signature: crate::hex::encode(&self.signature),
            receiver_x25519: self.receiver_x25519,
        })
        .expect("plain data serializes")
    }

    /// Parses the JSON form (does not check the signature).
    pub fn from_json(json: &[u8]) -> Result<Self, EnvelopeError> {
        let j: SignedMessageJson =
            serde_json::from_slice(json).map_err(|e| EnvelopeError::BadInnerJson(e.to_string()))?;
        let message = crate::hex::decode(&j.message)
            .map_err(|e| EnvelopeError::BadInnerJson(e.to_string()))?;
        let signature = crate::hex::decode_array::<64>(&j.signature)
            .map_err(|e| EnvelopeError::BadInnerJson(e.to_string()))?;
        Ok(SignedMessage {
            message,
            sender: j.sender,
            signature,
            receiver_x25519: j.receiver_x25519,
        })
    }

    /// Checks the signature.
    pub fn verify(&self) -> bool {
        keys::verify(&self.sender.0, &self.message, &self.signature)
    }
}

/// The outer JSON `{"hpke_message":{"ciphertext":"0x…","encapsulation":"0x…"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedSignedMessage {
    /// The HPKE output.
    pub hpke_message: HpkeMessage,
}

/// HPKE ciphertext and encapsulated key, as `0x` hex strings in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HpkeMessage {
    /// AEAD ciphertext ‖ tag.
    #[serde(with = "crate::hex::serde_bytes")]
    pub ciphertext: Vec<u8>,
    /// The sender's ephemeral X25519 public key (32 bytes).
    #[serde(with = "crate::hex::serde_bytes")]
    pub encapsulation: Vec<u8>,
}

/// What an opened envelope yields: the payload and its authenticated sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The payload.
    pub message: Zeroizing<Vec<u8>>,
    /// The authenticated sender (its signature verified).
    pub sender: AccountId32,
    /// The reply key the sender asked for, if any.
    pub receiver_x25519: Option<[u8; 32]>,
}

impl EncryptedSignedMessage {
    /// Signs `message` with `signer` and seals it to `recipient_x25519`.
    pub fn seal(
        signer: &Sr25519Pair,
        message: &[u8],
        recipient_x25519: &[u8; 32],
        receiver_x25519: Option<[u8; 32]>,
    ) -> Result<Self, EnvelopeError> {
        let signed = Zeroizing::new(SignedMessage::new(signer, message, receiver_x25519).to_json());
        let pk = <KemT as Kem>::PublicKey::from_bytes(recipient_x25519)
            .map_err(|_| EnvelopeError::BadRecipientKey)?;
        let (encapped, ciphertext) =
            hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, KemT, _>(
                &OpModeS::Base,
                &pk,
                b"",
                signed.as_bytes(),
                b"",
                &mut rand_core09::TryRngCore::unwrap_err(rand_core09::OsRng),
            )
            .map_err(|_| EnvelopeError::BadRecipientKey)?;
        Ok(EncryptedSignedMessage {
            hpke_message: HpkeMessage {
                ciphertext,
                encapsulation: encapped.to_bytes().to_vec(),
            },
        })
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain data serializes")
    }

    /// Parses the JSON form (size-limited).
    pub fn from_json(json: &[u8]) -> Result<Self, EnvelopeError> {
        if json.len() > MAX_ENVELOPE_JSON {
            return Err(EnvelopeError::BadJson(format!(
                "{} bytes exceeds the {MAX_ENVELOPE_JSON}-byte limit",
                json.len()
            )));
        }
        serde_json::from_slice(json).map_err(|e| EnvelopeError::BadJson(e.to_string()))
    }

    /// HPKE-opens with the recipient's x25519 secret, returning the inner JSON bytes.
    pub fn decrypt(
        &self,
        recipient_secret: &[u8; 32],
    ) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
        self.decrypt_with_aad(recipient_secret, b"")
    }

    /// [`Self::decrypt`] with explicit associated data (the protocol always uses none; the test
    /// vectors exercise the parameter).
    pub fn decrypt_with_aad(
        &self,
        recipient_secret: &[u8; 32],
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
        let m = &self.hpke_message;
        if m.encapsulation.len() != 32 || m.ciphertext.len() < TAG_LEN {
            return Err(EnvelopeError::HpkeInvalidInput);
        }
        let sk = <KemT as Kem>::PrivateKey::from_bytes(recipient_secret)
            .map_err(|_| EnvelopeError::HpkeInvalidInput)?;
        let enc = <KemT as Kem>::EncappedKey::from_bytes(&m.encapsulation)
            .map_err(|_| EnvelopeError::HpkeInvalidInput)?;
        hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, KemT>(
            &OpModeR::Base,
            &sk,
            &enc,
            b"",
            &m.ciphertext,
            aad,
        )
        .map(Zeroizing::new)
        .map_err(|_| EnvelopeError::HpkeOpen)
    }

    /// Opens and authenticates: decrypt, parse the `SignedMessage`, verify its signature.
    pub fn open(&self, recipient_secret: &[u8; 32]) -> Result<Opened, EnvelopeError> {
        let plain = self.decrypt(recipient_secret)?;
        let signed = SignedMessage::from_json(&plain)?;
        if !signed.verify() {
            return Err(EnvelopeError::BadSignature);
        }
        Ok(Opened {
            message: Zeroizing::new(signed.message),
            sender: signed.sender,
            receiver_x25519: signed.receiver_x25519,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::X25519Keypair;

    #[test]
    fn seal_open_and_tampering() {
        let alice = Sr25519Pair::from_suri("//Alice").unwrap();
        let server = X25519Keypair::generate();
        let other = X25519Keypair::generate();
        let env = EncryptedSignedMessage::seal(&alice, b"{\"k\":1}", &server.public, None).unwrap();
        let json = env.to_json();
        assert!(json.starts_with("{\"hpke_message\":{\"ciphertext\":\"0x"));
        let parsed = EncryptedSignedMessage::from_json(json.as_bytes()).unwrap();
        let opened = parsed.open(&server.secret_bytes()).unwrap();
        assert_eq!(&opened.message[..], b"{\"k\":1}");
        assert_eq!(opened.sender, alice.account());
        // wrong recipient key
        assert_eq!(
            parsed.open(&other.secret_bytes()).unwrap_err(),
            EnvelopeError::HpkeOpen
        );
        // every flipped ciphertext byte fails
        for i in 0..parsed.hpke_message.ciphertext.len() {
            let mut bad = parsed.clone();
            bad.hpke_message.ciphertext[i] ^= 1;
            assert_eq!(
                bad.open(&server.secret_bytes()).unwrap_err(),
                EnvelopeError::HpkeOpen
            );
        }
        let mut bad = parsed.clone();
        bad.hpke_message.encapsulation[0] ^= 1;
        assert!(bad.open(&server.secret_bytes()).is_err());
        let mut short = parsed.clone();
        short.hpke_message.ciphertext.truncate(10);
        assert_eq!(
            short.open(&server.secret_bytes()).unwrap_err(),
            EnvelopeError::HpkeInvalidInput
        );
        assert!(matches!(
            EncryptedSignedMessage::from_json(b"{}"),
            Err(EnvelopeError::BadJson(_))
        ));
    }

    #[test]
    fn signature_by_another_key_is_refused() {
        let alice = Sr25519Pair::from_suri("//Alice").unwrap();
        let bob = Sr25519Pair::from_suri("//Bob").unwrap();
        let mut signed = SignedMessage::new(&bob, b"hi", None);
        signed.sender = alice.account();
        assert!(!signed.verify());
        let server = X25519Keypair::generate();
        // Seal a forged inner message by hand.
        let pk = <KemT as Kem>::PublicKey::from_bytes(&server.public).unwrap();
        let (enc, ct) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, KemT, _>(
            &OpModeS::Base,
            &pk,
            b"",
            signed.to_json().as_bytes(),
            b"",
            &mut rand_core09::TryRngCore::unwrap_err(rand_core09::OsRng),
        )
        .unwrap();
        let env = EncryptedSignedMessage {
            hpke_message: HpkeMessage {
                ciphertext: ct,
                encapsulation: enc.to_bytes().to_vec(),
            },
        };
        assert_eq!(
            env.open(&server.secret_bytes()).unwrap_err(),
            EnvelopeError::BadSignature
        );
    }
}
