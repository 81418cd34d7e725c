//! The queue consumer's half of delivery: a [`Delivery`] message names an outbox activity and a
//! few inboxes; each gets one signed POST.
//!
//! - An answer in 2xx delivers. A 4xx other than 408 and 429 is the inbox's final word (gone,
//!   refused, blocked): logged and not retried, since the same request would get the same answer.
//! - No answer, 5xx, 408 and 429 are failures: the inbox is retried on the [`RetrySchedule`] for
//!   at least a day, then kept as a dead letter.
//! - A host that failed [`FAILURES_BEFORE_BACKOFF`](crate::hosts::FAILURES_BEFORE_BACKOFF) times
//!   in a row is not tried until its backoff ends; then one delivery probes it for all.
//! - Signatures: RFC 9421 first to a host we know nothing of, draft-cavage when it refuses that
//!   (400, 401, 403), and whichever it accepted is remembered per host.

use bytes::Bytes;
use edgetube_domain::InstanceConfig;
use edgetube_ports::{Delivery, HttpLimits, Ports, Statement};
use url::Url;

use crate::blocklist;
use crate::hosts::{self, SignatureScheme};
use crate::outbox;
use crate::policy::OutboundPolicy;
use crate::retry::RetrySchedule;
use crate::signing::{self, Signer};
use crate::FederationError;

/// How long one delivery may take: PeerTube's own timeout is 7 s.
const DELIVERY_LIMITS: HttpLimits = HttpLimits::new(64 * 1024, 10_000);

/// What became of one message's inboxes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Inboxes that took the activity.
    pub delivered: Vec<String>,
    /// Inboxes that refused it for good (4xx) or that we will not send to, with why.
    pub refused: Vec<(String, String)>,
    /// Inboxes queued again, with why: a failure, or their host backed off.
    pub retried: Vec<(String, String)>,
    /// Inboxes given up on: dead letters.
    pub dead: Vec<String>,
}

/// How one POST went.
enum Outcome {
    Delivered(Option<SignatureScheme>),
    Refused(u16),
    Failed(String),
}

/// Delivers `work` and queues what must be tried again. Errors are the ports' (the message is
/// then retried whole by the queue); remote failures are handled here, inbox by inbox.
pub async fn deliver(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    work: &Delivery,
) -> Result<DeliveryReport, FederationError> {
    let mut report = DeliveryReport::default();
    let Some(activity) = outbox::load(ports, work.activity).await? else {
        // The author was deleted with its outbox: nothing left to send.
        return Ok(report);
    };
    let signer = Signer::for_outbox(ports, config, &activity).await?;
    let policy = OutboundPolicy { allow_local: config.federation.allow_local_peers };
    let schedule = RetrySchedule { base_seconds: config.federation.retry_base_seconds };
    let body = Bytes::from(activity.body.clone());
    let mut waiting: Vec<(String, u32)> = Vec::new();
    let mut failed: Vec<(String, String)> = Vec::new();
    for inbox in &work.inboxes {
        let url = match policy.check(inbox) {
            Ok(url) => url,
            Err(e) => {
                // Stored before the policy got stricter, say: it will not get better.
                report.refused.push((inbox.clone(), e.to_string()));
                continue;
            }
        };
        let host = host_of(&url);
        if blocklist::server_blocked(ports.sql, &host).await? {
            report.refused.push((inbox.clone(), "the server is blocked here".into()));
            continue;
        }
        let now = ports.clock.now_millis();
        let health = hosts::health(ports.sql, &host).await?;
        if let Some(wait) = health.wait_seconds(now) {
            waiting.push((inbox.clone(), wait));
            continue;
        }
        if health.consecutive_failures >= hosts::FAILURES_BEFORE_BACKOFF
            && !hosts::claim_probe(ports.sql, &host, now, i64::from(schedule.base_seconds) * 1000).await?
        {
            // Another delivery is probing this host right now.
            waiting.push((inbox.clone(), schedule.base_seconds));
            continue;
        }
        match post(ports, &signer, &url, &body, health.scheme).await {
            Outcome::Delivered(scheme) => {
                ports.sql.execute(hosts::succeeded(&host, scheme, ports.clock.now_millis())).await?;
                report.delivered.push(inbox.clone());
            }
            Outcome::Refused(status) => {
                // The host answered: it is up, whatever it thinks of this activity.
                ports.sql.execute(hosts::succeeded(&host, None, ports.clock.now_millis())).await?;
                report.refused.push((inbox.clone(), format!("HTTP {status}")));
            }
            Outcome::Failed(reason) => {
                hosts::failed(ports.sql, &host, schedule, ports.clock.now_millis()).await?;
                failed.push((inbox.clone(), reason));
            }
        }
    }
    let next = work.attempt.saturating_add(1);
    match schedule.after_failure(work.attempt) {
        Some(delay) => {
            let inboxes: Vec<String> = failed.iter().map(|(inbox, _)| inbox.clone()).collect();
            outbox::enqueue(ports, activity.id, &inboxes, next, Some(delay)).await?;
            report.retried.extend(failed.iter().cloned());
            for (inbox, wait) in waiting {
                outbox::enqueue(ports, activity.id, std::slice::from_ref(&inbox), next, Some(wait)).await?;
                report.retried.push((inbox, format!("host backed off for {wait} s")));
            }
        }
        None => {
            let reason = |inbox: &str| {
                failed
                    .iter()
                    .find(|(i, _)| i == inbox)
                    .map_or_else(|| "host backed off".to_owned(), |(_, r)| r.clone())
            };
            let dead: Vec<String> =
                failed.iter().map(|(i, _)| i.clone()).chain(waiting.into_iter().map(|(i, _)| i)).collect();
            let now = ports.clock.now_millis();
            let statements = dead
                .iter()
                .map(|inbox| {
                    Statement::new(
                        "INSERT INTO delivery_dead_letters (outbox_id, inbox_url, attempts, last_error, created_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (outbox_id, inbox_url) DO UPDATE SET \
                         attempts = excluded.attempts, last_error = excluded.last_error, \
                         created_at = excluded.created_at",
                    )
                    .bind(activity.id)
                    .bind(inbox.as_str())
                    .bind(i64::from(next))
                    .bind(reason(inbox))
                    .bind(now)
                })
                .collect::<Vec<_>>();
            if !statements.is_empty() {
                ports.sql.batch(statements).await?;
            }
            report.dead = dead;
        }
    }
    Ok(report)
}

/// POSTs `body` to `url` signed by `signer`: with the host's known scheme, or RFC 9421 first and
/// draft-cavage when that is refused.
async fn post(
    ports: &Ports<'_>,
    signer: &Signer,
    url: &Url,
    body: &Bytes,
    known: Option<SignatureScheme>,
) -> Outcome {
    let first = known.unwrap_or(SignatureScheme::Rfc9421);
    match post_once(ports, signer, url, body, first).await {
        Ok(status) if (200..300).contains(&status) => Outcome::Delivered(Some(first)),
        Ok(400 | 401 | 403) if known.is_none() => {
            match post_once(ports, signer, url, body, SignatureScheme::Cavage).await {
                Ok(status) if (200..300).contains(&status) => {
                    Outcome::Delivered(Some(SignatureScheme::Cavage))
                }
                other => classify(other),
            }
        }
        other => classify(other),
    }
}

fn classify(result: Result<u16, FederationError>) -> Outcome {
    match result {
        Ok(status) if (200..300).contains(&status) => Outcome::Delivered(None),
        Ok(status @ (408 | 429)) => Outcome::Failed(format!("HTTP {status}")),
        Ok(status) if (400..500).contains(&status) => Outcome::Refused(status),
        Ok(status) => Outcome::Failed(format!("HTTP {status}")),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

async fn post_once(
    ports: &Ports<'_>,
    signer: &Signer,
    url: &Url,
    body: &Bytes,
    scheme: SignatureScheme,
) -> Result<u16, FederationError> {
    let request = signing::signed_post(ports, signer, url, body.clone(), scheme).await?;
    let response = ports.http.send(request, DELIVERY_LIMITS).await?;
    Ok(response.status().as_u16())
}

/// `host[:port]` of a URL, the unit of health.
pub fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => String::new(),
    }
}
