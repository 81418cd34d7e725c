//! Reading request headers the way both signature schemes need them: bounded in size, several
//! field lines combined with `", "`, each value trimmed (draft-cavage §2.3 and RFC 9421 §2.1 agree
//! on this), and the raw bytes kept, since a signature covers bytes, not text.

use http::HeaderMap;

use super::SignatureError;

/// The longest header this module parses (`Signature`, `Signature-Input`, `Digest`,
/// `Content-Digest`). Real ones are under 1 KiB (a 4096-bit RSA signature is 684 base64
/// characters); the bound keeps parsing cost fixed whatever a sender tries.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// The most headers or components one signature may cover. PeerTube covers 4, Mastodon 5,
/// RFC 9421's largest example 11.
pub const MAX_COVERED: usize = 32;

/// The one value of a header that must appear at most once, as text, within [`MAX_HEADER_BYTES`].
pub(crate) fn single<'a>(
    headers: &'a HeaderMap,
    name: &'static str,
) -> Result<Option<&'a str>, SignatureError> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(SignatureError::RepeatedHeader(name));
    }
    if first.len() > MAX_HEADER_BYTES {
        return Err(SignatureError::Oversized { header: name, limit: MAX_HEADER_BYTES });
    }
    let text = first.to_str().map_err(|_| SignatureError::malformed(name, "not visible ASCII"))?;
    Ok(Some(text))
}

/// Every field line of a structured header joined with `", "` (RFC 8941 §4.2 allows a
/// dictionary to be split over lines), within [`MAX_HEADER_BYTES`] in all.
pub(crate) fn combined(headers: &HeaderMap, name: &'static str) -> Result<Option<String>, SignatureError> {
    let mut out: Option<String> = None;
    for value in headers.get_all(name) {
        let text = value.to_str().map_err(|_| SignatureError::malformed(name, "not visible ASCII"))?;
        let joined = out.get_or_insert_with(String::new);
        if !joined.is_empty() {
            joined.push_str(", ");
        }
        joined.push_str(text);
        if joined.len() > MAX_HEADER_BYTES {
            return Err(SignatureError::Oversized { header: name, limit: MAX_HEADER_BYTES });
        }
    }
    Ok(out)
}

/// The value a signature covers for header `name` (lowercase): every field line trimmed of
/// spaces and tabs, joined with `", "`; `None` when the request has no such header.
pub(crate) fn covered_value(headers: &HeaderMap, name: &str) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    for value in headers.get_all(name) {
        let joined = out.get_or_insert_with(Vec::new);
        if !joined.is_empty() {
            joined.extend_from_slice(b", ");
        }
        joined.extend_from_slice(value.as_bytes().trim_ascii());
    }
    out
}

/// Whether `name` is a lowercase HTTP field name (RFC 9110 `token`), as both schemes require in
/// their covered lists once lowercased.
pub(crate) fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || matches!(b, b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.')
                || matches!(b, b'^' | b'_' | b'`' | b'|' | b'~')
        })
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn several_lines_are_trimmed_and_joined() {
        let mut headers = HeaderMap::new();
        headers.append("x-list", HeaderValue::from_static(" a "));
        headers.append("x-list", HeaderValue::from_static("b,c\t"));
        assert_eq!(covered_value(&headers, "x-list").as_deref(), Some(&b"a, b,c"[..]));
        assert_eq!(covered_value(&headers, "x-none"), None);
        headers.append("x-empty", HeaderValue::from_static(""));
        assert_eq!(covered_value(&headers, "x-empty").as_deref(), Some(&b""[..]));
    }

    #[test]
    fn single_refuses_repeats_and_oversize() {
        let mut headers = HeaderMap::new();
        headers.append("signature", HeaderValue::from_static("a"));
        assert_eq!(single(&headers, "Signature"), Ok(Some("a")));
        headers.append("signature", HeaderValue::from_static("b"));
        assert_eq!(single(&headers, "Signature"), Err(SignatureError::RepeatedHeader("Signature")));
        let mut big = HeaderMap::new();
        let long = "x".repeat(MAX_HEADER_BYTES + 1);
        big.insert("digest", HeaderValue::from_str(&long).unwrap());
        assert!(matches!(single(&big, "Digest"), Err(SignatureError::Oversized { .. })));
        assert!(matches!(combined(&big, "Digest"), Err(SignatureError::Oversized { .. })));
    }

    #[test]
    fn field_names() {
        assert!(is_field_name("content-digest"));
        assert!(!is_field_name("Content-Digest"));
        assert!(!is_field_name(""));
        assert!(!is_field_name("a b"));
        assert!(!is_field_name("(request-target)"));
    }
}
