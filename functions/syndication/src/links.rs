//! The feed URLs of an instance, account or channel, for pages to link
//! (`<link rel="alternate">`) and for feeds to name themselves.

use edgetube_domain::Origin;

use crate::model::FeedLinks;

/// Whose videos a feed lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedOwner {
    /// The instance's (its local videos and those of the servers and channels it follows).
    Instance,
    /// An account's, by its id (`accountId`).
    Account(i64),
    /// A channel's, by its id (`videoChannelId`).
    Channel(i64),
}

/// `<origin>/feeds/<resource>.<ext><query>` in each format; `query` is empty or starts with `?`.
pub fn with_query(origin: &Origin, resource: &str, query: &str) -> FeedLinks {
    let url = |ext: &str| origin.join(&format!("/feeds/{resource}.{ext}{query}"));
    FeedLinks { rss: url("xml"), atom: url("atom"), json: url("json") }
}

/// The video feeds of `owner`, as PeerTube's pages link them.
pub fn video_feeds(origin: &Origin, owner: FeedOwner) -> FeedLinks {
    let query = match owner {
        FeedOwner::Instance => String::new(),
        FeedOwner::Account(id) => format!("?accountId={id}"),
        FeedOwner::Channel(id) => format!("?videoChannelId={id}"),
    };
    with_query(origin, "videos", &query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_are_named_by_owner() {
        let origin = Origin::parse("https://tube.example", false).unwrap_or_else(|e| panic!("{e}"));
        let channel = video_feeds(&origin, FeedOwner::Channel(7));
        assert_eq!(channel.rss, "https://tube.example/feeds/videos.xml?videoChannelId=7");
        assert_eq!(channel.atom, "https://tube.example/feeds/videos.atom?videoChannelId=7");
        assert_eq!(video_feeds(&origin, FeedOwner::Instance).json, "https://tube.example/feeds/videos.json");
        assert_eq!(
            video_feeds(&origin, FeedOwner::Account(3)).rss,
            "https://tube.example/feeds/videos.xml?accountId=3"
        );
    }
}
