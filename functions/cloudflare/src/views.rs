//! The view-counter port on a Durable Object per video. Each object remembers who was
//! counted within the window and accumulates counts; an alarm adds them to D1 in one write, so
//! a video watched a thousand times a minute costs a few D1 writes, not a thousand.

use std::cell::RefCell;

use async_trait::async_trait;
use edgetube_domain::views::add_views;
use edgetube_ports::{PortError, Sql, ViewCounter, ViewWindow};
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, ObjectNamespace, Request, Response, State};

use crate::bindings;
use crate::d1::D1Sql;

/// How long counts wait in the object before they are written to D1.
const FLUSH_AFTER_MS: i64 = 10_000;

/// The port: forwards each view to the object of its video.
pub struct DurableViewCounter {
    namespace: ObjectNamespace,
}

impl DurableViewCounter {
    pub fn new(namespace: ObjectNamespace) -> Self {
        Self { namespace }
    }
}

#[derive(Serialize, Deserialize)]
struct Record {
    video_id: i64,
    viewer: String,
    window_seconds: u32,
    now_millis: i64,
}

#[derive(Serialize, Deserialize)]
struct Recorded {
    counted: bool,
}

fn unavailable(e: impl std::fmt::Display) -> PortError {
    PortError::unavailable("views", e.to_string())
}

#[async_trait(?Send)]
impl ViewCounter for DurableViewCounter {
    async fn record(
        &self,
        video_id: i64,
        viewer: &str,
        window_seconds: u32,
        now_millis: i64,
    ) -> Result<bool, PortError> {
        let stub = self.namespace.get_by_name(&video_id.to_string()).map_err(unavailable)?;
        let body = serde_json::to_string(&Record {
            video_id,
            viewer: viewer.to_owned(),
            window_seconds,
            now_millis,
        })
        .map_err(unavailable)?;
        let mut init = worker::RequestInit::new();
        init.with_method(worker::Method::Post).with_body(Some(body.into()));
        let request = Request::new_with_init("https://views/record", &init).map_err(unavailable)?;
        let mut response = stub.fetch_with_request(request).await.map_err(unavailable)?;
        Ok(response.json::<Recorded>().await.map_err(unavailable)?.counted)
    }
}

/// One video's viewers and pending count. In memory: an evicted object forgets its window
/// (a returning viewer may count again) and its unflushed views, which the port allows.
#[durable_object]
pub struct ViewCounterObject {
    state: State,
    env: Env,
    window: RefCell<ViewWindow>,
    video_id: RefCell<Option<i64>>,
}

impl DurableObject for ViewCounterObject {
    fn new(state: State, env: Env) -> Self {
        Self { state, env, window: RefCell::new(ViewWindow::default()), video_id: RefCell::new(None) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let record: Record = req.json().await?;
        *self.video_id.borrow_mut() = Some(record.video_id);
        let counted =
            self.window.borrow_mut().record(&record.viewer, record.window_seconds, record.now_millis);
        if counted && self.state.storage().get_alarm().await?.is_none() {
            self.state.storage().set_alarm(std::time::Duration::from_millis(FLUSH_AFTER_MS as u64)).await?;
        }
        Response::from_json(&Recorded { counted })
    }

    async fn alarm(&self) -> worker::Result<Response> {
        crate::metered::bump("do.views.alarms", 1.0);
        let Some(video_id) = *self.video_id.borrow() else { return Response::ok("nothing to flush") };
        let views = self.window.borrow_mut().take_pending();
        if views == 0 {
            return Response::ok("nothing to flush");
        }
        let sql = D1Sql::new(self.env.d1(bindings::DB)?);
        if let Err(e) = sql.execute(add_views(video_id, views)).await {
            // Keep the counts and try again later rather than drop them.
            self.window.borrow_mut().restore_pending(views);
            self.state.storage().set_alarm(std::time::Duration::from_millis(FLUSH_AFTER_MS as u64)).await?;
            return Response::error(format!("flush failed: {e}"), 503);
        }
        Response::ok("flushed")
    }
}
