//! The queue consumer's half of the inbox: applying each stored activity once in effect.
//!
//! Effects are idempotent (upserts, deletes of what exists), so an activity delivered twice by
//! the queue changes nothing the second time; a row is marked `done` after its effects. A
//! failure that may pass (a remote server down, a port unavailable) is retried on the
//! [`RetrySchedule`]; one that will not (an activity about something unknown) or that outlived
//! the schedule makes the row `dead`, listed for admins and replayable.

mod actor_update;
mod flag;
mod follow;
mod note;
mod rate;
pub(crate) mod video;
mod view;

use edgetube_activitypub::documents::{Activity, ActivityKind};
use edgetube_domain::ratings::Rating;
use edgetube_domain::InstanceConfig;
use edgetube_ports::{InboxWork, Ports, QueueMessage, Statement};
use serde::Deserialize;

use crate::retry::RetrySchedule;
use crate::FederationError;

/// What applying an inbox message came to, for the platform's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Its effects are in place (or it was already applied).
    Done(String),
    /// It was ignored on purpose (a kind we do not act on, something we do not have).
    Ignored(String),
    /// It failed for now and is queued again.
    Retrying(String),
    /// It failed for good: a dead letter.
    Dead(String),
}

/// Why applying an activity failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// It will never apply: dead letter at once.
    Permanent(String),
    /// Trying again later may work.
    Transient(FederationError),
}

impl From<FederationError> for Failure {
    fn from(e: FederationError) -> Self {
        if e.is_transient() {
            Self::Transient(e)
        } else {
            Self::Permanent(e.to_string())
        }
    }
}

impl From<edgetube_domain::DomainError> for Failure {
    fn from(e: edgetube_domain::DomainError) -> Self {
        FederationError::from(e).into()
    }
}

impl From<edgetube_ports::PortError> for Failure {
    fn from(e: edgetube_ports::PortError) -> Self {
        FederationError::from(e).into()
    }
}

/// An activity's effect: done (with what), or ignored (with why).
pub(crate) enum Effect {
    Done(String),
    Ignored(String),
}

#[derive(Deserialize)]
struct Row {
    body: String,
    signer: String,
    state: String,
}

/// Applies the stored activity `work` names. Errors are the ports' (the queue then redelivers
/// the message); everything about the activity itself is settled here.
pub async fn apply(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    work: &InboxWork,
) -> Result<Applied, FederationError> {
    let row: Option<Row> = ports
        .sql
        .fetch_optional(
            Statement::new("SELECT body, signer, state FROM inbox_activities WHERE id = ?1")
                .bind(work.activity),
        )
        .await?;
    let Some(row) = row else { return Ok(Applied::Ignored(format!("inbox row {} is gone", work.activity))) };
    if row.state != "queued" {
        return Ok(Applied::Done(format!("inbox row {} was already {}", work.activity, row.state)));
    }
    let outcome = match Activity::parse(row.body.as_bytes()) {
        Ok(activity) => dispatch(ports, config, &activity, &row.signer).await,
        Err(e) => Err(Failure::Permanent(format!("stored activity no longer parses: {e}"))),
    };
    let now = ports.clock.now_millis();
    let mark = |state: &str, error: Option<String>| {
        Statement::new(
            "UPDATE inbox_activities SET state = ?2, attempts = ?3, last_error = ?4, updated_at = ?5 WHERE id = ?1",
        )
        .bind(work.activity)
        .bind(state)
        .bind(i64::from(work.attempt) + 1)
        .bind(error)
        .bind(now)
    };
    match outcome {
        Ok(Effect::Done(what)) => {
            ports.sql.execute(mark("done", None)).await?;
            Ok(Applied::Done(what))
        }
        Ok(Effect::Ignored(why)) => {
            ports.sql.execute(mark("done", Some(why.clone()))).await?;
            Ok(Applied::Ignored(why))
        }
        Err(Failure::Permanent(why)) => {
            ports.sql.execute(mark("dead", Some(why.clone()))).await?;
            Ok(Applied::Dead(why))
        }
        Err(Failure::Transient(error)) => {
            let schedule = RetrySchedule { base_seconds: config.federation.retry_base_seconds };
            let why = error.to_string();
            match schedule.after_failure(work.attempt) {
                Some(delay) => {
                    ports.sql.execute(mark("queued", Some(why.clone()))).await?;
                    let next = InboxWork { activity: work.activity, attempt: work.attempt + 1 };
                    ports.queue.send(&QueueMessage::Inbox(next), Some(delay)).await?;
                    Ok(Applied::Retrying(why))
                }
                None => {
                    ports.sql.execute(mark("dead", Some(why.clone()))).await?;
                    Ok(Applied::Dead(why))
                }
            }
        }
    }
}

async fn dispatch(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    activity: &Activity,
    signer: &str,
) -> Result<Effect, Failure> {
    match activity.kind {
        ActivityKind::Follow => follow::follow(ports, config, activity).await,
        ActivityKind::Accept => follow::accept(ports, config, activity).await,
        ActivityKind::Reject => follow::reject(ports, config, activity).await,
        ActivityKind::Undo => match activity.object.kind() {
            Some("Like" | "Dislike") => rate::undo(ports, config, activity).await,
            Some("Announce") => video::undo_announce(ports, activity).await,
            _ => follow::undo(ports, config, activity).await,
        },
        ActivityKind::Delete if activity.object.id() == Some(&activity.actor) => {
            follow::actor_deleted(ports, activity).await
        }
        ActivityKind::Create | ActivityKind::Update if activity.object.kind() == Some("Note") => {
            note::create_or_update(ports, config, activity, signer != activity.actor.as_str()).await
        }
        ActivityKind::Create | ActivityKind::Update if video::carries_video(activity) => {
            video::create_or_update(ports, config, activity, signer).await
        }
        ActivityKind::Update if actor_update::carries_actor(activity) => {
            actor_update::update(ports, config, activity).await
        }
        ActivityKind::View => view::view(ports, config, activity).await,
        ActivityKind::Flag => flag::flag(ports, config, activity).await,
        ActivityKind::Announce => video::announce(ports, config, activity).await,
        // A Delete names a comment or a video (by id or Tombstone): a comment first.
        ActivityKind::Delete => match note::delete(ports, activity).await? {
            Effect::Ignored(_) => video::delete(activity, ports).await,
            done => Ok(done),
        },
        ActivityKind::Like => rate::rate(ports, config, activity, Rating::Like).await,
        ActivityKind::Dislike => rate::rate(ports, config, activity, Rating::Dislike).await,
        _ => Ok(Effect::Ignored(format!(
            "{} from {} (signed by {signer}) has no effect here yet",
            activity.kind.as_str(),
            activity.actor
        ))),
    }
}
