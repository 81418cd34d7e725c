//! The parts of the REST API's JSON the pages show, typed. Every field defaults, so a page
//! renders whatever subset an answer (a remote video's, say) carries.

use serde::Deserialize;

/// `{total, data}`, PeerTube's list shape.
#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct Page<T> {
    pub total: i64,
    pub data: Vec<T>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Self { total: 0, data: Vec::new() }
    }
}

/// An `{id, label}` pair (privacy, state, resolution, category...).
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct Label {
    pub id: serde_json::Value,
    pub label: String,
}

/// An account or a channel as videos and comments embed it.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default, rename_all = "camelCase")]
pub struct ActorRef {
    pub name: String,
    pub host: String,
    pub display_name: String,
    pub url: String,
}

impl ActorRef {
    /// `name@host`, how PeerTube names actors in its URLs.
    pub fn handle(&self) -> String {
        format!("{}@{}", self.name, self.host)
    }
}

/// A video in a list.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VideoCard {
    pub uuid: String,
    pub short_uuid: String,
    pub name: String,
    pub duration: i64,
    pub views: i64,
    pub thumbnail_path: Option<String>,
    pub published_at: Option<String>,
    pub is_local: bool,
    pub channel: ActorRef,
    pub account: ActorRef,
}

/// One HLS playlist of a video.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default, rename_all = "camelCase")]
pub struct StreamingPlaylist {
    pub playlist_url: String,
    pub segments_sha256_url: Option<String>,
    pub files: Vec<PlaylistFile>,
}

/// One rendition of a playlist.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct PlaylistFile {
    pub resolution: Label,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

/// `GET /videos/{id}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VideoDetails {
    pub id: i64,
    pub uuid: String,
    pub short_uuid: String,
    pub url: String,
    pub name: String,
    pub description: Option<String>,
    pub duration: i64,
    pub views: i64,
    pub likes: i64,
    pub dislikes: i64,
    pub thumbnail_path: Option<String>,
    pub preview_path: Option<String>,
    pub embed_path: Option<String>,
    pub published_at: Option<String>,
    pub is_local: bool,
    pub aspect_ratio: Option<f64>,
    pub privacy: Label,
    pub state: Label,
    pub tags: Vec<String>,
    pub comments_enabled: Option<bool>,
    pub streaming_playlists: Vec<StreamingPlaylist>,
    pub tracker_urls: Vec<String>,
    pub channel: ActorRef,
    pub account: ActorRef,
}

/// A comment (a thread's first comment, or a reply).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Comment {
    pub id: i64,
    pub text: String,
    pub thread_id: i64,
    pub created_at: Option<String>,
    pub is_deleted: bool,
    pub total_replies: i64,
    pub account: Option<ActorRef>,
}

/// `GET /video-channels/{handle}` or `/accounts/{name}` (the fields both share).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ActorDetails {
    pub name: String,
    pub host: String,
    pub display_name: String,
    pub description: Option<String>,
    pub url: String,
    pub followers_count: i64,
    pub owner_account: Option<ActorRef>,
}

/// A storyboard sprite sheet (`GET /videos/{id}/storyboards`).
#[derive(Debug, Default, Deserialize, serde::Serialize, Clone)]
#[serde(default, rename_all = "camelCase")]
pub struct Storyboard {
    pub storyboard_path: String,
    pub total_height: i64,
    pub total_width: i64,
    pub sprite_width: i64,
    pub sprite_height: i64,
    pub sprite_duration: i64,
}

/// `{storyboards: [...]}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Storyboards {
    pub storyboards: Vec<Storyboard>,
}

/// The part of `GET /config` the pages use.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    pub instance: InstanceInfo,
    pub signup: Signup,
}

/// `config.instance`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct InstanceInfo {
    pub name: String,
    pub short_description: String,
}

/// `config.signup`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Signup {
    pub allowed: bool,
    pub requires_approval: bool,
    pub minimum_age: i64,
}
