-- The media pipeline: chunked uploads into object storage, transcoding runners and their jobs,
-- and the files a finished job published.

CREATE TABLE runner_registration_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    -- ptrrt-<uuid>; shown to administrators, so kept in clear like PeerTube's.
    token      TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE runners (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    name                    TEXT NOT NULL,
    description             TEXT,
    -- SHA-256 of the ptrt-<uuid> runner token.
    token_hash              TEXT NOT NULL UNIQUE,
    registration_token_id   INTEGER REFERENCES runner_registration_tokens (id) ON DELETE CASCADE,
    last_contact            INTEGER NOT NULL,
    created_at              INTEGER NOT NULL
);

CREATE TABLE runner_jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid            TEXT NOT NULL UNIQUE,
    type            TEXT NOT NULL,
    -- PeerTube's RunnerJobState: 1 pending, 2 processing, 3 completed, 4 errored, 6 cancelled.
    state           INTEGER NOT NULL,
    video_id        INTEGER NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    -- What made the job: the stored original's key and entity tag. The same storage event
    -- delivered twice finds this row and makes no second job.
    source          TEXT NOT NULL UNIQUE,
    payload         TEXT NOT NULL,
    priority        INTEGER NOT NULL DEFAULT 100,
    progress        INTEGER,
    failures        INTEGER NOT NULL DEFAULT 0,
    error           TEXT,
    runner_id       INTEGER REFERENCES runners (id) ON DELETE SET NULL,
    -- SHA-256 of the current ptrjt-<uuid> job token; NULL while pending.
    job_token_hash  TEXT,
    started_at      INTEGER,
    finished_at     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE INDEX runner_jobs_state ON runner_jobs (state, priority, created_at);
CREATE INDEX runner_jobs_video ON runner_jobs (video_id);

-- One object being written in chunks: a creator's resumable upload, a legacy upload, or a file a
-- runner sends back. Chunks arrive in order; bytes [0, parts_done * part_size) are multipart
-- parts already in storage, the rest sit in staging objects listed in `staged` until a whole part
-- is there. See domain::uploads.
CREATE TABLE upload_sessions (
    -- Random for creators' uploads; derived from job, kind and file name for runner files.
    id              TEXT PRIMARY KEY,
    -- 'video' (a creator's upload) or 'runner-file'.
    purpose         TEXT NOT NULL,
    user_id         INTEGER REFERENCES users (id) ON DELETE CASCADE,
    runner_job_id   INTEGER REFERENCES runner_jobs (id) ON DELETE CASCADE,
    -- Hash of the user and the init request: the same init resumes the same session.
    fingerprint     TEXT,
    object_key      TEXT NOT NULL,
    content_type    TEXT,
    total_size      INTEGER NOT NULL,
    received        INTEGER NOT NULL DEFAULT 0,
    part_size       INTEGER NOT NULL,
    multipart_id    TEXT,
    -- JSON array of {part_number, etag}.
    parts           TEXT NOT NULL DEFAULT '[]',
    -- JSON array of [offset, length] of the staging objects, in order.
    staged          TEXT NOT NULL DEFAULT '[]',
    -- The init request's video metadata (JSON), for creators' uploads.
    metadata        TEXT,
    -- The video created when the upload completed.
    video_id        INTEGER REFERENCES videos (id) ON DELETE SET NULL,
    completed_at    INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE UNIQUE INDEX upload_sessions_fingerprint ON upload_sessions (fingerprint) WHERE fingerprint IS NOT NULL;
CREATE INDEX upload_sessions_updated ON upload_sessions (updated_at) WHERE completed_at IS NULL;
CREATE INDEX upload_sessions_job ON upload_sessions (runner_job_id);

-- One HLS rendition: a fragmented MP4 and its playlist under hls/<videoUUID>/.
CREATE TABLE video_files (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    video_id        INTEGER NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    resolution      INTEGER NOT NULL,
    width           INTEGER NOT NULL,
    height          INTEGER NOT NULL,
    fps             INTEGER NOT NULL,
    size            INTEGER NOT NULL,
    codecs          TEXT NOT NULL,
    has_audio       INTEGER NOT NULL,
    has_video       INTEGER NOT NULL,
    file_name       TEXT NOT NULL,
    playlist_name   TEXT NOT NULL,
    -- JSON object "<first>-<last>" -> lowercase hex SHA-256, one entry per segment.
    segments_sha256 TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (video_id, resolution)
);

CREATE TABLE video_storyboards (
    video_id        INTEGER PRIMARY KEY REFERENCES videos (id) ON DELETE CASCADE,
    file_key        TEXT NOT NULL,
    sprite_width    INTEGER NOT NULL,
    sprite_height   INTEGER NOT NULL,
    total_width     INTEGER NOT NULL,
    total_height    INTEGER NOT NULL,
    sprite_duration INTEGER NOT NULL
);

-- Storage events name the original by key.
CREATE INDEX videos_original_key ON videos (original_key) WHERE original_key IS NOT NULL;
