//! A cache of remote videos' images, as PeerTube keeps one: the REST API names a remote video's
//! thumbnail and preview by paths of this instance (`/lazy-static/<folder>/remote-<uuid>-…`,
//! `edgetube_domain::videos::urls::remote_image_file`), and the first request of one fetches it
//! from the video's origin into object storage, where every later request finds it. Viewers'
//! browsers then never contact other servers for images, and a slow or gone origin costs one
//! fetch, not one per viewer.

use bytes::Bytes;
use edgetube_domain::videos::{self, urls, VideoRef};
use edgetube_domain::InstanceConfig;
use edgetube_ports::{HttpLimits, Ports};
use http::{header, Method, Request};

use crate::remote::policy;
use crate::FederationError;

/// Images PeerTube makes are well under 1 MiB (a 850×480 JPEG preview is about 100 kB).
const IMAGE_LIMITS: HttpLimits = HttpLimits::new(4 << 20, 10_000);

/// Fetches the image a cache name in `folder` (`thumbnails` or `previews`) stands for, from its
/// remote video's origin, into object storage at `<folder>/<file>`. `false` when the name is not
/// one of a remote video's current images, or the origin did not give an image.
pub async fn fill(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    folder: &str,
    file: &str,
) -> Result<bool, FederationError> {
    let Some(uuid) = urls::remote_image_uuid(file) else { return Ok(false) };
    let Some(reference) = VideoRef::parse(uuid) else { return Ok(false) };
    let Some(video) = videos::find(ports.sql, &reference).await?.filter(|v| v.is_remote()) else {
        return Ok(false);
    };
    let origin_url = match folder {
        "thumbnails" => video.remote_thumbnail_url.as_deref(),
        "previews" => video.remote_preview_url.as_deref(),
        _ => None,
    };
    // Only the name of the image the video has now: an older name is not fetched again.
    let Some(origin_url) = origin_url.filter(|url| urls::remote_image_file(&video.uuid, url) == file) else {
        return Ok(false);
    };
    let target = policy(config).check(origin_url)?;
    let request = Request::builder()
        .method(Method::GET)
        .uri(target.as_str())
        .header(header::ACCEPT, "image/*")
        .body(Bytes::new())
        .map_err(|e| FederationError::remote(origin_url, e))?;
    let response = ports.http.send(request, IMAGE_LIMITS).await?;
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !response.status().is_success() || !content_type.starts_with("image/") {
        return Ok(false);
    }
    ports.objects.put(&format!("{folder}/{file}"), response.into_body(), Some(&content_type)).await?;
    Ok(true)
}
