//! The small text encodings several crates need, defined once: lowercase hex, RFC 3986
//! percent-encoding and HTML escaping.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Every byte but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`).
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
/// [`RESERVED`] without `/`, for paths whose segments are encoded one by one.
const RESERVED_BUT_SLASH: &AsciiSet = &RESERVED.remove(b'/');

/// Lowercase hexadecimal, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xF)]));
    }
    out
}

/// RFC 3986 percent-encoding: unreserved characters stay, and `/` too when `keep_slash`; every
/// other byte of the UTF-8 text becomes `%XX` with uppercase hex (AWS's URI encoding, and what
/// query values need).
pub fn percent_encode(text: &str, keep_slash: bool) -> String {
    let set = if keep_slash { RESERVED_BUT_SLASH } else { RESERVED };
    utf8_percent_encode(text, set).to_string()
}

/// Text escaped for HTML content and double-quoted attribute values.
pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn percent_encoding_keeps_unreserved_characters_only() {
        assert_eq!(percent_encode("a-Z_0.9~ /é+*", false), "a-Z_0.9~%20%2F%C3%A9%2B%2A");
        assert_eq!(percent_encode("/hls/a b/x.mp4", true), "/hls/a%20b/x.mp4");
    }

    #[test]
    fn html_escaping_covers_markup_and_quotes() {
        assert_eq!(html_escape(r#"<a href="x">&</a>"#), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
    }
}
