//! NodeInfo 2.0: the discovery document and the schema 2.0 body.
//!
//! `software.name` is `peertube` and `software.version` is the PeerTube version whose API we
//! serve: apps and crawlers pick their PeerTube code path from these two fields. Edgetube names
//! itself in `metadata.edgetube`.

use edgetube_domain::{InstanceConfig, Origin};
use serde::Serialize;
use serde_json::{json, Value};

/// `Content-Type` of `/nodeinfo/2.0.json`, as PeerTube sends it.
pub const CONTENT_TYPE_2_0: &str =
    "application/json; charset=utf-8; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.0#\"";

/// The PeerTube release whose wire formats Edgetube follows.
pub const PEERTUBE_VERSION: &str = "7.0.0";

/// Edgetube's own version.
pub const EDGETUBE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// `/.well-known/nodeinfo`.
pub fn discovery(origin: &Origin) -> Value {
    json!({
        "links": [
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": origin.join("/nodeinfo/2.0.json")},
            {"rel": "https://www.w3.org/ns/activitystreams#Application", "href": origin.join("/accounts/peertube")}
        ]
    })
}

/// The counts NodeInfo reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Local users.
    pub users_total: i64,
    /// Users active in the last 30 days.
    pub users_active_month: i64,
    /// Users active in the last 180 days.
    pub users_active_halfyear: i64,
    /// Local videos.
    pub local_posts: i64,
    /// Local comments.
    pub local_comments: i64,
}

/// What the instance transcodes to, for `nodeConfig.transcoding`.
pub const ENABLED_RESOLUTIONS: [u32; 5] = [240, 360, 480, 720, 1080];

/// `/nodeinfo/2.0.json`, with every field the NodeInfo 2.0 schema requires and PeerTube's
/// `metadata`.
pub fn document(config: &InstanceConfig, usage: Usage) -> Value {
    json!({
        "version": "2.0",
        "software": {"name": "peertube", "version": PEERTUBE_VERSION},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
        "openRegistrations": config.signup.allowed(),
        "usage": {
            "users": {
                "total": usage.users_total,
                "activeMonth": usage.users_active_month,
                "activeHalfyear": usage.users_active_halfyear
            },
            "localPosts": usage.local_posts,
            "localComments": usage.local_comments
        },
        "metadata": {
            "taxonomy": {"postsName": "Videos"},
            "nodeName": config.name,
            "nodeDescription": config.short_description,
            "nodeConfig": {
                "search": {"remoteUri": {"users": true, "anonymous": false}},
                "plugin": {"registered": []},
                "theme": {"registered": [], "default": "default"},
                "email": {"enabled": false},
                "contactForm": {"enabled": false},
                "transcoding": {
                    "hls": {"enabled": true},
                    "web_videos": {"enabled": false},
                    "enabledResolutions": ENABLED_RESOLUTIONS
                },
                "live": {"enabled": false, "transcoding": {"enabled": false, "enabledResolutions": []}},
                "import": {"videos": {"http": {"enabled": false}, "torrent": {"enabled": false}}},
                "autoBlacklist": {"videos": {"ofUsers": {"enabled": false}}},
                "user": {"videoQuota": -1, "videoQuotaDaily": -1},
                "trending": {"videos": {"intervalDays": 7}},
                "tracker": {"enabled": true}
            },
            "edgetube": {"version": EDGETUBE_VERSION}
        }
    })
}
