//! AWS Signature Version 4 presigned URLs for any S3-compatible store (R2, MinIO, Garage, AWS).
//!
//! Media bytes go straight between clients and the store, so the functions only hand out URLs,
//! path style, made offline from the access key and secret ([`r2`] names R2's endpoint). Signing is
//! therefore pure: the caller passes the time, nothing here reads a clock or does I/O, and the
//! same inputs always give the same URL.
//!
//! Only query-string signing is offered, with `UNSIGNED-PAYLOAD` and `host` as the only signed
//! header: every further signed header would be one more thing the client must send exactly.
//!
//! - [`presign`] and [`presign_upload_part`]: an object URL for an [`S3Credentials`].
//! - [`presign_request`]: any host and path (virtual-hosted buckets, other services, AWS's test
//!   vectors), returning the intermediate texts as well.

use std::fmt;

use edgetube_ports::encoding::{hex, percent_encode as uri_encode};
use hmac::{Hmac, Mac};
use http::Method;
use sha2::{Digest, Sha256};
use thiserror::Error;
use url::Url;

/// The payload hash of a presigned URL: the body is not known when the URL is made.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The longest validity SigV4 allows (7 days).
pub const MAX_EXPIRES_SECS: u32 = 7 * 24 * 3600;

/// The longest object key S3 and R2 accept, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// The highest part number of a multipart upload.
pub const MAX_PART_NUMBER: u16 = 10_000;

pub mod r2;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const S3_SERVICE: &str = "s3";

/// The query parameters this module writes itself; a caller's parameter of the same name would
/// either be ignored by the server or override the signature.
const AUTH_PARAMS: [&str; 6] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
];

/// Why a URL could not be presigned.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SigV4Error {
    /// SigV4 only accepts 1 second to 7 days.
    #[error("a presigned URL must expire after 1 to {MAX_EXPIRES_SECS} seconds, not {0}")]
    Expiry(u32),
    /// `X-Amz-Date` has room for four-digit years only.
    #[error("{0} ms since the epoch is not a date between the years 0 and 9999")]
    Time(i64),
    /// The endpoint cannot carry a presigned URL.
    #[error("endpoint {endpoint:?} cannot be presigned against: {reason}")]
    Endpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The bucket name cannot be one path segment.
    #[error("bucket name {0:?} is not a single path segment")]
    Bucket(String),
    /// The object key is empty or too long.
    #[error("object key of {len} bytes: keys have 1 to {MAX_KEY_BYTES} bytes")]
    KeyLength {
        /// The key's length in UTF-8 bytes.
        len: usize,
    },
    /// The path has a `.` or `..` segment, which URL parsers (and browsers) remove, so the URL
    /// would no longer name the signed path.
    #[error("path {0:?} has a `.` or `..` segment, which a URL cannot keep")]
    DotSegment(String),
    /// The path given to [`presign_request`] is not absolute.
    #[error("path {0:?} does not start with `/`")]
    RelativePath(String),
    /// R2 presigns only these methods (no POST).
    #[error("R2 presigned URLs support GET, HEAD, PUT and DELETE, not {0}")]
    Method(Method),
    /// Part numbers run from 1 to 10,000.
    #[error("part number {0} is outside 1..={MAX_PART_NUMBER}")]
    PartNumber(u16),
    /// A part upload needs the upload's id.
    #[error("empty multipart upload id")]
    EmptyUploadId,
    /// The caller passed a query parameter that the signature itself uses.
    #[error("query parameter {0:?} is reserved for the signature")]
    ReservedParameter(String),
}

/// An S3 bucket reached path-style through an endpoint, with the key pair that may sign for it.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Credentials {
    /// The access key id, public: it appears in every URL.
    pub access_key_id: String,
    /// The secret access key, never shown by `Debug`.
    pub secret_access_key: String,
    /// `scheme://host[:port]/` of the S3 API, e.g. `https://<account>.r2.cloudflarestorage.com/`.
    pub endpoint: Url,
    /// The bucket, the first segment of every object path.
    pub bucket: String,
    /// The region of the credential scope: [`r2::REGION`] for R2.
    pub region: String,
}

impl S3Credentials {
    fn signer(&self) -> Signer<'_> {
        Signer {
            access_key_id: &self.access_key_id,
            secret_access_key: &self.secret_access_key,
            region: &self.region,
            service: S3_SERVICE,
        }
    }
}

impl fmt::Debug for S3Credentials {
    // Credentials end up in error contexts and logs through `{:?}`; the secret must not.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("endpoint", &self.endpoint.as_str())
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .finish()
    }
}

/// Who signs, and for which scope the signature is valid.
#[derive(Clone, Copy)]
pub struct Signer<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The region of the credential scope.
    pub region: &'a str,
    /// The service of the credential scope (`s3`).
    pub service: &'a str,
}

impl fmt::Debug for Signer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("region", &self.region)
            .field("service", &self.service)
            .finish()
    }
}

/// One request to presign, below the level of buckets and keys.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method the URL will be used with.
    pub method: &'a Method,
    /// `scheme://host[:port]/`, with no path, query, fragment or user information.
    pub origin: &'a Url,
    /// The absolute path, not percent-encoded: every byte but RFC 3986's unreserved characters
    /// and `/` gets encoded here.
    pub path: &'a str,
    /// Query parameters besides the signature's own, not percent-encoded.
    pub query: &'a [(&'a str, &'a str)],
    /// [`UNSIGNED_PAYLOAD`], or the lowercase hex SHA-256 of the body.
    pub payload_hash: &'a str,
}

/// A presigned URL with the texts it was derived from.
///
/// S3's `SignatureDoesNotMatch` error carries the server's canonical request and string to sign;
/// comparing them with these is how one finds which input differed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presigned {
    /// The URL to hand out.
    pub url: Url,
    /// The canonical request that was hashed.
    pub canonical_request: String,
    /// The string that was signed.
    pub string_to_sign: String,
    /// The signature, lowercase hex.
    pub signature: String,
}

/// Presigns `method` on object `key` of the credentials' bucket, path-style, with `query`
/// (not percent-encoded) signed along. `now_millis` is the signing time in milliseconds since
/// the epoch; the URL works from then for `expires_secs` seconds (1 to [`MAX_EXPIRES_SECS`]).
///
/// Any key of 1 to [`MAX_KEY_BYTES`] bytes works except those with a `.` or `..` segment
/// (`a/../b`), which no URL can carry unchanged.
pub fn presign(
    creds: &S3Credentials,
    method: Method,
    key: &str,
    query: &[(&str, &str)],
    now_millis: i64,
    expires_secs: u32,
) -> Result<Url, SigV4Error> {
    if ![Method::GET, Method::HEAD, Method::PUT, Method::DELETE].contains(&method) {
        return Err(SigV4Error::Method(method));
    }
    let bucket = &creds.bucket;
    if bucket.is_empty() || bucket.contains('/') || bucket == "." || bucket == ".." {
        return Err(SigV4Error::Bucket(bucket.clone()));
    }
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(SigV4Error::KeyLength { len: key.len() });
    }
    let path = format!("/{bucket}/{key}");
    let request = Request {
        method: &method,
        origin: &creds.endpoint,
        path: &path,
        query,
        payload_hash: UNSIGNED_PAYLOAD,
    };
    Ok(presign_request(&creds.signer(), &request, now_millis, expires_secs)?.url)
}

/// Presigns the `PUT` of part `part_number` (1 to [`MAX_PART_NUMBER`]) of multipart upload
/// `upload_id` of object `key`, so a client can upload that part straight to the bucket.
pub fn presign_upload_part(
    creds: &S3Credentials,
    key: &str,
    upload_id: &str,
    part_number: u16,
    now_millis: i64,
    expires_secs: u32,
) -> Result<Url, SigV4Error> {
    if !(1..=MAX_PART_NUMBER).contains(&part_number) {
        return Err(SigV4Error::PartNumber(part_number));
    }
    if upload_id.is_empty() {
        return Err(SigV4Error::EmptyUploadId);
    }
    let part_number = part_number.to_string();
    let query = [("partNumber", part_number.as_str()), ("uploadId", upload_id)];
    presign(creds, Method::PUT, key, &query, now_millis, expires_secs)
}

/// Presigns `request` for `signer` at `now_millis` (milliseconds since the epoch), valid for
/// `expires_secs` seconds (1 to [`MAX_EXPIRES_SECS`]).
pub fn presign_request(
    signer: &Signer<'_>,
    request: &Request<'_>,
    now_millis: i64,
    expires_secs: u32,
) -> Result<Presigned, SigV4Error> {
    if !(1..=MAX_EXPIRES_SECS).contains(&expires_secs) {
        return Err(SigV4Error::Expiry(expires_secs));
    }
    let (date, timestamp) = amz_date(now_millis)?;
    let host = host_header(request.origin)?;
    let canonical_uri = canonical_uri(request.path)?;

    let scope = format!("{date}/{}/{}/aws4_request", signer.region, signer.service);
    let credential = format!("{}/{scope}", signer.access_key_id);
    let expires = expires_secs.to_string();
    let auth: [(&str, &str); 5] = [
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", &credential),
        ("X-Amz-Date", &timestamp),
        ("X-Amz-Expires", &expires),
        ("X-Amz-SignedHeaders", "host"),
    ];
    if let Some((name, _)) =
        request.query.iter().find(|(name, _)| AUTH_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(name)))
    {
        return Err(SigV4Error::ReservedParameter((*name).to_owned()));
    }
    let mut params: Vec<(String, String)> = request
        .query
        .iter()
        .chain(auth.iter())
        .map(|(name, value)| (uri_encode(name, false), uri_encode(value, false)))
        .collect();
    // SigV4 orders by the encoded bytes, name first, then value for repeated names.
    params.sort();
    let canonical_query =
        params.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("&");

    let canonical_request = format!(
        "{}\n{canonical_uri}\n{canonical_query}\nhost:{host}\n\nhost\n{}",
        request.method.as_str(),
        request.payload_hash
    );
    let string_to_sign =
        format!("{ALGORITHM}\n{timestamp}\n{scope}\n{}", hex(&Sha256::digest(canonical_request.as_bytes())));
    let key = signing_key(signer.secret_access_key, &date, signer.region, signer.service);
    let signature = hex(&hmac_sha256(&key, string_to_sign.as_bytes()));

    let mut url = request.origin.clone();
    // Every byte of both strings is unreserved, `%`, `/`, `=` or `&`, which the URL parser keeps
    // as is, so the URL carries exactly the signed path and query.
    url.set_path(&canonical_uri);
    url.set_query(Some(&format!("{canonical_query}&X-Amz-Signature={signature}")));
    Ok(Presigned { url, canonical_request, string_to_sign, signature })
}

/// `(yyyymmdd, yyyymmddThhmmssZ)` in UTC.
fn amz_date(now_millis: i64) -> Result<(String, String), SigV4Error> {
    // Floor, not truncate: a moment before the epoch belongs to the second that starts before it.
    let datetime = time::OffsetDateTime::from_unix_timestamp(now_millis.div_euclid(1000))
        .map_err(|_| SigV4Error::Time(now_millis))?;
    if !(0..=9999).contains(&datetime.year()) {
        return Err(SigV4Error::Time(now_millis));
    }
    let date = format!("{:04}{:02}{:02}", datetime.year(), u8::from(datetime.month()), datetime.day());
    let timestamp = format!("{date}T{:02}{:02}{:02}Z", datetime.hour(), datetime.minute(), datetime.second());
    Ok((date, timestamp))
}

/// The `Host` header a client will send to `origin`.
fn host_header(origin: &Url) -> Result<String, SigV4Error> {
    let invalid = |reason| SigV4Error::Endpoint { endpoint: origin.to_string(), reason };
    if !matches!(origin.scheme(), "https" | "http") {
        return Err(invalid("the scheme must be https or http"));
    }
    if origin.path() != "/" || origin.query().is_some() || origin.fragment().is_some() {
        return Err(invalid("an endpoint has no path, query or fragment"));
    }
    if !origin.username().is_empty() || origin.password().is_some() {
        return Err(invalid("an endpoint has no user information"));
    }
    let host = origin.host_str().ok_or_else(|| invalid("no host"))?;
    // `Url::port` is `None` for the scheme's default port, which clients leave out of `Host`.
    Ok(match origin.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

fn canonical_uri(path: &str) -> Result<String, SigV4Error> {
    if !path.starts_with('/') {
        return Err(SigV4Error::RelativePath(path.to_owned()));
    }
    if path.split('/').any(|segment| segment == "." || segment == "..") {
        return Err(SigV4Error::DotSegment(path.to_owned()));
    }
    // S3 encodes the path once (other services twice) and never normalises it.
    Ok(uri_encode(path, true))
}

/// The key that signs for one day, region and service: a leaked signature key is useless
/// beyond that scope.
fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let date_key = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let region_key = hmac_sha256(&date_key, region.as_bytes());
    let service_key = hmac_sha256(&region_key, service.as_bytes());
    hmac_sha256(&service_key, b"aws4_request")
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2013-05-24T00:00:00Z, the time of AWS's S3 examples.
    const MAY_24_2013: i64 = 1_369_353_600_000;
    /// 2015-08-30T12:36:00Z, the time of AWS's SigV4 test suite.
    const AUG_30_2015: i64 = 1_440_938_160_000;
    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn r2() -> S3Credentials {
        S3Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
            endpoint: r2::endpoint("0123456789abcdef0123456789abcdef").expect("valid account id"),
            bucket: "media".to_owned(),
            region: r2::REGION.to_owned(),
        }
    }

    /// "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)", the
    /// presigned GET of `test.txt` in `examplebucket` (Amazon S3 API Reference).
    #[test]
    fn aws_s3_presigned_get_example() {
        let signer = Signer {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            region: "us-east-1",
            service: "s3",
        };
        let origin = Url::parse("https://examplebucket.s3.amazonaws.com").expect("url");
        let request = Request {
            method: &Method::GET,
            origin: &origin,
            path: "/test.txt",
            query: &[],
            payload_hash: UNSIGNED_PAYLOAD,
        };
        let presigned = presign_request(&signer, &request, MAY_24_2013, 86400).expect("presigned");
        assert_eq!(
            presigned.canonical_request,
            "GET\n/test.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE\
             %2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400\
             &X-Amz-SignedHeaders=host\nhost:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD"
        );
        assert_eq!(
            presigned.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n\
             3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04"
        );
        assert_eq!(presigned.signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
        assert_eq!(
            presigned.url.as_str(),
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    /// AWS General Reference, "Examples of how to derive a signing key for Signature Version 4".
    #[test]
    fn aws_signing_key_example() {
        let key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
        assert_eq!(hex(&key), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
    }

    /// The query-signing cases of AWS's SigV4 test suite as shipped in awslabs/aws-c-auth
    /// (`tests/aws-signing-test-suite/v4/<name>/`): context.json, request.txt,
    /// query-canonical-request.txt, query-signature.txt. Service `service` with an unsigned
    /// empty body, so the payload hash is SHA-256 of nothing.
    #[test]
    fn aws_c_auth_query_signing_suite() {
        let signer = Signer {
            access_key_id: "AKIDEXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            region: "us-east-1",
            service: "service",
        };
        let origin = Url::parse("https://example.amazonaws.com").expect("url");
        let auth = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1\
                    %2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600\
                    &X-Amz-SignedHeaders=host";
        let unreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let check = |name: &str,
                     path: &str,
                     query: &[(&str, &str)],
                     uri_and_query: String,
                     signature: &str| {
            let request =
                Request { method: &Method::GET, origin: &origin, path, query, payload_hash: EMPTY_SHA256 };
            let presigned = presign_request(&signer, &request, AUG_30_2015, 3600).expect(name);
            assert_eq!(
                presigned.canonical_request,
                format!("GET\n{uri_and_query}\nhost:example.amazonaws.com\n\nhost\n{EMPTY_SHA256}"),
                "{name}"
            );
            assert_eq!(presigned.signature, signature, "{name}");
            presigned
        };
        let presigned = check(
            "get-vanilla-query-unreserved",
            "/",
            &[(unreserved, unreserved)],
            format!("/\n{unreserved}={unreserved}&{auth}"),
            "8e76a88a7433637b12778d5592799b29ad21ecd6cf6325051c21d86f0acda2bf",
        );
        assert_eq!(
            presigned.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
             c77f27ef2b499fbfee3f0b3c88bba7057b2b31ee9b62047078a5e0d6be91fd58"
        );
        check(
            "get-utf8",
            "/\u{1234}",
            &[],
            format!("/%E1%88%B4\n{auth}"),
            "10eae3f14a260bd3911cc6d008d3c576d143b05b62f09782a7a4b37f52178e44",
        );
        check(
            "get-vanilla-query-order-encoded",
            "/",
            &[("Param-3", "Value3"), ("Param", "Value2"), ("\u{1234}", "Value1")],
            format!("/\n%E1%88%B4=Value1&Param=Value2&Param-3=Value3&{auth}"),
            "c5f1848ceec943ac2ca68ee720460c23aaae30a2300586597ada94c4a65e4787",
        );
    }

    const R2_ORIGIN: &str = "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com";
    /// 2024-03-01T12:34:56Z.
    const MARCH_1_2024: i64 = 1_709_296_496_000;

    fn r2_auth(expires: &str) -> String {
        format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240301%2Fauto%2Fs3\
             %2Faws4_request&X-Amz-Date=20240301T123456Z&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host"
        )
    }

    /// Pinned against botocore 1.43.11 (`generate_presigned_url` with `s3v4`, path addressing,
    /// region `auto` and its clock frozen at 2024-03-01T12:34:56Z), an implementation independent
    /// of this one, for the key characters most likely to be encoded wrong.
    #[test]
    fn r2_keys_with_spaces_unicode_and_plus() {
        let url =
            presign(&r2(), Method::GET, "uploads/my video+final (1)/été 🎬.mp4", &[], MARCH_1_2024, 3600)
                .expect("presigned");
        assert_eq!(
            url.as_str(),
            format!(
                "{R2_ORIGIN}/media/uploads/my%20video%2Bfinal%20%281%29/%C3%A9t%C3%A9%20%F0%9F%8E%AC.mp4?{}\
                 &X-Amz-Signature=1d5dd8d9fde07fd2e5205c0b794695ec515e679e56c35842f32972d2180519ab",
                r2_auth("3600")
            )
        );
        let url = presign(&r2(), Method::PUT, "a/b~c_d-e.f", &[], MARCH_1_2024, 604_800).expect("presigned");
        assert_eq!(
            url.as_str(),
            format!(
                "{R2_ORIGIN}/media/a/b~c_d-e.f?{}\
                 &X-Amz-Signature=a5ad5aff21e3e463620d97d9fd655251ed25a099ede216a7b0458f441f2c3a28",
                r2_auth("604800")
            )
        );
    }

    /// Pinned against botocore like the test above (`upload_part`); botocore puts `uploadId`
    /// first in its URL, which does not change the signature.
    #[test]
    fn r2_upload_part_signs_part_number_and_upload_id() {
        let url =
            presign_upload_part(&r2(), "uploads/abc/source.mp4", "2~iCw_lDY8Vz7u-Ap", 7, MARCH_1_2024, 900)
                .expect("presigned");
        assert_eq!(
            url.as_str(),
            format!(
                "{R2_ORIGIN}/media/uploads/abc/source.mp4?{}&partNumber=7&uploadId=2~iCw_lDY8Vz7u-Ap\
                 &X-Amz-Signature=9c85495e75561da0013721fd36538e0e2ade06a0ff578b22724732225258b803",
                r2_auth("900")
            )
        );
        let pairs: Vec<(String, String)> =
            url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        assert!(pairs.contains(&("partNumber".to_owned(), "7".to_owned())));
        assert!(pairs.contains(&("uploadId".to_owned(), "2~iCw_lDY8Vz7u-Ap".to_owned())));
        for bad in [0, MAX_PART_NUMBER + 1] {
            assert_eq!(presign_upload_part(&r2(), "k", "id", bad, 0, 900), Err(SigV4Error::PartNumber(bad)));
        }
        assert_eq!(presign_upload_part(&r2(), "k", "", 1, 0, 900), Err(SigV4Error::EmptyUploadId));
        assert!(presign_upload_part(&r2(), "k", "id", MAX_PART_NUMBER, 0, 900).is_ok());
    }

    #[test]
    fn uri_encoding_follows_aws_rules() {
        assert_eq!(uri_encode("a b+c/é~", true), "a%20b%2Bc/%C3%A9~");
        assert_eq!(uri_encode("a b+c/é~", false), "a%20b%2Bc%2F%C3%A9~");
        assert_eq!(uri_encode("*'()!=&?#%", true), "%2A%27%28%29%21%3D%26%3F%23%25");
        // Empty segments are part of an S3 key and must survive.
        assert_eq!(canonical_uri("/b//k/").as_deref(), Ok("/b//k/"));
    }

    #[test]
    fn the_url_path_is_the_signed_path() {
        let url = presign(&r2(), Method::GET, "x//y/%2e%2e/z?#", &[], 0, 60).expect("presigned");
        assert_eq!(url.path(), "/media/x//y/%252e%252e/z%3F%23");
        assert!(url.query().is_some_and(|q| q.starts_with("X-Amz-Algorithm=")));
    }

    #[test]
    fn expiry_is_one_second_to_seven_days() {
        for expires in [0, MAX_EXPIRES_SECS + 1, u32::MAX] {
            assert_eq!(presign(&r2(), Method::GET, "k", &[], 0, expires), Err(SigV4Error::Expiry(expires)));
        }
        for expires in [1, MAX_EXPIRES_SECS] {
            let url = presign(&r2(), Method::GET, "k", &[], 0, expires).expect("presigned");
            assert!(url.query().is_some_and(|q| q.contains(&format!("&X-Amz-Expires={expires}&"))));
        }
    }

    #[test]
    fn dates_come_from_the_given_time() {
        assert_eq!(amz_date(0), Ok(("19700101".to_owned(), "19700101T000000Z".to_owned())));
        assert_eq!(amz_date(-1), Ok(("19691231".to_owned(), "19691231T235959Z".to_owned())));
        assert_eq!(amz_date(1_709_296_496_999), Ok(("20240301".to_owned(), "20240301T123456Z".to_owned())));
        assert_eq!(amz_date(253_402_300_799_999).map(|d| d.1), Ok("99991231T235959Z".to_owned()));
        for millis in [253_402_300_800_000, i64::MAX, i64::MIN, -62_167_219_200_001] {
            assert_eq!(amz_date(millis), Err(SigV4Error::Time(millis)));
        }
    }

    fn request_for(creds: &S3Credentials) -> Request<'_> {
        Request {
            method: &Method::GET,
            origin: &creds.endpoint,
            path: "/media/k",
            query: &[],
            payload_hash: UNSIGNED_PAYLOAD,
        }
    }

    #[test]
    fn host_keeps_non_default_ports() {
        let cases = [
            ("http://127.0.0.1:9000", "127.0.0.1:9000", "http://127.0.0.1:9000/media/k?"),
            ("https://[::1]:8443/", "[::1]:8443", "https://[::1]:8443/media/k?"),
            ("https://Example.COM:443", "example.com", "https://example.com/media/k?"),
        ];
        for (endpoint, host, prefix) in cases {
            let creds = S3Credentials { endpoint: Url::parse(endpoint).expect("url"), ..r2() };
            let presigned = presign_request(&creds.signer(), &request_for(&creds), 0, 60).expect("presigned");
            assert!(presigned.canonical_request.contains(&format!("\nhost:{host}\n")), "{endpoint}");
            assert!(presigned.url.as_str().starts_with(prefix), "{endpoint}");
        }
    }

    #[test]
    fn refuses_what_a_url_cannot_carry() {
        let creds = r2();
        assert_eq!(presign(&creds, Method::GET, "", &[], 0, 60), Err(SigV4Error::KeyLength { len: 0 }));
        let long = "k".repeat(MAX_KEY_BYTES + 1);
        assert_eq!(
            presign(&creds, Method::GET, &long, &[], 0, 60),
            Err(SigV4Error::KeyLength { len: MAX_KEY_BYTES + 1 })
        );
        assert!(presign(&creds, Method::GET, &long[1..], &[], 0, 60).is_ok());
        for key in ["a/../b", "./a", "a/.", ".."] {
            assert_eq!(
                presign(&creds, Method::GET, key, &[], 0, 60),
                Err(SigV4Error::DotSegment(format!("/media/{key}")))
            );
        }
        assert!(presign(&creds, Method::GET, "a/.../.b/c.", &[], 0, 60).is_ok());
        assert_eq!(presign(&creds, Method::POST, "k", &[], 0, 60), Err(SigV4Error::Method(Method::POST)));
        assert_eq!(
            presign(&creds, Method::GET, "k", &[("x-amz-signature", "0")], 0, 60),
            Err(SigV4Error::ReservedParameter("x-amz-signature".to_owned()))
        );
        for bucket in ["", "a/b", ".."] {
            let creds = S3Credentials { bucket: bucket.to_owned(), ..r2() };
            assert_eq!(
                presign(&creds, Method::GET, "k", &[], 0, 60),
                Err(SigV4Error::Bucket(bucket.to_owned()))
            );
        }
        for endpoint in ["ftp://h/", "https://h/prefix", "https://h/?q", "https://u:p@h/"] {
            let creds = S3Credentials { endpoint: Url::parse(endpoint).expect("url"), ..r2() };
            assert!(matches!(
                presign(&creds, Method::GET, "k", &[], 0, 60),
                Err(SigV4Error::Endpoint { .. })
            ));
        }
        for account in ["", "evil.com/x", "a@b"] {
            assert!(matches!(r2::endpoint(account), Err(SigV4Error::Endpoint { .. })));
        }
        let request = Request { path: "media/k", ..request_for(&creds) };
        assert_eq!(
            presign_request(&creds.signer(), &request, 0, 60),
            Err(SigV4Error::RelativePath("media/k".to_owned()))
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        let creds = r2();
        for shown in [format!("{creds:?}"), format!("{:?}", creds.signer())] {
            assert!(!shown.contains("EXAMPLEKEY"), "{shown}");
            assert!(shown.contains("AKIAIOSFODNN7EXAMPLE"));
        }
    }
}
