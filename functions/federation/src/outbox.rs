//! Activities this instance authors: stored once, then handed to the queue in small groups of
//! inboxes for [`delivery`](crate::delivery) to sign and send.
//!
//! Every enqueue is awaited before [`publish`] returns, so the request that caused an activity
//! is answered only once its delivery is safe on the queue (a send left running when a Worker
//! answers can be lost with the isolate).

use edgetube_ports::{Delivery, Ports, QueueMessage, Statement};
use serde::Deserialize;
use serde_json::Value;

use crate::FederationError;

/// Inboxes per queue message: one consumer batch (10 messages) then makes at most 200 requests,
/// far below a paid Worker's subrequest limit, and one slow host delays few others.
pub const INBOXES_PER_MESSAGE: usize = 20;

/// An activity we authored, ready to store and deliver.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The activity's id.
    pub ap_id: String,
    /// The local actor that signs it (the instance actor for a departed actor's Delete).
    pub actor_id: i64,
    /// The departed actor (`edgetube_domain::departed_actors`) whose key signs it instead.
    pub departed_id: Option<i64>,
    /// The activity, with its object integrity proof already added.
    pub body: Value,
}

/// Stores `activity` (once: publishing the same id again reuses the row) and queues its delivery
/// to `inboxes`, [`INBOXES_PER_MESSAGE`] per message. Returns the outbox row.
pub async fn publish(
    ports: &Ports<'_>,
    activity: &Outgoing,
    inboxes: &[String],
) -> Result<i64, FederationError> {
    let now = ports.clock.now_millis();
    let body = serde_json::to_string(&activity.body)
        .map_err(|e| FederationError::Inconsistent(format!("activity does not serialize: {e}")))?;
    ports
        .sql
        .execute(
            Statement::new(
                "INSERT INTO outbox_activities (ap_id, actor_id, body, created_at, departed_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (ap_id) DO UPDATE SET body = excluded.body, \
                 actor_id = excluded.actor_id, departed_id = excluded.departed_id",
            )
            .bind(activity.ap_id.as_str())
            .bind(activity.actor_id)
            .bind(body)
            .bind(now)
            .bind(activity.departed_id),
        )
        .await?;
    let id = row_id(ports, &activity.ap_id).await?;
    enqueue(ports, id, inboxes, 0, None).await?;
    Ok(id)
}

/// Queues `inboxes` of outbox row `activity` as messages of [`INBOXES_PER_MESSAGE`].
pub async fn enqueue(
    ports: &Ports<'_>,
    activity: i64,
    inboxes: &[String],
    attempt: u32,
    delay_seconds: Option<u32>,
) -> Result<(), FederationError> {
    for group in inboxes.chunks(INBOXES_PER_MESSAGE) {
        let message = QueueMessage::Deliver(Delivery { activity, inboxes: group.to_vec(), attempt });
        ports.queue.send(&message, delay_seconds).await?;
    }
    Ok(())
}

/// Whether an activity with id `ap_id` was ever published (a video's `Create`: later changes
/// are `Update`s).
pub async fn exists(ports: &Ports<'_>, ap_id: &str) -> Result<bool, FederationError> {
    Ok(!ports
        .sql
        .query(Statement::new("SELECT 1 AS x FROM outbox_activities WHERE ap_id = ?1").bind(ap_id))
        .await?
        .is_empty())
}

async fn row_id(ports: &Ports<'_>, ap_id: &str) -> Result<i64, FederationError> {
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    let row: Option<Id> = ports
        .sql
        .fetch_optional(Statement::new("SELECT id FROM outbox_activities WHERE ap_id = ?1").bind(ap_id))
        .await?;
    row.map(|r| r.id).ok_or_else(|| FederationError::Inconsistent(format!("outbox row of {ap_id} vanished")))
}

/// A stored outbox activity.
#[derive(Debug, Clone, Deserialize)]
pub struct Stored {
    /// Row id.
    pub id: i64,
    /// The activity's id.
    pub ap_id: String,
    /// Its author.
    pub actor_id: i64,
    /// The departed actor whose kept key signs it, if its author is gone.
    pub departed_id: Option<i64>,
    /// The activity as JSON text, sent byte for byte.
    pub body: String,
}

/// The outbox row `id`.
pub async fn load(ports: &Ports<'_>, id: i64) -> Result<Option<Stored>, FederationError> {
    Ok(ports
        .sql
        .fetch_optional(
            Statement::new(
                "SELECT id, ap_id, actor_id, departed_id, body FROM outbox_activities WHERE id = ?1",
            )
            .bind(id),
        )
        .await?)
}
