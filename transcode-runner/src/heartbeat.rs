//! Keeping the instance told that a job is alive, and how far along it is.
//!
//! A job that goes without an `update` for a while is handed to another runner, and a long
//! ffmpeg run says nothing by itself, so [`heartbeat`] runs beside the work and reports the
//! shared [`JobStatus`] at a fixed interval. It is also how the runner learns that the job was
//! taken away: its future ends only then, and the caller drops the work.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::MissedTickBehavior;

use crate::instance_client::{ClientError, InstanceClient, JobAuth, JobUpdate, VideoFacts};
use crate::progress_display::JobProgressView;

/// What the work has reached; written by the work, read by the heartbeat.
#[derive(Debug)]
pub struct JobStatus {
    inner: Mutex<Inner>,
    /// Asks the heartbeat to report now rather than at its next tick.
    wake: Notify,
}

#[derive(Debug)]
struct Inner {
    progress: u8,
    video: Option<VideoFacts>,
    video_delivered: bool,
    /// `success` is on its way: a beat now could reach the instance after it and be refused.
    finishing: bool,
    view: JobProgressView,
}

impl JobStatus {
    pub fn new(view: JobProgressView) -> Self {
        JobStatus {
            inner: Mutex::new(Inner {
                progress: 0,
                video: None,
                video_delivered: false,
                finishing: false,
                view,
            }),
            wake: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The data stays meaningful if a panicking thread held the lock: keep going.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn step(&self, step: &str) {
        self.lock().view.step(step);
    }

    /// Raises the progress to `percent` (0–100); it never goes back.
    pub fn advance(&self, percent: u8) {
        let mut inner = self.lock();
        inner.progress = inner.progress.max(percent.min(100));
        let progress = inner.progress;
        inner.view.progress(progress);
    }

    pub fn progress(&self) -> u8 {
        self.lock().progress
    }

    /// Records the video's duration and aspect ratio and has the heartbeat send them right away.
    pub fn set_video(&self, video: VideoFacts) {
        let mut inner = self.lock();
        inner.video = Some(video);
        inner.video_delivered = false;
        drop(inner);
        self.wake.notify_one();
    }

    /// Stops the beats: called right before `success`, after which the job is no longer processing.
    pub fn finishing(&self) {
        self.lock().finishing = true;
    }

    fn is_finishing(&self) -> bool {
        self.lock().finishing
    }

    pub fn video(&self) -> Option<VideoFacts> {
        self.lock().video
    }

    /// The next heartbeat: the progress, and the video facts until the instance has them.
    fn next_update(&self) -> JobUpdate {
        let inner = self.lock();
        JobUpdate {
            progress: Some(inner.progress),
            video: inner.video.filter(|_| !inner.video_delivered),
            rendition: None,
        }
    }

    fn delivered(&self, video: VideoFacts) {
        let mut inner = self.lock();
        if inner.video == Some(video) {
            inner.video_delivered = true;
        }
    }
}

/// Sends `update`s at least every `every` until the instance says the job is no longer this
/// runner's, and returns that answer (never once [`JobStatus::finishing`] was called). Other failures are logged and the beat goes on: the
/// instance tolerates a few missed beats, and the work should not die of a network blip.
pub async fn heartbeat(
    client: &InstanceClient,
    auth: &JobAuth,
    status: &JobStatus,
    every: Duration,
) -> ClientError {
    // The first beat waits a period: the instance was just told by `accept`, and by then the
    // first update usually carries the probed video facts.
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = status.wake.notified() => {}
        }
        if status.is_finishing() {
            return std::future::pending().await;
        }
        let update = status.next_update();
        match client.update(auth, &update).await {
            Ok(()) => {
                if let Some(video) = update.video {
                    status.delivered(video);
                }
            }
            // A beat that crossed `success` is refused because the job is done, not given away.
            Err(error) if error.ends_the_job() && status.is_finishing() => {
                tracing::debug!(job = %auth.job_uuid, %error, "a last beat crossed success");
                return std::future::pending().await;
            }
            Err(error) if error.ends_the_job() => return error,
            Err(error) => {
                tracing::warn!(job = %auth.job_uuid, error = %crate::error_chain(&error), "heartbeat failed")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress_display::ProgressDisplay;

    #[test]
    fn video_facts_ride_along_until_delivered() {
        let status = JobStatus::new(ProgressDisplay::Logs.start("job"));
        status.advance(30);
        status.advance(20);
        assert_eq!(status.next_update().progress, Some(30), "progress never goes back");
        let video = VideoFacts { duration: 5.0, aspect_ratio: Some(1.7778) };
        status.set_video(video);
        assert_eq!(status.next_update().video, Some(video));
        status.delivered(video);
        assert_eq!(status.next_update().video, None);
    }
}
