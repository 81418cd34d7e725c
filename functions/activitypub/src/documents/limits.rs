//! Shape limits on remote JSON, checked before any field is read.
//!
//! The caller bounds the body's size; within that size a hostile server can still send nesting
//! hundreds of levels deep or arrays of a hundred thousand audience entries, which cost the
//! Worker CPU time in every later step. Real documents are far inside these limits: PeerTube's
//! largest, a `Create{Video}` with its HLS renditions, nests 8 levels and its longest arrays are
//! the `url` and `tag` lists of its renditions.

use serde_json::Value;

use super::error::{DocumentError, Result};

/// Deepest nesting of objects and arrays accepted (the document itself is level 1).
pub const MAX_DEPTH: usize = 16;

/// Most entries in an audience list (`to`, `cc`, `bto`, `bcc`, `audience`).
pub const MAX_AUDIENCE: usize = 256;

/// Most entries in a list of links or tags (`url`, `tag`, `attachment`, `icon`, `image`,
/// `subtitleLanguage`, `preview`, `attributedTo`).
pub const MAX_LINKS: usize = 256;

/// Most entries in any other array (`orderedItems`, `@context`, a Flag's `object`, …).
pub const MAX_ITEMS: usize = 1000;

/// Parses `bytes` as JSON and checks [`check_shape`]: the first step for every remote document.
pub fn parse_json(bytes: &[u8]) -> Result<Value> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| DocumentError::NotJson(e.to_string()))?;
    check_shape(&value)?;
    Ok(value)
}

/// Checks the nesting depth and the length of every array of `value`.
///
/// Iterative, so that the check itself cannot exhaust the stack whatever it is given.
pub fn check_shape(value: &Value) -> Result<()> {
    let mut stack: Vec<(&Value, usize, &str)> = vec![(value, 1, "")];
    while let Some((value, depth, field)) = stack.pop() {
        match value {
            Value::Object(map) => {
                if depth > MAX_DEPTH {
                    return Err(DocumentError::TooDeep { max: MAX_DEPTH });
                }
                for (key, child) in map {
                    stack.push((child, depth + 1, key.as_str()));
                }
            }
            Value::Array(items) => {
                if depth > MAX_DEPTH {
                    return Err(DocumentError::TooDeep { max: MAX_DEPTH });
                }
                let max = max_items(field);
                if items.len() > max {
                    return Err(DocumentError::TooManyItems {
                        field: field.to_owned(),
                        count: items.len(),
                        max,
                    });
                }
                // Items of an array count against the array's field name.
                stack.extend(items.iter().map(|item| (item, depth + 1, field)));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The limit on an array held by the field `field`.
fn max_items(field: &str) -> usize {
    match field {
        "to" | "cc" | "bto" | "bcc" | "audience" => MAX_AUDIENCE,
        "url" | "tag" | "attachment" | "icon" | "image" | "subtitleLanguage" | "preview" | "attributedTo" => {
            MAX_LINKS
        }
        _ => MAX_ITEMS,
    }
}
