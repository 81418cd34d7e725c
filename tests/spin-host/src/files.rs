//! Serves the `files` mounts of `spin.toml`'s file-server components (the pages' scripts and
//! styles under `/assets/`), as Spin's `spin-fileserver` component would: the part of the path
//! after the route's prefix names a file in the mounted folder, with its type from its extension.
//! The harness does this itself rather than running the fileserver's wasm, which Spin downloads
//! from GitHub (unreachable here).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

/// The file `path` names under one of `mounts`, if any mount's prefix matches; `Some(None)` when
/// a mount matches but the name is not a plain relative path (no `..`, no empty segment).
pub fn resolve(mounts: &[(String, PathBuf)], path: &str) -> Option<Option<PathBuf>> {
    let (prefix, dir) = mounts.iter().find(|(prefix, _)| path.starts_with(prefix.as_str()))?;
    let rest = &path[prefix.len()..];
    let plain = !rest.is_empty() && rest.split('/').all(|s| !s.is_empty() && s != "." && s != "..");
    Some(plain.then(|| dir.join(rest)))
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("ico") => "image/x-icon",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("map") => "application/json",
        _ => "application/octet-stream",
    }
}

fn body(bytes: Bytes) -> HyperOutgoingBody {
    Full::new(bytes).map_err(|never| match never {}).boxed_unsync()
}

/// The answer for `file` (None: a refused name): 200 with the file, or 404.
pub async fn serve(file: Option<PathBuf>) -> hyper::Response<HyperOutgoingBody> {
    let found = match &file {
        Some(file) => tokio::fs::read(file).await.ok().map(|bytes| (content_type(file), bytes)),
        None => None,
    };
    let builder = hyper::Response::builder().header("x-content-type-options", "nosniff");
    let response = match found {
        Some((kind, bytes)) => builder
            .header("content-type", kind)
            .header("cache-control", "no-cache")
            .body(body(Bytes::from(bytes))),
        None => builder
            .status(404)
            .header("content-type", "text/plain")
            .body(body(Bytes::from_static(b"Not found\n"))),
    };
    response.unwrap_or_else(|_| hyper::Response::new(body(Bytes::new())))
}

#[cfg(test)]
mod tests {
    use super::resolve;
    use std::path::PathBuf;

    #[test]
    fn only_plain_names_under_a_mount_are_files() {
        let mounts = vec![("/assets/".to_owned(), PathBuf::from("web/public/assets"))];
        assert_eq!(resolve(&mounts, "/assets/app.js"), Some(Some(PathBuf::from("web/public/assets/app.js"))));
        assert!(resolve(&mounts, "/assets/vendor/hls.min.mjs").flatten().is_some());
        assert_eq!(resolve(&mounts, "/assets/../../etc/passwd"), Some(None));
        assert_eq!(resolve(&mounts, "/assets//x"), Some(None));
        assert_eq!(resolve(&mounts, "/api/v1/config"), None);
    }
}
