//! `start`, `count` and `sort`, as PeerTube validates them.

use serde_json::json;

use crate::context::Ctx;
use crate::Problem;

/// PeerTube's default page size.
pub const DEFAULT_COUNT: i64 = 15;
/// PeerTube's largest page.
pub const MAX_COUNT: i64 = 100;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Offset of the first item.
    pub start: i64,
    /// Items per page.
    pub count: i64,
}

fn number(ctx: &Ctx<'_>, name: &str, default: i64, max: i64) -> Result<i64, Problem> {
    let Some(raw) = ctx.query(name) else { return Ok(default) };
    match raw.parse::<i64>() {
        Ok(n) if (0..=max).contains(&n) => Ok(n),
        _ => Err(Problem::bad_request(format!("Incorrect request parameters: {name}")).with_invalid_param(
            name,
            json!(raw),
            &format!("Should have a number {name} between 0 and {max}"),
            "query",
        )),
    }
}

/// Reads `start` and `count` from the query string.
pub fn page(ctx: &Ctx<'_>) -> Result<Page, Problem> {
    Ok(Page {
        start: number(ctx, "start", 0, i64::from(i32::MAX))?,
        count: number(ctx, "count", DEFAULT_COUNT, MAX_COUNT)?,
    })
}

/// Reads `sort` and maps it through `allowed` (PeerTube field → SQL expression); a leading `-`
/// sorts descending. Unknown fields are a 400, as in PeerTube.
pub fn sort(ctx: &Ctx<'_>, allowed: &[(&str, &str)], default: &str) -> Result<String, Problem> {
    let raw = ctx.query("sort").unwrap_or_else(|| default.to_owned());
    let (field, descending) = match raw.strip_prefix('-') {
        Some(field) => (field, true),
        None => (raw.as_str(), false),
    };
    let column =
        allowed.iter().find(|(name, _)| *name == field).map(|(_, column)| *column).ok_or_else(|| {
            Problem::bad_request("Incorrect request parameters: sort").with_invalid_param(
                "sort",
                json!(raw),
                &format!(
                    "Should have correct sortable column: {}",
                    allowed.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ),
                "query",
            )
        })?;
    Ok(format!("{column} {}", if descending { "DESC" } else { "ASC" }))
}

/// PeerTube's list envelope.
pub fn list<T: serde::Serialize>(total: i64, data: Vec<T>) -> serde_json::Value {
    json!({"total": total, "data": data})
}
