//! PeerTube's syndication: RSS, Atom and JSON feeds of videos, and oEmbed.
//!
//! - [`route`]: `/feeds/videos.<fmt>`, `/feeds/subscriptions.<fmt>` (feed token) and
//!   `/services/oembed`, answered with the REST API's context and errors (`edgetube_api::Ctx`,
//!   `Problem`).
//! - [`links`]: the feed URLs of an instance, account or channel, for pages to link.
//! - [`model`] is a feed as data; `rss_feed`, `atom_feed` and `json_feed` write it with the
//!   rust-syndication crates (`rss`, `atom_syndication`) and `serde_json`.
//!
//! Items come from the same rows and media fields as the REST API's video details
//! (`edgetube_api::videos::{Owners, media}`), so a feed never names a URL the API does not.

mod atom_feed;
mod dates;
mod feeds;
mod format;
mod items;
mod json_feed;
pub mod links;
pub mod model;
pub mod oembed;
mod rss_feed;

use bytes::Bytes;
use edgetube_api::{Ctx, Problem};
use http::Response;

pub use feeds::{CACHE_CONTROL, FEED_SIZE};
pub use format::FeedFormat;
pub use links::{video_feeds, FeedOwner};

/// Answers a `GET`/`HEAD` under `/feeds/` or `/services/oembed`; `segments` is the path split on
/// `/` (`["feeds", "videos.xml"]`).
pub async fn route(ctx: &Ctx<'_>, segments: &[&str]) -> Result<Response<Bytes>, Problem> {
    let path = segments.join("/");
    match segments {
        ["services", "oembed"] => oembed::oembed(ctx).await,
        ["feeds", file] => match file.split_once('.') {
            Some(("videos", extension)) => feeds::videos(ctx, extension).await,
            Some(("subscriptions", extension)) => feeds::subscriptions(ctx, extension).await,
            _ => Err(Problem::not_found(format!("No route for GET /{path}"))),
        },
        _ => Err(Problem::not_found(format!("No route for GET /{path}"))),
    }
}
