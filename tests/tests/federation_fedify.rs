//! Federation checked by an independent implementation: a Node peer built on Fedify
//! (`tests/fedify-peer/peer.mjs`, `@fedify/fedify` 1.5) against the real worker under
//! `wrangler dev`, one instance and one peer for the whole suite, both stopped by PID.
//!
//! - Fedify's `lookupObject` reads our account, channel and instance actor as Person, Group and
//!   Application, with the RSA key and the Ed25519 key (FEP-521a) a verifier needs;
//! - Fedify follows our channel with a request signed by its `signRequest`; our Accept reaches
//!   its inbox, where `verifyRequest` accepts our signature and `verifyProof` our FEP-8b32 proof;
//! - a Note signed by Fedify is taken, the same with a broken signature is refused;
//! - the refusal matrix: requests signed here (RSA, draft-cavage) with the peer's own key, each
//!   case wrong in one way, each refused for that reason and nothing of it stored.
//!
//! The peer also listens on 127.0.0.2, which makes it a second server (its ids follow the Host
//! it is reached at): that one is blocked for the blocked-server case.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, ensure, Context, Result};
use base64::Engine as _;
use edgetube_e2e::{FedifyPeer, Instance};
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The second loopback address the peer answers on, as another server.
const SECOND_ADDRESS: &str = "127.0.0.2";

/// How long our queue may take to deliver an Accept (the first try, RFC 9421, is refused by
/// Fedify 1.5, which reads draft-cavage only; the fallback follows at once).
const DELIVERY_WAIT: Duration = Duration::from_secs(60);

/// The public collection.
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

#[tokio::test(flavor = "multi_thread")]
async fn an_independent_fedify_peer_agrees_with_us() -> Result<()> {
    let (instance, peer) = tokio::try_join!(
        Instance::start_with(&[("EDGETUBE_VARS", "FEDERATION_RETRY_BASE_SECONDS:1")]),
        FedifyPeer::start(Some(SECOND_ADDRESS)),
    )?;
    let suite = Suite::new(&instance, &peer).await?;
    let mut report = Report::default();
    let checks = async {
        report.check("Fedify looks up our account, channel and instance actor", suite.lookups()).await;
        report.check("Fedify follows our channel; our Accept verifies there", suite.fedify_follows()).await;
        report.check("a Note signed by Fedify is taken, a broken one refused", suite.fedify_notes()).await;
        report
            .check("a Note relayed by another actor is taken on Fedify's proof", suite.relayed_with_proof())
            .await;
        report.check("a request signed here is taken (the matrix's baseline)", suite.baseline()).await;
        match suite.refusal_cases() {
            Ok(cases) => {
                for case in cases {
                    let name = format!("refused: {}", case.name);
                    report.check(&name, suite.refused(case)).await;
                }
            }
            Err(e) => report.failed.push(format!("building the refusal cases: {e:#}")),
        }
        report.check("refused: a replayed activity has no second effect", suite.replay()).await;
        report.check("refused: a blocked server", suite.blocked_server()).await;
    };
    if tokio::time::timeout(Duration::from_secs(600), checks).await.is_err() {
        report.failed.push("the checks did not finish within 600 s".into());
    }
    report.finish().with_context(|| {
        format!("instance log:\n{}\n\nFedify peer log:\n{}", instance.log_tail(), tail(&peer.log(), 60))
    })
}

/// Fedify reads our Video document and receives (and verifies, signature and proof) our
/// deliveries: the Create{Video}, a comment's Create{Note} and a user's Follow of its channel.
#[tokio::test(flavor = "multi_thread")]
async fn fedify_reads_our_videos_and_receives_our_deliveries() -> Result<()> {
    let (instance, peer) = tokio::try_join!(
        Instance::start_with(&[("EDGETUBE_VARS", "FEDERATION_RETRY_BASE_SECONDS:1")]),
        FedifyPeer::start(None),
    )?;
    let suite = Suite::new(&instance, &peer).await?;
    let uuid = instance.seed_videos("root_channel", 1)?.remove(0);
    let video_url = instance.url(&format!("/videos/watch/{uuid}"));
    let found = suite.lookup(&video_url).await?;
    ensure!(found["type"] == "Video", "Fedify's lookupObject of {video_url} gave {found}");

    // The peer follows the channel, then root edits the video: it was never announced (seeded
    // straight into the database), so the edit sends its Create{Video} to the new follower.
    suite.fedify_follows().await?;
    let admin = instance.login("root", "e2e-admin-password").await?;
    let answer = suite
        .client
        .put(instance.url(&format!("/api/v1/videos/{uuid}")))
        .bearer_auth(&admin)
        .json(&json!({"name": "A video Fedify should receive"}))
        .send()
        .await?;
    ensure!(answer.status().is_success(), "editing the video answered {}", answer.status());
    let entry = suite
        .wait_for_entry("a Create{Video} from our instance", |e| {
            e["type"] == "Create" && e["verified"] == true && e["body"]["object"]["type"] == "Video"
        })
        .await?;
    ensure!(
        entry["body"]["object"]["id"] == video_url.as_str()
            && entry["body"]["object"]["name"] == "A video Fedify should receive",
        "the Create{{Video}} Fedify got is about {} named {}",
        entry["body"]["object"]["id"],
        entry["body"]["object"]["name"]
    );
    check_proofs(&entry)?;

    // Then root comments on the video: the Note goes to the peer.
    let answer = suite
        .client
        .post(instance.url(&format!("/api/v1/videos/{uuid}/comment-threads")))
        .bearer_auth(&admin)
        .json(&json!({"text": "A comment Fedify should receive"}))
        .send()
        .await?;
    ensure!(answer.status().is_success(), "commenting answered {}", answer.status());
    let entry = suite
        .wait_for_entry("a Create{Note} from our instance", |e| {
            e["type"] == "Create" && e["verified"] == true && e["body"]["object"]["type"] == "Note"
        })
        .await?;
    check_proofs(&entry)?;

    // Root subscribes to the peer's Group by handle: our Follow reaches it, signed and proven.
    let group = peer.url("/users/tv");
    let handle = format!("tv@{}", group.trim_start_matches("http://").trim_end_matches("/users/tv"));
    let answer = suite
        .client
        .post(instance.url("/api/v1/users/me/subscriptions"))
        .bearer_auth(&admin)
        .json(&json!({"uri": handle}))
        .send()
        .await?;
    let status = answer.status();
    ensure!(status.is_success(), "subscribing to {handle} answered {status}: {}", answer.text().await?);
    let entry = suite
        .wait_for_entry("a Follow of the peer's Group", |e| {
            e["type"] == "Follow" && e["verified"] == true && e["object"] == group.as_str()
        })
        .await?;
    ensure!(
        entry["path"] == "/users/tv/inbox" || entry["path"] == "/inbox",
        "our Follow went to {}",
        entry["path"]
    );
    check_proofs(&entry)
}

/// Named checks, run one after another; every failure is kept and reported at the end.
#[derive(Default)]
struct Report {
    passed: Vec<String>,
    failed: Vec<String>,
}

impl Report {
    async fn check(&mut self, name: &str, check: impl std::future::Future<Output = Result<()>>) {
        let started = Instant::now();
        let outcome = match tokio::time::timeout(Duration::from_secs(150), check).await {
            Ok(outcome) => outcome,
            Err(_) => Err(anyhow::anyhow!("did not finish within 150 s")),
        };
        match outcome {
            Ok(()) => {
                eprintln!("ok    {name} ({:.1} s)", started.elapsed().as_secs_f32());
                self.passed.push(name.to_owned());
            }
            Err(e) => {
                eprintln!("FAIL  {name}: {e:#}");
                self.failed.push(format!("{name}: {e:#}"));
            }
        }
    }

    fn finish(self) -> Result<()> {
        eprintln!("{} checks passed, {} failed", self.passed.len(), self.failed.len());
        if self.failed.is_empty() {
            Ok(())
        } else {
            bail!(
                "{} of {} checks failed:\n- {}",
                self.failed.len(),
                self.passed.len() + self.failed.len(),
                self.failed.join("\n- ")
            )
        }
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// An actor of the peer whose key the test signs with.
struct PeerActor {
    actor: String,
    key_id: String,
    key: RsaPrivateKey,
}

struct Suite<'a> {
    instance: &'a Instance,
    peer: &'a FedifyPeer,
    client: reqwest::Client,
    alice: PeerActor,
    bob: PeerActor,
    /// Alice as the second server (127.0.0.2) sees her.
    alice_elsewhere: PeerActor,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh id suffix, unique within the run and across runs against the same peer.
fn fresh() -> String {
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{nanos:x}-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed))
}

/// How one request of the matrix is signed: which key, which `keyId`, which headers, when.
#[derive(Clone)]
struct Signing<'k> {
    key: &'k RsaPrivateKey,
    key_id: String,
    covered: Vec<&'static str>,
    date: SystemTime,
    /// The bytes the `Digest` header is computed over, when not the body.
    digest_of: Option<Vec<u8>>,
}

/// A request ready to send: the body and its headers (a `Signature` among them, or not).
#[derive(Clone)]
struct Prepared {
    url: String,
    body: Vec<u8>,
    headers: Vec<(String, String)>,
}

/// One refusal case: what is sent, which statuses mean "refused for the right reason", and the
/// activity id that must not be stored.
struct Case {
    name: &'static str,
    request: Prepared,
    expect: &'static [u16],
    reason: &'static str,
    ap_id: Option<String>,
}

impl<'a> Suite<'a> {
    async fn new(instance: &'a Instance, peer: &'a FedifyPeer) -> Result<Self> {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
        let keys: Value =
            client.get(peer.url("/control/keys")).send().await?.error_for_status()?.json().await?;
        let elsewhere: Value = client
            .get(peer.url(&format!("/control/keys?origin={}", peer.origin_at(SECOND_ADDRESS))))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let actor = |keys: &Value, name: &str| -> Result<PeerActor> {
            let entry = &keys[name];
            Ok(PeerActor {
                actor: entry["actor"].as_str().context("actor")?.to_owned(),
                key_id: entry["keyId"].as_str().context("keyId")?.to_owned(),
                key: RsaPrivateKey::from_pkcs8_pem(entry["rsaPrivateKeyPem"].as_str().context("pem")?)?,
            })
        };
        Ok(Self {
            instance,
            peer,
            alice: actor(&keys, "alice")?,
            bob: actor(&keys, "bob")?,
            alice_elsewhere: actor(&elsewhere, "alice")?,
            client,
        })
    }

    // ---- through Fedify ------------------------------------------------------------------

    /// Fedify's `lookupObject` of `url`, as the peer reports it.
    async fn lookup(&self, url: &str) -> Result<Value> {
        let answer =
            self.client.post(self.peer.url("/control/lookup")).json(&json!({"url": url})).send().await?;
        let status = answer.status();
        let body: Value = answer.json().await?;
        ensure!(status.is_success(), "the peer's lookup of {url} failed: {body}");
        Ok(body)
    }

    /// Has the peer sign (Fedify's `signRequest`) and POST an activity; returns its answer.
    async fn peer_sends(&self, request: Value) -> Result<Value> {
        let answer = self.client.post(self.peer.url("/control/send")).json(&request).send().await?;
        let status = answer.status();
        let body: Value = answer.json().await?;
        ensure!(status.is_success(), "the peer could not send: {body}");
        Ok(body)
    }

    async fn received(&self) -> Result<Vec<Value>> {
        let all: Value = self
            .client
            .get(self.peer.url("/control/received"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(all.as_array().cloned().unwrap_or_default())
    }

    /// Waits (bounded) for an entry of the peer's inbox log matching `matches`.
    async fn wait_for_entry(&self, what: &str, matches: impl Fn(&Value) -> bool) -> Result<Value> {
        let started = Instant::now();
        loop {
            if let Some(found) = self.received().await?.into_iter().find(|e| matches(e)) {
                return Ok(found);
            }
            if started.elapsed() > DELIVERY_WAIT {
                let seen: Vec<String> = self
                    .received()
                    .await?
                    .iter()
                    .map(|e| {
                        format!("{} {} verified={} ({})", e["scheme"], e["type"], e["verified"], e["id"])
                    })
                    .collect();
                bail!("no {what} reached the peer within {DELIVERY_WAIT:?}; it received: {seen:?}");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn lookups(&self) -> Result<()> {
        for (path, kind) in [
            ("/accounts/root", "Person"),
            ("/video-channels/root_channel", "Group"),
            ("/accounts/peertube", "Application"),
        ] {
            let url = self.instance.url(path);
            let found = self.lookup(&url).await?;
            ensure!(found["found"] == true, "Fedify found nothing at {url}: {found}");
            ensure!(found["type"] == kind, "Fedify reads {url} as {}, not {kind}", found["type"]);
            ensure!(found["id"] == url.as_str(), "{url} says its id is {}", found["id"]);
            ensure!(
                found["inbox"] == format!("{url}/inbox"),
                "Fedify reads the inbox of {url} as {}",
                found["inbox"]
            );
            let keys = found["keys"].as_array().context("keys")?;
            let has = |kind: &str, id: &str, algorithm: &str| {
                keys.iter().any(|k| k["kind"] == kind && k["id"] == id && k["algorithm"] == algorithm)
            };
            ensure!(
                has("publicKey", &format!("{url}#main-key"), "RSASSA-PKCS1-v1_5"),
                "Fedify does not see the RSA key {url}#main-key: {keys:?}"
            );
            ensure!(
                has("assertionMethod", &format!("{url}#ed25519-key"), "Ed25519"),
                "Fedify does not see the Ed25519 key {url}#ed25519-key of our proofs: {keys:?}"
            );
        }
        Ok(())
    }

    async fn fedify_follows(&self) -> Result<()> {
        let channel = self.instance.url("/video-channels/root_channel");
        let sent = self
            .peer_sends(json!({
                "inbox": format!("{channel}/inbox"),
                "build": {"type": "Follow", "object": channel},
            }))
            .await?;
        let status = sent["status"].as_u64().unwrap_or(0);
        ensure!(
            (200..300).contains(&status),
            "our inbox answered Fedify's Follow {status}: {}",
            sent["body"]
        );
        let follow_id = sent["activity"]["id"].as_str().context("the Follow's id")?.to_owned();
        let entry = self
            .wait_for_entry("verified Accept of the Follow", |e| {
                e["type"] == "Accept"
                    && e["verified"] == true
                    && (e["object"] == follow_id.as_str() || e["body"]["object"]["id"] == follow_id.as_str())
            })
            .await?;
        ensure!(entry["actor"] == channel.as_str(), "the Accept's actor is {}", entry["actor"]);
        ensure!(
            entry["keyId"] == format!("{channel}#main-key"),
            "verifyRequest used the key {}",
            entry["keyId"]
        );
        check_proofs(&entry)
    }

    async fn fedify_notes(&self) -> Result<()> {
        let inbox = self.instance.url("/inbox");
        let note = json!({"type": "Note", "content": "<p>Signed by Fedify</p>"});
        let good = self.peer_sends(json!({"inbox": inbox, "build": note})).await?;
        let status = good["status"].as_u64().unwrap_or(0);
        ensure!((200..300).contains(&status), "our inbox answered Fedify's Note {status}: {}", good["body"]);
        let broken = self.peer_sends(json!({"inbox": inbox, "build": note, "break": true})).await?;
        let status = broken["status"].as_u64().unwrap_or(0);
        ensure!(
            status == 401 || status == 403,
            "our inbox answered a Note whose signature Fedify's signRequest made and the peer then broke {status}: {}",
            broken["body"]
        );
        let id = broken["activity"]["id"].as_str().context("id")?;
        ensure!(stored(self.instance, id)? == 0, "the refused Note {id} was stored");
        Ok(())
    }

    /// Bob relays (signs the request of) Alice's Create{Note}: taken because Alice's own FEP-8b32
    /// proof, made by Fedify's `signObject`, verifies here; refused once the Note is changed.
    async fn relayed_with_proof(&self) -> Result<()> {
        let inbox = self.instance.url("/inbox");
        let note = json!({"type": "Note", "content": "<p>Relayed with a proof</p>"});
        let relayed =
            json!({"inbox": inbox, "actor": "alice", "signer": "bob", "build": note, "proof": true});
        let good = self.peer_sends(relayed.clone()).await?;
        let status = good["status"].as_u64().unwrap_or(0);
        ensure!(
            (200..300).contains(&status),
            "a relayed Note with Alice's Fedify proof was answered {status}: {}",
            good["body"]
        );
        ensure!(good["activity"]["proof"].is_object(), "Fedify made no proof: {}", good["activity"]);
        let mut tampered = relayed;
        tampered["breakProof"] = json!(true);
        let bad = self.peer_sends(tampered).await?;
        let status = bad["status"].as_u64().unwrap_or(0);
        ensure!(
            status == 403,
            "a relayed Note changed after its proof was answered {status}: {}",
            bad["body"]
        );
        let id = bad["activity"]["id"].as_str().context("id")?;
        ensure!(stored(self.instance, id)? == 0, "the Note changed in transit, {id}, was stored");
        Ok(())
    }

    // ---- signed here -----------------------------------------------------------------------

    fn signing<'k>(&self, key: &'k RsaPrivateKey, key_id: &str) -> Signing<'k> {
        Signing {
            key,
            key_id: key_id.to_owned(),
            covered: vec!["(request-target)", "host", "date", "digest", "content-type"],
            date: SystemTime::now(),
            digest_of: None,
        }
    }

    /// A public `Create{Note}` by `actor` whose note lives at `note_origin`.
    fn note(actor: &str, note_origin: &str) -> (String, Value) {
        let n = fresh();
        let id = format!("{actor}/activities/{n}");
        let activity = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": id,
            "type": "Create",
            "actor": actor,
            "to": [PUBLIC],
            "object": {
                "id": format!("{note_origin}/notes/{n}"),
                "type": "Note",
                "attributedTo": actor,
                "content": "<p>Signed in Rust with the Fedify peer's key</p>",
                "to": [PUBLIC],
            },
        });
        (id, activity)
    }

    fn follow(actor: &str, object: &str) -> (String, Value) {
        let id = format!("{actor}/follows/{}", fresh());
        (
            id.clone(),
            json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Follow", "actor": actor, "object": object}),
        )
    }

    fn inbox(&self) -> String {
        self.instance.url("/inbox")
    }

    async fn post(&self, request: &Prepared) -> Result<(u16, String)> {
        let mut builder = self.client.post(&request.url).body(request.body.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let answer = builder.send().await?;
        Ok((answer.status().as_u16(), answer.text().await.unwrap_or_default()))
    }

    async fn baseline(&self) -> Result<()> {
        let (id, activity) = Self::note(&self.alice.actor, self.peer.origin.as_str());
        let request =
            prepare(&self.inbox(), &activity, Some(&self.signing(&self.alice.key, &self.alice.key_id)))?;
        let (status, body) = self.post(&request).await?;
        ensure!(
            (200..300).contains(&status),
            "a correctly signed Create{{Note}} was answered {status}: {body}"
        );
        ensure!(stored(self.instance, &id)? == 1, "the accepted {id} is not stored once");
        Ok(())
    }

    fn refusal_cases(&self) -> Result<Vec<Case>> {
        let inbox = self.inbox();
        let alice = &self.alice;
        let peer = self.peer.origin.as_str();
        let mut cases = Vec::new();
        let signed = |activity: &Value, signing: Signing<'_>| prepare(&inbox, activity, Some(&signing));
        let mut case = |name, request, expect, reason, ap_id: Option<String>| {
            cases.push(Case { name, request, expect, reason, ap_id });
        };

        let (id, activity) = Self::note(&alice.actor, peer);
        case("no signature", prepare(&inbox, &activity, None)?, &[401, 403], "not signed", Some(id));

        // An actor the peer does not have (404): its key cannot be had.
        let nobody = format!("{peer}/users/nobody");
        let (id, activity) = Self::note(&nobody, peer);
        let signing = self.signing(&alice.key, &format!("{nobody}#main-key"));
        case("unknown key", signed(&activity, signing)?, &[401, 403], "gone", Some(id));

        // Alice's keyId, but another key (Bob's, of the same server) signed.
        let (id, activity) = Self::note(&alice.actor, peer);
        let signing = self.signing(&self.bob.key, &alice.key_id);
        case("wrong key", signed(&activity, signing)?, &[401, 403], "Invalid signature", Some(id));

        let (id, activity) = Self::note(&alice.actor, peer);
        let mut signing = self.signing(&alice.key, &alice.key_id);
        signing.covered = vec!["date", "content-type"];
        case(
            "signature over other headers (no (request-target), host, digest)",
            signed(&activity, signing)?,
            &[401, 403],
            "(request-target)",
            Some(id),
        );

        let (id, activity) = Self::note(&alice.actor, peer);
        let mut signing = self.signing(&alice.key, &alice.key_id);
        signing.covered = vec!["(request-target)", "host", "date"];
        case(
            "signature over other headers (the body's digest not covered)",
            signed(&activity, signing)?,
            &[401, 403],
            "digest",
            Some(id),
        );

        let (id, activity) = Self::note(&alice.actor, peer);
        let mut signing = self.signing(&alice.key, &alice.key_id);
        signing.digest_of = Some(b"{\"another\":\"body\"}".to_vec());
        case("bad digest", signed(&activity, signing)?, &[400, 401, 403], "digest", Some(id));

        let (id, activity) = Self::note(&alice.actor, peer);
        let mut signing = self.signing(&alice.key, &alice.key_id);
        signing.date = SystemTime::now() - Duration::from_secs(2 * 3600);
        case("date too old (2 h)", signed(&activity, signing)?, &[401, 403], "too old", Some(id));

        let (id, activity) = Self::note(&alice.actor, peer);
        let mut signing = self.signing(&alice.key, &alice.key_id);
        signing.date = SystemTime::now() + Duration::from_secs(2 * 3600);
        case("date in the future (2 h)", signed(&activity, signing)?, &[401, 403], "future", Some(id));

        // Alice signs a Follow whose actor is Bob: a Follow carries no proof, so it is refused.
        let (id, activity) = Self::follow(&self.bob.actor, &self.instance.url("/accounts/root"));
        let signing = self.signing(&alice.key, &alice.key_id);
        case(
            "signer not the actor",
            signed(&activity, signing)?,
            &[401, 403],
            "not the activity's actor",
            Some(id),
        );

        // 300 KiB of content in an otherwise good activity.
        let (id, mut activity) = Self::note(&alice.actor, peer);
        activity["object"]["content"] = Value::String("x".repeat(300 * 1024));
        let signing = self.signing(&alice.key, &alice.key_id);
        case("body over the limit (300 KiB)", signed(&activity, signing)?, &[413], "bytes", Some(id));

        let not_activity = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/notes/{}", alice.actor, fresh()),
            "type": "Note",
            "content": "a bare Note, no activity around it",
        });
        let signing = self.signing(&alice.key, &alice.key_id);
        let id = not_activity["id"].as_str().map(str::to_owned);
        case("JSON that is not an activity (a bare Note)", signed(&not_activity, signing)?, &[400], "", id);

        let signing = self.signing(&alice.key, &alice.key_id);
        case(
            "JSON that is not an activity (an array)",
            signed(&json!([1, 2, 3]), signing)?,
            &[400],
            "",
            None,
        );

        // Alice creates a Note that lives on another host.
        let (id, activity) = Self::note(&alice.actor, "http://127.0.0.3:9");
        let signing = self.signing(&alice.key, &alice.key_id);
        case(
            "an activity about an object of another host",
            signed(&activity, signing)?,
            &[403],
            "origin",
            Some(id),
        );

        Ok(cases)
    }

    async fn refused(&self, case: Case) -> Result<()> {
        let (status, body) = self.post(&case.request).await?;
        ensure!(case.expect.contains(&status), "expected {:?}, got {status}: {body}", case.expect);
        ensure!(
            body.to_lowercase().contains(&case.reason.to_lowercase()),
            "refused ({status}) but not for the reason expected ({:?}): {body}",
            case.reason
        );
        if let Some(id) = &case.ap_id {
            ensure!(stored(self.instance, id)? == 0, "{id} was refused with {status} but stored");
        }
        Ok(())
    }

    /// The same signed request twice: answered alike, stored and applied once (one Accept).
    async fn replay(&self) -> Result<()> {
        let account = self.instance.url("/accounts/root");
        let (id, activity) = Self::follow(&self.alice.actor, &account);
        let request = prepare(
            &format!("{account}/inbox"),
            &activity,
            Some(&self.signing(&self.alice.key, &self.alice.key_id)),
        )?;
        let (first, body) = self.post(&request).await?;
        ensure!((200..300).contains(&first), "the first delivery was answered {first}: {body}");
        let (again, body) = self.post(&request).await?;
        ensure!((200..300).contains(&again), "the replay was answered {again}: {body}");
        let is_accept_of_it = |e: &Value| {
            e["type"] == "Accept" && (e["object"] == id.as_str() || e["body"]["object"]["id"] == id.as_str())
        };
        self.wait_for_entry("Accept of the replayed Follow", |e| is_accept_of_it(e) && e["verified"] == true)
            .await?;
        // Time for a second Accept to arrive, were the replay applied again.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let accepts =
            self.received().await?.iter().filter(|e| is_accept_of_it(e) && e["verified"] == true).count();
        ensure!(accepts == 1, "the Follow was replayed and the peer got {accepts} verified Accepts");
        ensure!(stored(self.instance, &id)? == 1, "the replayed {id} is stored other than once");
        Ok(())
    }

    /// The same server answers on 127.0.0.2: taken before it is blocked, refused after. There is
    /// no API to block a server yet (PeerTube's `POST /api/v1/server/blocklist/servers`), so the
    /// block is written in D1 as that API would write it.
    async fn blocked_server(&self) -> Result<()> {
        let elsewhere = &self.alice_elsewhere;
        let origin = self.peer.origin_at(SECOND_ADDRESS);
        let (id, activity) = Self::note(&elsewhere.actor, &origin);
        let request =
            prepare(&self.inbox(), &activity, Some(&self.signing(&elsewhere.key, &elsewhere.key_id)))?;
        let (status, body) = self.post(&request).await?;
        ensure!((200..300).contains(&status), "before the block, {origin} was answered {status}: {body}");
        ensure!(stored(self.instance, &id)? == 1, "before the block, {id} was not stored");

        let host = format!("{SECOND_ADDRESS}:{}", self.peer.port);
        self.instance.execute_sql(&format!(
            "INSERT INTO server_blocks (by_account_id, host, created_at) VALUES (NULL, '{host}', 0);"
        ))?;
        let (id, activity) = Self::note(&elsewhere.actor, &origin);
        let request =
            prepare(&self.inbox(), &activity, Some(&self.signing(&elsewhere.key, &elsewhere.key_id)))?;
        let (status, body) = self.post(&request).await?;
        ensure!(status == 403, "after blocking {host}, its Create{{Note}} was answered {status}: {body}");
        ensure!(body.contains("blocked"), "refused, but not as blocked: {body}");
        ensure!(stored(self.instance, &id)? == 0, "the blocked server's {id} was stored");
        // The other server of the same machine is still heard.
        self.baseline().await.context("127.0.0.1 after blocking 127.0.0.2")
    }
}

/// Every proof of an inbox entry verified with Fedify's `verifyProof`, and at least one there:
/// each activity we send carries one.
fn check_proofs(entry: &Value) -> Result<()> {
    ensure!(entry["hasProof"] == true, "our activity carries no FEP-8b32 proof: {}", entry["body"]);
    ensure!(entry["error"].is_null(), "the peer could not read the proof: {}", entry["error"]);
    let proofs = entry["proofs"].as_array().context("proofs")?;
    ensure!(!proofs.is_empty(), "Fedify saw no proof in {}", entry["body"]);
    for proof in proofs {
        ensure!(proof["verified"] == true, "Fedify's verifyProof refused our proof {proof}");
    }
    Ok(())
}

/// A body and its headers: `Content-Type`, and when signing, `Date`, `Digest` and a draft-cavage
/// `Signature` over `signing.covered` (rsa-sha256), the way Mastodon and PeerTube sign.
fn prepare(url: &str, activity: &Value, signing: Option<&Signing<'_>>) -> Result<Prepared> {
    let body = serde_json::to_vec(activity)?;
    let mut headers = vec![("content-type".to_owned(), "application/activity+json".to_owned())];
    let Some(signing) = signing else { return Ok(Prepared { url: url.to_owned(), body, headers }) };
    let b64 = base64::engine::general_purpose::STANDARD;
    let digest_of = signing.digest_of.as_deref().unwrap_or(&body);
    headers.push(("digest".into(), format!("SHA-256={}", b64.encode(Sha256::digest(digest_of)))));
    headers.push(("date".into(), httpdate::fmt_http_date(signing.date)));
    let parsed = reqwest::Url::parse(url)?;
    let host = match parsed.port() {
        Some(port) => format!("{}:{port}", parsed.host_str().context("host")?),
        None => parsed.host_str().context("host")?.to_owned(),
    };
    let mut lines = Vec::new();
    for name in &signing.covered {
        let value = match *name {
            "(request-target)" => format!("post {}", parsed.path()),
            "host" => host.clone(),
            other => headers.iter().find(|(n, _)| n == other).map(|(_, v)| v.clone()).context("covered")?,
        };
        lines.push(format!("{name}: {value}"));
    }
    let message = lines.join("\n");
    let signature = signing.key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message.as_bytes()))?;
    headers.push((
        "signature".into(),
        format!(
            "keyId=\"{}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{}\"",
            signing.key_id,
            signing.covered.join(" "),
            b64.encode(signature)
        ),
    ));
    Ok(Prepared { url: url.to_owned(), body, headers })
}

/// Rows of the instance's inbox table for activity `ap_id`, read from its local D1.
fn stored(instance: &Instance, ap_id: &str) -> Result<i64> {
    let mut total = 0;
    for file in instance.sqlite_files() {
        let conn = rusqlite::Connection::open_with_flags(&file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let has_table: bool = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'inbox_activities'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)?;
        if has_table {
            total +=
                conn.query_row("SELECT COUNT(*) FROM inbox_activities WHERE ap_id = ?1", [ap_id], |r| {
                    r.get::<_, i64>(0)
                })?;
        }
    }
    Ok(total)
}
