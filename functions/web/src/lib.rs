//! The viewer's web pages: server-rendered HTML for the pages anyone may see (home, watch,
//! channel, account, search, embed), and small page shells whose scripts act for a logged-in
//! user through the REST API (login, sign-up, upload, my videos, edit).
//!
//! Pages read what they show through the REST API's own handlers ([`internal`]), so a page
//! shows exactly what an anonymous API client would get: the same visibility rules, blocks and
//! URLs. Who is logged in is known only to the browser (PeerTube's client keeps its OAuth tokens
//! in `localStorage` too), which keeps every server-rendered page the same for all viewers and so
//! cacheable. Scripts, styles and the player's libraries are static assets under `/assets/`
//! (Workers static assets; `web/public/`), never rendered here.

mod internal;
mod models;
mod pages;
mod render;

use bytes::Bytes;
use edgetube_api::Ctx;
use edgetube_problem::Problem;
use http::{header, Method, Response};

/// The answer of a page handler.
pub type Answer = Result<Response<Bytes>, Problem>;

/// Whether a request asks for a web page: browsers name `text/html` in `Accept`. The URLs of
/// videos, accounts and channels are also their ActivityPub ids, and every other client
/// (ActivityPub servers, `curl`'s `*/*`) keeps getting what it got before there were pages.
pub fn wants_html(accept: Option<&str>) -> bool {
    accept.is_some_and(|accept| accept.contains("text/html"))
}

/// Routes a GET or HEAD for a web page, or `None` when the request is not for one.
pub async fn route(ctx: &Ctx<'_>, segments: &[&str]) -> Option<Answer> {
    if !matches!(*ctx.request.method(), Method::GET | Method::HEAD) {
        return None;
    }
    let html = wants_html(ctx.request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()));
    let answer = match segments {
        [""] => pages::home::page(ctx).await,
        ["videos", "watch", id] | ["w", id] if html => pages::watch::page(ctx, id).await,
        ["videos", "embed", id] => pages::embed::page(ctx, id).await,
        ["video-channels" | "c", name] if html => pages::actor::channel(ctx, name).await,
        ["accounts" | "a", name] if html => pages::actor::account(ctx, name).await,
        ["search"] => pages::search::page(ctx).await,
        ["login"] => pages::shells::login(ctx),
        ["signup"] => pages::shells::signup(ctx).await,
        ["videos", "upload"] => pages::shells::upload(ctx),
        ["my-library", "videos"] => pages::shells::my_videos(ctx),
        ["videos", "update", id] => pages::shells::edit(ctx, id),
        _ => return None,
    };
    Some(answer.or_else(|problem| Ok(render::error_page(ctx, problem))))
}

/// A `200 text/html` answer. Pages are the same for every viewer (see the crate doc), but they
/// change with every upload, comment and rating, and a person who just uploaded expects to see
/// it: caches revalidate each time (`no-cache`), as PeerTube serves its pages.
pub(crate) fn html(body: String) -> Answer {
    Response::builder()
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::VARY, "Accept")
        .body(Bytes::from(body))
        .map_err(Problem::internal_from)
}
