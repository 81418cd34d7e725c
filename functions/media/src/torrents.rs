//! BitTorrent v1 metainfo for a stored file, as PeerTube attaches to each web video file: a
//! single-file torrent whose web seed is the file's own URL, so a WebTorrent client can fetch it
//! from the instance and from peers.
//!
//! Hand-rolled bencoding (a few lines) rather than a crate: the only bencode crates are
//! serde-based and this writes one fixed shape.

use edgetube_ports::encoding::hex;
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

/// SHA-1 piece hashes of a file fed chunk by chunk, so a streamed upload never needs every byte
/// at once.
///
/// The piece length depends on the final size, which a stream only knows at its end, so every
/// length a file of at most `max_size` bytes may get is hashed side by side: just one below
/// ~128 MiB (which covers the legacy upload's 100 MB).
#[derive(Debug, Clone)]
pub struct PieceHasher {
    candidates: Vec<Pieces>,
    size: u64,
}

/// A file's piece hashes at one piece length.
#[derive(Debug, Clone)]
pub struct Pieces {
    /// The piece length.
    pub piece_length: u64,
    /// The file's size.
    pub length: u64,
    /// The concatenated 20-byte SHA-1 of every piece.
    pub hashes: Vec<u8>,
    current: Sha1,
    filled: u64,
}

impl Pieces {
    fn new(piece_length: u64) -> Self {
        Self { piece_length, length: 0, hashes: Vec::new(), current: Sha1::new(), filled: 0 }
    }

    fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let room = usize::try_from(self.piece_length - self.filled).unwrap_or(usize::MAX);
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.current.update(now);
            self.filled += now.len() as u64;
            if self.filled == self.piece_length {
                self.close_piece();
            }
            bytes = rest;
        }
    }

    fn close_piece(&mut self) {
        let digest = std::mem::take(&mut self.current).finalize();
        self.hashes.extend_from_slice(&digest);
        self.filled = 0;
    }
}

impl PieceHasher {
    /// A hasher for a file of at most `max_size` bytes.
    pub fn new(max_size: u64) -> Self {
        let largest = piece_length(max_size);
        let mut candidates = vec![Pieces::new(piece_length(0))];
        while let Some(length) = candidates.last().map(|p| p.piece_length).filter(|l| *l < largest) {
            candidates.push(Pieces::new(length * 2));
        }
        Self { candidates, size: 0 }
    }

    /// Feeds the next bytes of the file.
    pub fn update(&mut self, bytes: &[u8]) {
        self.size += bytes.len() as u64;
        for pieces in &mut self.candidates {
            pieces.update(bytes);
        }
    }

    /// Bytes fed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The pieces at the length the final size calls for; `None` when more than `max_size`
    /// bytes were fed.
    pub fn finish(self) -> Option<Pieces> {
        let length = piece_length(self.size);
        let mut pieces = self.candidates.into_iter().find(|p| p.piece_length == length)?;
        if pieces.filled > 0 {
            pieces.close_piece();
        }
        pieces.length = self.size;
        Some(pieces)
    }
}

/// The bencoded `info` dictionary (keys in sorted order, as bencoding requires).
fn info(name: &str, pieces: &Pieces) -> Vec<u8> {
    let mut out = vec![b'd'];
    string(&mut out, b"length");
    integer(&mut out, i64::try_from(pieces.length).unwrap_or(i64::MAX));
    string(&mut out, b"name");
    string(&mut out, name.as_bytes());
    string(&mut out, b"piece length");
    integer(&mut out, i64::try_from(pieces.piece_length).unwrap_or(i64::MAX));
    string(&mut out, b"pieces");
    string(&mut out, &pieces.hashes);
    out.push(b'e');
    out
}

/// The `.torrent` file of `bytes` and its info hash (lowercase hex).
pub fn make(spec: &TorrentSpec<'_>, bytes: &[u8]) -> (Vec<u8>, String) {
    let mut hasher = PieceHasher::new(bytes.len() as u64);
    hasher.update(bytes);
    let pieces = hasher.finish().unwrap_or_else(|| Pieces::new(piece_length(0)));
    make_from_pieces(spec, &pieces)
}

/// The `.torrent` file of a file hashed by a [`PieceHasher`] and its info hash (lowercase hex).
pub fn make_from_pieces(spec: &TorrentSpec<'_>, pieces: &Pieces) -> (Vec<u8>, String) {
    let info = info(spec.name, pieces);
    let hash = hex(&Sha1::digest(&info));
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

    /// Splits `bytes` into chunks of pseudo-random sizes from 1 byte to 300 KiB.
    fn random_chunks(bytes: &[u8], mut seed: u64) -> Vec<&[u8]> {
        let mut chunks = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Mostly small chunks, sometimes large ones, so box headers and pieces straddle them.
            let limit = if seed.is_multiple_of(4) { 300 * 1024 } else { 17 };
            let n = (1 + (seed >> 8) as usize % limit).min(rest.len());
            let (chunk, tail) = rest.split_at(n);
            chunks.push(chunk);
            rest = tail;
        }
        chunks
    }

    #[test]
    fn a_streamed_torrent_is_byte_identical_to_the_one_shot_one() {
        let trackers = vec!["http://t.example/announce".to_owned()];
        let spec = TorrentSpec { name: "a.mp4", trackers: &trackers, web_seed: "http://x/a.mp4", created: 9 };
        for (len, seed) in [(0usize, 1u64), (1, 2), (256 * 1024, 3), (700_001, 4), (3 * 1024 * 1024 + 5, 5)] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            // The piece list as the one-shot definition has it: SHA-1 of each whole piece.
            let expected: Vec<u8> = bytes
                .chunks(piece_length(len as u64) as usize)
                .flat_map(|piece| Sha1::digest(piece).to_vec())
                .collect();
            // The cap is far above the size: the final piece length must still be the size's own.
            let mut hasher = PieceHasher::new(1 << 30);
            for chunk in random_chunks(&bytes, seed) {
                hasher.update(chunk);
            }
            assert_eq!(hasher.size(), len as u64);
            let pieces = hasher.finish().unwrap();
            assert_eq!(pieces.hashes, expected, "{len} bytes");
            assert_eq!(make_from_pieces(&spec, &pieces), make(&spec, &bytes), "{len} bytes");
        }
        // Past the size it was made for, a hasher has no answer rather than a wrong one.
        let mut small = PieceHasher::new(10);
        small.update(&vec![0u8; 200 * 1024 * 1024]);
        assert!(small.finish().is_none());
    }
}
