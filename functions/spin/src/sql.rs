//! The SQL port on Spin's SQLite (`fermyon:spin/sqlite@2.0.0`, the `default` database).
//!
//! Spin's interface runs one statement per call and reports neither changed rows nor
//! constraint codes, so: changed rows come from `SELECT changes()` on the same connection, a
//! constraint failure is recognised by SQLite's message, and a batch is `BEGIN IMMEDIATE` ..
//! `COMMIT` on this instance's connection (rolled back on the first failure).

use std::rc::Rc;

use async_trait::async_trait;
use edgetube_ports::{PortError, Row, Sql, SqlValue, Statement};
use spin_sdk::sqlite::{Connection, Error, Value};

/// The `default` SQLite database of this component, shared by every port that keeps state in SQL.
#[derive(Clone)]
pub struct SpinSql {
    conn: Rc<Connection>,
}

fn map_err(e: Error) -> PortError {
    match e {
        // SQLite's own wording of a UNIQUE, PRIMARY KEY, CHECK or FOREIGN KEY failure.
        Error::Io(message) if message.contains("constraint failed") => PortError::conflict("sql", message),
        Error::Io(message) if message.contains("database is locked") || message.contains("busy") => {
            PortError::unavailable("sql", message)
        }
        Error::Io(message) => PortError::invalid("sql", message),
        other => PortError::unavailable("sql", format!("{other:?}")),
    }
}

fn to_value(value: &SqlValue) -> Value {
    match value {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(i) => Value::Integer(*i),
        SqlValue::Real(f) => Value::Real(*f),
        SqlValue::Text(s) => Value::Text(s.clone()),
    }
}

fn to_json(value: Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Integer(i) => i.into(),
        Value::Real(f) => f.into(),
        Value::Text(t) => t.into(),
        Value::Blob(b) => b.into_iter().map(serde_json::Value::from).collect(),
    }
}

impl SpinSql {
    /// Opens the `default` database (declared as `sqlite_databases` in `spin.toml`).
    pub fn open() -> Result<Self, PortError> {
        let conn = Connection::open_default().map_err(map_err)?;
        conn.execute("PRAGMA foreign_keys = ON", &[]).map_err(map_err)?;
        Ok(Self { conn: Rc::new(conn) })
    }

    /// Runs one statement and returns its rows.
    pub fn run(&self, statement: &Statement) -> Result<Vec<Row>, PortError> {
        let params: Vec<Value> = statement.params.iter().map(to_value).collect();
        let result = self.conn.execute(&statement.sql, &params).map_err(map_err)?;
        Ok(result
            .rows
            .into_iter()
            .map(|row| result.columns.iter().cloned().zip(row.values.into_iter().map(to_json)).collect())
            .collect())
    }

    /// Rows changed by the last write of this connection.
    fn changes(&self) -> Result<u64, PortError> {
        let rows = self.run(&Statement::new("SELECT changes() AS n"))?;
        Ok(rows.first().and_then(|row| row.get("n")).and_then(serde_json::Value::as_u64).unwrap_or(0))
    }

    /// Runs `statements` in one transaction: all or none.
    pub fn run_atomically(&self, statements: &[Statement]) -> Result<(), PortError> {
        self.run(&Statement::new("BEGIN IMMEDIATE"))?;
        for statement in statements {
            if let Err(e) = self.run(statement) {
                if let Err(rollback) = self.run(&Statement::new("ROLLBACK")) {
                    eprintln!("rollback failed after {e}: {rollback}");
                }
                return Err(e);
            }
        }
        self.run(&Statement::new("COMMIT")).map(drop)
    }
}

#[async_trait(?Send)]
impl Sql for SpinSql {
    async fn query(&self, statement: Statement) -> Result<Vec<Row>, PortError> {
        self.run(&statement)
    }

    async fn execute(&self, statement: Statement) -> Result<u64, PortError> {
        self.run(&statement)?;
        self.changes()
    }

    async fn batch(&self, statements: Vec<Statement>) -> Result<(), PortError> {
        self.run_atomically(&statements)
    }
}
