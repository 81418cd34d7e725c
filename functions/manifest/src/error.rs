//! This crate's one error type.

use crate::fmp4::{ByteRange, FourCc};

/// Everything that can go wrong in this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A box header, a box, or a field inside a box runs past the end of the input
    /// (the file was cut short, or the bytes are not ISO-BMFF at all).
    #[error("truncated input: {what} at byte {offset} needs {needed} bytes, only {available} remain")]
    Truncated {
        /// What was being read: `"box header"` or a box type such as `` `trun` ``.
        what: String,
        /// Absolute byte offset where the read started.
        offset: u64,
        /// Bytes needed from `offset`.
        needed: u64,
        /// Bytes available from `offset`.
        available: u64,
    },
    /// A box declares a size smaller than its own header.
    #[error("box `{kind}` at byte {offset} declares an impossible size {size}")]
    BadBoxSize {
        /// The box type.
        kind: FourCc,
        /// Absolute offset of the box.
        offset: u64,
        /// The declared size.
        size: u64,
    },
    /// A top-level box appears where the fragmented-MP4 layout does not allow it: the file does
    /// not start with `ftyp`, an `mdat` has no `moof` before it, a `moof` comes before the `moov`.
    #[error("not a PeerTube fragmented MP4: expected {expected} at byte {offset}, found `{found}`")]
    UnexpectedBox {
        /// What the layout requires at this point.
        expected: &'static str,
        /// The box type found instead.
        found: FourCc,
        /// Absolute offset of the box found.
        offset: u64,
    },
    /// A required box is absent (`moov`, a track's `mdhd`, a `moof`'s `mdat`, `stsd`, `avcC`…).
    #[error("missing `{path}` box")]
    MissingBox {
        /// Path of the missing box, e.g. `moov/trak/mdia/mdhd`.
        path: &'static str,
    },
    /// A `traf` names a track the `moov` does not declare, or a track has a zero timescale.
    #[error("track {track_id} is not declared in the moov (or has a zero timescale)")]
    UnknownTrack {
        /// The `track_ID` found.
        track_id: u32,
    },
    /// A `trun` without per-sample durations, with no default in its `tfhd` or the `trex`.
    #[error("no sample duration for track {track_id}: none in trun, tfhd or trex")]
    MissingSampleDuration {
        /// The track concerned.
        track_id: u32,
    },
    /// The file has an init section but no `moof`+`mdat` pair.
    #[error("the file has no media segments")]
    NoSegments,
    /// A sample entry this crate cannot name for `CODECS` (only AVC and MPEG-4 audio are known).
    #[error("cannot derive a codec string for sample entry `{fourcc}`")]
    UnsupportedCodec {
        /// The sample entry type, e.g. `hvc1`.
        fourcc: FourCc,
    },
    /// An `esds` descriptor is malformed.
    #[error("malformed esds: {reason}")]
    BadEsds {
        /// What is wrong.
        reason: &'static str,
    },
    /// A playlist line cannot be understood.
    #[error("invalid playlist at line {line}: {reason}")]
    InvalidPlaylist {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// `segments-sha256.json` is not in PeerTube's shape.
    #[error("invalid segments-sha256 JSON: {reason}")]
    InvalidSha256Json {
        /// What is wrong.
        reason: String,
    },
    /// A byte range to hash lies outside the file.
    #[error("range {range} lies outside `{file}` ({len} bytes)")]
    RangeOutOfBounds {
        /// The file name.
        file: String,
        /// The range.
        range: ByteRange,
        /// The file length.
        len: u64,
    },
}
