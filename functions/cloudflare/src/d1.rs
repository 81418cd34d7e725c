//! The SQL port on D1: statements, atomic batches, and D1's errors classified as port errors.

use async_trait::async_trait;
use edgetube_ports::{PortError, Row, Sql, SqlValue, Statement};
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

/// The SQL port on D1.
pub struct D1Sql {
    db: D1Database,
}

impl D1Sql {
    pub fn new(db: D1Database) -> Self {
        Self { db }
    }

    fn prepare(&self, statement: &Statement) -> Result<D1PreparedStatement, PortError> {
        let params: Vec<JsValue> = statement
            .params
            .iter()
            .map(|p| match p {
                SqlValue::Null => JsValue::NULL,
                // D1 hands numbers to JavaScript as doubles; the port promises |n| < 2^53.
                SqlValue::Integer(i) => JsValue::from_f64(*i as f64),
                SqlValue::Real(f) => JsValue::from_f64(*f),
                SqlValue::Text(s) => JsValue::from_str(s),
            })
            .collect();
        self.db.prepare(&statement.sql).bind(&params).map_err(map_err)
    }
}

fn map_err(e: worker::Error) -> PortError {
    let message = e.to_string();
    if message.contains("UNIQUE constraint") || message.contains("constraint failed") {
        PortError::conflict("sql", message)
    } else if message.contains("too many SQL variables") || message.contains("SQLITE_TOOBIG") {
        PortError::LimitExceeded { port: "sql", message }
    } else if message.contains("SQLITE_ERROR")
        || message.contains("syntax error")
        || message.contains("no such")
    {
        PortError::invalid("sql", message)
    } else {
        PortError::unavailable("sql", message)
    }
}

#[async_trait(?Send)]
impl Sql for D1Sql {
    async fn query(&self, statement: Statement) -> Result<Vec<Row>, PortError> {
        let result = self.prepare(&statement)?.all().await.map_err(map_err)?;
        crate::metered::d1_meta(result.meta().ok().flatten());
        result.results::<Row>().map_err(map_err)
    }

    async fn execute(&self, statement: Statement) -> Result<u64, PortError> {
        let result = self.prepare(&statement)?.run().await.map_err(map_err)?;
        let meta = result.meta().map_err(map_err)?;
        let changes = meta.as_ref().and_then(|m| m.changes).unwrap_or(0) as u64;
        crate::metered::d1_meta(meta);
        Ok(changes)
    }

    async fn batch(&self, statements: Vec<Statement>) -> Result<(), PortError> {
        // D1 refuses an empty batch ("No SQL statements detected"); all of nothing is done.
        if statements.is_empty() {
            return Ok(());
        }
        let prepared = statements.iter().map(|s| self.prepare(s)).collect::<Result<Vec<_>, _>>()?;
        for result in self.db.batch(prepared).await.map_err(map_err)? {
            crate::metered::d1_meta(result.meta().ok().flatten());
        }
        Ok(())
    }
}
