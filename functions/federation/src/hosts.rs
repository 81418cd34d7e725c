//! What this instance knows of each remote host it delivers to: whether it is failing (and so
//! until when deliveries wait rather than try), and which signature scheme it accepted.
//!
//! A host that keeps failing costs one probe per backoff step, not one attempt per activity:
//! while `retry_after` is in the future, deliveries to it are put back on the queue untried, and
//! when it passes exactly one delivery claims the probe ([`claim_probe`]).

use edgetube_ports::{Sql, Statement};
use serde::Deserialize;

use crate::retry::RetrySchedule;
use crate::FederationError;

/// Failures in a row after which a host is backed off as a whole.
pub const FAILURES_BEFORE_BACKOFF: i64 = 3;

/// The signature scheme a host accepted, remembered so it is asked only once (double knocking).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureScheme {
    /// RFC 9421 HTTP Message Signatures.
    Rfc9421,
    /// draft-cavage HTTP Signatures, what PeerTube and older Mastodon verify.
    Cavage,
}

impl SignatureScheme {
    fn as_str(self) -> &'static str {
        match self {
            Self::Rfc9421 => "rfc9421",
            Self::Cavage => "cavage",
        }
    }
}

/// A host's health as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostHealth {
    /// Failed deliveries in a row.
    pub consecutive_failures: i64,
    /// Until when (ms) deliveries wait instead of trying.
    pub retry_after: Option<i64>,
    /// The scheme it accepted last, if known.
    pub scheme: Option<SignatureScheme>,
}

impl HostHealth {
    /// Whether deliveries to it should wait at `now`, and for how many seconds.
    pub fn wait_seconds(&self, now: i64) -> Option<u32> {
        let until = self.retry_after.filter(|_| self.consecutive_failures >= FAILURES_BEFORE_BACKOFF)?;
        (until > now).then(|| u32::try_from((until - now + 999) / 1000).unwrap_or(u32::MAX).max(1))
    }
}

#[derive(Deserialize)]
struct Row {
    consecutive_failures: i64,
    retry_after: Option<i64>,
    signature_scheme: Option<String>,
}

/// The stored health of `host` (a healthy default when unknown).
pub async fn health(sql: &dyn Sql, host: &str) -> Result<HostHealth, FederationError> {
    let row: Option<Row> = sql
        .fetch_optional(
            Statement::new(
                "SELECT consecutive_failures, retry_after, signature_scheme FROM federation_hosts WHERE host = ?1",
            )
            .bind(host),
        )
        .await?;
    Ok(row.map_or_else(HostHealth::default, |row| HostHealth {
        consecutive_failures: row.consecutive_failures,
        retry_after: row.retry_after,
        scheme: match row.signature_scheme.as_deref() {
            Some("rfc9421") => Some(SignatureScheme::Rfc9421),
            Some("cavage") => Some(SignatureScheme::Cavage),
            _ => None,
        },
    }))
}

/// Whether this caller may probe a backed-off host now: moves `retry_after` one probe window
/// ahead in the same statement that checks it passed, so concurrent deliveries elect one prober.
pub async fn claim_probe(
    sql: &dyn Sql,
    host: &str,
    now: i64,
    window_ms: i64,
) -> Result<bool, FederationError> {
    Ok(sql
        .execute(
            Statement::new(
                "UPDATE federation_hosts SET retry_after = ?3, updated_at = ?2 \
                 WHERE host = ?1 AND (retry_after IS NULL OR retry_after <= ?2)",
            )
            .bind(host)
            .bind(now)
            .bind(now + window_ms),
        )
        .await?
        > 0)
}

/// Records a delivery that reached `host` (any answer but a server error or no answer).
pub fn succeeded(host: &str, scheme: Option<SignatureScheme>, now: i64) -> Statement {
    Statement::new(
        "INSERT INTO federation_hosts (host, consecutive_failures, retry_after, signature_scheme, updated_at) \
         VALUES (?1, 0, NULL, ?2, ?3) ON CONFLICT (host) DO UPDATE SET consecutive_failures = 0, \
         retry_after = NULL, signature_scheme = COALESCE(excluded.signature_scheme, signature_scheme), \
         updated_at = excluded.updated_at",
    )
    .bind(host)
    .bind(scheme.map(SignatureScheme::as_str))
    .bind(now)
}

/// Records a failed delivery to `host`; from [`FAILURES_BEFORE_BACKOFF`] failures on, the host
/// waits the schedule's delay for its failure count.
pub async fn failed(
    sql: &dyn Sql,
    host: &str,
    schedule: RetrySchedule,
    now: i64,
) -> Result<(), FederationError> {
    let current = health(sql, host).await?;
    let failures = current.consecutive_failures + 1;
    let retry_after = (failures >= FAILURES_BEFORE_BACKOFF).then(|| {
        let step = u32::try_from(failures - FAILURES_BEFORE_BACKOFF).unwrap_or(u32::MAX);
        // Past the schedule's horizon a host still gets probed at the longest interval.
        let seconds = schedule.after_failure(step).unwrap_or(schedule.base_seconds.saturating_mul(360));
        now + i64::from(seconds) * 1000
    });
    sql.execute(
        Statement::new(
            "INSERT INTO federation_hosts (host, consecutive_failures, retry_after, updated_at) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (host) DO UPDATE SET \
             consecutive_failures = excluded.consecutive_failures, retry_after = excluded.retry_after, \
             updated_at = excluded.updated_at",
        )
        .bind(host)
        .bind(failures)
        .bind(retry_after)
        .bind(now),
    )
    .await?;
    Ok(())
}
