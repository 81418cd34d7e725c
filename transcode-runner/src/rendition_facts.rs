//! What the instance must know of an uploaded fMP4 that the transcoding report does not say:
//! its segment hashes, `CODECS` string, which tracks it has, and its duration.
//!
//! All of it comes from the file's bytes through `edgetube-manifest`, the same code the edge uses
//! to serve and check them, so the runner and the edge cannot disagree on segment boundaries.
//!
//! A 1080p rendition of a long video is hundreds of megabytes, so [`rendition_facts_from_file`]
//! never holds the file: it finds the segment boundaries from the top-level box headers (16 bytes
//! each), then reads one segment at a time behind the init section and lets
//! `edgetube_manifest::fmp4::parse` read that small file. Memory is the init section plus the
//! largest segment. [`rendition_facts`] does the same from bytes already in memory.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use edgetube_manifest::sha256::sha256_hex;
use edgetube_manifest::{fmp4, ByteRange, Codecs, FourCc, SegmentHashes};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct RenditionFacts {
    /// The master playlist's `CODECS` value, e.g. `avc1.64001f,mp4a.40.2`.
    pub codecs: String,
    pub has_audio: bool,
    pub has_video: bool,
    /// `"<first>-<last>"` → hex SHA-256 of each media segment.
    pub segments_sha256: BTreeMap<String, String>,
    /// Sum of the segment durations, in seconds.
    pub duration: f64,
}

/// Why a rendition file's facts cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    /// Reading the file failed.
    #[error("cannot read {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The top-level boxes do not make a fragmented MP4 (no `moov`, a box past the end…).
    #[error("{reason} at byte {offset}")]
    Layout { reason: &'static str, offset: u64 },
    /// A segment or the init section is not what `edgetube-manifest` accepts.
    #[error(transparent)]
    Manifest(#[from] edgetube_manifest::Error),
}

/// Reads the facts of the fragmented MP4 `bytes`, named `file_name`.
pub fn rendition_facts(file_name: &str, bytes: &[u8]) -> Result<RenditionFacts, edgetube_manifest::Error> {
    let layout = fmp4::parse(bytes)?;
    let codecs = Codecs::from_init(bytes)?;
    let mut hashes = SegmentHashes::new();
    hashes.add_file(file_name, bytes, &layout)?;
    let segments_sha256 =
        hashes.files().flat_map(|(_, ranges)| ranges).map(|(range, hash)| (range_key(*range), hash.clone()));
    Ok(RenditionFacts {
        codecs: codecs.hls_value(),
        has_audio: codecs.audio.is_some(),
        has_video: codecs.video.is_some(),
        segments_sha256: segments_sha256.collect(),
        duration: layout.segments.iter().map(|s| s.duration_secs()).sum(),
    })
}

/// Reads the facts of the fragmented MP4 at `path` with bounded memory (see the module doc).
pub fn rendition_facts_from_file(path: &Path) -> Result<RenditionFacts, FactsError> {
    let io = |source| FactsError::Io { path: path.to_owned(), source };
    let mut file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let (init, segments) = top_level_layout(&mut file, len).map_err(|e| match e {
        Scan::Io(source) => io(source),
        Scan::Layout(e) => e,
    })?;

    // `init` stays at the front of `buffer`; each segment in turn is read behind it, so that
    // the buffer is a one-segment fMP4 with the same init section.
    let init_len = usize::try_from(init.length).map_err(|_| too_large(0))?;
    let mut buffer = vec![0; init_len];
    read_range(&mut file, init, &mut buffer).map_err(io)?;
    let codecs = Codecs::from_init(&buffer)?;
    let mut segments_sha256 = BTreeMap::new();
    let mut duration = 0.0;
    for segment in segments {
        let segment_len = usize::try_from(segment.length).map_err(|_| too_large(segment.offset))?;
        buffer.resize(init_len + segment_len, 0);
        read_range(&mut file, segment, &mut buffer[init_len..]).map_err(io)?;
        let layout = fmp4::parse(&buffer)?;
        let [one] = layout.segments.as_slice() else {
            return Err(FactsError::Layout {
                reason: "not one moof+mdat in a segment",
                offset: segment.offset,
            });
        };
        duration += one.duration_secs();
        segments_sha256.insert(range_key(segment), sha256_hex(&buffer[init_len..]));
    }
    Ok(RenditionFacts {
        codecs: codecs.hls_value(),
        has_audio: codecs.audio.is_some(),
        has_video: codecs.video.is_some(),
        segments_sha256,
        duration,
    })
}

fn range_key(range: ByteRange) -> String {
    format!("{}-{}", range.offset, range.last_byte())
}

fn too_large(offset: u64) -> FactsError {
    FactsError::Layout { reason: "a segment larger than this machine's address space", offset }
}

enum Scan {
    Io(std::io::Error),
    Layout(FactsError),
}

/// The init section (`ftyp` to the end of `moov`) and the media segments, found from box headers
/// alone. Segments end where an `mdat` ends, the last one at the end of the file: the rule
/// `edgetube_manifest::fmp4::parse` applies, which then checks each segment's contents.
fn top_level_layout(file: &mut File, len: u64) -> Result<(ByteRange, Vec<ByteRange>), Scan> {
    let mut init_end = None;
    let mut segments = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    while offset < len {
        let (kind, size) = box_header(file, offset, len)?;
        let end = offset + size;
        match (kind, init_end) {
            (FourCc::MOOV, None) => {
                init_end = Some(end);
                start = end;
            }
            (FourCc::MDAT, Some(_)) => {
                segments.push(ByteRange::new(start, end - start));
                start = end;
            }
            _ => {}
        }
        offset = end;
    }
    let layout_error = |reason| Scan::Layout(FactsError::Layout { reason, offset: 0 });
    let init_end = init_end.ok_or_else(|| layout_error("no `moov` box"))?;
    let last = segments.last_mut().ok_or_else(|| layout_error("no `mdat` box after the `moov`"))?;
    // Boxes after the last `mdat` belong to the last segment, as in the edge's layout.
    last.length = len - last.offset;
    Ok((ByteRange::new(0, init_end), segments))
}

/// The type and total size of the box at `offset`, checked to end within `len` bytes.
fn box_header(file: &mut File, offset: u64, len: u64) -> Result<(FourCc, u64), Scan> {
    let remaining = len - offset;
    let layout_error = |reason| Scan::Layout(FactsError::Layout { reason, offset });
    if remaining < 8 {
        return Err(layout_error("a truncated box header"));
    }
    let mut header = [0u8; 16];
    let header_len = remaining.min(16) as usize;
    read_range(file, ByteRange::new(offset, header_len as u64), &mut header[..header_len])
        .map_err(Scan::Io)?;
    let kind = FourCc([header[4], header[5], header[6], header[7]]);
    let size = match u32::from_be_bytes([header[0], header[1], header[2], header[3]]) {
        0 => remaining,
        1 if header_len == 16 => u64::from_be_bytes(header[8..16].try_into().unwrap_or_default()),
        1 => return Err(layout_error("a truncated 64-bit box size")),
        n => u64::from(n),
    };
    if size < 8 {
        return Err(layout_error("a box smaller than its header"));
    }
    if size > remaining {
        return Err(layout_error("a box that runs past the end of the file"));
    }
    Ok((kind, size))
}

fn read_range(file: &mut File, range: ByteRange, into: &mut [u8]) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(range.offset))?;
    file.read_exact(into)
}
