//! `Flag`: another server reports our videos, comments or accounts. Each reported object becomes
//! one pending abuse for our moderators (`GET /api/v1/abuses`); objects we do not have, or that
//! are not ours to moderate, are left out.

use edgetube_activitypub::documents::{Activity, Flag};
use edgetube_domain::InstanceConfig;
use edgetube_ports::{Ports, Statement};

use super::{Effect, Failure};
use crate::objects::{self, is_local_video, Named};
use crate::{remote, send};

/// `Flag` of one or more objects.
pub(super) async fn flag(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    activity: &Activity,
) -> Result<Effect, Failure> {
    let flag =
        Flag::from_activity(activity).map_err(|e| Failure::Permanent(format!("a malformed Flag: {e}")))?;
    let reporter = remote::actor(ports, config, flag.actor.as_str()).await?;
    let reasons = serde_json::to_string(&flag.reasons).unwrap_or_else(|_| "[]".into());
    let now = ports.clock.now_millis();
    let mut statements = Vec::new();
    for object in &flag.objects {
        // (video, comment, account) targeted.
        let target = match objects::named(ports, config, object.as_str()).await? {
            Named::Video(video) if is_local_video(&video) => (Some(video.id), None, None),
            // A comment on our video is ours to moderate, whoever wrote it.
            Named::Comment(comment, video) if is_local_video(&video) => {
                (Some(video.id), Some(comment.id), None)
            }
            Named::Video(_) | Named::Comment(..) => continue,
            Named::Unknown => match send::local_actor_at(ports, config, object.as_str()).await? {
                Some(actor) => (None, None, Some(actor.id)),
                None => continue,
            },
        };
        statements.push(
            Statement::new(
                "INSERT OR IGNORE INTO abuses (ap_id, reporter_actor_id, reporter_ap_id, reason, \
                 predefined_reasons, video_id, comment_id, account_id, start_at, end_at, state, \
                 created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'pending', ?11, ?11)",
            )
            .bind(flag.id.as_str())
            .bind(reporter.id)
            .bind(flag.actor.as_str())
            .bind(flag.content.clone().unwrap_or_default())
            .bind(reasons.as_str())
            .bind(target.0)
            .bind(target.1)
            .bind(target.2)
            .bind(flag.start_at.map(|s| s as i64))
            .bind(flag.end_at.map(|s| s as i64))
            .bind(now),
        );
    }
    if statements.is_empty() {
        return Ok(Effect::Ignored(format!("Flag {} names nothing of ours", flag.id)));
    }
    let count = statements.len();
    ports.sql.batch(statements).await?;
    Ok(Effect::Done(format!("{} reported {count} object(s)", reporter.handle())))
}
