//! Edgetube's domain: who this instance is and who lives on it.
//!
//! - [`InstanceConfig`]: the public origin, names and secrets, validated once from plain strings.
//! - [`actors`]: the `Application`, `Person` and `Group` actors and their SQL rows.
//! - [`channels`]: creating, listing, searching, updating and deleting channels.
//! - [`remote_actors`] and [`follows`]: actors of other servers, and who follows whom.
//! - [`keys::KeyVault`]: actor private keys sealed at rest with a key derived from a secret.
//! - [`videos`]: video rows, tags, passwords, lists and full-text search.
//! - [`bootstrap::ensure_instance`]: the idempotent first start (instance actor, `root` admin
//!   and its default channel).
//!
//! The media storage built on these (uploads, runner jobs, renditions, torrents) is
//! `edgetube-media`; the SigV4 signing of R2 URLs is `edgetube-sigv4`.
//!
//! Every operation takes [`edgetube_ports::Ports`]; nothing here knows a runtime, reads the
//! system clock or draws randomness except through the ports.

pub mod actors;
pub mod blocks;
pub mod bootstrap;
pub mod channels;
pub mod comments;
mod config;
pub mod departed_actors;
mod error;
pub mod feed_tokens;
pub mod file_tokens;
pub mod follows;
pub mod keys;
pub mod oauth;
pub mod password;
pub mod ratings;
pub mod registrations;
pub mod remote_actors;
pub mod shares;
pub mod users;
pub mod videos;
pub mod views;

pub use config::{
    ConfigError, DirectUploadConfig, FederationConfig, InstanceConfig, MediaConfig, Origin, RateLimit,
    SignupPolicy,
};
pub use error::DomainError;

/// Username of the instance `Application` actor, fixed by PeerTube (`/accounts/peertube`).
pub const INSTANCE_ACTOR_NAME: &str = "peertube";

/// Username of the bootstrapped administrator, as in PeerTube.
pub const ADMIN_USERNAME: &str = "root";

/// Milliseconds since the epoch as JavaScript's `toISOString()` writes them
/// (`2026-11-21T21:10:12.254Z`), the form PeerTube puts in every date field.
pub fn iso8601_millis(millis: i64) -> String {
    use time::macros::format_description;
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".to_owned())
}

/// Parses an ISO 8601 date-time (`2026-11-21T21:50:12.254Z`, any offset) or a bare date
/// (`2026-11-21`, midnight UTC) into milliseconds since the epoch; `None` when malformed.
pub fn parse_iso8601_millis(text: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    let datetime = time::OffsetDateTime::parse(text, &Rfc3339).ok().or_else(|| {
        time::Date::parse(text, &format_description!("[year]-[month]-[day]"))
            .ok()
            .map(|d| d.midnight().assume_utc())
    })?;
    i64::try_from(datetime.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod time_tests {
    #[test]
    fn iso8601_matches_javascript() {
        assert_eq!(super::iso8601_millis(1_795_297_812_254), "2026-11-21T21:50:12.254Z");
        assert_eq!(super::iso8601_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::parse_iso8601_millis("2026-11-21T21:50:12.254Z"), Some(1_795_297_812_254));
        assert_eq!(super::parse_iso8601_millis("1970-01-02"), Some(86_400_000));
        assert_eq!(super::parse_iso8601_millis("yesterday"), None);
    }
}
