//! Content negotiation: does this request want ActivityPub JSON or a web page?

const ACTIVITY_TYPES: [&str; 2] = ["application/activity+json", "application/ld+json"];

/// Whether an `Accept` header asks for ActivityPub JSON, as PeerTube decides it: one of
/// `application/activity+json` or `application/ld+json` (any profile) listed with a non-zero
/// quality. A missing header or a browser's `text/html,...` gets the web page.
pub fn wants_activity_json(accept: Option<&str>) -> bool {
    let Some(accept) = accept else { return false };
    accept.split(',').any(|entry| {
        let mut params = entry.split(';').map(str::trim);
        let media = params.next().unwrap_or_default();
        let refused = params.any(|p| {
            p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()).is_some_and(|q| q <= 0.0)
        });
        !refused && ACTIVITY_TYPES.iter().any(|t| media.eq_ignore_ascii_case(t))
    })
}

#[cfg(test)]
mod tests {
    use super::wants_activity_json;

    #[test]
    fn check() {
        let cases = [
            (Some("application/activity+json"), true),
            (Some("application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""), true),
            (Some("application/activity+json, application/ld+json"), true),
            (Some("Application/Activity+JSON"), true),
            (Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"), false),
            (Some("application/json"), false),
            (Some("application/activity+json;q=0"), false),
            (None, false),
        ];
        for (accept, expected) in cases {
            assert_eq!(wants_activity_json(accept), expected, "{accept:?}");
        }
    }
}
