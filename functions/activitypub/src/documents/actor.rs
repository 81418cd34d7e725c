//! Remote actors: PeerTube accounts (`Person`), channels (`Group`) and instance actors
//! (`Application`), and Mastodon's `Person`/`Service` and friends.
//!
//! What federation needs from an actor: where to deliver (`inbox`, `endpoints.sharedInbox`), how
//! to check its signatures (`publicKey`, and FEP-521a `assertionMethod` keys), and what to show
//! (name, avatars, banners). For channels, `attributedTo` names the owning account.

use serde_json::Value;
use url::Url;

use super::error::{DocumentError, Result};
use super::read::{join, Fields};
use super::FromDocument;

/// An actor document.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    /// `id`.
    pub id: Url,
    /// `type`.
    pub kind: ActorType,
    /// `preferredUsername`: the name in `name@host` handles.
    pub preferred_username: String,
    /// `name`, the display name.
    pub name: Option<String>,
    /// `summary` (HTML from Mastodon, plain text from PeerTube).
    pub summary: Option<String>,
    /// `inbox`.
    pub inbox: Url,
    /// `outbox`.
    pub outbox: Option<Url>,
    /// `followers`.
    pub followers: Option<Url>,
    /// `following`.
    pub following: Option<Url>,
    /// `playlists` (PeerTube).
    pub playlists: Option<Url>,
    /// `endpoints.sharedInbox`: where deliveries to this server's actors are collapsed to.
    pub shared_inbox: Option<Url>,
    /// `publicKey`: the RSA key of HTTP signatures.
    pub public_key: Option<PublicKey>,
    /// FEP-521a `assertionMethod` keys of type `Multikey` controlled by this actor (entries of
    /// other types, or controlled by someone else, are left out).
    pub assertion_methods: Vec<Multikey>,
    /// `icon`: avatars (PeerTube sends 4 sizes, Mastodon one).
    pub icons: Vec<Image>,
    /// `image`: banners.
    pub images: Vec<Image>,
    /// `url`: the profile page (the first http(s) one).
    pub url: Option<Url>,
    /// `published`, as sent.
    pub published: Option<String>,
    /// `attributedTo`: for a PeerTube channel, the account that owns it.
    pub attributed_to: Vec<Url>,
    /// `support` (PeerTube channels): the support text.
    pub support: Option<String>,
}

/// The kinds of actors ActivityStreams defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorType {
    /// A PeerTube account or a Mastodon user.
    Person,
    /// A PeerTube channel.
    Group,
    /// A PeerTube instance actor.
    Application,
    /// A bot or a service account.
    Service,
    /// An organisation.
    Organization,
}

/// An actor's `publicKey`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// `id` (`<actor>#main-key`).
    pub id: Url,
    /// `owner`: always the actor (checked when reading).
    pub owner: Url,
    /// `publicKeyPem`.
    pub pem: String,
}

/// An FEP-521a `Multikey` entry of `assertionMethod`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multikey {
    /// `id` (`<actor>#ed25519-key`).
    pub id: Url,
    /// `controller`: the actor.
    pub controller: Url,
    /// `publicKeyMultibase` (`z6Mk…` for Ed25519), undecoded.
    pub public_key_multibase: String,
}

/// An `Image` of an actor (`icon`, `image`) or a video (`icon`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// `url` (the first one if a list of links).
    pub url: Url,
    /// `mediaType`.
    pub media_type: Option<String>,
    /// `width` in pixels.
    pub width: Option<u32>,
    /// `height` in pixels.
    pub height: Option<u32>,
}

impl FromDocument for Actor {
    fn read_at(value: &Value, path: &str) -> Result<Self> {
        let fields = Fields::of(value, path)?;
        let kind = ActorType::from_type(fields.kind()?).ok_or_else(|| DocumentError::UnexpectedType {
            field: fields.path("type"),
            expected: "an actor (Person, Group, Application, Service or Organization)",
            found: super::error::quote(fields.kind().unwrap_or_default()),
        })?;
        let id = fields.id("id")?;
        let shared_inbox = match fields.get("endpoints") {
            Some(endpoints) => Fields::of(endpoints, &fields.path("endpoints"))?.opt_id("sharedInbox")?,
            None => None,
        };
        Ok(Actor {
            kind,
            preferred_username: fields.str("preferredUsername")?.to_owned(),
            name: fields.opt_string("name")?,
            summary: fields.opt_string("summary")?,
            inbox: fields.id("inbox")?,
            outbox: fields.opt_id("outbox")?,
            followers: fields.opt_id("followers")?,
            following: fields.opt_id("following")?,
            playlists: fields.opt_id("playlists")?,
            shared_inbox,
            public_key: public_key(&fields, &id)?,
            assertion_methods: assertion_methods(&fields, &id),
            icons: images(&fields, "icon"),
            images: images(&fields, "image"),
            // Profile links vary most between servers and only serve display: a strange one is
            // dropped rather than refusing the actor.
            url: fields.opt_id("url").unwrap_or(None),
            published: fields.opt_string("published")?,
            attributed_to: fields.ids("attributedTo")?,
            support: fields.opt_string("support")?,
            id,
        })
    }
}

impl Actor {
    /// The avatar to show: the widest `icon` (the first if none gives a width).
    pub fn avatar(&self) -> Option<&Image> {
        widest(&self.icons)
    }

    /// The banner to show: the widest `image`.
    pub fn banner(&self) -> Option<&Image> {
        widest(&self.images)
    }
}

/// The widest image; the first when none has a width.
pub(crate) fn widest(images: &[Image]) -> Option<&Image> {
    images.iter().rev().max_by_key(|image| image.width.unwrap_or(0))
}

/// The narrowest image with a width; the first when none has one.
pub(crate) fn narrowest(images: &[Image]) -> Option<&Image> {
    images.iter().min_by_key(|image| image.width.unwrap_or(u32::MAX))
}

impl ActorType {
    /// The actor type named by `type`, if it is one.
    pub fn from_type(kind: &str) -> Option<Self> {
        Some(match kind {
            "Person" => Self::Person,
            "Group" => Self::Group,
            "Application" => Self::Application,
            "Service" => Self::Service,
            "Organization" => Self::Organization,
            _ => return None,
        })
    }

    /// The `type` string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "Person",
            Self::Group => "Group",
            Self::Application => "Application",
            Self::Service => "Service",
            Self::Organization => "Organization",
        }
    }
}

/// `publicKey` (an object, or a list whose first entry is the actor's): its `owner` must be the
/// actor, or a key of one actor could be served as another's.
fn public_key(fields: &Fields<'_>, actor: &Url) -> Result<Option<PublicKey>> {
    let path = fields.path("publicKey");
    let Some(value) = fields.list("publicKey").first() else { return Ok(None) };
    let key = Fields::of(value, &path)?;
    let owner = key.id("owner")?;
    if &owner != actor {
        return Err(DocumentError::ActorMismatch {
            field: join(&path, "owner"),
            found: owner.to_string(),
            actor: actor.to_string(),
        });
    }
    Ok(Some(PublicKey { id: key.id("id")?, owner, pem: key.str("publicKeyPem")?.to_owned() }))
}

/// The usable `Multikey` entries of `assertionMethod`. Unusable entries are skipped rather than
/// refused: a key we cannot use only means its proofs will not verify.
fn assertion_methods(fields: &Fields<'_>, actor: &Url) -> Vec<Multikey> {
    let path = fields.path("assertionMethod");
    fields
        .list("assertionMethod")
        .iter()
        .filter_map(|entry| {
            let key = Fields::of(entry, &path).ok()?;
            if key.kind().ok()? != "Multikey" {
                return None;
            }
            let controller = key.id("controller").ok()?;
            (&controller == actor).then_some(())?;
            Some(Multikey {
                id: key.id("id").ok()?,
                controller,
                public_key_multibase: key.str("publicKeyMultibase").ok()?.to_owned(),
            })
        })
        .collect()
}

/// The images of `key` (one or a list); entries without a usable URL are skipped, as images only
/// serve display.
pub(crate) fn images(fields: &Fields<'_>, key: &str) -> Vec<Image> {
    let path = fields.path(key);
    fields
        .list(key)
        .iter()
        .enumerate()
        .filter_map(|(i, entry)| image(entry, &format!("{path}[{i}]")).ok())
        .collect()
}

fn image(value: &Value, path: &str) -> Result<Image> {
    let fields = Fields::of(value, path)?;
    Ok(Image {
        url: fields.id("url")?,
        media_type: fields.opt_string("mediaType")?,
        width: fields.opt_u32("width")?,
        height: fields.opt_u32("height")?,
    })
}
