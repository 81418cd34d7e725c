//! Collections and their pages (followers, outboxes, likes, shares, comments).
//!
//! PeerTube answers a collection URL with `totalItems` and `first` (`?page=1`), and each page
//! with `orderedItems` (ids, or whole activities in an outbox) and `next`; Mastodon may embed the
//! first page in the collection. Items are kept as [`ObjectRef`]s: ids stay ids.

use serde_json::Value;
use url::Url;

use super::activity::ObjectRef;
use super::error::{quote, DocumentError, Result};
use super::read::Fields;
use super::FromDocument;

/// A collection or a collection page.
#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    /// `id`.
    pub id: Url,
    /// `type`.
    pub kind: CollectionKind,
    /// `totalItems`.
    pub total_items: Option<u64>,
    /// `first`: the first page's URL, or the page itself.
    pub first: Option<ObjectRef>,
    /// `next` page.
    pub next: Option<Url>,
    /// `prev` page.
    pub prev: Option<Url>,
    /// `partOf`: the collection a page belongs to.
    pub part_of: Option<Url>,
    /// `orderedItems` (or `items`).
    pub items: Vec<ObjectRef>,
}

/// The four collection types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CollectionKind {
    /// `Collection`.
    Collection,
    /// `OrderedCollection`.
    OrderedCollection,
    /// `CollectionPage`.
    CollectionPage,
    /// `OrderedCollectionPage`.
    OrderedCollectionPage,
}

impl CollectionKind {
    /// The collection type named by `type`, if it is one.
    pub fn from_type(kind: &str) -> Option<Self> {
        Some(match kind {
            "Collection" => Self::Collection,
            "OrderedCollection" => Self::OrderedCollection,
            "CollectionPage" => Self::CollectionPage,
            "OrderedCollectionPage" => Self::OrderedCollectionPage,
            _ => return None,
        })
    }

    /// Whether this is a page of a collection.
    pub fn is_page(self) -> bool {
        matches!(self, Self::CollectionPage | Self::OrderedCollectionPage)
    }
}

impl FromDocument for Collection {
    fn read_at(value: &Value, path: &str) -> Result<Self> {
        let fields = Fields::of(value, path)?;
        let kind = fields.kind()?;
        let kind = CollectionKind::from_type(kind).ok_or_else(|| DocumentError::UnexpectedType {
            field: fields.path("type"),
            expected: "a collection or a collection page",
            found: quote(kind),
        })?;
        let items_key = if fields.get("orderedItems").is_some() { "orderedItems" } else { "items" };
        let items = ObjectRef::read_items(fields.list(items_key), &fields.path(items_key))?;
        Ok(Collection {
            id: fields.id("id")?,
            kind,
            total_items: fields.opt_u64("totalItems")?,
            first: fields
                .get("first")
                .map(|first| ObjectRef::read(first, &fields.path("first")))
                .transpose()?,
            next: fields.opt_id("next")?,
            prev: fields.opt_id("prev")?,
            part_of: fields.opt_id("partOf")?,
            items,
        })
    }
}
