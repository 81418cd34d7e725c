//! Atom 1.0, in the shape of PeerTube's `/feeds/videos.atom`: each entry links its watch page
//! and its media file (`rel="enclosure"`), with the description as summary and HTML content.

use atom_syndication::{Category, Content, Entry, Generator, Link, Person, Text};

use crate::dates;
use crate::model::{self, Feed, Item};

fn person(person: &model::Person) -> Person {
    Person { name: person.name.clone(), uri: Some(person.link.clone()), ..Person::default() }
}

fn link(href: &str, rel: &str, mime_type: Option<&str>) -> Link {
    Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: mime_type.map(str::to_owned),
        ..Link::default()
    }
}

fn entry(item: &Item) -> Entry {
    let mut links = vec![link(&item.link, "alternate", None)];
    if let Some(enclosure) = &item.enclosure {
        links.push(Link {
            length: Some(enclosure.length.to_string()),
            ..link(&enclosure.url, "enclosure", Some(&enclosure.mime_type))
        });
    }
    Entry {
        title: Text::plain(item.title.clone()),
        id: item.link.clone(),
        updated: dates::fixed(item.date_ms),
        published: Some(dates::fixed(item.date_ms)),
        authors: vec![person(&item.author)],
        categories: item
            .category
            .iter()
            .map(|label| Category { term: label.clone(), ..Category::default() })
            .collect(),
        links,
        summary: Some(Text::plain(item.summary.clone())),
        content: Some(Content {
            value: Some(item.content_html.clone()),
            content_type: Some("html".to_owned()),
            ..Content::default()
        }),
        ..Entry::default()
    }
}

/// The feed as an Atom 1.0 document.
pub fn render(feed: &Feed) -> String {
    let atom = atom_syndication::Feed {
        title: Text::plain(feed.title.clone()),
        id: feed.link.clone(),
        updated: dates::fixed(feed.updated_ms),
        authors: feed.author.iter().map(person).collect(),
        generator: Some(Generator { value: feed.generator.clone(), ..Generator::default() }),
        icon: feed.image_url.clone(),
        logo: feed.image_url.clone(),
        links: vec![
            link(&feed.link, "alternate", None),
            link(&feed.links.atom, "self", Some("application/atom+xml")),
        ],
        rights: Some(Text::plain(feed.copyright.clone())),
        subtitle: Some(Text::plain(feed.description.clone())),
        entries: feed.items.iter().map(entry).collect(),
        ..atom_syndication::Feed::default()
    };
    atom.to_string()
}
