//! Feeds and oEmbed over the whole app: PeerTube's `/feeds/videos.{xml,atom,json}` for the
//! instance, an account and a channel, the subscriptions feed behind a feed token, and
//! `/services/oembed`, each read back with a real parser (the `rss` and `atom_syndication`
//! crates, `serde_json`).

#![allow(clippy::unwrap_used)]

mod support;

use bytes::Bytes;
use edgetube_domain::videos::{privacy, state, NewVideo, Video};
use edgetube_ports::{InboxWork, JobQueue, QueueMessage, Sql, Statement};
use http::Response;
use serde_json::{json, Value};
use support::network::{Network, A};
use support::{json_body, Fixture, ORIGIN};

/// A published public video in `channel` with two HLS renditions and its images, as the runner
/// leaves one (rows written directly: the pipeline itself is tested elsewhere).
fn published(f: &Fixture, channel: i64, name: &str) -> Video {
    let video = f.video(NewVideo {
        description: Some("A <clip>\n\nSecond paragraph".into()),
        category: Some(15),
        duration: 5,
        ..NewVideo::new(channel, name)
    });
    let uuid = &video.uuid;
    let mut statements = vec![Statement::new(
        "UPDATE videos SET hls_master_key = ?1, hls_sha256_key = ?2, thumbnail_key = ?3, preview_key = ?4 WHERE id = ?5",
    )
    .bind(format!("hls/{uuid}/{uuid}-master.m3u8"))
    .bind(format!("hls/{uuid}/{uuid}-segments-sha256.json"))
    .bind(format!("thumbnails/{uuid}.jpg"))
    .bind(format!("previews/{uuid}.jpg"))
    .bind(video.id)];
    for (resolution, size) in [(240, 40_000), (720, 160_000)] {
        statements.push(
            Statement::new(
                "INSERT INTO video_files (video_id, resolution, width, height, fps, size, codecs, has_audio, \
                 has_video, file_name, playlist_name, segments_sha256, created_at) \
                 VALUES (?1, ?2, ?3, ?2, 25, ?4, 'avc1.64001f,mp4a.40.2', 1, 1, ?5, ?6, '{}', 0)",
            )
            .bind(video.id)
            .bind(resolution)
            .bind(resolution * 16 / 9)
            .bind(size)
            .bind(format!("{uuid}-{resolution}-fragmented.mp4"))
            .bind(format!("{uuid}-{resolution}.m3u8")),
        );
    }
    f.block(f.ports.ports().sql.batch(statements)).unwrap();
    video
}

/// Videos no feed may list: private, unlisted, internal, not yet transcoded.
fn hidden_videos(f: &Fixture, channel: i64) {
    for privacy in [privacy::PRIVATE, privacy::UNLISTED, privacy::INTERNAL] {
        f.video(NewVideo { privacy, ..NewVideo::new(channel, format!("Hidden {privacy}")) });
    }
    f.video(NewVideo { state: state::TO_TRANSCODE, ..NewVideo::new(channel, "Hidden transcoding") });
}

fn get(f: &Fixture, path: &str, accept: Option<&str>) -> Response<Bytes> {
    let mut headers = vec![("host", "127.0.0.1:9000")];
    if let Some(accept) = accept {
        headers.push(("accept", accept));
    }
    f.fetch(path, &headers)
}

fn header<'a>(response: &'a Response<Bytes>, name: &str) -> &'a str {
    response.headers().get(name).map_or("", |v| v.to_str().unwrap())
}

fn rss(f: &Fixture, path: &str) -> rss::Channel {
    // What feed readers send (feedparser's list, shortened).
    let response = get(f, path, Some("application/rss+xml, application/xml;q=0.9, */*;q=0.1"));
    assert_eq!(response.status(), 200, "{path}: {:?}", response.body());
    assert!(header(&response, "content-type").ends_with("xml; charset=utf-8"));
    rss::Channel::read_from(&response.body()[..]).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn titles(channel: &rss::Channel) -> Vec<&str> {
    channel.items.iter().filter_map(|i| i.title.as_deref()).collect()
}

fn hls_url(video: &Video, resolution: u32) -> String {
    format!("{ORIGIN}/static/streaming-playlists/hls/{0}/{0}-{resolution}-fragmented.mp4", video.uuid)
}

#[test]
fn the_instance_feed_lists_public_published_videos_with_their_enclosure() {
    let f = Fixture::new();
    let root = f.root();
    let channel = f.channel_of(&root);
    hidden_videos(&f, channel);
    let video = published(&f, channel, "Feed clip");

    let response = get(&f, "/feeds/videos.xml", None);
    assert_eq!(response.status(), 200);
    // No Accept header: the first of `.xml`'s types, as Express's `req.accepts`.
    assert_eq!(header(&response, "content-type"), "application/xml; charset=utf-8");
    assert_eq!(header(&response, "cache-control"), "max-age=900");
    // One XML declaration, first (strict XML parsers refuse any other).
    let text = std::str::from_utf8(response.body()).unwrap();
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"), "{text}");
    assert_eq!(text.matches("<?xml").count(), 1, "{text}");

    let feed = rss(&f, "/feeds/videos.rss");
    assert_eq!(titles(&feed), ["Feed clip"]);
    assert_eq!(feed.link, ORIGIN);
    let item = &feed.items[0];
    let watch = format!("{ORIGIN}/videos/watch/{}", video.uuid);
    assert_eq!(item.link.as_deref(), Some(watch.as_str()));
    assert_eq!(item.guid.as_ref().map(|g| g.value.as_str()), Some(watch.as_str()));
    let enclosure = item.enclosure.as_ref().unwrap();
    assert_eq!(enclosure.url, hls_url(&video, 720), "the largest rendition");
    assert_eq!((enclosure.length.as_str(), enclosure.mime_type.as_str()), ("160000", "video/mp4"));
    assert_eq!(item.description.as_deref(), Some("A <clip>\n\nSecond paragraph"));
    assert_eq!(item.content.as_deref(), Some("<p>A &lt;clip&gt;</p><p>Second paragraph</p>"));
    assert_eq!(item.dublin_core_ext.as_ref().unwrap().creators, ["Main root channel"]);
    // The parser keys extensions by local name.
    let media = &item.extensions["media"];
    let contents = &media["group"][0].children["content"];
    let urls: Vec<&str> = contents.iter().map(|c| c.attrs["url"].as_str()).collect();
    assert_eq!(urls, [hls_url(&video, 720), hls_url(&video, 240)]);
    assert_eq!(media["embed"][0].attrs["url"], format!("{ORIGIN}/videos/embed/{}", video.uuid));
    assert_eq!(
        media["thumbnail"][0].attrs["url"],
        format!("{ORIGIN}/lazy-static/thumbnails/{}.jpg", video.uuid)
    );
    assert_eq!(media["category"][0].value.as_deref(), Some("Science & Technology"));

    // `?format=atom` turns the ambiguous `.xml` into Atom.
    let atom = get(&f, "/feeds/videos.xml?format=atom", Some("application/atom+xml"));
    assert_eq!(header(&atom, "content-type"), "application/atom+xml; charset=utf-8");
    let atom = atom_syndication::Feed::read_from(&atom.body()[..]).unwrap();
    assert_eq!(atom.entries.len(), 1);
}

#[test]
fn account_and_channel_feeds_in_every_format() {
    let f = Fixture::new();
    let root = f.root();
    let alice = f.user("alice");
    let root_video = published(&f, f.channel_of(&root), "Root clip");
    let alice_channel = f.channel_of(&alice);
    let alice_video = published(&f, alice_channel, "Alice clip");
    let alice_account = f.get("/api/v1/users/me", Some(&alice)).1["account"]["id"].as_i64().unwrap();

    assert_eq!(titles(&rss(&f, "/feeds/videos.xml")), ["Alice clip", "Root clip"]);
    let by_account = rss(&f, &format!("/feeds/videos.xml?accountId={alice_account}"));
    assert_eq!(titles(&by_account), ["Alice clip"]);
    assert_eq!(by_account.link, format!("{ORIGIN}/a/alice"));
    assert_eq!(titles(&rss(&f, "/feeds/videos.xml?accountName=root")), ["Root clip"]);
    assert_eq!(
        titles(&rss(&f, "/feeds/videos.xml?videoChannelName=root_channel@127.0.0.1:9000")),
        ["Root clip"]
    );
    // A channel and an account that does not own it: nothing, as PeerTube filters by both.
    assert!(titles(&rss(
        &f,
        &format!("/feeds/videos.xml?videoChannelName=root_channel&accountId={alice_account}")
    ))
    .is_empty());

    let atom =
        get(&f, &format!("/feeds/videos.atom?videoChannelId={alice_channel}"), Some("application/atom+xml"));
    assert_eq!(atom.status(), 200);
    let atom = atom_syndication::Feed::read_from(&atom.body()[..]).unwrap();
    assert_eq!(atom.title.value, "Main alice channel");
    assert_eq!(atom.id, format!("{ORIGIN}/c/alice_channel"));
    let entry = &atom.entries[0];
    assert_eq!(entry.title.value, "Alice clip");
    let enclosure = entry.links.iter().find(|l| l.rel == "enclosure").unwrap();
    assert_eq!(enclosure.href, hls_url(&alice_video, 720));
    assert_eq!(
        (enclosure.mime_type.as_deref(), enclosure.length.as_deref()),
        (Some("video/mp4"), Some("160000"))
    );
    assert_eq!(entry.authors[0].name, "Main alice channel");

    let json = get(&f, &format!("/feeds/videos.json?accountId={alice_account}"), Some("application/json"));
    assert_eq!(header(&json, "content-type"), "application/json; charset=utf-8");
    let json = json_body(&json);
    assert_eq!(json["version"], "https://jsonfeed.org/version/1");
    assert_eq!(json["feed_url"], format!("{ORIGIN}/feeds/videos.json?accountId={alice_account}"));
    let item = &json["items"][0];
    assert_eq!(item["title"], "Alice clip");
    assert_eq!(item["url"], format!("{ORIGIN}/videos/watch/{}", alice_video.uuid));
    assert_eq!(
        item["attachments"],
        json!([{"url": hls_url(&alice_video, 720), "mime_type": "video/mp4", "size_in_bytes": 160_000, "title": "Alice clip"}])
    );
    assert_eq!(item["author"]["url"], format!("{ORIGIN}/c/alice_channel"));
    assert_ne!(root_video.uuid, alice_video.uuid);
}

#[test]
fn feed_refusals_are_peertubes() {
    let f = Fixture::new();
    let refused = |path: &str, accept: Option<&str>| {
        let response = get(&f, path, accept);
        assert_eq!(header(&response, "content-type"), "application/problem+json; charset=utf-8", "{path}");
        (response.status().as_u16(), json_body(&response))
    };
    let (status, problem) = refused("/feeds/videos.xml", Some("application/json"));
    assert_eq!(status, 406);
    assert_eq!(
        problem["detail"],
        "You should accept at least one of the following content-types: application/xml, text/xml"
    );
    assert_eq!(refused("/feeds/videos.html", None).0, 400);
    assert_eq!(refused("/feeds/videos.xml?format=html", None).0, 400);
    assert_eq!(refused("/feeds/videos.xml?sort=color", None).0, 400);
    assert_eq!(refused("/feeds/videos.xml?nsfw=maybe", None).0, 400);
    assert_eq!(refused("/feeds/videos.xml?accountId=abc", None).0, 400);
    let (status, problem) = refused("/feeds/videos.xml?videoChannelId=9999", None);
    assert_eq!((status, problem["detail"].as_str()), (404, Some("Video channel not found")));
    let (status, problem) = refused("/feeds/videos.json?accountName=nobody", None);
    assert_eq!((status, problem["detail"].as_str()), (404, Some("Account not found")));
}

#[test]
fn the_subscriptions_feed_needs_the_users_feed_token() {
    let f = Fixture::new();
    let root = f.root();
    let alice = f.user("alice");
    let bob = f.user("bob");
    published(&f, f.channel_of(&root), "Root clip");
    published(&f, f.channel_of(&bob), "Bob clip");
    let (status, _) = f.json(
        "POST",
        "/api/v1/users/me/subscriptions",
        Some(&alice),
        json!({"uri": "root_channel@127.0.0.1:9000"}),
    );
    assert_eq!(status, 204);
    let alice_account = f.get("/api/v1/users/me", Some(&alice)).1["account"]["id"].as_i64().unwrap();

    assert_eq!(f.get("/api/v1/users/scoped-tokens", None).0, 401);
    let (status, tokens) = f.get("/api/v1/users/scoped-tokens", Some(&alice));
    assert_eq!(status, 200, "{tokens}");
    let token = tokens["feedToken"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 36, "a UUID, as PeerTube's");
    assert_eq!(f.get("/api/v1/users/scoped-tokens", Some(&alice)).1["feedToken"], token.as_str(), "stable");

    let path = |token: &str| format!("/feeds/subscriptions.json?accountId={alice_account}&token={token}");
    let feed = get(&f, &path(&token), None);
    assert_eq!(feed.status(), 200, "{:?}", feed.body());
    let items = json_body(&feed)["items"].clone();
    let names: Vec<&str> = items.as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert_eq!(names, ["Root clip"], "what alice follows, not the instance");

    let forbidden = get(&f, &path("not-the-token"), None);
    assert_eq!(forbidden.status(), 403);
    assert_eq!(json_body(&forbidden)["detail"], "User and token mismatch");
    let bob_token =
        f.get("/api/v1/users/scoped-tokens", Some(&bob)).1["feedToken"].as_str().unwrap().to_owned();
    assert_eq!(get(&f, &path(&bob_token), None).status(), 403, "another user's token");
    assert_eq!(get(&f, &format!("/feeds/subscriptions.json?accountId={alice_account}"), None).status(), 400);
    assert_eq!(
        get(&f, &format!("/feeds/subscriptions.json?accountId=9999&token={token}"), None).status(),
        404
    );

    let (status, renewed) = f.json("POST", "/api/v1/users/scoped-tokens", Some(&alice), Value::Null);
    assert_eq!(status, 200, "{renewed}");
    let renewed = renewed["feedToken"].as_str().unwrap();
    assert_ne!(renewed, token);
    assert_eq!(get(&f, &path(&token), None).status(), 403, "the old token stops working");
    assert_eq!(get(&f, &path(renewed), None).status(), 200);
}

#[test]
fn oembed_answers_peertubes_shape() {
    let f = Fixture::new();
    let root = f.root();
    let channel = f.channel_of(&root);
    let video = published(&f, channel, "Embeddable <clip>");
    let oembed = |url: &str, extra: &str| {
        let encoded: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
        f.get(&format!("/services/oembed?url={encoded}{extra}"), None)
    };

    let (status, body) = oembed(&format!("{ORIGIN}/w/{}?start=10&foo=1", video.short_uuid), "");
    assert_eq!(status, 200, "{body}");
    let src = format!("{ORIGIN}/videos/embed/{}?start=10", video.uuid);
    assert_eq!(
        body,
        json!({
            "type": "video",
            "version": "1.0",
            "html": format!("<iframe width=\"560\" height=\"315\" sandbox=\"allow-same-origin allow-scripts allow-popups allow-forms\" title=\"Embeddable &lt;clip&gt;\" src=\"{src}\" frameborder=\"0\" allowfullscreen></iframe>"),
            "width": 560,
            "height": 315,
            "title": "Embeddable <clip>",
            "author_name": "Main root channel",
            "author_url": format!("{ORIGIN}/video-channels/root_channel"),
            "provider_name": "PeerTube",
            "provider_url": ORIGIN,
            "thumbnail_url": format!("{ORIGIN}/lazy-static/previews/{}.jpg", video.uuid),
            "thumbnail_width": 850,
            "thumbnail_height": 480,
        })
    );
    let (status, small) =
        oembed(&format!("{ORIGIN}/videos/watch/{}", video.uuid), "&maxwidth=300&format=json");
    assert_eq!(status, 200);
    assert_eq!((small["width"].as_i64(), small["height"].as_i64()), (Some(300), Some(315)));
    assert!(small.get("thumbnail_url").is_none(), "the preview is larger than the consumer allows");

    let unlisted = f.video(NewVideo { privacy: privacy::UNLISTED, ..NewVideo::new(channel, "Unlisted") });
    assert_eq!(oembed(&format!("{ORIGIN}/w/{}", unlisted.uuid), "").0, 200, "unlisted, by UUID");
    let (status, problem) = oembed(&format!("{ORIGIN}/w/{}", unlisted.id), "");
    assert_eq!((status, problem["detail"].as_str()), (403, Some("Video is not publicly available")));
    assert_eq!(oembed(&format!("{ORIGIN}/w/{}", video.uuid), "&format=xml").0, 501);
    assert_eq!(oembed(&format!("https://elsewhere.example/w/{}", video.uuid), "").0, 400);
    assert_eq!(oembed("not a url", "").0, 400);
    assert_eq!(oembed(&format!("{ORIGIN}/w/{}", video.uuid), "&maxwidth=wide").0, 400);
    assert_eq!(oembed(&format!("{ORIGIN}/w/9c9de5e8-0a1e-484a-b099-e80766180a6d"), "").0, 404);
}

/// Stores `activity` in node `index`'s inbox as the inbox would after verifying it (signed by
/// `signer`) and queues it; [`Network::pump`] applies it.
fn deliver(net: &Network, index: usize, activity: &Value, signer: &str) {
    let f = net.fixture(index);
    let id = activity["id"].as_str().unwrap();
    f.block(f.ports.sql.execute(
        Statement::new(
            "INSERT INTO inbox_activities (ap_id, body_sha256, signer, body, state, received_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, 'queued', 0, 0)",
        )
        .bind(id)
        .bind(format!("test-{id}"))
        .bind(signer)
        .bind(activity.to_string()),
    ))
    .unwrap();
    let row = net.rows(index, &format!("SELECT id FROM inbox_activities WHERE ap_id = '{id}'"))[0]["id"]
        .as_i64()
        .unwrap();
    f.block(JobQueue::send(
        &f.ports.queue,
        &QueueMessage::Inbox(InboxWork { activity: row, attempt: 0 }),
        None,
    ))
    .unwrap();
}

fn json_feed_titles(f: &Fixture, path: &str) -> Vec<String> {
    let response = get(f, path, None);
    assert_eq!(response.status(), 200, "{path}: {:?}", response.body());
    let items = json_body(&response)["items"].as_array().unwrap().clone();
    items.iter().map(|i| i["title"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn the_instance_feed_lists_remote_videos_only_of_servers_it_follows() {
    let net = Network::new(&[]);
    let root_b = net.root(1);
    // A user of B subscribes to A's root channel: B keeps copies of its videos.
    net.subscribe(1, &root_b, "root_channel@a.example:8001");
    net.pump();
    let a = net.fixture(0);
    let uuid = published(a, a.channel_of(&net.root(0)), "Clip of A").uuid;
    let channel = format!("{A}/video-channels/root_channel");
    let announce = json!({
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": format!("{A}/videos/watch/{uuid}/announces/1"), "type": "Announce", "actor": channel,
        "object": format!("{A}/videos/watch/{uuid}"),
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    });
    deliver(&net, 1, &announce, &channel);
    net.pump();
    let b = net.fixture(1);
    assert_eq!(net.api(1, "GET", &format!("/api/v1/videos/{uuid}"), None, None).0, 200, "B has a copy");

    // A user's subscription is not the instance's: B's feed leaves A's video out.
    assert!(json_feed_titles(b, "/feeds/videos.json").is_empty());
    let b_account =
        net.api(1, "GET", "/api/v1/users/me", Some(&root_b), None).1["account"]["id"].as_i64().unwrap();
    let token = net.api(1, "GET", "/api/v1/users/scoped-tokens", Some(&root_b), None).1["feedToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        json_feed_titles(b, &format!("/feeds/subscriptions.json?accountId={b_account}&token={token}")),
        ["Clip of A"],
        "but root's subscriptions feed has it"
    );

    // Once B's instance follows A, its feed lists A's video, with A's media URLs.
    let (status, body) = net.api(
        1,
        "POST",
        "/api/v1/server/following",
        Some(&root_b),
        Some(json!({"hosts": ["a.example:8001"]})),
    );
    assert_eq!(status, 204, "{body}");
    net.pump();
    assert_eq!(json_feed_titles(b, "/feeds/videos.json"), ["Clip of A"]);
    assert!(json_feed_titles(b, "/feeds/videos.json?isLocal=true").is_empty());
    let feed = json_body(&get(b, "/feeds/videos.json", None));
    let enclosure = feed["items"][0]["attachments"][0]["url"].as_str().unwrap();
    assert!(enclosure.starts_with(&format!("{A}/static/streaming-playlists/hls/")), "{enclosure}");
}
