//! [`Sql`]: values and integers up to 2^53 round-trip, `execute` counts changed rows, batches
//! run in order and atomically, and errors are sorted into the [`PortError`] kinds the trait
//! and `PortError` document (a unique violation is `Conflict`, bad SQL is `Invalid`).

use edgetube_ports::{PortError, Sql, SqlValue, Statement};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{ensure, Failure, Report, Run};

/// The table the checks write to, created when missing; each run's rows carry its id in `run`
/// and are deleted at the end. `v` has no declared type, so SQLite stores every value as bound.
pub const PROBE_TABLE: &str = "conformance_probe";

/// The largest integer the port promises (|n| < 2^53).
const MAX_SAFE: i64 = (1 << 53) - 1;

/// Runs every SQL check.
pub async fn check_sql(sql: &dyn Sql, run: &Run) -> Report {
    let mut report = Report::new(run);
    let created = sql
        .execute(Statement::new(format!(
            "CREATE TABLE IF NOT EXISTS {PROBE_TABLE} (id TEXT PRIMARY KEY, run TEXT NOT NULL, v, i INTEGER)"
        )))
        .await;
    if let Err(e) = created {
        report.add("sql.setup", Err(Failure(format!("creating {PROBE_TABLE}: {e}"))));
        return report;
    }
    let probe = Probe { sql, run };
    report.add("sql.values_round_trip", probe.values_round_trip().await);
    report.add("sql.integers_up_to_2_pow_53", probe.integers_up_to_2_pow_53().await);
    report.add("sql.blob_reads_as_byte_array", probe.blob_reads_as_byte_array().await);
    report.add("sql.execute_counts_changed_rows", probe.execute_counts_changed_rows().await);
    report.add("sql.fetch_shapes", probe.fetch_shapes().await);
    report.add("sql.batch_runs_in_order", probe.batch_runs_in_order().await);
    report.add("sql.batch_is_atomic_on_conflict", probe.batch_is_atomic_on_conflict().await);
    report.add("sql.batch_is_atomic_on_bad_sql", probe.batch_is_atomic_on_bad_sql().await);
    report.add("sql.unique_violation_is_conflict", probe.unique_violation_is_conflict().await);
    report.add("sql.syntax_error_is_invalid", probe.syntax_error_is_invalid().await);
    report.add("sql.missing_table_is_invalid", probe.missing_table_is_invalid().await);
    let cleanup = sql
        .execute(Statement::new(format!("DELETE FROM {PROBE_TABLE} WHERE run = ?1")).bind(run.id.as_str()))
        .await;
    report.add("sql.cleanup", cleanup.map(drop).map_err(Failure::from));
    report
}

struct Probe<'a> {
    sql: &'a dyn Sql,
    run: &'a Run,
}

#[derive(Debug, Deserialize, PartialEq)]
struct ProbeRow {
    id: String,
    i: Option<i64>,
}

impl Probe<'_> {
    fn id(&self, name: &str) -> String {
        format!("{}/{name}", self.run.id)
    }

    fn insert(&self, name: &str, v: SqlValue, i: Option<i64>) -> Statement {
        Statement::new(format!("INSERT INTO {PROBE_TABLE} (id, run, v, i) VALUES (?1, ?2, ?3, ?4)"))
            .bind(self.id(name))
            .bind(self.run.id.as_str())
            .bind(v)
            .bind(i)
    }

    /// The stored `v` of a row and SQLite's `typeof` of it.
    async fn read_v(&self, name: &str) -> Result<Option<(Value, String)>, Failure> {
        let rows = self
            .sql
            .query(
                Statement::new(format!("SELECT v, typeof(v) AS t FROM {PROBE_TABLE} WHERE id = ?1"))
                    .bind(self.id(name)),
            )
            .await?;
        ensure!(rows.len() <= 1, "{} rows for one primary key", rows.len());
        Ok(rows.into_iter().next().map(|row| {
            let kind = row.get("t").and_then(Value::as_str).unwrap_or_default().to_owned();
            (row.get("v").cloned().unwrap_or(Value::Bool(false)), kind)
        }))
    }

    async fn exists(&self, name: &str) -> Result<bool, Failure> {
        Ok(self.read_v(name).await?.is_some())
    }

    async fn values_round_trip(&self) -> Result<(), Failure> {
        let cases: [(&str, SqlValue, Value, &str); 7] = [
            ("zero", SqlValue::Integer(0), json!(0), "integer"),
            ("negative", SqlValue::Integer(-42), json!(-42), "integer"),
            (
                "text",
                SqlValue::Text("héllo ✓ 'quoted' \"twice\"\n".into()),
                json!("héllo ✓ 'quoted' \"twice\"\n"),
                "text",
            ),
            ("empty", SqlValue::Text(String::new()), json!(""), "text"),
            ("null", SqlValue::Null, Value::Null, "null"),
            ("real", SqlValue::Real(1.5), json!(1.5), "real"),
            ("digits", SqlValue::Text("007".into()), json!("007"), "text"),
        ];
        for (name, value, _, _) in &cases {
            let changed = self.sql.execute(self.insert(name, value.clone(), None)).await?;
            ensure!(changed == 1, "inserting {name} changed {changed} rows");
        }
        for (name, _, expected, kind) in &cases {
            let Some((got, got_kind)) = self.read_v(name).await? else {
                return Err(Failure(format!("{name} was not stored")));
            };
            ensure!(&got == expected, "{name}: read {got}, stored {expected}");
            // D1 binds every number as a JavaScript double, so in a column without INTEGER
            // affinity an integer is stored as REAL (it still reads back as the integer); the
            // port promises the value, not the storage class, so only the others are checked.
            ensure!(
                got_kind == *kind || (*kind == "integer" && got_kind == "real"),
                "{name}: stored as {got_kind}, not {kind}"
            );
        }
        Ok(())
    }

    async fn integers_up_to_2_pow_53(&self) -> Result<(), Failure> {
        for (name, n) in [("max_safe", MAX_SAFE), ("min_safe", -MAX_SAFE), ("millis", 1_795_297_812_254)] {
            self.sql.execute(self.insert(name, SqlValue::Integer(n), Some(n))).await?;
            let Some((got, kind)) = self.read_v(name).await? else {
                return Err(Failure(format!("{name} was not stored")));
            };
            ensure!(got.as_i64() == Some(n), "{n} came back as {got} (stored as {kind})");
            // In an INTEGER column it is an integer on every platform.
            let rows = self
                .sql
                .query(
                    Statement::new(format!("SELECT i, typeof(i) AS t FROM {PROBE_TABLE} WHERE id = ?1"))
                        .bind(self.id(name)),
                )
                .await?;
            let stored = rows.first().and_then(|r| r.get("t")).and_then(Value::as_str);
            ensure!(stored == Some("integer"), "{n} in an INTEGER column stored as {stored:?}");
            let i = rows.first().and_then(|r| r.get("i")).and_then(Value::as_i64);
            ensure!(i == Some(n), "{n} in an INTEGER column came back as {i:?}");
            // Arithmetic in SQL on the stored value stays exact too.
            let rows = self
                .sql
                .query(
                    Statement::new(format!("SELECT i / 2 AS below FROM {PROBE_TABLE} WHERE id = ?1"))
                        .bind(self.id(name)),
                )
                .await?;
            let below = rows.first().and_then(|r| r.get("below")).and_then(Value::as_i64);
            ensure!(below == Some(n / 2), "{n} / 2 computed in SQL came back as {below:?}");
        }
        Ok(())
    }

    /// Not in the trait's words, but `NativeSql` claims D1's shape (an array of byte values)
    /// and the core may read blobs written by SQL functions (`randomblob`, FTS5).
    async fn blob_reads_as_byte_array(&self) -> Result<(), Failure> {
        let rows = self.sql.query(Statement::new("SELECT X'00FF10' AS b")).await?;
        let got = rows.first().and_then(|r| r.get("b")).cloned();
        ensure!(got == Some(json!([0, 255, 16])), "X'00FF10' read as {got:?}");
        Ok(())
    }

    async fn execute_counts_changed_rows(&self) -> Result<(), Failure> {
        for n in 0..3 {
            let changed =
                self.sql.execute(self.insert(&format!("count/{n}"), SqlValue::Integer(n), Some(n))).await?;
            ensure!(changed == 1, "an INSERT of one row reported {changed}");
        }
        let like = format!("{}%", self.id("count/"));
        let update = Statement::new(format!("UPDATE {PROBE_TABLE} SET i = i + 10 WHERE id LIKE ?1"));
        let changed = self.sql.execute(update.clone().bind(like.as_str())).await?;
        ensure!(changed == 3, "an UPDATE of three rows reported {changed}");
        let changed = self.sql.execute(update.bind(self.id("count/none"))).await?;
        ensure!(changed == 0, "an UPDATE of no row reported {changed}");
        let ignored =
            Statement::new(format!("INSERT OR IGNORE INTO {PROBE_TABLE} (id, run) VALUES (?1, ?2)"))
                .bind(self.id("count/0"))
                .bind(self.run.id.as_str());
        let changed = self.sql.execute(ignored).await?;
        ensure!(changed == 0, "an ignored INSERT OR IGNORE reported {changed}");
        let delete =
            Statement::new(format!("DELETE FROM {PROBE_TABLE} WHERE id LIKE ?1")).bind(like.as_str());
        let changed = self.sql.execute(delete).await?;
        ensure!(changed == 3, "a DELETE of three rows reported {changed}");
        Ok(())
    }

    async fn fetch_shapes(&self) -> Result<(), Failure> {
        for (name, i) in [("fetch/a", Some(1)), ("fetch/b", None)] {
            self.sql.execute(self.insert(name, SqlValue::Null, i)).await?;
        }
        let select = |id_like: String| {
            Statement::new(format!("SELECT id, i FROM {PROBE_TABLE} WHERE id LIKE ?1 ORDER BY id"))
                .bind(id_like)
        };
        let all: Vec<ProbeRow> = self.sql.fetch_all(select(format!("{}%", self.id("fetch/")))).await?;
        let expected = vec![
            ProbeRow { id: self.id("fetch/a"), i: Some(1) },
            ProbeRow { id: self.id("fetch/b"), i: None },
        ];
        ensure!(all == expected, "fetch_all read {all:?}");
        let one: Option<ProbeRow> = self.sql.fetch_optional(select(self.id("fetch/a"))).await?;
        ensure!(one == Some(ProbeRow { id: self.id("fetch/a"), i: Some(1) }), "fetch_optional read {one:?}");
        let none: Option<ProbeRow> = self.sql.fetch_optional(select(self.id("fetch/none"))).await?;
        ensure!(none.is_none(), "fetch_optional of no row read {none:?}");
        let empty = self.sql.query(select(self.id("fetch/none"))).await?;
        ensure!(empty.is_empty(), "a query of no row read {empty:?}");
        // Column names are the aliases, in the row's keys.
        let rows = self.sql.query(Statement::new("SELECT 1 AS one, 'x' AS \"two words\"")).await?;
        ensure!(
            rows.len() == 1
                && rows[0].get("one") == Some(&json!(1))
                && rows[0].get("two words") == Some(&json!("x")),
            "aliased columns read as {rows:?}"
        );
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Wrong {
            missing_column: i64,
        }
        match self.sql.fetch_all::<Wrong>(select(self.id("fetch/a"))).await {
            Err(PortError::Invalid { .. }) => Ok(()),
            other => Err(Failure(format!("a row of the wrong shape gave {other:?}, not Invalid"))),
        }
    }

    async fn batch_runs_in_order(&self) -> Result<(), Failure> {
        let update = Statement::new(format!("UPDATE {PROBE_TABLE} SET i = i * 2 + 1 WHERE id = ?1"))
            .bind(self.id("order"));
        self.sql.batch(vec![self.insert("order", SqlValue::Null, Some(1)), update.clone(), update]).await?;
        let rows: Vec<ProbeRow> = self
            .sql
            .fetch_all(
                Statement::new(format!("SELECT id, i FROM {PROBE_TABLE} WHERE id = ?1"))
                    .bind(self.id("order")),
            )
            .await?;
        let i = rows.first().and_then(|r| r.i);
        ensure!(i == Some(7), "insert 1, then twice i*2+1, left {i:?} (not 7: out of order or missing)");
        self.sql.batch(Vec::new()).await.map_err(|e| Failure(format!("an empty batch failed: {e}")))?;
        Ok(())
    }

    async fn batch_is_atomic_on_conflict(&self) -> Result<(), Failure> {
        self.sql.execute(self.insert("atomic/taken", SqlValue::Null, None)).await?;
        let outcome = self
            .sql
            .batch(vec![
                self.insert("atomic/first", SqlValue::Null, None),
                Statement::new(format!("UPDATE {PROBE_TABLE} SET i = 99 WHERE id = ?1"))
                    .bind(self.id("atomic/taken")),
                self.insert("atomic/taken", SqlValue::Null, None),
            ])
            .await;
        ensure!(outcome.is_err(), "a batch with a unique violation succeeded");
        ensure!(!self.exists("atomic/first").await?, "the failed batch's first INSERT was applied");
        let rows: Vec<ProbeRow> = self
            .sql
            .fetch_all(
                Statement::new(format!("SELECT id, i FROM {PROBE_TABLE} WHERE id = ?1"))
                    .bind(self.id("atomic/taken")),
            )
            .await?;
        ensure!(
            rows.first().is_some_and(|r| r.i.is_none()),
            "the failed batch's UPDATE was applied: {rows:?}"
        );
        match outcome {
            Err(PortError::Conflict { .. }) => Ok(()),
            other => Err(Failure(format!("a unique violation in a batch gave {other:?}, not Conflict"))),
        }
    }

    async fn batch_is_atomic_on_bad_sql(&self) -> Result<(), Failure> {
        let outcome = self
            .sql
            .batch(vec![
                self.insert("atomic/before_bad", SqlValue::Null, None),
                Statement::new("UPDAT nothing"),
            ])
            .await;
        ensure!(outcome.is_err(), "a batch with bad SQL succeeded");
        ensure!(!self.exists("atomic/before_bad").await?, "the failed batch's INSERT was applied");
        Ok(())
    }

    async fn unique_violation_is_conflict(&self) -> Result<(), Failure> {
        self.sql.execute(self.insert("unique", SqlValue::Null, None)).await?;
        match self.sql.execute(self.insert("unique", SqlValue::Null, None)).await {
            Err(PortError::Conflict { port: "sql", .. }) => Ok(()),
            other => Err(Failure(format!("a duplicate primary key gave {other:?}, not Conflict"))),
        }
    }

    async fn syntax_error_is_invalid(&self) -> Result<(), Failure> {
        match self.sql.query(Statement::new("SELEC 1")).await {
            Err(PortError::Invalid { port: "sql", .. }) => {}
            other => return Err(Failure(format!("a query with a syntax error gave {other:?}, not Invalid"))),
        }
        match self.sql.execute(Statement::new(format!("UPDATE {PROBE_TABLE} SET WHERE"))).await {
            Err(PortError::Invalid { port: "sql", .. }) => Ok(()),
            other => Err(Failure(format!("a write with a syntax error gave {other:?}, not Invalid"))),
        }
    }

    async fn missing_table_is_invalid(&self) -> Result<(), Failure> {
        match self.sql.query(Statement::new("SELECT * FROM conformance_no_such_table")).await {
            Err(PortError::Invalid { port: "sql", .. }) => Ok(()),
            other => Err(Failure(format!("a query of a missing table gave {other:?}, not Invalid"))),
        }
    }
}
