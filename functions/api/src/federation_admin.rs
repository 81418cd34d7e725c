//! Federation's dead letters for administrators (our extension; PeerTube drops what it cannot
//! deliver): `GET /api/v1/admin/federation/dead-letters` and
//! `POST /api/v1/admin/federation/dead-letters/{inbox|delivery}/{id}/replay`.

use bytes::Bytes;
use edgetube_federation::dead_letters::{self, Kind};
use http::Response;

use crate::context::Ctx;
use crate::{accounts, pagination, respond, Problem};

type Answer = Result<Response<Bytes>, Problem>;

/// `GET .../dead-letters?start=&count=` → `{total, data: [DeadLetter]}`, newest first.
pub async fn list(ctx: &Ctx<'_>) -> Answer {
    ctx.admin().await?;
    let page = pagination::page(ctx)?;
    let (total, letters) =
        dead_letters::list(ctx.ports, page.start, page.count).await.map_err(accounts::federation_problem)?;
    respond::json(&pagination::list(total, letters))
}

/// `POST .../dead-letters/{kind}/{id}/replay` → 204 once queued again; 404 when there is none.
pub async fn replay(ctx: &Ctx<'_>, kind: &str, id: &str) -> Answer {
    ctx.admin().await?;
    let not_found = || Problem::not_found("Dead letter not found");
    let kind = Kind::parse(kind).ok_or_else(not_found)?;
    let id: i64 = id.parse().map_err(|_| not_found())?;
    if dead_letters::replay(ctx.ports, kind, id).await.map_err(accounts::federation_problem)? {
        Ok(respond::no_content())
    } else {
        Err(not_found())
    }
}
