//! A feed as data, whatever its format: what PeerTube's feeds carry about a list of videos.

/// A person or channel credited in a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Display name.
    pub name: String,
    /// Its page.
    pub link: String,
}

/// The feed's URLs in each format, with the request's query string (PeerTube's `feedLinks`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLinks {
    /// RSS 2.0 (`.xml`).
    pub rss: String,
    /// Atom 1.0 (`.atom`).
    pub atom: String,
    /// JSON Feed (`.json`).
    pub json: String,
}

/// A whole feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    /// The instance, account or channel name.
    pub title: String,
    /// Its description, as plain text.
    pub description: String,
    /// Its page; also the feed's id.
    pub link: String,
    /// The owner's avatar, when it has one.
    pub image_url: Option<String>,
    /// The owner of an account or channel feed.
    pub author: Option<Person>,
    /// This feed in each format.
    pub links: FeedLinks,
    /// `PeerTube - <origin>`.
    pub generator: String,
    /// PeerTube's rights statement.
    pub copyright: String,
    /// The newest item's date (ms), or the feed's own creation when empty.
    pub updated_ms: i64,
    /// The videos, in list order.
    pub items: Vec<Item>,
}

/// The media file a feed reader downloads for an item (`<enclosure>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enclosure {
    /// Absolute URL.
    pub url: String,
    /// Bytes (0 when unknown).
    pub length: i64,
    /// MIME type.
    pub mime_type: String,
}

/// One file of a video, for Media RSS's `<media:content>`.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaFile {
    /// Absolute URL.
    pub url: String,
    /// MIME type.
    pub mime_type: String,
    /// PeerTube's resolution (the frame's short side; 0 audio only).
    pub resolution: i64,
    /// Bytes, when known.
    pub size: Option<i64>,
    /// Frames per second, when known.
    pub fps: Option<f64>,
}

/// A `.torrent` of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Torrent {
    /// Absolute URL of the `.torrent`.
    pub url: String,
    /// The file's size in bytes, when known.
    pub size: Option<i64>,
}

/// A thumbnail image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// Absolute URL.
    pub url: String,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
}

/// One video of a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The video's name.
    pub title: String,
    /// The watch page on this instance; also the item's id.
    pub link: String,
    /// The truncated description, plain text.
    pub summary: String,
    /// The description as HTML.
    pub content_html: String,
    /// Originally published, else published (ms).
    pub date_ms: i64,
    /// Not safe for work.
    pub nsfw: bool,
    /// The category's label.
    pub category: Option<String>,
    /// The video's thumbnail.
    pub thumbnail: Option<Thumbnail>,
    /// The channel.
    pub author: Person,
    /// The media file readers download.
    pub enclosure: Option<Enclosure>,
    /// Every file, largest first.
    pub files: Vec<MediaFile>,
    /// The files' torrents.
    pub torrents: Vec<Torrent>,
    /// `<origin>/videos/embed/<uuid>`.
    pub embed_url: String,
    /// Views.
    pub views: i64,
    /// Seconds.
    pub duration: i64,
    /// Language code.
    pub language: Option<String>,
}
