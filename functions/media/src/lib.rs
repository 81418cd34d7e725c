//! Edgetube's media storage: how a video's bytes get in, get transcoded and get published.
//!
//! - [`uploads`]: chunks of any size re-blocked into equal R2 multipart parts, with staging
//!   objects and a conditional row update per chunk ([`uploads::plan_chunk`] decides from the
//!   session's numbers alone, [`uploads::append_stream`] cuts the arriving body into parts).
//! - [`part_writer`]: a stream of unknown length cut into equal parts, one part in memory.
//! - [`direct_uploads`]: multipart uploads whose parts clients send to presigned R2 URLs
//!   (signed by `edgetube-sigv4`).
//! - [`runner_jobs`]: storage events → transcoding jobs, every write guarded by the job's
//!   [`runner_jobs::Holder`]; [`runners`]: runner registration and tokens; [`runner_fleet`]: how
//!   many runners the backlog needs, where runners are started on demand.
//! - [`renditions`]: recording a reported rendition, the master playlist and
//!   `segments-sha256.json`, images, storyboards, every key a video owns.
//! - [`torrents`]: BitTorrent v1 metainfo of a one-request upload, hashed as it streams.
//! - [`p2p`]: the info hashes the tracker allows for a video (its swarms).
//!
//! Built on `edgetube-domain` (videos, configuration, tokens); like it, everything goes through
//! [`edgetube_ports::Ports`] and nothing here knows a runtime.

pub mod direct_uploads;
pub mod p2p;
pub mod part_writer;
pub mod renditions;
pub mod runner_fleet;
pub mod runner_jobs;
pub mod runners;
pub mod torrents;
pub mod uploads;
