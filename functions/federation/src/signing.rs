//! Our side of signatures: requests signed by a local actor's RSA key (through the crypto port:
//! WebCrypto on Workers), activities given an FEP-8b32 proof with its ed25519 key, and each
//! local actor's ed25519 key made on first use.
//!
//! What to sign and every rule around it is `edgetube-activitypub`'s; this module only brings
//! the keys (unsealed with the instance's key-encryption secret) and the clock.

use bytes::Bytes;
use edgetube_activitypub::documents::context::{add_context_urls, DATA_INTEGRITY_V1};
use edgetube_activitypub::signatures::cavage::CavageOutgoing;
use edgetube_activitypub::signatures::integrity::sign_proof;
use edgetube_activitypub::signatures::keys::ed25519_to_multibase;
use edgetube_activitypub::signatures::rfc9421::{OutgoingAlgorithm, Rfc9421Outgoing};
use edgetube_activitypub::signatures::SigningKey;
use edgetube_domain::actors::{self, ActorKind, SealedKeys};
use edgetube_domain::departed_actors;
use edgetube_domain::keys::KeyVault;
use edgetube_domain::{iso8601_millis, InstanceConfig, INSTANCE_ACTOR_NAME};
use edgetube_ports::Ports;
use http::{header, Method, Request};
use serde_json::Value;
use url::Url;

use crate::hosts::SignatureScheme;
use crate::outbox::Stored;
use crate::FederationError;

/// `Accept` of every fetch, as PeerTube sends it.
pub const ACCEPT_ACTIVITY: &str = "application/activity+json, application/ld+json";

/// A local actor able to sign: its id, `keyId` and unsealed RSA key.
pub struct Signer {
    /// The actor's row.
    pub actor_id: i64,
    /// Its ActivityPub id.
    pub actor_url: String,
    /// `<actor>#main-key`, the `publicKey.id` of its document.
    pub key_id: String,
    private_pkcs8_der: Vec<u8>,
}

impl Signer {
    /// The signer for local actor `actor_id`.
    pub async fn load(
        ports: &Ports<'_>,
        config: &InstanceConfig,
        actor_id: i64,
    ) -> Result<Self, FederationError> {
        let sealed = actors::sealed_keys(ports.sql, actor_id).await?.ok_or_else(|| {
            FederationError::Inconsistent(format!("no local actor {actor_id} to sign with"))
        })?;
        Self::from_sealed(config, actor_id, &sealed)
    }

    /// The signer of outbox row `activity`: its author, or the departed actor whose Delete it is.
    pub async fn for_outbox(
        ports: &Ports<'_>,
        config: &InstanceConfig,
        activity: &Stored,
    ) -> Result<Self, FederationError> {
        let Some(departed) = activity.departed_id else {
            return Self::load(ports, config, activity.actor_id).await;
        };
        let sealed = departed_actors::sealed_keys(ports.sql, departed).await?.ok_or_else(|| {
            FederationError::Inconsistent(format!("no departed actor {departed} to sign with"))
        })?;
        Self::from_sealed(config, activity.actor_id, &sealed)
    }

    fn from_sealed(
        config: &InstanceConfig,
        actor_id: i64,
        sealed: &SealedKeys,
    ) -> Result<Self, FederationError> {
        let vault = KeyVault::new(&config.key_encryption_secret);
        let private_pkcs8_der = vault.unseal(&sealed.username, &sealed.private_key_sealed)?;
        let actor_url = config.origin.join(&format!("{}{}", sealed.kind.path_prefix(), sealed.username));
        Ok(Self { actor_id, key_id: format!("{actor_url}#main-key"), actor_url, private_pkcs8_der })
    }

    /// The instance actor (`/accounts/peertube`), which signs fetches (authorized fetch).
    pub async fn instance(ports: &Ports<'_>, config: &InstanceConfig) -> Result<Self, FederationError> {
        let actor = actors::find_local_of_kind(ports.sql, ActorKind::Application, INSTANCE_ACTOR_NAME)
            .await?
            .ok_or_else(|| FederationError::Inconsistent("the instance actor is missing".into()))?;
        Self::load(ports, config, actor.id).await
    }

    async fn sign(&self, ports: &Ports<'_>, message: &[u8]) -> Result<Vec<u8>, FederationError> {
        Ok(ports.crypto.sign_rsa_sha256(&self.private_pkcs8_der, message).await?)
    }
}

fn now_ms(ports: &Ports<'_>) -> u64 {
    u64::try_from(ports.clock.now_millis()).unwrap_or(0)
}

fn cannot_sign(url: &Url, e: impl std::fmt::Display) -> FederationError {
    FederationError::Inconsistent(format!("cannot sign a request to {url}: {e}"))
}

/// A POST of `body` (an activity) to `url`, signed by `signer` with `scheme`.
pub async fn signed_post(
    ports: &Ports<'_>,
    signer: &Signer,
    url: &Url,
    body: Bytes,
    scheme: SignatureScheme,
) -> Result<Request<Bytes>, FederationError> {
    let mut builder = Request::post(url.as_str())
        .header(header::CONTENT_TYPE, "application/activity+json")
        .header(header::ACCEPT, ACCEPT_ACTIVITY)
        .header(header::USER_AGENT, user_agent(&signer.actor_url));
    match scheme {
        SignatureScheme::Cavage => {
            let prepared = CavageOutgoing::prepare(&Method::POST, url, Some(&body), now_ms(ports))
                .map_err(|e| cannot_sign(url, e))?;
            let signature = signer.sign(ports, prepared.signing_string.as_bytes()).await?;
            for (name, value) in &prepared.headers {
                builder = builder.header(name, value);
            }
            let value =
                prepared.signature_header(&signer.key_id, &signature).map_err(|e| cannot_sign(url, e))?;
            builder = builder.header("signature", value);
        }
        SignatureScheme::Rfc9421 => {
            let prepared = Rfc9421Outgoing::prepare(
                &Method::POST,
                url,
                Some(&body),
                now_ms(ports),
                &signer.key_id,
                OutgoingAlgorithm::RsaV15Sha256,
            )
            .map_err(|e| cannot_sign(url, e))?;
            let signature = signer.sign(ports, prepared.signature_base.as_bytes()).await?;
            for (name, value) in prepared.headers.iter().chain(prepared.signature_headers(&signature).iter())
            {
                builder = builder.header(name, value);
            }
            // Servers that read both (and cavage-only ones reading `Date`) still see the time.
            let date = edgetube_activitypub::signatures::http_date(now_ms(ports))
                .map_err(|e| cannot_sign(url, e))?;
            builder = builder.header(header::DATE, date);
        }
    }
    builder.body(body).map_err(|e| cannot_sign(url, e))
}

/// A GET of `url` signed by `signer` with draft-cavage (what every server verifies on fetches).
pub async fn signed_get(
    ports: &Ports<'_>,
    signer: &Signer,
    url: &Url,
) -> Result<Request<Bytes>, FederationError> {
    let prepared =
        CavageOutgoing::prepare(&Method::GET, url, None, now_ms(ports)).map_err(|e| cannot_sign(url, e))?;
    let signature = signer.sign(ports, prepared.signing_string.as_bytes()).await?;
    let mut builder = Request::get(url.as_str())
        .header(header::ACCEPT, ACCEPT_ACTIVITY)
        .header(header::USER_AGENT, user_agent(&signer.actor_url));
    for (name, value) in &prepared.headers {
        builder = builder.header(name, value);
    }
    let value = prepared.signature_header(&signer.key_id, &signature).map_err(|e| cannot_sign(url, e))?;
    builder.header("signature", value).body(Bytes::new()).map_err(|e| cannot_sign(url, e))
}

fn user_agent(actor_url: &str) -> String {
    let origin = Url::parse(actor_url).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
    format!("Edgetube/{} (+{origin})", env!("CARGO_PKG_VERSION"))
}

/// The ed25519 key of local actor `actor_id` and its `publicKeyMultibase`, made and stored on
/// first use (actors created before federation have none).
pub async fn ed25519_key(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    actor_id: i64,
) -> Result<(SigningKey, String), FederationError> {
    let vault = KeyVault::new(&config.key_encryption_secret);
    for _ in 0..2 {
        let sealed = actors::sealed_keys(ports.sql, actor_id)
            .await?
            .ok_or_else(|| FederationError::Inconsistent(format!("no local actor {actor_id}")))?;
        let aad = format!("{}#ed25519", sealed.username);
        if let (Some(seed_sealed), Some(multibase)) =
            (sealed.ed25519_private_sealed, sealed.ed25519_public_multibase)
        {
            let seed: [u8; 32] = vault.unseal(&aad, &seed_sealed)?.try_into().map_err(|_| {
                FederationError::Inconsistent(format!("ed25519 seed of {} is not 32 bytes", sealed.username))
            })?;
            return Ok((SigningKey::from_bytes(&seed), multibase));
        }
        let seed: [u8; 32] = ports
            .crypto
            .random_bytes(32)?
            .try_into()
            .map_err(|_| FederationError::Inconsistent("the crypto port gave a short seed".into()))?;
        let key = SigningKey::from_bytes(&seed);
        let multibase = ed25519_to_multibase(&key.verifying_key().to_bytes());
        let sealed_seed = vault.seal(ports.crypto, &aad, &seed)?;
        // A concurrent first use may have stored its own: the loop then reads that one.
        actors::set_ed25519_if_absent(ports.sql, actor_id, &sealed_seed, &multibase).await?;
    }
    Err(FederationError::Inconsistent(format!("the ed25519 key of actor {actor_id} was not stored")))
}

/// `activity` with an FEP-8b32 `eddsa-jcs-2022` proof by local actor `actor_id`.
pub async fn with_proof(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    actor_id: i64,
    actor_url: &str,
    activity: &Value,
) -> Result<Value, FederationError> {
    let (key, _) = ed25519_key(ports, config, actor_id).await?;
    let created = iso8601_seconds(ports.clock.now_millis());
    proved(activity, &format!("{actor_url}#ed25519-key"), &created, &key)
}

/// `activity` with the data-integrity context and a proof by `key`. The context goes in first
/// (the proof covers it): without it a JSON-LD reader (Fedify, any LD processor) does not know
/// the `proof` term and drops the proof while expanding, so nobody could verify it.
fn proved(activity: &Value, key_id: &str, created: &str, key: &SigningKey) -> Result<Value, FederationError> {
    let mut activity = activity.clone();
    if let Value::Object(map) = &mut activity {
        add_context_urls(map, &[DATA_INTEGRITY_V1]);
    }
    sign_proof(&activity, key_id, created, key)
        .map_err(|e| FederationError::Inconsistent(format!("cannot add a proof: {e}")))
}

/// `2026-12-04T17:00:00Z`: proofs' `created` carries whole seconds.
fn iso8601_seconds(millis: i64) -> String {
    let with_millis = iso8601_millis(millis - millis.rem_euclid(1000));
    with_millis.replace(".000Z", "Z")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use edgetube_activitypub::documents::build::activities::{self, FollowRef};
    use edgetube_activitypub::signatures::integrity::parse_proof;

    #[test]
    fn proofs_travel_with_the_context_that_defines_them() {
        let follow = FollowRef {
            id: "http://peer.example/follows/1",
            actor: "http://peer.example/users/alice",
            object: "http://tube.example/video-channels/root_channel",
        };
        let accept = activities::accept(
            "http://tube.example/accepts/follows/1",
            "http://tube.example/video-channels/root_channel",
            &follow,
        );
        let key = SigningKey::from_bytes(&[9; 32]);
        let key_id = "http://tube.example/video-channels/root_channel#ed25519-key";
        let signed = proved(&accept, key_id, "2026-12-04T17:00:00Z", &key).unwrap();
        let context = signed["@context"].as_array().unwrap();
        assert!(context.iter().any(|c| c == DATA_INTEGRITY_V1), "{context:?}");
        // PeerTube's base context is kept, in its order, before the term object.
        assert_eq!(context[0], "https://www.w3.org/ns/activitystreams");
        assert_eq!(context[1], "https://w3id.org/security/v1");
        assert!(context.last().unwrap().is_object());
        // The proof covers the context as sent, and verifies.
        assert_eq!(signed["proof"]["@context"], signed["@context"]);
        parse_proof(&signed).unwrap().verify(&key.verifying_key().to_bytes()).unwrap();
        // Signing twice does not add the context twice.
        let mut again = signed.clone();
        again.as_object_mut().unwrap().remove("proof");
        let twice = proved(&again, key_id, "2026-12-04T17:00:00Z", &key).unwrap();
        let count = twice["@context"].as_array().unwrap().iter().filter(|c| *c == DATA_INTEGRITY_V1).count();
        assert_eq!(count, 1);
    }
}
