-- OAuth 2 as PeerTube does it: one local client, bearer tokens stored only as SHA-256 hashes.

CREATE TABLE oauth_clients (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- 'local' for the instance's own public client (GET /api/v1/oauth-clients/local).
    name          TEXT NOT NULL UNIQUE,
    client_id     TEXT NOT NULL UNIQUE,
    client_secret TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE oauth_tokens (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Hex SHA-256 of the bearer tokens: a leaked table grants nothing.
    access_token_hash  TEXT NOT NULL UNIQUE,
    refresh_token_hash TEXT NOT NULL UNIQUE,
    access_expires_at  INTEGER NOT NULL,
    refresh_expires_at INTEGER NOT NULL,
    user_id            INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id          INTEGER NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    created_at         INTEGER NOT NULL
);

CREATE INDEX oauth_tokens_user ON oauth_tokens (user_id);

ALTER TABLE users ADD COLUMN last_login_at INTEGER;
-- PeerTube's user preferences (nsfwPolicy, p2pEnabled, autoPlayVideo, ...) as one JSON object.
ALTER TABLE users ADD COLUMN preferences TEXT NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN blocked_reason TEXT;
