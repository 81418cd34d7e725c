//! `/c/<handle>` and `/a/<handle>` (also `/video-channels/…` and `/accounts/…` for a browser):
//! a channel or an account, local or remote, with its videos.

use askama::Template;
use edgetube_api::Ctx;
use edgetube_problem::Problem;

use crate::internal::{self, Read};
use crate::models::{ActorDetails, Page, VideoCard};
use crate::render::{self, Card, Layout};
use crate::Answer;

#[derive(Template)]
#[template(path = "actor.html")]
struct ActorPage {
    layout: Layout,
    is_channel: bool,
    display_name: String,
    handle: String,
    followers: String,
    description: Vec<String>,
    owner: Option<(String, String)>,
    channels: Vec<(String, String)>,
    actor_url: String,
    page_url: String,
    feed: String,
    cards: Vec<Card>,
    empty: &'static str,
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn followers(n: i64) -> String {
    if n == 1 {
        "1 subscriber".to_owned()
    } else {
        format!("{n} subscribers")
    }
}

fn label(actor: &ActorDetails) -> String {
    if actor.display_name.is_empty() {
        actor.name.clone()
    } else {
        actor.display_name.clone()
    }
}

pub async fn channel(ctx: &Ctx<'_>, handle: &str) -> Answer {
    let details: ActorDetails =
        match internal::get(ctx, &format!("video-channels/{}", encode(handle))).await? {
            Read::Found(details) => details,
            _ => return Err(Problem::not_found("Video channel not found")),
        };
    let videos: Page<VideoCard> =
        internal::list(ctx, &format!("video-channels/{}/videos?count=48&sort=-publishedAt", encode(handle)))
            .await?;
    let handle = format!("{}@{}", details.name, details.host);
    let owner = details.owner_account.as_ref().map(|o| (render::account_href(o), render::display_name(o)));
    render::page(&ActorPage {
        layout: Layout::new(ctx, label(&details)),
        is_channel: true,
        display_name: label(&details),
        followers: followers(details.followers_count),
        description: render::paragraphs(details.description.as_deref()),
        owner,
        channels: Vec::new(),
        actor_url: details.url.clone(),
        page_url: format!("{}/c/{}", ctx.config.origin.as_str(), handle),
        feed: format!("/feeds/videos.xml?videoChannelName={}", encode(&handle)),
        handle,
        cards: videos.data.iter().map(Card::from).collect(),
        empty: "This channel has no videos yet.",
    })
}

pub async fn account(ctx: &Ctx<'_>, name: &str) -> Answer {
    let details: ActorDetails = match internal::get(ctx, &format!("accounts/{}", encode(name))).await? {
        Read::Found(details) => details,
        _ => return Err(Problem::not_found("Account not found")),
    };
    let videos: Page<VideoCard> =
        internal::list(ctx, &format!("accounts/{}/videos?count=48&sort=-publishedAt", encode(name))).await?;
    let channels: Page<ActorDetails> =
        internal::list(ctx, &format!("accounts/{}/video-channels", encode(name))).await?;
    let handle = format!("{}@{}", details.name, details.host);
    render::page(&ActorPage {
        layout: Layout::new(ctx, label(&details)),
        is_channel: false,
        display_name: label(&details),
        followers: followers(details.followers_count),
        description: render::paragraphs(details.description.as_deref()),
        owner: None,
        channels: channels.data.iter().map(|c| (format!("/c/{}@{}", c.name, c.host), label(c))).collect(),
        actor_url: details.url.clone(),
        page_url: format!("{}/a/{}", ctx.config.origin.as_str(), handle),
        feed: format!("/feeds/videos.xml?accountName={}", encode(&handle)),
        handle,
        cards: videos.data.iter().map(Card::from).collect(),
        empty: "No videos yet.",
    })
}
