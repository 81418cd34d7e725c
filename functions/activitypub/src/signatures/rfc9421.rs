//! RFC 9421 HTTP Message Signatures, which Mastodon verifies since 4.4 and newer servers send:
//! the `Signature-Input` / `Signature` dictionaries, the signature base they describe, the rules
//! an inbox applies, and what we add when we sign with it.
//!
//! Both headers are RFC 8941 structured fields, parsed with the `sfv` crate (fuzzed upstream,
//! strict to the grammar). `@signature-params` is its re-serialization of the parsed inner list,
//! which is what §2.3 defines, rather than the sender's bytes.
//!
//! Only what ActivityPub uses is implemented: request components, no component parameters
//! (`;sf`, `;key`, `;bs`, `;req`, `;tr`), no `@query-param`; algorithms `rsa-v1_5-sha256` and
//! `ed25519`. Anything else is refused by name rather than verified wrongly.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::{HeaderMap, HeaderName, Method};
use sfv::{BareItem, Dictionary, FieldType, InnerList, Item, KeyRef, ListEntry, Parameters, Parser};
use url::Url;

use super::cavage::{check_key_id, host_header};
use super::headers::{self, covered_value, is_field_name, MAX_COVERED, MAX_HEADER_BYTES};
use super::{digest, time, Algorithm, SignatureError};

/// Signatures one request may carry before we stop looking (each label is one signature).
const MAX_LABELS: usize = 8;

/// The derived components implemented here (RFC 9421 §2.2), all about the request.
const DERIVED: [&str; 7] =
    ["@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query"];

/// One signature out of `Signature-Input` and `Signature`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rfc9421Signature {
    /// The dictionary key both headers share (`sig1`, …).
    pub label: String,
    /// The covered components, in order (`@method`, `content-digest`, …).
    pub components: Vec<String>,
    /// `created`, Unix seconds.
    pub created: Option<i64>,
    /// `expires`, Unix seconds.
    pub expires: Option<i64>,
    /// `keyid`.
    pub key_id: Option<String>,
    /// `alg`.
    pub alg: Option<String>,
    /// `nonce`.
    pub nonce: Option<String>,
    /// `tag`.
    pub tag: Option<String>,
    /// The signature bytes from `Signature`.
    pub signature: Vec<u8>,
    /// The value of the `@signature-params` line: the inner list and its parameters, serialized.
    pub signature_params: String,
}

impl Rfc9421Signature {
    /// Whether `component` is covered.
    pub fn covers(&self, component: &str) -> bool {
        self.components.iter().any(|c| c == component)
    }

    /// The algorithm, or a refusal of one not implemented.
    pub fn algorithm(&self) -> Result<Algorithm, SignatureError> {
        match self.alg.as_deref() {
            None => Ok(Algorithm::FromKey),
            Some("rsa-v1_5-sha256") => Ok(Algorithm::RsaSha256),
            Some("ed25519") => Ok(Algorithm::Ed25519),
            Some(other) => Err(SignatureError::UnsupportedAlgorithm(other.to_owned())),
        }
    }
}

/// Parses `Signature-Input` and `Signature` and picks the signature to check: the first label
/// of `Signature-Input` that `Signature` also has. Never panics: fit for fuzzing.
pub fn parse(signature_input: &str, signature: &str) -> Result<Rfc9421Signature, SignatureError> {
    let inputs = dictionary("Signature-Input", signature_input)?;
    let signatures = dictionary("Signature", signature)?;
    let (label, input) = inputs
        .iter()
        .find(|(label, _)| signatures.contains_key(label.as_str()))
        .ok_or_else(|| SignatureError::malformed("Signature", "no label matches one of Signature-Input"))?;
    let ListEntry::InnerList(input) = input else {
        return Err(SignatureError::malformed("Signature-Input", "a member is not an inner list"));
    };
    let bytes = match signatures.get(label.as_str()) {
        Some(ListEntry::Item(item)) => item.bare_item.as_byte_sequence(),
        _ => None,
    };
    let signature = bytes
        .ok_or_else(|| SignatureError::malformed("Signature", "the signature is not a byte sequence"))?
        .to_vec();
    if signature.is_empty() {
        return Err(SignatureError::malformed("Signature", "the signature is empty"));
    }

    if input.items.len() > MAX_COVERED {
        return Err(SignatureError::TooManyComponents { count: input.items.len(), limit: MAX_COVERED });
    }
    let mut components: Vec<String> = Vec::with_capacity(input.items.len());
    for item in &input.items {
        let name = item
            .bare_item
            .as_string()
            .ok_or_else(|| SignatureError::malformed("Signature-Input", "a component is not a string"))?
            .as_str();
        if !item.params.is_empty() {
            return Err(SignatureError::UnsupportedComponent(format!("{name} with parameters")));
        }
        if name.starts_with('@') {
            if !DERIVED.contains(&name) {
                return Err(SignatureError::UnsupportedComponent(name.to_owned()));
            }
        } else if !is_field_name(name) {
            return Err(SignatureError::malformed(
                "Signature-Input",
                format!("{name:?} is not a lowercase field name"),
            ));
        }
        if components.iter().any(|c| c == name) {
            return Err(SignatureError::DuplicateComponent(name.to_owned()));
        }
        components.push(name.to_owned());
    }

    let integer = |key: &'static str| -> Result<Option<i64>, SignatureError> {
        match input.params.get(key) {
            None => Ok(None),
            Some(BareItem::Integer(value)) => Ok(Some(i64::from(*value))),
            Some(_) => Err(SignatureError::malformed("Signature-Input", format!("{key} is not an integer"))),
        }
    };
    let string = |key: &'static str| -> Result<Option<String>, SignatureError> {
        match input.params.get(key) {
            None => Ok(None),
            Some(BareItem::String(value)) => Ok(Some(value.as_str().to_owned())),
            Some(_) => Err(SignatureError::malformed("Signature-Input", format!("{key} is not a string"))),
        }
    };
    let key_id = string("keyid")?;
    if let Some(key_id) = &key_id {
        check_key_id(key_id)?;
    }
    Ok(Rfc9421Signature {
        label: label.as_str().to_owned(),
        components,
        created: integer("created")?,
        expires: integer("expires")?,
        key_id,
        alg: string("alg")?,
        nonce: string("nonce")?,
        tag: string("tag")?,
        signature,
        signature_params: serialize_params(input)?,
    })
}

/// Parses one of the two headers as an RFC 8941 dictionary, bounded in size and members.
fn dictionary(header: &'static str, value: &str) -> Result<Dictionary, SignatureError> {
    if value.len() > MAX_HEADER_BYTES {
        return Err(SignatureError::Oversized { header, limit: MAX_HEADER_BYTES });
    }
    let dictionary: Dictionary = Parser::new(value)
        .with_version(sfv::Version::Rfc8941)
        .parse()
        .map_err(|e| SignatureError::malformed(header, e.to_string()))?;
    if dictionary.len() > MAX_LABELS {
        return Err(SignatureError::malformed(header, format!("more than {MAX_LABELS} signatures")));
    }
    Ok(dictionary)
}

/// The serialization of an inner list: a list of that one member serializes to exactly it.
fn serialize_params(input: &InnerList) -> Result<String, SignatureError> {
    let list: sfv::List = vec![ListEntry::InnerList(input.clone())];
    list.serialize().ok_or_else(|| SignatureError::malformed("Signature-Input", "cannot be serialized"))
}

/// The signature base (RFC 9421 §2.5): one `"<component>": <value>` line per covered component,
/// then `"@signature-params": <params>`, joined with `\n`, no trailing newline.
///
/// `url` is the request's absolute URL as received (a Worker's `request.url`): the derived
/// components come from it, header fields from `headers`.
pub fn signature_base(
    signature: &Rfc9421Signature,
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
) -> Result<Vec<u8>, SignatureError> {
    let mut out = Vec::new();
    for name in &signature.components {
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\": ");
        match name.as_str() {
            "@method" => out.extend_from_slice(method.as_str().as_bytes()),
            "@target-uri" => out.extend_from_slice(url.as_str().as_bytes()),
            "@authority" => {
                let authority =
                    host_header(url).map_err(|_| SignatureError::malformed("URL", "no authority"))?;
                out.extend_from_slice(authority.to_ascii_lowercase().as_bytes());
            }
            "@scheme" => out.extend_from_slice(url.scheme().as_bytes()),
            "@path" => out.extend_from_slice(path_of(url).as_bytes()),
            "@query" => {
                out.push(b'?');
                out.extend_from_slice(url.query().unwrap_or_default().as_bytes());
            }
            "@request-target" => {
                out.extend_from_slice(path_of(url).as_bytes());
                if let Some(query) = url.query() {
                    out.push(b'?');
                    out.extend_from_slice(query.as_bytes());
                }
            }
            derived if derived.starts_with('@') => {
                return Err(SignatureError::UnsupportedComponent(derived.to_owned()))
            }
            field => {
                let value = covered_value(headers, field)
                    .ok_or_else(|| SignatureError::SignedHeaderAbsent(field.to_owned()))?;
                out.extend_from_slice(&value);
            }
        }
        out.push(b'\n');
    }
    out.extend_from_slice(b"\"@signature-params\": ");
    out.extend_from_slice(signature.signature_params.as_bytes());
    Ok(out)
}

/// `@path`: an empty path is `/` (§2.2.6).
fn path_of(url: &Url) -> &str {
    match url.path() {
        "" => "/",
        path => path,
    }
}

/// Applies an inbox's rules: `@method` and the target (`@target-uri`, or `@authority` with
/// `@path` or `@request-target`) covered, `content-digest` covered and matching on a POST or
/// with a body, `keyid` present, `created` present and within `max_skew`, `expires` not past.
pub fn check_request(
    signature: &Rfc9421Signature,
    method: &Method,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    now_ms: u64,
    max_skew: Duration,
) -> Result<(), SignatureError> {
    if signature.key_id.is_none() {
        return Err(SignatureError::MissingParameter("keyid"));
    }
    if !signature.covers("@method") {
        return Err(SignatureError::NotCovered("@method"));
    }
    let target = signature.covers("@target-uri")
        || (signature.covers("@authority")
            && (signature.covers("@path") || signature.covers("@request-target")));
    if !target {
        return Err(SignatureError::NotCovered("@target-uri (or @authority and @path)"));
    }
    let body = body.unwrap_or_default();
    if (method == Method::POST || !body.is_empty()) && !signature.covers("content-digest") {
        return Err(SignatureError::NotCovered("content-digest"));
    }
    let created = signature.created.ok_or(SignatureError::MissingParameter("created"))?;
    time::check_skew("created", created, now_ms, max_skew)?;
    if let Some(expires) = signature.expires {
        time::check_expires(expires, now_ms)?;
    }
    if signature.covers("content-digest") {
        let value = headers::single(headers, "Content-Digest")?
            .ok_or(SignatureError::DigestAbsent("Content-Digest"))?;
        digest::check_content_digest(value, body)?;
    }
    if signature.covers("digest") {
        let value = headers::single(headers, "Digest")?.ok_or(SignatureError::DigestAbsent("Digest"))?;
        digest::check_digest(value, body)?;
    }
    Ok(())
}

/// The algorithm we sign with, named in `alg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutgoingAlgorithm {
    /// `rsa-v1_5-sha256`: RSASSA-PKCS1-v1_5 with SHA-256, through the crypto port.
    RsaV15Sha256,
    /// `ed25519`.
    Ed25519,
}

impl OutgoingAlgorithm {
    /// The `alg` parameter's value.
    pub fn name(self) -> &'static str {
        match self {
            Self::RsaV15Sha256 => "rsa-v1_5-sha256",
            Self::Ed25519 => "ed25519",
        }
    }
}

/// The label we sign under.
pub const OUTGOING_LABEL: &str = "sig1";

/// An outgoing request ready to be signed with RFC 9421.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rfc9421Outgoing {
    /// `Content-Digest` when there is a body, to add to the request as it is.
    pub headers: Vec<(HeaderName, String)>,
    /// The signature base: sign it with the algorithm given to [`Rfc9421Outgoing::prepare`].
    pub signature_base: String,
    /// The `Signature-Input` header value.
    pub signature_input: String,
}

impl Rfc9421Outgoing {
    /// Prepares `method url` with `body` at `now_ms`, label `sig1`, components
    /// `("@method" "@target-uri" "content-digest")` (no `content-digest` without a body) and
    /// parameters `created`, `keyid` and `alg`, as Mastodon 4.4 signs.
    pub fn prepare(
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
        now_ms: u64,
        key_id: &str,
        algorithm: OutgoingAlgorithm,
    ) -> Result<Self, SignatureError> {
        host_header(url)?;
        check_key_id(key_id).map_err(|e| SignatureError::CannotSign(e.to_string()))?;
        let sf_string = |text: &str| {
            sfv::String::from_string(text.to_owned())
                .map_err(|_| SignatureError::CannotSign(format!("{text:?} is not printable ASCII")))
        };
        let mut components = vec!["@method", "@target-uri"];
        let mut headers = Vec::new();
        let mut header_map = HeaderMap::new();
        if let Some(body) = body {
            components.push("content-digest");
            let value = digest::content_digest_header(body);
            let header_value =
                value.parse().map_err(|_| SignatureError::CannotSign("Content-Digest".into()))?;
            header_map.insert(HeaderName::from_static("content-digest"), header_value);
            headers.push((HeaderName::from_static("content-digest"), value));
        }
        let created = time::now_s(now_ms);
        let created_item = sfv::Integer::try_from(created)
            .map_err(|_| SignatureError::CannotSign(format!("{created} is out of range for created")))?;
        let mut params = Parameters::new();
        params.insert(KeyRef::constant("created").to_owned(), BareItem::Integer(created_item));
        params.insert(KeyRef::constant("keyid").to_owned(), BareItem::String(sf_string(key_id)?));
        params.insert(KeyRef::constant("alg").to_owned(), BareItem::String(sf_string(algorithm.name())?));
        let items = components.iter().map(|c| sf_string(c).map(Item::new)).collect::<Result<Vec<_>, _>>()?;
        let inner = InnerList::with_params(items, params);
        let signature_params =
            serialize_params(&inner).map_err(|e| SignatureError::CannotSign(e.to_string()))?;

        let described = Rfc9421Signature {
            label: OUTGOING_LABEL.to_owned(),
            components: components.iter().map(|c| (*c).to_owned()).collect(),
            created: Some(created),
            expires: None,
            key_id: Some(key_id.to_owned()),
            alg: Some(algorithm.name().to_owned()),
            nonce: None,
            tag: None,
            signature: Vec::new(),
            signature_params: signature_params.clone(),
        };
        let base = signature_base(&described, method, url, &header_map)?;
        let signature_base =
            String::from_utf8(base).map_err(|_| SignatureError::CannotSign("the URL is not ASCII".into()))?;
        Ok(Self { headers, signature_base, signature_input: format!("{OUTGOING_LABEL}={signature_params}") })
    }

    /// `Signature-Input` and `Signature`, to add once `signature` is made over
    /// [`Rfc9421Outgoing::signature_base`].
    pub fn signature_headers(&self, signature: &[u8]) -> [(HeaderName, String); 2] {
        [
            (HeaderName::from_static("signature-input"), self.signature_input.clone()),
            (
                HeaderName::from_static("signature"),
                format!("{OUTGOING_LABEL}=:{}:", STANDARD.encode(signature)),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 9421 Appendix B.2.6 (Signing a Request Using ed25519).
    const B26_INPUT: &str = r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;
    const B26_SIGNATURE: &str =
        "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:";

    fn b26_request() -> (Url, HeaderMap) {
        let mut headers = HeaderMap::new();
        headers.insert("host", "example.com".parse().unwrap());
        headers.insert("date", "Tue, 20 Apr 2021 02:07:55 GMT".parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        headers.insert("content-length", "18".parse().unwrap());
        (Url::parse("https://example.com/foo?param=Value&Pet=dog").unwrap(), headers)
    }

    #[test]
    fn b26_signature_base() {
        let sig = parse(B26_INPUT, B26_SIGNATURE).unwrap();
        assert_eq!(sig.label, "sig-b26");
        assert_eq!(sig.created, Some(1_618_884_473));
        assert_eq!(sig.key_id.as_deref(), Some("test-key-ed25519"));
        assert_eq!(sig.algorithm(), Ok(Algorithm::FromKey));
        assert_eq!(sig.signature.len(), 64);
        let (url, headers) = b26_request();
        let base = signature_base(&sig, &Method::POST, &url, &headers).unwrap();
        assert_eq!(
            String::from_utf8(base).unwrap(),
            concat!(
                "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n",
                "\"@method\": POST\n",
                "\"@path\": /foo\n",
                "\"@authority\": example.com\n",
                "\"content-type\": application/json\n",
                "\"content-length\": 18\n",
                "\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\""
            )
        );
    }

    #[test]
    fn derived_components() {
        let input = r#"s=("@method" "@target-uri" "@authority" "@scheme" "@request-target" "@path" "@query");created=1"#;
        let sig = parse(input, "s=:AAAA:").unwrap();
        let url = Url::parse("https://Example.COM:8443/a%20b?x=1&y").unwrap();
        let base =
            String::from_utf8(signature_base(&sig, &Method::GET, &url, &HeaderMap::new()).unwrap()).unwrap();
        let lines: Vec<&str> = base.lines().collect();
        assert_eq!(
            lines,
            [
                "\"@method\": GET",
                "\"@target-uri\": https://example.com:8443/a%20b?x=1&y",
                "\"@authority\": example.com:8443",
                "\"@scheme\": https",
                "\"@request-target\": /a%20b?x=1&y",
                "\"@path\": /a%20b",
                "\"@query\": ?x=1&y",
                "\"@signature-params\": (\"@method\" \"@target-uri\" \"@authority\" \"@scheme\" \"@request-target\" \"@path\" \"@query\");created=1",
            ]
        );
        let no_query = Url::parse("https://example.com").unwrap();
        let sig = parse(r#"s=("@query" "@path")"#, "s=:AAAA:").unwrap();
        let base =
            String::from_utf8(signature_base(&sig, &Method::GET, &no_query, &HeaderMap::new()).unwrap())
                .unwrap();
        assert!(base.starts_with("\"@query\": ?\n\"@path\": /\n"));
    }

    #[test]
    fn picks_the_first_label_present_in_both() {
        let sig = parse(r#"a=("@method");created=1, b=("@path");created=2"#, "b=:AAAA:, c=:AAAA:").unwrap();
        assert_eq!(sig.label, "b");
        assert_eq!(sig.components, ["@path"]);
        assert_eq!(sig.signature_params, r#"("@path");created=2"#);
    }

    #[test]
    fn refusals() {
        let malformed = |i: &str, s: &str| matches!(parse(i, s), Err(SignatureError::Malformed { .. }));
        assert!(malformed(r#"a=("@method")"#, "b=:AAAA:"), "no common label");
        assert!(malformed(r#"a="@method""#, "a=:AAAA:"), "not an inner list");
        assert!(malformed(r#"a=("@method")"#, "a=\"AAAA\""), "not a byte sequence");
        assert!(malformed(r#"a=("@method")"#, "a=::"), "empty signature");
        assert!(malformed(r#"a=(@method)"#, "a=:AAAA:"), "not sf");
        assert!(malformed(r#"a=("Date")"#, "a=:AAAA:"), "uppercase");
        assert!(malformed(r#"a=(method)"#, "a=:AAAA:"), "token");
        assert!(malformed(r#"a=("@method");created="1""#, "a=:AAAA:"));
        assert!(malformed(r#"a=("@method");keyid=k"#, "a=:AAAA:"));
        assert!(malformed(r#"a=("@method");created=@1"#, "a=:AAAA:"), "RFC 9651 dates are not RFC 8941");
        let labels = (0..=MAX_LABELS).map(|i| format!("l{i}=()")).collect::<Vec<_>>().join(", ");
        assert!(malformed(&labels, "l0=:AAAA:"));
        assert_eq!(
            parse(r#"a=("@status")"#, "a=:AAAA:"),
            Err(SignatureError::UnsupportedComponent("@status".into()))
        );
        assert_eq!(
            parse(r#"a=("@query-param";name="x")"#, "a=:AAAA:"),
            Err(SignatureError::UnsupportedComponent("@query-param with parameters".into()))
        );
        assert_eq!(
            parse(r#"a=("@signature-params")"#, "a=:AAAA:"),
            Err(SignatureError::UnsupportedComponent("@signature-params".into()))
        );
        assert_eq!(
            parse(r#"a=("content-digest";sf)"#, "a=:AAAA:"),
            Err(SignatureError::UnsupportedComponent("content-digest with parameters".into()))
        );
        assert_eq!(
            parse(r#"a=("date" "date")"#, "a=:AAAA:"),
            Err(SignatureError::DuplicateComponent("date".into()))
        );
        assert_eq!(
            parse(r#"a=();alg="hmac-sha256""#, "a=:AAAA:").unwrap().algorithm(),
            Err(SignatureError::UnsupportedAlgorithm("hmac-sha256".into()))
        );
        let many = (0..=MAX_COVERED).map(|i| format!("\"h{i}\"")).collect::<Vec<_>>().join(" ");
        assert_eq!(
            parse(&format!("a=({many})"), "a=:AAAA:"),
            Err(SignatureError::TooManyComponents { count: MAX_COVERED + 1, limit: MAX_COVERED })
        );
        let long = format!("a=:{}:", "A".repeat(MAX_HEADER_BYTES));
        assert!(matches!(parse(r#"a=()"#, &long), Err(SignatureError::Oversized { .. })));
    }

    #[test]
    fn outgoing_shape() {
        let url = Url::parse("https://remote.example/users/bob/inbox").unwrap();
        let out = Rfc9421Outgoing::prepare(
            &Method::POST,
            &url,
            Some(br#"{"hello": "world"}"#),
            1_727_776_800_123,
            "https://local.example/accounts/alice#main-key",
            OutgoingAlgorithm::RsaV15Sha256,
        )
        .unwrap();
        let params = r#"("@method" "@target-uri" "content-digest");created=1727776800;keyid="https://local.example/accounts/alice#main-key";alg="rsa-v1_5-sha256""#;
        assert_eq!(out.signature_input, format!("sig1={params}"));
        assert_eq!(
            out.headers,
            [(
                HeaderName::from_static("content-digest"),
                "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:".to_owned()
            )]
        );
        assert_eq!(
            out.signature_base,
            format!(
                "\"@method\": POST\n\"@target-uri\": https://remote.example/users/bob/inbox\n\"content-digest\": sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:\n\"@signature-params\": {params}"
            )
        );
        let [input, signature] = out.signature_headers(&[1, 2, 3]);
        assert_eq!(input.0, "signature-input");
        assert_eq!(signature, (HeaderName::from_static("signature"), "sig1=:AQID:".to_owned()));
        let get =
            Rfc9421Outgoing::prepare(&Method::GET, &url, None, 0, "k", OutgoingAlgorithm::Ed25519).unwrap();
        assert_eq!(
            get.signature_input,
            r#"sig1=("@method" "@target-uri");created=0;keyid="k";alg="ed25519""#
        );
        assert!(get.headers.is_empty());
        assert!(
            Rfc9421Outgoing::prepare(&Method::GET, &url, None, 0, "ké", OutgoingAlgorithm::Ed25519).is_err()
        );
    }
}
