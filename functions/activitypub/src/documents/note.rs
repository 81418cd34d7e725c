//! Comments: a `Note` replying to a video or to another comment, and the `Tombstone` a deleted
//! comment becomes.
//!
//! PeerTube writes comments in markdown (`mediaType: "text/markdown"`); Mastodon replies carry
//! HTML `content` and no `mediaType`. Which one it is decides how the text must be sanitised, so
//! [`Note::is_markdown`] says it.

use serde_json::Value;
use url::Url;

use super::error::Result;
use super::read::{reference, Fields};
use super::FromDocument;

/// A `Note`.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// `id`.
    pub id: Url,
    /// `content` (empty if absent).
    pub content: String,
    /// `mediaType` of `content`; `None` means HTML.
    pub media_type: Option<String>,
    /// `inReplyTo`: the video or the comment answered.
    pub in_reply_to: Option<Url>,
    /// `url` (the first http(s) one).
    pub url: Option<Url>,
    /// `attributedTo`: the author.
    pub attributed_to: Url,
    /// `to`.
    pub to: Vec<Url>,
    /// `cc`.
    pub cc: Vec<Url>,
    /// The `Mention` tags.
    pub mentions: Vec<Mention>,
    /// `published`, as sent.
    pub published: Option<String>,
    /// `updated`, as sent.
    pub updated: Option<String>,
    /// `replyApproval` (FEP-5624): where an approval of this reply is fetched.
    pub reply_approval: Option<Url>,
    /// `sensitive` (Mastodon's content warning flag).
    pub sensitive: bool,
    /// `summary` (Mastodon's content warning text).
    pub summary: Option<String>,
}

/// A `Mention` tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// `href`: the mentioned actor.
    pub href: Url,
    /// `name` (`@user@host`).
    pub name: Option<String>,
}

/// A `Tombstone`: what remains of a deleted object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    /// `id` of the deleted object.
    pub id: Url,
    /// `formerType` (`Note`).
    pub former_type: Option<String>,
    /// `inReplyTo`, for a deleted comment.
    pub in_reply_to: Option<Url>,
    /// `published`, as sent.
    pub published: Option<String>,
    /// `updated`, as sent.
    pub updated: Option<String>,
    /// `deleted`, as sent.
    pub deleted: Option<String>,
}

impl FromDocument for Note {
    fn read_at(value: &Value, path: &str) -> Result<Self> {
        let fields = Fields::of(value, path)?;
        fields.expect_kind("Note")?;
        Ok(Note {
            id: fields.id("id")?,
            content: fields.opt_string("content")?.unwrap_or_default(),
            media_type: fields.opt_string("mediaType")?,
            in_reply_to: fields.opt_id("inReplyTo")?,
            // Display only, and shaped differently by every server: a strange one is dropped.
            url: fields.opt_id("url").unwrap_or(None),
            attributed_to: fields.id("attributedTo")?,
            to: fields.audience("to")?,
            cc: fields.audience("cc")?,
            mentions: mentions(&fields),
            published: fields.opt_string("published")?,
            updated: fields.opt_string("updated")?,
            reply_approval: fields.opt_id("replyApproval")?,
            sensitive: fields.opt_bool("sensitive")?.unwrap_or(false),
            summary: fields.opt_string("summary")?,
        })
    }
}

impl Note {
    /// Whether `content` is markdown (PeerTube) rather than HTML (Mastodon and most others).
    pub fn is_markdown(&self) -> bool {
        self.media_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("text/markdown"))
    }
}

impl FromDocument for Tombstone {
    fn read_at(value: &Value, path: &str) -> Result<Self> {
        let fields = Fields::of(value, path)?;
        fields.expect_kind("Tombstone")?;
        Ok(Tombstone {
            id: fields.id("id")?,
            former_type: fields.opt_string("formerType")?,
            in_reply_to: fields.opt_id("inReplyTo")?,
            published: fields.opt_string("published")?,
            updated: fields.opt_string("updated")?,
            deleted: fields.opt_string("deleted")?,
        })
    }
}

/// The `Mention` tags with a usable `href`; other tags (`Hashtag`, `Emoji`) are ignored.
fn mentions(fields: &Fields<'_>) -> Vec<Mention> {
    let path = fields.path("tag");
    fields
        .tags("Mention")
        .filter_map(|tag| {
            Some(Mention {
                href: reference(tag.get("href")?, &path).ok()?,
                name: tag.get("name").and_then(Value::as_str).map(str::to_owned),
            })
        })
        .collect()
}
