//! The runner's calls to an instance's `/api/v1/runners` API (PROTOCOL.md), one method each.
//!
//! Answers are sorted into [`ClientError`] kinds the caller acts on: an unknown runner token means
//! registering again, a job that is gone means dropping the work, and only network errors and
//! 5xx are worth retrying. File transfers are in [`crate::transfer`]; they share [`JobAuth`].

use std::time::Duration;

use edgetube_runner_protocol::{HOLD_PARAM, REQUEST_PATH};
use serde::Deserialize;
use serde_json::Value;

/// The one job type Edgetube hands out, and the bodies of its calls: one definition with the instance.
pub use edgetube_runner_protocol::{
    ErrorReport, JobUpdate, LadderPayload, RenditionReport, StoryboardReport, SuccessPayload, UploadUrl,
    UploadUrlRequest, VideoFacts, LADDER_JOB as LADDER_JOB_TYPE,
};

/// Why a call to the instance failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// 401: the instance does not know the runner token (deleted runner, reset instance).
    #[error("the instance does not know this runner (401)")]
    UnknownRunner,
    /// 404 or 409 on a job: another runner has it, or it ended; the work must stop.
    #[error("the job is no longer this runner's (the instance answered {status})")]
    JobGone { status: u16 },
    /// Any other 4xx: retrying the same call cannot help.
    #[error("the instance refused {call} ({status}): {detail}")]
    Refused { call: &'static str, status: u16, detail: String },
    /// 5xx: the instance may recover.
    #[error("the instance failed on {call} ({status}): {detail}")]
    Server { call: &'static str, status: u16, detail: String },
    #[error("cannot reach the instance for {call}")]
    Network {
        call: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("the instance answered {call} with something unexpected: {reason}")]
    InvalidAnswer { call: &'static str, reason: String },
}

impl ClientError {
    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ClientError::Network { .. } | ClientError::Server { .. })
    }

    /// Whether the runner must stop working on the job (it was given away, or the runner is unknown).
    pub fn ends_the_job(&self) -> bool {
        matches!(self, ClientError::JobGone { .. } | ClientError::UnknownRunner)
    }
}

/// The tokens that let a runner act on one job. `Debug` hides them: they are secrets.
#[derive(Clone)]
pub struct JobAuth {
    pub job_uuid: String,
    pub runner_token: String,
    pub job_token: String,
}

impl std::fmt::Debug for JobAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobAuth").field("job_uuid", &self.job_uuid).finish_non_exhaustive()
    }
}

impl JobAuth {
    /// `{runnerToken, jobToken}`, the body of most job calls and of the input download.
    pub fn tokens_body(&self) -> Value {
        serde_json::json!({"runnerToken": self.runner_token, "jobToken": self.job_token})
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    #[serde(default)]
    pub id: Option<u64>,
    pub runner_token: String,
}

/// A pending job as `request` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct AvailableJob {
    pub uuid: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// A job this runner now holds.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptedJob {
    pub uuid: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub payload: Value,
    pub job_token: String,
    #[serde(default)]
    pub failures: u32,
}

/// Talks to one instance.
#[derive(Debug, Clone)]
pub struct InstanceClient {
    http: reqwest::Client,
    origin: String,
}

/// Whether a 404/409 answer means "this job is gone" (job calls) or is a plain refusal.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Runner,
    Job,
}

impl InstanceClient {
    /// A client for `origin` (`https://tube.example`, no path).
    pub fn new(origin: &str) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("edgetube-transcode-runner/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            // A stalled connection must not hang a job forever; a slow one still may take its time.
            .read_timeout(Duration::from_secs(60))
            .build()?;
        Ok(InstanceClient { http, origin: origin.trim_end_matches('/').to_owned() })
    }

    /// The HTTP client, shared with the file transfers.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub async fn register(
        &self,
        registration_token: &str,
        name: &str,
        description: Option<&str>,
    ) -> Result<Registration, ClientError> {
        let mut body = serde_json::json!({"registrationToken": registration_token, "name": name});
        if let Some(description) = description {
            body["description"] = description.into();
        }
        let answer = self.post("register", Scope::Runner, "/api/v1/runners/register", &body).await?;
        parse_answer("register", &answer)
    }

    /// Pending jobs, oldest first.
    /// With `hold`, asks the instance to hold the request until a job is available, for up to
    /// that long (`?waitSeconds=`, a long poll where the instance has no wait socket; PeerTube
    /// and instances that do not hold requests answer at once, as without it).
    pub async fn request_jobs(
        &self,
        runner_token: &str,
        hold: Option<Duration>,
    ) -> Result<Vec<AvailableJob>, ClientError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            available_jobs: Vec<AvailableJob>,
        }
        let body = serde_json::json!({"runnerToken": runner_token});
        let path = match hold {
            Some(hold) => format!("{REQUEST_PATH}?{HOLD_PARAM}={}", hold.as_secs()),
            None => REQUEST_PATH.to_owned(),
        };
        let answer = self.post("request", Scope::Runner, &path, &body).await?;
        Ok(parse_answer::<Answer>("request", &answer)?.available_jobs)
    }

    /// Takes a job; [`ClientError::JobGone`] when another runner was faster.
    pub async fn accept(&self, runner_token: &str, job_uuid: &str) -> Result<AcceptedJob, ClientError> {
        #[derive(Deserialize)]
        struct Answer {
            job: AcceptedJob,
        }
        let body = serde_json::json!({"runnerToken": runner_token});
        let path = format!("/api/v1/runners/jobs/{job_uuid}/accept");
        let answer = self.post("accept", Scope::Job, &path, &body).await?;
        Ok(parse_answer::<Answer>("accept", &answer)?.job)
    }

    pub async fn update(&self, auth: &JobAuth, update: &JobUpdate) -> Result<(), ClientError> {
        let mut body = auth.tokens_body();
        merge(&mut body, update);
        self.job_call("update", auth, &body).await
    }

    pub async fn success(&self, auth: &JobAuth, payload: &SuccessPayload) -> Result<(), ClientError> {
        let mut body = auth.tokens_body();
        body["payload"] = serde_json::to_value(payload).unwrap_or_default();
        self.job_call("success", auth, &body).await
    }

    pub async fn error(&self, auth: &JobAuth, message: &str) -> Result<(), ClientError> {
        let mut body = auth.tokens_body();
        merge(&mut body, &ErrorReport { message: Some(message.to_owned()) });
        self.job_call("error", auth, &body).await
    }

    pub async fn abort(&self, auth: &JobAuth, reason: &str) -> Result<(), ClientError> {
        let mut body = auth.tokens_body();
        body["reason"] = reason.into();
        self.job_call("abort", auth, &body).await
    }

    /// A presigned storage `PUT` for one result file, or `None` when the instance hands out none
    /// (501 without R2 credentials, 404 from an instance that does not know the call).
    pub async fn upload_url(
        &self,
        auth: &JobAuth,
        asked: &UploadUrlRequest,
    ) -> Result<Option<UploadUrl>, ClientError> {
        let mut body = auth.tokens_body();
        merge(&mut body, asked);
        let path = format!("/api/v1/runners/jobs/{}/files/upload-url", auth.job_uuid);
        match self.post("upload-url", Scope::Job, &path, &body).await {
            Ok(answer) => parse_answer("upload-url", &answer).map(Some),
            Err(ClientError::Server { status: 501, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn job_call(&self, call: &'static str, auth: &JobAuth, body: &Value) -> Result<(), ClientError> {
        let path = format!("/api/v1/runners/jobs/{}/{call}", auth.job_uuid);
        self.post(call, Scope::Job, &path, body).await.map(drop)
    }

    async fn post(
        &self,
        call: &'static str,
        scope: Scope,
        path: &str,
        body: &Value,
    ) -> Result<String, ClientError> {
        let response = self
            .http
            .post(format!("{}{path}", self.origin))
            .json(body)
            .send()
            .await
            .map_err(|source| ClientError::Network { call, source })?;
        let status = response.status();
        let text = response.text().await.map_err(|source| ClientError::Network { call, source })?;
        if status.is_success() {
            return Ok(text);
        }
        Err(status_error(call, scope, status.as_u16(), &text))
    }
}

/// Adds the fields of a protocol body to the tokens.
fn merge(body: &mut Value, fields: &impl serde::Serialize) {
    if let (Value::Object(body), Ok(Value::Object(fields))) = (body, serde_json::to_value(fields)) {
        body.extend(fields);
    }
}

fn parse_answer<T: serde::de::DeserializeOwned>(call: &'static str, text: &str) -> Result<T, ClientError> {
    serde_json::from_str(text).map_err(|e| ClientError::InvalidAnswer { call, reason: e.to_string() })
}

fn status_error(call: &'static str, scope: Scope, status: u16, body: &str) -> ClientError {
    let detail = problem_detail(body);
    match status {
        401 => ClientError::UnknownRunner,
        404 | 409 if scope == Scope::Job => ClientError::JobGone { status },
        500.. => ClientError::Server { call, status, detail },
        _ => ClientError::Refused { call, status, detail },
    }
}

/// The `detail` (or `title`) of a problem document, else the start of the body.
pub fn problem_detail(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let field = |name: &str| parsed.as_ref()?.get(name)?.as_str().map(str::to_owned);
    field("detail").or_else(|| field("title")).unwrap_or_else(|| body.chars().take(300).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_what_the_runner_does_next() {
        assert!(matches!(status_error("request", Scope::Runner, 401, ""), ClientError::UnknownRunner));
        assert!(matches!(status_error("update", Scope::Job, 409, ""), ClientError::JobGone { status: 409 }));
        assert!(matches!(status_error("update", Scope::Job, 404, ""), ClientError::JobGone { status: 404 }));
        assert!(matches!(status_error("register", Scope::Runner, 404, ""), ClientError::Refused { .. }));
        let server = status_error("request", Scope::Runner, 503, "");
        assert!(server.is_retryable());
        let refused =
            status_error("register", Scope::Runner, 400, r#"{"status":400,"detail":"unknown token"}"#);
        assert_eq!(refused.to_string(), "the instance refused register (400): unknown token");
        assert!(!refused.is_retryable());
    }

    #[test]
    fn updates_leave_absent_fields_out() {
        let auth = JobAuth { job_uuid: "j".into(), runner_token: "r".into(), job_token: "t".into() };
        let mut body = auth.tokens_body();
        merge(&mut body, &JobUpdate { progress: Some(42), ..JobUpdate::default() });
        assert_eq!(body, serde_json::json!({"runnerToken": "r", "jobToken": "t", "progress": 42}));
        assert!(!format!("{auth:?}").contains("\"r\""), "tokens stay out of logs");
    }
}
