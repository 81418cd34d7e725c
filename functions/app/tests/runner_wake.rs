//! Runners that wait instead of polling: the wait route lets only known runners through to the
//! platform's waiting room (unknown tokens get a problem document, never an upgrade), a platform
//! without one answers 501 so runners poll, and every way a job becomes pending signals the
//! runners once, without a failed signal failing anything.

#![allow(clippy::unwrap_used)]

mod support;

use bytes::Bytes;
use edgetube_api::RunnerWait;
use edgetube_domain::videos::NewVideo;
use edgetube_media::runner_jobs::{self, EventOutcome};
use edgetube_native::MemoryRunnerSignal;
use edgetube_ports::{Backlog, ObjectCreated, Ports};
use http::Request;
use serde_json::{json, Value};
use support::{json_body, Fixture};

const REGISTRATION: &str = "ptrrt-wake-registration-token";

fn fixture() -> Fixture {
    Fixture::with_vars(&[
        ("SIGNUP_OPEN", "true"),
        ("RUNNER_REGISTRATION_TOKEN", REGISTRATION),
        ("RUNNER_JOB_STALE_SECONDS", "30"),
        ("RUNNER_JOB_MAX_FAILURES", "5"),
    ])
}

/// Registers a runner; its id and token.
fn register(f: &Fixture) -> (i64, String) {
    let (status, body) = f.json(
        "POST",
        "/api/v1/runners/register",
        None,
        json!({"registrationToken": REGISTRATION, "name": "waiter"}),
    );
    assert_eq!(status, 200, "{body}");
    (body["id"].as_i64().unwrap(), body["runnerToken"].as_str().unwrap().to_owned())
}

/// `GET /api/v1/runners/jobs/wait` as a WebSocket handshake (when `upgrade`) with `token`.
fn wait_request(token: Option<&str>, upgrade: bool) -> Request<Bytes> {
    let mut request = Request::get("/api/v1/runners/jobs/wait");
    if let Some(token) = token {
        request = request.header("x-runner-token", token);
    }
    if upgrade {
        request = request
            .header("connection", "Upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
    }
    request.body(Bytes::new()).unwrap()
}

#[test]
fn unknown_runners_are_refused_with_a_problem_before_any_upgrade() {
    let f = fixture();
    for token in [None, Some("ptrt-00000000-0000-0000-0000-000000000000")] {
        let response = f.handle(wait_request(token, true));
        assert_eq!(response.status(), 401, "{token:?}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/problem+json"));
        assert_eq!(json_body(&response)["detail"], "Unknown runner token");
        assert!(response.extensions().get::<RunnerWait>().is_none(), "no hand-over for {token:?}");
    }
}

#[test]
fn a_known_runner_is_handed_to_the_platforms_waiting_room() {
    let f = fixture();
    let (id, token) = register(&f);
    let response = f.handle(wait_request(Some(&token), true));
    assert_eq!(
        response.extensions().get::<RunnerWait>(),
        Some(&RunnerWait { runner_id: id, job_stale_after_ms: 30_000 })
    );
    // What a platform that ignores the cue sends: the runner reads it as "poll".
    assert_eq!(response.status(), 501);

    let plain = f.handle(wait_request(Some(&token), false));
    assert_eq!(plain.status(), 426);
    assert_eq!(plain.headers()["upgrade"], "websocket");
    assert!(plain.extensions().get::<RunnerWait>().is_none());
}

#[test]
fn a_platform_without_a_waiting_room_answers_501_so_runners_poll() {
    let f = fixture();
    let (_, token) = register(&f);
    let poll_only = MemoryRunnerSignal::poll_only();
    let ports = Ports { runner_signal: &poll_only, ..f.ports.ports() };
    let response = f.handle_on(&ports, wait_request(Some(&token), true));
    assert_eq!(response.status(), 501);
    assert_eq!(json_body(&response)["code"], "runner_wait_unavailable");
    assert!(response.extensions().get::<RunnerWait>().is_none());
    // The unknown token is still refused first.
    assert_eq!(f.handle_on(&ports, wait_request(Some("ptrt-nobody"), true)).status(), 401);
}

/// `POST /api/v1/runners/jobs/request`, with `query` after the path; status and body.
fn request_jobs_on(f: &Fixture, ports: &Ports<'_>, token: &str, query: &str) -> (u16, Value) {
    let request = Request::post(format!("/api/v1/runners/jobs/request{query}"))
        .header("content-type", "application/json")
        .body(Bytes::from(json!({"runnerToken": token}).to_string()))
        .unwrap();
    let response = f.handle_on(ports, request);
    (response.status().as_u16(), json_body(&response))
}

#[test]
fn where_requests_may_be_held_an_idle_runners_request_waits_for_a_job() {
    let f = fixture();
    let (_, token) = register(&f);
    let held = MemoryRunnerSignal::holding_requests();
    let ports = Ports { runner_signal: &held, ..f.ports.ports() };

    // Nothing to do: the request looks again every half second for the 3 s asked (the fixture's
    // clock stands still, and the steps still end the wait).
    let (status, body) = request_jobs_on(&f, &ports, &token, "?waitSeconds=3");
    assert_eq!((status, body["availableJobs"].as_array().map(Vec::len)), (200, Some(0)), "{body}");
    assert_eq!(held.pauses(), 6);
    // Capped at 45 s, whatever is asked.
    request_jobs_on(&f, &ports, &token, "?waitSeconds=3600");
    assert_eq!(held.pauses(), 6 + 90);
    // Without the parameter, at once, as PeerTube answers.
    request_jobs_on(&f, &ports, &token, "");
    assert_eq!(held.pauses(), 96);
    let (status, body) = request_jobs_on(&f, &ports, &token, "?waitSeconds=soon");
    assert_eq!(status, 400, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("waitSeconds"), "{body}");

    // A job waiting: answered at once with it.
    let event = original(&f, "alice");
    assert!(matches!(storage_event(&f, &event), EventOutcome::Created(_)));
    let (status, body) = request_jobs_on(&f, &ports, &token, "?waitSeconds=45");
    assert_eq!((status, body["availableJobs"].as_array().map(Vec::len)), (200, Some(1)), "{body}");
    assert_eq!(held.pauses(), 96, "no pause with a job to offer");

    // A platform that does not hold requests answers at once even when asked to wait.
    let (status, body) = request_jobs_on(&f, &f.ports.ports(), &token, "?waitSeconds=45");
    assert_eq!((status, body["availableJobs"].as_array().map(Vec::len)), (200, Some(1)), "{body}");
    let poll_only = MemoryRunnerSignal::poll_only();
    let ports = Ports { runner_signal: &poll_only, ..f.ports.ports() };
    request_jobs_on(&f, &ports, &token, "?waitSeconds=45");
    assert_eq!(poll_only.pauses(), 0);
}

/// A stored original for a new video; the event its storage would send.
fn original(f: &Fixture, name: &str) -> ObjectCreated {
    let token = f.user(name);
    let key = format!("uploads/{name}/source");
    let mut new = NewVideo::new(f.channel_of(&token), name);
    new.original_key = Some(key.clone());
    f.video(new);
    let meta = f.block(f.ports.ports().objects.put(&key, Bytes::from_static(b"original"), None)).unwrap();
    ObjectCreated::from_meta(&meta)
}

fn storage_event(f: &Fixture, event: &ObjectCreated) -> EventOutcome {
    f.block(runner_jobs::on_storage_event(&f.ports.ports(), f.app.config(), event)).unwrap()
}

/// Calls `/api/v1/runners/jobs/{job}/{call}` as the runner; the status.
fn runner_call(f: &Fixture, token: &str, job: &str, call: &str, mut body: Value) -> u16 {
    body["runnerToken"] = json!(token);
    let (status, answer) = f.json("POST", &format!("/api/v1/runners/jobs/{job}/{call}"), None, body);
    assert!(status < 300, "{call}: {status} {answer}");
    status
}

fn accept(f: &Fixture, token: &str, job: &str) -> String {
    let (status, body) =
        f.json("POST", &format!("/api/v1/runners/jobs/{job}/accept"), None, json!({"runnerToken": token}));
    assert_eq!(status, 200, "{body}");
    body["job"]["jobToken"].as_str().unwrap().to_owned()
}

#[test]
fn every_way_a_job_becomes_pending_wakes_the_runners_once() {
    let f = fixture();
    let (_, token) = register(&f);
    let signals = || f.ports.runner_signal.signals();

    let event = original(&f, "alice");
    let EventOutcome::Created(job) = storage_event(&f, &event) else { panic!("a job is made") };
    assert_eq!(signals(), 1, "a new job");
    assert_eq!(storage_event(&f, &event), EventOutcome::Duplicate);
    assert_eq!(signals(), 1, "the same event again makes no job and wakes no one");
    let elsewhere = ObjectCreated { key: "hls/x/y.m3u8".into(), ..event.clone() };
    assert!(matches!(storage_event(&f, &elsewhere), EventOutcome::Ignored(_)));
    assert_eq!(signals(), 1);

    let job_token = accept(&f, &token, &job);
    assert_eq!(signals(), 1, "accepting takes a job, it makes none");
    runner_call(&f, &token, &job, "error", json!({"jobToken": job_token, "message": "ffmpeg died"}));
    assert_eq!(signals(), 2, "a failed attempt is pending again");

    let job_token = accept(&f, &token, &job);
    runner_call(&f, &token, &job, "abort", json!({"jobToken": job_token, "reason": "shutting down"}));
    assert_eq!(signals(), 3, "an aborted job is pending again");

    accept(&f, &token, &job);
    f.block(f.app.run_housekeeping(&f.ports.ports())).unwrap();
    assert_eq!(signals(), 3, "nothing released while the runner is heard from");
    f.ports.clock.advance(31_000);
    let done = f.block(f.app.run_housekeeping(&f.ports.ports())).unwrap();
    assert_eq!(done.released_jobs, 1);
    assert_eq!(signals(), 4, "a job released from a quiet runner is pending again");
}

#[test]
fn a_failed_signal_leaves_the_job_pending_for_the_next_runner_that_asks() {
    let f = fixture();
    let (_, token) = register(&f);
    f.ports.runner_signal.set_failing(true);
    let event = original(&f, "bob");
    let EventOutcome::Created(job) = storage_event(&f, &event) else { panic!("a job is made") };
    assert_eq!(f.ports.runner_signal.signals(), 0);
    let (status, body) = f.json("POST", "/api/v1/runners/jobs/request", None, json!({"runnerToken": token}));
    assert_eq!(status, 200);
    assert_eq!(body["availableJobs"][0]["uuid"], json!(job));
}

/// Where the binding starts runners on demand, each hint carries the backlog behind it (jobs
/// waiting, jobs held), so the platform can start one runner per job up to its maximum; the
/// housekeeping repeats the hint while jobs still wait (a runner may have exited for idleness
/// just as one was made), and says nothing once none does.
#[test]
fn runners_started_on_demand_are_told_the_backlog() {
    let f = fixture();
    let (_, token) = register(&f);
    let fleet = MemoryRunnerSignal::starting_runners();
    let ports = Ports { runner_signal: &fleet, ..f.ports.ports() };
    let on_event = |event: &ObjectCreated| {
        f.block(runner_jobs::on_storage_event(&ports, f.app.config(), event)).unwrap()
    };
    let EventOutcome::Created(first) = on_event(&original(&f, "carol")) else { panic!("a job is made") };
    assert_eq!(fleet.backlogs(), vec![Backlog { pending: 1, processing: 0 }]);
    accept(&f, &token, &first);
    assert!(matches!(on_event(&original(&f, "dave")), EventOutcome::Created(_)));
    assert!(matches!(on_event(&original(&f, "erin")), EventOutcome::Created(_)));
    assert_eq!(
        fleet.backlogs()[1..],
        [Backlog { pending: 1, processing: 1 }, Backlog { pending: 2, processing: 1 }]
    );
    f.block(f.app.run_housekeeping(&ports)).unwrap();
    assert_eq!(fleet.backlogs().last(), Some(&Backlog { pending: 2, processing: 1 }), "jobs still wait");
    assert_eq!(fleet.backlogs().len(), 4);

    // A binding that starts no runners is never told (and the housekeeping counts nothing for it).
    let before = f.ports.runner_signal.signals();
    f.block(f.app.run_housekeeping(&f.ports.ports())).unwrap();
    assert_eq!(f.ports.runner_signal.signals(), before);
}
