-- Platforms without queues or Durable Objects (Spin) keep their job queue, rate-limit windows
-- and view windows in SQL. Unused on Cloudflare, where Queues and Durable Objects do this.

-- The job queue as a durable outbox: a message is a row until its consumer settles it.
-- `due_at`: when it may run next (delays and retries); `leased_until`: a drainer holds it until
-- then, so a drainer that dies mid-job leaves it to the next one after the lease (at least once).
-- `dead_at`: set after the last retry instead of deleting (the dead-letter queue of Workers).
CREATE TABLE job_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  leased_until INTEGER,
  dead_at INTEGER,
  last_error TEXT
);
CREATE INDEX job_outbox_due ON job_outbox (due_at) WHERE dead_at IS NULL;

-- Fixed rate-limit windows, one row per client key.
CREATE TABLE rate_windows (
  key TEXT PRIMARY KEY,
  started_at INTEGER NOT NULL,
  count INTEGER NOT NULL
);

-- Who was counted as a viewer of a video, until when.
CREATE TABLE view_marks (
  video_id INTEGER NOT NULL,
  viewer TEXT NOT NULL,
  counted_until INTEGER NOT NULL,
  PRIMARY KEY (video_id, viewer)
);
