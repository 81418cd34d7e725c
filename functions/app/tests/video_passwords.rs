//! Guessing a video's password is rate-limited on every route that takes one: failed attempts
//! are counted per client address and video, and per video from all addresses; past either
//! limit every password is refused with PeerTube's 429, the right one included.

#![allow(clippy::unwrap_used)]

mod support;

use bytes::Bytes;
use edgetube_domain::videos::{privacy, NewVideo};
use edgetube_ports::Objects;
use http::Request;
use serde_json::json;
use support::{json_body, Fixture};

const RIGHT: &str = "open sesame";

/// A password-protected video of root's with one stored rendition file; its UUID.
fn protected_video(f: &Fixture) -> String {
    let root = f.root();
    let mut new = NewVideo::new(f.channel_of(&root), "Protected");
    new.privacy = privacy::PASSWORD_PROTECTED;
    new.passwords = vec![RIGHT.into()];
    let uuid = f.video(new).uuid;
    f.block(f.ports.objects.put(
        &format!("hls/{uuid}/abc-240-fragmented.mp4"),
        Bytes::from_static(b"0123456789abcdef"),
        None,
    ))
    .unwrap();
    uuid
}

fn media(uuid: &str) -> String {
    format!("/static/streaming-playlists/hls/private/{uuid}/abc-240-fragmented.mp4")
}

/// `GET path` from `address` with `password`; the status.
fn get(f: &Fixture, path: &str, address: &str, password: &str) -> u16 {
    f.fetch(path, &[("cf-connecting-ip", address), ("x-peertube-video-password", password)]).status().as_u16()
}

#[test]
fn wrong_passwords_lock_out_the_right_one_on_media() {
    let f = Fixture::new();
    let uuid = protected_video(&f);
    let file = media(&uuid);
    for i in 0..10 {
        assert_eq!(get(&f, &file, "192.0.2.1", &format!("guess {i}")), 403, "guess {i}");
    }
    let refused = f.fetch(&file, &[("cf-connecting-ip", "192.0.2.1"), ("x-peertube-video-password", RIGHT)]);
    assert_eq!(refused.status(), 429, "past the limit the right password is refused too");
    assert_eq!(refused.headers()["retry-after"], "300");
    assert_eq!(refused.headers()["content-type"], "application/problem+json; charset=utf-8");
    assert_eq!(json_body(&refused)["status"], 429);
    assert_eq!(get(&f, &file, "192.0.2.1", "guess 11"), 429);

    assert_eq!(get(&f, &file, "192.0.2.2", RIGHT), 200, "another address has its own budget");
    f.ports.clock.advance(300_000);
    assert_eq!(get(&f, &file, "192.0.2.1", RIGHT), 200, "a new window");
}

#[test]
fn the_right_password_is_never_counted() {
    let f = Fixture::new();
    let uuid = protected_video(&f);
    let file = media(&uuid);
    // A viewer sends the password with every request: far more than the limit, all served.
    for i in 0..30 {
        assert_eq!(get(&f, &file, "192.0.2.1", RIGHT), 200, "request {i}");
    }
    for i in 0..9 {
        assert_eq!(get(&f, &file, "192.0.2.1", &format!("typo {i}")), 403);
    }
    assert_eq!(get(&f, &file, "192.0.2.1", RIGHT), 200, "nine failures leave one to spare");
    assert_eq!(get(&f, &file, "192.0.2.1", "typo 9"), 403);
    assert_eq!(get(&f, &file, "192.0.2.1", RIGHT), 429);
}

#[test]
fn failures_count_on_every_route_that_takes_a_password() {
    let f = Fixture::new();
    let uuid = protected_video(&f);
    let root = f.root();
    // A file token issued before the lockout, as PeerTube's player asks for one.
    let (status, grant) = f.json("POST", &format!("/api/v1/videos/{uuid}/token"), Some(&root), json!({}));
    assert_eq!(status, 200, "{grant}");
    let file_token = grant["files"]["token"].as_str().unwrap().to_owned();

    let details = format!("/api/v1/videos/{uuid}");
    let token = |password: &str| {
        let request = Request::post(format!("/api/v1/videos/{uuid}/token"))
            .header("cf-connecting-ip", "192.0.2.1")
            .header("x-peertube-video-password", password)
            .body(Bytes::new())
            .unwrap();
        f.handle(request).status().as_u16()
    };
    assert_eq!(token(RIGHT), 200);
    // Failures on three routes add up in one budget.
    for i in 0..4 {
        assert_eq!(get(&f, &details, "192.0.2.1", &format!("details {i}")), 403);
        assert_eq!(token(&format!("token {i}")), 403);
    }
    assert_eq!(get(&f, &media(&uuid), "192.0.2.1", "media 1"), 403);
    assert_eq!(get(&f, &media(&uuid), "192.0.2.1", "media 2"), 403);
    assert_eq!(get(&f, &details, "192.0.2.1", RIGHT), 429);
    assert_eq!(token(RIGHT), 429);
    assert_eq!(get(&f, &media(&uuid), "192.0.2.1", RIGHT), 429);

    // Who needs no password is not affected: a valid file token, the owner.
    let with_token = format!("{}?videoFileToken={file_token}", media(&uuid));
    assert_eq!(f.fetch(&with_token, &[("cf-connecting-ip", "192.0.2.1")]).status(), 200);
    assert_eq!(f.get_with(&details, Some(&root), &[("cf-connecting-ip", "192.0.2.1")]).0, 200);
}

#[test]
fn failures_from_many_addresses_add_up_per_video() {
    let f = Fixture::with_vars(&[("SIGNUP_OPEN", "true"), ("VIDEO_PASSWORD_VIDEO_RATE_LIMIT", "20/600")]);
    let uuid = protected_video(&f);
    let other = protected_video(&f);
    let file = media(&uuid);
    // Two guesses from each of ten addresses: no address reaches its own limit of ten.
    for address in 1..=10 {
        for guess in 0..2 {
            assert_eq!(get(&f, &file, &format!("198.51.100.{address}"), &format!("guess {guess}")), 403);
        }
    }
    let refused =
        f.fetch(&file, &[("cf-connecting-ip", "203.0.113.7"), ("x-peertube-video-password", RIGHT)]);
    assert_eq!(refused.status(), 429, "a fresh address is refused: the video's budget is spent");
    assert_eq!(refused.headers()["retry-after"], "600");
    assert_eq!(get(&f, &media(&other), "203.0.113.7", RIGHT), 200, "other videos keep their own budget");
}
