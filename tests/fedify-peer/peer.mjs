// A small ActivityPub server built on Fedify (@fedify/fedify 1.5.x, an independent implementation),
// for the end-to-end suite tests/tests/federation_fedify.rs. Plain HTTP on loopback only.
//
//   node tests/fedify-peer/peer.mjs --port PORT [--also-listen 127.0.0.2] [--log FILE]
//
// What it serves, through Fedify's own federation router:
//   - actors /users/{name} (Person) for `alice` and `bob`, and `tv` (a Group owned by alice, as
//     a PeerTube channel is), each with an RSA key (publicKey, #main-key) and an Ed25519 key
//     (FEP-521a assertionMethod, #key-2), keys made at start; followers collections;
//   - WebFinger for them.
// Every POST to /inbox or /users/{name}/inbox is checked with Fedify's verifyRequest (and, when
// the activity has a proof, verifyProof), logged as one JSON line, and answered 202 when the
// HTTP signature verified, 401 when it did not.
//
// The control API the Rust test drives (JSON in, JSON out):
//   GET  /control/health                 -> {ok, origins}
//   GET  /control/keys                   -> per actor: actor id, keyId, RSA private key (PKCS#8 PEM)
//   POST /control/lookup {url}           -> lookupObject(url): {found, type, id, ...}
//   POST /control/send {inbox, actor?, signer?, origin?, activity? | build?, proof?, breakProof?, break?}
//        signs with signRequest (draft-cavage, RSA, the key of `signer`, default `actor`) and
//        POSTs; `build` makes the activity with Fedify's vocabulary ({type: "Follow", object}
//        or {type: "Note", content, to?}); `proof: true` adds the actor's FEP-8b32 proof
//        (signObject, Ed25519), `breakProof: true` then changes the Note's content;
//        `break: true` corrupts the HTTP signature after signing -> {status, body, activity}
//   GET  /control/received               -> every inbox entry logged so far
//
// Ids follow the Host a request came to, so the same peer is two servers when it also listens
// on a second loopback address (the test blocks one of them).

import { createServer } from "node:http";
import { appendFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import process from "node:process";
import {
  Activity,
  Create,
  createFederation,
  Endpoints,
  Follow,
  generateCryptoKeyPair,
  getDocumentLoader,
  getTypeId,
  Group,
  isActor,
  lookupObject,
  MemoryKvStore,
  Note,
  Person,
  PUBLIC_COLLECTION,
  signObject,
  signRequest,
  verifyProof,
  verifyRequest,
} from "@fedify/fedify";

function argument(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const port = Number(argument("--port", "0"));
const alsoListen = argument("--also-listen", null);
const logFile = argument("--log", null);
if (!Number.isInteger(port) || port <= 0) {
  console.error("usage: peer.mjs --port PORT [--also-listen 127.0.0.2] [--log FILE]");
  process.exit(2);
}
const listenAddresses = ["127.0.0.1", ...(alsoListen ? [alsoListen] : [])];
for (const address of listenAddresses) {
  if (!address.startsWith("127.")) {
    console.error(`refusing to listen on ${address}: loopback only`);
    process.exit(2);
  }
}

// Loopback peers over http: Fedify refuses private addresses unless told otherwise.
const documentLoader = getDocumentLoader({ allowPrivateAddress: true });
const contextLoader = documentLoader;

const ACTORS = {
  alice: { name: "Alice (Fedify)", summary: "A Fedify peer's test account." },
  bob: { name: "Bob (Fedify)", summary: "Another account on the same Fedify peer." },
  // A Group owned by alice, as a PeerTube channel is: what our users subscribe to.
  tv: { name: "Alice's channel (Fedify)", summary: "A Group to subscribe to.", group: true, owner: "alice" },
};
const keyPairs = {};
for (const name of Object.keys(ACTORS)) {
  keyPairs[name] = [
    await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
    await generateCryptoKeyPair("Ed25519"),
  ];
}

const federation = createFederation({ kv: new MemoryKvStore(), allowPrivateAddress: true });
federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    const actor = ACTORS[identifier];
    if (actor == null) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    if (actor.group) {
      return new Group({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: actor.name,
        summary: actor.summary,
        url: ctx.getActorUri(identifier),
        inbox: ctx.getInboxUri(identifier),
        followers: ctx.getFollowersUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        attribution: ctx.getActorUri(actor.owner),
        publicKey: keys[0].cryptographicKey,
        assertionMethods: keys.map((key) => key.multikey),
      });
    }
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: actor.name,
      summary: actor.summary,
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((key) => key.multikey),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) => keyPairs[identifier] ?? []);
// Nobody follows the peer's actors as far as it knows (it answers no Follow): empty collections.
federation.setFollowersDispatcher("/users/{identifier}/followers", () => ({ items: [] }));
// The inbox paths are registered so actors name them; their POSTs are handled below, by hand,
// so that each verification's outcome can be logged.
federation.setInboxListeners("/users/{identifier}/inbox", "/inbox");

const received = [];
function record(entry) {
  received.push(entry);
  const line = JSON.stringify(entry);
  process.stdout.write(line + "\n");
  if (logFile) appendFileSync(logFile, line + "\n");
}

function json(status, value) {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

function errorText(error) {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function isInboxPath(pathname) {
  return pathname === "/inbox" || /^\/users\/[^/]+\/inbox$/.test(pathname);
}

function scheme(request) {
  if (request.headers.has("signature-input")) return "rfc9421";
  if (request.headers.has("signature")) return "cavage";
  return "none";
}

async function handleInbox(request) {
  const text = await request.clone().text();
  const entry = {
    at: new Date().toISOString(),
    path: new URL(request.url).pathname,
    scheme: scheme(request),
    signatureKeyId: null,
    type: null,
    id: null,
    actor: null,
    object: null,
    verified: false,
    keyId: null,
    hasProof: false,
    proofs: [],
    error: null,
    body: null,
  };
  const signature = request.headers.get("signature") ?? "";
  entry.signatureKeyId = /keyId="([^"]*)"/i.exec(signature)?.[1] ??
    /keyid="([^"]*)"/.exec(request.headers.get("signature-input") ?? "")?.[1] ?? null;
  let document = null;
  try {
    document = JSON.parse(text);
    entry.body = document;
    entry.type = document.type ?? null;
    entry.id = document.id ?? null;
    entry.actor = typeof document.actor === "string" ? document.actor : document.actor?.id ?? null;
    entry.object = typeof document.object === "string" ? document.object : document.object?.id ?? null;
    entry.hasProof = document.proof != null;
  } catch (error) {
    entry.error = `not JSON: ${errorText(error)}`;
  }
  try {
    const key = await verifyRequest(request, { documentLoader, contextLoader });
    entry.verified = key != null;
    entry.keyId = key?.id?.href ?? null;
  } catch (error) {
    entry.error = `verifyRequest threw ${errorText(error)}`;
  }
  if (document != null && entry.hasProof) {
    try {
      const activity = await Activity.fromJsonLd(document, { documentLoader, contextLoader });
      let seen = 0;
      for await (const proof of activity.getProofs({ documentLoader, contextLoader })) {
        seen++;
        const key = await verifyProof(document, proof, { documentLoader, contextLoader });
        entry.proofs.push({
          verificationMethod: proof.verificationMethodId?.href ?? null,
          cryptosuite: proof.cryptosuite ?? null,
          verified: key != null,
          keyId: key?.id?.href ?? null,
          controller: key?.controllerId?.href ?? null,
        });
      }
      if (seen === 0) {
        entry.error = "the JSON has a proof, but Fedify's JSON-LD reading of the activity sees none " +
          "(is the data-integrity context in @context?)";
      }
    } catch (error) {
      entry.error = `reading the proof threw ${errorText(error)}`;
    }
  }
  record(entry);
  return entry.verified
    ? new Response(null, { status: 202 })
    : new Response("Failed to verify the request signature.", { status: 401 });
}

function describe(object) {
  const found = {
    found: true,
    type: getTypeId(object).href.replace("https://www.w3.org/ns/activitystreams#", ""),
    className: object.constructor.name,
    id: object.id?.href ?? null,
  };
  if (isActor(object)) {
    found.isActor = true;
    found.preferredUsername = object.preferredUsername?.toString() ?? null;
    found.inbox = object.inboxId?.href ?? null;
    found.sharedInbox = object.endpoints?.sharedInbox?.href ?? null;
    found.publicKeyIds = object.publicKeyIds.map((id) => id.href);
    found.assertionMethodIds = object.assertionMethodIds.map((id) => id.href);
  }
  found.name = object.name?.toString() ?? null;
  found.attributedTo = object.attributionIds?.map((id) => id.href) ?? [];
  return found;
}

async function lookup(url) {
  const object = await lookupObject(url, { documentLoader, contextLoader });
  if (object == null) return { found: false, url };
  const answer = describe(object);
  if (answer.isActor) {
    // The keys a verifier would use, fetched as Fedify fetches them.
    answer.keys = [];
    for await (const key of object.getPublicKeys({ documentLoader, contextLoader })) {
      answer.keys.push({ kind: "publicKey", id: key.id?.href ?? null, algorithm: key.publicKey?.algorithm?.name ?? null });
    }
    for await (const key of object.getAssertionMethods({ documentLoader, contextLoader })) {
      answer.keys.push({ kind: "assertionMethod", id: key.id?.href ?? null, algorithm: key.publicKey?.algorithm?.name ?? null });
    }
  }
  return answer;
}

function corrupt(signatureHeader) {
  return signatureHeader.replace(/signature="([^"]*)"/, (_all, value) => {
    const bytes = Buffer.from(value, "base64");
    bytes[bytes.length >> 1] ^= 0x5a;
    return `signature="${bytes.toString("base64")}"`;
  });
}

async function build(ctx, actorName, spec) {
  const actor = ctx.getActorUri(actorName);
  const id = new URL(`/users/${actorName}/activities/${randomUUID()}`, actor);
  switch (spec.type) {
    case "Follow":
      return new Follow({ id, actor, object: new URL(spec.object) });
    case "Note": {
      const to = spec.to ? [new URL(spec.to)] : [PUBLIC_COLLECTION];
      const note = new Note({
        id: new URL(`/users/${actorName}/notes/${randomUUID()}`, actor),
        attribution: actor,
        content: spec.content ?? "Hello from Fedify",
        tos: to,
      });
      return new Create({ id, actor, object: note, tos: to });
    }
    default:
      throw new TypeError(`cannot build a ${spec.type}`);
  }
}

async function send(body, origin) {
  const actorName = body.actor ?? "alice";
  if (keyPairs[actorName] == null) return json(400, { error: `no actor ${actorName}` });
  const ctx = federation.createContext(new URL(body.origin ?? origin), undefined);
  const signerName = body.signer ?? actorName;
  if (keyPairs[signerName] == null) return json(400, { error: `no actor ${signerName}` });
  let activity = body.activity;
  if (activity == null && body.build != null) {
    let built = await build(ctx, actorName, body.build);
    if (body.proof) {
      // FEP-8b32 with the actor's Ed25519 key (its second key pair: `#key-2`).
      const proofKey = new URL("#key-2", ctx.getActorUri(actorName));
      built = await signObject(built, keyPairs[actorName][1].privateKey, proofKey, { contextLoader, documentLoader });
    }
    activity = await built.toJsonLd({ contextLoader });
    if (body.breakProof) {
      // Changed after the proof was made: the proof no longer matches.
      activity = { ...activity, object: { ...activity.object, content: "<p>changed in transit</p>" } };
    }
  }
  if (activity == null) return json(400, { error: "give activity or build" });
  const keyId = new URL("#main-key", ctx.getActorUri(signerName));
  const unsigned = new Request(body.inbox, {
    method: "POST",
    headers: { "Content-Type": "application/activity+json", Accept: "application/activity+json" },
    body: JSON.stringify(activity),
  });
  let signed = await signRequest(unsigned, keyPairs[signerName][0].privateKey, keyId);
  if (body.break) {
    const headers = new Headers(signed.headers);
    headers.set("Signature", corrupt(headers.get("Signature")));
    signed = new Request(signed.url, { method: "POST", headers, body: await signed.arrayBuffer() });
  }
  const response = await fetch(signed, { redirect: "manual", signal: AbortSignal.timeout(20_000) });
  return json(200, {
    status: response.status,
    body: await response.text(),
    activity,
    signature: signed.headers.get("Signature"),
  });
}

async function keys(origin) {
  const ctx = federation.createContext(new URL(origin), undefined);
  const out = {};
  for (const [name, [rsa]] of Object.entries(keyPairs)) {
    const pkcs8 = Buffer.from(await crypto.subtle.exportKey("pkcs8", rsa.privateKey)).toString("base64");
    out[name] = {
      actor: ctx.getActorUri(name).href,
      keyId: new URL("#main-key", ctx.getActorUri(name)).href,
      inbox: ctx.getInboxUri(name).href,
      rsaPrivateKeyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g).join("\n")}\n-----END PRIVATE KEY-----\n`,
    };
  }
  return out;
}

async function control(request, url) {
  const origin = url.origin;
  try {
    if (request.method === "GET" && url.pathname === "/control/health") {
      return json(200, { ok: true, origins: listenAddresses.map((a) => `http://${a}:${port}`) });
    }
    if (request.method === "GET" && url.pathname === "/control/keys") {
      return json(200, await keys(url.searchParams.get("origin") ?? origin));
    }
    if (request.method === "GET" && url.pathname === "/control/received") {
      return json(200, received);
    }
    if (request.method === "POST" && url.pathname === "/control/lookup") {
      const { url: target } = await request.json();
      return json(200, await lookup(target));
    }
    if (request.method === "POST" && url.pathname === "/control/send") {
      return await send(await request.json(), origin);
    }
    return json(404, { error: `no control route ${request.method} ${url.pathname}` });
  } catch (error) {
    return json(500, { error: errorText(error), stack: error?.stack ?? null });
  }
}

async function handle(request) {
  const url = new URL(request.url);
  if (url.pathname.startsWith("/control/")) return await control(request, url);
  if (request.method === "POST" && isInboxPath(url.pathname)) return await handleInbox(request);
  return await federation.fetch(request, { contextData: undefined });
}

function toRequest(incoming, body) {
  const host = incoming.headers.host ?? `127.0.0.1:${port}`;
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value != null) headers.set(name, value);
  }
  const hasBody = incoming.method !== "GET" && incoming.method !== "HEAD";
  return new Request(`http://${host}${incoming.url}`, {
    method: incoming.method,
    headers,
    body: hasBody ? body : undefined,
  });
}

async function serve(incoming, outgoing) {
  const chunks = [];
  for await (const chunk of incoming) chunks.push(chunk);
  let response;
  try {
    response = await handle(toRequest(incoming, Buffer.concat(chunks)));
  } catch (error) {
    response = json(500, { error: errorText(error) });
  }
  const headers = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  outgoing.writeHead(response.status, headers);
  outgoing.end(Buffer.from(await response.arrayBuffer()));
}

for (const address of listenAddresses) {
  const server = createServer((incoming, outgoing) => {
    serve(incoming, outgoing).catch((error) => {
      outgoing.statusCode = 500;
      outgoing.end(errorText(error));
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, resolve);
  });
}
console.error(`fedify peer listening on ${listenAddresses.map((a) => `http://${a}:${port}`).join(", ")}`);

for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
