//! The inbox at the edge: `POST /inbox`, `/accounts/{name}/inbox`, `/video-channels/{name}/inbox`.
//!
//! The request is answered as soon as the activity is safe: the signature verified against the
//! signer's key (fetched once and cached, fetched again once when it fails, for rotated keys),
//! the activity parsed and checked to come from its actor's own host, and the activity stored
//! and queued. Applying it is the queue consumer's ([`apply`](crate::apply)), so a slow effect
//! (fetching a video, delivering an Accept) never holds the sender's connection.
//!
//! An activity whose actor is not the signer was forwarded (PeerTube forwards replies to the
//! video's followers). When its JSON-LD `RsaSignature2017` is the actor's and verifies with the
//! actor's (cached) key, it is the actor's own word: it is stored as signed by the actor, and
//! applied from its body like a direct delivery, as PeerTube does. Otherwise it is accepted
//! when its FEP-8b32 proof verifies with the actor's key, else queued as forwarded, and the
//! consumer then trusts only what it fetches from the object's origin. A replay of an activity
//! already received (same id, same bytes) is answered like the first delivery and applied no
//! second time.

use std::time::Duration;

use edgetube_activitypub::documents::{Activity, ActivityKind};
use edgetube_activitypub::signatures::incoming::{verification_plan, Plan};
use edgetube_activitypub::signatures::keys::{ed25519_from_multibase, pem_to_spki_der};
use edgetube_activitypub::signatures::{integrity, ld_signature};
use edgetube_domain::remote_actors::{self, RemoteActor};
use edgetube_domain::InstanceConfig;
use edgetube_ports::encoding::hex;
use edgetube_ports::{InboxWork, Ports, QueueMessage, Statement};
use http::{HeaderMap, Method, StatusCode};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

use crate::{blocklist, remote, FederationError};

/// The largest inbox body: a PeerTube `Create{Video}` is about 9 kB, a Mastodon status with
/// many mentions a few tens; 256 KiB leaves room and bounds what a sender makes us store.
pub const MAX_INBOX_BODY: usize = 256 * 1024;

/// How far a signature's `Date` / `created` may be from our clock, as PeerTube allows.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(1800);

/// Why an inbox POST was refused: an HTTP status and a message for the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 400, 403, 413 or 503.
    pub status: StatusCode,
    /// What was wrong, as PeerTube words its problems where it has one.
    pub detail: String,
}

impl Refusal {
    fn forbidden(detail: impl std::fmt::Display) -> Self {
        Self { status: StatusCode::FORBIDDEN, detail: detail.to_string() }
    }

    fn bad_request(detail: impl std::fmt::Display) -> Self {
        Self { status: StatusCode::BAD_REQUEST, detail: detail.to_string() }
    }

    fn unavailable(error: &FederationError) -> Self {
        Self { status: StatusCode::SERVICE_UNAVAILABLE, detail: format!("try again later: {error}") }
    }
}

/// What became of an accepted POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Stored and queued, as row `id`.
    Queued(i64),
    /// Already received with the same bytes: nothing more to do.
    Duplicate,
    /// An actor's `Delete` of itself whose key is gone: the actor was removed here.
    ActorGone,
}

/// Verifies and queues one inbox POST. `url` is the request's absolute URL as received.
pub async fn receive(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Received, Refusal> {
    if body.len() > MAX_INBOX_BODY {
        return Err(Refusal {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            detail: format!("body over {MAX_INBOX_BODY} bytes"),
        });
    }
    let now = ports.clock.now_millis();
    let plan =
        verification_plan(method, url, headers, Some(body), u64::try_from(now).unwrap_or(0), MAX_CLOCK_SKEW)
            .map_err(Refusal::forbidden)?;
    let activity = Activity::parse(body).map_err(Refusal::bad_request)?;
    activity.check_origin().map_err(Refusal::forbidden)?;
    let signer_host = Url::parse(&plan.actor_id).map(|u| remote::host_of(&u)).unwrap_or_default();
    if blocklist::server_blocked(ports.sql, &signer_host).await.map_err(|e| Refusal::unavailable(&e))?
        || blocklist::server_blocked(ports.sql, &remote::host_of(&activity.actor))
            .await
            .map_err(|e| Refusal::unavailable(&e))?
    {
        return Err(Refusal::forbidden(format!("{signer_host} is blocked on this instance")));
    }
    let signer = match verified_signer(ports, config, &plan).await {
        Ok(signer) => signer,
        Err(SignerError::Gone) if is_self_delete(&activity, &plan) => {
            remote_actors::delete(ports.sql, activity.actor.as_str())
                .await
                .map_err(|e| Refusal::unavailable(&e.into()))?;
            return Ok(Received::ActorGone);
        }
        Err(SignerError::Refused(detail)) => return Err(Refusal::forbidden(detail)),
        Err(SignerError::Gone) => return Err(Refusal::forbidden("the signer's key is gone")),
        Err(SignerError::Failed(e)) => return Err(Refusal::unavailable(&e)),
    };
    let mut credited = signer.ap_id;
    if credited != activity.actor.as_str() {
        if ld_signed_by_actor(ports, config, &activity).await {
            credited = activity.actor.to_string();
        } else {
            forwarded_proof(ports, config, &activity).await?;
        }
    }
    store(ports, &activity, &credited, body, now).await.map_err(|e| Refusal::unavailable(&e))
}

enum SignerError {
    /// The signature does not verify, or the key cannot be used.
    Refused(String),
    /// The key's actor answers 404 or 410.
    Gone,
    /// Fetching the key failed for now.
    Failed(FederationError),
}

/// The remote actor whose key verifies `plan`: the stored key, then (once) a freshly fetched one.
async fn verified_signer(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    plan: &Plan,
) -> Result<RemoteActor, SignerError> {
    let cached = remote_actors::find_by_ap_id(ports.sql, &plan.actor_id)
        .await
        .map_err(|e| SignerError::Failed(e.into()))?;
    if let Some(actor) = &cached {
        if verify(ports, plan, actor).await? {
            return Ok(actor.clone());
        }
    }
    let fresh = match remote::refresh_actor(ports, config, &plan.actor_id).await {
        Ok(actor) => actor,
        Err(FederationError::Remote { reason, .. }) if reason == "HTTP 404" || reason == "HTTP 410" => {
            return Err(SignerError::Gone)
        }
        Err(e @ FederationError::Policy(_)) => return Err(SignerError::Refused(e.to_string())),
        Err(e @ FederationError::Remote { .. }) => {
            return Err(SignerError::Refused(format!("cannot read the signer's key: {e}")))
        }
        Err(e) => return Err(SignerError::Failed(e)),
    };
    if verify(ports, plan, &fresh).await? {
        Ok(fresh)
    } else {
        Err(SignerError::Refused("Invalid signature".into()))
    }
}

async fn verify(ports: &Ports<'_>, plan: &Plan, actor: &RemoteActor) -> Result<bool, SignerError> {
    // The actor's keys, whatever the keyId's fragment calls them (`#main-key`, `#ed25519-key`,
    // Fedify's `#key-2`): the signature must verify with one of the keys the actor publishes, of
    // a type the algorithm allows, so the fragment adds nothing to trust.
    if plan.algorithm.accepts_rsa() && !plan.key_id.ends_with("#ed25519-key") {
        let der = pem_to_spki_der(&actor.public_key_pem).map_err(|e| SignerError::Refused(e.to_string()))?;
        for message in plan.messages() {
            match ports.crypto.verify_rsa_sha256(&der, message, &plan.signature).await {
                Ok(true) => return Ok(true),
                Ok(false) => {}
                // A signature of Ed25519's length is no RSA signature: try the other key.
                Err(_) if plan.algorithm.accepts_ed25519() => break,
                Err(e) => return Err(SignerError::Refused(format!("unusable key: {e}"))),
            }
        }
    }
    if plan.algorithm.accepts_ed25519() {
        if let Some(multibase) = &actor.ed25519_public_multibase {
            let key = ed25519_from_multibase(multibase).map_err(|e| SignerError::Refused(e.to_string()))?;
            return Ok(plan.verify_ed25519(&key).is_ok());
        }
    }
    Ok(false)
}

fn is_self_delete(activity: &Activity, plan: &Plan) -> bool {
    activity.kind == ActivityKind::Delete
        && activity.actor.as_str() == plan.actor_id
        && activity.object.id().is_some_and(|object| object == &activity.actor)
}

/// Whether a forwarded activity carries an `RsaSignature2017` made by its own actor that verifies
/// with the actor's key. Anything short of that (no signature, another creator, a context we do
/// not pin, a body too large to canonicalize, a key that does not verify) is `false`, and the
/// forwarded activity is then treated as it would be without one. The key is the cached one (or
/// fetched when absent or stale) and is not fetched again on failure, unlike an HTTP signer's:
/// a forwarder could otherwise make us fetch the actor with every tampered copy it sends.
async fn ld_signed_by_actor(ports: &Ports<'_>, config: &InstanceConfig, activity: &Activity) -> bool {
    if activity.signature.is_none() {
        return false;
    }
    let Ok(plan) = ld_signature::verification_plan(&activity.raw) else { return false };
    if plan.actor() != activity.actor.as_str() {
        return false;
    }
    // Without the key (its origin down, a policy refusal), the activity is no worse off than
    // one without a signature: today's rule for forwarded activities decides.
    let Ok(actor) = remote::actor(ports, config, plan.actor()).await else { return false };
    let Ok(der) = pem_to_spki_der(&actor.public_key_pem) else { return false };
    ports
        .crypto
        .verify_rsa_sha256(&der, plan.message.as_bytes(), &plan.signature_bytes)
        .await
        .unwrap_or(false)
}

/// A forwarded activity is kept only with a valid FEP-8b32 proof by its actor, or when it is of a
/// kind the consumer re-fetches from the origin anyway.
async fn forwarded_proof(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    activity: &Activity,
) -> Result<(), Refusal> {
    if activity.proof.is_some() {
        let actor = remote::actor(ports, config, activity.actor.as_str())
            .await
            .map_err(|e| Refusal::unavailable(&e))?;
        let key = actor
            .ed25519_public_multibase
            .as_deref()
            .ok_or_else(|| Refusal::forbidden("the actor publishes no ed25519 key for its proof"))
            .and_then(|m| ed25519_from_multibase(m).map_err(Refusal::forbidden))?;
        return integrity::verify_proof(&activity.raw, |method| {
            (method.split('#').next() == Some(actor.ap_id.as_str())).then_some(key)
        })
        .map(|_| ())
        .map_err(Refusal::forbidden);
    }
    match activity.kind {
        // Re-fetched from their origin by the consumer: the forwarder's word is not taken.
        ActivityKind::Create | ActivityKind::Update | ActivityKind::Announce => Ok(()),
        _ => Err(Refusal::forbidden("the signer is not the activity's actor")),
    }
}

async fn store(
    ports: &Ports<'_>,
    activity: &Activity,
    signer: &str,
    body: &[u8],
    now: i64,
) -> Result<Received, FederationError> {
    let digest = hex(&Sha256::digest(body));
    let text = String::from_utf8_lossy(body);
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    // One round trip: RETURNING gives the new row's id, and no row when the same bytes were
    // already received (a replay).
    let inserted: Option<Id> = ports
        .sql
        .fetch_optional(
            Statement::new(
                "INSERT INTO inbox_activities (ap_id, body_sha256, signer, body, state, received_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?5) ON CONFLICT (ap_id, body_sha256) DO NOTHING RETURNING id",
            )
            .bind(activity.id.as_str())
            .bind(digest.as_str())
            .bind(signer)
            .bind(text.as_ref())
            .bind(now),
        )
        .await?;
    let Some(Id { id }) = inserted else { return Ok(Received::Duplicate) };
    ports.queue.send(&QueueMessage::Inbox(InboxWork { activity: id, attempt: 0 }), None).await?;
    Ok(Received::Queued(id))
}
