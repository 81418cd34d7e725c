-- Videos, their tags and passwords, and the full-text index the local search reads.
-- The media pipeline fills the nullable object-storage columns later (upload, transcoding);
-- until then a row describes metadata only.

CREATE TABLE videos (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Version 4 UUID, lower-case with dashes; short_uuid is its 128-bit value in base58.
    uuid                    TEXT NOT NULL UNIQUE,
    short_uuid              TEXT NOT NULL UNIQUE,
    channel_id              INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    name                    TEXT NOT NULL,
    description             TEXT,
    support                 TEXT,
    -- PeerTube's enumerations: category 1-18, licence 1-7, language an ISO 639 code.
    category                INTEGER,
    licence                 INTEGER,
    language                TEXT,
    -- 1 public, 2 unlisted, 3 private, 4 internal, 5 password protected.
    privacy                 INTEGER NOT NULL CHECK (privacy BETWEEN 1 AND 5),
    nsfw                    INTEGER NOT NULL DEFAULT 0,
    -- 1 enabled, 2 disabled, 3 requires approval.
    comments_policy         INTEGER NOT NULL DEFAULT 1 CHECK (comments_policy BETWEEN 1 AND 3),
    download_enabled        INTEGER NOT NULL DEFAULT 1,
    wait_transcoding        INTEGER NOT NULL DEFAULT 0,
    -- PeerTube's VideoState: 1 published, 2 to transcode, ... 11 (see domain::videos::constants).
    state                   INTEGER NOT NULL,
    -- Whole seconds, as PeerTube reports them; 0 until probed.
    duration                INTEGER NOT NULL DEFAULT 0,
    aspect_ratio            REAL,
    views                   INTEGER NOT NULL DEFAULT 0,
    likes                   INTEGER NOT NULL DEFAULT 0,
    dislikes                INTEGER NOT NULL DEFAULT 0,
    originally_published_at INTEGER,
    published_at            INTEGER,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    -- Filled by the media pipeline.
    input_file_updated_at   INTEGER,
    original_filename       TEXT,
    original_size           INTEGER,
    original_key            TEXT,
    thumbnail_key           TEXT,
    preview_key             TEXT,
    hls_master_key          TEXT,
    hls_sha256_key          TEXT
);

CREATE INDEX videos_channel ON videos (channel_id);
CREATE INDEX videos_published ON videos (published_at);
CREATE INDEX videos_created ON videos (created_at);

CREATE TABLE video_tags (
    video_id INTEGER NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    -- Tags match case-insensitively in filters, as PeerTube's tag table does.
    tag      TEXT NOT NULL COLLATE NOCASE,
    -- Keeps the order the uploader gave.
    position INTEGER NOT NULL,
    PRIMARY KEY (video_id, tag)
);

CREATE INDEX video_tags_tag ON video_tags (tag);

-- Passwords of password-protected videos (privacy 5). Kept in clear like PeerTube's, because
-- the owner can list them back (GET /videos/{id}/passwords).
CREATE TABLE video_passwords (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    video_id   INTEGER NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    password   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (video_id, password)
);

-- Full-text index for GET /search/videos; rowid = videos.id. The domain code rewrites a video's
-- row in the same batch as every write to the video or its tags.
CREATE VIRTUAL TABLE videos_fts USING fts5 (
    name,
    description,
    tags,
    tokenize = 'unicode61 remove_diacritics 2'
);
