//! `GET /api/v1/config` and `GET /api/v1/config/about`.
//!
//! The key set is PeerTube 7's (clients such as the web app and peertube-cli read deep into it);
//! the values describe what Edgetube actually offers, so switches for features it does not have
//! (imports, live, studio, plugins) are off.

use edgetube_domain::{InstanceConfig, SignupPolicy};
use edgetube_federation::nodeinfo::{ENABLED_RESOLUTIONS, PEERTUBE_VERSION};
use serde_json::{json, Value};

const IMAGE_EXTENSIONS: [&str; 5] = [".png", ".jpeg", ".jpg", ".gif", ".webp"];
/// Video containers ffmpeg reads and PeerTube accepts.
const VIDEO_EXTENSIONS: &[&str] = &[
    ".webm", ".ogv", ".ogg", ".mp4", ".mkv", ".mov", ".qt", ".mqv", ".m4v", ".flv", ".f4v", ".wmv", ".avi",
    ".3gp", ".3gpp", ".3g2", ".3gpp2", ".nut", ".mts", ".m2ts", ".mpv", ".m2v", ".m1v", ".mpg", ".mpe",
    ".mpeg", ".vob", ".mxf", ".mp3", ".wma", ".wav", ".flac", ".aac", ".m4a", ".ac3",
];

fn off_with_runners() -> Value {
    json!({"enabled": false, "remoteRunners": {"enabled": false}})
}

/// The public server configuration.
pub fn server_config(config: &InstanceConfig) -> Value {
    json!({
        "client": {
            "videos": {
                "miniature": {"preferAuthorDisplayName": false},
                "resumableUpload": {"maxChunkSize": 0}
            },
            "menu": {"login": {"redirectOnSingleExternalAuth": false}}
        },
        "defaults": {
            "publish": {"downloadEnabled": true, "commentsPolicy": 1, "commentsEnabled": true, "privacy": 1, "licence": null},
            "p2p": {"webapp": {"enabled": true}, "embed": {"enabled": true}}
        },
        "webadmin": {"configuration": {"edition": {"allowed": false}}},
        "instance": {
            "name": config.name,
            "shortDescription": config.short_description,
            "isNSFW": false,
            "defaultNSFWPolicy": "display",
            "defaultClientRoute": "/videos/browse",
            "customizations": {"javascript": "", "css": ""},
            "avatars": [],
            "banners": []
        },
        "search": {
            "remoteUri": {"users": true, "anonymous": false},
            "searchIndex": {"enabled": false, "url": "", "disableLocalSearch": false, "isDefaultSearch": false}
        },
        "plugin": {"registered": [], "registeredExternalAuths": [], "registeredIdAndPassAuths": []},
        "theme": {"registered": [], "builtIn": [], "default": "default"},
        "email": {"enabled": false},
        "contactForm": {"enabled": false},
        "serverVersion": PEERTUBE_VERSION,
        "serverCommit": "",
        "transcoding": {
            "remoteRunners": {"enabled": true},
            "hls": {"enabled": true},
            "web_videos": {"enabled": false},
            "enabledResolutions": ENABLED_RESOLUTIONS,
            "profile": "default",
            "availableProfiles": ["default"]
        },
        "live": {
            "enabled": false,
            "allowReplay": false,
            "latencySetting": {"enabled": false},
            "maxDuration": -1,
            "maxInstanceLives": 0,
            "maxUserLives": 0,
            "transcoding": {
                "enabled": false,
                "remoteRunners": {"enabled": false},
                "enabledResolutions": [],
                "profile": "default",
                "availableProfiles": ["default"]
            },
            "rtmp": {"port": 1935}
        },
        "videoStudio": off_with_runners(),
        "videoFile": {"update": {"enabled": false}},
        "videoTranscription": off_with_runners(),
        "import": {
            "videos": {"http": {"enabled": false}, "torrent": {"enabled": false}},
            "videoChannelSynchronization": {"enabled": false},
            "users": {"enabled": false}
        },
        "export": {"users": {"enabled": false, "exportExpiration": 0, "maxUserVideoQuota": 0}},
        "autoBlacklist": {"videos": {"ofUsers": {"enabled": false}}},
        "avatar": {"file": {"size": {"max": 102_400}, "extensions": IMAGE_EXTENSIONS}},
        "banner": {"file": {"size": {"max": 102_400}, "extensions": IMAGE_EXTENSIONS}},
        "video": {
            "image": {"extensions": [".png", ".jpg", ".jpeg", ".webp"], "size": {"max": 409_600}},
            "file": {"extensions": VIDEO_EXTENSIONS}
        },
        "videoCaption": {"file": {"size": {"max": 20_971_520}, "extensions": [".vtt", ".srt"]}},
        "user": {"videoQuota": -1, "videoQuotaDaily": -1},
        "videoChannels": {"maxPerUser": 20},
        "trending": {"videos": {"intervalDays": 7, "algorithms": {"enabled": ["most-viewed"], "default": "most-viewed"}}},
        "tracker": {"enabled": config.tracker_enabled},
        "followings": {"instance": {"autoFollowIndex": {"indexUrl": ""}}},
        "broadcastMessage": {"enabled": false, "message": "", "level": "info", "dismissable": false},
        "homepage": {"enabled": false},
        "openTelemetry": {"metrics": {"enabled": false, "playbackStatsInterval": 15_000}},
        "views": {"videos": {"watchingInterval": {"anonymous": 5000, "users": 5000}}},
        "storyboards": {"enabled": true},
        "webrtc": {"stunServers": []},
        "signup": {
            "allowed": config.signup.allowed(),
            "allowedForCurrentIP": config.signup.allowed(),
            "minimumAge": 16,
            "requiresApproval": config.signup == SignupPolicy::RequiresApproval,
            "requiresEmailVerification": false
        }
    })
}

/// The "about" texts.
pub fn about(config: &InstanceConfig) -> Value {
    json!({
        "instance": {
            "name": config.name,
            "shortDescription": config.short_description,
            "description": config.description,
            "terms": "",
            "codeOfConduct": "",
            "hardwareInformation": "",
            "creationReason": "",
            "moderationInformation": "",
            "administrator": "",
            "maintenanceLifetime": "",
            "businessModel": "",
            "languages": [],
            "categories": [],
            "banners": [],
            "avatars": []
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn sample(name: &str) -> Value {
        let path =
            format!("{}/../../../shared/reference/peertube-samples/rest/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
            .unwrap()
    }

    fn config() -> InstanceConfig {
        let vars: BTreeMap<String, String> = [
            ("PUBLIC_ORIGIN", "https://tube.example"),
            ("KEY_ENCRYPTION_SECRET", "0123456789abcdef0123456789abcdef"),
            ("ADMIN_PASSWORD", "secret1"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        InstanceConfig::from_vars(&vars).unwrap()
    }

    /// Every object path of `value`, so shapes can be compared without values.
    fn paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
        if let Value::Object(map) = value {
            for (k, v) in map {
                let path = format!("{prefix}/{k}");
                out.push(path.clone());
                paths(v, &path, out);
            }
        }
    }

    #[test]
    fn config_has_every_key_peertube_7_serves() {
        for (ours, theirs) in [
            (server_config(&config()), sample("config.json")),
            (about(&config()), sample("config-about.json")),
        ] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            paths(&ours, "", &mut a);
            paths(&theirs, "", &mut b);
            // `theme.builtIn` entries are objects in the sample; ours is empty.
            let missing: Vec<_> = b.iter().filter(|p| !a.contains(p)).collect();
            assert!(missing.is_empty(), "missing keys: {missing:?}");
        }
        assert_eq!(server_config(&config())["serverVersion"], "7.0.0");
    }
}
