//! The view-counter port on SQL (`view_marks`, migration 0016): Spin has no Durable Objects.
//!
//! A view counts when its viewer's mark is missing or expired; the mark and the count are
//! written in one batch, so a count is never doubled. Spin's SQLite is local to the instance's
//! host, so the write per counted view the Workers' objects aggregate away costs little here.

use async_trait::async_trait;
use edgetube_domain::views::add_views;
use edgetube_ports::{PortError, Statement, ViewCounter};

use crate::sql::SpinSql;

/// View windows in the component's SQLite database.
pub struct SqlViewCounter {
    sql: SpinSql,
}

impl SqlViewCounter {
    pub fn new(sql: SpinSql) -> Self {
        Self { sql }
    }
}

/// Marks older than this many windows are pruned while recording.
const PRUNE_EVERY: i64 = 64;

#[async_trait(?Send)]
impl ViewCounter for SqlViewCounter {
    async fn record(
        &self,
        video_id: i64,
        viewer: &str,
        window_seconds: u32,
        now_millis: i64,
    ) -> Result<bool, PortError> {
        let until = now_millis + i64::from(window_seconds) * 1000;
        let marked = self.sql.run(
            &Statement::new(
                "INSERT INTO view_marks (video_id, viewer, counted_until) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (video_id, viewer) DO UPDATE SET counted_until = excluded.counted_until \
                 WHERE counted_until <= ?4 RETURNING 1 AS counted",
            )
            .bind(video_id)
            .bind(viewer)
            .bind(until)
            .bind(now_millis),
        )?;
        if marked.is_empty() {
            return Ok(false);
        }
        self.sql.run(&add_views(video_id, 1))?;
        if now_millis % PRUNE_EVERY == 0 {
            self.sql
                .run(&Statement::new("DELETE FROM view_marks WHERE counted_until <= ?1").bind(now_millis))?;
        }
        Ok(true)
    }
}
