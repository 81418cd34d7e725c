//! Edgetube's transcoding runner as a library: PeerTube-compatible HLS renditions from one input,
//! and the client side of the runner protocol (`PROTOCOL.md`) that brings inputs and takes results.
//!
//! The pipeline is [`probe`] (what the input holds) → [`ladder`] (which renditions, at which fps
//! and bitrate; pure) → [`ffmpeg_plan`] (the ffmpeg command lines; pure) and [`images`]
//! (thumbnail, preview, storyboard) → [`transcode_local`], which runs them into a directory.
//!
//! Taking jobs is [`job_runner`] (registration, one job at a time; idle, it waits on the
//! instance's wait socket, [`wake`], or polls where there is none) → [`ladder_job`]
//! (one job: download, transcode, publish) with [`heartbeat`] beside it; [`instance_client`] makes
//! the API calls, [`transfer`] moves files in resumable ranges and chunks (or, where the instance
//! offers it, [`presigned_put`] writes each result with one `PUT` straight to storage), and
//! [`rendition_facts`] reads segment hashes and codecs from each fMP4 with `edgetube-manifest`,
//! one segment at a time.
//!
//! The decision a newcomer would question: unlike PeerTube, which runs one ffmpeg job per
//! resolution, the runner encodes the whole ladder from a single decode (`split` in one
//! `-filter_complex`). The encoder flags and file layout stay PeerTube's, so output is
//! interchangeable; [`ffmpeg_plan::per_resolution_commands`] keeps PeerTube's graph for
//! benchmarks. A ladder that encodes in lockstep finishes every rendition at the same moment,
//! so by default a job first encodes the lowest rendition alone and publishes it while the rest
//! encodes from a second decode ([`transcode_local::Strategy::LowestFirst`]): the video plays after
//! the cheapest encode, for one more decode of the input.
//!
//! [`launcher`] starts `run --exit-when-idle` processes in numbered slots when the instance asks
//! (runners that exist only while there is work, where Cloudflare Containers are not available).
//!
//! It does not write master playlists or `segments-sha256.json`: the instance does, from the
//! facts each rendition report carries.

pub mod cli_units;
pub mod ffmpeg_plan;
pub mod heartbeat;
pub mod images;
pub mod instance_client;
pub mod job_runner;
pub mod ladder;
pub mod ladder_job;
pub mod launcher;
pub mod presigned_put;
pub mod probe;
pub mod progress_display;
pub mod rendition_facts;
pub mod run_ffmpeg;
pub mod runner_state;
pub mod transcode_local;
pub mod transfer;
pub mod wake;

/// An error and its causes on one line, `outer: inner: innermost`, for logs and the instance.
///
/// reqwest's and our own messages name only their level ("cannot upload x"); the cause is
/// what someone reading the log needs.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Some errors repeat their source in their own message; say it once.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
