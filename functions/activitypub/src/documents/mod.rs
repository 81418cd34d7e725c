//! The documents and activities of ActivityPub as PeerTube 7 and Mastodon send them.
//!
//! Two directions:
//! - **Reading** remote JSON: [`Activity::parse`] for inbox bodies and the typed objects
//!   ([`Actor`], [`Video`], [`Note`], [`Tombstone`], [`Flag`], [`Collection`], or [`Object`]
//!   when the type is not known in advance) for embedded objects and fetched documents. Parsing
//!   from bytes first checks the JSON's shape ([`limits`]); no reader panics, all ignore unknown
//!   fields and answer a [`DocumentError`] naming the field they refused. Trust is separate:
//!   [`Activity::check_origin`] says whether the actor may speak for the ids it names, and the
//!   signature checks live in [`signatures`](crate::signatures).
//! - **Writing** our own documents in PeerTube's field order ([`build`]): the activities we send
//!   and the Video and comment objects, each with PeerTube's `@context` ([`context`]).
//!
//! Nothing here fetches: an `object` that is only an id stays an id ([`ObjectRef::Id`]) and the
//! caller decides whether to dereference it.

pub mod activity;
pub mod actor;
pub mod build;
pub mod collection;
pub mod context;
pub mod duration;
pub mod error;
pub mod flag;
pub mod limits;
pub mod note;
pub mod object;
mod read;
pub mod video;
mod video_links;

#[cfg(test)]
mod tests;

pub use activity::{same_origin, Activity, ActivityKind, EmbeddedObject, ObjectRef};
pub use actor::{Actor, ActorType, Image, Multikey, PublicKey};
pub use collection::{Collection, CollectionKind};
pub use error::DocumentError;
pub use flag::{Flag, FLAG_REASONS};
pub use note::{Mention, Note, Tombstone};
pub use object::Object;
pub use video::{Attribution, Caption, Label, Privacy, Storyboard, Video};
pub use video_links::{StreamingPlaylist, Tracker, TrackerKind, VideoFile};

use serde_json::Value;

/// A document type read from JSON: the shared entry points of every typed object.
pub trait FromDocument: Sized {
    /// Reads the document `value`, found at `path` in its enclosing document (`""` at the top;
    /// `"object"` for an activity's object), which prefixes the fields named in errors.
    fn read_at(value: &Value, path: &str) -> Result<Self, DocumentError>;

    /// Reads an already parsed document. The caller has run [`limits::check_shape`] on it, as
    /// [`FromDocument::parse`] does.
    fn from_value(value: &Value) -> Result<Self, DocumentError> {
        Self::read_at(value, "")
    }

    /// Parses `bytes` (JSON, already bounded in size by the caller) into the document.
    fn parse(bytes: &[u8]) -> Result<Self, DocumentError> {
        Self::from_value(&limits::parse_json(bytes)?)
    }
}

/// Inherent `parse` and `from_value` on each document type, so callers need not import
/// [`FromDocument`].
macro_rules! inherent_parsers {
    ($($ty:ty),*) => {$(
        impl $ty {
            /// Parses `bytes` (JSON, already bounded in size by the caller): see
            /// [`FromDocument::parse`].
            pub fn parse(bytes: &[u8]) -> Result<Self, DocumentError> {
                <Self as FromDocument>::parse(bytes)
            }

            /// Reads an already parsed and shape-checked value: see [`FromDocument::from_value`].
            pub fn from_value(value: &Value) -> Result<Self, DocumentError> {
                <Self as FromDocument>::from_value(value)
            }
        }
    )*};
}

inherent_parsers!(Activity, Actor, Video, Note, Tombstone, Flag, Collection, Object);
