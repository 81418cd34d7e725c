//! The idle runner against the fake instance's wait route: it waits on the socket and asks for
//! jobs on a signal, at connect and after the safety interval; it reopens a dropped or silent
//! socket; it polls an instance without the route (404, 426, 501) and retries with backoff
//! one whose route fails; and a whole `run` makes a handful of requests while idle, then
//! accepts a signalled job at once.

mod support;

use std::time::{Duration, Instant};

use support::fake_instance::{FakeInstance, WaitRoute, REGISTRATION_TOKEN};
use tokio::sync::watch;
use transcode_runner::instance_client::InstanceClient;
use transcode_runner::job_runner::{run, RunnerConfig};
use transcode_runner::progress_display::ProgressDisplay;
use transcode_runner::transcode_local::Tools;
use transcode_runner::transfer::TransferSettings;
use transcode_runner::wake::{Waiter, Wake, WakeSettings};

const TOKEN: &str = "ptrt-waiting";

/// Short intervals, so each test takes a second or two.
fn settings() -> WakeSettings {
    WakeSettings {
        use_socket: true,
        poll_interval: Duration::from_millis(50),
        long_poll: Duration::from_secs(45),
        safety_poll: Duration::from_secs(30),
        ping_interval: Duration::from_secs(30),
        max_reconnect_backoff: Duration::from_millis(200),
    }
}

async fn fake_with(route: WaitRoute) -> FakeInstance {
    let fake = FakeInstance::start().await;
    let mut world = fake.world();
    world.wait = route;
    world.runner_tokens.push(TOKEN.into());
    drop(world);
    fake
}

fn waiter(fake: &FakeInstance, settings: WakeSettings) -> Waiter {
    let client = InstanceClient::new(&fake.origin()).expect("client");
    Waiter::new(&client, settings).expect("waiter")
}

/// `waiter.next` within `limit`, or the test fails.
async fn next_within(waiter: &mut Waiter, token: &str, limit: Duration) -> Wake {
    tokio::time::timeout(limit, waiter.next(token)).await.expect("the waiter answered in time")
}

#[tokio::test]
async fn a_signal_wakes_the_waiting_runner() {
    let fake = fake_with(WaitRoute::Socket).await;
    let mut waiter = waiter(&fake, settings());
    assert_eq!(next_within(&mut waiter, TOKEN, Duration::from_secs(5)).await, Wake::Connected);
    assert!(waiter.connected());
    let signal_at = Instant::now() + Duration::from_millis(200);
    let signaller = async {
        tokio::time::sleep_until(signal_at.into()).await;
        fake.signal();
    };
    let (wake, ()) = tokio::join!(next_within(&mut waiter, TOKEN, Duration::from_secs(5)), signaller);
    assert_eq!(wake, Wake::Signal);
    assert!(
        signal_at.elapsed() < Duration::from_millis(500),
        "woken {:?} after the signal",
        signal_at.elapsed()
    );
    assert_eq!(fake.world().sockets_opened, 1);
}

#[tokio::test]
async fn a_quiet_socket_still_asks_after_the_safety_interval() {
    let fake = fake_with(WaitRoute::Socket).await;
    let mut waiter = waiter(&fake, WakeSettings { safety_poll: Duration::from_millis(400), ..settings() });
    assert_eq!(next_within(&mut waiter, TOKEN, Duration::from_secs(5)).await, Wake::Connected);
    let started = Instant::now();
    assert_eq!(next_within(&mut waiter, TOKEN, Duration::from_secs(5)).await, Wake::SafetyPoll);
    assert!(started.elapsed() >= Duration::from_millis(350), "too early: {:?}", started.elapsed());
    assert_eq!(fake.world().sockets_opened, 1, "the socket stays open across safety polls");
}

#[tokio::test]
async fn a_dropped_socket_is_reopened_and_the_runner_asks_again() {
    let fake = fake_with(WaitRoute::Socket).await;
    let mut waiter = waiter(&fake, settings());
    assert_eq!(next_within(&mut waiter, TOKEN, Duration::from_secs(5)).await, Wake::Connected);
    let dropper = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        fake.drop_sockets();
    };
    let (wake, ()) = tokio::join!(next_within(&mut waiter, TOKEN, Duration::from_secs(5)), dropper);
    assert_eq!(wake, Wake::Connected);
    assert_eq!(fake.world().sockets_opened, 2);
}

#[tokio::test]
async fn a_socket_whose_pings_go_unanswered_is_given_up() {
    let fake = fake_with(WaitRoute::Socket).await;
    fake.world().answer_pings = false;
    let mut waiter = waiter(&fake, WakeSettings { ping_interval: Duration::from_millis(100), ..settings() });
    assert_eq!(next_within(&mut waiter, TOKEN, Duration::from_secs(5)).await, Wake::Connected);
    assert_eq!(next_within(&mut waiter, TOKEN, Duration::from_secs(5)).await, Wake::Connected);
    let world = fake.world();
    assert_eq!(world.sockets_opened, 2);
    assert!(world.pings >= 1);
}

#[tokio::test]
async fn answered_pings_keep_the_socket() {
    let fake = fake_with(WaitRoute::Socket).await;
    let mut waiter = waiter(
        &fake,
        WakeSettings {
            ping_interval: Duration::from_millis(50),
            safety_poll: Duration::from_millis(600),
            ..settings()
        },
    );
    assert_eq!(next_within(&mut waiter, TOKEN, Duration::from_secs(5)).await, Wake::Connected);
    assert_eq!(next_within(&mut waiter, TOKEN, Duration::from_secs(5)).await, Wake::SafetyPoll);
    let world = fake.world();
    assert_eq!(world.sockets_opened, 1);
    assert!(world.pings >= 5, "only {} pings in 600 ms", world.pings);
}

#[tokio::test]
async fn an_instance_without_the_wait_route_is_polled() {
    for route in [WaitRoute::Absent, WaitRoute::Refuse(426), WaitRoute::Refuse(501)] {
        let fake = fake_with(route).await;
        let mut waiter =
            waiter(&fake, WakeSettings { poll_interval: Duration::from_millis(100), ..settings() });
        let started = Instant::now();
        for _ in 0..3 {
            assert_eq!(
                next_within(&mut waiter, TOKEN, Duration::from_secs(5)).await,
                Wake::Poll,
                "{route:?}"
            );
        }
        assert!(started.elapsed() >= Duration::from_millis(300), "{route:?}: polled too fast");
        assert!(!waiter.connected());
        // Asked once, then left alone (probed again only after an hour).
        assert_eq!(fake.world().wait_requests, 1, "{route:?}");
    }
}

#[tokio::test]
async fn a_failing_wait_route_is_retried_with_backoff_and_the_runner_asks_meanwhile() {
    let fake = fake_with(WaitRoute::Refuse(503)).await;
    let mut waiter = waiter(&fake, settings());
    let started = Instant::now();
    for _ in 0..4 {
        assert_eq!(next_within(&mut waiter, TOKEN, Duration::from_secs(5)).await, Wake::Retry);
    }
    // Backoff before attempts 2, 3 and 4: 1 s capped at 200 ms by the settings, three times.
    assert!(started.elapsed() >= Duration::from_millis(550), "no backoff: {:?}", started.elapsed());
    fake.world().wait = WaitRoute::Socket;
    assert_eq!(next_within(&mut waiter, TOKEN, Duration::from_secs(5)).await, Wake::Connected);
}

#[tokio::test]
async fn an_unknown_runner_token_is_refused_before_the_upgrade() {
    let fake = fake_with(WaitRoute::Socket).await;
    let client = reqwest::Client::new();
    let error = transcode_runner::wake::open(&client, &fake.origin(), "ptrt-unknown").await.err();
    assert!(
        matches!(error, Some(transcode_runner::wake::WaitError::UnknownRunner)),
        "refused as unknown: {error:?}"
    );
    assert_eq!(fake.world().sockets_opened, 0);
}

fn runner_config(fake: &FakeInstance, root: &std::path::Path, wake: WakeSettings) -> RunnerConfig {
    RunnerConfig {
        url: fake.origin(),
        registration_token: Some(REGISTRATION_TOKEN.into()),
        name: "idle-runner".into(),
        state_dir: root.join("state"),
        work_dir: root.join("work"),
        wake,
        heartbeat: Duration::from_millis(200),
        transfer: TransferSettings {
            chunk_size: 256 * 1024,
            max_attempts: 2,
            first_backoff: Duration::from_millis(10),
        },
        threads: None,
        lowest_first: true,
        tools: Tools { ffmpeg: "ffmpeg".into(), ffprobe: "ffprobe".into() },
        once: true,
        exit_when_idle: None,
    }
}

/// The acceptance in small: while idle on the socket the runner asks only at connect and at
/// the safety interval (polling at its 50 ms would ask about 40 times in 2 s), and a job
/// signalled afterwards is accepted at once.
#[tokio::test]
async fn an_idle_runner_on_the_socket_asks_rarely_and_takes_a_signalled_job_at_once() {
    let fake = FakeInstance::start().await;
    fake.world().wait = WaitRoute::Socket;
    let root = tempfile::tempdir().expect("tempdir");
    let config =
        runner_config(&fake, root.path(), WakeSettings { safety_poll: Duration::from_secs(1), ..settings() });
    let (stop, shutdown) = watch::channel(None);
    let runner = tokio::spawn(async move { run(&config, ProgressDisplay::Logs, shutdown).await });

    tokio::time::sleep(Duration::from_secs(2)).await;
    let asked_while_idle = fake.world().job_requests;
    // Once at connect, then once per safety interval (1 s): 2 or 3 depending on timing.
    assert!((1..=3).contains(&asked_while_idle), "asked {asked_while_idle} times in 2 s idle");
    assert_eq!(fake.world().sockets_opened, 1);

    // Not a video: the job fails once accepted, which is all this test needs.
    fake.add_job(b"not a video".to_vec(), &[240], false);
    let signalled = Instant::now();
    fake.signal();
    let outcome =
        tokio::time::timeout(Duration::from_secs(30), runner).await.expect("the job ended").expect("joins");
    assert!(outcome.is_err(), "the bogus job fails: {outcome:?}");
    let accepted = fake.world().accepted_at.expect("the job was accepted");
    let latency = accepted.duration_since(signalled);
    assert!(latency < Duration::from_millis(500), "accepted {latency:?} after the signal");
    drop(stop);
}

/// What a fake instance saw of a whole `run` with `wake` during one second: requests for jobs,
/// the holds those asked for, requests for the wait socket. The runner is stopped after.
async fn one_second_of_run(fake: &FakeInstance, wake: WakeSettings) -> (usize, Vec<u64>, usize) {
    let root = tempfile::tempdir().expect("tempdir");
    let config = runner_config(fake, root.path(), wake);
    let (stop, shutdown) = watch::channel(None);
    let runner = tokio::spawn(async move { run(&config, ProgressDisplay::Logs, shutdown).await });
    tokio::time::sleep(Duration::from_secs(1)).await;
    let seen = {
        let world = fake.world();
        (world.job_requests, world.held_requests.clone(), world.wait_requests)
    };
    stop.send(Some("test over".into())).expect("runner listens");
    tokio::time::timeout(Duration::from_secs(5), runner)
        .await
        .expect("stops")
        .expect("joins")
        .expect("clean stop");
    seen
}

/// Without the wait route (Spin answers 501) a whole `run` asks with long polls: each request
/// after the refusal asks to be held 45 s. An instance that answers at once anyway (this fake,
/// PeerTube) is still asked no more often than every poll interval.
#[tokio::test]
async fn without_the_wait_route_the_runner_asks_with_long_polls() {
    let fake = FakeInstance::start().await;
    fake.world().wait = WaitRoute::Refuse(501);
    let wake = WakeSettings { poll_interval: Duration::from_millis(100), ..settings() };
    let (asked, held, waits) = one_second_of_run(&fake, wake).await;
    assert_eq!(waits, 1, "the socket was asked for once");
    assert!(held.len() >= 5 && held.iter().all(|&s| s == 45), "held requests: {held:?}");
    assert_eq!(asked, held.len() + 1, "only the first request, before the refusal, was plain");
    assert!(asked <= 12, "{asked} requests in 1 s at a 100 ms interval");
}

/// With `--wait false` the runner polls, as before the socket existed.
#[tokio::test]
async fn with_the_socket_turned_off_the_runner_polls() {
    let fake = FakeInstance::start().await;
    fake.world().wait = WaitRoute::Socket;
    let (asked, held, waits) =
        one_second_of_run(&fake, WakeSettings { use_socket: false, ..settings() }).await;
    assert!(asked >= 10, "polled only {asked} times in 1 s at 50 ms");
    assert_eq!(waits, 0);
    assert!(held.is_empty(), "--wait false asks for no long poll");
}

/// `--exit-when-idle`: a runner with nothing to do returns (success) once the idle time has
/// passed, on the socket and polling alike, asking once more at the deadline; a job taken
/// meanwhile restarts the idle time (the job here fails at once, and the runner stays on
/// for another full idle time after it).
#[tokio::test]
async fn an_idle_runner_exits_after_its_idle_time() {
    for use_socket in [true, false] {
        let fake = FakeInstance::start().await;
        fake.world().wait = WaitRoute::Socket;
        let root = tempfile::tempdir().expect("tempdir");
        let mut config = runner_config(&fake, root.path(), WakeSettings { use_socket, ..settings() });
        config.once = false;
        config.exit_when_idle = Some(Duration::from_millis(800));
        let (_stop, shutdown) = watch::channel(None);
        let started = Instant::now();
        let runner = tokio::spawn(async move { run(&config, ProgressDisplay::Logs, shutdown).await });
        tokio::time::sleep(Duration::from_millis(300)).await;
        fake.add_job(b"not a video".to_vec(), &[240], false);
        fake.signal();
        let outcome = tokio::time::timeout(Duration::from_secs(20), runner)
            .await
            .expect("the runner exits")
            .expect("joins");
        let lived = started.elapsed();
        assert!(outcome.is_ok(), "an idle exit is a success: {outcome:?}");
        let accepted = fake.world().accepted_at.expect("the job made meanwhile was taken");
        let after_job = Instant::now().duration_since(accepted);
        assert!(
            after_job >= Duration::from_millis(800),
            "exited {after_job:?} after its job (socket: {use_socket})"
        );
        assert!(lived < Duration::from_secs(10), "lived {lived:?} (socket: {use_socket})");
    }
}
