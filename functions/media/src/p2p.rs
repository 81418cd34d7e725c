//! Which P2P swarms this instance's tracker serves for a video: its allow-list, the info hashes
//! PeerTube's players announce for it (both derivations of `edgetube_tracker::hashes`), and the
//! web-video torrent's info hash while the original is listed.
//!
//! Only local, published videos with HLS renditions and media served without a token (public and
//! unlisted) have swarms: players turn P2P off for private videos, and a remote video's swarms
//! live on its origin's tracker.

use edgetube_domain::videos::{self, urls, Video};
use edgetube_domain::{DomainError, Origin};
use edgetube_ports::Sql;
use edgetube_tracker::hashes::{video_info_hashes, VideoStreams};
use edgetube_tracker::Id20;

use crate::renditions;

/// Whether `video` has swarms on this instance's tracker.
pub fn has_swarms(video: &Video) -> bool {
    !video.is_remote()
        && video.state == videos::state::PUBLISHED
        && urls::has_public_media(video)
        && video.hls_master_key.is_some()
}

/// The info hashes the tracker accepts for `video` (empty when it has no swarms), from its row
/// and renditions; the master playlist URL is the one the REST API reports to players.
pub async fn allowed_info_hashes(
    sql: &dyn Sql,
    origin: &Origin,
    video: &Video,
) -> Result<Vec<Id20>, DomainError> {
    let Some(master) = video.hls_master_key.as_deref().filter(|_| has_swarms(video)) else {
        return Ok(Vec::new());
    };
    let files = renditions::files(sql, video.id).await?;
    let resolutions: Vec<u32> = files.iter().map(|f| u32::try_from(f.resolution).unwrap_or(0)).collect();
    let master_url = urls::hls_file_url(origin, video, master);
    let mut hashes = video_info_hashes(&VideoStreams {
        uuid: &video.uuid,
        master_playlist_url: &master_url,
        resolutions: &resolutions,
    });
    if let Some(torrent) = video.input_infohash.as_deref().and_then(Id20::from_hex) {
        hashes.push(torrent);
    }
    Ok(hashes)
}

/// [`allowed_info_hashes`] of the video with this UUID; empty when there is none.
pub async fn allowed_info_hashes_of(
    sql: &dyn Sql,
    origin: &Origin,
    uuid: &str,
) -> Result<Vec<Id20>, DomainError> {
    match videos::find_by_uuid(sql, uuid).await? {
        Some(video) => allowed_info_hashes(sql, origin, &video).await,
        None => Ok(Vec::new()),
    }
}
