-- Federation: remote actors beside local ones, follows in both directions, the inbox's received
-- activities, the outbox's authored ones, dead letters and per-host delivery health.
-- Remote videos and comments live in the same tables as local ones, told apart by `ap_id`.

-- An actor's ActivityPub id (remote actors only: a local actor's is its origin + path) and
-- where to deliver to it. `fetched_at` says when its document was last read, for refreshes.
ALTER TABLE actors ADD COLUMN ap_id TEXT;
ALTER TABLE actors ADD COLUMN inbox_url TEXT;
ALTER TABLE actors ADD COLUMN shared_inbox_url TEXT;
ALTER TABLE actors ADD COLUMN followers_url TEXT;
ALTER TABLE actors ADD COLUMN avatar_url TEXT;
ALTER TABLE actors ADD COLUMN fetched_at INTEGER;
-- FEP-521a: the ed25519 key beside the RSA one, as `publicKeyMultibase` (`z6Mk...`). Local
-- actors get theirs lazily (sealed like the RSA key); a remote actor's is what it published.
ALTER TABLE actors ADD COLUMN ed25519_public_multibase TEXT;
ALTER TABLE actors ADD COLUMN ed25519_private_sealed TEXT;

CREATE UNIQUE INDEX actors_ap_id ON actors (ap_id) WHERE ap_id IS NOT NULL;

-- Who follows whom, local or remote on either side. A follow of a remote actor is `pending`
-- until its Accept arrives; a follow of ours is accepted at once unless the instance asks for
-- manual approval of instance follows.
CREATE TABLE actor_follows (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    follower_id  INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    following_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
    -- The Follow activity's id: an Accept, Reject or Undo names it.
    ap_id        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (follower_id, following_id)
);

CREATE INDEX actor_follows_following ON actor_follows (following_id, state);

-- Every activity the inbox accepted: the edge verifies and stores it, the queue consumer applies
-- it. (ap_id, body_sha256) deduplicates a replayed delivery while an activity id re-used with
-- new content (some servers do) is still applied. `dead` rows are the inbox's dead letters.
CREATE TABLE inbox_activities (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ap_id       TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    -- The actor whose key signed the request.
    signer      TEXT NOT NULL,
    body        TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('queued', 'done', 'dead')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    received_at INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (ap_id, body_sha256)
);

CREATE INDEX inbox_activities_state ON inbox_activities (state, updated_at);

-- Every activity this instance authored, kept once however many inboxes it goes to (queue
-- messages name the row, never carry keys) and served back as the actor's outbox.
CREATE TABLE outbox_activities (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    ap_id      TEXT NOT NULL UNIQUE,
    actor_id   INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE INDEX outbox_activities_actor ON outbox_activities (actor_id, id);

-- Deliveries that kept failing past the retry schedule (at least 24 h), for an admin to list
-- and replay.
CREATE TABLE delivery_dead_letters (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id  INTEGER NOT NULL REFERENCES outbox_activities (id) ON DELETE CASCADE,
    inbox_url  TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (outbox_id, inbox_url)
);

-- What this instance learned of each remote host: consecutive delivery failures and until when
-- deliveries wait instead of trying (a dead host costs one probe per backoff step, not one
-- attempt per activity), and which signature scheme it accepted (RFC 9421 or draft-cavage).
CREATE TABLE federation_hosts (
    host                 TEXT PRIMARY KEY,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    retry_after          INTEGER,
    signature_scheme     TEXT CHECK (signature_scheme IN ('rfc9421', 'cavage')),
    updated_at           INTEGER NOT NULL
);

-- Remote videos: their ActivityPub id and the Video object as last received, from which the API
-- serves their files, playlists and images (all on the origin).
ALTER TABLE videos ADD COLUMN ap_id TEXT;
ALTER TABLE videos ADD COLUMN remote_document TEXT;
CREATE UNIQUE INDEX videos_ap_id ON videos (ap_id) WHERE ap_id IS NOT NULL;

-- Remote comments (and local ones' replies to them) keep their ActivityPub id.
ALTER TABLE video_comments ADD COLUMN ap_id TEXT;
CREATE UNIQUE INDEX video_comments_ap_id ON video_comments (ap_id) WHERE ap_id IS NOT NULL;

-- Blocklists: servers and accounts muted by the instance (by_account_id NULL, moderators'
-- `/server/blocklist/...`) or by one account (`/users/me/blocklist/...`). The instance's are
-- honoured on the inbox, delivery and listings; an account's on what that account sees.
CREATE TABLE server_blocks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    by_account_id INTEGER REFERENCES actors (id) ON DELETE CASCADE,
    host          TEXT NOT NULL COLLATE NOCASE,
    created_at    INTEGER NOT NULL
);

CREATE UNIQUE INDEX server_blocks_unique ON server_blocks (COALESCE(by_account_id, 0), host);

CREATE TABLE account_blocks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    by_account_id INTEGER REFERENCES actors (id) ON DELETE CASCADE,
    target_id     INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL
);

CREATE UNIQUE INDEX account_blocks_unique ON account_blocks (COALESCE(by_account_id, 0), target_id);
