-- PeerTube's video file tokens (POST /api/v1/videos/{id}/token): short-lived grants to fetch the
-- media of a private, internal or password-protected video, passed as ?videoFileToken=.
CREATE TABLE video_file_tokens (
    -- Hex SHA-256 of the token; the token itself is shown once.
    token_hash TEXT PRIMARY KEY,
    video_id   INTEGER NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
CREATE INDEX video_file_tokens_expiry ON video_file_tokens (expires_at);
