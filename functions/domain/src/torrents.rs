//! BitTorrent v1 metainfo for a stored file, as PeerTube attaches to each web video file: a
//! single-file torrent whose web seed is the file's own URL, so a WebTorrent client can fetch it
//! from the instance and from peers.
//!
//! Hand-rolled bencoding (a few lines) rather than a crate: the only bencode crates are
//! serde-based and this writes one fixed shape.

use sha1::{Digest, Sha1};

/// What goes into a torrent besides the bytes.
#[derive(Debug, Clone)]
pub struct TorrentSpec<'a> {
    /// The file name peers see.
    pub name: &'a str,
    /// Tracker URLs (`announce` is the first, `announce-list` all of them).
    pub trackers: &'a [String],
    /// The file's HTTP URL (BEP 19 web seed).
    pub web_seed: &'a str,
    /// Creation time, seconds since the epoch.
    pub created: i64,
}

/// Piece length for a file of `size` bytes: 256 KiB up to ~128 MiB, then larger so the piece
/// list stays near 500 entries (WebTorrent's own rule of thumb).
pub fn piece_length(size: u64) -> u64 {
    let mut length = 256 * 1024;
    while size / length > 512 && length < 16 * 1024 * 1024 {
        length *= 2;
    }
    length
}

fn string(out: &mut Vec<u8>, text: &[u8]) {
    out.extend_from_slice(text.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(text);
}

fn integer(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(format!("i{n}e").as_bytes());
}

/// The bencoded `info` dictionary of `bytes` (keys in sorted order, as bencoding requires).
fn info(name: &str, bytes: &[u8]) -> Vec<u8> {
    let length = piece_length(bytes.len() as u64);
    let mut pieces = Vec::with_capacity(bytes.len().div_ceil(length as usize) * 20);
    for piece in bytes.chunks(length as usize) {
        pieces.extend_from_slice(&Sha1::digest(piece));
    }
    let mut out = vec![b'd'];
    string(&mut out, b"length");
    integer(&mut out, i64::try_from(bytes.len()).unwrap_or(i64::MAX));
    string(&mut out, b"name");
    string(&mut out, name.as_bytes());
    string(&mut out, b"piece length");
    integer(&mut out, i64::try_from(length).unwrap_or(i64::MAX));
    string(&mut out, b"pieces");
    string(&mut out, &pieces);
    out.push(b'e');
    out
}

/// The `.torrent` file of `bytes` and its info hash (lowercase hex).
pub fn make(spec: &TorrentSpec<'_>, bytes: &[u8]) -> (Vec<u8>, String) {
    let info = info(spec.name, bytes);
    let hash: String = Sha1::digest(&info).iter().map(|b| format!("{b:02x}")).collect();
    let mut out = vec![b'd'];
    if let Some(first) = spec.trackers.first() {
        string(&mut out, b"announce");
        string(&mut out, first.as_bytes());
        string(&mut out, b"announce-list");
        out.push(b'l');
        for tracker in spec.trackers {
            out.push(b'l');
            string(&mut out, tracker.as_bytes());
            out.push(b'e');
        }
        out.push(b'e');
    }
    string(&mut out, b"created by");
    string(&mut out, b"Edgetube");
    string(&mut out, b"creation date");
    integer(&mut out, spec.created);
    string(&mut out, b"info");
    out.extend_from_slice(&info);
    string(&mut out, b"url-list");
    out.push(b'l');
    string(&mut out, spec.web_seed.as_bytes());
    out.push(b'e');
    out.push(b'e');
    (out, hash)
}

/// The display size of an MP4/MOV upload, from its first video track header (`moov/trak/tkhd`);
/// `None` for other containers or when the `moov` is not in `bytes`.
pub fn mp4_frame_size(bytes: &[u8]) -> Option<(u32, u32)> {
    use edgetube_manifest::fmp4::boxes;
    let moov = boxes(bytes).filter_map(Result::ok).find(|b| &b.kind.0 == b"moov")?;
    for trak in moov.children().filter_map(Result::ok).filter(|b| &b.kind.0 == b"trak") {
        let Ok(Some(tkhd)) = trak.child(b"tkhd") else { continue };
        let payload = tkhd.payload;
        // Width and height are the last 8 bytes of `tkhd`, as 16.16 fixed point.
        let end = payload.len();
        if end < 8 {
            continue;
        }
        let width = u32::from_be_bytes(payload[end - 8..end - 4].try_into().ok()?) >> 16;
        let height = u32::from_be_bytes(payload[end - 4..end].try_into().ok()?) >> 16;
        if width > 0 && height > 0 {
            return Some((width, height));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torrents_are_bencoded_with_a_stable_info_hash() {
        let bytes = vec![7u8; 300 * 1024];
        let trackers = vec!["http://t.example/announce".to_owned(), "ws://t.example/socket".to_owned()];
        let spec = TorrentSpec { name: "a.mp4", trackers: &trackers, web_seed: "http://x/a.mp4", created: 1 };
        let (torrent, hash) = make(&spec, &bytes);
        assert!(torrent.starts_with(b"d8:announce25:http://t.example/announce13:announce-listll"));
        assert!(torrent.ends_with(b"8:url-listl14:http://x/a.mp4ee"));
        // Two pieces of 256 KiB: 40 bytes of SHA-1.
        assert!(torrent.windows(10).any(|w| w == b"6:pieces40"));
        // The info hash covers the info dictionary only: other fields do not change it.
        let later = TorrentSpec { created: 2, ..spec };
        assert_eq!(make(&later, &bytes).1, hash);
        assert_eq!(hash.len(), 40);
        assert_eq!(piece_length(10), 256 * 1024);
        assert_eq!(piece_length(1 << 30), 2 * 1024 * 1024);
    }

    #[test]
    fn mp4_frame_size_comes_from_the_video_track() {
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/video/video_short.mp4");
        let bytes = std::fs::read(fixture).unwrap_or_default();
        // The track header holds the display size: this fixture's 1280x720 frames have
        // non-square pixels.
        assert_eq!(mp4_frame_size(&bytes), Some((1364, 720)));
        assert_eq!(mp4_frame_size(b"not a video"), None);
    }
}
