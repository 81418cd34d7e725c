-- Comments, ratings and the view counter's dedupe window.

CREATE TABLE video_comments (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    video_id           INTEGER NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    account_id         INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    -- NULL for a thread's first comment: its thread is itself.
    thread_id          INTEGER REFERENCES video_comments (id) ON DELETE CASCADE,
    in_reply_to_id     INTEGER REFERENCES video_comments (id) ON DELETE CASCADE,
    text               TEXT NOT NULL,
    held_for_review    INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    -- Set when deleted: a comment with replies stays as a tombstone, as in PeerTube.
    deleted_at         INTEGER
);

CREATE INDEX video_comments_video_thread ON video_comments (video_id, thread_id, created_at);

CREATE TABLE video_rates (
    account_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    video_id   INTEGER NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('like', 'dislike')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, video_id)
);

CREATE INDEX video_rates_video ON video_rates (video_id, kind);
