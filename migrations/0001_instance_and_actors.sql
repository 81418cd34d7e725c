-- Instance identity: the Application actor, accounts (Person), channels (Group) and the users
-- who log in as accounts. One SQLite dialect: D1, Spin and rusqlite all run this file.
-- Times are integer milliseconds since the Unix epoch (below 2^53, as D1 requires).

CREATE TABLE instance_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE actors (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    kind               TEXT NOT NULL CHECK (kind IN ('Application', 'Person', 'Group')),
    -- Accounts and channels share one case-insensitive name space per host, as in PeerTube.
    username           TEXT NOT NULL COLLATE NOCASE,
    -- NULL for actors of this instance; the remote host otherwise.
    host               TEXT,
    display_name       TEXT NOT NULL,
    summary            TEXT,
    support            TEXT,
    public_key_pem     TEXT NOT NULL,
    -- Local actors only: the PKCS#8 key sealed with AES-256-GCM (see domain::keys).
    private_key_sealed TEXT,
    -- A channel's owning account.
    owner_id           INTEGER REFERENCES actors (id) ON DELETE CASCADE,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    CHECK ((host IS NULL) = (private_key_sealed IS NOT NULL))
);

CREATE UNIQUE INDEX actors_local_username ON actors (username) WHERE host IS NULL;
CREATE UNIQUE INDEX actors_remote_username ON actors (username, host) WHERE host IS NOT NULL;
CREATE INDEX actors_owner ON actors (owner_id);

CREATE TABLE users (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    username          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email             TEXT NOT NULL UNIQUE COLLATE NOCASE,
    -- "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>" (see domain::password).
    password_hash     TEXT NOT NULL,
    -- PeerTube's UserRole: 0 administrator, 1 moderator, 2 user.
    role              INTEGER NOT NULL CHECK (role IN (0, 1, 2)),
    account_id        INTEGER NOT NULL UNIQUE REFERENCES actors (id),
    video_quota       INTEGER NOT NULL DEFAULT -1,
    video_quota_daily INTEGER NOT NULL DEFAULT -1,
    created_at        INTEGER NOT NULL
);
