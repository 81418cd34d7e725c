-- What a video's likes, dislikes and shares collections list (`/videos/watch/<uuid>/likes`,
-- `/dislikes`, `/announces`), as PeerTube lists them: activity ids.

-- The id of the remote Like or Dislike a rating came from (NULL for ours: their id is built,
-- `<account>/likes/<video id>`).
ALTER TABLE video_rates ADD COLUMN ap_id TEXT;

-- Announces of a video: ours (the channel's and the instance actor's, sent with its Create)
-- and remote actors' Announces of our videos.
CREATE TABLE video_shares (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    video_id   INTEGER NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    actor_id   INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    ap_id      TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE INDEX video_shares_video ON video_shares (video_id, id);
