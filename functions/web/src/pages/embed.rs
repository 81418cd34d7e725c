//! `/videos/embed/<id>`: the player alone, for iframes on other sites (PeerTube's `start`,
//! `autoplay`, `muted`, `loop` and `p2p` parameters). Framing is allowed from anywhere.

use askama::Template;
use edgetube_api::Ctx;
use edgetube_problem::Problem;
use http::{header, HeaderValue};

use crate::internal::{self, Read};
use crate::models::VideoDetails;
use crate::pages::watch::{player, PlayerView};
use crate::render;
use crate::Answer;

#[derive(Template)]
#[template(path = "embed.html")]
struct Embed {
    title: String,
    player: PlayerView,
}

pub async fn page(ctx: &Ctx<'_>, id: &str) -> Answer {
    let (title, player) = match internal::get::<VideoDetails>(ctx, &format!("videos/{id}")).await? {
        Read::Found(video) => (video.name.clone(), player(ctx, Some(&video), &video.uuid, true).await?),
        Read::Missing => return Err(Problem::not_found("Video not found")),
        Read::Refused => ("Private video".to_owned(), player(ctx, None, id, true).await?),
    };
    let mut response = render::page(&Embed { title, player })?;
    // An embed is made to be framed by other origins: no X-Frame-Options, and CSP's
    // frame-ancestors open to all (PeerTube's embeds allow any parent too).
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors *"));
    Ok(response)
}
