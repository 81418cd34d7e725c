//! The inbox's refusal matrix for both schemes, one `check` per case, with requests signed here
//! (real RSA with PeerTube's test key, real Ed25519), RFC 9421's own ed25519 vector, and a
//! no-panic sweep over mangled headers.

#![allow(clippy::unwrap_used)]

mod signatures_support;

use edgetube_activitypub::signatures::incoming::{verification_plan, Plan};
use edgetube_activitypub::signatures::outgoing::{
    sign_ed25519, CavageOutgoing, OutgoingAlgorithm, Rfc9421Outgoing,
};
use edgetube_activitypub::signatures::{
    cavage, digest, keys, rfc9421, Algorithm, Scheme, SignatureError, SigningKey, DEFAULT_MAX_SKEW,
};
use http::{HeaderMap, HeaderValue, Method};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::RsaPrivateKey;
use signatures_support::*;
use url::Url;

/// 2026-11-21T21:37:10Z, the capture's day.
const NOW_MS: u64 = 1_795_297_030_000;
const KEY_ID: &str = "https://remote.example/users/bob#main-key";
const ED_KEY: [u8; 32] = [42; 32];

struct Keys {
    rsa_private: RsaPrivateKey,
    rsa_spki: Vec<u8>,
    ed: SigningKey,
}

fn keys() -> Keys {
    let fixture = read_json(fixtures().join("peertube/keys.json"));
    Keys {
        rsa_private: RsaPrivateKey::from_pkcs1_pem(fixture["privateKey"].as_str().unwrap()).unwrap(),
        rsa_spki: spki(fixture["publicKey"].as_str().unwrap()),
        ed: SigningKey::from_bytes(&ED_KEY),
    }
}

#[derive(Clone)]
struct Req {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
    now_ms: u64,
}

impl Req {
    fn new(method: Method, url: &str, body: Option<&[u8]>) -> Self {
        Self {
            method,
            url: Url::parse(url).unwrap(),
            headers: HeaderMap::new(),
            body: body.map(<[u8]>::to_vec),
            now_ms: NOW_MS,
        }
    }

    fn set(mut self, name: &'static str, value: &str) -> Self {
        self.headers.insert(name, HeaderValue::from_str(value).unwrap());
        self
    }

    fn remove(mut self, name: &'static str) -> Self {
        self.headers.remove(name);
        self
    }

    /// Replaces `from` with `to` in header `name`.
    fn edit(self, name: &'static str, from: &str, to: &str) -> Self {
        let value = self.headers.get(name).unwrap().to_str().unwrap().to_owned();
        assert!(value.contains(from), "{name}: {value} has no {from}");
        self.set(name, &value.replacen(from, to, 1))
    }

    fn at(mut self, now_ms: u64) -> Self {
        self.now_ms = now_ms;
        self
    }

    fn plan(&self) -> Result<Plan, SignatureError> {
        verification_plan(
            &self.method,
            &self.url,
            &self.headers,
            self.body.as_deref(),
            self.now_ms,
            DEFAULT_MAX_SKEW,
        )
    }
}

/// A request signed as PeerTube signs (cavage, rsa-sha256).
fn cavage_signed(keys: &Keys, method: Method, url: &str, body: Option<&[u8]>) -> Req {
    let mut req = Req::new(method, url, body);
    let out = CavageOutgoing::prepare(&req.method, &req.url, body, NOW_MS).unwrap();
    for (name, value) in &out.headers {
        req.headers.insert(name.clone(), value.parse().unwrap());
    }
    let signature = sign_rsa_sha256(&keys.rsa_private, out.signing_string.as_bytes());
    req.set("signature", &out.signature_header(KEY_ID, &signature).unwrap())
}

/// A cavage request with hand-written parameters (everything but `signature`), signed over the
/// signing string they describe.
fn cavage_custom(keys: &Keys, req: Req, params: &str, path_and_query: &str) -> Req {
    let draft = cavage::parse(&format!("{params},signature=\"AAAA\"")).unwrap();
    let message = cavage::signing_string(&draft, &req.method, path_and_query, &req.headers).unwrap();
    let signature = sign_rsa_sha256(&keys.rsa_private, &message);
    let header = format!("{params},signature=\"{}\"", b64(&signature));
    req.set("signature", &header)
}

/// A request signed with RFC 9421 as Mastodon 4.4 signs.
fn rfc9421_signed(
    keys: &Keys,
    method: Method,
    url: &str,
    body: Option<&[u8]>,
    alg: OutgoingAlgorithm,
) -> Req {
    let mut req = Req::new(method, url, body);
    let out = Rfc9421Outgoing::prepare(&req.method, &req.url, body, NOW_MS, KEY_ID, alg).unwrap();
    for (name, value) in &out.headers {
        req.headers.insert(name.clone(), value.parse().unwrap());
    }
    let signature = match alg {
        OutgoingAlgorithm::RsaV15Sha256 => sign_rsa_sha256(&keys.rsa_private, out.signature_base.as_bytes()),
        OutgoingAlgorithm::Ed25519 => sign_ed25519(&keys.ed, out.signature_base.as_bytes()).to_vec(),
    };
    for (name, value) in out.signature_headers(&signature) {
        req.headers.insert(name, value.parse().unwrap());
    }
    req
}

/// An RFC 9421 request with a hand-written `Signature-Input` member, signed (Ed25519) over the
/// base it describes.
fn rfc9421_custom(keys: &Keys, req: Req, input: &str) -> Req {
    let draft = rfc9421::parse(&format!("sig1={input}"), "sig1=:AAAA:").unwrap();
    let base = rfc9421::signature_base(&draft, &req.method, &req.url, &req.headers).unwrap();
    let signature = sign_ed25519(&keys.ed, &base);
    req.set("signature-input", &format!("sig1={input}"))
        .set("signature", &format!("sig1=:{}:", b64(&signature)))
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

enum Expect {
    /// The plan holds and the signature verifies with the right key.
    Verifies,
    /// The plan holds (no rule is broken) but the signature does not verify.
    DoesNotVerify,
    /// Refused, before or at the key, for this reason.
    Refused(fn(&SignatureError) -> bool),
}
use Expect::{DoesNotVerify, Refused, Verifies};

/// Verifies as the federation crate will: the RSA key through the port, or Ed25519 here.
fn verify(keys: &Keys, plan: &Plan) -> Result<bool, SignatureError> {
    let rsa_signed = plan.scheme == Scheme::Cavage || plan.algorithm == Algorithm::RsaSha256;
    if rsa_signed && plan.signature.len() != 64 {
        plan.check_rsa_key()?;
        Ok(plan.messages().any(|m| verify_rsa_sha256(&keys.rsa_spki, m, &plan.signature)))
    } else {
        match plan.verify_ed25519(&keys.ed.verifying_key().to_bytes()) {
            Ok(()) => Ok(true),
            Err(SignatureError::BadSignature) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

fn check(keys: &Keys, case: &str, req: Req, expect: Expect) {
    let outcome = req.plan().and_then(|plan| verify(keys, &plan));
    match (expect, outcome) {
        (Verifies, Ok(true)) | (DoesNotVerify, Ok(false)) => {}
        (Refused(reason), Err(e)) if reason(&e) => {
            assert!(!e.to_string().is_empty());
        }
        (_, outcome) => panic!("{case}: unexpected {outcome:?}"),
    }
}

#[test]
fn cavage_matrix() {
    let k = keys();
    let post =
        || cavage_signed(&k, Method::POST, "https://local.example/inbox", Some(br#"{"type":"Follow"}"#));
    let get = || cavage_signed(&k, Method::GET, "https://local.example/accounts/alice", None);
    let base = |method: Method, url: &str, body: Option<&[u8]>| {
        let req = Req::new(method, url, body).set("host", "local.example");
        req.set("date", "Sat, 21 Nov 2026 21:37:10 GMT")
    };
    let later = NOW_MS + 1_801_000;
    let earlier = NOW_MS - 1_801_000;
    let cases: Vec<(&str, Req, Expect)> = vec![
        ("valid POST", post(), Verifies),
        ("valid GET", get(), Verifies),
        ("algorithm hs2019 with an RSA key", post().edit("signature", "rsa-sha256", "hs2019"), Verifies),
        ("no algorithm", post().edit("signature", "algorithm=\"rsa-sha256\",", ""), Verifies),
        ("Signature prefix", { let r = post(); let v = format!("Signature {}", r.headers["signature"].to_str().unwrap()); r.set("signature", &v) }, Verifies),
        ("keyId with a fragment", post(), Verifies),
        ("no signature", post().remove("signature"), Refused(|e| *e == SignatureError::Unsigned)),
        ("unknown algorithm", post().edit("signature", "rsa-sha256", "rsa-sha512"), Refused(|e| matches!(e, SignatureError::UnsupportedAlgorithm(a) if a == "rsa-sha512"))),
        ("hmac algorithm", post().edit("signature", "rsa-sha256", "hmac-sha256"), Refused(|e| matches!(e, SignatureError::UnsupportedAlgorithm(_)))),
        ("ed25519 algorithm, RSA key", post().edit("signature", "rsa-sha256", "ed25519"), Refused(|e| matches!(e, SignatureError::WrongKeyType { key: "RSA", .. }))),
        ("host not covered", post().edit("signature", "target) host date", "target) date"), Refused(|e| *e == SignatureError::NotCovered("host"))),
        ("(request-target) not covered", post().edit("signature", "(request-target) ", ""), Refused(|e| *e == SignatureError::NotCovered("(request-target)"))),
        ("digest not covered on a POST", post().edit("signature", " digest\"", "\""), Refused(|e| *e == SignatureError::NotCovered("digest"))),
        ("neither date nor (created)", get().edit("signature", " date\"", "\""), Refused(|e| *e == SignatureError::NotCovered("date or (created)"))),
        ("signature over other headers", post().set("user-agent", "x").edit("signature", "digest\"", "digest user-agent\""), DoesNotVerify),
        ("a covered header is absent", post().edit("signature", "digest\"", "digest content-type\""), Refused(|e| *e == SignatureError::SignedHeaderAbsent("content-type".into()))),
        ("a covered header changed", post().set("host", "other.example"), DoesNotVerify),
        ("another path", Req { url: Url::parse("https://local.example/inbox2").unwrap(), ..post() }, DoesNotVerify),
        ("another method", Req { method: Method::PUT, ..post() }, DoesNotVerify),
        ("bad digest", Req { body: Some(b"{}".to_vec()), ..post() }, Refused(|e| *e == SignatureError::DigestMismatch("Digest"))),
        ("no body", Req { body: None, ..post() }, Refused(|e| *e == SignatureError::DigestMismatch("Digest"))),
        ("digest without SHA-256", post().set("digest", "SHA-512=AAAA"), Refused(|e| *e == SignatureError::DigestAlgorithmUnsupported("Digest"))),
        ("digest absent", post().remove("digest"), Refused(|e| *e == SignatureError::DigestAbsent("Digest"))),
        ("unsigned digest on a GET is still checked", get().set("digest", "SHA-256=AAAA"), Refused(|e| *e == SignatureError::DigestMismatch("Digest"))),
        ("date too old", post().at(later), Refused(|e| matches!(e, SignatureError::TooOld { what: "date", .. }))),
        ("date in the future", post().at(earlier), Refused(|e| matches!(e, SignatureError::InFuture { what: "date", .. }))),
        ("date not a date", post().set("date", "yesterday"), Refused(|e| matches!(e, SignatureError::InvalidDate(_)))),
        ("malformed header", post().set("signature", "keyId=\"k"), Refused(|e| matches!(e, SignatureError::Malformed { header: "Signature", .. }))),
        ("garbage header", post().set("signature", "=,="), Refused(|e| matches!(e, SignatureError::Malformed { .. }))),
        ("oversized header", post().set("signature", &format!("keyId=\"{}\"", "a".repeat(9000))), Refused(|e| matches!(e, SignatureError::Oversized { header: "Signature", .. }))),
        ("duplicate keyId", post().edit("signature", "keyId=", "keyId=\"x\",keyId="), Refused(|e| *e == SignatureError::DuplicateParameter("keyId".into()))),
        ("no keyId", post().edit("signature", &format!("keyId=\"{KEY_ID}\","), ""), Refused(|e| *e == SignatureError::MissingParameter("keyId"))),
        ("signature not base64", post().edit("signature", "signature=\"", "signature=\"*"), Refused(|e| *e == SignatureError::InvalidBase64("the signature"))),
        ("two Signature headers", { let mut r = post(); let v = r.headers["signature"].clone(); r.headers.append("signature", v); r }, Refused(|e| *e == SignatureError::RepeatedHeader("Signature"))),
        ("too many headers", post().edit("signature", "digest\"", &format!("digest{}\"", " x".repeat(40))), Refused(|e| matches!(e, SignatureError::DuplicateComponent(_) | SignatureError::TooManyComponents { .. }))),
        (
            "(created) instead of date",
            cavage_custom(&k, base(Method::GET, "https://local.example/a", None), &format!("keyId=\"{KEY_ID}\",algorithm=\"hs2019\",created={},headers=\"(request-target) host (created)\"", NOW_MS / 1000), "/a"),
            Verifies,
        ),
        (
            "(created) too old",
            cavage_custom(&k, base(Method::GET, "https://local.example/a", None), &format!("keyId=\"{KEY_ID}\",created={},headers=\"(request-target) host (created)\"", NOW_MS / 1000 - 1801), "/a"),
            Refused(|e| matches!(e, SignatureError::TooOld { what: "(created)", .. })),
        ),
        (
            "(created) covered without created",
            cavage_custom(&k, base(Method::GET, "https://local.example/a", None), &format!("keyId=\"{KEY_ID}\",created=1,headers=\"(request-target) host (created)\""), "/a").edit("signature", "created=1,", ""),
            Refused(|e| *e == SignatureError::MissingParameter("created")),
        ),
        (
            "expired",
            cavage_custom(&k, base(Method::GET, "https://local.example/a", None), &format!("keyId=\"{KEY_ID}\",expires={},headers=\"(request-target) host date (expires)\"", NOW_MS / 1000 - 1), "/a"),
            Refused(|e| *e == SignatureError::Expired(1)),
        ),
        ("GET with a query, signed with it", get_with_query(&k, "/outbox?page=2"), Verifies),
        ("GET with a query, signed without it (PeerTube)", get_with_query(&k, "/outbox"), Verifies),
        ("GET with a query, signed with another", get_with_query(&k, "/outbox?page=3"), DoesNotVerify),
    ];
    assert!(cases.len() >= 40);
    for (case, req, expect) in cases {
        check(&k, case, req, expect);
    }
    let plan = post().plan().unwrap();
    assert_eq!(plan.actor_id, "https://remote.example/users/bob");
    assert_eq!(plan.key_id, KEY_ID);
}

/// `GET /outbox?page=2`, with `(request-target)` signed over `signed_target`.
fn get_with_query(k: &Keys, signed_target: &str) -> Req {
    let req = Req::new(Method::GET, "https://local.example/outbox?page=2", None)
        .set("host", "local.example")
        .set("date", "Sat, 21 Nov 2026 21:37:10 GMT");
    cavage_custom(
        k,
        req,
        &format!("keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\""),
        signed_target,
    )
}

#[test]
fn rfc9421_matrix() {
    let k = keys();
    let body: &[u8] = br#"{"type":"Follow"}"#;
    let url = "https://local.example/users/alice/inbox";
    let post = |alg| rfc9421_signed(&k, Method::POST, url, Some(body), alg);
    let rsa = || post(OutgoingAlgorithm::RsaV15Sha256);
    let ed = || post(OutgoingAlgorithm::Ed25519);
    let plain_post = || {
        Req::new(Method::POST, url, Some(body)).set("content-digest", &digest::content_digest_header(body))
    };
    let now = NOW_MS / 1000;
    let custom = |input: String| rfc9421_custom(&k, plain_post(), &input);
    let cases: Vec<(&str, Req, Expect)> = vec![
        ("valid POST, rsa-v1_5-sha256", rsa(), Verifies),
        ("valid POST, ed25519", ed(), Verifies),
        (
            "valid GET, ed25519",
            rfc9421_signed(
                &k,
                Method::GET,
                "https://local.example/accounts/alice?x=1",
                None,
                OutgoingAlgorithm::Ed25519,
            ),
            Verifies,
        ),
        (
            "no alg: the key decides",
            custom(format!(r#"("@method" "@target-uri" "content-digest");created={now};keyid="{KEY_ID}""#)),
            Verifies,
        ),
        (
            "@authority and @path",
            custom(format!(
                r#"("@method" "@authority" "@path" "content-digest");created={now};keyid="{KEY_ID}""#
            )),
            Verifies,
        ),
        (
            "a cavage Signature next to Signature-Input",
            rsa().set("signature", "keyId=\"k\",signature=\"AAAA\""),
            Refused(|e| matches!(e, SignatureError::Malformed { header: "Signature", .. })),
        ),
        (
            "no Signature",
            rsa().remove("signature"),
            Refused(|e| matches!(e, SignatureError::Malformed { header: "Signature", .. })),
        ),
        (
            "labels differ",
            rsa().edit("signature", "sig1=", "sig2="),
            Refused(|e| matches!(e, SignatureError::Malformed { .. })),
        ),
        (
            "unknown alg",
            rsa().edit("signature-input", "rsa-v1_5-sha256", "rsa-pss-sha512"),
            Refused(|e| matches!(e, SignatureError::UnsupportedAlgorithm(a) if a == "rsa-pss-sha512")),
        ),
        (
            "ed25519 alg, RSA-sized signature",
            rsa().edit("signature-input", "rsa-v1_5-sha256", "ed25519"),
            Refused(|e| matches!(e, SignatureError::InvalidSignatureLength(256))),
        ),
        (
            "rsa alg, Ed25519 key",
            ed().edit("signature-input", "\"ed25519\"", "\"rsa-v1_5-sha256\""),
            Refused(|e| matches!(e, SignatureError::WrongKeyType { key: "Ed25519", .. })),
        ),
        (
            "@method not covered",
            custom(format!(r#"("@target-uri" "content-digest");created={now};keyid="{KEY_ID}""#)),
            Refused(|e| *e == SignatureError::NotCovered("@method")),
        ),
        (
            "target not covered",
            custom(format!(r#"("@method" "@path" "content-digest");created={now};keyid="{KEY_ID}""#)),
            Refused(|e| matches!(e, SignatureError::NotCovered(w) if w.starts_with("@target-uri"))),
        ),
        (
            "content-digest not covered",
            custom(format!(r#"("@method" "@target-uri");created={now};keyid="{KEY_ID}""#)),
            Refused(|e| *e == SignatureError::NotCovered("content-digest")),
        ),
        (
            "content-digest absent",
            rsa().remove("content-digest"),
            Refused(|e| *e == SignatureError::DigestAbsent("Content-Digest")),
        ),
        (
            "body changed",
            Req { body: Some(b"{}".to_vec()), ..rsa() },
            Refused(|e| *e == SignatureError::DigestMismatch("Content-Digest")),
        ),
        (
            "no created",
            custom(format!(r#"("@method" "@target-uri" "content-digest");keyid="{KEY_ID}""#)),
            Refused(|e| *e == SignatureError::MissingParameter("created")),
        ),
        (
            "no keyid",
            custom(format!(r#"("@method" "@target-uri" "content-digest");created={now}"#)),
            Refused(|e| *e == SignatureError::MissingParameter("keyid")),
        ),
        (
            "created too old",
            ed().at(NOW_MS + 1_801_000),
            Refused(|e| matches!(e, SignatureError::TooOld { what: "created", .. })),
        ),
        (
            "created in the future",
            ed().at(NOW_MS - 1_801_000),
            Refused(|e| matches!(e, SignatureError::InFuture { what: "created", .. })),
        ),
        (
            "expired",
            custom(format!(
                r#"("@method" "@target-uri" "content-digest");created={now};expires={};keyid="{KEY_ID}""#,
                now - 1
            )),
            Refused(|e| *e == SignatureError::Expired(1)),
        ),
        (
            "not expired",
            custom(format!(
                r#"("@method" "@target-uri" "content-digest");created={now};expires={};keyid="{KEY_ID}""#,
                now + 60
            )),
            Verifies,
        ),
        (
            "another URL",
            Req { url: Url::parse("https://local.example/inbox").unwrap(), ..ed() },
            DoesNotVerify,
        ),
        ("another method", Req { method: Method::PUT, ..ed() }, DoesNotVerify),
        (
            "params changed after signing",
            ed().edit("signature-input", "keyid=", "nonce=\"n\";keyid="),
            DoesNotVerify,
        ),
        (
            "component with parameters",
            rsa().edit("signature-input", "\"content-digest\"", "\"content-digest\";sf"),
            Refused(|e| matches!(e, SignatureError::UnsupportedComponent(_))),
        ),
        (
            "@query-param",
            rsa().edit("signature-input", "\"@method\"", "\"@query-param\""),
            Refused(|e| matches!(e, SignatureError::UnsupportedComponent(_))),
        ),
        (
            "malformed Signature-Input",
            rsa().set("signature-input", "sig1=(\"@method\""),
            Refused(|e| matches!(e, SignatureError::Malformed { header: "Signature-Input", .. })),
        ),
        (
            "oversized Signature",
            rsa().set("signature", &format!("sig1=:{}:", "A".repeat(9000))),
            Refused(|e| matches!(e, SignatureError::Oversized { .. })),
        ),
    ];
    for (case, req, expect) in cases {
        check(&k, case, req, expect);
    }
    let plan = ed().plan().unwrap();
    assert_eq!((plan.scheme, plan.algorithm), (Scheme::Rfc9421, Algorithm::Ed25519));
    assert_eq!(plan.covered, ["@method", "@target-uri", "content-digest"]);
    assert_eq!(plan.actor_id, "https://remote.example/users/bob");
    let wrong = SigningKey::from_bytes(&[1; 32]).verifying_key().to_bytes();
    assert_eq!(plan.verify_ed25519(&wrong), Err(SignatureError::BadSignature));
}

/// RFC 9421 Appendix B.2.6: the RFC's test-key-ed25519 (B.1.4) over its test request.
#[test]
fn rfc9421_ed25519_vector() {
    const INPUT: &str = r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;
    const SIGNATURE: &str =
        "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:";
    const PUBLIC: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END PUBLIC KEY-----\n";
    // The PKCS#8 DER of the private key: a 16-byte header, then the 32-byte seed.
    const PRIVATE_PKCS8: &str = "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF";

    let body: &[u8] = br#"{"hello": "world"}"#;
    let req = Req::new(Method::POST, "https://example.com/foo?param=Value&Pet=dog", Some(body))
        .set("host", "example.com")
        .set("date", "Tue, 20 Apr 2021 02:07:55 GMT")
        .set("content-type", "application/json")
        .set("content-digest", "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:")
        .set("content-length", "18")
        .set("signature-input", INPUT)
        .set("signature", SIGNATURE)
        .at(1_618_884_473_000);

    let parsed = rfc9421::parse(INPUT, SIGNATURE).unwrap();
    let base = rfc9421::signature_base(&parsed, &req.method, &req.url, &req.headers).unwrap();
    let keys::PublicKey::Ed25519(public) = keys::public_key_from_pem(PUBLIC).unwrap() else {
        panic!("not Ed25519")
    };
    let plan = Plan {
        scheme: Scheme::Rfc9421,
        key_id: "test-key-ed25519".into(),
        actor_id: "test-key-ed25519".into(),
        algorithm: parsed.algorithm().unwrap(),
        message: base.clone(),
        legacy_message: None,
        signature: parsed.signature.clone(),
        covered: parsed.components.clone(),
    };
    assert_eq!(plan.verify_ed25519(&public), Ok(()));

    // Ed25519 is deterministic: signing the base with the RFC's private key gives its signature.
    let pkcs8 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.decode(PRIVATE_PKCS8).unwrap()
    };
    let key = SigningKey::from_bytes(&pkcs8[16..].try_into().unwrap());
    assert_eq!(key.verifying_key().to_bytes(), public);
    assert_eq!(sign_ed25519(&key, &base).to_vec(), parsed.signature);

    // The inbox refuses it all the same: a POST whose body digest is not signed.
    assert_eq!(req.plan(), Err(SignatureError::NotCovered("content-digest")));
}

/// Mangled headers (truncated, bytes flipped, spliced) never make a parser panic.
#[test]
fn parsers_do_not_panic_on_mangled_input() {
    let k = keys();
    let cavage_req = cavage_signed(&k, Method::POST, "https://local.example/inbox", Some(b"{}"));
    let rfc_req = rfc9421_signed(
        &k,
        Method::POST,
        "https://local.example/inbox",
        Some(b"{}"),
        OutgoingAlgorithm::Ed25519,
    );
    let seeds: Vec<String> = [
        cavage_req.headers["signature"].to_str().unwrap(),
        rfc_req.headers["signature-input"].to_str().unwrap(),
        rfc_req.headers["signature"].to_str().unwrap(),
        rfc_req.headers["content-digest"].to_str().unwrap(),
        cavage_req.headers["digest"].to_str().unwrap(),
        "-----BEGIN RSA PUBLIC KEY-----\nMAYCAQECAQE=\n-----END RSA PUBLIC KEY-----\n",
        "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let alphabet = b"\"\\,;=():# \t@*?-_.0aZ/+\x7f";
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..20_000 {
        let seed = &seeds[round % seeds.len()];
        let mut bytes = seed.as_bytes().to_vec();
        for _ in 0..=(next() % 4) {
            let at = usize::try_from(next()).unwrap() % (bytes.len() + 1);
            match next() % 4 {
                0 => bytes.truncate(at),
                1 => bytes.insert(at, alphabet[usize::try_from(next()).unwrap() % alphabet.len()]),
                2 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => bytes.extend_from_within(..at.min(bytes.len())),
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = cavage::parse(&text);
        let _ = rfc9421::parse(&text, &text);
        let _ = rfc9421::parse(&text, rfc_req.headers["signature"].to_str().unwrap());
        let _ = digest::check_digest(&text, b"{}");
        let _ = digest::check_content_digest(&text, b"{}");
        let _ = keys::public_key_from_pem(&text);
        let _ = keys::ed25519_from_multibase(&text);
        if let Ok(value) = HeaderValue::from_str(&text) {
            let mut req = cavage_req.clone();
            req.headers.insert("signature", value.clone());
            let _ = req.plan();
            let mut req = rfc_req.clone();
            req.headers.insert("signature-input", value);
            let _ = req.plan();
        }
    }
}
