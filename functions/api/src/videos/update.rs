//! `PUT /api/v1/videos/{id}` and `DELETE /api/v1/videos/{id}`: the owner or a moderator.

use std::collections::HashSet;

use edgetube_domain::videos::constants::{self, CATEGORIES, COMMENTS_POLICIES, LICENCES, PRIVACIES};
use edgetube_domain::videos::{self, privacy, Video, VideoUpdate};
use edgetube_domain::{actors, parse_iso8601_millis};
use edgetube_media::renditions;
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::{federate, find, owns_or_moderates, Answer};
use crate::context::{Caller, Ctx};
use crate::validate::Checks;
use crate::{respond, Problem};

/// PeerTube's field limits (`CONSTRAINTS_FIELDS.VIDEOS`).
const NAME: (usize, usize) = (3, 120);
const DESCRIPTION: (usize, usize) = (3, 10_000);
const SUPPORT: (usize, usize) = (3, 1_000);
const TAG: (usize, usize) = (2, 30);
const MAX_TAGS: usize = 5;
/// `CONSTRAINTS_FIELDS.VIDEO_PASSWORD.LENGTH`.
const PASSWORD: (usize, usize) = (2, 100);
/// PeerTube bounds the list only by its 500 kB body limit, i.e. up to ~100,000 passwords, each
/// one a statement of the update's D1 batch. 100 is far more than any sharing needs and keeps
/// the batch small.
pub(crate) const MAX_PASSWORDS: usize = 100;

fn length_ok(text: &str, (min, max): (usize, usize)) -> bool {
    (min..=max).contains(&text.chars().count())
}

/// A present field: `Some(None)` for JSON `null`.
fn nullable_text(
    body: &Map<String, Value>,
    checks: &mut Checks,
    field: &str,
    limits: (usize, usize),
    msg: &str,
) -> Option<Option<String>> {
    match body.get(field)? {
        Value::Null => Some(None),
        Value::String(s) if length_ok(s, limits) => Some(Some(s.clone())),
        other => {
            checks.invalid(field, other.clone(), msg);
            None
        }
    }
}

fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn boolean(body: &Map<String, Value>, checks: &mut Checks, field: &str) -> Option<bool> {
    match body.get(field)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" || s == "false" => Some(s == "true"),
        other => {
            checks.invalid(field, other.clone(), &format!("Should have a valid {field} boolean"));
            None
        }
    }
}

fn enum_id(
    body: &Map<String, Value>,
    checks: &mut Checks,
    field: &str,
    table: &[(i64, &str)],
    msg: &str,
) -> Option<Option<i64>> {
    match body.get(field)? {
        Value::Null => Some(None),
        value => match integer(value).filter(|id| constants::is_valid(table, *id)) {
            Some(id) => Some(Some(id)),
            None => {
                checks.invalid(field, value.clone(), msg);
                None
            }
        },
    }
}

/// A JSON array of at most `max_items` strings of `limits` characters, or `None` (refused).
///
/// The item count is checked before any item is looked at or copied: a 500 kB body holds
/// 100,000 short strings.
fn bounded_strings(value: &Value, max_items: usize, limits: (usize, usize)) -> Option<Vec<String>> {
    let items = value.as_array().filter(|items| items.len() <= max_items)?;
    items.iter().map(|item| item.as_str().filter(|s| length_ok(s, limits)).map(str::to_owned)).collect()
}

/// PeerTube's tags: at most [`MAX_TAGS`] of [`TAG`] characters. Duplicates add nothing; the
/// first of each is kept, case-insensitively.
fn tags(body: &Map<String, Value>, checks: &mut Checks) -> Option<Vec<String>> {
    let value = body.get("tags")?;
    match bounded_strings(value, MAX_TAGS, TAG) {
        Some(mut tags) => {
            let mut seen = HashSet::with_capacity(tags.len());
            tags.retain(|tag| seen.insert(tag.to_lowercase()));
            Some(tags)
        }
        None => {
            checks.invalid("tags", value.clone(), "Should have correct tags");
            None
        }
    }
}

/// PeerTube's password list: distinct strings of [`PASSWORD`] characters, a duplicate refused
/// (exactly: passwords are case-sensitive, so `Abc` and `abc` are two), and at most
/// [`MAX_PASSWORDS`] of them.
fn passwords(body: &Map<String, Value>, checks: &mut Checks) -> Option<Vec<String>> {
    let value = body.get("videoPasswords")?;
    let Some(passwords) = bounded_strings(value, MAX_PASSWORDS, PASSWORD) else {
        // The refused value is not echoed back: it is a list of secrets, possibly huge.
        checks.invalid(
            "videoPasswords",
            Value::Null,
            &format!(
                "Should have at most {MAX_PASSWORDS} video passwords of {} to {} characters",
                PASSWORD.0, PASSWORD.1
            ),
        );
        return None;
    };
    let mut seen = HashSet::with_capacity(passwords.len());
    if !passwords.iter().all(|password| seen.insert(password.as_str())) {
        checks.invalid("videoPasswords", Value::Null, "Duplicate video passwords are not allowed.");
        return None;
    }
    Some(passwords)
}

/// Reads and validates the body of `PUT /videos/{id}`, collecting every refusal.
pub(crate) fn read_update(body: &Map<String, Value>) -> Result<VideoUpdate, Problem> {
    let mut checks = Checks::default();
    let mut change = VideoUpdate::default();
    if let Some(value) = body.get("name") {
        match value.as_str().filter(|s| length_ok(s, NAME)) {
            Some(name) => change.name = Some(name.to_owned()),
            None => checks.invalid(
                "name",
                value.clone(),
                "Should have a video name between 3 and 120 characters long",
            ),
        }
    }
    change.description =
        nullable_text(body, &mut checks, "description", DESCRIPTION, "Should have a valid description");
    change.support = nullable_text(body, &mut checks, "support", SUPPORT, "Should have a valid support text");
    change.category = enum_id(body, &mut checks, "category", CATEGORIES, "Should have a valid category");
    change.licence = enum_id(body, &mut checks, "licence", LICENCES, "Should have a valid licence");
    if let Some(value) = body.get("language") {
        match value {
            Value::Null => change.language = Some(None),
            Value::String(code) if constants::language_label(code).is_some() => {
                change.language = Some(Some(code.clone()));
            }
            other => checks.invalid("language", other.clone(), "Should have a valid language"),
        }
    }
    if let Some(value) = body.get("privacy") {
        match integer(value).filter(|p| constants::is_valid(PRIVACIES, *p)) {
            Some(p) => change.privacy = Some(p),
            None => checks.invalid("privacy", value.clone(), "Should have correct video privacy"),
        }
    }
    if let Some(value) = body.get("commentsPolicy") {
        match integer(value).filter(|p| constants::is_valid(COMMENTS_POLICIES, *p)) {
            Some(p) => change.comments_policy = Some(p),
            None => checks.invalid("commentsPolicy", value.clone(), "Should have a valid commentsPolicy"),
        }
    } else if let Some(enabled) = boolean(body, &mut checks, "commentsEnabled") {
        // Deprecated by PeerTube in favour of commentsPolicy, still sent by older clients.
        change.comments_policy = Some(if enabled { 1 } else { 2 });
    }
    change.nsfw = boolean(body, &mut checks, "nsfw");
    change.download_enabled = boolean(body, &mut checks, "downloadEnabled");
    change.wait_transcoding = boolean(body, &mut checks, "waitTranscoding");
    if let Some(value) = body.get("originallyPublishedAt") {
        match value {
            Value::Null => change.originally_published_at = Some(None),
            Value::String(date) if parse_iso8601_millis(date).is_some() => {
                change.originally_published_at = Some(parse_iso8601_millis(date));
            }
            other => checks.invalid(
                "originallyPublishedAt",
                other.clone(),
                "Should have a valid original publication date",
            ),
        }
    }
    change.tags = tags(body, &mut checks);
    change.passwords = passwords(body, &mut checks);
    if let Some(value) = body.get("channelId") {
        match integer(value) {
            Some(id) => change.channel_id = Some(id),
            None => checks.invalid("channelId", value.clone(), "Should have correct video channel id"),
        }
    }
    checks.finish()?;
    Ok(change)
}

fn cannot_manage() -> Problem {
    Problem::new(StatusCode::FORBIDDEN, "Cannot manage a video of another user.")
}

/// PeerTube's answer to editing a remote video: only its origin changes it.
fn remote_video() -> Problem {
    Problem::new(StatusCode::FORBIDDEN, "Cannot manage a video of another server.")
}

async fn manageable(ctx: &Ctx<'_>, id: &str) -> Result<(Caller, Video), Problem> {
    let caller = ctx.caller().await?;
    let video = find(ctx, id).await?;
    if !owns_or_moderates(&caller, &video) {
        return Err(cannot_manage());
    }
    Ok((caller, video))
}

/// `PUT /api/v1/videos/{id}`
pub async fn update(ctx: &Ctx<'_>, id: &str) -> Answer {
    let caller = ctx.caller().await?;
    let body: Map<String, Value> = ctx.json()?;
    let change = read_update(&body)?;
    let video = find(ctx, id).await?;
    if video.is_remote() {
        return Err(remote_video());
    }
    if !owns_or_moderates(&caller, &video) {
        return Err(cannot_manage());
    }
    if let Some(channel_id) = change.channel_id {
        // A video may only move between the channels of the account that owns it.
        let channels =
            actors::channels_of(ctx.ports.sql, video.account_id).await.map_err(Problem::internal_from)?;
        if !channels.iter().any(|c| c.id == channel_id) {
            return Err(Problem::bad_request("Incorrect request parameters: channelId").with_invalid_param(
                "channelId",
                json!(channel_id),
                "Should have a channel of the video owner",
                "body",
            ));
        }
    }
    if change.privacy.unwrap_or(video.privacy) == privacy::PASSWORD_PROTECTED {
        let has_passwords = match &change.passwords {
            Some(passwords) => !passwords.is_empty(),
            None => {
                videos::password_count(ctx.ports.sql, video.id).await.map_err(Problem::internal_from)? > 0
            }
        };
        if !has_passwords {
            return Err(Problem::bad_request("Incorrect request parameters: videoPasswords")
                .with_invalid_param(
                    "videoPasswords",
                    body.get("videoPasswords").cloned().unwrap_or(Value::Null),
                    "Video passwords are required for a password protected video",
                    "body",
                ));
        }
    }
    videos::update(ctx.ports, &video, &change).await.map_err(Problem::internal_from)?;
    let after = videos::find_by_id(ctx.ports.sql, video.id).await.map_err(Problem::internal_from)?;
    federate(ctx, Some(&video), after.as_ref()).await?;
    Ok(respond::no_content())
}

/// `DELETE /api/v1/videos/{id}`
///
/// A moderator may remove our copy of a remote video (nothing is stored for it and nothing is
/// sent: it is its origin's); its next `Update` or `Announce` brings it back unless its server
/// is blocked. A video of ours that other servers know is announced deleted first, so that a
/// failure to queue that leaves the video in place, for the client's retry.
pub async fn delete(ctx: &Ctx<'_>, id: &str) -> Answer {
    let (_, video) = manageable(ctx, id).await?;
    if video.is_remote() {
        videos::delete(ctx.ports.sql, &video).await.map_err(Problem::internal_from)?;
        return Ok(respond::no_content());
    }
    federate(ctx, Some(&video), None).await?;
    // Keys first: the row's deletion cascades to the files, storyboard and jobs naming them.
    let keys = renditions::object_keys(ctx.ports, &video).await.map_err(Problem::internal_from)?;
    videos::delete(ctx.ports.sql, &video).await.map_err(Problem::internal_from)?;
    for key in keys {
        // The row is gone, so a key left behind is unreachable garbage, not a broken video.
        if let Err(error) = ctx.ports.objects.delete(&key).await {
            return Err(Problem::internal_from(format!("video deleted but {key} stays: {error}")));
        }
    }
    Ok(respond::no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(body: Value) -> Vec<String> {
        let Value::Object(body) = body else { unreachable!() };
        match read_update(&body) {
            Ok(_) => Vec::new(),
            Err(problem) => {
                let response = problem.into_response();
                let doc: Value = serde_json::from_slice(response.body()).unwrap_or_default();
                doc["invalid-params"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
            }
        }
    }

    #[test]
    fn peertube_limits() {
        assert!(refused(json!({"name": "abc", "tags": ["ab", "cd"], "category": 15, "language": "en"}))
            .is_empty());
        assert_eq!(refused(json!({"name": "x".repeat(121)})), ["name"]);
        assert_eq!(refused(json!({"tags": ["a"]})), ["tags"]);
        assert_eq!(refused(json!({"tags": ["aa", "bb", "cc", "dd", "ee", "ff"]})), ["tags"]);
        assert_eq!(
            refused(json!({"category": 19, "licence": 0, "language": "xx", "privacy": 6})),
            ["category", "licence", "language", "privacy"]
        );
        assert_eq!(refused(json!({"commentsPolicy": 4, "nsfw": "maybe"})), ["commentsPolicy", "nsfw"]);
        assert_eq!(refused(json!({"description": "x".repeat(10_001)})), ["description"]);
        assert!(refused(json!({"description": null, "category": null})).is_empty());
        assert!(
            refused(json!({"videoPasswords": ["Abc", "abc"]})).is_empty(),
            "passwords are case-sensitive"
        );
        assert_eq!(refused(json!({"videoPasswords": ["abc", "abc"]})), ["videoPasswords"]);
        assert_eq!(refused(json!({"videoPasswords": ["a"]})), ["videoPasswords"]);
        let many: Vec<String> = (0..=MAX_PASSWORDS).map(|i| format!("pw{i}")).collect();
        assert_eq!(refused(json!({"videoPasswords": many})), ["videoPasswords"]);
        assert!(refused(json!({"videoPasswords": many[..MAX_PASSWORDS]})).is_empty());
    }
}
