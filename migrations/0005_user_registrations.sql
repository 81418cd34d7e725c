-- Signup requests awaiting a moderator, for instances whose signup requires approval.
CREATE TABLE user_registrations (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    username             TEXT NOT NULL COLLATE NOCASE,
    email                TEXT NOT NULL COLLATE NOCASE,
    -- Hashed at request time, like a user's: the clear password is never stored.
    password_hash        TEXT NOT NULL,
    registration_reason  TEXT NOT NULL,
    account_display_name TEXT,
    channel_name         TEXT,
    channel_display_name TEXT,
    -- PeerTube's UserRegistrationState: 1 pending, 2 rejected, 3 accepted.
    state                INTEGER NOT NULL DEFAULT 1 CHECK (state IN (1, 2, 3)),
    moderation_response  TEXT,
    user_id              INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);

CREATE UNIQUE INDEX user_registrations_pending_username ON user_registrations (username) WHERE state = 1;
CREATE UNIQUE INDEX user_registrations_pending_email ON user_registrations (email) WHERE state = 1;
