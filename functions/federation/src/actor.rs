//! Actor documents (`Person`, `Group`, `Application`) and their web-page fallback.

use edgetube_domain::actors::{ActorKind, LocalActor};
use edgetube_domain::{iso8601_millis, Origin};
use serde::Serialize;
use serde_json::Value;

use crate::context;
use edgetube_activitypub::documents::build::actor_keys::add_assertion_method;
use edgetube_ports::encoding::html_escape as escape;

/// An actor document in PeerTube's field order.
#[derive(Debug, Serialize)]
pub struct ActorDocument {
    #[serde(rename = "@context")]
    context: Value,
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    following: String,
    followers: String,
    playlists: String,
    inbox: String,
    outbox: String,
    #[serde(rename = "preferredUsername")]
    preferred_username: String,
    url: String,
    name: String,
    endpoints: Endpoints,
    #[serde(rename = "publicKey")]
    public_key: PublicKey,
    published: String,
    summary: Option<String>,
    #[serde(flatten)]
    group: Option<GroupFields>,
}

#[derive(Debug, Serialize)]
struct Endpoints {
    #[serde(rename = "sharedInbox")]
    shared_inbox: String,
}

/// The `publicKey` block: `id` is `<actor>#main-key`.
#[derive(Debug, Serialize)]
pub struct PublicKey {
    id: String,
    owner: String,
    #[serde(rename = "publicKeyPem")]
    public_key_pem: String,
}

/// What only channels carry.
#[derive(Debug, Serialize)]
struct GroupFields {
    support: Option<String>,
    #[serde(rename = "postingRestrictedToMods")]
    posting_restricted_to_mods: bool,
    #[serde(rename = "attributedTo")]
    attributed_to: Vec<AttributedTo>,
}

#[derive(Debug, Serialize)]
struct AttributedTo {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
}

/// The ActivityPub document of a local actor.
pub fn document(origin: &Origin, actor: &LocalActor) -> ActorDocument {
    let id = origin.join(&actor.path());
    let group = (actor.kind == ActorKind::Group).then(|| GroupFields {
        support: actor.support.clone(),
        posting_restricted_to_mods: true,
        attributed_to: actor
            .owner_username
            .iter()
            .map(|owner| AttributedTo { kind: "Person", id: origin.join(&format!("/accounts/{owner}")) })
            .collect(),
    });
    ActorDocument {
        context: context::actor(),
        kind: actor.kind.as_str(),
        following: format!("{id}/following"),
        followers: format!("{id}/followers"),
        playlists: format!("{id}/playlists"),
        inbox: format!("{id}/inbox"),
        outbox: format!("{id}/outbox"),
        preferred_username: actor.username.clone(),
        url: id.clone(),
        name: actor.display_name.clone(),
        endpoints: Endpoints { shared_inbox: origin.join("/inbox") },
        public_key: PublicKey {
            id: format!("{id}#main-key"),
            owner: id.clone(),
            public_key_pem: actor.public_key_pem.clone(),
        },
        published: iso8601_millis(actor.created_at),
        summary: actor.summary.clone(),
        group,
        id,
    }
}

/// The ActivityPub document of a local actor with its FEP-521a `assertionMethod`: the Ed25519
/// key (`publicKeyMultibase`) whose id, `<actor>#ed25519-key`, is the `verificationMethod` of
/// the FEP-8b32 proofs on every activity the actor sends. Without it no one can check those
/// proofs (Fedify's `verifyProof` fetches the key from here).
pub fn document_with_ed25519(origin: &Origin, actor: &LocalActor, public_key_multibase: &str) -> Value {
    let mut value = serde_json::to_value(document(origin, actor)).unwrap_or(Value::Null);
    // The document is an object with an `id`: adding the key cannot fail.
    let _ = add_assertion_method(&mut value, public_key_multibase);
    value
}

/// A minimal page for browsers that open an actor URL.
pub fn html_page(origin: &Origin, actor: &LocalActor) -> String {
    let handle = format!("{}@{}", actor.username, origin.authority());
    let kind = match actor.kind {
        ActorKind::Group => "channel",
        ActorKind::Person => "account",
        ActorKind::Application => "instance actor",
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{name}</title>\
         <link rel=\"alternate\" type=\"application/activity+json\" href=\"{url}\"></head>\
         <body><h1>{name}</h1><p>{kind} <code>{handle}</code></p></body></html>\n",
        name = escape(&actor.display_name),
        url = escape(&origin.join(&actor.path())),
        handle = escape(&handle),
    )
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

    fn actor_like(sample: &Value, kind: ActorKind, owner: Option<&str>) -> LocalActor {
        LocalActor {
            id: 1,
            kind,
            username: sample["preferredUsername"].as_str().unwrap().to_owned(),
            display_name: sample["name"].as_str().unwrap().to_owned(),
            summary: None,
            support: None,
            public_key_pem: sample["publicKey"]["publicKeyPem"].as_str().unwrap().to_owned(),
            owner_username: owner.map(str::to_owned),
            created_at: time::OffsetDateTime::parse(
                sample["published"].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
            .unwrap(),
            updated_at: 0,
        }
    }

    #[test]
    fn documents_equal_peertube_samples() {
        let origin = Origin::parse("http://127.0.0.1:9000", true).unwrap();
        for (file, kind, owner) in [
            ("actor-account-person.json", ActorKind::Person, None),
            ("actor-channel-group.json", ActorKind::Group, Some("root")),
            ("actor-instance-application.json", ActorKind::Application, None),
        ] {
            let expected = sample(file);
            let ours = serde_json::to_value(document(&origin, &actor_like(&expected, kind, owner))).unwrap();
            assert_eq!(ours, expected, "{file}");
            // Remote servers read the keys in this order too; keep it identical.
            let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(&ours), keys(&expected), "{file}");
        }
    }

    #[test]
    fn documents_publish_the_ed25519_key_of_proofs() {
        let origin = Origin::parse("http://127.0.0.1:9000", true).unwrap();
        let expected = sample("actor-channel-group.json");
        let actor = actor_like(&expected, ActorKind::Group, Some("root"));
        let key = edgetube_activitypub::signatures::SigningKey::from_bytes(&[7; 32]);
        let multibase =
            edgetube_activitypub::signatures::keys::ed25519_to_multibase(&key.verifying_key().to_bytes());
        let multibase = multibase.as_str();
        let ours = document_with_ed25519(&origin, &actor, multibase);
        let id = ours["id"].as_str().unwrap();
        let method = &ours["assertionMethod"][0];
        assert_eq!(method["id"], format!("{id}#ed25519-key"));
        assert_eq!(method["type"], "Multikey");
        assert_eq!(method["controller"], id);
        assert_eq!(method["publicKeyMultibase"], multibase);
        let context = ours["@context"].as_array().unwrap();
        for url in [
            "https://w3id.org/security/data-integrity/v1",
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1",
        ] {
            assert!(context.iter().any(|c| c == url), "{url} missing from {context:?}");
        }
        // Everything PeerTube's document has is still there, unchanged.
        for (key, value) in expected.as_object().unwrap() {
            if key != "@context" {
                assert_eq!(&ours[key], value, "{key}");
            }
        }
        // Our own reader finds the key where a remote server would.
        let parsed = edgetube_activitypub::documents::Actor::from_value(&ours).unwrap();
        assert_eq!(parsed.assertion_methods.len(), 1);
        assert_eq!(parsed.assertion_methods[0].public_key_multibase, multibase);
    }

    #[test]
    fn html_escapes_names() {
        let origin = Origin::parse("https://tube.example", false).unwrap();
        let mut actor = actor_like(&sample("actor-account-person.json"), ActorKind::Person, None);
        actor.display_name = "<script>".into();
        let page = html_page(&origin, &actor);
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"));
        assert!(page.contains("root@tube.example"));
    }
}
