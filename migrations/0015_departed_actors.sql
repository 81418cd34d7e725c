-- Local actors deleted while their own `Delete` is still being delivered: other servers verify
-- that Delete against the actor's key, so the key (still sealed) outlives the actor until the
-- retry schedule has run out, then the housekeeping removes it.
CREATE TABLE departed_actors (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    kind               TEXT NOT NULL CHECK (kind IN ('Application', 'Person', 'Group')),
    username           TEXT NOT NULL,
    private_key_sealed TEXT NOT NULL,
    departed_at        INTEGER NOT NULL
);

CREATE INDEX departed_actors_departed_at ON departed_actors (departed_at);

-- A departed actor's Delete: stored under the instance actor (the author's row is gone), signed
-- with the departed actor's key.
ALTER TABLE outbox_activities ADD COLUMN departed_id INTEGER REFERENCES departed_actors (id) ON DELETE CASCADE;
