//! Edgetube's transcoding runner as a library: PeerTube-compatible HLS renditions from one input.
//!
//! The pipeline is [`probe`] (what the input holds) → [`ladder`] (which renditions, at which fps
//! and bitrate; pure) → [`ffmpeg_plan`] (the ffmpeg command lines; pure) and [`images`]
//! (thumbnail, preview, storyboard) → [`transcode_local`], which runs them into a directory.
//!
//! The decision a newcomer would question: unlike PeerTube, which runs one ffmpeg job per
//! resolution, the runner encodes the whole ladder from a single decode (`split` in one
//! `-filter_complex`). The encoder flags and file layout stay PeerTube's, so output is
//! interchangeable; [`ffmpeg_plan::per_resolution_commands`] keeps PeerTube's graph for
//! benchmarks.
//!
//! It does not talk to an instance, upload, or write master playlists and `segments-sha256.json`.

pub mod ffmpeg_plan;
pub mod images;
pub mod ladder;
pub mod probe;
pub mod run_ffmpeg;
pub mod transcode_local;
