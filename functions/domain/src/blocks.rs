//! What blocklists hide from listings, as one SQL condition: an actor blocked by the instance
//! (its rows with `by_account_id` NULL) or by the viewer, directly or through its server. Lists
//! of videos and comments add it, so a blocked account's content leaves them for everyone (the
//! instance's blocks) or for the one user who muted it (theirs), as in PeerTube.

/// A condition that holds when the actor whose id is the SQL expression `actor` is hidden from
/// the viewer whose account id is the SQL expression `viewer` (an account id, or -1 for an
/// anonymous viewer: then only the instance's blocks apply).
pub fn hidden(actor: &str, viewer: &str) -> String {
    format!(
        "(EXISTS (SELECT 1 FROM account_blocks bl WHERE bl.target_id = {actor} \
           AND (bl.by_account_id IS NULL OR bl.by_account_id = {viewer})) \
         OR EXISTS (SELECT 1 FROM actors ba JOIN server_blocks sb ON sb.host = ba.host \
           WHERE ba.id = {actor} AND (sb.by_account_id IS NULL OR sb.by_account_id = {viewer})))"
    )
}
