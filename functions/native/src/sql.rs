//! The SQL port on SQLite through rusqlite, running the same migrations as D1.

use std::path::PathBuf;
use std::sync::Mutex;

use async_trait::async_trait;
use edgetube_ports::{PortError, Row, Sql, SqlValue, Statement};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, ToSql};

/// The repository's single migrations folder, shared with `wrangler d1 migrations apply`.
pub fn migrations_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"))
}

/// SQLite through rusqlite, with the D1 migrations applied in file-name order.
pub struct NativeSql {
    conn: Mutex<Connection>,
}

impl NativeSql {
    /// A fresh in-memory database with every migration applied.
    pub fn open_in_memory() -> Result<Self, PortError> {
        let conn = Connection::open_in_memory().map_err(map_err)?;
        conn.execute_batch("PRAGMA foreign_keys = ON;").map_err(map_err)?;
        let mut files: Vec<PathBuf> = std::fs::read_dir(migrations_dir())
            .map_err(|e| PortError::unavailable("sql", format!("migrations folder: {e}")))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
            .collect();
        files.sort();
        for file in files {
            let sql = std::fs::read_to_string(&file)
                .map_err(|e| PortError::unavailable("sql", format!("{}: {e}", file.display())))?;
            conn.execute_batch(&sql)
                .map_err(|e| PortError::invalid("sql", format!("migration {}: {e}", file.display())))?;
        }
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, PortError> {
        let mut conn = self.conn.lock().map_err(|_| PortError::unavailable("sql", "lock poisoned"))?;
        f(&mut conn).map_err(map_err)
    }
}

struct Param<'a>(&'a SqlValue);

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            SqlValue::Null => ToSqlOutput::Owned(Value::Null),
            SqlValue::Integer(i) => ToSqlOutput::Owned(Value::Integer(*i)),
            SqlValue::Real(f) => ToSqlOutput::Owned(Value::Real(*f)),
            SqlValue::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn params(statement: &Statement) -> Vec<Param<'_>> {
    statement.params.iter().map(Param).collect()
}

fn to_json(value: ValueRef<'_>) -> serde_json::Value {
    match value {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(f) => f.into(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
        // D1 returns blobs as arrays of byte values; do the same.
        ValueRef::Blob(b) => b.iter().map(|&byte| serde_json::Value::from(byte)).collect(),
    }
}

fn map_err(e: rusqlite::Error) -> PortError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            PortError::conflict("sql", e.to_string())
        }
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) =>
        {
            PortError::unavailable("sql", e.to_string())
        }
        _ => PortError::invalid("sql", e.to_string()),
    }
}

fn run_query(conn: &Connection, statement: &Statement) -> Result<Vec<Row>, rusqlite::Error> {
    let mut stmt = conn.prepare(&statement.sql)?;
    let names: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let p = params(statement);
    let refs: Vec<&dyn ToSql> = p.iter().map(|p| p as &dyn ToSql).collect();
    let mut rows = stmt.query(refs.as_slice())?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut map = Row::new();
        for (i, name) in names.iter().enumerate() {
            map.insert(name.clone(), to_json(row.get_ref(i)?));
        }
        out.push(map);
    }
    Ok(out)
}

fn run_execute(conn: &Connection, statement: &Statement) -> Result<u64, rusqlite::Error> {
    let p = params(statement);
    let refs: Vec<&dyn ToSql> = p.iter().map(|p| p as &dyn ToSql).collect();
    conn.execute(&statement.sql, refs.as_slice()).map(|n| n as u64)
}

#[async_trait(?Send)]
impl Sql for NativeSql {
    async fn query(&self, statement: Statement) -> Result<Vec<Row>, PortError> {
        self.with_conn(|conn| run_query(conn, &statement))
    }

    async fn execute(&self, statement: Statement) -> Result<u64, PortError> {
        self.with_conn(|conn| run_execute(conn, &statement))
    }

    async fn batch(&self, statements: Vec<Statement>) -> Result<(), PortError> {
        self.with_conn(|conn| {
            let tx = conn.transaction()?;
            for statement in &statements {
                run_execute(&tx, statement)?;
            }
            tx.commit()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn migrations_apply_and_a_failed_batch_changes_nothing() {
        let sql = NativeSql::open_in_memory().unwrap();
        let insert = |k: &str| {
            Statement::new("INSERT INTO instance_settings (key, value) VALUES (?1, ?2)").bind(k).bind("v")
        };
        block_on(sql.batch(vec![insert("a")])).unwrap();
        let err = block_on(sql.batch(vec![insert("b"), insert("a")])).unwrap_err();
        assert!(matches!(err, PortError::Conflict { .. }), "{err}");
        let rows =
            block_on(sql.query(Statement::new("SELECT key FROM instance_settings ORDER BY key"))).unwrap();
        assert_eq!(rows.len(), 1, "the batch must be atomic: {rows:?}");
        assert_eq!(rows[0]["key"], "a");
    }
}
