//! `OrderedCollection` and `OrderedCollectionPage` in PeerTube's paging shape.
//!
//! The collection itself only points at `?page=1`; pages carry `partOf`, `orderedItems`,
//! `totalItems` and `next`/`prev` where they exist.

use serde::Serialize;
use serde_json::Value;

use crate::context;

/// Items per page, as a production PeerTube serves them.
pub const PAGE_SIZE: u64 = 10;

/// PeerTube stops crawling after this many pages; we never serve more.
pub const MAX_PAGE: u64 = 2000;

/// The collection document at `id`.
#[derive(Debug, Serialize)]
pub struct OrderedCollection {
    #[serde(rename = "@context")]
    context: Value,
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "totalItems")]
    total_items: u64,
    first: String,
}

/// One page of a collection.
#[derive(Debug, Serialize)]
pub struct OrderedCollectionPage<T> {
    #[serde(rename = "@context")]
    context: Value,
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    prev: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    #[serde(rename = "partOf")]
    part_of: String,
    #[serde(rename = "orderedItems")]
    ordered_items: Vec<T>,
    #[serde(rename = "totalItems")]
    total_items: u64,
}

/// The collection at `id` with `total_items` items.
pub fn collection(id: &str, total_items: u64) -> OrderedCollection {
    OrderedCollection {
        context: context::base(),
        id: id.to_owned(),
        kind: "OrderedCollection",
        total_items,
        first: format!("{id}?page=1"),
    }
}

/// Page `page` (1-based) of the collection at `id`, holding `items` out of `total_items`.
pub fn page<T>(id: &str, page: u64, items: Vec<T>, total_items: u64) -> OrderedCollectionPage<T> {
    let has_next = page.saturating_mul(PAGE_SIZE) < total_items && page < MAX_PAGE;
    OrderedCollectionPage {
        context: context::base(),
        id: format!("{id}?page={page}"),
        kind: "OrderedCollectionPage",
        prev: (page > 1).then(|| format!("{id}?page={}", page - 1)),
        next: has_next.then(|| format!("{id}?page={}", page + 1)),
        part_of: id.to_owned(),
        ordered_items: items,
        total_items,
    }
}

/// The page number asked for by a query string: `Some(n)` for `page=n` (n ≥ 1, clamped to
/// [`MAX_PAGE`]), `None` for the collection itself.
pub fn requested_page(query: Option<&str>) -> Option<u64> {
    let value = query?.split('&').find_map(|pair| pair.strip_prefix("page="))?;
    Some(value.parse::<u64>().unwrap_or(1).clamp(1, MAX_PAGE))
}

/// The offset of the first item of `page`.
pub fn offset(page: u64) -> u64 {
    (page.max(1) - 1) * PAGE_SIZE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Value {
        let path = format!(
            "{}/../../../shared/reference/peertube-samples/activitypub/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
            .unwrap()
    }

    #[test]
    fn collection_matches_peertube_sample() {
        let ours =
            serde_json::to_value(collection("http://127.0.0.1:9000/accounts/root/followers", 1)).unwrap();
        assert_eq!(ours, sample("account-followers.json"));
    }

    #[test]
    fn pages_match_peertube_samples() {
        let ours = serde_json::to_value(page(
            "http://127.0.0.1:9000/accounts/root/followers",
            1,
            vec!["http://127.0.0.1:8097/users/alice"],
            1,
        ))
        .unwrap();
        assert_eq!(ours, sample("account-followers-page1.json"));

        // The sample server pages by 2 (test mode), so compare the shape of a page that has a next one.
        let following = sample("instance-following-page1.json");
        let ours = serde_json::to_value(page(
            "http://127.0.0.1:9000/accounts/peertube/following",
            1,
            vec!["a"; 10],
            11,
        ))
        .unwrap();
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&ours), keys(&following));
        assert_eq!(ours["next"], "http://127.0.0.1:9000/accounts/peertube/following?page=2");
    }

    #[test]
    fn page_numbers() {
        assert_eq!(requested_page(None), None);
        assert_eq!(requested_page(Some("page=3")), Some(3));
        assert_eq!(requested_page(Some("x=1&page=0")), Some(1));
        assert_eq!(requested_page(Some("page=99999")), Some(MAX_PAGE));
        assert_eq!(requested_page(Some("other=1")), None);
        assert_eq!(offset(3), 20);
    }
}
