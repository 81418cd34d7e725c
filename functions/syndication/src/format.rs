//! Which feed format a request asks for, and the `Content-Type` it is answered with.
//!
//! PeerTube's rules: the format is the path's extension (`xml`, `rss`, `rss2`, `atom`, `atom1`,
//! `json`, `json1`), `?format=` takes the same values and decides the ambiguous `.xml`, and the
//! `Accept` header must allow one of the format's types (the first one it allows is the answer's
//! `Content-Type`), else 406.

use edgetube_problem::Problem;
use http::StatusCode;
use serde_json::json;

/// A feed format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedFormat {
    /// RSS 2.0 with Media RSS: PeerTube's default and most complete feed.
    Rss,
    /// Atom 1.0.
    Atom,
    /// JSON Feed.
    Json,
}

/// A requested format: the format served and the content types the client may accept for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requested {
    /// What is served.
    pub format: FeedFormat,
    /// PeerTube's acceptable `Content-Type`s, in preference order.
    pub content_types: &'static [&'static str],
}

const ATOM_TYPES: &[&str] = &["application/atom+xml", "application/xml", "text/xml"];
const JSON_TYPES: &[&str] = &["application/json"];
const RSS_TYPES: &[&str] = &["application/rss+xml", "application/xml", "text/xml"];
const XML_TYPES: &[&str] = &["application/xml", "text/xml"];

fn is_valid(name: &str) -> bool {
    matches!(name, "xml" | "rss" | "rss2" | "atom" | "atom1" | "json" | "json1")
}

fn invalid(name: &str, value: &str, location: &str) -> Problem {
    Problem::bad_request(format!("Incorrect request parameters: {name}")).with_invalid_param(
        name,
        json!(value),
        "Should have a valid format (rss, atom, json)",
        location,
    )
}

/// The format of `extension` (the path's) with the `?format=` value `query`.
pub fn requested(extension: &str, query: Option<&str>) -> Result<Requested, Problem> {
    if !is_valid(extension) {
        return Err(invalid("format", extension, "params"));
    }
    if let Some(query) = query.filter(|q| !is_valid(q)) {
        return Err(invalid("format", query, "query"));
    }
    // The content type follows `?format=` first, the path next; the body follows the path
    // unless it is the ambiguous `.xml`, where only `?format=atom` changes it (PeerTube's rules).
    let content_types = match query.unwrap_or(extension) {
        "atom" | "atom1" => ATOM_TYPES,
        "json" | "json1" => JSON_TYPES,
        "rss" | "rss2" => RSS_TYPES,
        _ => XML_TYPES,
    };
    let format = match extension {
        "atom" | "atom1" => FeedFormat::Atom,
        "json" | "json1" => FeedFormat::Json,
        "rss" | "rss2" => FeedFormat::Rss,
        _ if matches!(query, Some("atom" | "atom1")) => FeedFormat::Atom,
        _ => FeedFormat::Rss,
    };
    Ok(Requested { format, content_types })
}

/// The `Content-Type` to answer with: the first of `offered` the `Accept` header allows (any
/// when there is no header, as Express's `req.accepts`), or PeerTube's 406.
pub fn negotiate(accept: Option<&str>, offered: &[&'static str]) -> Result<&'static str, Problem> {
    let refusal = || {
        Problem::new(
            StatusCode::NOT_ACCEPTABLE,
            format!("You should accept at least one of the following content-types: {}", offered.join(", ")),
        )
    };
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return offered.first().copied().ok_or_else(refusal);
    };
    let ranges: Vec<(String, f32)> = accept
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let range = pieces.next()?.trim().to_ascii_lowercase();
            let quality = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (!range.is_empty()).then_some((range, quality))
        })
        .collect();
    let quality_of = |offer: &str| -> f32 {
        let (kind, _) = offer.split_once('/').unwrap_or((offer, ""));
        // The most specific matching range decides, as RFC 9110 says.
        ranges
            .iter()
            .filter_map(|(range, q)| {
                let specificity = if range == offer {
                    3
                } else if range.strip_suffix("/*") == Some(kind) {
                    2
                } else if range == "*/*" {
                    1
                } else {
                    return None;
                };
                Some((specificity, *q))
            })
            .max_by_key(|(specificity, _)| *specificity)
            .map_or(0.0, |(_, q)| q)
    };
    let mut best: Option<(&'static str, f32)> = None;
    for offer in offered {
        let quality = quality_of(offer);
        if quality > 0.0 && best.is_none_or(|(_, q)| quality > q) {
            best = Some((offer, quality));
        }
    }
    best.map(|(offer, _)| offer).ok_or_else(refusal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_and_the_query_pick_the_format() {
        let format = |ext: &str, query: Option<&str>| requested(ext, query).map(|r| r.format).ok();
        assert_eq!(format("xml", None), Some(FeedFormat::Rss));
        assert_eq!(format("xml", Some("atom")), Some(FeedFormat::Atom));
        assert_eq!(format("rss2", None), Some(FeedFormat::Rss));
        assert_eq!(format("atom1", None), Some(FeedFormat::Atom));
        assert_eq!(format("json", Some("rss")), Some(FeedFormat::Json));
        assert_eq!(format("html", None), None);
        assert_eq!(format("xml", Some("html")), None);
        assert_eq!(requested("xml", None).unwrap().content_types, XML_TYPES);
    }

    #[test]
    fn accept_headers_choose_the_content_type_like_express() {
        assert_eq!(negotiate(None, RSS_TYPES).unwrap(), "application/rss+xml");
        assert_eq!(negotiate(Some("*/*"), RSS_TYPES).unwrap(), "application/rss+xml");
        assert_eq!(negotiate(Some("text/xml"), RSS_TYPES).unwrap(), "text/xml");
        assert_eq!(
            negotiate(Some("application/xml;q=0.9, application/rss+xml"), RSS_TYPES).unwrap(),
            "application/rss+xml"
        );
        let refused = negotiate(Some("application/json"), RSS_TYPES).unwrap_err();
        assert_eq!(refused.status(), StatusCode::NOT_ACCEPTABLE);
        assert!(negotiate(Some("text/html, application/*;q=0"), XML_TYPES).is_err());
    }
}
