//! Reading other servers: documents fetched with the instance actor's signature (servers in
//! authorized-fetch mode refuse unsigned GETs), within the outbound policy and size and time
//! limits, and remote actors resolved, stored and refreshed.
//!
//! A fetched document must be what was asked for: its `id` has to be the URL requested (after
//! redirects are not followed, a document claiming another id is refused), so a server cannot
//! pass off an object of another host as its own.

use bytes::Bytes;
use edgetube_activitypub::documents::{Actor, ActorType};
use edgetube_activitypub::signatures::keys::pem_to_spki_der;
use edgetube_domain::actors::ActorKind;
use edgetube_domain::remote_actors::{self, RemoteActor, RemoteActorDocument};
use edgetube_domain::InstanceConfig;
use edgetube_ports::{HttpLimits, Ports};
use serde_json::Value;
use url::Url;

use crate::policy::OutboundPolicy;
use crate::signing::{self, Signer};
use crate::FederationError;

/// Remote actors are read again when their copy is older than this (PeerTube: 2 days).
pub const ACTOR_REFRESH_MS: i64 = 2 * 24 * 3600 * 1000;

/// The outbound policy of `config`.
pub fn policy(config: &InstanceConfig) -> OutboundPolicy {
    OutboundPolicy { allow_local: config.federation.allow_local_peers }
}

/// GETs `url` signed by the instance actor and returns its JSON, refusing a document whose `id`
/// is not `url`.
pub async fn fetch_document(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    url: &str,
) -> Result<Value, FederationError> {
    let target = policy(config).check(url)?;
    let signer = Signer::instance(ports, config).await?;
    let request = signing::signed_get(ports, &signer, &target).await?;
    let response = ports.http.send(request, HttpLimits::DOCUMENT).await?;
    let status = response.status();
    if !status.is_success() {
        return Err(FederationError::remote(url, format!("HTTP {}", status.as_u16())));
    }
    let document: Value = serde_json::from_slice(response.body())
        .map_err(|e| FederationError::remote(url, format!("not JSON: {e}")))?;
    let id = document.get("id").and_then(Value::as_str).unwrap_or_default();
    if without_fragment(id) != without_fragment(target.as_str()) {
        return Err(FederationError::remote(url, format!("the document says it is {id:?}")));
    }
    Ok(document)
}

/// Status of a GET that did not answer 2xx, for callers that treat "gone" specially.
pub async fn fetch_status(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    url: &str,
) -> Result<u16, FederationError> {
    let target = policy(config).check(url)?;
    let signer = Signer::instance(ports, config).await?;
    let request = signing::signed_get(ports, &signer, &target).await?;
    Ok(ports.http.send(request, HttpLimits::DOCUMENT).await?.status().as_u16())
}

fn without_fragment(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

/// The remote actor `ap_id`: the stored copy while fresh, else fetched and stored.
pub async fn actor(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    ap_id: &str,
) -> Result<RemoteActor, FederationError> {
    if let Some(known) = remote_actors::find_by_ap_id(ports.sql, ap_id).await? {
        if ports.clock.now_millis() - known.fetched_at < ACTOR_REFRESH_MS {
            return Ok(known);
        }
    }
    refresh_actor(ports, config, ap_id).await
}

/// Fetches and stores the remote actor `ap_id` whatever the stored copy's age (a key rotated).
pub async fn refresh_actor(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    ap_id: &str,
) -> Result<RemoteActor, FederationError> {
    refresh_actor_at_depth(ports, config, ap_id, 0).await
}

async fn refresh_actor_at_depth(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    ap_id: &str,
    depth: u8,
) -> Result<RemoteActor, FederationError> {
    let url = without_fragment(ap_id);
    let parsed = Url::parse(url).map_err(|_| FederationError::remote(url, "not a URL"))?;
    if host_of(&parsed) == config.origin.authority() {
        return Err(FederationError::remote(url, "a local actor is not fetched"));
    }
    let document = fetch_document(ports, config, url).await?;
    let actor = Actor::from_value(&document).map_err(|e| FederationError::remote(url, e))?;
    // A channel belongs to an account; store the account first so the channel can name it.
    let owner_id = match (actor.kind, actor.attributed_to.first()) {
        (ActorType::Group, Some(owner)) if depth == 0 && owner.as_str() != url => {
            Box::pin(actor_at_depth(ports, config, owner.as_str(), depth + 1)).await.ok().map(|o| o.id)
        }
        _ => None,
    };
    let stored = to_row(&actor, owner_id).map_err(|reason| FederationError::remote(url, reason))?;
    Ok(remote_actors::upsert(ports.sql, &stored, ports.clock.now_millis()).await?)
}

async fn actor_at_depth(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    ap_id: &str,
    depth: u8,
) -> Result<RemoteActor, FederationError> {
    if let Some(known) = remote_actors::find_by_ap_id(ports.sql, ap_id).await? {
        if ports.clock.now_millis() - known.fetched_at < ACTOR_REFRESH_MS {
            return Ok(known);
        }
    }
    refresh_actor_at_depth(ports, config, ap_id, depth).await
}

fn to_row(actor: &Actor, owner_id: Option<i64>) -> Result<RemoteActorDocument, String> {
    let key = actor.public_key.as_ref().ok_or("the actor publishes no publicKey")?;
    // Checked now so a key we cannot use is refused when fetched, not at each verification.
    pem_to_spki_der(&key.pem).map_err(|e| format!("publicKey: {e}"))?;
    let kind = match actor.kind {
        ActorType::Group => ActorKind::Group,
        ActorType::Application => ActorKind::Application,
        _ => ActorKind::Person,
    };
    let ed25519 = actor
        .assertion_methods
        .iter()
        .find(|m| m.controller == actor.id && m.public_key_multibase.starts_with("z6Mk"))
        .map(|m| m.public_key_multibase.clone());
    Ok(RemoteActorDocument {
        kind,
        username: actor.preferred_username.clone(),
        host: host_of(&actor.id),
        display_name: actor
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| actor.preferred_username.clone()),
        summary: actor.summary.clone(),
        ap_id: actor.id.to_string(),
        inbox_url: actor.inbox.to_string(),
        shared_inbox_url: actor.shared_inbox.as_ref().map(Url::to_string),
        followers_url: actor.followers.as_ref().map(Url::to_string),
        public_key_pem: key.pem.clone(),
        ed25519_public_multibase: ed25519,
        avatar_url: actor.avatar().map(|i| i.url.to_string()),
        owner_id,
    })
}

/// `host[:port]` of an id: the host part of handles and of `actors.host`.
pub fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => String::new(),
    }
}

/// Resolves `name@host` through the host's WebFinger to its actor, stored.
pub async fn resolve_handle(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    handle: &str,
) -> Result<RemoteActor, FederationError> {
    let handle = handle.trim().trim_start_matches('@');
    let (name, host) = handle
        .split_once('@')
        .filter(|(n, h)| !n.is_empty() && !h.is_empty() && !h.contains(['/', '?', '#', '@']))
        .ok_or_else(|| FederationError::remote(handle, "expected name@host"))?;
    if let Some(known) = remote_actors::find_by_handle(ports.sql, name, host).await? {
        if ports.clock.now_millis() - known.fetched_at < ACTOR_REFRESH_MS {
            return Ok(known);
        }
    }
    let scheme = if config.federation.allow_local_peers && is_local_host(host) { "http" } else { "https" };
    let url = format!("{scheme}://{host}/.well-known/webfinger?resource=acct:{name}@{host}");
    let target = policy(config).check(&url)?;
    let request = http::Request::get(target.as_str())
        .header(http::header::ACCEPT, "application/jrd+json, application/json")
        .body(Bytes::new())
        .map_err(|e| FederationError::remote(&url, e))?;
    let response = ports.http.send(request, HttpLimits::DOCUMENT).await?;
    if !response.status().is_success() {
        return Err(FederationError::remote(&url, format!("HTTP {}", response.status().as_u16())));
    }
    let jrd: Value = serde_json::from_slice(response.body())
        .map_err(|e| FederationError::remote(&url, format!("not JSON: {e}")))?;
    let actor_url = jrd
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|link| {
            link.get("rel").and_then(Value::as_str) == Some("self")
                && link.get("type").and_then(Value::as_str).is_some_and(|t| {
                    t.starts_with("application/activity+json") || t.starts_with("application/ld+json")
                })
        })
        .and_then(|link| link.get("href").and_then(Value::as_str))
        .ok_or_else(|| FederationError::remote(&url, "no ActivityPub link"))?
        .to_owned();
    refresh_actor(ports, config, &actor_url).await
}

fn is_local_host(host: &str) -> bool {
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    name == "localhost" || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
