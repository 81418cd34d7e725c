//! The items of our actors' collections: followers and following (actor ids), outbox (the
//! activities they sent), playlists (none yet). Paged as PeerTube pages them.

use edgetube_domain::actors::LocalActor;
use edgetube_domain::{follows, InstanceConfig};
use edgetube_ports::{Ports, Statement};
use serde::Deserialize;
use serde_json::Value;

use crate::collection::{offset, PAGE_SIZE};
use crate::FederationError;

/// The total of collection `which` of `actor`, and the items of `page` (none without a page).
pub async fn items(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    actor: &LocalActor,
    which: &str,
    page: Option<u64>,
) -> Result<(u64, Vec<Value>), FederationError> {
    let start = page.map_or(0, offset) as i64;
    let count = if page.is_some() { PAGE_SIZE as i64 } else { 0 };
    let (total, items) = match which {
        "followers" | "following" => {
            let followers = which == "followers";
            let total = if followers {
                follows::count_followers(ports.sql, actor.id).await?
            } else {
                follows::count_following(ports.sql, actor.id).await?
            };
            let parties = follows::parties(ports.sql, actor.id, followers, start, count).await?;
            let items = parties
                .into_iter()
                .map(|p| {
                    Value::String(p.ap_id.unwrap_or_else(|| {
                        config.origin.join(&format!("{}{}", p.kind.path_prefix(), p.username))
                    }))
                })
                .collect();
            (total, items)
        }
        "outbox" => outbox(ports, actor.id, start, count).await?,
        _ => (0, Vec::new()),
    };
    Ok((u64::try_from(total).unwrap_or(0), items))
}

/// Only public activities are listed, as PeerTube's outbox lists them (follows, accepts and
/// other addressed activities are not for everyone to read).
const PUBLIC_PATTERN: &str = "%\"https://www.w3.org/ns/activitystreams#Public\"%";

async fn outbox(
    ports: &Ports<'_>,
    actor_id: i64,
    start: i64,
    count: i64,
) -> Result<(i64, Vec<Value>), FederationError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    #[derive(Deserialize)]
    struct Body {
        body: String,
    }
    let total: Option<Count> = ports
        .sql
        .fetch_optional(
            Statement::new(
                "SELECT COUNT(*) AS n FROM outbox_activities WHERE actor_id = ?1 AND body LIKE ?2 \
                 AND departed_id IS NULL",
            )
            .bind(actor_id)
            .bind(PUBLIC_PATTERN),
        )
        .await?;
    let rows: Vec<Body> = ports
        .sql
        .fetch_all(
            Statement::new(
                "SELECT body FROM outbox_activities WHERE actor_id = ?1 AND body LIKE ?4 \
                 AND departed_id IS NULL ORDER BY id DESC LIMIT ?2 OFFSET ?3",
            )
            .bind(actor_id)
            .bind(count)
            .bind(start)
            .bind(PUBLIC_PATTERN),
        )
        .await?;
    let items = rows.into_iter().filter_map(|row| serde_json::from_str(&row.body).ok()).collect();
    Ok((total.map_or(0, |c| c.n), items))
}
