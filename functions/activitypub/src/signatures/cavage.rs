//! draft-cavage HTTP signatures, the scheme PeerTube (every version) and Mastodon (before 4.4)
//! speak: the `Signature` header's grammar, the signing string it describes, the rules an inbox
//! applies before trusting it, and the headers PeerTube adds to what it sends.
//!
//! Rules (PeerTube's `middlewares/activitypub.ts` and Mastodon's `SignatureVerification`, the
//! stricter of each): `(request-target)` and `host` are always covered, `digest` too on a POST,
//! and `date` or `(created)` within the clock skew. `algorithm` may be absent, `rsa-sha256`,
//! `hs2019` (the key decides) or `ed25519`.

use std::time::Duration;

use base64::alphabet::STANDARD as STANDARD_ALPHABET;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use http::{HeaderMap, HeaderName, Method};
use url::Url;

use super::headers::{self, covered_value, is_field_name, MAX_COVERED, MAX_HEADER_BYTES};
use super::{digest, time, Algorithm, SignatureError};

/// The header's name, as errors report it.
const HEADER: &str = "Signature";

/// More parameters than draft-cavage defines (6) plus room for extensions; a longer list is not
/// a signature anyone sends.
const MAX_PARAMS: usize = 16;

/// A `keyId` longer than this is not a URL anyone publishes.
pub(crate) const MAX_KEY_ID_BYTES: usize = 2048;

/// Senders differ on base64 padding; the bytes are what matters.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD_ALPHABET,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A parsed `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CavageSignature {
    /// `keyId`, as sent (PeerTube: the actor URL; Mastodon: the actor URL + `#main-key`).
    pub key_id: String,
    /// `algorithm`, lowercased; `None` when absent.
    pub algorithm: Option<String>,
    /// `headers`, lowercased, in order; `["(created)"]` when absent, as the draft says.
    pub headers: Vec<String>,
    /// `signature`, decoded from base64.
    pub signature: Vec<u8>,
    /// `created`, as sent (Unix seconds).
    pub created: Option<String>,
    /// `expires`, as sent (Unix seconds, maybe with a fraction).
    pub expires: Option<String>,
}

impl CavageSignature {
    /// `created` in Unix seconds.
    pub fn created_s(&self) -> Option<i64> {
        self.created.as_deref().and_then(whole_seconds)
    }

    /// `expires` in Unix seconds (a fraction is dropped).
    pub fn expires_s(&self) -> Option<i64> {
        self.expires.as_deref().and_then(whole_seconds)
    }

    /// Whether `name` (lowercase) is in `headers`.
    pub fn covers(&self, name: &str) -> bool {
        self.headers.iter().any(|h| h == name)
    }

    /// The algorithm, or a refusal of one not implemented.
    pub fn algorithm(&self) -> Result<Algorithm, SignatureError> {
        match self.algorithm.as_deref() {
            None | Some("hs2019") => Ok(Algorithm::FromKey),
            Some("rsa-sha256") => Ok(Algorithm::RsaSha256),
            Some("ed25519") => Ok(Algorithm::Ed25519),
            Some(other) => Err(SignatureError::UnsupportedAlgorithm(other.to_owned())),
        }
    }
}

/// Parses a `Signature` header value. Never panics, whatever the input: fit for fuzzing.
///
/// A leading `Signature ` (the `Authorization` scheme some old senders, old PeerTube included,
/// copied into this header) is tolerated. Parameters are `name=value` or `name="value"` pairs
/// separated by commas; unknown ones are ignored, repeated ones refused.
pub fn parse(header: &str) -> Result<CavageSignature, SignatureError> {
    if header.len() > MAX_HEADER_BYTES {
        return Err(SignatureError::Oversized { header: HEADER, limit: MAX_HEADER_BYTES });
    }
    let mut rest = header.trim_matches([' ', '\t']);
    if rest.get(..10).is_some_and(|p| p.eq_ignore_ascii_case("signature ")) {
        rest = rest.get(10..).unwrap_or_default();
    }

    let mut key_id = None;
    let mut algorithm = None;
    let mut covered = None;
    let mut signature = None;
    let mut created = None;
    let mut expires = None;
    for (name, value) in params(rest)? {
        let slot = match name {
            "keyId" => &mut key_id,
            "algorithm" => &mut algorithm,
            "headers" => &mut covered,
            "signature" => &mut signature,
            "created" => &mut created,
            "expires" => &mut expires,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(SignatureError::DuplicateParameter(name.to_owned()));
        }
    }

    let key_id = key_id.ok_or(SignatureError::MissingParameter("keyId"))?;
    check_key_id(&key_id)?;
    let signature = signature.ok_or(SignatureError::MissingParameter("signature"))?;
    let signature = LENIENT_BASE64
        .decode(signature.trim())
        .map_err(|_| SignatureError::InvalidBase64("the signature"))?;
    if signature.is_empty() {
        return Err(SignatureError::malformed(HEADER, "the signature is empty"));
    }
    for (name, value) in [("created", &created), ("expires", &expires)] {
        if let Some(value) = value {
            if whole_seconds(value).is_none() || (name == "created" && value.contains('.')) {
                return Err(SignatureError::malformed(HEADER, format!("{name} is not a Unix time")));
            }
        }
    }
    Ok(CavageSignature {
        key_id,
        algorithm: algorithm.map(|a| a.to_ascii_lowercase()),
        headers: covered_list(covered.as_deref().unwrap_or("(created)"))?,
        signature,
        created,
        expires,
    })
}

/// The `name=value` pairs of the header, in order.
fn params(input: &str) -> Result<Vec<(&str, String)>, SignatureError> {
    let ws: &[char] = &[' ', '\t'];
    let mut out = Vec::new();
    let mut rest = input.trim_start_matches(ws);
    while !rest.is_empty() {
        if out.len() == MAX_PARAMS {
            return Err(SignatureError::malformed(HEADER, "too many parameters"));
        }
        let name_len = rest.find(|c: char| !is_tchar(c)).unwrap_or(rest.len());
        let (name, after) = rest.split_at(name_len);
        if name.is_empty() {
            return Err(SignatureError::malformed(HEADER, "expected a parameter name"));
        }
        let after = after.trim_start_matches(ws);
        let Some(after) = after.strip_prefix('=') else {
            return Err(SignatureError::malformed(HEADER, format!("expected = after {name}")));
        };
        let after = after.trim_start_matches(ws);
        let (value, after) = match after.strip_prefix('"') {
            Some(quoted) => quoted_string(quoted)?,
            None => {
                let len = after.find(|c: char| !is_tchar(c) && c != '/').unwrap_or(after.len());
                let (token, after) = after.split_at(len);
                (token.to_owned(), after)
            }
        };
        out.push((name, value));
        rest = after.trim_start_matches(ws);
        if rest.is_empty() {
            break;
        }
        let Some(next) = rest.strip_prefix(',') else {
            return Err(SignatureError::malformed(HEADER, "expected a comma between parameters"));
        };
        rest = next.trim_start_matches(ws);
    }
    Ok(out)
}

/// The content of a quoted string whose opening quote is already consumed, unescaped, and what
/// follows its closing quote.
fn quoted_string(input: &str) -> Result<(String, &str), SignatureError> {
    let mut value = String::new();
    let mut chars = input.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Ok((value, input.get(at + 1..).unwrap_or_default())),
            '\\' => match chars.next() {
                Some((_, escaped)) => value.push(escaped),
                None => break,
            },
            c if c.is_control() && c != '\t' => {
                return Err(SignatureError::malformed(HEADER, "a control character in a quoted value"));
            }
            c => value.push(c),
        }
    }
    Err(SignatureError::malformed(HEADER, "unterminated quoted value"))
}

/// RFC 9110 `tchar`.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// `digits` or `digits.digits`, at most 15 digits before the point, as whole seconds.
fn whole_seconds(text: &str) -> Option<i64> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 15 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    whole.parse().ok()
}

/// Refuses a keyId that cannot be a URL (or `acct:` URI) of a key.
pub(crate) fn check_key_id(key_id: &str) -> Result<(), SignatureError> {
    if key_id.is_empty() {
        return Err(SignatureError::InvalidKeyId("it is empty".into()));
    }
    if key_id.len() > MAX_KEY_ID_BYTES {
        return Err(SignatureError::InvalidKeyId(format!("it is longer than {MAX_KEY_ID_BYTES} bytes")));
    }
    if key_id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(SignatureError::InvalidKeyId("it contains spaces or control characters".into()));
    }
    if key_id.starts_with('#') {
        return Err(SignatureError::InvalidKeyId("it is only a fragment".into()));
    }
    Ok(())
}

/// The `headers` parameter as a list: lowercased, each a field name or one of the three
/// pseudo-headers, no repeats, at most [`MAX_COVERED`].
fn covered_list(text: &str) -> Result<Vec<String>, SignatureError> {
    let mut out: Vec<String> = Vec::new();
    for name in text.split_ascii_whitespace() {
        if out.len() == MAX_COVERED {
            let count = text.split_ascii_whitespace().count();
            return Err(SignatureError::TooManyComponents { count, limit: MAX_COVERED });
        }
        let name = name.to_ascii_lowercase();
        let known = matches!(name.as_str(), "(request-target)" | "(created)" | "(expires)");
        if !known {
            if name.starts_with('(') {
                return Err(SignatureError::UnsupportedComponent(name));
            }
            if !is_field_name(&name) {
                return Err(SignatureError::malformed(HEADER, format!("{name:?} is not a header name")));
            }
        }
        if out.contains(&name) {
            return Err(SignatureError::DuplicateComponent(name));
        }
        out.push(name);
    }
    if out.is_empty() {
        return Err(SignatureError::malformed(HEADER, "headers is empty"));
    }
    Ok(out)
}

/// The signing string `signature` describes: one `name: value` line per covered header, in
/// order, joined with `\n`, no trailing newline.
///
/// `path_and_query` is the request's target as received (`/inbox`, `/outbox?page=2`): the
/// draft's `(request-target)` is the lowercased method, a space and the `:path` pseudo-header,
/// which includes the query (Mastodon since 4.3 signs it so). PeerTube signs the path without
/// the query; [`crate::signatures::incoming::Plan::legacy_message`] covers that case.
pub fn signing_string(
    signature: &CavageSignature,
    method: &Method,
    path_and_query: &str,
    headers: &HeaderMap,
) -> Result<Vec<u8>, SignatureError> {
    let mut out = Vec::new();
    for (i, name) in signature.headers.iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        match name.as_str() {
            "(request-target)" => {
                out.extend_from_slice(method.as_str().to_ascii_lowercase().as_bytes());
                out.push(b' ');
                out.extend_from_slice(path_and_query.as_bytes());
            }
            "(created)" => {
                let created =
                    signature.created.as_deref().ok_or(SignatureError::MissingParameter("created"))?;
                out.extend_from_slice(created.as_bytes());
            }
            "(expires)" => {
                let expires =
                    signature.expires.as_deref().ok_or(SignatureError::MissingParameter("expires"))?;
                out.extend_from_slice(expires.as_bytes());
            }
            header => {
                let value = covered_value(headers, header)
                    .ok_or_else(|| SignatureError::SignedHeaderAbsent(header.to_owned()))?;
                out.extend_from_slice(&value);
            }
        }
    }
    Ok(out)
}

/// Applies an inbox's rules to a parsed signature: what must be covered, the clock, the body's
/// digest. `body` is the raw body as received (`None` = no body, checked as empty).
pub fn check_request(
    signature: &CavageSignature,
    method: &Method,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    now_ms: u64,
    max_skew: Duration,
) -> Result<(), SignatureError> {
    if !signature.covers("(request-target)") {
        return Err(SignatureError::NotCovered("(request-target)"));
    }
    if !signature.covers("host") {
        return Err(SignatureError::NotCovered("host"));
    }
    if method == Method::POST && !signature.covers("digest") {
        return Err(SignatureError::NotCovered("digest"));
    }
    let covers_date = signature.covers("date");
    let covers_created = signature.covers("(created)");
    if !covers_date && !covers_created {
        return Err(SignatureError::NotCovered("date or (created)"));
    }
    if covers_date {
        let date = headers::single(headers, "Date")?
            .ok_or_else(|| SignatureError::SignedHeaderAbsent("date".into()))?;
        time::check_skew("date", time::parse_http_date(date)?, now_ms, max_skew)?;
    }
    if covers_created {
        let created = signature.created_s().ok_or(SignatureError::MissingParameter("created"))?;
        time::check_skew("(created)", created, now_ms, max_skew)?;
    }
    if let Some(expires) = signature.expires_s() {
        time::check_expires(expires, now_ms)?;
    }
    // PeerTube: when a Digest header is present it must match, covered or not.
    let body = body.unwrap_or_default();
    match headers::single(headers, "Digest")? {
        Some(value) => digest::check_digest(value, body)?,
        None if signature.covers("digest") => return Err(SignatureError::DigestAbsent("Digest")),
        None => {}
    }
    if signature.covers("content-digest") {
        let value = headers::single(headers, "Content-Digest")?
            .ok_or(SignatureError::DigestAbsent("Content-Digest"))?;
        digest::check_content_digest(value, body)?;
    }
    Ok(())
}

/// The headers PeerTube covers when it signs: with a body, and without.
pub const COVERED_WITH_BODY: &str = "(request-target) host date digest";
/// See [`COVERED_WITH_BODY`].
pub const COVERED_WITHOUT_BODY: &str = "(request-target) host date";

/// An outgoing request ready to be signed: the headers to add, and the bytes to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CavageOutgoing {
    /// `Host`, `Date` and, with a body, `Digest`, to add to the request as they are.
    pub headers: Vec<(HeaderName, String)>,
    /// The signing string: sign it with RSASSA-PKCS1-v1_5 SHA-256 (the crypto port).
    pub signing_string: String,
    /// The `headers` parameter the signature will carry.
    pub covered: &'static str,
}

impl CavageOutgoing {
    /// Prepares `method url` with `body` at `now_ms` as PeerTube does: `Date` in IMF-fixdate,
    /// `Digest: SHA-256=…` when there is a body, `Host` from the URL (port only when not the
    /// default), and the signing string over [`COVERED_WITH_BODY`] or [`COVERED_WITHOUT_BODY`].
    ///
    /// `(request-target)` holds the path and the query, as the draft says and as Mastodon 4.3+
    /// verifies (PeerTube drops the query, but only sends signed GETs of its own URLs, and
    /// PeerTube does not require signed GETs).
    pub fn prepare(
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
        now_ms: u64,
    ) -> Result<Self, SignatureError> {
        let host = host_header(url)?;
        let date = time::http_date(now_ms)?;
        let mut target = url.path().to_owned();
        if let Some(query) = url.query() {
            target.push('?');
            target.push_str(query);
        }
        let mut signing_string = format!(
            "(request-target): {} {target}\nhost: {host}\ndate: {date}",
            method.as_str().to_ascii_lowercase()
        );
        let mut headers = vec![(http::header::HOST, host), (http::header::DATE, date)];
        let covered = match body {
            Some(body) => {
                let digest = digest::digest_header(body);
                signing_string.push_str("\ndigest: ");
                signing_string.push_str(&digest);
                headers.push((HeaderName::from_static("digest"), digest));
                COVERED_WITH_BODY
            }
            None => COVERED_WITHOUT_BODY,
        };
        Ok(Self { headers, signing_string, covered })
    }

    /// The `Signature` header value, formatted exactly as PeerTube does:
    /// `keyId="…",algorithm="rsa-sha256",headers="…",signature="…"`.
    pub fn signature_header(&self, key_id: &str, signature: &[u8]) -> Result<String, SignatureError> {
        check_key_id(key_id).map_err(|e| SignatureError::CannotSign(e.to_string()))?;
        if key_id.contains(['"', '\\']) {
            return Err(SignatureError::CannotSign("the keyId contains a quote or a backslash".into()));
        }
        Ok(format!(
            "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{}\"",
            self.covered,
            STANDARD.encode(signature)
        ))
    }
}

/// The `Host` header of an absolute http(s) URL: the host, and the port unless it is the
/// scheme's default (the `url` crate drops default ports, as `fetch` does on the wire).
pub(crate) fn host_header(url: &Url) -> Result<String, SignatureError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(SignatureError::CannotSign(format!("{} is not an http(s) URL", url.scheme())));
    }
    let host = url.host_str().ok_or_else(|| SignatureError::CannotSign("the URL has no host".into()))?;
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEERTUBE: &str = r#"keyId="http://127.0.0.1:9000/accounts/peertube",algorithm="rsa-sha256",headers="(request-target) host date",signature="NwJB8hNFTV7f/Fa2upzz/M7M82qXHzIGgmLknWmJ6KNgaCcxKQEwrjOwB3g7cYPWXTruKVt6e4XWU3lJaPEK5BN1aqqdHpXUgDi9j1MNXtad3sIX8cWKWjts86L14ZpJVwn3cdw7muvGl5vIMSb+OzHETr4A6SfA2Vs8zgrq0II=""#;

    #[test]
    fn parses_peertube() {
        let sig = parse(PEERTUBE).unwrap();
        assert_eq!(sig.key_id, "http://127.0.0.1:9000/accounts/peertube");
        assert_eq!(sig.algorithm.as_deref(), Some("rsa-sha256"));
        assert_eq!(sig.headers, ["(request-target)", "host", "date"]);
        assert_eq!(sig.signature.len(), 128);
        assert_eq!(sig.algorithm(), Ok(Algorithm::RsaSha256));
        assert_eq!(parse(&format!("Signature {PEERTUBE}")), Ok(sig.clone()));
        assert_eq!(parse(&format!(" signature  {PEERTUBE} ")), Ok(sig));
    }

    #[test]
    fn parses_variants() {
        let sig = parse(
            r#"keyId = "k#main-key" , algorithm=hs2019, created=1402170695, expires=1402170699.5,headers="(request-target) (created) (expires) Host Digest",signature="AAAA",extension="x\"y""#,
        )
        .unwrap();
        assert_eq!(sig.algorithm(), Ok(Algorithm::FromKey));
        assert_eq!(sig.headers, ["(request-target)", "(created)", "(expires)", "host", "digest"]);
        assert_eq!(sig.created_s(), Some(1_402_170_695));
        assert_eq!(sig.expires_s(), Some(1_402_170_699));
        let default = parse(r#"keyId="k",signature="AAAA""#).unwrap();
        assert_eq!(default.headers, ["(created)"]);
        assert_eq!(default.algorithm(), Ok(Algorithm::FromKey));
        assert_eq!(
            parse(r#"keyId="k",signature="AAAA",algorithm="hmac-sha256""#).unwrap().algorithm(),
            Err(SignatureError::UnsupportedAlgorithm("hmac-sha256".into()))
        );
    }

    #[test]
    fn refusals() {
        let malformed = |h: &str| matches!(parse(h), Err(SignatureError::Malformed { .. }));
        assert!(malformed(r#"keyId="k",signature="AAAA"#), "unterminated");
        assert!(malformed(r#"keyId="k" signature="AAAA""#), "no comma");
        assert!(malformed(r#"keyId,signature="AAAA""#), "no value");
        assert!(malformed(r#"="k""#), "no name");
        assert!(malformed(r#"keyId="k",signature="AAAA",headers="""#), "empty headers");
        assert!(malformed(r#"keyId="k",signature="AAAA",headers="a b\u{1}""#));
        assert!(malformed(r#"keyId="k",signature="AAAA",created="soon""#));
        assert!(malformed(r#"keyId="k",signature="AAAA",created="1.5""#));
        assert!(malformed(r#"keyId="k",signature="""#), "empty signature");
        assert!(malformed(&"a=b,".repeat(MAX_PARAMS + 1)));
        assert_eq!(parse(r#"signature="AAAA""#), Err(SignatureError::MissingParameter("keyId")));
        assert_eq!(parse(r#"keyId="k""#), Err(SignatureError::MissingParameter("signature")));
        assert_eq!(
            parse(r#"keyId="k",keyId="j",signature="AAAA""#),
            Err(SignatureError::DuplicateParameter("keyId".into()))
        );
        assert_eq!(parse(r#"keyId="k",signature="!!""#), Err(SignatureError::InvalidBase64("the signature")));
        assert_eq!(
            parse(r#"keyId="k",signature="AAAA",headers="date Date""#),
            Err(SignatureError::DuplicateComponent("date".into()))
        );
        assert_eq!(
            parse(r#"keyId="k",signature="AAAA",headers="(algorithm)""#),
            Err(SignatureError::UnsupportedComponent("(algorithm)".into()))
        );
        assert!(matches!(parse(r#"keyId="",signature="AAAA""#), Err(SignatureError::InvalidKeyId(_))));
        assert!(matches!(
            parse(r##"keyId="#main-key",signature="AAAA""##),
            Err(SignatureError::InvalidKeyId(_))
        ));
        let many =
            vec!["x"; MAX_COVERED + 1].iter().enumerate().map(|(i, _)| format!("h{i}")).collect::<Vec<_>>();
        assert_eq!(
            parse(&format!(r#"keyId="k",signature="AAAA",headers="{}""#, many.join(" "))),
            Err(SignatureError::TooManyComponents { count: MAX_COVERED + 1, limit: MAX_COVERED })
        );
        let long = format!(r#"keyId="k",signature="{}""#, "A".repeat(MAX_HEADER_BYTES));
        assert!(matches!(parse(&long), Err(SignatureError::Oversized { .. })));
    }

    #[test]
    fn signing_string_follows_headers_in_order() {
        let sig =
            parse(r#"keyId="k",created=12,headers="(request-target) (created) x-a host",signature="AAAA""#)
                .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("host", "example.com".parse().unwrap());
        headers.append("x-a", " 1 ".parse().unwrap());
        headers.append("x-a", "2".parse().unwrap());
        let s = signing_string(&sig, &Method::GET, "/a?b=c", &headers).unwrap();
        assert_eq!(
            String::from_utf8(s).unwrap(),
            "(request-target): get /a?b=c\n(created): 12\nx-a: 1, 2\nhost: example.com"
        );
        headers.remove("x-a");
        assert_eq!(
            signing_string(&sig, &Method::GET, "/a", &headers),
            Err(SignatureError::SignedHeaderAbsent("x-a".into()))
        );
    }

    #[test]
    fn outgoing_matches_peertube_shape() {
        let url = Url::parse("http://127.0.0.1:8097/inbox").unwrap();
        let out = CavageOutgoing::prepare(&Method::POST, &url, Some(b"{}"), 1_795_297_030_000).unwrap();
        assert_eq!(out.covered, COVERED_WITH_BODY);
        assert_eq!(out.headers[0], (http::header::HOST, "127.0.0.1:8097".to_owned()));
        assert!(out
            .signing_string
            .starts_with("(request-target): post /inbox\nhost: 127.0.0.1:8097\ndate: "));
        let header = out.signature_header("https://a/actor", &[1, 2, 3]).unwrap();
        assert_eq!(
            header,
            r#"keyId="https://a/actor",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="AQID""#
        );
        assert!(out.signature_header("a\"b", &[]).is_err());
        let get = CavageOutgoing::prepare(
            &Method::GET,
            &Url::parse("https://a.example:443/o?page=2").unwrap(),
            None,
            0,
        )
        .unwrap();
        assert_eq!(get.covered, COVERED_WITHOUT_BODY);
        assert_eq!(
            get.signing_string,
            "(request-target): get /o?page=2\nhost: a.example\ndate: Thu, 01 Jan 1970 00:00:00 GMT"
        );
        assert!(CavageOutgoing::prepare(&Method::GET, &Url::parse("mailto:a@b").unwrap(), None, 0).is_err());
    }
}
