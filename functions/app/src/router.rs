//! Path dispatch. A hand-written match on path segments: the route table is short, and a
//! slice pattern per route reads as the table itself.

use bytes::Bytes;
use edgetube_api::{Body, PendingBody};
use edgetube_domain::InstanceConfig;
use edgetube_ports::{Ports, RateDecision};
use edgetube_problem::Problem;
use http::{Method, Request, Response};

use edgetube_api::rate_limit;

use crate::{federation_routes as fed, headers};

/// What is decided from the request's head before its body is read: a CORS preflight is
/// answered, and `/api/` requests are counted against the client's API limit (`Ok` carries the
/// decision for the response's `X-RateLimit-*` headers).
pub async fn admit(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    head: &Request<Bytes>,
) -> Result<Option<RateDecision>, Response<Body>> {
    if head.method() == Method::OPTIONS {
        return Err(headers::preflight().map(Body::Full));
    }
    let path = head.uri().path();
    if !path.starts_with("/api/") || is_bulk_transfer(path) {
        return Ok(None);
    }
    rate_limit::check(ports, "api", config.api_rate_limit, head)
        .await
        .map_err(|refusal| refusal.map(Body::Full))
}

/// Routes one admitted request; every outcome is a response. `pending` holds the body when the
/// route streams it (`edgetube_api::streams_body`); `api_decision` is [`admit`]'s.
pub async fn route(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    request: &Request<Bytes>,
    pending: &PendingBody,
    api_decision: Option<RateDecision>,
) -> Response<Body> {
    let path = request.uri().path();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    // Web pages first: a browser's GET of a video's, account's or channel's URL is a page, and
    // every other client's the ActivityPub document below.
    let page = edgetube_web::route(&edgetube_api::Ctx { ports, config, request, pending }, &segments).await;
    // Media bodies are streams (`edgetube_api::media`); every other answer is whole.
    let result: Result<Response<Body>, Problem> = if let Some(page) = page {
        whole(page)
    } else {
        match (request.method(), segments.as_slice()) {
            (&Method::GET | &Method::HEAD, [".well-known", "webfinger"]) => {
                whole(fed::webfinger(ports, config, request).await)
            }
            (&Method::GET | &Method::HEAD, [".well-known", "nodeinfo"]) => {
                whole(fed::nodeinfo_discovery(config))
            }
            (&Method::GET | &Method::HEAD, ["nodeinfo", "2.0.json" | "2.0"]) => {
                whole(fed::nodeinfo(ports, config).await)
            }
            (&Method::GET | &Method::HEAD, [".well-known", "host-meta"]) => whole(fed::host_meta(config)),
            (&Method::POST, ["inbox"] | ["accounts" | "a" | "video-channels" | "c", _, "inbox"]) => {
                whole(fed::inbox(ports, config, request).await)
            }
            (&Method::GET | &Method::HEAD, [prefix @ ("accounts" | "a" | "video-channels" | "c"), name]) => {
                whole(fed::actor(ports, config, request, prefix, name).await)
            }
            (
                &Method::GET | &Method::HEAD,
                [prefix @ ("accounts" | "a" | "video-channels" | "c"), name, collection],
            ) => whole(fed::actor_collection(ports, config, request, prefix, name, collection).await),
            (&Method::GET | &Method::HEAD, ["videos", "watch", id] | ["w", id]) => {
                whole(fed::video(ports, config, request, id).await)
            }
            (&Method::GET | &Method::HEAD, ["videos", "watch", id, which] | ["w", id, which]) => {
                whole(fed::video_collection(ports, config, request, id, which).await)
            }
            (&Method::GET | &Method::HEAD, ["videos", "watch", id, "comments", comment]) => {
                whole(fed::video_comment(ports, config, id, comment).await)
            }
            (&Method::GET | &Method::HEAD, ["static", "streaming-playlists", "hls", rest @ ..]) => {
                let ctx = edgetube_api::Ctx { ports, config, request, pending };
                match rest {
                    ["private", uuid, file] | [uuid, file] => {
                        edgetube_api::media::serve(&ctx, uuid, file).await
                    }
                    _ => Err(Problem::not_found("File not found")),
                }
            }
            (
                &Method::GET | &Method::HEAD,
                ["static", "web-videos", "private", file] | ["static", "web-videos", file],
            ) => {
                edgetube_api::media::serve_web_video(
                    &edgetube_api::Ctx { ports, config, request, pending },
                    file,
                )
                .await
            }
            (&Method::GET | &Method::HEAD, ["lazy-static", directory, file]) => {
                edgetube_api::media::serve_image(
                    &edgetube_api::Ctx { ports, config, request, pending },
                    directory,
                    file,
                )
                .await
            }
            (&Method::GET | &Method::HEAD, ["feeds", _] | ["services", "oembed"]) => whole(
                edgetube_syndication::route(
                    &edgetube_api::Ctx { ports, config, request, pending },
                    &segments,
                )
                .await,
            ),
            (_, ["api", "v1", rest @ ..]) => {
                Ok(edgetube_api::route(&edgetube_api::Ctx { ports, config, request, pending }, rest)
                    .await
                    .map(Body::Full))
            }
            // PeerTube answers an unknown API route with a bare 400 and an empty JSON body.
            (_, ["api", ..]) => Ok(edgetube_api::unknown_route().map(Body::Full)),
            _ => Err(Problem::not_found(format!("No route for {} {path}", request.method()))),
        }
    };
    let mut response = result.unwrap_or_else(|problem| problem.into_response().map(Body::Full));
    if request.method() == Method::HEAD {
        *response.body_mut() = Body::default();
    }
    if let Some(decision) = api_decision {
        rate_limit::add_headers(&mut response, &decision);
    }
    response
}

fn whole(answer: Result<Response<Bytes>, Problem>) -> Result<Response<Body>, Problem> {
    answer.map(|response| response.map(Body::Full))
}

/// Upload chunks and runner calls are exempt from the per-address API limit: a 1 MB-chunked
/// upload alone sends hundreds of requests, and a runner polls every second. Both are
/// authenticated on every request (bearer, runner token) from the headers, before any byte of
/// their bodies is read, which bounds who can make the isolate hold one.
fn is_bulk_transfer(path: &str) -> bool {
    path.starts_with("/api/v1/videos/upload-resumable") || path.starts_with("/api/v1/runners/")
}
