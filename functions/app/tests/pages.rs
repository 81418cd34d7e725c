//! The web pages over native ports: what each page shows, the content negotiation that keeps
//! ActivityPub documents at the same URLs, escaping of what users wrote, and HTML refusals.

#![allow(clippy::unwrap_used)]

mod support;

use bytes::Bytes;
use edgetube_domain::videos::{privacy, NewVideo};
use http::Response;
use support::Fixture;

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const ACTIVITY: &str = "application/activity+json";

fn page(f: &Fixture, path: &str) -> (u16, String, Response<Bytes>) {
    let response = f.fetch(path, &[("accept", BROWSER)]);
    let body = String::from_utf8(response.body().to_vec()).unwrap();
    (response.status().as_u16(), body, response)
}

fn content_type(response: &Response<Bytes>) -> &str {
    response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default()
}

fn video(f: &Fixture, name: &str, privacy: i64) -> String {
    let root = f.root();
    let mut new = NewVideo::new(f.channel_of(&root), name);
    new.privacy = privacy;
    new.description = Some("First paragraph.\n\nSecond <b>paragraph</b>.".into());
    f.video(new).uuid
}

#[test]
fn the_home_page_lists_public_local_videos_only() {
    let f = Fixture::new();
    video(&f, "A public video", privacy::PUBLIC);
    video(&f, "An unlisted video", privacy::UNLISTED);
    let (status, body, response) = page(&f, "/");
    assert_eq!(status, 200);
    assert_eq!(content_type(&response), "text/html; charset=utf-8");
    assert_eq!(response.headers()["cache-control"], "no-cache");
    assert!(body.contains("A public video"), "{body}");
    assert!(!body.contains("An unlisted video"));
    assert!(body.contains(r#"<link rel="alternate" type="application/rss+xml""#));
}

#[test]
fn the_watch_page_carries_the_player_opengraph_and_alternates_and_escapes_user_text() {
    let f = Fixture::new();
    let uuid = video(&f, "</script><script>alert(1)</script> & more", privacy::PUBLIC);
    let (status, body, _) = page(&f, &format!("/videos/watch/{uuid}"));
    assert_eq!(status, 200);
    assert!(!body.contains("<script>alert(1)"), "user text is escaped everywhere");
    let h1 = &body[body.find(r#"<h1 class="video-title">"#).unwrap()..];
    let h1 = &h1[..h1.find("</h1>").unwrap()];
    assert!(h1.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#38; more"), "{h1}");
    assert!(body.contains(r#"<meta property="og:type" content="video.other">"#));
    assert!(body.contains(r#"<meta name="twitter:card" content="player">"#));
    assert!(
        body.contains(&format!(
            r#"type="application/activity+json" href="http://127.0.0.1:9000/videos/watch/{uuid}""#
        )),
        "{body}"
    );
    assert!(
        body.contains(r#"type="application/json+oembed" href="http://127.0.0.1:9000/services/oembed?url="#)
    );
    assert!(body.contains("<p>Second &#60;b&#62;paragraph&#60;/b&#62;.</p>"), "{body}");
    // The player's JSON sits in a <script> and cannot close it.
    let start = body.find(r#"<script type="application/json" id="player-config">"#).unwrap();
    let json = &body[start..];
    let json = &json[json.find('>').unwrap() + 1..json.find("</script>").unwrap()];
    let config: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(config["uuid"], uuid);
    assert_eq!(config["isPrivate"], false);
    assert!(config["playlistUrl"].is_null(), "no HLS yet: {config}");
}

#[test]
fn activitypub_clients_still_get_documents_at_the_same_urls() {
    let f = Fixture::new();
    let uuid = video(&f, "Federated", privacy::PUBLIC);
    for path in
        [format!("/videos/watch/{uuid}"), "/video-channels/root_channel".into(), "/accounts/root".into()]
    {
        let response = f.fetch(&path, &[("accept", ACTIVITY)]);
        assert_eq!(response.status(), 200, "{path}");
        assert!(content_type(&response).starts_with(ACTIVITY), "{path}: {}", content_type(&response));
        let (status, body, response) = page(&f, &path);
        assert_eq!(status, 200, "{path}");
        assert!(content_type(&response).starts_with("text/html"), "{path}");
        assert!(body.contains("<!doctype html>"));
    }
}

#[test]
fn channel_and_account_pages_list_their_videos() {
    let f = Fixture::new();
    video(&f, "Root's video", privacy::PUBLIC);
    for path in ["/c/root_channel", "/a/root"] {
        let (status, body, _) = page(&f, path);
        assert_eq!(status, 200, "{path}");
        assert!(body.contains("Root&#x27;s video") || body.contains("Root&#39;s video"), "{path}: {body}");
        assert!(body.contains("/feeds/videos.xml?"), "{path}");
    }
}

#[test]
fn missing_things_get_an_html_404_and_private_videos_an_empty_shell() {
    let f = Fixture::new();
    let (status, body, response) = page(&f, "/w/00000000-0000-0000-0000-000000000000");
    assert_eq!(status, 404);
    assert!(content_type(&response).starts_with("text/html"));
    assert!(body.contains("Video not found"));
    let (status, _, _) = page(&f, "/c/nobody_here");
    assert_eq!(status, 404);

    let uuid = video(&f, "Secret title", privacy::PRIVATE);
    let (status, body, _) = page(&f, &format!("/w/{uuid}"));
    assert_eq!(status, 200);
    assert!(!body.contains("Secret title"), "a private video's page tells nothing");
    assert!(body.contains(r#""needsAuth":true"#));
}

#[test]
fn the_signup_page_follows_the_signup_policy() {
    let closed = Fixture::bare();
    let (_, body, _) = page(&closed, "/signup");
    assert!(body.contains("Sign-ups are closed"));
    assert!(!body.contains("signup-form"));
    let open = Fixture::with_vars(&[("SIGNUP_OPEN", "true")]);
    let (_, body, _) = page(&open, "/signup");
    assert!(body.contains(r#"id="signup-form""#));
    assert!(body.contains(r#"data-approval="false""#));
    let moderated = Fixture::with_vars(&[("SIGNUP_POLICY", "requires-approval")]);
    let (_, body, _) = page(&moderated, "/signup");
    assert!(body.contains(r#"data-approval="true""#), "{body}");
    assert!(body.contains("registrationReason"));
}

#[test]
fn the_embed_may_be_framed_anywhere_and_search_finds_videos() {
    let f = Fixture::new();
    let uuid = video(&f, "Embeddable bunny", privacy::PUBLIC);
    let (status, body, response) = page(&f, &format!("/videos/embed/{uuid}?start=10&p2p=0"));
    assert_eq!(status, 200);
    assert_eq!(response.headers()["content-security-policy"], "frame-ancestors *");
    assert!(response.headers().get("x-frame-options").is_none());
    assert!(body.contains(r#""p2p":"0""#) && body.contains(r#""start":"10""#), "{body}");
    let (status, body, _) = page(&f, "/search?search=bunny");
    assert_eq!(status, 200);
    assert!(body.contains("Embeddable bunny"));
    assert!(body.contains(r#"value="bunny""#));
}

#[test]
fn the_p2p_setting_is_offered_only_where_viewers_can_share() {
    const SETTING: &str = r#"id="p2p-setting""#;
    let with_tracker = Fixture::new();
    let public = video(&with_tracker, "Shared", privacy::PUBLIC);
    let (_, body, _) = page(&with_tracker, &format!("/videos/watch/{public}"));
    assert!(body.contains(SETTING), "a public video with a tracker offers the setting: {body}");
    let unlisted = video(&with_tracker, "Unlisted", privacy::UNLISTED);
    let (_, body, _) = page(&with_tracker, &format!("/videos/watch/{unlisted}"));
    assert!(body.contains(SETTING), "unlisted media is open too");
    let internal = video(&with_tracker, "Internal", privacy::INTERNAL);
    let (status, body, _) = page(&with_tracker, &format!("/videos/watch/{internal}"));
    assert_eq!(status, 200);
    assert!(!body.contains(SETTING), "media behind a token is never shared");

    // Spin's default: no tracker, so nothing to share and no checkbox promising it.
    let without = Fixture::with_vars(&[("TRACKER_ENABLED", "false")]);
    let public = video(&without, "Alone", privacy::PUBLIC);
    let (status, body, _) = page(&without, &format!("/videos/watch/{public}"));
    assert_eq!(status, 200);
    assert!(!body.contains(SETTING), "{body}");
}
