//! The WebTorrent tracker against the real worker under `wrangler dev`, with real WebSocket
//! clients speaking the protocol as browsers do (binary-string ids included): the tracker URL the
//! API and the ActivityPub Video advertise, two peers meeting in a swarm with their offer and
//! answer relayed, a second swarm (the v1 derivation) on the same socket, scrape, `completed` and
//! `stopped`, and refusals (an unknown info hash, a malformed frame, a video without swarms) that
//! close only the offending socket. Then npm bittorrent-tracker's own client, in Chromium, against
//! the same tracker.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use edgetube_e2e::{repo_root, run_with_env, Instance};
use edgetube_tracker::hashes::{v1_info_hash, v2_info_hash, v2_swarm_id};
use edgetube_tracker::Id20;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A peer id as WebTorrent clients make them, with a non-ASCII character to check the
/// binary-string encoding end to end.
fn peer_id(n: u8) -> String {
    let mut id = *b"-WW0006-abcdefghijk\0";
    id[8] = 0xA4;
    id[19] = n;
    Id20(id).to_wire()
}

async fn send(ws: &mut Socket, message: Value) -> Result<()> {
    ws.send(Message::text(message.to_string())).await.context("send")
}

/// The next text frame as JSON; `Ok(None)` when the server closed the socket.
async fn next(ws: &mut Socket) -> Result<Option<Value>> {
    loop {
        let frame =
            tokio::time::timeout(Duration::from_secs(10), ws.next()).await.context("no frame in 10 s")?;
        match frame {
            Some(Ok(Message::Text(text))) => return Ok(Some(serde_json::from_str(&text)?)),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Ok(None),
            Some(Ok(_)) => continue,
        }
    }
}

async fn expect(ws: &mut Socket, what: &str) -> Result<Value> {
    next(ws).await?.with_context(|| format!("{what}: the socket closed"))
}

/// Reads until the server closes; fails if it sends anything but `allowed` frames first.
async fn expect_close(ws: &mut Socket, allowed: usize) -> Result<Vec<Value>> {
    let mut seen = Vec::new();
    while let Some(frame) = next(ws).await? {
        seen.push(frame);
        if seen.len() > allowed {
            bail!("expected a close, got {seen:?}");
        }
    }
    Ok(seen)
}

fn announce(ih: &Id20, peer: &str, event: &str, offers: usize) -> Value {
    let offers: Vec<Value> = (0..offers)
        .map(|i| {
            json!({"offer": {"type": "offer", "sdp": format!("v=0\r\no=- {i} 2 IN IP4 127.0.0.1\r\n")},
                        "offer_id": Id20([b'o' + i as u8; 20]).to_wire()})
        })
        .collect();
    json!({"action": "announce", "info_hash": ih.to_wire(), "peer_id": peer, "numwant": offers.len(),
           "uploaded": 0, "downloaded": 0, "event": event, "offers": offers})
}

/// The SQL that gives a seeded video what a runner's renditions leave: a master playlist and
/// 240p and 480p rows, so that it has swarms.
fn swarms_sql(uuid: &str) -> String {
    let mut sql = format!(
        "UPDATE videos SET hls_master_key = 'hls/{uuid}/m1-master.m3u8', hls_sha256_key = 'hls/{uuid}/s1-segments-sha256.json' \
         WHERE uuid = '{uuid}';\n"
    );
    for (resolution, width) in [(240, 426), (480, 854)] {
        sql.push_str(&format!(
            "INSERT INTO video_files (video_id, resolution, width, height, fps, size, codecs, has_audio, has_video, \
             file_name, playlist_name, segments_sha256, created_at) SELECT id, {resolution}, {width}, {resolution}, 25, 1000, \
             'avc1.64001f,mp4a.40.2', 1, 1, 'f{resolution}-fragmented.mp4', 'p{resolution}.m3u8', '{{}}', 1 \
             FROM videos WHERE uuid = '{uuid}';\n"
        ));
    }
    sql
}

/// Seeds two videos, the first with swarms. Returns (with swarms, without HLS).
fn seed_swarm_video(instance: &Instance) -> Result<(String, String)> {
    let uuids = instance.seed_videos("root_channel", 2)?;
    instance.execute_sql(&swarms_sql(&uuids[0]))?;
    Ok((uuids[0].clone(), uuids[1].clone()))
}

#[tokio::test]
async fn tracker_relays_offers_and_answers_and_refuses_strangers() -> Result<()> {
    let instance = Instance::start().await?;
    let (uuid, without_hls) = seed_swarm_video(&instance)?;
    let (uuid, without_hls) = (&uuid, &without_hls);

    // The API and the ActivityPub Video advertise the video's own tracker shard.
    let http = reqwest::Client::new();
    let details: Value =
        http.get(instance.url(&format!("/api/v1/videos/{uuid}"))).send().await?.json().await?;
    let ws_origin = instance.url("").replacen("http://", "ws://", 1);
    let tracker_url = format!("{ws_origin}/tracker/socket/{uuid}");
    assert_eq!(details["trackerUrls"], json!([tracker_url]), "{details}");
    let video: Value = http
        .get(instance.url(&format!("/videos/watch/{uuid}")))
        .header("accept", "application/activity+json")
        .send()
        .await?
        .json()
        .await?;
    let links: Vec<&Value> =
        video["url"].as_array().context("url")?.iter().filter(|l| l["rel"][0] == "tracker").collect();
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!((&links[0]["name"], &links[0]["href"]), (&json!("tracker-websocket"), &json!(tracker_url)));
    let master = details["streamingPlaylists"][0]["playlistUrl"].as_str().context("playlistUrl")?.to_owned();

    let v2 = v2_info_hash(&v2_swarm_id(uuid, 480));
    let v1 = v1_info_hash(&master, 1);
    let (pa, pb) = (peer_id(1), peer_id(2));

    // A announces first and finds an empty swarm: no one to offer to.
    let (mut a, _) = connect_async(tracker_url.as_str()).await?;
    send(&mut a, announce(&v2, &pa, "started", 2)).await?;
    assert_eq!(
        expect(&mut a, "A's announce response").await?,
        json!({"complete": 0, "incomplete": 1, "action": "announce", "interval": 120, "info_hash": v2.to_wire()})
    );

    // B joins: B gets the counts, A gets B's first offer.
    let (mut b, _) = connect_async(tracker_url.as_str()).await?;
    send(&mut b, announce(&v2, &pb, "started", 2)).await?;
    let response = expect(&mut b, "B's announce response").await?;
    assert_eq!((&response["incomplete"], &response["info_hash"]), (&json!(2), &json!(v2.to_wire())));
    let offer = expect(&mut a, "the offer relayed to A").await?;
    assert_eq!(offer["peer_id"], json!(pb));
    assert_eq!(offer["info_hash"], json!(v2.to_wire()));
    assert_eq!(offer["offer"]["type"], "offer");
    let offer_id = offer["offer_id"].clone();

    // A answers; B gets the answer from A with the same offer id, A gets nothing back.
    send(
        &mut a,
        json!({"action": "announce", "info_hash": v2.to_wire(), "peer_id": pa, "to_peer_id": pb,
               "answer": {"type": "answer", "sdp": "v=0\r\nanswer\r\n"}, "offer_id": offer_id}),
    )
    .await?;
    let answer = expect(&mut b, "the answer relayed to B").await?;
    assert_eq!(
        answer,
        json!({"action": "announce", "answer": {"type": "answer", "sdp": "v=0\r\nanswer\r\n"},
               "offer_id": offer_id, "peer_id": pa, "info_hash": v2.to_wire()})
    );

    // The same socket carries a second swarm: the v1 derivation of the 480p variant.
    send(&mut a, announce(&v1, &pa, "started", 0)).await?;
    assert_eq!(expect(&mut a, "A's v1 announce").await?["info_hash"], json!(v1.to_wire()));

    // An unknown info hash: PeerTube's failure reason, then the socket is closed.
    let (mut c, _) = connect_async(tracker_url.as_str()).await?;
    let stranger = Id20(*b"not-a-swarm-of-ours!");
    send(&mut c, announce(&stranger, &peer_id(3), "started", 1)).await?;
    let refused = expect_close(&mut c, 1).await?;
    assert_eq!(
        refused,
        [json!({"action": "announce", "failure reason": format!("Unknown infoHash {}", stranger.hex()),
                "info_hash": stranger.to_wire()})]
    );

    // A malformed frame closes that socket only.
    let (mut d, _) = connect_async(tracker_url.as_str()).await?;
    send(&mut d, announce(&v2, &peer_id(4), "started", 0)).await?;
    assert_eq!(expect(&mut d, "D's announce").await?["incomplete"], 3);
    d.send(Message::text("{\"action\":\"announce\",")).await?;
    assert_eq!(expect_close(&mut d, 1).await?, [json!({"failure reason": "invalid JSON"})]);

    // Scrape: D left with its socket, A and B are still there.
    send(&mut b, json!({"action": "scrape", "info_hash": [v2.to_wire(), v1.to_wire()]})).await?;
    assert_eq!(
        expect(&mut b, "scrape").await?,
        json!({"action": "scrape", "files": {
                   v2.to_wire(): {"complete": 0, "incomplete": 2, "downloaded": 0},
                   v1.to_wire(): {"complete": 0, "incomplete": 1, "downloaded": 0}},
               "flags": {"min_request_interval": 600}})
    );

    // `completed` makes A a seeder; `stopped` takes B out and is still answered.
    send(&mut a, announce(&v2, &pa, "completed", 0)).await?;
    let completed = expect(&mut a, "completed").await?;
    assert_eq!((&completed["complete"], &completed["incomplete"]), (&json!(1), &json!(1)));
    send(&mut b, announce(&v2, &pb, "stopped", 0)).await?;
    let stopped = expect(&mut b, "stopped").await?;
    assert_eq!((&stopped["complete"], &stopped["incomplete"]), (&json!(1), &json!(0)));

    // Closing A's socket empties both its swarms.
    a.close(None).await?;
    let mut emptied = false;
    for _ in 0..20 {
        send(&mut b, json!({"action": "scrape"})).await?;
        let files = expect(&mut b, "scrape of everything").await?["files"].clone();
        if files.as_object().is_some_and(|f| f.is_empty()) {
            emptied = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(emptied, "A's swarms outlived its socket");

    // No socket at all for a video without swarms, nor at PeerTube's bare path.
    for path in [format!("/tracker/socket/{without_hls}"), "/tracker/socket".to_owned()] {
        match connect_async(format!("{ws_origin}{path}")).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status().as_u16(), 404, "{path}")
            }
            other => bail!("{path}: expected a 404, got {:?}", other.map(|(_, r)| r.status())),
        }
    }
    Ok(())
}

/// npm bittorrent-tracker's own client (in Chromium, see tests/browser/tracker-client.mjs): two
/// clients announce, meet through a relayed offer and answer and open a data channel; scrape;
/// stop; an unknown info hash gets no announce response; a malformed frame is refused.
#[tokio::test(flavor = "multi_thread")]
async fn bittorrent_tracker_clients_meet_scrape_and_stop() -> Result<()> {
    let instance = Instance::start().await?;
    let (uuid, _) = seed_swarm_video(&instance)?;
    let origin = instance.url("").trim_end_matches('/').to_owned();
    let tracker_url = format!("{}/tracker/socket/{uuid}", origin.replacen("http://", "ws://", 1));
    let allowed = v2_info_hash(&v2_swarm_id(&uuid, 240)).hex();
    let unknown = Id20(*b"not-a-swarm-of-ours!").hex();
    let script = repo_root().join("tests/browser/tracker-client.mjs");
    let args: Vec<String> =
        vec![script.to_string_lossy().into_owned(), origin, tracker_url, allowed, unknown];
    let output = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_with_env("node", &args, &[], Duration::from_secs(120))
    })
    .await??;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("tracker-client.mjs failed:\n{stderr}\nworker log:\n{}", instance.log_tail());
    }
    let report: Value =
        serde_json::from_slice(&output.stdout).with_context(|| format!("stderr:\n{stderr}"))?;
    eprintln!("{report:#}");

    assert_eq!(report["afterJoin"]["a"], json!({"complete": 0, "incomplete": 1}), "{report}");
    assert_eq!(report["afterJoin"]["b"], json!({"complete": 0, "incomplete": 2}), "{report}");
    assert_eq!(report["peers"]["a"].as_array().map(Vec::len), Some(1), "{report}");
    assert_eq!(report["peers"]["b"].as_array().map(Vec::len), Some(1), "{report}");
    assert_eq!(report["scrapeBoth"], json!({"complete": 0, "incomplete": 2, "downloaded": 0}));
    assert_eq!(report["scrapeAfterStop"], json!({"complete": 0, "incomplete": 1, "downloaded": 0}));
    assert_eq!(report["stranger"]["updates"], json!([]), "the unknown info hash was served: {report}");
    let refusals = report["stranger"]["warnings"].to_string() + &report["stranger"]["errors"].to_string();
    assert!(refusals.contains("Unknown infoHash"), "no refusal reached the client: {report}");
    let malformed = &report["malformed"];
    assert!(malformed["closed"] == true, "the malformed frame left the socket open: {report}");
    assert!(malformed["seen"].to_string().contains("invalid JSON"), "{report}");
    assert_eq!(report["a"]["errors"], json!([]), "{report}");
    assert_eq!(report["b"]["errors"], json!([]), "{report}");
    assert_eq!(report["pageErrors"], json!([]), "{report}");
    Ok(())
}

/// 500 peers in 50 swarms (50 videos, so 50 tracker objects) connect, stay silent long enough for
/// idle objects to hibernate (about 10 s on Cloudflare), then all re-announce and find their
/// swarms whole. Whether `wrangler dev` really hibernated the objects cannot be observed from
/// outside; the rebuild from attachments is unit-tested in edgetube-tracker.
#[tokio::test(flavor = "multi_thread")]
async fn five_hundred_peers_in_fifty_swarms_stay_through_an_idle_period() -> Result<()> {
    const SWARMS: usize = 50;
    const PEERS: usize = 10;
    let instance = Instance::start().await?;
    let uuids = instance.seed_videos("root_channel", SWARMS)?;
    instance.execute_sql(&uuids.iter().map(|u| swarms_sql(u)).collect::<String>())?;
    let ws_origin = instance.url("").trim_end_matches('/').replacen("http://", "ws://", 1);

    let mut peers: Vec<(Socket, Id20, String)> = Vec::new();
    for (s, uuid) in uuids.iter().enumerate() {
        let ih = v2_info_hash(&v2_swarm_id(uuid, 240));
        for p in 0..PEERS {
            let (mut ws, _) = connect_async(format!("{ws_origin}/tracker/socket/{uuid}")).await?;
            let mut id = *b"-ET0001-load00000000";
            id[12..16].copy_from_slice(format!("{s:02}{p:02}").as_bytes());
            let peer = Id20(id).to_wire();
            send(&mut ws, announce(&ih, &peer, "started", 0)).await?;
            let response = expect(&mut ws, "announce response").await?;
            assert_eq!(response["incomplete"], json!(p + 1), "swarm {s}: {response}");
            peers.push((ws, ih, peer));
        }
    }
    tokio::time::sleep(Duration::from_secs(15)).await;
    for (i, (ws, ih, peer)) in peers.iter_mut().enumerate() {
        send(ws, announce(ih, peer, "update", 0)).await?;
        let response = expect(ws, "re-announce").await?;
        assert_eq!(
            (&response["incomplete"], &response["info_hash"]),
            (&json!(PEERS), &json!(ih.to_wire())),
            "peer {i}: {response}"
        );
    }
    for (ws, _, _) in &mut peers {
        ws.close(None).await?;
    }
    Ok(())
}
