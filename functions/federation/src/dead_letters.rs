//! Federation's dead letters: inbox activities that could not be applied and deliveries that
//! kept failing past the retry schedule. An admin lists them and replays one, which queues it
//! again from its first attempt.

use edgetube_ports::{Delivery, InboxWork, Ports, QueueMessage, Statement};
use serde::{Deserialize, Serialize};

use crate::FederationError;

/// Which side a dead letter is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An activity we received and could not apply.
    Inbox,
    /// One of our activities that did not reach an inbox.
    Delivery,
}

impl Kind {
    /// `inbox` or `delivery`, as in the API's paths.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "inbox" => Some(Self::Inbox),
            "delivery" => Some(Self::Delivery),
            _ => None,
        }
    }
}

/// One dead letter, as the admin API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// Inbox or delivery.
    pub kind: Kind,
    /// Its row (unique per kind).
    pub id: i64,
    /// The activity's id.
    pub activity_id: String,
    /// Where it was going (deliveries) or who signed it (inbox).
    pub peer: String,
    /// Attempts made.
    pub attempts: i64,
    /// The last failure.
    pub last_error: String,
    /// When it was given up on (ms).
    pub failed_at: i64,
}

#[derive(Deserialize)]
struct Row {
    id: i64,
    activity_id: String,
    peer: String,
    attempts: i64,
    last_error: Option<String>,
    failed_at: i64,
}

/// Every dead letter, newest first (a page, and the total).
pub async fn list(
    ports: &Ports<'_>,
    start: i64,
    count: i64,
) -> Result<(i64, Vec<DeadLetter>), FederationError> {
    const UNION: &str =
        "SELECT 'inbox' AS kind, id, ap_id AS activity_id, signer AS peer, attempts, last_error, \
         updated_at AS failed_at FROM inbox_activities WHERE state = 'dead' \
         UNION ALL SELECT 'delivery' AS kind, d.id, o.ap_id AS activity_id, d.inbox_url AS peer, d.attempts, \
         d.last_error, d.created_at AS failed_at FROM delivery_dead_letters d \
         JOIN outbox_activities o ON o.id = d.outbox_id";
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    #[derive(Deserialize)]
    struct Tagged {
        kind: String,
        #[serde(flatten)]
        row: Row,
    }
    let total: Option<Count> =
        ports.sql.fetch_optional(Statement::new(format!("SELECT COUNT(*) AS n FROM ({UNION})"))).await?;
    let rows: Vec<Tagged> = ports
        .sql
        .fetch_all(
            Statement::new(format!("{UNION} ORDER BY failed_at DESC, id DESC LIMIT ?1 OFFSET ?2"))
                .bind(count)
                .bind(start),
        )
        .await?;
    let letters = rows
        .into_iter()
        .filter_map(|t| {
            Some(DeadLetter {
                kind: Kind::parse(&t.kind)?,
                id: t.row.id,
                activity_id: t.row.activity_id,
                peer: t.row.peer,
                attempts: t.row.attempts,
                last_error: t.row.last_error.unwrap_or_default(),
                failed_at: t.row.failed_at,
            })
        })
        .collect();
    Ok((total.map_or(0, |c| c.n), letters))
}

/// Queues dead letter `id` of `kind` again from its first attempt; `false` when there is none.
pub async fn replay(ports: &Ports<'_>, kind: Kind, id: i64) -> Result<bool, FederationError> {
    let now = ports.clock.now_millis();
    match kind {
        Kind::Inbox => {
            let changed = ports
                .sql
                .execute(
                    Statement::new(
                        "UPDATE inbox_activities SET state = 'queued', attempts = 0, updated_at = ?2 \
                         WHERE id = ?1 AND state = 'dead'",
                    )
                    .bind(id)
                    .bind(now),
                )
                .await?;
            if changed == 0 {
                return Ok(false);
            }
            ports.queue.send(&QueueMessage::Inbox(InboxWork { activity: id, attempt: 0 }), None).await?;
        }
        Kind::Delivery => {
            #[derive(Deserialize)]
            struct Letter {
                outbox_id: i64,
                inbox_url: String,
            }
            let letter: Option<Letter> = ports
                .sql
                .fetch_optional(
                    Statement::new("SELECT outbox_id, inbox_url FROM delivery_dead_letters WHERE id = ?1")
                        .bind(id),
                )
                .await?;
            let Some(letter) = letter else { return Ok(false) };
            // A replay is an admin's deliberate probe: the host's backoff does not hold it back.
            if let Ok(url) = url::Url::parse(&letter.inbox_url) {
                ports
                    .sql
                    .execute(
                        Statement::new("UPDATE federation_hosts SET retry_after = NULL WHERE host = ?1")
                            .bind(crate::delivery::host_of(&url)),
                    )
                    .await?;
            }
            // Queued before the row goes: a failure in between leaves a letter to replay again,
            // never a delivery lost.
            let message = QueueMessage::Deliver(Delivery {
                activity: letter.outbox_id,
                inboxes: vec![letter.inbox_url],
                attempt: 0,
            });
            ports.queue.send(&message, None).await?;
            ports
                .sql
                .execute(Statement::new("DELETE FROM delivery_dead_letters WHERE id = ?1").bind(id))
                .await?;
        }
    }
    Ok(true)
}
