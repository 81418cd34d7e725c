//! Remote objects looked up by a search: a video URL of another server fetched and stored as a
//! remote video even without a follow, through the same checks and row as a received
//! `Create{Video}` (`apply::video`), so a searched video and a federated one are alike.

use edgetube_domain::videos::Video;
use edgetube_domain::InstanceConfig;
use edgetube_ports::Ports;
use url::Url;

use crate::apply::{video, Failure};
use crate::FederationError;

/// The remote video whose ActivityPub id is `id`, fetched from its origin and stored; `None`
/// when the origin has no video there (404, 410, another kind of object).
pub async fn video_by_url(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    id: &Url,
) -> Result<Option<Video>, FederationError> {
    video::import(ports, config, id).await.map_err(|failure| match failure {
        Failure::Transient(e) => e,
        // A video we would refuse from the inbox (a foreign channel, a bad document) is the
        // remote server's fault, as the inbox treats it.
        Failure::Permanent(reason) => FederationError::remote(id.as_str(), reason),
    })
}
