//! Video identifiers: version 4 UUIDs drawn from the crypto port, and PeerTube's `shortUUID`,
//! the UUID's 128-bit value written in base58.

use edgetube_ports::{Crypto, PortError};

/// The base58 alphabet PeerTube's short UUIDs use: Flickr's order, lower case before upper
/// (no `0`, `O`, `I`, `l`). Bitcoin's order (upper case first) does not reproduce PeerTube's
/// sample, which the unit test below pins.
const ALPHABET: &[u8; 58] = b"123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";

/// Base58 of a 128-bit value is at most 22 digits; shorter values are left-padded with the zero
/// digit so every short UUID has the same length, as PeerTube's do.
const SHORT_LEN: usize = 22;

/// A fresh random (version 4) UUID, lower-case with dashes.
pub fn new_v4(crypto: &dyn Crypto) -> Result<String, PortError> {
    let bytes = crypto.random_bytes(16)?;
    let mut value = bytes.iter().fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
    // Version 4 in bits 76..80, RFC 4122 variant in bits 62..64.
    value = (value & !(0xF << 76)) | (0x4 << 76);
    value = (value & !(0x3 << 62)) | (0x2 << 62);
    Ok(format_uuid(value))
}

fn format_uuid(value: u128) -> String {
    let hex = format!("{value:032x}");
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// The 128-bit value of a UUID written with or without dashes; `None` when malformed.
pub fn parse_uuid(text: &str) -> Option<u128> {
    let dashes = [8, 13, 18, 23];
    let valid_shape = text.len() == 36
        && text
            .char_indices()
            .all(|(i, c)| if dashes.contains(&i) { c == '-' } else { c.is_ascii_hexdigit() });
    if !valid_shape {
        return None;
    }
    u128::from_str_radix(&text.replace('-', ""), 16).ok()
}

/// PeerTube's `shortUUID` of `uuid`; `None` when `uuid` is malformed.
pub fn short_uuid(uuid: &str) -> Option<String> {
    let mut value = parse_uuid(uuid)?;
    let mut digits = Vec::with_capacity(SHORT_LEN);
    while value > 0 {
        digits.push(ALPHABET[(value % 58) as usize]);
        value /= 58;
    }
    while digits.len() < SHORT_LEN {
        digits.push(ALPHABET[0]);
    }
    digits.reverse();
    String::from_utf8(digits).ok()
}

/// The UUID a `shortUUID` stands for; `None` when it is not base58 or overflows 128 bits.
pub fn uuid_from_short(short: &str) -> Option<String> {
    if short.is_empty() || short.len() > SHORT_LEN {
        return None;
    }
    let mut value = 0u128;
    for byte in short.bytes() {
        let digit = ALPHABET.iter().position(|&a| a == byte)?;
        value = value.checked_mul(58)?.checked_add(digit as u128)?;
    }
    Some(format_uuid(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_peertube_sample() {
        // From PeerTube 7's video.json.
        let uuid = "73bad3ec-0474-4742-af5f-639d9e808e09";
        assert_eq!(short_uuid(uuid).as_deref(), Some("fhShfvXEAs6bchvMUm6XwZ"));
        assert_eq!(uuid_from_short("fhShfvXEAs6bchvMUm6XwZ").as_deref(), Some(uuid));
    }

    #[test]
    fn small_values_are_padded_and_round_trip() {
        let zero = "00000000-0000-0000-0000-000000000000";
        assert_eq!(short_uuid(zero).as_deref(), Some("1111111111111111111111"));
        assert_eq!(uuid_from_short("1111111111111111111111").as_deref(), Some(zero));
        let max = "ffffffff-ffff-ffff-ffff-ffffffffffff";
        let short = short_uuid(max).unwrap();
        assert_eq!(short.len(), 22);
        assert_eq!(uuid_from_short(&short).as_deref(), Some(max));
    }

    #[test]
    fn malformed_input_is_refused() {
        assert_eq!(short_uuid("not-a-uuid"), None);
        assert_eq!(parse_uuid("73bad3ec04744742af5f639d9e808e09xxxx"), None);
        assert_eq!(uuid_from_short("0OIl"), None);
        assert_eq!(uuid_from_short("zzzzzzzzzzzzzzzzzzzzzz"), None, "overflows 128 bits");
    }

    #[test]
    fn v4_uuids_have_version_and_variant() {
        let crypto = edgetube_native::NativeCrypto;
        let uuid = new_v4(&crypto).unwrap();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"));
        assert!(parse_uuid(&uuid).is_some());
    }
}
