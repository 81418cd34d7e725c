//! The `/api/v1` route table. One arm per operation; each area's handlers live in its module.

use bytes::Bytes;
use http::{Method, Response, StatusCode};

use crate::blocklist::Owner;
use crate::context::Ctx;
use crate::{
    abuses, accounts, auth, blocklist, channels, comments, config, direct_uploads, federation_admin, media,
    rate_limit, ratings, registrations, respond, runners, scoped_tokens, server_follows, subscriptions,
    uploads, users, videos, views, Problem,
};

/// Whether the handler of `method path` reads the body as a stream: the legacy upload (up to the
/// platform's whole body limit) and the two chunked uploads (creators' and runners'), whose
/// handlers authenticate the caller from the headers before they read a byte. Every other body
/// is read whole before routing, up to [`whole_body_limit`].
pub fn streams_body(method: &Method, path: &str) -> bool {
    (method == Method::POST && path.trim_end_matches('/') == "/api/v1/videos/upload")
        || is_chunked_upload(method, path)
}

fn is_chunked_upload(method: &Method, path: &str) -> bool {
    method == Method::PUT
        && (path.starts_with("/api/v1/videos/upload-resumable")
            || (path.starts_with("/api/v1/runners/jobs/") && path.contains("/files/upload/")))
}

/// The most bytes the handler of `method path` accepts in a body read whole: a little over
/// PeerTube's 500 kB JSON limit, so that no request, authenticated or not, makes an isolate hold
/// a large body before its handler knows the caller. A chunk that a platform hands over already
/// read (native hosts, tests) may be as large as a resumable chunk.
pub fn whole_body_limit(method: &Method, path: &str) -> u64 {
    if is_chunked_upload(method, path) {
        edgetube_media::uploads::MAX_CHUNK
    } else {
        1024 * 1024
    }
}

/// Answers an `/api/...` request; `segments` is the path split on `/` after `api/v1`.
pub async fn route(ctx: &Ctx<'_>, segments: &[&str]) -> Response<Bytes> {
    let method = ctx.request.method().clone();
    let get = method == Method::GET || method == Method::HEAD;
    let post = method == Method::POST;
    let put = method == Method::PUT;
    let delete = method == Method::DELETE;
    let result = match segments {
        ["config"] if get => respond::json(&config::server_config(ctx.config)),
        ["config", "about"] if get => respond::json(&config::about(ctx.config)),

        ["oauth-clients", "local"] if get => auth::local_client(ctx).await,
        ["users", "token"] if post => {
            if let Err(refusal) =
                rate_limit::check(ctx.ports, "login", ctx.config.login_rate_limit, ctx.request).await
            {
                return refusal;
            }
            auth::token(ctx).await
        }
        ["users", "revoke-token"] if post => auth::revoke(ctx).await,

        ["users", "me"] if get => users::me(ctx).await,
        ["users", "me"] if put => users::update_me(ctx).await,
        ["users", "scoped-tokens"] if get => scoped_tokens::get(ctx).await,
        ["users", "scoped-tokens"] if post => scoped_tokens::renew(ctx).await,
        ["users", "me", "video-quota-used"] if get => users::quota_used(ctx).await,
        ["users", "me", "videos"] if get => videos::my_videos(ctx).await,
        ["users", "me", "subscriptions", "videos"] if get => videos::subscription_videos(ctx).await,
        ["admin", "federation", "dead-letters"] if get => federation_admin::list(ctx).await,
        ["admin", "federation", "dead-letters", kind, id, "replay"] if post => {
            federation_admin::replay(ctx, kind, id).await
        }
        ["abuses"] if get => abuses::list(ctx).await,
        ["abuses", id] if put => abuses::update(ctx, id).await,
        ["server", "blocklist", "servers"] if get => blocklist::servers(ctx, Owner::Instance).await,
        ["users", "me", "blocklist", "servers"] if get => blocklist::servers(ctx, Owner::Me).await,
        ["server", "blocklist", "servers"] if post => blocklist::block_server(ctx, Owner::Instance).await,
        ["users", "me", "blocklist", "servers"] if post => blocklist::block_server(ctx, Owner::Me).await,
        ["server", "blocklist", "servers", host] if delete => {
            blocklist::unblock_server(ctx, Owner::Instance, host).await
        }
        ["users", "me", "blocklist", "servers", host] if delete => {
            blocklist::unblock_server(ctx, Owner::Me, host).await
        }
        ["server", "blocklist", "accounts"] if get => blocklist::accounts_list(ctx, Owner::Instance).await,
        ["users", "me", "blocklist", "accounts"] if get => blocklist::accounts_list(ctx, Owner::Me).await,
        ["server", "blocklist", "accounts"] if post => blocklist::block_account(ctx, Owner::Instance).await,
        ["users", "me", "blocklist", "accounts"] if post => blocklist::block_account(ctx, Owner::Me).await,
        ["users", "me", "blocklist", "accounts", handle] if delete => {
            blocklist::unblock_account(ctx, Owner::Me, handle).await
        }
        ["server", "blocklist", "accounts", handle] if delete => {
            blocklist::unblock_account(ctx, Owner::Instance, handle).await
        }
        ["server", "following"] if get => server_follows::following(ctx).await,
        ["server", "following"] if post => server_follows::follow(ctx).await,
        ["server", "following", target] if delete => server_follows::unfollow(ctx, target).await,
        ["server", "followers"] if get => server_follows::followers(ctx).await,
        ["server", "followers", handle, "accept"] if post => server_follows::accept(ctx, handle).await,
        ["server", "followers", handle, "reject"] if post => server_follows::reject(ctx, handle).await,
        ["server", "followers", handle] if delete => server_follows::reject(ctx, handle).await,
        ["users", "me", "subscriptions"] if get => subscriptions::list(ctx).await,
        ["users", "me", "subscriptions"] if post => subscriptions::subscribe(ctx).await,
        ["users", "me", "subscriptions", "exist"] if get => subscriptions::exist(ctx).await,
        ["users", "me", "subscriptions", handle] if get && *handle != "videos" => {
            subscriptions::get(ctx, handle).await
        }
        ["users", "me", "subscriptions", handle] if delete => subscriptions::unsubscribe(ctx, handle).await,
        ["users", "register"] if post => users::register(ctx).await,
        ["users", "registrations", "request"] if post => registrations::request(ctx).await,
        ["users", "registrations"] if get => registrations::list(ctx).await,
        ["users", "registrations", id, "accept"] if post => registrations::accept(ctx, id).await,
        ["users", "registrations", id, "reject"] if post => registrations::reject(ctx, id).await,
        ["users", "registrations", id] if delete => registrations::delete(ctx, id).await,
        ["users"] if get => users::list(ctx).await,
        ["users"] if post => users::create(ctx).await,
        ["users", id] if get => users::get(ctx, id).await,
        ["users", id] if put => users::update(ctx, id).await,
        ["users", id] if delete => users::delete(ctx, id).await,

        ["accounts", name] if get => accounts::get(ctx, name).await,
        ["accounts", name, "video-channels"] if get => accounts::video_channels(ctx, name).await,
        ["accounts", name, "videos"] if get => accounts::videos(ctx, name).await,

        ["video-channels"] if get => channels::list(ctx).await,
        ["video-channels"] if post => channels::create(ctx).await,
        ["video-channels", handle] if get => channels::get(ctx, handle).await,
        ["video-channels", handle] if put => channels::update(ctx, handle).await,
        ["video-channels", handle] if delete => channels::delete(ctx, handle).await,
        ["video-channels", handle, "videos"] if get => channels::videos(ctx, handle).await,
        ["search", "video-channels"] if get => channels::search(ctx).await,

        ["videos", "categories"] if get => videos::categories(),
        ["videos", "licences"] if get => videos::licences(),
        ["videos", "languages"] if get => videos::languages(),
        ["videos", "privacies"] if get => videos::privacies(),
        ["videos", "upload-resumable"] if post => uploads::init_resumable(ctx).await,
        ["videos", "upload-resumable"] if put => uploads::put_chunk(ctx).await,
        ["videos", "upload-resumable"] if delete => uploads::cancel(ctx).await,
        ["videos", "upload"] if post => uploads::legacy(ctx).await,
        ["videos", "upload-direct"] if post => direct_uploads::init(ctx).await,
        ["videos", "upload-direct", id, "parts"] if post => direct_uploads::refresh(ctx, id).await,
        ["videos", "upload-direct", id, "complete"] if post => direct_uploads::complete(ctx, id).await,
        ["videos", "upload-direct", id] if delete => direct_uploads::abort(ctx, id).await,
        ["videos", id, "storyboards"] if get => media::storyboards(ctx, id).await,
        ["videos"] if get => videos::list(ctx).await,
        ["videos", id] if get => videos::get(ctx, id).await,
        ["videos", id] if put => videos::update(ctx, id).await,
        ["videos", id] if delete => videos::delete(ctx, id).await,
        ["search", "videos"] if get => videos::search(ctx).await,

        ["videos", id, "comment-threads"] if get => comments::threads(ctx, id).await,
        ["videos", id, "comment-threads"] if post => comments::create_thread(ctx, id).await,
        ["videos", id, "comment-threads", thread] if get => comments::thread(ctx, id, thread).await,
        ["videos", id, "comments", comment] if post => comments::reply(ctx, id, comment).await,
        ["videos", id, "comments", comment] if delete => comments::delete(ctx, id, comment).await,
        ["videos", id, "rate"] if put => ratings::rate(ctx, id).await,
        ["users", "me", "videos", id, "rating"] if get => ratings::my_rating(ctx, id).await,
        ["videos", id, "views"] if post => views::add(ctx, id).await,
        ["videos", id, "token"] if post => media::issue_token(ctx, id).await,

        ["runners", "register"] if post => runners::register(ctx).await,
        ["runners", "unregister"] if post => runners::unregister(ctx).await,
        ["runners", "registration-tokens"] if get => runners::registration_tokens(ctx).await,
        ["runners", "registration-tokens", "generate"] if post => {
            runners::generate_registration_token(ctx).await
        }
        ["runners", "registration-tokens", id] if delete => runners::delete_registration_token(ctx, id).await,
        ["runners"] if get => runners::list(ctx).await,
        ["runners", id] if delete => runners::remove(ctx, id).await,
        ["runners", "jobs"] if get => runners::jobs(ctx).await,
        ["runners", "jobs", "request"] if post => runners::request(ctx).await,
        ["runners", "jobs", "wait"] if get => runners::wait(ctx).await,
        ["runners", "jobs", job, "accept"] if post => runners::accept(ctx, job).await,
        ["runners", "jobs", job, "update"] if post => runners::update(ctx, job).await,
        ["runners", "jobs", job, "success"] if post => runners::success(ctx, job).await,
        ["runners", "jobs", job, "error"] if post => runners::error(ctx, job).await,
        ["runners", "jobs", job, "abort"] if post => runners::abort(ctx, job).await,
        ["runners", "jobs", job, "files", "videos", _, "max-quality"] if post => {
            runners::download(ctx, job).await
        }
        ["runners", "jobs", job, "files", "upload-url"] if post => runners::upload_url(ctx, job).await,
        ["runners", "jobs", job, "files", "upload", kind, name] if put => {
            runners::upload(ctx, job, kind, name).await
        }

        _ => return unknown_route(),
    };
    result.unwrap_or_else(Problem::into_response)
}

/// PeerTube answers an unknown API route with a bare 400 and an empty JSON body.
pub fn unknown_route() -> Response<Bytes> {
    Response::builder()
        .status(StatusCode::BAD_REQUEST)
        .header(http::header::CONTENT_TYPE, respond::JSON)
        .body(Bytes::new())
        .unwrap_or_default()
}
