//! Video views: who counts as one viewer, and how aggregated counts reach the `videos` row.

use edgetube_ports::encoding::hex;
use edgetube_ports::Statement;
use sha2::{Digest, Sha256};

/// A viewer counts once per video per hour, as PeerTube's view lifetime.
pub const VIEW_WINDOW_SECONDS: u32 = 3600;

/// The opaque viewer key: a logged-in account, or the client address and user agent, hashed
/// with the video so that keys cannot be correlated across videos or reversed into addresses.
pub fn viewer_key(video_id: i64, account_id: Option<i64>, address: &str, user_agent: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(video_id.to_be_bytes());
    match account_id {
        Some(id) => hasher.update(format!("account:{id}")),
        None => hasher.update(format!("anonymous:{address}\n{user_agent}")),
    }
    hex(&hasher.finalize()[..16])
}

/// The viewer key of a remote actor (an instance actor, usually) that told us of a view: keyed
/// by the actor so that one server's repeated `View`s of a video count once per window.
pub fn remote_viewer_key(video_id: i64, actor: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(video_id.to_be_bytes());
    hasher.update(format!("actor:{actor}"));
    hex(&hasher.finalize()[..16])
}

/// Adds `views` aggregated views to `video_id`.
pub fn add_views(video_id: i64, views: u64) -> Statement {
    Statement::new("UPDATE videos SET views = views + ?2 WHERE id = ?1").bind(video_id).bind(views as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_video_and_viewer_and_hide_the_address() {
        let a = viewer_key(1, None, "192.0.2.1", "firefox");
        assert_eq!(a, viewer_key(1, None, "192.0.2.1", "firefox"));
        assert_ne!(a, viewer_key(2, None, "192.0.2.1", "firefox"));
        assert_ne!(a, viewer_key(1, None, "192.0.2.2", "firefox"));
        assert_ne!(viewer_key(1, Some(5), "192.0.2.1", "x"), viewer_key(1, Some(6), "192.0.2.1", "x"));
        assert!(!a.contains("192"));
    }
}
