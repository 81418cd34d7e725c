//! `Flag`: an abuse report on videos, comments or accounts (`activitypub.md` §6).
//!
//! A Flag is an activity whose `object` lists every reported object and whose `tag` holds the
//! predefined reasons as `Hashtag`s; `startAt`/`endAt` bound the reported part of a video.

use serde_json::Value;
use url::Url;

use super::error::Result;
use super::read::Fields;
use super::FromDocument;

/// The reasons PeerTube offers, as `tag` names.
pub const FLAG_REASONS: [&str; 8] = [
    "violentOrRepulsive",
    "hatefulOrAbusive",
    "spamOrMisleading",
    "privacy",
    "rights",
    "serverRules",
    "thumbnails",
    "captions",
];

/// A `Flag` activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// `id`.
    pub id: Url,
    /// `actor`: the reporter (often an instance actor).
    pub actor: Url,
    /// `content`: the report's text.
    pub content: Option<String>,
    /// `object`: every reported object.
    pub objects: Vec<Url>,
    /// The names of the `Hashtag` tags (see [`FLAG_REASONS`]; others are kept as sent).
    pub reasons: Vec<String>,
    /// `startAt`: the start of the reported part of a video, in seconds.
    pub start_at: Option<u64>,
    /// `endAt`, in seconds.
    pub end_at: Option<u64>,
}

impl FromDocument for Flag {
    fn read_at(value: &Value, path: &str) -> Result<Self> {
        let fields = Fields::of(value, path)?;
        fields.expect_kind("Flag")?;
        Ok(Flag {
            id: fields.id("id")?,
            actor: fields.id("actor")?,
            content: fields.opt_string("content")?,
            objects: fields.ids("object")?,
            reasons: fields.hashtags().map(str::to_owned).collect(),
            start_at: fields.opt_u64("startAt")?,
            end_at: fields.opt_u64("endAt")?,
        })
    }
}

impl Flag {
    /// The Flag of an already parsed activity (of kind [`Flag`](super::ActivityKind::Flag)).
    pub fn from_activity(activity: &super::Activity) -> Result<Self> {
        Self::from_value(&activity.raw)
    }
}
