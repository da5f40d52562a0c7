//! The two bincode 1.x dialects of the reference, written out by hand so the formats are
//! explicit and `no_std`-friendly (§11.5):
//!
//! * **fixint LE** (bincode 1 default): `u32` enum tags, `u64` LE lengths — Noise payloads,
//!   `SessionId`, `SubscribeMessage`, the subscribe reply.
//! * **kvdb** (big-endian, varint integers, trailing bytes rejected, 1 000 000-byte limit) — the
//!   key store's records and values.

use alloc::string::String;
use alloc::vec::Vec;

/// Size limit of the kvdb dialect.
pub const KVDB_LIMIT: usize = 1_000_000;

/// Why bytes did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Input ended early.
    #[error("not enough data: needed {needed} more bytes")]
    NotEnoughData {
        /// Missing byte count.
        needed: usize,
    },
    /// Bytes left after the value.
    #[error("{0} unexpected trailing bytes")]
    TrailingBytes(usize),
    /// A length beyond the limit.
    #[error("length {0} exceeds the limit")]
    TooLong(u64),
    /// Unknown enum tag.
    #[error("unknown variant tag {0}")]
    BadVariant(u32),
    /// A string that is not UTF-8.
    #[error("string is not valid UTF-8")]
    BadUtf8,
    /// Varint marker byte that is not allowed.
    #[error("invalid varint marker {0}")]
    BadVarint(u8),
}

/// Reader over a byte slice; both dialects.
pub struct Reader<'a> {
    data: &'a [u8],
    kvdb: bool,
}

impl<'a> Reader<'a> {
    /// Fixint little-endian reader (bincode 1 default).
    pub fn fixint(data: &'a [u8]) -> Self {
        Reader { data, kvdb: false }
    }
    /// Big-endian varint reader (kvdb dialect); refuses inputs over [`KVDB_LIMIT`].
    pub fn kvdb(data: &'a [u8]) -> Result<Self, WireError> {
        if data.len() > KVDB_LIMIT {
            return Err(WireError::TooLong(data.len() as u64));
        }
        Ok(Reader { data, kvdb: true })
    }
    /// Takes `n` raw bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if self.data.len() < n {
            return Err(WireError::NotEnoughData {
                needed: n - self.data.len(),
            });
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        Ok(head)
    }
    /// Takes a fixed array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let b = self.bytes(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }
    fn uint(&mut self, width: usize) -> Result<u64, WireError> {
        let b = self.bytes(width)?;
        let mut v: u64 = 0;
        if self.kvdb {
            for x in b {
                v = (v << 8) | *x as u64;
            }
        } else {
            for x in b.iter().rev() {
                v = (v << 8) | *x as u64;
            }
        }
        Ok(v)
    }
    fn varint(&mut self) -> Result<u64, WireError> {
        let m = self.bytes(1)?[0];
        match m {
            0..=250 => Ok(m as u64),
            251 => self.uint(2),
            252 => self.uint(4),
            253 => self.uint(8),
            other => Err(WireError::BadVarint(other)),
        }
    }
    /// A `u32` (enum tag or field).
    pub fn u32(&mut self) -> Result<u32, WireError> {
        let v = if self.kvdb {
            self.varint()?
        } else {
            self.uint(4)?
        };
        u32::try_from(v).map_err(|_| WireError::TooLong(v))
    }
    /// A length prefix (`u64`), checked against the remaining input.
    pub fn length_prefix(&mut self) -> Result<usize, WireError> {
        let v = if self.kvdb {
            self.varint()?
        } else {
            self.uint(8)?
        };
        if v > self.data.len() as u64 {
            return Err(WireError::NotEnoughData {
                needed: (v - self.data.len() as u64) as usize,
            });
        }
        Ok(v as usize)
    }
    /// A length-prefixed byte vector.
    pub fn vec_u8(&mut self) -> Result<Vec<u8>, WireError> {
        let n = self.length_prefix()?;
        Ok(self.bytes(n)?.to_vec())
    }
    /// A length-prefixed UTF-8 string.
    pub fn string(&mut self) -> Result<String, WireError> {
        let v = self.vec_u8()?;
        String::from_utf8(v).map_err(|_| WireError::BadUtf8)
    }
    /// Fails if bytes remain.
    pub fn finish(self) -> Result<(), WireError> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(WireError::TrailingBytes(self.data.len()))
        }
    }
}

/// Writer for both dialects.
pub struct Writer {
    out: Vec<u8>,
    kvdb: bool,
}

impl Writer {
    /// Fixint little-endian writer.
    pub fn fixint() -> Self {
        Writer {
            out: Vec::new(),
            kvdb: false,
        }
    }
    /// Big-endian varint writer.
    pub fn kvdb() -> Self {
        Writer {
            out: Vec::new(),
            kvdb: true,
        }
    }
    /// Raw bytes.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.out.extend_from_slice(b);
        self
    }
    fn uint(&mut self, v: u64, width: usize) {
        let be = v.to_be_bytes();
        let b = &be[8 - width..];
        if self.kvdb {
            self.out.extend_from_slice(b);
        } else {
            self.out.extend(b.iter().rev());
        }
    }
    fn varint(&mut self, v: u64) {
        if v < 251 {
            self.out.push(v as u8);
        } else if v <= u16::MAX as u64 {
            self.out.push(251);
            self.uint(v, 2);
        } else if v <= u32::MAX as u64 {
            self.out.push(252);
            self.uint(v, 4);
        } else {
            self.out.push(253);
            self.uint(v, 8);
        }
    }
    /// A `u32`.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        if self.kvdb {
            self.varint(v as u64)
        } else {
            self.uint(v as u64, 4)
        }
        self
    }
    /// A length prefix.
    pub fn length_prefix(&mut self, n: usize) -> &mut Self {
        if self.kvdb {
            self.varint(n as u64)
        } else {
            self.uint(n as u64, 8)
        }
        self
    }
    /// A length-prefixed byte vector.
    pub fn vec_u8(&mut self, b: &[u8]) -> &mut Self {
        self.length_prefix(b.len());
        self.bytes(b)
    }
    /// A length-prefixed string.
    pub fn string(&mut self, s: &str) -> &mut Self {
        self.vec_u8(s.as_bytes())
    }
    /// The encoded bytes.
    pub fn finish(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.out)
    }
}

/// `bincode(Result<(), String>)`, the reply after a Noise subscription (fixint dialect).
pub fn encode_subscribe_response(r: &Result<(), String>) -> Vec<u8> {
    let mut w = Writer::fixint();
    match r {
        Ok(()) => w.u32(0),
        Err(e) => w.u32(1).string(e),
    };
    w.finish()
}

/// Decodes the subscription reply.
pub fn decode_subscribe_response(b: &[u8]) -> Result<Result<(), String>, WireError> {
    let mut r = Reader::fixint(b);
    let out = match r.u32()? {
        0 => Ok(()),
        1 => Err(r.string()?),
        t => return Err(WireError::BadVariant(t)),
    };
    r.finish()?;
    Ok(out)
}

/// `kvdb_bincode(Vec<u8>)`: the plaintext layer of values written through the key store.
pub fn kvdb_encode_vec(v: &[u8]) -> Vec<u8> {
    Writer::kvdb().vec_u8(v).finish()
}

/// Inverse of [`kvdb_encode_vec`].
pub fn kvdb_decode_vec(b: &[u8]) -> Result<Vec<u8>, WireError> {
    let mut r = Reader::kvdb(b)?;
    let v = r.vec_u8()?;
    r.finish()?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn subscribe_responses() {
        assert_eq!(encode_subscribe_response(&Ok(())), vec![0, 0, 0, 0]);
        assert_eq!(
            encode_subscribe_response(&Err("x".into())),
            vec![1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, b'x']
        );
        assert_eq!(decode_subscribe_response(&[0, 0, 0, 0]), Ok(Ok(())));
        assert!(decode_subscribe_response(&[0, 0, 0, 0, 0]).is_err());
        assert!(decode_subscribe_response(&[2, 0, 0, 0]).is_err());
        assert!(decode_subscribe_response(&[1, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn kvdb_varint_lengths() {
        assert_eq!(kvdb_encode_vec(&[0; 4]), vec![4, 0, 0, 0, 0]);
        let long = kvdb_encode_vec(&[1; 300]);
        assert_eq!(&long[..3], &[251, 0x01, 0x2c]);
        assert_eq!(kvdb_decode_vec(&long).unwrap(), vec![1; 300]);
        assert!(kvdb_decode_vec(&[5, 1]).is_err());
    }
}
