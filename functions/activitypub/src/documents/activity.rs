//! Incoming activities: [`Activity`], its [`ActivityKind`] and its [`ObjectRef`], and the origin
//! rule [`Activity::check_origin`].
//!
//! An activity is read eagerly (id, actor, audience, the envelope fields) and its embedded object
//! lazily: the object's JSON is kept as-is in an [`EmbeddedObject`] and typed only when the
//! handler asks for the type it expects (`Create` → [`Video`](super::Video) or
//! [`Note`](super::Note), `Undo` → [`Activity`], …). So a `Create` of a type we do not handle
//! costs nothing more than its parse, and a malformed Video is refused with the path of its
//! field (`object.url[3].href`).

use serde_json::Value;
use url::Url;

use super::error::{DocumentError, Result};
use super::read::{http_url, join, reference, Fields};
use super::FromDocument;

/// An activity received in an inbox (or found in an outbox or embedded in another activity).
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// `id`. Required: transient activities without one are refused.
    pub id: Url,
    /// `type`.
    pub kind: ActivityKind,
    /// `actor`, given as a URL or as an object with an `id`.
    pub actor: Url,
    /// `object`: an id, an embedded object, or (a `Flag`'s) a list of them.
    pub object: ObjectRef,
    /// `target`, if any.
    pub target: Option<ObjectRef>,
    /// `to`, with `as:Public` and `Public` written out as [`PUBLIC`](super::context::PUBLIC).
    pub to: Vec<Url>,
    /// `cc`, likewise.
    pub cc: Vec<Url>,
    /// `published`, as sent.
    pub published: Option<String>,
    /// `expires` (a `View` with it marks a current viewer), as sent.
    pub expires: Option<String>,
    /// `content` (a `Flag`'s report text).
    pub content: Option<String>,
    /// The JSON-LD `signature` (RsaSignature2017), untouched.
    pub signature: Option<Value>,
    /// The FEP-8b32 `proof`, untouched.
    pub proof: Option<Value>,
    /// The whole activity as received, for signature and proof checks over the document.
    pub raw: Value,
}

/// The `type` of an activity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ActivityKind {
    /// `Follow`.
    Follow,
    /// `Accept` (of a `Follow`).
    Accept,
    /// `Reject` (of a `Follow`).
    Reject,
    /// `Undo` (of a `Follow`, `Like`, `Dislike`, `Announce`, …).
    Undo,
    /// `Create`.
    Create,
    /// `Update`.
    Update,
    /// `Delete`.
    Delete,
    /// `Announce` (a share).
    Announce,
    /// `Like`.
    Like,
    /// `Dislike`.
    Dislike,
    /// `View`.
    View,
    /// `Flag` (an abuse report).
    Flag,
    /// Any other type, kept so that the inbox can acknowledge and drop it.
    Other(String),
}

/// What an activity's `object` (or `target`) holds.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectRef {
    /// Only the object's id (`"object": "https://…"`, or an object with nothing but an `id`).
    Id(Url),
    /// An embedded object, kept as JSON until a typed read.
    Embedded(Box<EmbeddedObject>),
    /// A list (a `Flag` names every reported object); its items are never lists themselves.
    Many(Vec<ObjectRef>),
}

/// An object embedded in an activity: its id and type, and its JSON for a typed read.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedObject {
    /// `id`; `None` for objects sent without one.
    pub id: Option<Url>,
    /// `type`.
    pub kind: String,
    /// The object's JSON.
    pub value: Value,
    /// Where it sits in the activity (`object`, `object.object`), for error messages.
    path: String,
}

impl FromDocument for Activity {
    fn read_at(value: &Value, path: &str) -> Result<Self> {
        let fields = Fields::of(value, path)?;
        let kind = ActivityKind::from_type(fields.kind()?);
        let object = match fields.get("object") {
            Some(object) => ObjectRef::read(object, &fields.path("object"))?,
            None => return Err(DocumentError::Missing { field: fields.path("object") }),
        };
        Ok(Activity {
            id: fields.id("id")?,
            actor: fields.id("actor")?,
            object,
            target: fields.get("target").map(|t| ObjectRef::read(t, &fields.path("target"))).transpose()?,
            to: fields.audience("to")?,
            cc: fields.audience("cc")?,
            published: fields.opt_string("published")?,
            expires: fields.opt_string("expires")?,
            content: fields.opt_string("content")?,
            signature: fields.get("signature").cloned(),
            proof: fields.get("proof").cloned(),
            raw: value.clone(),
            kind,
        })
    }
}

impl Activity {
    /// Checks that the actor speaks only for its own origin (scheme, host and port):
    /// - the activity's `id` is on the actor's origin;
    /// - for `Create`, `Update` and `Delete`, so is the object's id (embedded or not) and every
    ///   `attributedTo` of an embedded object: a remote actor cannot create, edit or delete
    ///   another server's objects;
    /// - for `Undo`, the undone activity is on the actor's origin and, when embedded, was made
    ///   by the same actor.
    ///
    /// Objects of `Announce`, `Like`, `Follow`, `Flag`, `View`, `Accept` and `Reject` are other
    /// servers' objects by nature and are not checked here: the handler looks them up (an
    /// announced object must be fetched from its origin, not trusted as embedded).
    pub fn check_origin(&self) -> Result<()> {
        check_same_origin("id", &self.id, &self.actor)?;
        match self.kind {
            ActivityKind::Create | ActivityKind::Update | ActivityKind::Delete => {
                check_object_origin(&self.object, "object", &self.actor)
            }
            ActivityKind::Undo => check_undone(&self.object, &self.actor),
            _ => Ok(()),
        }
    }

    /// Whether the public collection is in `to` or `cc`.
    pub fn is_public(&self) -> bool {
        let public = super::context::PUBLIC;
        self.to.iter().chain(&self.cc).any(|url| url.as_str() == public)
    }
}

/// Whether `a` and `b` share an origin: scheme, host and port.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

fn check_same_origin(field: &str, url: &Url, actor: &Url) -> Result<()> {
    if same_origin(url, actor) {
        Ok(())
    } else {
        Err(DocumentError::OriginMismatch {
            field: field.to_owned(),
            url: url.to_string(),
            actor: actor.to_string(),
        })
    }
}

/// The object of a `Create`, `Update` or `Delete` must be the actor's own.
fn check_object_origin(object: &ObjectRef, path: &str, actor: &Url) -> Result<()> {
    match object {
        ObjectRef::Id(id) => check_same_origin(path, id, actor),
        ObjectRef::Embedded(embedded) => {
            if let Some(id) = &embedded.id {
                check_same_origin(&join(path, "id"), id, actor)?;
            }
            let fields = Fields::of(&embedded.value, path)?;
            for owner in fields.ids("attributedTo")? {
                check_same_origin(&join(path, "attributedTo"), &owner, actor)?;
            }
            Ok(())
        }
        ObjectRef::Many(items) => items.iter().try_for_each(|item| check_object_origin(item, path, actor)),
    }
}

/// The activity an `Undo` undoes must be the actor's own.
fn check_undone(object: &ObjectRef, actor: &Url) -> Result<()> {
    match object {
        ObjectRef::Id(id) => check_same_origin("object", id, actor),
        ObjectRef::Embedded(embedded) => {
            if let Some(id) = &embedded.id {
                check_same_origin("object.id", id, actor)?;
            }
            let fields = Fields::of(&embedded.value, "object")?;
            match fields.opt_id("actor")? {
                Some(inner) if &inner != actor => Err(DocumentError::ActorMismatch {
                    field: "object.actor".to_owned(),
                    found: inner.to_string(),
                    actor: actor.to_string(),
                }),
                _ => Ok(()),
            }
        }
        ObjectRef::Many(items) => items.iter().try_for_each(|item| check_undone(item, actor)),
    }
}

impl ActivityKind {
    /// The kind named by `type`.
    pub fn from_type(kind: &str) -> Self {
        match kind {
            "Follow" => Self::Follow,
            "Accept" => Self::Accept,
            "Reject" => Self::Reject,
            "Undo" => Self::Undo,
            "Create" => Self::Create,
            "Update" => Self::Update,
            "Delete" => Self::Delete,
            "Announce" => Self::Announce,
            "Like" => Self::Like,
            "Dislike" => Self::Dislike,
            "View" => Self::View,
            "Flag" => Self::Flag,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The `type` string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Follow => "Follow",
            Self::Accept => "Accept",
            Self::Reject => "Reject",
            Self::Undo => "Undo",
            Self::Create => "Create",
            Self::Update => "Update",
            Self::Delete => "Delete",
            Self::Announce => "Announce",
            Self::Like => "Like",
            Self::Dislike => "Dislike",
            Self::View => "View",
            Self::Flag => "Flag",
            Self::Other(other) => other,
        }
    }
}

impl ObjectRef {
    /// Reads an `object`/`target` value found at `path`: one reference, or a list of them.
    pub(crate) fn read(value: &Value, path: &str) -> Result<Self> {
        match value {
            Value::Array(items) => Self::read_items(items, path).map(ObjectRef::Many),
            other => Self::read_one(other, path),
        }
    }

    /// Reads the items of a list found at `path`; an item may not be a list itself.
    pub(crate) fn read_items(items: &[Value], path: &str) -> Result<Vec<Self>> {
        items.iter().enumerate().map(|(i, item)| Self::read_one(item, &format!("{path}[{i}]"))).collect()
    }

    /// Reads one id or embedded object.
    fn read_one(value: &Value, path: &str) -> Result<Self> {
        match value {
            Value::Object(map) if !map.contains_key("type") => reference(value, path).map(ObjectRef::Id),
            Value::Object(_) => {
                let fields = Fields::of(value, path)?;
                Ok(ObjectRef::Embedded(Box::new(EmbeddedObject {
                    id: fields.opt_id("id")?,
                    kind: fields.kind()?.to_owned(),
                    value: value.clone(),
                    path: path.to_owned(),
                })))
            }
            Value::String(s) => http_url(path, s).map(ObjectRef::Id),
            _ => Err(DocumentError::WrongType { field: path.to_owned(), expected: "a URL or an object" }),
        }
    }

    /// The object's id: the URL, or the embedded object's `id`; `None` for a list.
    pub fn id(&self) -> Option<&Url> {
        match self {
            ObjectRef::Id(id) => Some(id),
            ObjectRef::Embedded(embedded) => embedded.id.as_ref(),
            ObjectRef::Many(_) => None,
        }
    }

    /// Every id named: one for an id or an embedded object with an id, each item's for a list.
    pub fn ids(&self) -> Vec<&Url> {
        match self {
            ObjectRef::Many(items) => items.iter().filter_map(ObjectRef::id).collect(),
            other => other.id().into_iter().collect(),
        }
    }

    /// The embedded object, if the object was sent embedded.
    pub fn embedded(&self) -> Option<&EmbeddedObject> {
        match self {
            ObjectRef::Embedded(embedded) => Some(embedded),
            _ => None,
        }
    }

    /// The embedded object's `type`, if embedded.
    pub fn kind(&self) -> Option<&str> {
        self.embedded().map(|embedded| embedded.kind.as_str())
    }
}

impl EmbeddedObject {
    /// Reads the embedded object as `T` (an [`Activity`] for `Undo`/`Accept`, a
    /// [`Video`](super::Video) for `Create`, …). Errors name the fields from the activity
    /// (`object.duration`).
    pub fn read<T: FromDocument>(&self) -> Result<T> {
        T::read_at(&self.value, &self.path)
    }
}
