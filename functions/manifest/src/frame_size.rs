//! The display size of an MP4/MOV upload, from the `tkhd` of its first video track: whole-file
//! ([`mp4_frame_size`]) or from a file fed chunk by chunk ([`FrameSizeProbe`]), which keeps only
//! the `moov` box, up to [`MAX_MOOV_CAPTURE`]. Used for the torrent and web video of an upload
//! PeerTube clients see before any transcoding.

/// The display size of an MP4/MOV upload, from its first video track header (`moov/trak/tkhd`);
/// `None` for other containers or when the `moov` is not in `bytes`.
pub fn mp4_frame_size(bytes: &[u8]) -> Option<(u32, u32)> {
    use crate::fmp4::boxes;
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

/// Largest `moov` box [`FrameSizeProbe`] keeps: a `moov` holds the sample tables, a few MB even
/// for long videos; past this the display size is left unknown rather than risk the memory.
pub const MAX_MOOV_CAPTURE: u64 = 16 * 1024 * 1024;

/// [`mp4_frame_size`] of a file fed chunk by chunk: walks the top-level boxes as they go by and
/// keeps only the `moov` box (at the start or the end of the file), up to [`MAX_MOOV_CAPTURE`].
#[derive(Debug, Clone)]
pub struct FrameSizeProbe {
    state: Probe,
}

#[derive(Debug, Clone)]
enum Probe {
    /// Reading a box header (8 bytes, 16 with a 64-bit size).
    Header(Vec<u8>),
    /// Passing over the rest of a box that is not `moov`.
    Skip(u64),
    /// Keeping the `moov` box; `None` remaining for a box that runs to the end of the file.
    Capture { moov: Vec<u8>, remaining: Option<u64> },
    /// Settled: nothing more to read.
    Done(Option<(u32, u32)>),
}

impl Default for FrameSizeProbe {
    fn default() -> Self {
        Self { state: Probe::Header(Vec::with_capacity(16)) }
    }
}

impl FrameSizeProbe {
    /// Feeds the next bytes of the file.
    pub fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match &mut self.state {
                Probe::Done(_) => return,
                Probe::Skip(remaining) => {
                    let n = usize::try_from(*remaining).unwrap_or(usize::MAX).min(bytes.len());
                    *remaining -= n as u64;
                    bytes = &bytes[n..];
                    if *remaining == 0 {
                        self.state = Probe::Header(Vec::with_capacity(16));
                    }
                }
                Probe::Capture { moov, remaining } => {
                    let n = remaining
                        .map_or(bytes.len(), |r| usize::try_from(r).unwrap_or(usize::MAX))
                        .min(bytes.len());
                    if moov.len() + n > MAX_MOOV_CAPTURE as usize {
                        self.state = Probe::Done(None);
                        return;
                    }
                    moov.extend_from_slice(&bytes[..n]);
                    bytes = &bytes[n..];
                    if let Some(remaining) = remaining {
                        *remaining -= n as u64;
                        if *remaining == 0 {
                            self.state = Probe::Done(mp4_frame_size(moov));
                        }
                    }
                }
                Probe::Header(header) => {
                    let wanted = if header.len() >= 8 && header[..4] == [0, 0, 0, 1] { 16 } else { 8 };
                    let n = (wanted - header.len()).min(bytes.len());
                    header.extend_from_slice(&bytes[..n]);
                    bytes = &bytes[n..];
                    if header.len() == 8 && header[..4] == [0, 0, 0, 1] {
                        continue;
                    }
                    if header.len() == wanted {
                        let header = std::mem::take(header);
                        self.state = Self::after_header(header);
                    }
                }
            }
        }
    }

    fn after_header(header: Vec<u8>) -> Probe {
        let short = u64::from(u32::from_be_bytes([header[0], header[1], header[2], header[3]]));
        let size = match short {
            1 => header[8..16].iter().fold(0u64, |n, b| n << 8 | u64::from(*b)),
            0 => 0,
            n => n,
        };
        let is_moov = &header[4..8] == b"moov";
        let header_len = header.len() as u64;
        if short == 0 {
            // The box runs to the end of the file: nothing follows it.
            return if is_moov {
                Probe::Capture { moov: header, remaining: None }
            } else {
                Probe::Done(None)
            };
        }
        if size < header_len {
            return Probe::Done(None);
        }
        match (is_moov, size - header_len) {
            (true, _) if size > MAX_MOOV_CAPTURE => Probe::Done(None),
            (true, 0) => Probe::Done(mp4_frame_size(&header)),
            (true, rest) => Probe::Capture { moov: header, remaining: Some(rest) },
            (false, 0) => Probe::Header(Vec::with_capacity(16)),
            (false, rest) => Probe::Skip(rest),
        }
    }

    /// The display size, once every byte was fed.
    pub fn finish(self) -> Option<(u32, u32)> {
        match self.state {
            Probe::Done(size) => size,
            Probe::Capture { moov, remaining: None } => mp4_frame_size(&moov),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mp4_frame_size_comes_from_the_video_track() {
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/video/video_short.mp4");
        let bytes = std::fs::read(fixture).unwrap_or_default();
        // The track header holds the display size: this fixture's 1280x720 frames have
        // non-square pixels.
        assert_eq!(mp4_frame_size(&bytes), Some((1364, 720)));
        assert_eq!(mp4_frame_size(b"not a video"), None);
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
    fn the_frame_size_is_found_in_a_stream_with_moov_first_or_last() {
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/video/video_short.mp4");
        let bytes = std::fs::read(fixture).unwrap();
        let boxes: Vec<_> = crate::fmp4::boxes(&bytes).map(Result::unwrap).collect();
        let span = |kind: &[u8; 4]| {
            let b = boxes.iter().find(|b| &b.kind.0 == kind).unwrap();
            let range = b.range();
            bytes[range.offset as usize..(range.offset + range.length) as usize].to_vec()
        };
        let (ftyp, moov, mdat) = (span(b"ftyp"), span(b"moov"), span(b"mdat"));
        let moov_last = [ftyp.clone(), mdat.clone(), moov.clone()].concat();
        let moov_first = [ftyp, moov, mdat].concat();
        for (file, seed) in [(&bytes, 11u64), (&moov_last, 12), (&moov_first, 13)] {
            let mut probe = FrameSizeProbe::default();
            for chunk in random_chunks(file, seed) {
                probe.update(chunk);
            }
            assert_eq!(probe.finish(), Some((1364, 720)));
        }
        // A 64-bit box size is followed; other containers and truncated files give no size.
        let mut large = vec![0, 0, 0, 1, b'f', b'r', b'e', b'e', 0, 0, 0, 0, 0, 0, 0, 20, 1, 2, 3, 4];
        large.extend_from_slice(&bytes);
        let mut probe = FrameSizeProbe::default();
        for chunk in random_chunks(&large, 14) {
            probe.update(chunk);
        }
        assert_eq!(probe.finish(), Some((1364, 720)));
        let mut webm = FrameSizeProbe::default();
        webm.update(&[0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01]);
        assert_eq!(webm.finish(), None);
        let mut cut = FrameSizeProbe::default();
        cut.update(&moov_last[..moov_last.len() - 10]);
        assert_eq!(cut.finish(), None);
    }
}
