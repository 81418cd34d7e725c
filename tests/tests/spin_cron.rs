//! Spin's cron trigger, end to end: `spin.toml`'s `tick` cron component (functions/spin-cron),
//! run by the local harness on its sped-up schedule, drains a delayed outbox message while nobody
//! calls the instance (no request, so no after-request drain, and no tick from the test).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use edgetube_e2e::{Instance, Platform};

/// Rows of the outbox still waiting (neither settled nor dead).
fn waiting(instance: &Instance) -> Result<i64> {
    let conn = rusqlite::Connection::open(instance.state_dir().join("default.db"))?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(conn.query_row("SELECT count(*) FROM job_outbox WHERE dead_at IS NULL", [], |row| row.get(0))?)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cron_component_drains_a_delayed_message_with_no_request() -> Result<()> {
    let instance = Instance::start_on(Platform::Spin, &[]).await?;
    assert_eq!(waiting(&instance)?, 0, "a new instance has an empty outbox");
    // An inbox message for a row that does not exist, due in 2 s: its consumer settles it as
    // ignored. Written straight to the database: no request reaches the instance from here on.
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as i64;
    instance.execute_sql(&format!(
        "INSERT INTO job_outbox (message, due_at) VALUES \
         ('{{\"type\":\"inbox\",\"activity\":987654321,\"attempt\":0}}', {})",
        now_ms + 2_000
    ))?;
    assert_eq!(waiting(&instance)?, 1);
    let mut drained = false;
    for _ in 0..60 {
        if waiting(&instance)? == 0 {
            drained = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(drained, "the delayed message was never drained; log:\n{}", instance.log_tail());
    // The line is the cron component's own: its tick settled the message.
    let mut logged = false;
    for _ in 0..20 {
        if instance.log_tail().contains("cron tick: 1 outbox messages settled, 0 retried later, 0 dead") {
            logged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(logged, "no cron tick line in the log:\n{}", instance.log_tail());
    Ok(())
}
