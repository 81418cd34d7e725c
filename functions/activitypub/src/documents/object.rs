//! [`Object`]: any document, typed by its `type`, for fetches whose result could be anything (the
//! object of an `Announce`, an id met in a collection).

use serde_json::Value;
use url::Url;

use super::activity::{Activity, ActivityKind};
use super::actor::{Actor, ActorType};
use super::collection::{Collection, CollectionKind};
use super::error::Result;
use super::note::{Note, Tombstone};
use super::read::Fields;
use super::video::Video;
use super::FromDocument;

/// A document of any type this crate reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    /// `Person`, `Group`, `Application`, `Service`, `Organization`.
    Actor(Box<Actor>),
    /// `Video`.
    Video(Box<Video>),
    /// `Note`.
    Note(Box<Note>),
    /// `Tombstone`.
    Tombstone(Tombstone),
    /// A collection or a page.
    Collection(Box<Collection>),
    /// One of the [`ActivityKind`]s other than `Other`.
    Activity(Box<Activity>),
    /// Any other type (a `Playlist`, a Mastodon `Question`, …): its type and id only.
    Other {
        /// `type`.
        kind: String,
        /// `id`, if it is an http(s) URL.
        id: Option<Url>,
    },
}

impl FromDocument for Object {
    fn read_at(value: &Value, path: &str) -> Result<Self> {
        let fields = Fields::of(value, path)?;
        let kind = fields.kind()?;
        Ok(if ActorType::from_type(kind).is_some() {
            Object::Actor(Box::new(Actor::read_at(value, path)?))
        } else if CollectionKind::from_type(kind).is_some() {
            Object::Collection(Box::new(Collection::read_at(value, path)?))
        } else {
            match kind {
                "Video" => Object::Video(Box::new(Video::read_at(value, path)?)),
                "Note" => Object::Note(Box::new(Note::read_at(value, path)?)),
                "Tombstone" => Object::Tombstone(Tombstone::read_at(value, path)?),
                other if !matches!(ActivityKind::from_type(other), ActivityKind::Other(_)) => {
                    Object::Activity(Box::new(Activity::read_at(value, path)?))
                }
                other => Object::Other { kind: other.to_owned(), id: fields.opt_id("id").unwrap_or(None) },
            }
        })
    }
}

impl Object {
    /// The document's id (`None` only for an `Other` without a usable one).
    pub fn id(&self) -> Option<&Url> {
        match self {
            Object::Actor(actor) => Some(&actor.id),
            Object::Video(video) => Some(&video.id),
            Object::Note(note) => Some(&note.id),
            Object::Tombstone(tombstone) => Some(&tombstone.id),
            Object::Collection(collection) => Some(&collection.id),
            Object::Activity(activity) => Some(&activity.id),
            Object::Other { id, .. } => id.as_ref(),
        }
    }
}
