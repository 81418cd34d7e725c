//! WebFinger (RFC 7033): from `acct:name@host` (or an actor URL) to the actor document.

use edgetube_domain::Origin;
use serde::Serialize;
use thiserror::Error;

/// `Content-Type` of WebFinger answers, as PeerTube sends them.
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// Why a `resource` parameter names no local actor.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResourceError {
    /// Not an `acct:` URI nor an actor URL of this instance.
    #[error("{0:?} is not an acct: URI or actor URL")]
    Malformed(String),
    /// A well-formed resource on another host.
    #[error("{0:?} is not on this instance")]
    NotLocal(String),
}

/// The username a `resource` parameter names on this instance.
///
/// Accepts `acct:name@host`, `name@host` (Mastodon's lenient form) and this instance's actor
/// URLs (`/accounts/name`, `/video-channels/name`, `/a/name`, `/c/name`), which Fedify sends
/// when it looks up an URL.
pub fn requested_username(origin: &Origin, resource: &str) -> Result<String, ResourceError> {
    let malformed = || ResourceError::Malformed(resource.to_owned());
    if resource.starts_with("http://") || resource.starts_with("https://") {
        let url = url::Url::parse(resource).map_err(|_| malformed())?;
        let same_origin = url.scheme() == origin.scheme()
            && url.host_str().is_some_and(|h| h.eq_ignore_ascii_case(origin.host()))
            && url.port_or_known_default()
                == url::Url::parse(origin.as_str()).ok().and_then(|o| o.port_or_known_default());
        if !same_origin {
            return Err(ResourceError::NotLocal(resource.to_owned()));
        }
        let mut segments = url.path_segments().ok_or_else(malformed)?;
        return match (segments.next(), segments.next(), segments.next()) {
            (Some("accounts" | "video-channels" | "a" | "c"), Some(name), None) if valid_username(name) => {
                Ok(name.to_owned())
            }
            _ => Err(malformed()),
        };
    }
    let handle = resource.strip_prefix("acct:").unwrap_or(resource);
    let (name, host) = handle.rsplit_once('@').ok_or_else(malformed)?;
    let name = name.strip_prefix('@').unwrap_or(name);
    if !valid_username(name) || host.is_empty() {
        return Err(malformed());
    }
    if !host.eq_ignore_ascii_case(&origin.authority()) {
        return Err(ResourceError::NotLocal(resource.to_owned()));
    }
    Ok(name.to_owned())
}

/// PeerTube's actor name rule: 1–50 characters of `a-z 0-9 _ .` (case-insensitive) and `-`... kept
/// permissive on case because lookups are case-insensitive.
fn valid_username(name: &str) -> bool {
    (1..=50).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A JSON Resource Descriptor, in PeerTube's field order.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Jrd {
    /// `acct:name@host`.
    pub subject: String,
    /// The actor URL.
    pub aliases: Vec<String>,
    /// `self` (the actor document) and the OStatus subscribe template.
    pub links: Vec<JrdLink>,
}

/// One JRD link.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct JrdLink {
    /// The relation.
    pub rel: &'static str,
    /// Media type of `href`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub media_type: Option<&'static str>,
    /// The target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// A URI template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

/// The JRD for the local actor `username` whose document lives at `actor_path`.
pub fn jrd(origin: &Origin, username: &str, actor_path: &str) -> Jrd {
    let actor_url = origin.join(actor_path);
    Jrd {
        subject: format!("acct:{username}@{}", origin.authority()),
        aliases: vec![actor_url.clone()],
        links: vec![
            JrdLink {
                rel: "self",
                media_type: Some("application/activity+json"),
                href: Some(actor_url),
                template: None,
            },
            JrdLink {
                rel: "http://ostatus.org/schema/1.0/subscribe",
                media_type: None,
                href: None,
                template: Some(origin.join("/remote-interaction?uri={uri}")),
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin::parse("http://127.0.0.1:9000", true).unwrap()
    }

    #[test]
    fn resources() {
        let o = origin();
        let cases: [(&str, Result<&str, ()>); 11] = [
            ("acct:root@127.0.0.1:9000", Ok("root")),
            ("acct:Root_Channel@127.0.0.1:9000", Ok("Root_Channel")),
            ("root@127.0.0.1:9000", Ok("root")),
            ("http://127.0.0.1:9000/video-channels/root_channel", Ok("root_channel")),
            ("http://127.0.0.1:9000/accounts/peertube", Ok("peertube")),
            ("http://127.0.0.1:9000/c/root_channel", Ok("root_channel")),
            ("acct:root@other.example", Err(())),
            ("http://127.0.0.1:9001/accounts/root", Err(())),
            ("acct:root", Err(())),
            ("acct:ro ot@127.0.0.1:9000", Err(())),
            ("http://127.0.0.1:9000/videos/watch/x", Err(())),
        ];
        for (resource, expected) in cases {
            assert_eq!(
                requested_username(&o, resource).map_err(|_| ()),
                expected.map(str::to_owned),
                "{resource}"
            );
        }
        assert!(matches!(requested_username(&o, "acct:root@other.example"), Err(ResourceError::NotLocal(_))));
    }

    #[test]
    fn jrd_matches_peertube_sample() {
        let sample: serde_json::Value = serde_json::from_str(include_str!(
            "../../../../shared/reference/peertube-samples/activitypub/webfinger-channel.json"
        ))
        .unwrap();
        let ours =
            serde_json::to_value(jrd(&origin(), "root_channel", "/video-channels/root_channel")).unwrap();
        assert_eq!(ours, sample);
    }
}
