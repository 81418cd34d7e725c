//! The tracker's identifiers: `info_hash`, `peer_id` and `to_peer_id` travel as JSON strings of
//! exactly 20 UTF-16 code units, each at most U+00FF ("binary strings": one byte per character,
//! so U+00A4 is the byte 0xA4 and arrives UTF-8 encoded as `C2 A4`). Counting bytes (`len()`) or
//! assuming hex is the classic porting mistake, so this is the only place that converts.

use std::fmt;

/// A 20-byte identifier (info hash or peer id).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id20(pub [u8; 20]);

impl Id20 {
    /// Reads a wire string: exactly 20 characters, each at most U+00FF.
    pub fn from_wire(s: &str) -> Option<Self> {
        let mut out = [0u8; 20];
        let mut n = 0;
        for c in s.chars() {
            let code = u32::from(c);
            // Characters above U+FFFF would count as two UTF-16 units in JavaScript; they are
            // above U+00FF anyway, so refusing everything above U+00FF covers both rules.
            if code > 0xFF || n == 20 {
                return None;
            }
            out[n] = code as u8;
            n += 1;
        }
        (n == 20).then_some(Self(out))
    }

    /// The wire string: one character per byte.
    pub fn to_wire(&self) -> String {
        self.0.iter().map(|&b| char::from(b)).collect()
    }

    /// Lowercase hex, for logs, storage and failure reasons.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Reads 40 hex digits (either case).
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 40 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 20];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(out))
    }
}

/// Stored (socket attachments, allow-list caches) as 40 hex digits: ASCII, unambiguous in JSON.
impl serde::Serialize for Id20 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.hex())
    }
}

impl<'de> serde::Deserialize<'de> for Id20 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Id20::from_hex(&s).ok_or_else(|| serde::de::Error::custom("expected 40 hex digits"))
    }
}

impl fmt::Debug for Id20 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id20({})", self.hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        // 20 characters, 21 bytes of UTF-8 because of U+00A4.
        let wire = "\u{a4}bcdefghijklmnopqrst";
        assert_eq!(wire.len(), 21);
        let id = Id20::from_wire(wire).expect("20 characters");
        assert_eq!(id.0[0], 0xA4);
        assert_eq!(id.to_wire(), wire);
        // Control characters are bytes like any other.
        let ctl = "\u{0}\u{1f}cdefghijklmnopqrst";
        assert_eq!(Id20::from_wire(ctl).map(|i| i.0[1]), Some(0x1F));
    }

    #[test]
    fn refuses_wrong_lengths_and_wide_characters() {
        assert!(Id20::from_wire("abcdefghijklmnopqrs").is_none());
        assert!(Id20::from_wire("abcdefghijklmnopqrstu").is_none());
        assert!(Id20::from_wire("\u{100}bcdefghijklmnopqrst").is_none());
        assert!(Id20::from_wire("😀bcdefghijklmnopqrs").is_none());
    }

    #[test]
    fn hex_round_trips() {
        let id = Id20(*b"n6D3vQNvgXbyHVNq7qeT");
        assert_eq!(Id20::from_hex(&id.hex()), Some(id));
        assert!(Id20::from_hex("zz").is_none());
    }
}
