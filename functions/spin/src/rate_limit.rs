//! The rate-limit port on SQL (`rate_windows`, migration 0016): Spin has no Durable Objects.
//!
//! One upsert per hit moves the fixed window and counts in a single statement, so concurrent
//! hits of one key never lose a count; the rule is `FixedWindow`'s, in SQL.

use async_trait::async_trait;
use edgetube_ports::{PortError, RateDecision, RateLimiter, Statement};

use crate::sql::SpinSql;

/// Fixed windows in the component's SQLite database.
pub struct SqlRateLimiter {
    sql: SpinSql,
}

impl SqlRateLimiter {
    pub fn new(sql: SpinSql) -> Self {
        Self { sql }
    }
}

#[derive(serde::Deserialize)]
struct Window {
    started_at: i64,
    count: i64,
}

#[async_trait(?Send)]
impl RateLimiter for SqlRateLimiter {
    async fn hit(
        &self,
        key: &str,
        limit: u32,
        window_seconds: u32,
        now_millis: i64,
    ) -> Result<RateDecision, PortError> {
        let window_ms = i64::from(window_seconds) * 1000;
        // A window that ended (or lies in the future: a clock step back) starts afresh.
        let rows = self.sql.run(
            &Statement::new(
                "INSERT INTO rate_windows (key, started_at, count) VALUES (?1, ?2, 1) \
                 ON CONFLICT (key) DO UPDATE SET \
                   count = CASE WHEN ?2 >= started_at + ?3 OR ?2 < started_at OR count = 0 THEN 1 ELSE count + 1 END, \
                   started_at = CASE WHEN ?2 >= started_at + ?3 OR ?2 < started_at OR count = 0 THEN ?2 ELSE started_at END \
                 RETURNING started_at, count",
            )
            .bind(key)
            .bind(now_millis)
            .bind(window_ms),
        )?;
        let row = rows
            .into_iter()
            .next()
            .ok_or_else(|| PortError::unavailable("rate_limit", "the upsert returned no window"))?;
        let window: Window = serde_json::from_value(serde_json::Value::Object(row))
            .map_err(|e| PortError::invalid("rate_limit", e.to_string()))?;
        let count = u32::try_from(window.count).unwrap_or(u32::MAX);
        Ok(RateDecision {
            allowed: count <= limit,
            limit,
            remaining: limit.saturating_sub(count),
            reset_at_millis: window.started_at + window_ms,
        })
    }

    async fn refund(&self, key: &str, window_seconds: u32, counted: &RateDecision) -> Result<(), PortError> {
        // Only a hit of the window still running is given back.
        self.sql.run(
            &Statement::new(
                "UPDATE rate_windows SET count = count - 1 WHERE key = ?1 AND count > 0 AND started_at + ?2 = ?3",
            )
            .bind(key)
            .bind(i64::from(window_seconds) * 1000)
            .bind(counted.reset_at_millis),
        )?;
        Ok(())
    }
}
