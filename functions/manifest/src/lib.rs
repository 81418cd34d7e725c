//! PeerTube's VOD HLS files, computed from the bytes of a fragmented MP4.
//!
//! PeerTube serves each rendition as one fragmented MP4 addressed by byte ranges, a rendition
//! playlist per file, a master playlist, and `segments-sha256.json` for P2P hash checks.
//! This crate computes all of them from the bytes alone, so that `transcode-runner` can write
//! them and the edge worker can serve and rewrite them:
//!
//! - [`fmp4::parse`] reads the top-level box layout into an [`Fmp4Layout`]: the init section
//!   (`ftyp`+`moov`) and the [`Segment`]s with their byte ranges and durations.
//! - [`MediaPlaylist`] renders (and parses) the rendition playlist in ffmpeg's and PeerTube's
//!   exact text; [`master_playlist`] renders the master from [`MasterRendition`]s;
//!   [`inject_video_file_token`] is the private-video rewrite of both.
//! - [`SegmentHashes`] builds and verifies `segments-sha256.json`.
//! - [`Codecs::from_init`] derives the `CODECS` strings (`avc1.64001f`, `mp4a.40.2`) from the
//!   `moov`, so the master needs no ffprobe.
//! - [`frame_size`]: the display size of a plain MP4/MOV upload from its `moov` (whole, or fed
//!   chunk by chunk with a bounded capture), for what PeerTube shows before transcoding.
//!
//! Segments tile the file: each one runs from the end of the previous one (or of the init
//! section) to the end of its `mdat`, so the `sidx`/`styp` boxes ffmpeg writes before a `moof`
//! belong to that segment, exactly as in ffmpeg's `#EXT-X-BYTERANGE`s and PeerTube's hash keys.
//!
//! This crate does no I/O (the caller reads the bytes and stores the text), spawns nothing, never
//! reads the clock, and knows nothing of Workers, Spin or ffmpeg; it builds for
//! `wasm32-unknown-unknown` and `wasm32-wasip2`. It does not parse sample tables, decode media,
//! handle encrypted or non-fragmented MP4, MPEG-TS, live playlists, or PeerTube's split-audio
//! (`#EXT-X-MEDIA`) masters.

pub mod codec;
mod error;
pub mod fmp4;
pub mod frame_size;
pub mod playlist;
pub mod sha256;

pub use codec::Codecs;
pub use error::Error;
pub use fmp4::{ByteRange, Fmp4Layout, FourCc, Segment};
pub use playlist::{
    inject_video_file_token, master_playlist, rewrite_uris, MasterPlaylist, MasterRendition, MediaPlaylist,
    PlaylistKind,
};
pub use sha256::{Mismatch, SegmentHashes};
