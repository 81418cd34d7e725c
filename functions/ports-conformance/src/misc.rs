//! The small ports: [`Clock`] (plausible, never going back within a run), [`RateLimiter`]
//! (fixed-window counts per key, window ends, refunds of the current window only),
//! [`ViewCounter`] (one count per viewer per window) and [`JobQueue`] (a message is accepted,
//! also with a delay; delivery itself is the consumer's to observe).
//!
//! Times are passed to the limiter and the counter explicitly, so windows are crossed without
//! waiting. Both may forget counts (the lenient direction), but not within one run's
//! milliseconds, so the checks hold them to their exact counts.

use edgetube_ports::{
    Clock, JobQueue, ObjectCreated, QueueMessage, RateDecision, RateLimiter, RunnerSignal, ViewCounter,
};

use crate::{ensure, Failure, Report, Run};

/// 2020-01-01T00:00:00Z and 2100-01-01T00:00:00Z, in milliseconds.
const PLAUSIBLE: std::ops::Range<i64> = 1_577_836_800_000..4_102_444_800_000;

/// Runs the clock check.
pub fn check_clock(clock: &dyn Clock, run: &Run) -> Report {
    let mut report = Report::new(run);
    let first = clock.now_millis();
    let second = clock.now_millis();
    let outcome = if !PLAUSIBLE.contains(&first) {
        Err(Failure(format!("now_millis() = {first} is not between 2020 and 2100")))
    } else if second < first {
        Err(Failure(format!("the clock went back from {first} to {second}")))
    } else {
        Ok(())
    };
    report.add("clock.milliseconds_since_epoch", outcome);
    report
}

/// Runs every rate-limiter check.
pub async fn check_rate_limiter(limiter: &dyn RateLimiter, clock: &dyn Clock, run: &Run) -> Report {
    let mut report = Report::new(run);
    let now = clock.now_millis();
    report.add("rate_limiter.fixed_window_counts", fixed_window(limiter, run, now).await);
    report.add("rate_limiter.refund_gives_back_a_hit", refund(limiter, run, now).await);
    report
}

async fn fixed_window(limiter: &dyn RateLimiter, run: &Run, now: i64) -> Result<(), Failure> {
    let key = run.key("rate/window");
    let mut decisions = Vec::new();
    for i in 0..4 {
        decisions.push(limiter.hit(&key, 3, 60, now + i).await?);
    }
    let seen: Vec<(bool, u32)> = decisions.iter().map(|d| (d.allowed, d.remaining)).collect();
    ensure!(
        seen == [(true, 2), (true, 1), (true, 0), (false, 0)],
        "3 per 60 s, 4 hits: (allowed, remaining) {seen:?}"
    );
    ensure!(
        decisions.iter().all(|d| d.limit == 3 && d.reset_at_millis == now + 60_000),
        "limit or window end wrong: {decisions:?}"
    );
    let other = limiter.hit(&run.key("rate/other"), 3, 60, now + 5).await?;
    ensure!(other.allowed && other.remaining == 2, "another key shares the count: {other:?}");
    let next = limiter.hit(&key, 3, 60, now + 60_000).await?;
    let expected = RateDecision { allowed: true, limit: 3, remaining: 2, reset_at_millis: now + 120_000 };
    ensure!(next == expected, "the next window's first hit gave {next:?}, not {expected:?}");
    Ok(())
}

async fn refund(limiter: &dyn RateLimiter, run: &Run, now: i64) -> Result<(), Failure> {
    let key = run.key("rate/refund");
    let first = limiter.hit(&key, 2, 60, now).await?;
    limiter.refund(&key, 60, &first).await?;
    let allowed: Vec<bool> = [
        limiter.hit(&key, 2, 60, now + 1).await?,
        limiter.hit(&key, 2, 60, now + 2).await?,
        limiter.hit(&key, 2, 60, now + 3).await?,
    ]
    .iter()
    .map(|d| d.allowed)
    .collect();
    ensure!(allowed == [true, true, false], "2 per 60 s after a refunded hit: {allowed:?}");
    // A refund for an ended window leaves the current one alone. (Two windows on: a window
    // refunded to nothing may restart at its next hit.)
    let current = limiter.hit(&key, 2, 60, now + 120_000).await?;
    limiter.refund(&key, 60, &first).await?;
    let after = limiter.hit(&key, 2, 60, now + 120_001).await?;
    ensure!(
        current.allowed && after.allowed && after.remaining == 0,
        "an old refund changed the new window: {after:?}"
    );
    let refused = limiter.hit(&key, 2, 60, now + 120_002).await?;
    ensure!(!refused.allowed, "an old refund was taken from the new window: {refused:?}");
    // Refunding a key never hit is fine.
    limiter.refund(&run.key("rate/never"), 60, &first).await?;
    Ok(())
}

/// Runs the view-counter check.
pub async fn check_views(
    views: &dyn ViewCounter,
    crypto: &dyn edgetube_ports::Crypto,
    clock: &dyn Clock,
    run: &Run,
) -> Report {
    let mut report = Report::new(run);
    report.add("views.once_per_viewer_per_window", once_per_viewer(views, crypto, clock, run).await);
    report
}

async fn once_per_viewer(
    views: &dyn ViewCounter,
    crypto: &dyn edgetube_ports::Crypto,
    clock: &dyn Clock,
    run: &Run,
) -> Result<(), Failure> {
    // A video id no instance has (above any row id, below 2^53), fresh for each run.
    let random = crypto.random_bytes(4)?;
    let video_id = (1i64 << 52) + i64::from(u32::from_be_bytes([random[0], random[1], random[2], random[3]]));
    let now = clock.now_millis();
    let (a, b) = (run.key("viewer-a"), run.key("viewer-b"));
    let counted = [
        views.record(video_id, &a, 3600, now).await?,
        views.record(video_id, &a, 3600, now + 1_000).await?,
        views.record(video_id, &b, 3600, now + 2_000).await?,
        views.record(video_id, &a, 3600, now + 3_600_000).await?,
    ];
    ensure!(counted == [true, false, true, true], "a, a again, b, a an hour later counted {counted:?}");
    Ok(())
}

/// Runs the queue check.
pub async fn check_queue(queue: &dyn JobQueue, run: &Run) -> Report {
    let mut report = Report::new(run);
    report.add("queue.send_accepts_messages", send(queue, run).await);
    report
}

async fn send(queue: &dyn JobQueue, run: &Run) -> Result<(), Failure> {
    // Not under `uploads/`, so a consumer drops it.
    let message = QueueMessage::ObjectCreated(ObjectCreated {
        key: run.key("queue/not-an-upload"),
        size: 0,
        etag: "conformance".into(),
    });
    queue.send(&message, None).await?;
    queue.send(&message, Some(1)).await?;
    Ok(())
}

/// Runs the runner-signal check.
pub async fn check_runner_signal(signal: &dyn RunnerSignal, run: &Run) -> Report {
    let mut report = Report::new(run);
    report.add("runner_signal.signals_without_waiters", signal_without_waiters(signal).await);
    report
}

async fn signal_without_waiters(signal: &dyn RunnerSignal) -> Result<(), Failure> {
    // Nobody need be waiting: the core signals after every new job, and twice is as good as once.
    signal.jobs_available().await?;
    signal.jobs_available().await?;
    Ok(())
}
