//! The SQL port: SQLite statements and atomic batches, with no interactive transactions (D1).

use async_trait::async_trait;
use serde::de::DeserializeOwned;

use crate::PortError;

/// A value bound to, or read from, SQLite.
///
/// Integers must stay below 2^53: D1 hands numbers to JavaScript as doubles.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// SQL `NULL`.
    Null,
    /// A 64-bit integer (|n| < 2^53 on D1).
    Integer(i64),
    /// A double.
    Real(f64),
    /// UTF-8 text.
    Text(String),
}

impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        Self::Integer(v)
    }
}
impl From<bool> for SqlValue {
    fn from(v: bool) -> Self {
        Self::Integer(i64::from(v))
    }
}
impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}
impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}
impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// One SQL statement with its positional (`?1`, `?2`, ...) parameters.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The SQL text, in the SQLite dialect shared by D1, Spin and rusqlite.
    pub sql: String,
    /// Values for `?1`, `?2`, ... (at most 100: D1's limit).
    pub params: Vec<SqlValue>,
}

impl Statement {
    /// A statement without parameters.
    pub fn new(sql: impl Into<String>) -> Self {
        Self { sql: sql.into(), params: Vec::new() }
    }

    /// Appends the next positional parameter.
    pub fn bind(mut self, value: impl Into<SqlValue>) -> Self {
        self.params.push(value.into());
        self
    }
}

/// A result row: column name to JSON value (integers as numbers, `NULL` as `null`).
///
/// JSON rather than a bespoke row type because D1 already returns rows as JavaScript objects,
/// and serde turns them into typed structs on every platform the same way.
pub type Row = serde_json::Map<String, serde_json::Value>;

/// SQLite, as D1, Spin and rusqlite all provide it.
///
/// There are no interactive transactions (D1 has none): a group of writes that must succeed or fail
/// together goes through [`Sql::batch`], which is atomic.
#[async_trait(?Send)]
pub trait Sql {
    /// Runs a read and returns every row.
    async fn query(&self, statement: Statement) -> Result<Vec<Row>, PortError>;

    /// Runs a write and returns how many rows it changed.
    /// A unique-constraint violation is [`PortError::Conflict`].
    async fn execute(&self, statement: Statement) -> Result<u64, PortError>;

    /// Runs writes atomically, in order: all of them or none.
    async fn batch(&self, statements: Vec<Statement>) -> Result<(), PortError>;
}

/// Deserializes rows into `T` (usable on `dyn Sql`, where the provided method is not).
pub fn rows_as<T: DeserializeOwned>(rows: Vec<Row>) -> Result<Vec<T>, PortError> {
    rows.into_iter()
        .map(|row| {
            serde_json::from_value(serde_json::Value::Object(row))
                .map_err(|e| PortError::invalid("sql", format!("row shape: {e}")))
        })
        .collect()
}

impl dyn Sql + '_ {
    /// Runs a read and deserializes each row.
    pub async fn fetch_all<T: DeserializeOwned>(&self, statement: Statement) -> Result<Vec<T>, PortError> {
        rows_as(self.query(statement).await?)
    }

    /// Runs a read and deserializes the first row, if any.
    pub async fn fetch_optional<T: DeserializeOwned>(
        &self,
        statement: Statement,
    ) -> Result<Option<T>, PortError> {
        Ok(self.fetch_all(statement).await?.into_iter().next())
    }
}
