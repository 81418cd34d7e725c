//! Instance configuration: the public origin, secrets, signup policy, limits, media settings, read once from the environment.

use std::collections::BTreeMap;

use thiserror::Error;
use url::Url;

use edgetube_sigv4::{S3Credentials, SigV4Error, MAX_EXPIRES_SECS};

/// The instance's public origin, `scheme://host[:port]`, with no path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    url: Url,
}

impl Origin {
    /// Parses an origin; plain `http` only when `allow_http` (local development).
    pub fn parse(raw: &str, allow_http: bool) -> Result<Self, ConfigError> {
        let url = Url::parse(raw.trim_end_matches('/'))
            .map_err(|e| ConfigError::Invalid { name: "PUBLIC_ORIGIN", reason: e.to_string() })?;
        let invalid =
            |reason: &str| ConfigError::Invalid { name: "PUBLIC_ORIGIN", reason: reason.to_owned() };
        match url.scheme() {
            "https" => {}
            "http" if allow_http => {}
            "http" => return Err(invalid("plain http needs ALLOW_HTTP=true (local use only)")),
            _ => return Err(invalid("the scheme must be https")),
        }
        if url.host_str().is_none() {
            return Err(invalid("no host"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("an origin has no path, query or fragment"));
        }
        Ok(Self { url })
    }

    /// `https://host[:port]`, without a trailing slash.
    pub fn as_str(&self) -> &str {
        self.url.as_str().trim_end_matches('/')
    }

    /// `host[:port]`, as it appears in `acct:` handles and in the `Host` header.
    pub fn authority(&self) -> String {
        match self.url.port() {
            Some(port) => format!("{}:{port}", self.host()),
            None => self.host().to_owned(),
        }
    }

    /// The host name alone.
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &str {
        self.url.scheme()
    }

    /// The absolute URL of `path` (which starts with `/`).
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.as_str())
    }
}

/// Everything an instance is configured with. Built once per isolate from the environment.
///
/// No `Default`: an instance without an origin or secrets must not start.
#[derive(Clone)]
pub struct InstanceConfig {
    /// The public origin every URL is built from.
    pub origin: Origin,
    /// Shown as the instance name (`instance.name` in `/api/v1/config`).
    pub name: String,
    /// One sentence about the instance.
    pub short_description: String,
    /// The long description (markdown).
    pub description: String,
    /// Password of the bootstrapped `root` administrator; used only when `root` is first created.
    pub admin_password: String,
    /// E-mail of the bootstrapped administrator.
    pub admin_email: String,
    /// Secret from which the key sealing actor private keys is derived.
    pub key_encryption_secret: String,
    /// Who may create an account.
    pub signup: SignupPolicy,
    /// Requests per client address to `/api/` (PeerTube's default: 50 per 10 s).
    pub api_rate_limit: RateLimit,
    /// Login attempts per client address (PeerTube's default: 15 per 5 min).
    pub login_rate_limit: RateLimit,
    /// Failed video-password attempts per client address and video, on every route that takes
    /// `x-peertube-video-password` (`VIDEO_PASSWORD_RATE_LIMIT`, default 10 per 5 min). Past it,
    /// every password for that video from that address is refused until the window ends, the
    /// right one included. PeerTube has no such limit.
    pub video_password_rate_limit: RateLimit,
    /// Failed video-password attempts per video from all addresses together
    /// (`VIDEO_PASSWORD_VIDEO_RATE_LIMIT`, default 100 per 5 min): a guesser spread over many
    /// addresses gets no further. While it is exceeded, passwords for the video are refused for
    /// everyone; owners, moderators and holders of a video file token are not affected.
    pub video_password_video_rate_limit: RateLimit,
    /// Uploads, transcoding and runners.
    pub media: MediaConfig,
    /// ActivityPub: retries and follow approval.
    pub federation: FederationConfig,
    /// Whether the instance runs its WebTorrent tracker (`TRACKER_ENABLED`, default true;
    /// PeerTube's `tracker.enabled`). Off, videos name no tracker (`trackerUrls`, magnets, Video
    /// objects) and players fetch over HTTP only: a shell that cannot hold WebSockets (Spin)
    /// turns it off rather than send viewers to a tracker that is not there.
    pub tracker_enabled: bool,
}

/// Federation's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FederationConfig {
    /// The first retry's delay of a failed delivery or inbox activity, doubling from there
    /// (`FEDERATION_RETRY_BASE_SECONDS`, default 60; tests shorten it).
    pub retry_base_seconds: u32,
    /// Follows of the instance actor wait for an administrator (`FEDERATION_MANUAL_APPROVAL`,
    /// PeerTube's `followers.instance.manual_approval`); account and channel follows never do.
    pub instance_follows_need_approval: bool,
    /// Remote peers may be on http and private or loopback addresses (`ALLOW_HTTP`: local
    /// development and tests only).
    pub allow_local_peers: bool,
}

/// The media pipeline's settings.
#[derive(Clone, PartialEq, Eq)]
pub struct MediaConfig {
    /// Resolutions (short side) to make when the input is at least as large (`TRANSCODING_RESOLUTIONS`).
    pub resolutions: Vec<u32>,
    /// A registration token accepted besides those administrators generate
    /// (`RUNNER_REGISTRATION_TOKEN`, a secret): how a deployment pairs its own runner.
    pub runner_registration_token: Option<String>,
    /// A processing job without news for this long goes back to pending (`RUNNER_JOB_STALE_SECONDS`).
    pub job_stale_after_ms: i64,
    /// Failures after which a job is errored and its video marked failed (`RUNNER_JOB_MAX_FAILURES`).
    pub job_max_failures: i64,
    /// Queue the object-created message ourselves after an upload (`EMULATE_STORAGE_EVENTS`):
    /// on only where storage sends no event notifications (wrangler dev).
    pub emulate_storage_events: bool,
    /// Largest body of the legacy one-request upload (`LEGACY_UPLOAD_MAX_BYTES`).
    pub legacy_upload_max_bytes: u64,
    /// Uploads straight to storage through presigned URLs; `None` unless S3 credentials are set.
    pub direct_upload: Option<DirectUploadConfig>,
}

/// What the direct upload path needs: S3 credentials for the bucket the instance stores in
/// (`S3_ENDPOINT`, `S3_BUCKET`, `S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY`, `S3_REGION`) and how
/// long a handed-out URL works (`DIRECT_UPLOAD_URL_TTL_SECONDS`).
///
/// Any S3-compatible store fits; a platform shell translates its own names (the Cloudflare shell
/// makes these from `R2_ACCOUNT_ID` and friends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectUploadConfig {
    /// Signs the URLs; its `Debug` hides the secret.
    pub credentials: S3Credentials,
    /// Validity of every presigned URL, 1 s to 7 days.
    pub url_ttl_secs: u32,
}

/// The variables of [`DirectUploadConfig`] that must all be set, or all be absent.
const DIRECT_UPLOAD_KEYS: [&str; 4] =
    ["S3_ENDPOINT", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"];

/// Default of `S3_REGION`: the region S3-compatible stores (AWS, MinIO, Garage) sign with when
/// none is configured.
const DEFAULT_S3_REGION: &str = "us-east-1";

/// Default of `DIRECT_UPLOAD_URL_TTL_SECONDS`: long enough for an 8 MiB part on a slow line, short
/// enough that a leaked URL soon stops working.
const DEFAULT_URL_TTL_SECS: i64 = 3600;

impl DirectUploadConfig {
    /// `None` when no S3 credential is set. Some but not all of them is an error rather than a
    /// silently disabled feature, because that is a deployment mistake.
    fn from_vars<'v>(
        get: &dyn Fn(&'static str) -> Option<&'v str>,
        allow_http: bool,
    ) -> Result<Option<Self>, ConfigError> {
        if DIRECT_UPLOAD_KEYS.iter().all(|name| get(name).is_none()) {
            return Ok(None);
        }
        let require = |name: &'static str| get(name).ok_or(ConfigError::Missing(name));
        let (endpoint, bucket, access_key_id, secret) = (
            require("S3_ENDPOINT")?,
            require("S3_BUCKET")?,
            require("S3_ACCESS_KEY_ID")?,
            require("S3_SECRET_ACCESS_KEY")?,
        );
        if bucket.contains('/') || bucket == "." || bucket == ".." {
            return Err(ConfigError::Invalid {
                name: "S3_BUCKET",
                reason: SigV4Error::Bucket(bucket.to_owned()).to_string(),
            });
        }
        let credentials = S3Credentials {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret.to_owned(),
            endpoint: s3_endpoint(endpoint, allow_http)?,
            bucket: bucket.to_owned(),
            region: get("S3_REGION").unwrap_or(DEFAULT_S3_REGION).to_owned(),
        };
        let ttl = number(
            "DIRECT_UPLOAD_URL_TTL_SECONDS",
            get("DIRECT_UPLOAD_URL_TTL_SECONDS"),
            DEFAULT_URL_TTL_SECS,
        )?;
        let url_ttl_secs = u32::try_from(ttl).ok().filter(|t| *t <= MAX_EXPIRES_SECS).ok_or_else(|| {
            ConfigError::Invalid {
                name: "DIRECT_UPLOAD_URL_TTL_SECONDS",
                reason: format!("presigned URLs last at most {MAX_EXPIRES_SECS} seconds"),
            }
        })?;
        Ok(Some(Self { credentials, url_ttl_secs }))
    }
}

/// `S3_ENDPOINT`: `scheme://host[:port]` of the S3 API, path-style buckets.
fn s3_endpoint(raw: &str, allow_http: bool) -> Result<Url, ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid { name: "S3_ENDPOINT", reason: reason.to_owned() };
    let url = Url::parse(raw).map_err(|_| invalid("not a URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http => {}
        _ => return Err(invalid("expected https (or http with ALLOW_HTTP)")),
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(invalid("expected scheme://host[:port] with no path"));
    }
    Ok(url)
}

impl std::fmt::Debug for MediaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaConfig")
            .field("resolutions", &self.resolutions)
            .field("job_stale_after_ms", &self.job_stale_after_ms)
            .field("job_max_failures", &self.job_max_failures)
            .field("emulate_storage_events", &self.emulate_storage_events)
            .field("direct_upload", &self.direct_upload)
            .finish_non_exhaustive()
    }
}

/// PeerTube's three signup settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupPolicy {
    /// Only administrators create users.
    Closed,
    /// Anyone registers and logs in at once.
    Open,
    /// Anyone may ask; a moderator accepts or rejects each request.
    RequiresApproval,
}

impl SignupPolicy {
    /// `SIGNUP_POLICY` (`closed`, `open`, `requires-approval`); `SIGNUP_OPEN=true` is the short
    /// form of `open`.
    fn parse(policy: Option<&str>, open_flag: bool) -> Result<Self, ConfigError> {
        match policy {
            None if open_flag => Ok(Self::Open),
            None | Some("closed") => Ok(Self::Closed),
            Some("open") => Ok(Self::Open),
            Some("requires-approval") => Ok(Self::RequiresApproval),
            Some(other) => Err(ConfigError::Invalid {
                name: "SIGNUP_POLICY",
                reason: format!("expected closed, open or requires-approval, got {other:?}"),
            }),
        }
    }

    /// Whether signing up is possible at all (PeerTube's `signup.allowed`).
    pub fn allowed(self) -> bool {
        self != Self::Closed
    }
}

/// At most `max` requests per `window_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed in one window.
    pub max: u32,
    /// The window's length.
    pub window_seconds: u32,
}

impl RateLimit {
    /// Parses `max/seconds`, e.g. `50/10`.
    fn parse(name: &'static str, raw: &str) -> Result<Self, ConfigError> {
        let invalid =
            || ConfigError::Invalid { name, reason: format!("expected <max>/<seconds>, got {raw:?}") };
        let (max, window) = raw.split_once('/').ok_or_else(invalid)?;
        let limit = Self {
            max: max.trim().parse().map_err(|_| invalid())?,
            window_seconds: window.trim().parse().map_err(|_| invalid())?,
        };
        if limit.max == 0 || limit.window_seconds == 0 {
            return Err(invalid());
        }
        Ok(limit)
    }
}

impl std::fmt::Debug for InstanceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceConfig")
            .field("origin", &self.origin)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A setting that is missing or malformed.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required variable or secret is not set.
    #[error("{0} is not set")]
    Missing(&'static str),
    /// A variable is set to something unusable.
    #[error("{name} is invalid: {reason}")]
    Invalid {
        /// The variable's name.
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },
}

/// PeerTube's resolutions, each of which an instance may enable.
const KNOWN_RESOLUTIONS: [u32; 8] = [144, 240, 360, 480, 720, 1080, 1440, 2160];

fn parse_list(name: &'static str, raw: Option<&str>) -> Result<Vec<u32>, ConfigError> {
    let Some(raw) = raw else { return Ok(vec![1080, 720, 480, 360, 240]) };
    raw.split(',')
        .map(|item| {
            item.trim().parse().ok().filter(|r| KNOWN_RESOLUTIONS.contains(r)).ok_or_else(|| {
                ConfigError::Invalid { name, reason: format!("{item:?} is not one of {KNOWN_RESOLUTIONS:?}") }
            })
        })
        .collect()
}

fn number(name: &'static str, raw: Option<&str>, default: i64) -> Result<i64, ConfigError> {
    match raw {
        None => Ok(default),
        Some(raw) => raw.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| ConfigError::Invalid {
            name,
            reason: format!("expected a positive integer, got {raw:?}"),
        }),
    }
}

/// The shortest key-encryption secret accepted (characters): 256 bits of hex.
const MIN_SECRET_LEN: usize = 32;

impl InstanceConfig {
    /// Every variable and secret [`InstanceConfig::from_vars`] reads: what a platform shell
    /// collects from its environment.
    pub const VARIABLES: [&'static str; 29] = [
        "PUBLIC_ORIGIN",
        "ALLOW_HTTP",
        "INSTANCE_NAME",
        "INSTANCE_SHORT_DESCRIPTION",
        "INSTANCE_DESCRIPTION",
        "ADMIN_PASSWORD",
        "ADMIN_EMAIL",
        "KEY_ENCRYPTION_SECRET",
        "SIGNUP_OPEN",
        "SIGNUP_POLICY",
        "API_RATE_LIMIT",
        "LOGIN_RATE_LIMIT",
        "VIDEO_PASSWORD_RATE_LIMIT",
        "VIDEO_PASSWORD_VIDEO_RATE_LIMIT",
        "TRANSCODING_RESOLUTIONS",
        "RUNNER_REGISTRATION_TOKEN",
        "RUNNER_JOB_STALE_SECONDS",
        "RUNNER_JOB_MAX_FAILURES",
        "EMULATE_STORAGE_EVENTS",
        "LEGACY_UPLOAD_MAX_BYTES",
        "S3_ENDPOINT",
        "S3_BUCKET",
        "S3_ACCESS_KEY_ID",
        "S3_SECRET_ACCESS_KEY",
        "S3_REGION",
        "DIRECT_UPLOAD_URL_TTL_SECONDS",
        "FEDERATION_RETRY_BASE_SECONDS",
        "FEDERATION_MANUAL_APPROVAL",
        "TRACKER_ENABLED",
    ];

    /// Builds the configuration from variables and secrets named as in [`Self::VARIABLES`].
    pub fn from_vars(vars: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str| {
            // A name missing from the list would be configurable natively but never reach the
            // core from a platform's environment.
            debug_assert!(Self::VARIABLES.contains(&name), "{name} is not in InstanceConfig::VARIABLES");
            vars.get(name).map(String::as_str).filter(|v| !v.is_empty())
        };
        let require = |name: &'static str| get(name).ok_or(ConfigError::Missing(name));
        let flag = |name: &'static str| -> Result<bool, ConfigError> {
            match get(name) {
                None | Some("false") | Some("0") => Ok(false),
                Some("true") | Some("1") => Ok(true),
                Some(other) => Err(ConfigError::Invalid {
                    name,
                    reason: format!("expected true or false, got {other:?}"),
                }),
            }
        };

        let allow_http = flag("ALLOW_HTTP")?;
        let origin = Origin::parse(require("PUBLIC_ORIGIN")?, allow_http)?;
        let key_encryption_secret = require("KEY_ENCRYPTION_SECRET")?.to_owned();
        if key_encryption_secret.len() < MIN_SECRET_LEN {
            return Err(ConfigError::Invalid {
                name: "KEY_ENCRYPTION_SECRET",
                reason: format!("at least {MIN_SECRET_LEN} characters are needed"),
            });
        }
        let admin_password = require("ADMIN_PASSWORD")?.to_owned();
        if admin_password.len() < 6 {
            return Err(ConfigError::Invalid {
                name: "ADMIN_PASSWORD",
                reason: "at least 6 characters".into(),
            });
        }
        Ok(Self {
            name: get("INSTANCE_NAME").unwrap_or("Edgetube").to_owned(),
            short_description: get("INSTANCE_SHORT_DESCRIPTION")
                .unwrap_or("A PeerTube-compatible video platform running at the edge.")
                .to_owned(),
            description: get("INSTANCE_DESCRIPTION")
                .unwrap_or("Welcome to this Edgetube instance!")
                .to_owned(),
            admin_email: get("ADMIN_EMAIL").map_or_else(|| format!("admin@{}", origin.host()), str::to_owned),
            signup: SignupPolicy::parse(get("SIGNUP_POLICY"), flag("SIGNUP_OPEN")?)?,
            api_rate_limit: RateLimit::parse("API_RATE_LIMIT", get("API_RATE_LIMIT").unwrap_or("50/10"))?,
            login_rate_limit: RateLimit::parse(
                "LOGIN_RATE_LIMIT",
                get("LOGIN_RATE_LIMIT").unwrap_or("15/300"),
            )?,
            video_password_rate_limit: RateLimit::parse(
                "VIDEO_PASSWORD_RATE_LIMIT",
                get("VIDEO_PASSWORD_RATE_LIMIT").unwrap_or("10/300"),
            )?,
            video_password_video_rate_limit: RateLimit::parse(
                "VIDEO_PASSWORD_VIDEO_RATE_LIMIT",
                get("VIDEO_PASSWORD_VIDEO_RATE_LIMIT").unwrap_or("100/300"),
            )?,
            media: MediaConfig {
                resolutions: parse_list("TRANSCODING_RESOLUTIONS", get("TRANSCODING_RESOLUTIONS"))?,
                runner_registration_token: get("RUNNER_REGISTRATION_TOKEN").map(str::to_owned),
                job_stale_after_ms: 1000
                    * number("RUNNER_JOB_STALE_SECONDS", get("RUNNER_JOB_STALE_SECONDS"), 120)?,
                job_max_failures: number("RUNNER_JOB_MAX_FAILURES", get("RUNNER_JOB_MAX_FAILURES"), 3)?,
                emulate_storage_events: flag("EMULATE_STORAGE_EVENTS")?,
                legacy_upload_max_bytes: number(
                    "LEGACY_UPLOAD_MAX_BYTES",
                    get("LEGACY_UPLOAD_MAX_BYTES"),
                    // Workers' request body limit on the Free and Pro plans.
                    100_000_000,
                )?
                .unsigned_abs(),
                direct_upload: DirectUploadConfig::from_vars(&get, allow_http)?,
            },
            tracker_enabled: get("TRACKER_ENABLED").is_none() || flag("TRACKER_ENABLED")?,
            federation: FederationConfig {
                retry_base_seconds: u32::try_from(number(
                    "FEDERATION_RETRY_BASE_SECONDS",
                    get("FEDERATION_RETRY_BASE_SECONDS"),
                    60,
                )?)
                .map_err(|_| ConfigError::Invalid {
                    name: "FEDERATION_RETRY_BASE_SECONDS",
                    reason: "too large".into(),
                })?,
                instance_follows_need_approval: flag("FEDERATION_MANUAL_APPROVAL")?,
                allow_local_peers: allow_http,
            },
            origin,
            admin_password,
            key_encryption_secret,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn the_tracker_is_on_unless_turned_off_and_off_names_no_tracker() {
        let base = [
            ("PUBLIC_ORIGIN", "https://tube.example"),
            ("KEY_ENCRYPTION_SECRET", SECRET),
            ("ADMIN_PASSWORD", "secret1"),
        ];
        let on = InstanceConfig::from_vars(&vars(&base)).unwrap_or_else(|e| panic!("{e}"));
        assert!(on.tracker_enabled);
        assert_eq!(crate::videos::urls::tracker_list(&on, "u-1"), ["wss://tube.example/tracker/socket/u-1"]);
        let off =
            InstanceConfig::from_vars(&vars(&[base.as_slice(), &[("TRACKER_ENABLED", "false")]].concat()))
                .unwrap_or_else(|e| panic!("{e}"));
        assert!(!off.tracker_enabled);
        assert!(crate::videos::urls::tracker_list(&off, "u-1").is_empty());
        let bad =
            InstanceConfig::from_vars(&vars(&[base.as_slice(), &[("TRACKER_ENABLED", "maybe")]].concat()));
        assert!(bad.is_err());
    }

    #[test]
    fn plain_http_needs_the_local_flag() {
        let base = [
            ("PUBLIC_ORIGIN", "http://127.0.0.1:8787"),
            ("KEY_ENCRYPTION_SECRET", SECRET),
            ("ADMIN_PASSWORD", "secret1"),
        ];
        let err = InstanceConfig::from_vars(&vars(&base)).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { name: "PUBLIC_ORIGIN", .. }), "{err}");

        let mut allowed = base.to_vec();
        allowed.push(("ALLOW_HTTP", "true"));
        let config = InstanceConfig::from_vars(&vars(&allowed)).unwrap();
        assert_eq!(config.origin.as_str(), "http://127.0.0.1:8787");
        assert_eq!(config.origin.authority(), "127.0.0.1:8787");
    }

    #[test]
    fn https_origin_drops_the_default_port_and_trailing_slash() {
        let origin = Origin::parse("https://tube.example:443/", false).unwrap();
        assert_eq!(origin.as_str(), "https://tube.example");
        assert_eq!(origin.authority(), "tube.example");
        assert_eq!(origin.join("/accounts/root"), "https://tube.example/accounts/root");
    }

    #[test]
    fn refuses_paths_missing_secrets_and_short_secrets() {
        assert!(Origin::parse("https://tube.example/sub", false).is_err());
        let no_secret = vars(&[("PUBLIC_ORIGIN", "https://tube.example"), ("ADMIN_PASSWORD", "secret1")]);
        assert_eq!(
            InstanceConfig::from_vars(&no_secret).unwrap_err(),
            ConfigError::Missing("KEY_ENCRYPTION_SECRET")
        );
        let short = vars(&[
            ("PUBLIC_ORIGIN", "https://tube.example"),
            ("KEY_ENCRYPTION_SECRET", "short"),
            ("ADMIN_PASSWORD", "secret1"),
        ]);
        assert!(matches!(
            InstanceConfig::from_vars(&short).unwrap_err(),
            ConfigError::Invalid { name: "KEY_ENCRYPTION_SECRET", .. }
        ));
    }

    fn with_s3(extra: &[(&str, &str)]) -> Result<InstanceConfig, ConfigError> {
        let mut pairs = vec![
            ("PUBLIC_ORIGIN", "https://tube.example"),
            ("KEY_ENCRYPTION_SECRET", SECRET),
            ("ADMIN_PASSWORD", "secret1"),
        ];
        pairs.extend_from_slice(extra);
        InstanceConfig::from_vars(&vars(&pairs))
    }

    const S3_KEYS: [(&str, &str); 3] = [
        ("S3_BUCKET", "edgetube-media"),
        ("S3_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        ("S3_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ];

    #[test]
    fn direct_upload_needs_every_s3_credential() {
        assert_eq!(with_s3(&[]).unwrap().media.direct_upload, None);
        let mut all = S3_KEYS.to_vec();
        all.push(("S3_ENDPOINT", "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com"));
        let direct = with_s3(&all).unwrap().media.direct_upload.unwrap();
        assert_eq!(direct.url_ttl_secs, 3600);
        assert_eq!(direct.credentials.region, "us-east-1");
        assert_eq!(
            direct.credentials.endpoint.as_str(),
            "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com/"
        );
        all.push(("S3_REGION", "auto"));
        assert_eq!(with_s3(&all).unwrap().media.direct_upload.unwrap().credentials.region, "auto");
        for missing in ["S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_ENDPOINT"] {
            let partial: Vec<_> = all.iter().copied().filter(|(name, _)| *name != missing).collect();
            assert_eq!(with_s3(&partial).unwrap_err(), ConfigError::Missing(missing));
        }
    }

    #[test]
    fn direct_upload_endpoint_override_and_ttl() {
        let mut endpoint = S3_KEYS.to_vec();
        endpoint.push(("S3_ENDPOINT", "http://127.0.0.1:9100"));
        let err = with_s3(&endpoint).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { name: "S3_ENDPOINT", .. }), "{err}");
        endpoint.push(("ALLOW_HTTP", "true"));
        endpoint.push(("DIRECT_UPLOAD_URL_TTL_SECONDS", "900"));
        let direct = with_s3(&endpoint).unwrap().media.direct_upload.unwrap();
        assert_eq!(direct.credentials.endpoint.as_str(), "http://127.0.0.1:9100/");
        assert_eq!(direct.url_ttl_secs, 900);

        let mut too_long = endpoint.clone();
        too_long.push(("DIRECT_UPLOAD_URL_TTL_SECONDS", "604801"));
        let err = with_s3(&too_long).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { name: "DIRECT_UPLOAD_URL_TTL_SECONDS", .. }), "{err}");
        let mut with_path = S3_KEYS.to_vec();
        with_path.push(("S3_ENDPOINT", "https://s3.example/bucket"));
        assert!(matches!(with_s3(&with_path).unwrap_err(), ConfigError::Invalid { name: "S3_ENDPOINT", .. }));
    }

    #[test]
    fn video_password_limits_default_and_parse() {
        let defaults = with_s3(&[]).unwrap();
        assert_eq!(defaults.video_password_rate_limit, RateLimit { max: 10, window_seconds: 300 });
        assert_eq!(defaults.video_password_video_rate_limit, RateLimit { max: 100, window_seconds: 300 });
        let set =
            with_s3(&[("VIDEO_PASSWORD_RATE_LIMIT", "3/60"), ("VIDEO_PASSWORD_VIDEO_RATE_LIMIT", "50/3600")])
                .unwrap();
        assert_eq!(set.video_password_rate_limit, RateLimit { max: 3, window_seconds: 60 });
        assert_eq!(set.video_password_video_rate_limit, RateLimit { max: 50, window_seconds: 3600 });
        assert!(matches!(
            with_s3(&[("VIDEO_PASSWORD_RATE_LIMIT", "0/60")]).unwrap_err(),
            ConfigError::Invalid { name: "VIDEO_PASSWORD_RATE_LIMIT", .. }
        ));
    }

    #[test]
    fn debug_never_shows_the_s3_secret() {
        let mut all = S3_KEYS.to_vec();
        all.push(("S3_ENDPOINT", "https://s3.example"));
        let config = with_s3(&all).unwrap();
        let shown = format!("{:?} {:?}", config.media, config.media.direct_upload);
        assert!(shown.contains("AKIAIOSFODNN7EXAMPLE"), "{shown}");
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
    }
}
