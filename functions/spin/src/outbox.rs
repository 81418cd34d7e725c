//! The job queue port as a durable SQL outbox (`job_outbox`, migration 0016): Spin has no queue.
//!
//! `send` is one insert, so a message is stored before the request that made it is answered.
//! [`drain`] runs due messages through the same consumer the Worker's queue calls
//! ([`App::handle_queue_message`]): each row is leased first (a conditional update only one
//! drainer wins), deleted once settled, and on `RetryLater` put back with the queue's delay;
//! after [`MAX_RETRIES`] it is kept as a dead letter. A drainer that dies mid-job leaves its
//! lease to expire, and the next drain runs the message again: at least once, like Queues.

use async_trait::async_trait;
use edgetube_app::{App, QueueOutcome};
use edgetube_ports::{JobQueue, PortError, Ports, QueueMessage, Statement};

use crate::sql::SpinSql;

/// Retries before a message becomes a dead letter (`max_retries` of the Worker's consumer).
pub const MAX_RETRIES: i64 = 10;
/// Delay before a message the consumer wants again runs again (the Worker's `retry` delay).
const RETRY_DELAY_MS: i64 = 5_000;
/// How long a drainer holds a message unless `outbox_lease_seconds` says otherwise: longer than
/// any one job may take. A drainer that dies (the host killed mid-delivery) holds its message
/// this long before another drain runs it again.
const DEFAULT_LEASE_SECONDS: i64 = 120;
/// The most messages one request runs after answering (the tick runs more).
pub const REQUEST_DRAIN_LIMIT: usize = 10;
/// The longest delay a message may ask for (the queue port's 12 h).
const MAX_DELAY_SECONDS: u32 = 12 * 3600;

/// The outbox in the component's SQLite database.
pub struct SqlOutbox {
    sql: SpinSql,
}

impl SqlOutbox {
    pub fn new(sql: SpinSql) -> Self {
        Self { sql }
    }
}

/// The lease, from the `outbox_lease_seconds` variable (at least 10 s: a delivery may take that).
fn lease_ms() -> i64 {
    let seconds = crate::config::var("outbox_lease_seconds")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(DEFAULT_LEASE_SECONDS);
    seconds.max(10) * 1000
}

fn now() -> i64 {
    use edgetube_ports::Clock;
    crate::clock::SystemClock.now_millis()
}

#[async_trait(?Send)]
impl JobQueue for SqlOutbox {
    async fn send(&self, message: &QueueMessage, delay_seconds: Option<u32>) -> Result<(), PortError> {
        let text = serde_json::to_string(message).map_err(|e| PortError::invalid("queue", e.to_string()))?;
        let delay_ms = i64::from(delay_seconds.unwrap_or(0).min(MAX_DELAY_SECONDS)) * 1000;
        self.sql.run(
            &Statement::new("INSERT INTO job_outbox (message, due_at) VALUES (?1, ?2)")
                .bind(text)
                .bind(now() + delay_ms),
        )?;
        Ok(())
    }
}

/// What one drain did.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Drained {
    /// Messages settled (done or dropped).
    pub settled: usize,
    /// Messages put back for a later attempt.
    pub retried: usize,
    /// Messages given up on after their last retry.
    pub dead: usize,
}

#[derive(serde::Deserialize)]
struct Due {
    id: i64,
    message: String,
    attempts: i64,
}

/// Runs up to `limit` due messages; errors of the store are logged and end the drain (the
/// messages stay and the next drain takes them).
pub async fn drain(app: &App, ports: &Ports<'_>, limit: usize) -> Drained {
    let mut drained = Drained::default();
    for _ in 0..limit {
        match drain_one(app, ports, &mut drained).await {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                eprintln!("outbox drain stopped: {e}");
                break;
            }
        }
    }
    drained
}

/// Leases and runs the next due message; `false` when there is none.
async fn drain_one(app: &App, ports: &Ports<'_>, drained: &mut Drained) -> Result<bool, PortError> {
    let started = now();
    let lease = lease_ms();
    let due: Option<Due> = ports
        .sql
        .fetch_optional(
            Statement::new(
                "SELECT id, message, attempts FROM job_outbox WHERE dead_at IS NULL AND due_at <= ?1 \
                 AND (leased_until IS NULL OR leased_until <= ?1) ORDER BY due_at, id LIMIT 1",
            )
            .bind(started),
        )
        .await?;
    let Some(due) = due else { return Ok(false) };
    let leased = ports
        .sql
        .execute(
            Statement::new(
                "UPDATE job_outbox SET leased_until = ?2 WHERE id = ?1 \
                 AND (leased_until IS NULL OR leased_until <= ?3)",
            )
            .bind(due.id)
            .bind(started + lease)
            .bind(started),
        )
        .await?;
    if leased != 1 {
        // Another drainer took it between our read and our lease.
        return Ok(true);
    }
    let outcome = match serde_json::from_str::<QueueMessage>(&due.message) {
        Ok(message) => app.handle_queue_message(ports, &message).await,
        Err(e) => QueueOutcome::Drop(format!("unreadable message: {e}")),
    };
    match outcome {
        QueueOutcome::Done => settle(ports, due.id, drained).await?,
        QueueOutcome::DoneWith(note) => {
            eprintln!("{note}");
            settle(ports, due.id, drained).await?;
        }
        QueueOutcome::Drop(reason) => {
            eprintln!("dropping queue message {}: {reason}", due.id);
            settle(ports, due.id, drained).await?;
        }
        QueueOutcome::RetryLater if due.attempts + 1 > MAX_RETRIES => {
            eprintln!("queue message {} is a dead letter after {} attempts", due.id, due.attempts + 1);
            ports
                .sql
                .execute(
                    Statement::new(
                        "UPDATE job_outbox SET dead_at = ?2, attempts = attempts + 1 WHERE id = ?1",
                    )
                    .bind(due.id)
                    .bind(now()),
                )
                .await?;
            drained.dead += 1;
        }
        QueueOutcome::RetryLater => {
            ports
                .sql
                .execute(
                    Statement::new(
                        "UPDATE job_outbox SET attempts = attempts + 1, due_at = ?2, leased_until = NULL \
                         WHERE id = ?1",
                    )
                    .bind(due.id)
                    .bind(now() + RETRY_DELAY_MS),
                )
                .await?;
            drained.retried += 1;
        }
    }
    Ok(true)
}

async fn settle(ports: &Ports<'_>, id: i64, drained: &mut Drained) -> Result<(), PortError> {
    ports.sql.execute(Statement::new("DELETE FROM job_outbox WHERE id = ?1").bind(id)).await?;
    drained.settled += 1;
    Ok(())
}
