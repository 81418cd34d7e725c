//! The ActivityPub and discovery routes: WebFinger, NodeInfo, host-meta, actors and their
//! collections, our videos' Video objects.

use bytes::Bytes;
use edgetube_domain::actors::{self, ActorKind, LocalActor};
use edgetube_domain::{comments, users, videos, InstanceConfig};
use edgetube_federation::{
    actor, collection, host_meta, negotiation, nodeinfo, signing, video_collections,
    video_document as our_video, webfinger, ACTIVITY_JSON,
};
use edgetube_ports::encoding::html_escape;
use edgetube_ports::Ports;
use edgetube_problem::{respond, Problem};
use http::{header, Request, Response};
use video_collections::VideoCollection;

type Answer = Result<Response<Bytes>, Problem>;

fn query_param(request: &Request<Bytes>, name: &str) -> Option<String> {
    let query = request.uri().query()?;
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

fn cached(mut response: Response<Bytes>, seconds: u32) -> Response<Bytes> {
    if let Ok(value) = header::HeaderValue::from_str(&format!("max-age={seconds}")) {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

/// `GET /.well-known/webfinger?resource=...`
pub async fn webfinger(ports: &Ports<'_>, config: &InstanceConfig, request: &Request<Bytes>) -> Answer {
    let resource =
        query_param(request, "resource").ok_or_else(|| Problem::bad_request("resource is required"))?;
    let username = webfinger::requested_username(&config.origin, &resource).map_err(|e| match e {
        webfinger::ResourceError::NotLocal(_) => Problem::not_found(e.to_string()),
        _ => Problem::bad_request(e.to_string()),
    })?;
    let actor = actors::find_local(ports.sql, &username)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| Problem::not_found(format!("No actor named {username}")))?;
    respond::json_as(&webfinger::jrd(&config.origin, &actor.username, &actor.path()), webfinger::CONTENT_TYPE)
}

/// `GET /.well-known/nodeinfo`
pub fn nodeinfo_discovery(config: &InstanceConfig) -> Answer {
    respond::json(&nodeinfo::discovery(&config.origin)).map(|r| cached(r, 600))
}

/// `GET /nodeinfo/2.0.json`
pub async fn nodeinfo(ports: &Ports<'_>, config: &InstanceConfig) -> Answer {
    let users_total = users::count(ports.sql).await.map_err(Problem::internal_from)?;
    let now = ports.clock.now_millis();
    const DAY_MS: i64 = 24 * 3600 * 1000;
    let usage = nodeinfo::Usage {
        users_total,
        users_active_month: users::count_active_since(ports.sql, now - 30 * DAY_MS)
            .await
            .map_err(Problem::internal_from)?,
        users_active_halfyear: users::count_active_since(ports.sql, now - 180 * DAY_MS)
            .await
            .map_err(Problem::internal_from)?,
        local_posts: videos::count_local(ports.sql).await.map_err(Problem::internal_from)?,
        local_comments: comments::count_local(ports.sql).await.map_err(Problem::internal_from)?,
    };
    respond::json_as(&nodeinfo::document(config, usage), nodeinfo::CONTENT_TYPE_2_0).map(|r| cached(r, 600))
}

/// `GET /.well-known/host-meta`
pub fn host_meta(config: &InstanceConfig) -> Answer {
    respond::text(host_meta::document(&config.origin), host_meta::CONTENT_TYPE)
}

/// The local actor at `/<prefix>/<name>`, if its kind matches the prefix.
async fn find_actor(ports: &Ports<'_>, prefix: &str, name: &str) -> Result<LocalActor, Problem> {
    let actor = actors::find_local(ports.sql, name).await.map_err(Problem::internal_from)?;
    let matches_prefix = |a: &LocalActor| match prefix {
        "video-channels" | "c" => a.kind == ActorKind::Group,
        _ => a.kind != ActorKind::Group,
    };
    actor.filter(matches_prefix).ok_or_else(|| match prefix {
        "video-channels" | "c" => Problem::not_found("Video channel not found"),
        _ => Problem::not_found("Account not found"),
    })
}

/// `GET /accounts/<name>`, `/video-channels/<name>` (and the `/a/`, `/c/` aliases).
pub async fn actor(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    request: &Request<Bytes>,
    prefix: &str,
    name: &str,
) -> Answer {
    let actor = find_actor(ports, prefix, name).await?;
    let accept = request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let mut response = if negotiation::wants_activity_json(accept) {
        // The Ed25519 key of our proofs is made on first use: serving the document is one.
        let (_, ed25519) =
            signing::ed25519_key(ports, config, actor.id).await.map_err(Problem::internal_from)?;
        respond::json_as(&actor::document_with_ed25519(&config.origin, &actor, &ed25519), ACTIVITY_JSON)?
    } else {
        respond::text(actor::html_page(&config.origin, &actor), "text/html; charset=utf-8")?
    };
    response.headers_mut().insert(header::VARY, header::HeaderValue::from_static("Accept"));
    Ok(response)
}

/// `GET /videos/watch/<id>` and `/w/<id>` (UUID, short UUID or row id): the Video object of one
/// of our videos that federates, for ActivityPub clients; a one-line page for the others (there
/// is no web front end). Videos that other servers are not told about (private, internal,
/// Our video `id` (UUID, short UUID or row id) when it federates: what other servers may read.
async fn federated_video(ports: &Ports<'_>, id: &str, not_found: Problem) -> Result<videos::Video, Problem> {
    let Some(reference) = videos::VideoRef::parse(id) else { return Err(not_found) };
    match videos::find(ports.sql, &reference).await.map_err(Problem::internal_from)? {
        Some(video) if our_video::federates(&video) => Ok(video),
        _ => Err(not_found),
    }
}

/// password protected, unlisted, not published) and our copies of remote videos are not found.
pub async fn video(ports: &Ports<'_>, config: &InstanceConfig, request: &Request<Bytes>, id: &str) -> Answer {
    let video = federated_video(ports, id, Problem::not_found("Video not found")).await?;
    let accept = request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let mut response = if negotiation::wants_activity_json(accept) {
        let document = our_video::document(ports, config, &video).await.map_err(Problem::internal_from)?;
        respond::json_as(&document, ACTIVITY_JSON)?
    } else {
        let name = html_escape(&video.name);
        let api = format!("/api/v1/videos/{}", video.uuid);
        respond::text(
            format!(
                "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{name}</title></head>\
                 <body><h1>{name}</h1><p><a href=\"{api}\">{api}</a></p></body></html>\n"
            ),
            "text/html; charset=utf-8",
        )?
    };
    response.headers_mut().insert(header::VARY, header::HeaderValue::from_static("Accept"));
    Ok(response)
}

/// `GET /videos/watch/<id>/{likes,dislikes,announces,comments}[?page=N]` of a video of ours that
/// federates, in PeerTube's paging shape.
pub async fn video_collection(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    request: &Request<Bytes>,
    id: &str,
    which: &str,
) -> Answer {
    let which =
        VideoCollection::parse(which).ok_or_else(|| Problem::not_found(format!("No collection {which}")))?;
    let video = federated_video(ports, id, Problem::not_found("Video not found")).await?;
    let id = format!("{}/{}", videos::urls::watch_url(&config.origin, &video.uuid), which.segment());
    let page = collection::requested_page(request.uri().query());
    let (total, items) =
        video_collections::items(ports, config, &video, which, page).await.map_err(Problem::internal_from)?;
    match page {
        None => respond::json_as(&collection::collection(&id, total), ACTIVITY_JSON),
        Some(page) => respond::json_as(&collection::page(&id, page, items, total), ACTIVITY_JSON),
    }
}

/// `GET /videos/watch/<id>/comments/<n>`: the Note of one of our comments on a video of ours
/// that federates (a Tombstone once deleted), so the ids we send and list can be read back.
pub async fn video_comment(ports: &Ports<'_>, config: &InstanceConfig, id: &str, comment: &str) -> Answer {
    let not_found = || Problem::not_found("Comment not found");
    let video = federated_video(ports, id, not_found()).await?;
    let comment_id: i64 = comment.parse().map_err(|_| not_found())?;
    let comment = comments::find(ports.sql, video.id, comment_id)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(not_found)?;
    let document = edgetube_federation::interactions::comment_document(ports, config, &video, &comment)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(not_found)?;
    respond::json_as(&document, ACTIVITY_JSON)
}

/// `GET /<actor>/{followers,following,outbox,playlists}[?page=N]`, in PeerTube's paging shape:
/// accepted follows' actor ids, the activities the actor sent, and (no playlists yet) nothing.
pub async fn actor_collection(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    request: &Request<Bytes>,
    prefix: &str,
    name: &str,
    which: &str,
) -> Answer {
    if !matches!(which, "followers" | "following" | "outbox" | "playlists") {
        return Err(Problem::not_found(format!("No collection {which}")));
    }
    let actor = find_actor(ports, prefix, name).await?;
    let id = config.origin.join(&format!("{}/{which}", actor.path()));
    let page = collection::requested_page(request.uri().query());
    let (total, items) = edgetube_federation::collections::items(ports, config, &actor, which, page)
        .await
        .map_err(Problem::internal_from)?;
    match page {
        None => respond::json_as(&collection::collection(&id, total), ACTIVITY_JSON),
        Some(page) => respond::json_as(&collection::page(&id, page, items, total), ACTIVITY_JSON),
    }
}

/// `POST /inbox`, `/accounts/<name>/inbox`, `/video-channels/<name>/inbox` (and the `/a/`, `/c/`
/// aliases): verified, stored and queued, then answered 204 as PeerTube answers; refusals are
/// problem documents (403 for anything about the signature, as PeerTube words them).
pub async fn inbox(ports: &Ports<'_>, config: &InstanceConfig, request: &Request<Bytes>) -> Answer {
    // The URL the sender signed is the public one, whatever the platform saw behind a proxy.
    let path_and_query = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let url = url::Url::parse(&config.origin.join(path_and_query))
        .map_err(|_| Problem::bad_request("the request URL is not valid"))?;
    match edgetube_federation::inbox::receive(
        ports,
        config,
        request.method(),
        &url,
        request.headers(),
        request.body(),
    )
    .await
    {
        Ok(_) => Ok(Response::builder()
            .status(http::StatusCode::NO_CONTENT)
            .body(Bytes::new())
            .map_err(Problem::internal_from)?),
        Err(refusal) => Err(Problem::new(refusal.status, refusal.detail)),
    }
}
