-- PeerTube's feed token (`GET /api/v1/users/scoped-tokens` → `{feedToken}`): the secret in the
-- URL of a user's subscriptions feed (`/feeds/subscriptions.xml?accountId=&token=`), which feed
-- readers fetch without logging in. Kept in clear, unlike bearer tokens, because its owner reads
-- it back to build that URL; it only ever grants reading that one feed. Made on first request,
-- replaced by `POST /api/v1/users/scoped-tokens`.
CREATE TABLE user_feed_tokens (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
