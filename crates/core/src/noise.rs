//! The websocket channel of §4.5 as a sans-IO state machine: `Noise_XK_25519_ChaChaPoly_BLAKE2s`
//! with prologue `Entropy signing protocol`; handshake message 3 carries the bincode
//! `SubscribeMessage`; the responder answers with one transport message `bincode(Result<(),
//! String>)`; application messages are split into 65519-byte chunks, each encrypted into one
//! Noise message, and the ciphertexts of one message are concatenated into one frame.
//!
//! Every method takes and returns whole frames (one websocket binary message each), so the
//! servers (tokio) and the browser (WebSocket) drive the same code.

use snow::{HandshakeState, TransportState};

use crate::session::{SubscribeMessage, SubscribeRejection};

/// The Noise protocol name.
pub const NOISE_PARAMS: &str = "Noise_XK_25519_ChaChaPoly_BLAKE2s";
/// The Noise prologue.
pub const NOISE_PROLOGUE: &[u8] = b"Entropy signing protocol";
/// Largest Noise message.
pub const NOISE_MAX_MESSAGE: usize = 65535;
/// Largest plaintext per Noise transport message (65535 − 16-byte tag).
pub const NOISE_MAX_CHUNK: usize = NOISE_MAX_MESSAGE - 16;
/// Largest application message accepted or sent (bytes of plaintext).
pub const MAX_APP_MESSAGE: usize = 8 * 1024 * 1024;

/// Why the channel failed. After any error the channel must be dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoiseError {
    /// A Noise operation failed: bad handshake message, wrong static key, tampered frame.
    #[error("noise: {0}")]
    Noise(String),
    /// A frame is empty, oversize or does not split into valid chunks.
    #[error("bad frame: {0}")]
    BadFrame(String),
    /// The message 3 payload is not a valid subscription.
    #[error("subscription rejected: {0}")]
    Subscription(#[from] SubscribeRejection),
    /// The responder refused the subscription.
    #[error("the server refused the subscription: {0}")]
    Refused(String),
}

fn noise_err(e: snow::Error) -> NoiseError {
    NoiseError::Noise(e.to_string())
}

fn builder<'a>(local_secret: &'a [u8; 32]) -> Result<snow::Builder<'a>, NoiseError> {
    let params: snow::params::NoiseParams = NOISE_PARAMS.parse().map_err(noise_err)?;
    snow::Builder::new(params)
        .local_private_key(local_secret)
        .map_err(noise_err)?
        .prologue(NOISE_PROLOGUE)
        .map_err(noise_err)
}

fn write_hs(hs: &mut HandshakeState, payload: &[u8]) -> Result<Vec<u8>, NoiseError> {
    let mut buf = vec![0u8; NOISE_MAX_MESSAGE];
    let n = hs.write_message(payload, &mut buf).map_err(noise_err)?;
    buf.truncate(n);
    Ok(buf)
}

fn read_hs(hs: &mut HandshakeState, frame: &[u8]) -> Result<Vec<u8>, NoiseError> {
    if frame.is_empty() || frame.len() > NOISE_MAX_MESSAGE {
        return Err(NoiseError::BadFrame(format!(
            "handshake frame of {} bytes",
            frame.len()
        )));
    }
    let mut buf = vec![0u8; NOISE_MAX_MESSAGE];
    let n = hs.read_message(frame, &mut buf).map_err(noise_err)?;
    buf.truncate(n);
    Ok(buf)
}

/// Initiator, before message 2.
pub struct Initiator {
    hs: HandshakeState,
    subscribe: Vec<u8>,
}

impl Initiator {
    /// Starts a handshake to a responder whose static key is `remote_static`; returns the
    /// state and handshake message 1 to send.
    pub fn start(
        local_secret: &[u8; 32],
        remote_static: &[u8; 32],
        subscribe: &SubscribeMessage,
    ) -> Result<(Self, Vec<u8>), NoiseError> {
        let mut hs = builder(local_secret)?
            .remote_public_key(remote_static)
            .map_err(noise_err)?
            .build_initiator()
            .map_err(noise_err)?;
        let msg1 = write_hs(&mut hs, &[])?;
        Ok((
            Initiator {
                hs,
                subscribe: subscribe.to_bincode(),
            },
            msg1,
        ))
    }

    /// Reads message 2 and returns message 3 (carrying the subscription).
    pub fn read_message2(mut self, frame: &[u8]) -> Result<(AwaitingReply, Vec<u8>), NoiseError> {
        read_hs(&mut self.hs, frame)?;
        let msg3 = write_hs(&mut self.hs, &self.subscribe)?;
        let transport = self.hs.into_transport_mode().map_err(noise_err)?;
        Ok((
            AwaitingReply {
                channel: Channel::new(transport)?,
            },
            msg3,
        ))
    }
}

/// Initiator after message 3, waiting for the responder's verdict.
pub struct AwaitingReply {
    channel: Channel,
}

impl AwaitingReply {
    /// Reads the reply; `Ok(())` opens the channel, `Err(reason)` is [`NoiseError::Refused`].
    pub fn read_reply(mut self, frame: &[u8]) -> Result<Channel, NoiseError> {
        let plain = self.channel.decrypt(frame)?;
        match crate::wire::decode_subscribe_response(&plain)
            .map_err(|e| NoiseError::BadFrame(format!("subscribe reply: {e}")))?
        {
            Ok(()) => Ok(self.channel),
            Err(reason) => Err(NoiseError::Refused(reason)),
        }
    }
}

/// Responder, before message 1.
pub struct Responder {
    hs: HandshakeState,
}

impl Responder {
    /// A responder with the server's static secret.
    pub fn new(local_secret: &[u8; 32]) -> Result<Self, NoiseError> {
        let hs = builder(local_secret)?
            .build_responder()
            .map_err(noise_err)?;
        Ok(Responder { hs })
    }

    /// Reads message 1, returns message 2.
    pub fn read_message1(
        mut self,
        frame: &[u8],
    ) -> Result<(ResponderAwaiting3, Vec<u8>), NoiseError> {
        read_hs(&mut self.hs, frame)?;
        let msg2 = write_hs(&mut self.hs, &[])?;
        Ok((ResponderAwaiting3 { hs: self.hs }, msg2))
    }
}

/// Responder, waiting for message 3.
pub struct ResponderAwaiting3 {
    hs: HandshakeState,
}

impl ResponderAwaiting3 {
    /// Reads message 3: the initiator's static key and subscription.
    pub fn read_message3(mut self, frame: &[u8]) -> Result<PendingSubscription, NoiseError> {
        let payload = read_hs(&mut self.hs, frame)?;
        let remote_static: [u8; 32] = self
            .hs
            .get_remote_static()
            .and_then(|k| k.try_into().ok())
            .ok_or_else(|| NoiseError::Noise("no remote static key after message 3".into()))?;
        let subscribe = SubscribeMessage::from_bincode(&payload)?;
        let transport = self.hs.into_transport_mode().map_err(noise_err)?;
        Ok(PendingSubscription {
            channel: Channel::new(transport)?,
            subscribe,
            remote_static,
        })
    }
}

/// The responder's view after the handshake, before it answers the subscription.
pub struct PendingSubscription {
    channel: Channel,
    /// The initiator's signed subscription.
    pub subscribe: SubscribeMessage,
    /// The initiator's authenticated Noise static key.
    pub remote_static: [u8; 32],
}

impl PendingSubscription {
    /// Accepts: returns the open channel and the `Ok(())` reply frame.
    pub fn accept(mut self) -> Result<(Channel, Vec<u8>), NoiseError> {
        let reply = self
            .channel
            .encrypt(&crate::wire::encode_subscribe_response(&Ok(())))?;
        Ok((self.channel, reply))
    }

    /// Refuses with a reason: returns the `Err(reason)` reply frame to send before closing.
    pub fn reject(mut self, reason: &str) -> Result<Vec<u8>, NoiseError> {
        self.channel
            .encrypt(&crate::wire::encode_subscribe_response(&Err(
                reason.to_string()
            )))
    }
}

/// An established channel: encrypts and decrypts whole frames.
pub struct Channel {
    transport: TransportState,
    remote_static: [u8; 32],
}

impl Channel {
    fn new(transport: TransportState) -> Result<Self, NoiseError> {
        let remote_static = transport
            .get_remote_static()
            .and_then(|k| k.try_into().ok())
            .ok_or_else(|| NoiseError::Noise("no remote static key".into()))?;
        Ok(Channel {
            transport,
            remote_static,
        })
    }

    /// The peer's authenticated static key.
    pub fn remote_static(&self) -> [u8; 32] {
        self.remote_static
    }

    /// Encrypts one application message into one frame.
    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, NoiseError> {
        if plaintext.len() > MAX_APP_MESSAGE {
            return Err(NoiseError::BadFrame(format!(
                "message of {} bytes exceeds {MAX_APP_MESSAGE}",
                plaintext.len()
            )));
        }
        let chunks = plaintext.len().div_ceil(NOISE_MAX_CHUNK).max(1);
        let mut frame = Vec::with_capacity(plaintext.len() + 16 * chunks);
        let mut buf = vec![0u8; NOISE_MAX_MESSAGE];
        let mut pieces: Vec<&[u8]> = plaintext.chunks(NOISE_MAX_CHUNK).collect();
        if pieces.is_empty() {
            pieces.push(&[]);
        }
        for piece in pieces {
            let n = self
                .transport
                .write_message(piece, &mut buf)
                .map_err(noise_err)?;
            frame.extend_from_slice(&buf[..n]);
        }
        Ok(frame)
    }

    /// Decrypts one frame into one application message.
    pub fn decrypt(&mut self, frame: &[u8]) -> Result<Vec<u8>, NoiseError> {
        if frame.is_empty() {
            return Err(NoiseError::BadFrame("empty frame".into()));
        }
        if frame.len() > MAX_APP_MESSAGE + 16 * MAX_APP_MESSAGE.div_ceil(NOISE_MAX_CHUNK) {
            return Err(NoiseError::BadFrame(format!(
                "frame of {} bytes is oversize",
                frame.len()
            )));
        }
        let mut out = Vec::with_capacity(frame.len());
        let mut buf = vec![0u8; NOISE_MAX_MESSAGE];
        for chunk in frame.chunks(NOISE_MAX_MESSAGE) {
            if chunk.len() < 16 {
                return Err(NoiseError::BadFrame(format!(
                    "chunk of {} bytes is shorter than a tag",
                    chunk.len()
                )));
            }
            let n = self
                .transport
                .read_message(chunk, &mut buf)
                .map_err(noise_err)?;
            out.extend_from_slice(&buf[..n]);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Sr25519Pair, X25519Keypair};
    use crate::session::SessionId;

    struct Pair {
        initiator: Channel,
        responder: Channel,
    }

    fn handshake(
        client_key: &X25519Keypair,
        server_key: &X25519Keypair,
        dialed_key: [u8; 32],
    ) -> Result<Pair, NoiseError> {
        let alice = Sr25519Pair::from_suri("//Alice").unwrap();
        let sub = SubscribeMessage::new(
            SessionId::Dkg {
                user: alice.account(),
                block_number: 3,
            },
            &alice,
        );
        let (init, m1) = Initiator::start(&client_key.secret_bytes(), &dialed_key, &sub)?;
        let (resp, m2) = Responder::new(&server_key.secret_bytes())?.read_message1(&m1)?;
        let (waiting, m3) = init.read_message2(&m2)?;
        let pending = resp.read_message3(&m3)?;
        assert_eq!(pending.subscribe, sub);
        assert_eq!(pending.remote_static, client_key.public);
        let (responder, reply) = pending.accept()?;
        let initiator = waiting.read_reply(&reply)?;
        Ok(Pair {
            initiator,
            responder,
        })
    }

    #[test]
    fn handshake_and_chunked_messages() {
        let c = X25519Keypair::generate();
        let s = X25519Keypair::generate();
        let mut p = handshake(&c, &s, s.public).unwrap();
        for len in [
            0usize,
            1,
            NOISE_MAX_CHUNK - 1,
            NOISE_MAX_CHUNK,
            NOISE_MAX_CHUNK + 1,
            3 * NOISE_MAX_CHUNK + 7,
        ] {
            let msg: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let frame = p.initiator.encrypt(&msg).unwrap();
            assert_eq!(frame.len(), len + 16 * len.div_ceil(NOISE_MAX_CHUNK).max(1));
            assert_eq!(p.responder.decrypt(&frame).unwrap(), msg);
            let back = p.responder.encrypt(&msg).unwrap();
            assert_eq!(p.initiator.decrypt(&back).unwrap(), msg);
        }
    }

    #[test]
    fn wrong_responder_static_key_fails_the_handshake() {
        let c = X25519Keypair::generate();
        let s = X25519Keypair::generate();
        let impostor = X25519Keypair::generate();
        // The client expects `s` but talks to `impostor`.
        assert!(matches!(
            handshake(&c, &impostor, s.public),
            Err(NoiseError::Noise(_))
        ));
    }

    #[test]
    fn tampered_truncated_and_oversize_frames() {
        let c = X25519Keypair::generate();
        let s = X25519Keypair::generate();
        let mut p = handshake(&c, &s, s.public).unwrap();
        let frame = p.initiator.encrypt(b"hello").unwrap();
        let mut bad = frame.clone();
        bad[2] ^= 1;
        assert!(p.responder.decrypt(&bad).is_err());
        let mut p = handshake(&c, &s, s.public).unwrap();
        let frame = p.initiator.encrypt(b"hello").unwrap();
        assert!(matches!(
            p.responder.decrypt(&frame[..10]),
            Err(NoiseError::BadFrame(_))
        ));
        assert!(matches!(
            p.responder.decrypt(&[]),
            Err(NoiseError::BadFrame(_))
        ));
        assert!(p
            .initiator
            .encrypt(&vec![0u8; MAX_APP_MESSAGE + 1])
            .is_err());
        assert!(matches!(
            p.responder.decrypt(&vec![0u8; MAX_APP_MESSAGE * 2]),
            Err(NoiseError::BadFrame(_))
        ));
    }

    #[test]
    fn refused_subscription_reaches_the_initiator() {
        let c = X25519Keypair::generate();
        let s = X25519Keypair::generate();
        let alice = Sr25519Pair::from_suri("//Alice").unwrap();
        let sub = SubscribeMessage::new(
            SessionId::Dkg {
                user: alice.account(),
                block_number: 3,
            },
            &alice,
        );
        let (init, m1) = Initiator::start(&c.secret_bytes(), &s.public, &sub).unwrap();
        let (resp, m2) = Responder::new(&s.secret_bytes())
            .unwrap()
            .read_message1(&m1)
            .unwrap();
        let (waiting, m3) = init.read_message2(&m2).unwrap();
        let pending = resp.read_message3(&m3).unwrap();
        let reply = pending.reject("No listener for this session").unwrap();
        assert_eq!(
            waiting.read_reply(&reply).err(),
            Some(NoiseError::Refused("No listener for this session".into()))
        );
    }
}
