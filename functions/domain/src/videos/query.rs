//! Video lists: one query builder behind `GET /videos`, `GET /users/me/videos`, the search and
//! the account and channel video lists.

use edgetube_ports::{Sql, SqlValue, Statement};
use serde::Deserialize;

use super::{Video, VIDEO_COLUMNS};
use crate::{blocks, DomainError};

/// D1 binds at most 100 parameters per statement.
const MAX_PARAMS: usize = 100;

/// Whose videos to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Every channel.
    #[default]
    All,
    /// The channels of account `id`.
    Account(i64),
    /// Channel `id`.
    Channel(i64),
    /// The subscriptions of account `id`: the channels it follows and the channels of the
    /// accounts it follows (accepted follows only).
    SubscriptionsOf(i64),
    /// What an instance shows as its own (PeerTube's feeds): its local videos, and the remote
    /// ones of the channels and accounts actor `id` (the instance actor) follows or of the
    /// servers whose instance actor it follows (accepted follows only).
    LocalOrFollowedBy(i64),
}

/// A list request. The visibility fields are decided by the caller (the API knows who asks);
/// the filters are PeerTube's query parameters, already validated.
#[derive(Debug, Clone, Default)]
pub struct VideoQuery {
    /// Whose videos.
    pub scope: Scope,
    /// Privacies to include; empty means all.
    pub privacies: Vec<i64>,
    /// Only published videos (state 1), except those of `viewer_account`.
    pub published_only: bool,
    /// The caller's account, whose unpublished videos stay visible.
    pub viewer_account: Option<i64>,
    /// `categoryOneOf`.
    pub categories: Vec<i64>,
    /// `licenceOneOf`.
    pub licences: Vec<i64>,
    /// `languageOneOf`; `_unknown` matches videos without a language.
    pub languages: Vec<String>,
    /// `tagsOneOf`.
    pub tags_one_of: Vec<String>,
    /// `tagsAllOf`.
    pub tags_all_of: Vec<String>,
    /// `nsfw`: `Some(true)` only NSFW, `Some(false)` only safe, `None` both.
    pub nsfw: Option<bool>,
    /// `isLocal`.
    pub is_local: Option<bool>,
    /// Free-text search over name, description and tags.
    pub search: Option<String>,
    /// Published at or after (ms).
    pub published_after: Option<i64>,
    /// Published at or before (ms).
    pub published_before: Option<i64>,
    /// Minimum duration (s).
    pub duration_min: Option<i64>,
    /// Maximum duration (s).
    pub duration_max: Option<i64>,
    /// A trusted `ORDER BY` expression over `v` (and `videos_fts` when searching).
    pub order_by: String,
    /// Offset.
    pub start: i64,
    /// Page size.
    pub count: i64,
    /// Skip counting the total (PeerTube's `skipCount`).
    pub skip_count: bool,
    /// Leave out videos of accounts and channels blocked by the instance or by `viewer_account`
    /// (public lists; not a user's own videos).
    pub hide_blocked: bool,
}

/// Collects `WHERE` conditions and their positional parameters.
#[derive(Default)]
struct Conditions {
    clauses: Vec<String>,
    params: Vec<SqlValue>,
}

impl Conditions {
    fn param(&mut self, value: impl Into<SqlValue>) -> String {
        self.params.push(value.into());
        format!("?{}", self.params.len())
    }

    fn list<T: Clone + Into<SqlValue>>(&mut self, values: &[T]) -> String {
        let placeholders: Vec<String> = values.iter().map(|v| self.param(v.clone())).collect();
        format!("({})", placeholders.join(", "))
    }
}

/// Turns free text into an FTS5 query: every word must match, each as a prefix. Quoting each
/// word keeps FTS5 operators in user input inert. `None` when there is no word at all.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn conditions(query: &VideoQuery) -> Conditions {
    let mut w = Conditions::default();
    match query.scope {
        Scope::All => {}
        Scope::Account(id) => {
            let p = w.param(id);
            w.clauses.push(format!("c.owner_id = {p}"));
        }
        Scope::Channel(id) => {
            let p = w.param(id);
            w.clauses.push(format!("v.channel_id = {p}"));
        }
        Scope::SubscriptionsOf(id) => {
            let p = w.param(id);
            let followed =
                format!("SELECT f.following_id FROM actor_follows f WHERE f.follower_id = {p} AND f.state = 'accepted'");
            w.clauses.push(format!("(v.channel_id IN ({followed}) OR c.owner_id IN ({followed}))"));
        }
        Scope::LocalOrFollowedBy(id) => {
            let p = w.param(id);
            let followed =
                format!("SELECT f.following_id FROM actor_follows f WHERE f.follower_id = {p} AND f.state = 'accepted'");
            let servers = format!(
                "SELECT a.host FROM actor_follows f JOIN actors a ON a.id = f.following_id \
                 WHERE f.follower_id = {p} AND f.state = 'accepted' AND a.kind = 'Application'"
            );
            w.clauses.push(format!(
                "(c.host IS NULL OR v.channel_id IN ({followed}) OR c.owner_id IN ({followed}) OR c.host IN ({servers}))"
            ));
        }
    }
    if query.hide_blocked {
        let viewer = w.param(query.viewer_account.unwrap_or(-1));
        let (channel, account) =
            (blocks::hidden("v.channel_id", &viewer), blocks::hidden("c.owner_id", &viewer));
        w.clauses.push(format!("NOT {channel} AND NOT {account}"));
    }
    if !query.privacies.is_empty() {
        let list = w.list(&query.privacies);
        w.clauses.push(format!("v.privacy IN {list}"));
    }
    if query.published_only {
        match query.viewer_account {
            Some(account) => {
                let p = w.param(account);
                w.clauses.push(format!("(v.state = 1 OR c.owner_id = {p})"));
            }
            None => w.clauses.push("v.state = 1".to_owned()),
        }
    }
    if !query.categories.is_empty() {
        let list = w.list(&query.categories);
        w.clauses.push(format!("v.category IN {list}"));
    }
    if !query.licences.is_empty() {
        let list = w.list(&query.licences);
        w.clauses.push(format!("v.licence IN {list}"));
    }
    if !query.languages.is_empty() {
        let known: Vec<String> = query.languages.iter().filter(|l| *l != "_unknown").cloned().collect();
        let mut alternatives = Vec::new();
        if !known.is_empty() {
            let list = w.list(&known);
            alternatives.push(format!("v.language IN {list}"));
        }
        if known.len() < query.languages.len() {
            alternatives.push("v.language IS NULL".to_owned());
        }
        w.clauses.push(format!("({})", alternatives.join(" OR ")));
    }
    if !query.tags_one_of.is_empty() {
        let list = w.list(&query.tags_one_of);
        w.clauses
            .push(format!("EXISTS (SELECT 1 FROM video_tags t WHERE t.video_id = v.id AND t.tag IN {list})"));
    }
    if !query.tags_all_of.is_empty() {
        let mut distinct: Vec<String> = query.tags_all_of.iter().map(|t| t.to_lowercase()).collect();
        distinct.sort();
        distinct.dedup();
        let list = w.list(&distinct);
        let n = w.param(i64::try_from(distinct.len()).unwrap_or(i64::MAX));
        w.clauses.push(format!(
            "(SELECT COUNT(*) FROM video_tags t WHERE t.video_id = v.id AND t.tag IN {list}) = {n}"
        ));
    }
    if let Some(nsfw) = query.nsfw {
        let p = w.param(nsfw);
        w.clauses.push(format!("v.nsfw = {p}"));
    }
    if let Some(local) = query.is_local {
        w.clauses.push(if local { "c.host IS NULL" } else { "c.host IS NOT NULL" }.to_owned());
    }
    for (value, condition) in [
        (query.published_after, "v.published_at >="),
        (query.published_before, "v.published_at <="),
        (query.duration_min, "v.duration >="),
        (query.duration_max, "v.duration <="),
    ] {
        if let Some(value) = value {
            let p = w.param(value);
            w.clauses.push(format!("{condition} {p}"));
        }
    }
    w
}

/// A page of videos and, unless `skip_count`, how many match in all.
pub async fn list(sql: &dyn Sql, query: &VideoQuery) -> Result<(Option<i64>, Vec<Video>), DomainError> {
    let mut w = conditions(query);
    let mut from = "videos v JOIN actors c ON c.id = v.channel_id".to_owned();
    if let Some(search) = &query.search {
        match fts_query(search) {
            Some(fts) => {
                from.push_str(" JOIN videos_fts ON videos_fts.rowid = v.id");
                let p = w.param(fts);
                w.clauses.push(format!("videos_fts MATCH {p}"));
            }
            // Nothing searchable: nothing matches.
            None => w.clauses.push("0".to_owned()),
        }
    }
    if w.params.len() + 2 > MAX_PARAMS {
        return Err(DomainError::Inconsistent(format!(
            "a video list query needs {} parameters, more than D1 binds",
            w.params.len() + 2
        )));
    }
    let where_sql =
        if w.clauses.is_empty() { String::new() } else { format!(" WHERE {}", w.clauses.join(" AND ")) };
    let total = if query.skip_count {
        None
    } else {
        #[derive(Deserialize)]
        struct Count {
            n: i64,
        }
        let rows: Vec<Count> = sql
            .fetch_all(Statement {
                sql: format!("SELECT COUNT(*) AS n FROM {from}{where_sql}"),
                params: w.params.clone(),
            })
            .await?;
        Some(rows.first().map_or(0, |c| c.n))
    };
    let limit = w.param(query.count);
    let offset = w.param(query.start);
    let order_by = if query.order_by.is_empty() { "v.published_at DESC" } else { &query.order_by };
    let videos = sql
        .fetch_all(Statement {
            sql: format!(
                "SELECT {VIDEO_COLUMNS} FROM {from}{where_sql} ORDER BY {order_by}, v.id DESC LIMIT {limit} OFFSET {offset}"
            ),
            params: w.params,
        })
        .await?;
    Ok((total, videos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_becomes_quoted_prefixes() {
        assert_eq!(fts_query("Big buck").as_deref(), Some("\"Big\"* \"buck\"*"));
        assert_eq!(fts_query("a\" OR NEAR(x"), Some("\"a\"* \"OR\"* \"NEAR\"* \"x\"*".to_owned()));
        assert_eq!(fts_query(" -- "), None);
    }
}
