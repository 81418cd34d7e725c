//! `/`: the instance's recent local videos; a logged-in viewer's subscriptions are added by
//! `home.js` through the API.

use askama::Template;
use edgetube_api::Ctx;

use crate::internal;
use crate::models::{Page, ServerConfig, VideoCard};
use crate::render::{self, Card, Layout};
use crate::Answer;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    layout: Layout,
    description: String,
    cards: Vec<Card>,
    empty: &'static str,
}

pub async fn page(ctx: &Ctx<'_>) -> Answer {
    let videos: Page<VideoCard> =
        internal::list(ctx, "videos?isLocal=true&sort=-publishedAt&count=24").await?;
    let config: ServerConfig = internal::list(ctx, "config").await?;
    render::page(&Home {
        layout: Layout::new(ctx, ""),
        description: config.instance.short_description,
        cards: videos.data.iter().map(Card::from).collect(),
        empty: "No videos yet. Log in and upload the first one.",
    })
}
