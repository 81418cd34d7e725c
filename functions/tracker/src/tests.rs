//! The tracker against the wire examples of `p2p.md` §2: announces with offers, answers,
//! scrape, `completed`/`stopped`, socket close, and every refusal closing only its own socket.

use serde_json::{json, Value};

use crate::hashes::{v2_info_hash, v2_swarm_id};
use crate::id::Id20;
use crate::protocol::{parse, Event, Message, ProtocolError, MAX_MESSAGE_BYTES};
use crate::tracker::{Limits, Outgoing, SocketRecord, Tracker, CLOSE_POLICY, CLOSE_TOO_BIG};

const A: u64 = 1;
const B: u64 = 2;
const C: u64 = 3;

fn ih() -> Id20 {
    v2_info_hash(&v2_swarm_id("00000000-0000-4000-8000-000000000001", 480))
}

/// A binary peer id with a non-ASCII character and a control character, as clients make them.
fn peer(n: u8) -> String {
    Id20([
        0xA4, 0x01, b'-', b'W', b'W', b'0', b'0', b'0', b'6', b'-', b'a', b'b', b'c', b'd', b'e', b'f', b'g',
        b'h', b'i', n,
    ])
    .to_wire()
}

fn announce(peer_id: &str, event: Option<&str>, offers: usize) -> String {
    let offers: Vec<Value> = (0..offers)
        .map(|i| {
            json!({"offer": {"type": "offer", "sdp": format!("v=0\r\no={i}\r\n")}, "offer_id": format!("offer-{i:014}")})
        })
        .collect();
    let mut m = json!({
        "action": "announce", "info_hash": ih().to_wire(), "peer_id": peer_id,
        "numwant": offers.len(), "uploaded": 0, "downloaded": 0, "offers": offers,
    });
    if let Some(e) = event {
        m["event"] = json!(e);
    }
    m.to_string()
}

fn allow_ih(h: &Id20) -> bool {
    *h == ih()
}

fn run(t: &mut Tracker, socket: u64, text: &str) -> Vec<Outgoing> {
    match t.receive(socket, text, 1_000) {
        Ok(m) => t.apply(socket, m, &allow_ih, 7, 1_000).out,
        Err(out) => out,
    }
}

fn sent_to(out: &[Outgoing], socket: u64) -> Vec<Value> {
    out.iter()
        .filter_map(|o| match o {
            Outgoing::Send { to, text } if *to == socket => Some(serde_json::from_str(text).expect("json")),
            _ => None,
        })
        .collect()
}

fn closed(out: &[Outgoing]) -> Vec<(u64, u16)> {
    out.iter()
        .filter_map(|o| match o {
            Outgoing::Close { socket, code, .. } => Some((*socket, *code)),
            _ => None,
        })
        .collect()
}

#[test]
fn parses_the_guide_announce() {
    let text = announce(&peer(1), Some("started"), 2);
    let Ok(Message::Announce(a)) = parse(&text) else { panic!("announce") };
    assert_eq!(a.event, Event::Started);
    assert_eq!(a.offers.len(), 2);
    assert_eq!(a.peer_id.0[0], 0xA4);
    assert!(!a.complete);
    // `left: null`, `paused`, `empty` and no event at all are accepted.
    for extra in [r#""left":null"#, r#""event":"paused""#, r#""event":"empty""#, r#""event":"update""#] {
        let text = format!(
            r#"{{"action":"announce","info_hash":"{}","peer_id":"{}",{extra}}}"#,
            "a".repeat(20),
            "b".repeat(20)
        );
        assert!(matches!(parse(&text), Ok(Message::Announce(a)) if a.event == Event::Update), "{extra}");
    }
    let text = format!(
        r#"{{"action":"announce","info_hash":"{}","peer_id":"{}","left":0,"event":"completed"}}"#,
        "a".repeat(20),
        "b".repeat(20)
    );
    assert!(matches!(parse(&text), Ok(Message::Announce(a)) if a.complete && a.event == Event::Completed));
}

#[test]
fn parse_errors_use_the_reference_wording() {
    let p = "b".repeat(20);
    assert_eq!(parse("{"), Err(ProtocolError::NotJson));
    assert_eq!(parse("[1]"), Err(ProtocolError::NotJson));
    assert_eq!(
        parse(r#"{"action":"dance"}"#).map_err(|e| e.to_string()),
        Err("invalid action in WS request: dance".into())
    );
    let short = format!(r#"{{"action":"announce","info_hash":"{}","peer_id":"{p}"}}"#, "a".repeat(19));
    assert_eq!(parse(&short), Err(ProtocolError::InvalidInfoHash));
    let wide = format!(r#"{{"action":"announce","info_hash":"{}\u0100","peer_id":"{p}"}}"#, "a".repeat(19));
    assert_eq!(parse(&wide), Err(ProtocolError::InvalidInfoHash));
    let answer = format!(
        r#"{{"action":"announce","info_hash":"{}","peer_id":"{p}","answer":{{"type":"answer","sdp":"x"}},"offer_id":"o"}}"#,
        "a".repeat(20)
    );
    assert_eq!(
        parse(&answer).map_err(|e| e.to_string()),
        Err("invalid `to_peer_id` (required with `answer`)".into())
    );
    let event = format!(
        r#"{{"action":"announce","info_hash":"{}","peer_id":"{p}","event":"dance"}}"#,
        "a".repeat(20)
    );
    assert_eq!(parse(&event), Err(ProtocolError::InvalidEvent));
    assert_eq!(parse(&announce(&peer(1), None, 11)), Err(ProtocolError::TooManyOffers(11)));
    let big = format!(r#"{{"action":"scrape","pad":"{}"}}"#, "x".repeat(MAX_MESSAGE_BYTES));
    assert!(matches!(parse(&big), Err(ProtocolError::TooLarge(_))));
}

#[test]
fn announce_answers_with_counts_and_interval() {
    let mut t = Tracker::default();
    let out = run(&mut t, A, &announce(&peer(1), Some("started"), 5));
    // The exact shape of p2p.md §2.4, binary info_hash included.
    assert_eq!(
        sent_to(&out, A),
        [
            json!({"complete": 0, "incomplete": 1, "action": "announce", "interval": 120, "info_hash": ih().to_wire()})
        ]
    );
    assert_eq!(out.len(), 1, "no other peer to offer to");
}

#[test]
fn offers_and_answers_are_relayed() {
    let mut t = Tracker::default();
    run(&mut t, A, &announce(&peer(1), Some("started"), 5));
    let out = run(&mut t, B, &announce(&peer(2), Some("started"), 5));
    assert_eq!(sent_to(&out, B)[0]["incomplete"], 2);
    // One other peer: offer 0 goes to it, the four others nowhere.
    let relayed = sent_to(&out, A);
    assert_eq!(relayed.len(), 1);
    assert_eq!(
        relayed[0],
        json!({"action": "announce", "offer": {"type": "offer", "sdp": "v=0\r\no=0\r\n"},
               "offer_id": "offer-00000000000000", "peer_id": peer(2), "info_hash": ih().to_wire()})
    );
    let answer = json!({"action": "announce", "info_hash": ih().to_wire(), "peer_id": peer(1), "to_peer_id": peer(2),
                        "answer": {"type": "answer", "sdp": "v=0\r\na\r\n"}, "offer_id": "offer-00000000000000"});
    let out = run(&mut t, A, &answer.to_string());
    assert!(sent_to(&out, A).is_empty(), "no response to an answer");
    assert_eq!(
        sent_to(&out, B),
        [json!({"action": "announce", "answer": {"type": "answer", "sdp": "v=0\r\na\r\n"},
                "offer_id": "offer-00000000000000", "peer_id": peer(1), "info_hash": ih().to_wire()})]
    );
    // An answer to an unknown peer is dropped silently.
    let mut lost = answer.clone();
    lost["to_peer_id"] = json!(peer(9));
    assert!(run(&mut t, A, &lost.to_string()).is_empty());
}

#[test]
fn offers_spread_over_distinct_peers() {
    let mut t = Tracker::default();
    for s in 1..=6u8 {
        run(&mut t, u64::from(s), &announce(&peer(s), Some("started"), 0));
    }
    let out = run(&mut t, 7, &announce(&peer(7), Some("started"), 3));
    let receivers: Vec<u64> = out
        .iter()
        .filter_map(|o| match o {
            Outgoing::Send { to, .. } if *to != 7 => Some(*to),
            _ => None,
        })
        .collect();
    assert_eq!(receivers.len(), 3);
    let mut unique = receivers.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 3, "offer i to peer i, never twice to one peer");
}

#[test]
fn completed_stopped_and_scrape() {
    let mut t = Tracker::default();
    run(&mut t, A, &announce(&peer(1), Some("started"), 0));
    run(&mut t, B, &announce(&peer(2), Some("started"), 0));
    let out = run(&mut t, A, &announce(&peer(1), Some("completed"), 0));
    assert_eq!(sent_to(&out, A)[0]["complete"], 1);
    assert_eq!(sent_to(&out, A)[0]["incomplete"], 1);
    let scrape = json!({"action": "scrape", "info_hash": ih().to_wire()}).to_string();
    assert_eq!(
        sent_to(&run(&mut t, C, &scrape), C),
        [
            json!({"action": "scrape", "files": {ih().to_wire(): {"complete": 1, "incomplete": 1, "downloaded": 1}},
                "flags": {"min_request_interval": 600}})
        ]
    );
    // `stopped` removes the peer and is still answered.
    let out = run(&mut t, B, &announce(&peer(2), Some("stopped"), 0));
    assert_eq!(sent_to(&out, B)[0]["incomplete"], 0);
    assert_eq!(t.record(B), Some(&SocketRecord::default()));
    // A scrape of everything, or a list.
    let all = sent_to(&run(&mut t, C, r#"{"action":"scrape"}"#), C);
    assert_eq!(all[0]["files"][ih().to_wire()]["complete"], 1);
    let list = json!({"action": "scrape", "info_hash": [ih().to_wire(), "z".repeat(20)]}).to_string();
    let files = &sent_to(&run(&mut t, C, &list), C)[0]["files"];
    assert_eq!(files["z".repeat(20)]["incomplete"], 0);
}

#[test]
fn closing_a_socket_leaves_every_swarm() {
    let mut t = Tracker::default();
    run(&mut t, A, &announce(&peer(1), Some("started"), 0));
    run(&mut t, B, &announce(&peer(2), Some("started"), 0));
    t.disconnect(A);
    assert_eq!(t.counts(&ih()).incomplete, 1);
    t.disconnect(B);
    assert_eq!(t.swarm_count(), 0);
}

#[test]
fn state_survives_hibernation_through_records() {
    let mut t = Tracker::default();
    run(&mut t, A, &announce(&peer(1), Some("started"), 0));
    run(&mut t, B, &announce(&peer(2), Some("completed"), 0));
    let records: Vec<(u64, String)> = [A, B]
        .iter()
        .map(|s| (*s, serde_json::to_string(t.record(*s).expect("record")).expect("json")))
        .collect();
    assert!(records.iter().all(|(_, r)| r.len() < 200), "{records:?}");
    // A fresh object (memory lost) rebuilt from the sockets' attachments.
    let mut woken = Tracker::default();
    for (s, r) in &records {
        woken.restore(*s, serde_json::from_str(r).expect("record"));
    }
    assert_eq!(woken.counts(&ih()).complete, 1);
    assert_eq!(woken.counts(&ih()).incomplete, 1);
    let out = run(&mut woken, C, &announce(&peer(3), Some("started"), 2));
    assert_eq!(sent_to(&out, A).len() + sent_to(&out, B).len(), 2);
    // A record filling the 16 swarms a socket may join stays under older workerd's 2 KB.
    let full = SocketRecord {
        swarms: (0..16)
            .map(|i| crate::tracker::Membership {
                info_hash: Id20([i; 20]),
                peer_id: Id20([i; 20]),
                complete: true,
            })
            .collect(),
        seen_ms: 1_800_000_000_000,
    };
    assert!(serde_json::to_string(&full).expect("json").len() < 2048);
}

#[test]
fn an_unknown_info_hash_closes_only_that_socket() {
    let mut t = Tracker::default();
    run(&mut t, A, &announce(&peer(1), Some("started"), 0));
    let other = Id20(*b"unknownunknownunknow");
    let text =
        json!({"action": "announce", "info_hash": other.to_wire(), "peer_id": peer(2), "event": "started"});
    let out = run(&mut t, B, &text.to_string());
    assert_eq!(
        sent_to(&out, B),
        [
            json!({"action": "announce", "failure reason": format!("Unknown infoHash {}", other.hex()), "info_hash": other.to_wire()})
        ]
    );
    assert_eq!(closed(&out), [(B, CLOSE_POLICY)]);
    assert!(!t.has_socket(B));
    assert_eq!(t.counts(&ih()).incomplete, 1, "A is untouched");
}

#[test]
fn malformed_oversize_and_floods_close_only_the_sender() {
    let mut t = Tracker::default();
    run(&mut t, A, &announce(&peer(1), Some("started"), 0));
    run(&mut t, B, &announce(&peer(2), Some("started"), 0));
    let out = run(&mut t, B, "{not json");
    assert_eq!(sent_to(&out, B), [json!({"failure reason": "invalid JSON"})]);
    assert_eq!(closed(&out), [(B, CLOSE_POLICY)]);
    assert_eq!(t.counts(&ih()).incomplete, 1);
    let big = "x".repeat(MAX_MESSAGE_BYTES + 1);
    assert_eq!(closed(&run(&mut t, C, &big)), [(C, CLOSE_TOO_BIG)]);
    assert_eq!(closed(&run(&mut t, C, &announce(&peer(3), None, 50))), [(C, CLOSE_POLICY)]);
    // A flood: the limit's worth of frames pass, the next closes.
    let mut t = Tracker::new(Limits { flood_messages: 5, ..Limits::default() });
    for _ in 0..5 {
        assert!(closed(&run(&mut t, A, &announce(&peer(1), None, 0))).is_empty());
    }
    assert_eq!(closed(&run(&mut t, A, &announce(&peer(1), None, 0))), [(A, CLOSE_POLICY)]);
    assert_eq!(t.swarm_count(), 0);
    // The window moves on.
    let mut t = Tracker::new(Limits { flood_messages: 1, ..Limits::default() });
    assert!(t.receive(A, r#"{"action":"scrape"}"#, 0).is_ok());
    assert!(t.receive(A, r#"{"action":"scrape"}"#, 10_000).is_ok());
}

#[test]
fn too_many_swarms_on_one_socket() {
    let mut t = Tracker::new(Limits { swarms_per_socket: 2, ..Limits::default() });
    let any = |_: &Id20| true;
    for (i, expect_close) in [(1u8, false), (2, false), (3, true)] {
        let text = json!({"action": "announce", "info_hash": Id20([i; 20]).to_wire(), "peer_id": peer(1)});
        let m = t.receive(A, &text.to_string(), 0).expect("parsed");
        let out = t.apply(A, m, &any, 1, 0).out;
        assert_eq!(!closed(&out).is_empty(), expect_close);
    }
    assert_eq!(t.swarm_count(), 0);
}

#[test]
fn a_reconnected_peer_moves_to_its_new_socket() {
    let mut t = Tracker::default();
    run(&mut t, A, &announce(&peer(1), Some("started"), 0));
    run(&mut t, B, &announce(&peer(1), Some("started"), 0));
    assert_eq!(t.counts(&ih()).incomplete, 1);
    // The old socket's close no longer removes the peer.
    t.disconnect(A);
    assert_eq!(t.counts(&ih()).incomplete, 1);
}

fn run_at(t: &mut Tracker, socket: u64, text: &str, now: i64) -> Vec<Outgoing> {
    match t.receive(socket, text, now) {
        Ok(m) => t.apply(socket, m, &allow_ih, 7, now).out,
        Err(out) => out,
    }
}

#[test]
fn the_sweep_closes_silent_sockets_only() {
    let minute = 60_000;
    let mut t = Tracker::default();
    run_at(&mut t, A, &announce(&peer(1), Some("started"), 0), minute);
    run_at(&mut t, B, &announce(&peer(2), Some("started"), 0), minute);
    // B re-announces every two minutes, A goes silent.
    for m in [3, 5] {
        run_at(&mut t, B, &announce(&peer(2), None, 0), m * minute);
    }
    assert!(t.sweep(5 * minute).is_empty(), "nobody is idle for 5 minutes yet");
    let out = t.sweep(7 * minute);
    assert_eq!(closed(&out), [(A, crate::tracker::CLOSE_IDLE)]);
    assert_eq!(t.counts(&ih()).incomplete, 1);
    assert!(!t.has_socket(A) && t.has_socket(B));
    // The last-seen time is in B's record (stored once a minute), so it survives hibernation.
    assert_eq!(t.record(B).expect("record").seen_ms, 5 * minute);
    let mut woken = Tracker::default();
    woken.restore(B, t.record(B).cloned().expect("record"));
    assert!(woken.sweep(9 * minute).is_empty());
    assert_eq!(closed(&woken.sweep(11 * minute)), [(B, crate::tracker::CLOSE_IDLE)]);
}

#[test]
fn a_socket_without_a_last_seen_time_gets_one_at_the_sweep() {
    let mut t = Tracker::default();
    t.restore(A, SocketRecord::default());
    assert!(t.sweep(1_200_000).is_empty());
    assert_eq!(t.take_dirty_records(), [A]);
    assert!(t.take_dirty_records().is_empty());
    assert!(t.sweep(1_200_000 + 299_000).is_empty());
    assert_eq!(closed(&t.sweep(1_200_000 + 400_000)).len(), 1);
}

#[test]
fn one_address_may_add_15_peers_to_a_swarm_per_5_minutes() {
    let mut t = Tracker::default();
    let mut refused = 0;
    for n in 0..17u8 {
        let socket = 100 + u64::from(n);
        t.restore(socket, SocketRecord::default());
        t.set_address(socket, "192.0.2.7");
        let out = run_at(&mut t, socket, &announce(&peer(n), Some("started"), 0), 1_000);
        let answer = &sent_to(&out, socket)[0];
        if answer.get("failure reason").is_some() {
            assert_eq!(answer["failure reason"], "too many announces from this address");
            assert!(closed(&out).is_empty(), "the socket stays open");
            refused += 1;
        }
    }
    assert_eq!((refused, t.counts(&ih()).incomplete), (2, 15));
    // Re-announces of peers already in do not count; another address is not affected.
    let out = run_at(&mut t, 100, &announce(&peer(0), None, 0), 2_000);
    assert_eq!(sent_to(&out, 100)[0]["incomplete"], 15);
    t.restore(200, SocketRecord::default());
    t.set_address(200, "192.0.2.8");
    let out = run_at(&mut t, 200, &announce(&peer(50), Some("started"), 0), 2_000);
    assert_eq!(sent_to(&out, 200)[0]["incomplete"], 16);
    // Five minutes later the address may add peers again.
    t.restore(300, SocketRecord::default());
    t.set_address(300, "192.0.2.7");
    let out = run_at(&mut t, 300, &announce(&peer(60), Some("started"), 0), 1_000 + 300_000);
    assert_eq!(sent_to(&out, 300)[0]["incomplete"], 17);
}
