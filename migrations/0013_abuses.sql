-- Abuse reports received from other servers (`Flag`), kept for this instance's moderators. One
-- row per reported object, as PeerTube keeps one abuse per video, comment or account.
CREATE TABLE abuses (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The Flag's id: a redelivered Flag is stored once per reported object.
    ap_id              TEXT NOT NULL,
    reporter_actor_id  INTEGER REFERENCES actors (id) ON DELETE SET NULL,
    reporter_ap_id     TEXT NOT NULL,
    reason             TEXT NOT NULL,
    -- The predefined reasons, as a JSON array of PeerTube's names.
    predefined_reasons TEXT NOT NULL DEFAULT '[]',
    video_id           INTEGER REFERENCES videos (id) ON DELETE SET NULL,
    comment_id         INTEGER,
    account_id         INTEGER REFERENCES actors (id) ON DELETE SET NULL,
    start_at           INTEGER,
    end_at             INTEGER,
    state              TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'rejected')),
    moderation_comment TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);

CREATE UNIQUE INDEX abuses_ap_id_object ON abuses (ap_id, IFNULL(video_id, 0), IFNULL(comment_id, 0), IFNULL(account_id, 0));
CREATE INDEX abuses_state ON abuses (state, id);
