//! `/search?search=…`: local videos and channels; a handle (`name@host`) or a URL is looked up
//! on its own server by `search.js`, which needs a logged-in viewer (as the API does).

use askama::Template;
use edgetube_api::Ctx;

use crate::internal;
use crate::models::{ActorDetails, Page, VideoCard};
use crate::render::{self, Card, Layout};
use crate::Answer;

#[derive(Template)]
#[template(path = "search.html")]
struct Search {
    layout: Layout,
    remote: bool,
    channels: Vec<(String, String)>,
    cards: Vec<Card>,
    empty: &'static str,
}

/// Whether `query` names something on another server: a URL or `[@]name@host`.
pub fn is_remote_lookup(query: &str) -> bool {
    let query = query.trim();
    query.starts_with("https://")
        || query.starts_with("http://")
        || query
            .trim_start_matches('@')
            .split_once('@')
            .is_some_and(|(n, h)| !n.is_empty() && (h.contains('.') || h.contains(':')))
}

pub async fn page(ctx: &Ctx<'_>) -> Answer {
    let query = ctx.query("search").unwrap_or_default();
    let mut layout = Layout::new(ctx, if query.is_empty() { "Search".to_owned() } else { query.clone() });
    layout.search = query.clone();
    let (mut cards, mut channels) = (Vec::new(), Vec::new());
    if !query.trim().is_empty() {
        let q = url::form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>();
        let videos: Page<VideoCard> =
            internal::list(ctx, &format!("search/videos?search={q}&count=24")).await?;
        cards = videos.data.iter().map(Card::from).collect();
        let found: Page<ActorDetails> =
            internal::list(ctx, &format!("search/video-channels?search={q}&count=10")).await?;
        channels = found
            .data
            .iter()
            .map(|c| {
                let label = if c.display_name.is_empty() { c.name.clone() } else { c.display_name.clone() };
                (format!("/c/{}@{}", c.name, c.host), label)
            })
            .collect();
    }
    render::page(&Search {
        remote: is_remote_lookup(&query),
        layout,
        channels,
        cards,
        empty: "No video matches.",
    })
}

#[cfg(test)]
mod tests {
    use super::is_remote_lookup;

    #[test]
    fn handles_and_urls_are_remote_lookups() {
        assert!(is_remote_lookup("tv@video.example"));
        assert!(is_remote_lookup("@tv@video.example"));
        assert!(is_remote_lookup("https://video.example/w/abc"));
        assert!(!is_remote_lookup("cats"));
        assert!(!is_remote_lookup("me@home"));
    }
}
