//! The info hashes PeerTube's players announce for a video, so that a tracker can allow exactly
//! those (PeerTube's `tracker.private`).
//!
//! - **v2** (PeerTube 7.1 and later, upstream p2p-media-loader 2.x): PeerTube gives each stream a
//!   swarm id keyed by the video, `pt-v2-<videoUUID>-main-default-<resolution>` per rendition
//!   (`...-main-default-default` for a resolution of 0) and `pt-v2-<videoUUID>-secondary-default-default`
//!   for an audio-only stream; the info hash is the base64 of the first 15 bytes of the id's SHA-1,
//!   20 ASCII characters (15 bytes make 20 base64 characters with no padding). Checked against
//!   PeerTube's `generateSwarmId` (core-utils), `generateP2PMediaLoaderHash` (node-utils) and
//!   `VideoStreamingPlaylistModel.buildP2PMediaLoaderInfoHashes`.
//! - **v2 without PeerTube's builder** (p2p-media-loader 2.3's default): `v2-<swarmId>-main-<index>`,
//!   hashed the same way; [`v2_info_hash`] covers it given the id.
//! - **v1** (PeerTube 6.3, its p2p-media-loader 0.6 fork): the raw 20 bytes of
//!   `SHA-1("2" + masterPlaylistUrl + "+V" + variantIndex)`.

use base64::Engine as _;
use sha1::{Digest, Sha1};

use crate::id::Id20;

/// PeerTube's peer protocol version in swarm ids.
const PEER_VERSION: &str = "v2";

/// The v2 swarm id of a video rendition (`resolution` = short side; 0 for audio only).
pub fn v2_swarm_id(video_uuid: &str, resolution: u32) -> String {
    if resolution == 0 {
        format!("pt-{PEER_VERSION}-{video_uuid}-main-default-default")
    } else {
        format!("pt-{PEER_VERSION}-{video_uuid}-main-default-{resolution}")
    }
}

/// The v2 swarm id of a video's separate audio stream.
pub fn v2_audio_swarm_id(video_uuid: &str) -> String {
    format!("pt-{PEER_VERSION}-{video_uuid}-secondary-default-default")
}

/// base64(SHA-1(id)[0..15]): the 20 ASCII characters p2p-media-loader 2 announces.
pub fn v2_info_hash(swarm_id: &str) -> Id20 {
    let digest = Sha1::digest(swarm_id.as_bytes());
    let encoded = base64::engine::general_purpose::STANDARD.encode(&digest[..15]);
    let mut out = [0u8; 20];
    out.copy_from_slice(encoded.as_bytes());
    Id20(out)
}

/// SHA-1("2" + master URL + "+V" + index): the v1 fork's hash of variant `index` (its position in
/// the master playlist).
pub fn v1_info_hash(master_playlist_url: &str, index: usize) -> Id20 {
    let digest = Sha1::digest(format!("2{master_playlist_url}+V{index}").as_bytes());
    let mut out = [0u8; 20];
    out.copy_from_slice(&digest);
    Id20(out)
}

/// What a video's P2P streams are made of.
#[derive(Debug, Clone, Copy)]
pub struct VideoStreams<'a> {
    /// The video's UUID.
    pub uuid: &'a str,
    /// The master playlist's absolute URL, as players load it.
    pub master_playlist_url: &'a str,
    /// The renditions' resolutions, in master playlist order.
    pub resolutions: &'a [u32],
}

/// Every info hash a player of the video may announce: v2 for each rendition (and the audio
/// stream when one is audio only), v1 for each variant of the master playlist, with the URL as
/// given and without its query (the v1 fork uses either).
pub fn video_info_hashes(streams: &VideoStreams<'_>) -> Vec<Id20> {
    let mut out: Vec<Id20> =
        streams.resolutions.iter().map(|r| v2_info_hash(&v2_swarm_id(streams.uuid, *r))).collect();
    if streams.resolutions.contains(&0) {
        out.push(v2_info_hash(&v2_audio_swarm_id(streams.uuid)));
    }
    let without_query = streams.master_playlist_url.split('?').next().unwrap_or_default();
    for url in [streams.master_playlist_url, without_query] {
        out.extend((0..streams.resolutions.len()).map(|i| v1_info_hash(url, i)));
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha1_base64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(Sha1::digest(s.as_bytes()))
    }

    #[test]
    fn v2_matches_the_measured_novage_example() {
        // p2p.md §3: swarmId `e2e-test-swarm`, level `900000-avc1.64001e-640-360----25-`.
        let index = sha1_base64("900000-avc1.64001e-640-360----25-");
        assert_eq!(index, "POckYwCtRqQ7akUiLA3o60WRJ18=");
        let id = format!("v2-e2e-test-swarm-main-{index}");
        assert_eq!(v2_info_hash(&id).to_wire(), "n6D3vQNvgXbyHVNq7qeT");
    }

    #[test]
    fn peertube_swarm_ids() {
        let uuid = "0e9c5e3a-6f1e-4c57-9d6f-2a1b3c4d5e6f";
        assert_eq!(v2_swarm_id(uuid, 720), format!("pt-v2-{uuid}-main-default-720"));
        assert_eq!(v2_swarm_id(uuid, 0), format!("pt-v2-{uuid}-main-default-default"));
        assert_eq!(v2_audio_swarm_id(uuid), format!("pt-v2-{uuid}-secondary-default-default"));
        // 20 base64 characters: ASCII, so the wire string is the hash itself.
        let hash = v2_info_hash(&v2_swarm_id(uuid, 720));
        assert!(hash.0.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/'));
        let expected = &sha1_base64(&v2_swarm_id(uuid, 720))[..20];
        assert_eq!(hash.to_wire(), expected);
    }

    #[test]
    fn v1_is_the_raw_sha1_of_the_variant() {
        let url = "https://tube.example/static/streaming-playlists/hls/u/m-master.m3u8";
        let hash = v1_info_hash(url, 1);
        let digest = Sha1::digest(format!("2{url}+V1").as_bytes());
        assert_eq!(&hash.0[..], &digest[..]);
        // `printf '2abc+V0' | sha1sum`.
        assert_eq!(v1_info_hash("abc", 0).hex(), "5dee7d8e1a0ff96e88c7f894b35fb84243fbaa6b");
    }

    #[test]
    fn a_video_allows_both_derivations() {
        let streams = VideoStreams {
            uuid: "u",
            master_playlist_url: "https://t/m.m3u8?videoFileToken=x",
            resolutions: &[240, 480],
        };
        let all = video_info_hashes(&streams);
        assert!(all.contains(&v2_info_hash("pt-v2-u-main-default-240")));
        assert!(all.contains(&v2_info_hash("pt-v2-u-main-default-480")));
        assert!(all.contains(&v1_info_hash("https://t/m.m3u8", 1)));
        assert!(all.contains(&v1_info_hash("https://t/m.m3u8?videoFileToken=x", 0)));
        assert!(!all.contains(&v2_info_hash(&v2_audio_swarm_id("u"))));
        assert_eq!(all.len(), 6);
        let with_audio =
            VideoStreams { resolutions: &[0, 240], master_playlist_url: "https://t/m.m3u8", ..streams };
        assert!(video_info_hashes(&with_audio).contains(&v2_info_hash(&v2_audio_swarm_id("u"))));
    }
}
