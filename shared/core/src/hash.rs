//! A hash that never changes: FNV-1a, 64 bit, no random seed.
//!
//! Fingerprints are stored (contract snapshots, the poller's settings fingerprint) and
//! compared with ones computed by a later build, so they cannot use
//! `std::hash::DefaultHasher`, whose algorithm may change with the toolchain. FNV-1a is
//! fixed by its definition (offset basis and prime below) and plenty for telling
//! "same content" from "changed".

/// FNV-1a 64 over everything written to it. Feed it canonical bytes (e.g. with
/// `serde_json::to_writer`), read [`StableHasher::hex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StableHasher(u64);

const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

impl Default for StableHasher {
    fn default() -> Self {
        Self(OFFSET_BASIS)
    }
}

impl StableHasher {
    pub fn update(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(PRIME);
        }
    }

    pub fn value(&self) -> u64 {
        self.0
    }

    /// The hash as 16 lower-case hex digits.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

impl std::io::Write for StableHasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The stable hash of `value`'s JSON, as 16 hex digits.
pub fn json_fingerprint<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut hasher = StableHasher::default();
    // Serialising into an infallible writer only fails for maps with non-string keys,
    // which no fingerprinted type has.
    let _ = serde_json::to_writer(&mut hasher, value);
    hasher.hex()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_fnv1a_64_vectors() {
        let hash = |text: &str| {
            let mut h = StableHasher::default();
            h.update(text.as_bytes());
            h.value()
        };
        assert_eq!(hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn writes_in_pieces_hash_like_one_write() {
        use std::io::Write;
        let mut pieces = StableHasher::default();
        pieces.write_all(b"foo").expect("infallible");
        pieces.write_all(b"bar").expect("infallible");
        let mut whole = StableHasher::default();
        whole.update(b"foobar");
        assert_eq!(pieces, whole);
        assert_eq!(whole.hex(), "85944171f73967e8");
        assert_eq!(json_fingerprint(&serde_json::json!({"a": 1})).len(), 16);
    }
}
