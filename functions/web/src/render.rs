//! What every page shares: the layout's fields, video cards, the formats of numbers and dates,
//! and the HTML error page.

use askama::Template;
use edgetube_api::Ctx;
use edgetube_problem::Problem;
use http::{header, HeaderValue, Response};

use crate::models::{ActorRef, VideoCard};
use crate::Answer;

/// The fields of `base.html`.
pub struct Layout {
    pub instance: String,
    pub title: String,
    /// The search box's text.
    pub search: String,
}

impl Layout {
    pub fn new(ctx: &Ctx<'_>, title: impl Into<String>) -> Self {
        Self { instance: ctx.config.name.clone(), title: title.into(), search: String::new() }
    }
}

/// A video in a grid.
pub struct Card {
    pub href: String,
    pub thumbnail: Option<String>,
    pub name: String,
    pub duration: String,
    pub channel: String,
    pub channel_href: String,
    pub views: String,
    pub published: String,
}

impl Card {
    pub fn from(video: &VideoCard) -> Self {
        Self {
            href: watch_href(&video.short_uuid, &video.uuid),
            thumbnail: video.thumbnail_path.clone(),
            name: video.name.clone(),
            duration: duration(video.duration),
            channel: display_name(&video.channel),
            channel_href: channel_href(&video.channel),
            views: views(video.views),
            published: video.published_at.as_deref().map(date).unwrap_or_default(),
        }
    }
}

/// This instance's watch page of a video: `/w/<shortUUID>`, PeerTube's short form.
pub fn watch_href(short_uuid: &str, uuid: &str) -> String {
    format!("/w/{}", if short_uuid.is_empty() { uuid } else { short_uuid })
}

/// This instance's page of a channel: `/c/<name>` for ours, `/c/<name>@<host>` for others'.
pub fn channel_href(channel: &ActorRef) -> String {
    format!("/c/{}", channel.handle())
}

/// This instance's page of an account.
pub fn account_href(account: &ActorRef) -> String {
    format!("/a/{}", account.handle())
}

pub fn display_name(actor: &ActorRef) -> String {
    if actor.display_name.is_empty() {
        actor.name.clone()
    } else {
        actor.display_name.clone()
    }
}

/// `h:mm:ss` or `m:ss`, as players show durations.
pub fn duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

pub fn views(n: i64) -> String {
    if n == 1 {
        "1 view".to_owned()
    } else {
        format!("{n} views")
    }
}

/// The date part of an ISO 8601 timestamp (`2026-12-05T…` → `2026-12-05`).
pub fn date(iso: &str) -> String {
    iso.get(..10).unwrap_or(iso).to_owned()
}

/// A description as paragraphs of plain text (PeerTube's are Markdown; shown as written).
pub fn paragraphs(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The first 200 characters of a description, for `<meta name="description">` and OpenGraph.
pub fn summary(text: Option<&str>) -> String {
    let text = text.unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// A page's HTML, or a 500 when a template fails.
pub fn page(template: &impl Template) -> Answer {
    crate::html(template.render().map_err(Problem::internal_from)?)
}

#[derive(Template)]
#[template(path = "message.html")]
struct Message {
    layout: Layout,
    heading: String,
    text: String,
}

/// A refusal or failure of a page as an HTML page with the problem's status (and, for a 500,
/// the cause the shell logs), instead of the API's JSON.
pub fn error_page(ctx: &Ctx<'_>, problem: Problem) -> Response<bytes::Bytes> {
    let mut response = problem.into_response();
    let status = response.status();
    let heading = match status.as_u16() {
        404 => "Not found".to_owned(),
        401 | 403 => "Not allowed".to_owned(),
        429 => "Too many requests".to_owned(),
        500..=599 => "Something went wrong".to_owned(),
        _ => status.canonical_reason().unwrap_or("Error").to_owned(),
    };
    let text = serde_json::from_slice::<serde_json::Value>(response.body())
        .ok()
        .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_owned))
        .unwrap_or_else(|| heading.clone());
    let message = Message { layout: Layout::new(ctx, heading.clone()), heading, text };
    if let Ok(body) = message.render() {
        *response.body_mut() = body.into();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_players_show_them() {
        assert_eq!(duration(5), "0:05");
        assert_eq!(duration(65), "1:05");
        assert_eq!(duration(3725), "1:02:05");
        assert_eq!(duration(-3), "0:00");
    }

    #[test]
    fn summaries_are_cut_on_a_character_boundary() {
        let long = "é".repeat(300);
        let cut = summary(Some(&long));
        assert_eq!(cut.chars().count(), 201);
        assert!(cut.ends_with('…'));
        assert_eq!(summary(Some("a\n\nb  c")), "a b c");
    }

    #[test]
    fn paragraphs_split_on_blank_lines() {
        assert_eq!(paragraphs(Some("one\ntwo\n\n\nthree")), vec!["one\ntwo", "three"]);
        assert!(paragraphs(None).is_empty());
    }
}
