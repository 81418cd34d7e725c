//! JSON Feed, in the shape of PeerTube's `/feeds/videos.json` (its feed library's version 1
//! document). PeerTube's attachments are the files' torrents; the enclosure leads them here, so
//! that a reader gets the media of videos that have no torrent (our HLS renditions have none:
//! peers share segments through the HLS loader instead).

use serde_json::{json, Map, Value};

use crate::dates;
use crate::model::{Feed, Item};

fn item(item: &Item) -> Value {
    let mut attachments: Vec<Value> = Vec::new();
    if let Some(enclosure) = &item.enclosure {
        attachments.push(json!({
            "url": enclosure.url,
            "mime_type": enclosure.mime_type,
            "size_in_bytes": enclosure.length,
            "title": item.title,
        }));
    }
    for torrent in &item.torrents {
        attachments.push(json!({
            "url": torrent.url,
            "mime_type": "application/x-bittorrent",
            "size_in_bytes": torrent.size,
            "title": item.title,
        }));
    }
    let mut object = Map::new();
    let mut put = |key: &str, value: Value| {
        object.insert(key.to_owned(), value);
    };
    put("id", json!(item.link));
    put("content_html", json!(item.content_html));
    put("url", json!(item.link));
    put("title", json!(item.title));
    put("summary", json!(item.summary));
    if let Some(thumbnail) = &item.thumbnail {
        put("image", json!(thumbnail.url));
    }
    put("date_modified", json!(dates::rfc3339(item.date_ms)));
    put("date_published", json!(dates::rfc3339(item.date_ms)));
    put("author", json!({"name": item.author.name, "url": item.author.link}));
    if let Some(category) = &item.category {
        put("tags", json!([category]));
    }
    put("attachments", json!(attachments));
    Value::Object(object)
}

/// The feed as a JSON Feed document.
pub fn render(feed: &Feed) -> String {
    let mut object = Map::new();
    object.insert("version".into(), json!("https://jsonfeed.org/version/1"));
    object.insert("title".into(), json!(feed.title));
    object.insert("home_page_url".into(), json!(feed.link));
    object.insert("feed_url".into(), json!(feed.links.json));
    object.insert("description".into(), json!(feed.description));
    if let Some(image) = &feed.image_url {
        object.insert("icon".into(), json!(image));
    }
    if let Some(author) = &feed.author {
        object.insert("author".into(), json!({"name": author.name, "url": author.link}));
    }
    object.insert("items".into(), Value::Array(feed.items.iter().map(item).collect()));
    Value::Object(object).to_string()
}
