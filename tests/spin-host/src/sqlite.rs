//! `fermyon:spin/sqlite`: the databases of `sqlite_databases` as SQLite files, on rusqlite
//! (Spin's own local backend is SQLite too). One connection per `open`, as in Spin, so a
//! transaction a component begins lives on its own connection; a busy database waits up to 5 s.

use std::path::PathBuf;
use std::time::Duration;

use rusqlite::types::{Value as Sqlite, ValueRef};
use wasmtime::component::Resource;

use crate::bindings::fermyon::spin::sqlite::{Error, Host, HostConnection, QueryResult, RowResult, Value};
use crate::state::HostState;

/// An open connection (the `connection` resource).
pub struct Connection(rusqlite::Connection);

/// Where each allowed database lives.
#[derive(Debug, Clone)]
pub struct Databases {
    pub dir: PathBuf,
    pub allowed: Vec<String>,
}

fn io(e: impl std::fmt::Display) -> Error {
    Error::Io(e.to_string())
}

fn to_sqlite(value: Value) -> Sqlite {
    match value {
        Value::Integer(i) => Sqlite::Integer(i),
        Value::Real(f) => Sqlite::Real(f),
        Value::Text(t) => Sqlite::Text(t),
        Value::Blob(b) => Sqlite::Blob(b),
        Value::Null => Sqlite::Null,
    }
}

fn from_sqlite(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

fn execute(
    conn: &rusqlite::Connection,
    statement: &str,
    parameters: Vec<Value>,
) -> Result<QueryResult, Error> {
    let mut prepared = conn.prepare_cached(statement).map_err(io)?;
    let columns: Vec<String> = prepared.column_names().into_iter().map(str::to_owned).collect();
    let params: Vec<Sqlite> = parameters.into_iter().map(to_sqlite).collect();
    let mut rows = prepared.query(rusqlite::params_from_iter(params)).map_err(io)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(io)? {
        let values = (0..columns.len()).map(|i| row.get_ref(i).map(from_sqlite)).collect::<Result<_, _>>();
        out.push(RowResult { values: values.map_err(io)? });
    }
    Ok(QueryResult { columns, rows: out })
}

impl HostConnection for HostState {
    fn open(&mut self, database: String) -> Result<Resource<Connection>, Error> {
        if !self.spin.databases.allowed.contains(&database) {
            return Err(Error::AccessDenied);
        }
        let path = self.spin.databases.dir.join(format!("{database}.db"));
        let conn = rusqlite::Connection::open(&path).map_err(io)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(io)?;
        // WAL: readers do not wait for the one writer (Spin's local backend does the same).
        conn.pragma_update(None, "journal_mode", "WAL").map_err(io)?;
        self.table.push(Connection(conn)).map_err(|_| Error::InvalidConnection)
    }

    fn execute(
        &mut self,
        connection: Resource<Connection>,
        statement: String,
        parameters: Vec<Value>,
    ) -> Result<QueryResult, Error> {
        let conn = self.table.get(&connection).map_err(|_| Error::InvalidConnection)?;
        execute(&conn.0, &statement, parameters)
    }

    fn drop(&mut self, connection: Resource<Connection>) -> wasmtime::Result<()> {
        self.table.delete(connection)?;
        Ok(())
    }
}

impl Host for HostState {}
