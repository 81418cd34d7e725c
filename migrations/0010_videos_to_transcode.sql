-- The housekeeping's lost-event sweep (runner_jobs::recover_lost_events) looks for videos waiting
-- for transcoding every ten minutes; they are few at any time, so a partial index keeps that read
-- from scanning every video (D1 bills rows read).
CREATE INDEX videos_to_transcode ON videos (created_at) WHERE state = 2;
