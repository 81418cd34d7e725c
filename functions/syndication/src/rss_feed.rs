//! RSS 2.0 with Media RSS, in the shape of PeerTube's `/feeds/videos.xml`: each item has its
//! `<enclosure>`, `dc:creator`, `content:encoded` and the `media:` elements (files, thumbnail,
//! embed and player, views, rating, torrents).

use std::collections::BTreeMap;

use rss::extension::{dublincore::DublinCoreExtension, Extension, ExtensionMap};

use crate::dates;
use crate::model::{Feed, Item};

const MEDIA: &str = "http://search.yahoo.com/mrss/";

fn element(name: &str, value: Option<String>, attrs: &[(&str, String)]) -> Extension {
    Extension {
        name: name.to_owned(),
        value,
        attrs: attrs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect(),
        children: BTreeMap::new(),
    }
}

fn with_children(mut parent: Extension, children: Vec<Extension>) -> Extension {
    for child in children {
        parent.children.entry(child.name.clone()).or_default().push(child);
    }
    parent
}

/// The `media:` elements of an item, in PeerTube's order (one list per name: the writer keeps
/// names apart, in name order).
fn media_elements(item: &Item) -> BTreeMap<String, Vec<Extension>> {
    let mut media: Vec<Extension> = Vec::new();
    if let Some(category) = &item.category {
        media.push(element("media:category", Some(category.clone()), &[]));
    }
    media.push(with_children(
        element("media:community", None, &[]),
        vec![element("media:statistics", None, &[("views", item.views.to_string())])],
    ));
    media.push(element("media:embed", None, &[("url", item.embed_url.clone())]));
    media.push(element("media:player", None, &[("url", item.link.clone())]));
    if let Some(thumbnail) = &item.thumbnail {
        media.push(element(
            "media:thumbnail",
            None,
            &[
                ("url", thumbnail.url.clone()),
                ("width", thumbnail.width.to_string()),
                ("height", thumbnail.height.to_string()),
            ],
        ));
    }
    media.push(element("media:title", Some(item.title.clone()), &[("type", "plain".to_owned())]));
    media.push(element("media:description", Some(item.summary.clone()), &[("type", "plain".to_owned())]));
    media.push(element("media:rating", Some(if item.nsfw { "adult" } else { "nonadult" }.to_owned()), &[]));
    if !item.files.is_empty() {
        let contents = item
            .files
            .iter()
            .map(|file| {
                let mut attrs = vec![
                    ("url", file.url.clone()),
                    ("type", file.mime_type.clone()),
                    ("medium", "video".to_owned()),
                    ("height", file.resolution.to_string()),
                    ("duration", item.duration.to_string()),
                ];
                if let Some(size) = file.size {
                    attrs.push(("fileSize", size.to_string()));
                }
                if let Some(fps) = file.fps {
                    attrs.push(("framerate", fps.to_string()));
                }
                if let Some(lang) = &item.language {
                    attrs.push(("lang", lang.clone()));
                }
                element("media:content", None, &attrs)
            })
            .collect();
        media.push(with_children(element("media:group", None, &[]), contents));
    }
    for torrent in &item.torrents {
        media.push(element(
            "media:peerLink",
            None,
            &[("type", "application/x-bittorrent".to_owned()), ("href", torrent.url.clone())],
        ));
    }
    let mut by_name: BTreeMap<String, Vec<Extension>> = BTreeMap::new();
    for extension in media {
        by_name.entry(extension.name.clone()).or_default().push(extension);
    }
    by_name
}

fn item(item: &Item) -> rss::Item {
    let mut extensions = ExtensionMap::new();
    extensions.insert("media".to_owned(), media_elements(item));
    rss::Item {
        title: Some(item.title.clone()),
        link: Some(item.link.clone()),
        description: Some(item.summary.clone()),
        categories: item
            .category
            .iter()
            .map(|name| rss::Category { name: name.clone(), domain: None })
            .collect(),
        enclosure: item.enclosure.as_ref().map(|e| rss::Enclosure {
            url: e.url.clone(),
            length: e.length.to_string(),
            mime_type: e.mime_type.clone(),
        }),
        guid: Some(rss::Guid { value: item.link.clone(), permalink: true }),
        pub_date: Some(dates::rfc2822(item.date_ms)),
        content: Some(item.content_html.clone()),
        extensions,
        dublin_core_ext: Some(DublinCoreExtension {
            creators: vec![item.author.name.clone()],
            ..DublinCoreExtension::default()
        }),
        ..rss::Item::default()
    }
}

/// The feed as an RSS 2.0 document.
pub fn render(feed: &Feed) -> String {
    let namespaces: BTreeMap<String, String> = [
        ("atom", "http://www.w3.org/2005/Atom"),
        ("content", "http://purl.org/rss/1.0/modules/content/"),
        ("dc", "http://purl.org/dc/elements/1.1/"),
        ("media", MEDIA),
    ]
    .into_iter()
    .map(|(prefix, uri)| (prefix.to_owned(), uri.to_owned()))
    .collect();
    let channel = rss::Channel {
        title: feed.title.clone(),
        link: feed.link.clone(),
        description: feed.description.clone(),
        copyright: Some(feed.copyright.clone()),
        last_build_date: Some(dates::rfc2822(feed.updated_ms)),
        generator: Some(feed.generator.clone()),
        docs: Some("https://validator.w3.org/feed/docs/rss2.html".to_owned()),
        image: feed.image_url.as_ref().map(|url| rss::Image {
            url: url.clone(),
            title: feed.title.clone(),
            link: feed.link.clone(),
            ..rss::Image::default()
        }),
        items: feed.items.iter().map(item).collect(),
        atom_ext: Some(rss::extension::atom::AtomExtension {
            links: vec![rss::extension::atom::Link {
                href: feed.links.rss.clone(),
                rel: "self".to_owned(),
                mime_type: Some("application/rss+xml".to_owned()),
                ..rss::extension::atom::Link::default()
            }],
        }),
        namespaces,
        ..rss::Channel::default()
    };
    // `Display` writes the whole document: the XML declaration, then the `<rss>` root.
    channel.to_string()
}
