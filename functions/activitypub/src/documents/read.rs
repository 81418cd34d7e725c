//! Typed reads of one JSON object's fields, tolerant in the ways real servers differ.
//!
//! Documents are read field by field rather than with `#[derive(Deserialize)]`: ActivityStreams
//! lets most fields be a string, an object or an array, servers use all three, and a refused
//! document must say which field was wrong (`object.url[2].href`), which serde's errors do not.

use serde_json::{Map, Value};
use url::Url;

use super::context::PUBLIC;
use super::error::{quote, DocumentError, Result};

/// The fields of one JSON object, with the path that leads to it for error messages.
#[derive(Clone, Copy)]
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Fields<'a> {
    /// The object `value`, found at `path` (`""` for the document itself).
    pub(crate) fn of(value: &'a Value, path: &'a str) -> Result<Self> {
        match value {
            Value::Object(map) => Ok(Fields { map, path }),
            _ => Err(DocumentError::NotAnObject { field: display_path(path) }),
        }
    }

    /// The path of `key` in the document.
    pub(crate) fn path(&self, key: &str) -> String {
        join(self.path, key)
    }

    /// The value of `key`; `null` counts as absent (PeerTube sends `null` for unset fields).
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn missing(&self, key: &str) -> DocumentError {
        DocumentError::Missing { field: self.path(key) }
    }

    fn wrong(&self, key: &str, expected: &'static str) -> DocumentError {
        DocumentError::WrongType { field: self.path(key), expected }
    }

    /// The `type`: a string, or the first string of an array (JSON-LD allows several types).
    pub(crate) fn kind(&self) -> Result<&'a str> {
        match self.get("type") {
            Some(Value::String(kind)) => Ok(kind),
            Some(Value::Array(kinds)) => {
                kinds.iter().find_map(Value::as_str).ok_or_else(|| self.wrong("type", "a string"))
            }
            Some(_) => Err(self.wrong("type", "a string")),
            None => Err(self.missing("type")),
        }
    }

    /// Checks that the `type` is `expected`.
    pub(crate) fn expect_kind(&self, expected: &'static str) -> Result<()> {
        let kind = self.kind()?;
        if kind == expected {
            Ok(())
        } else {
            Err(DocumentError::UnexpectedType { field: self.path("type"), expected, found: quote(kind) })
        }
    }

    /// The entries of `tag` whose `type` is `kind` (`Hashtag`, `Mention`); others are ignored.
    pub(crate) fn tags(&self, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.list("tag").iter().filter(move |tag| tag.get("type").and_then(Value::as_str) == Some(kind))
    }

    /// The `name`s of the `Hashtag` tags.
    pub(crate) fn hashtags(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.tags("Hashtag").filter_map(|tag| tag.get("name").and_then(Value::as_str))
    }

    /// A required string.
    pub(crate) fn str(&self, key: &str) -> Result<&'a str> {
        self.opt_str(key)?.ok_or_else(|| self.missing(key))
    }

    /// An optional string.
    pub(crate) fn opt_str(&self, key: &str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong(key, "a string")),
        }
    }

    /// An optional string, owned.
    pub(crate) fn opt_string(&self, key: &str) -> Result<Option<String>> {
        Ok(self.opt_str(key)?.map(str::to_owned))
    }

    /// An optional boolean.
    pub(crate) fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.wrong(key, "a boolean")),
        }
    }

    /// An optional non-negative integer; a float is truncated (some servers send `25.0`), a
    /// numeric string is read (counts sometimes come quoted).
    pub(crate) fn opt_u64(&self, key: &str) -> Result<Option<u64>> {
        let invalid = || self.wrong(key, "a non-negative number");
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
                (Some(n), _) => Ok(Some(n)),
                (None, Some(f)) if f.is_finite() && f >= 0.0 => Ok(Some(f as u64)),
                _ => Err(invalid()),
            },
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| invalid()),
            Some(_) => Err(invalid()),
        }
    }

    /// An optional non-negative integer that fits 32 bits (pixels, frame rates, states).
    pub(crate) fn opt_u32(&self, key: &str) -> Result<Option<u32>> {
        match self.opt_u64(key)? {
            None => Ok(None),
            Some(n) => u32::try_from(n).map(Some).map_err(|_| DocumentError::InvalidValue {
                field: self.path(key),
                reason: format!("{n} is too large"),
            }),
        }
    }

    /// An optional finite number.
    pub(crate) fn opt_f64(&self, key: &str) -> Result<Option<f64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                n.as_f64().filter(|f| f.is_finite()).map(Some).ok_or_else(|| self.wrong(key, "a number"))
            }
            Some(_) => Err(self.wrong(key, "a number")),
        }
    }

    /// A required http(s) identifier: a string, or an object with an `id` (or a Link's `href`).
    pub(crate) fn id(&self, key: &str) -> Result<Url> {
        self.opt_id(key)?.ok_or_else(|| self.missing(key))
    }

    /// An optional http(s) identifier, as [`Fields::id`]. A list takes its first entry.
    pub(crate) fn opt_id(&self, key: &str) -> Result<Option<Url>> {
        let Some(value) = self.get(key) else { return Ok(None) };
        let value = match value {
            Value::Array(items) => match items.first() {
                Some(first) => first,
                None => return Ok(None),
            },
            other => other,
        };
        reference(value, &self.path(key)).map(Some)
    }

    /// Every http(s) identifier of `key`: one reference or a list of them.
    pub(crate) fn ids(&self, key: &str) -> Result<Vec<Url>> {
        let path = self.path(key);
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                items.iter().enumerate().map(|(i, item)| reference(item, &format!("{path}[{i}]"))).collect()
            }
            Some(value) => Ok(vec![reference(value, &path)?]),
        }
    }

    /// An audience list (`to`, `cc`): a string or a list, with the compact forms of the public
    /// collection (`as:Public`, `Public`) written out in full.
    pub(crate) fn audience(&self, key: &str) -> Result<Vec<Url>> {
        let path = self.path(key);
        let entry = |value: &Value, path: &str| match value {
            Value::String(s) if s == "as:Public" || s == "Public" => http_url(path, PUBLIC),
            other => reference(other, path),
        };
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                items.iter().enumerate().map(|(i, item)| entry(item, &format!("{path}[{i}]"))).collect()
            }
            Some(value) => Ok(vec![entry(value, &path)?]),
        }
    }

    /// The items of `key` as a list: a single value counts as a list of one.
    pub(crate) fn list(&self, key: &str) -> &'a [Value] {
        match self.get(key) {
            None => &[],
            Some(Value::Array(items)) => items,
            Some(one) => std::slice::from_ref(one),
        }
    }
}

/// An http(s) identifier given as a string, or as an object with an `id` or an `href`.
pub(crate) fn reference(value: &Value, path: &str) -> Result<Url> {
    match value {
        Value::String(s) => http_url(path, s),
        Value::Object(map) => match map.get("id").or_else(|| map.get("href")) {
            Some(Value::String(s)) => http_url(&format!("{path}.id"), s),
            _ => Err(DocumentError::Missing { field: format!("{path}.id") }),
        },
        _ => Err(DocumentError::WrongType {
            field: display_path(path),
            expected: "a URL or an object with an id",
        }),
    }
}

/// `value` as an absolute URL of any scheme (media links may be `magnet:` or `wss:`).
pub(crate) fn any_url(path: &str, value: &str) -> Result<Url> {
    Url::parse(value)
        .map_err(|_| DocumentError::InvalidUrl { field: display_path(path), value: quote(value) })
}

/// `value` as an http or https URL: what an identifier must be before anyone fetches it.
pub(crate) fn http_url(path: &str, value: &str) -> Result<Url> {
    let url = any_url(path, value)?;
    match url.scheme() {
        "http" | "https" if url.has_host() => Ok(url),
        _ => Err(DocumentError::NotHttp { field: display_path(path), value: quote(value) }),
    }
}

/// `parent.key`, or `key` at the top.
pub(crate) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// The path shown for the document itself.
fn display_path(path: &str) -> String {
    if path.is_empty() {
        "(document)".to_owned()
    } else {
        path.to_owned()
    }
}
