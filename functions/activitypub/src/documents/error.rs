//! [`DocumentError`]: why a remote document or activity was refused.
//!
//! The messages end up in the `detail` of 400 answers to remote servers and in logs, so each one
//! names the field (as a path such as `object.url[3].href`) and, where it helps, the value.

/// Why a document could not be read, or why it may not be trusted.
///
/// URLs are kept as strings so that the error stays small (it is returned everywhere).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// The bytes are not JSON (or nest deeper than the JSON reader allows).
    #[error("the body is not valid JSON: {0}")]
    NotJson(String),
    /// The JSON value is not an object where a document or an embedded object is expected.
    #[error("`{field}` is not a JSON object")]
    NotAnObject {
        /// Where the value was expected.
        field: String,
    },
    /// Objects and arrays nest deeper than [`MAX_DEPTH`](crate::documents::limits::MAX_DEPTH).
    #[error("the document nests deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// An array holds more items than its limit (see [`limits`](crate::documents::limits)).
    #[error("`{field}` holds {count} items, more than the {max} allowed")]
    TooManyItems {
        /// The array's field name.
        field: String,
        /// How many it holds.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A required field is absent or `null`.
    #[error("`{field}` is missing")]
    Missing {
        /// The field's path.
        field: String,
    },
    /// A field holds the wrong kind of JSON value.
    #[error("`{field}` should be {expected}")]
    WrongType {
        /// The field's path.
        field: String,
        /// What was expected, in words (`"a string"`, `"a URL or an object with an id"`).
        expected: &'static str,
    },
    /// A field that must be a URL does not parse as one.
    #[error("`{field}` is not a valid URL: {value:?}")]
    InvalidUrl {
        /// The field's path.
        field: String,
        /// The offending value, shortened.
        value: String,
    },
    /// An identifier is a URL of a scheme other than `http` or `https`.
    #[error("`{field}` must be an http(s) URL, not {value:?}")]
    NotHttp {
        /// The field's path.
        field: String,
        /// The offending value, shortened.
        value: String,
    },
    /// The document's `type` is not one this parser reads.
    #[error("`{field}` is {found:?}, expected {expected}")]
    UnexpectedType {
        /// The path of the `type` field.
        field: String,
        /// What was accepted.
        expected: &'static str,
        /// What the document says, shortened.
        found: String,
    },
    /// A value is out of its range or format (a duration, a number).
    #[error("`{field}` is invalid: {reason}")]
    InvalidValue {
        /// The field's path.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// An identifier is on another origin than the actor's: a remote actor may only speak for
    /// the objects and activities of its own server.
    #[error("`{field}` ({url}) is not on the origin of the actor {actor}")]
    OriginMismatch {
        /// Which identifier (`id`, `object.id`, `object.attributedTo`, …).
        field: String,
        /// Its value.
        url: String,
        /// The activity's actor.
        actor: String,
    },
    /// An embedded activity (in an `Undo`) was made by another actor than the one undoing it.
    #[error("`{field}` is {found}, not the actor {actor}")]
    ActorMismatch {
        /// Which field names the other actor.
        field: String,
        /// The other actor.
        found: String,
        /// The activity's actor (or the actor document's id).
        actor: String,
    },
}

/// Result of document parsing.
pub type Result<T> = std::result::Result<T, DocumentError>;

/// At most this many characters of a remote value are quoted back in an error.
const QUOTE_CHARS: usize = 120;

/// `value` shortened for an error message (remote values can be megabytes long).
pub(crate) fn quote(value: &str) -> String {
    match value.char_indices().nth(QUOTE_CHARS) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
}
