#!/usr/bin/env node
// Independent ActivityPub client for Edgetube's end-to-end tests.
//
// Uses Fedify (pinned in /package.json) to resolve an actor the way another
// fediverse implementation would: a WebFinger lookup followed by an
// ActivityPub object fetch + JSON-LD parse, then extracts the actor's public
// key.
//
// Usage:
//   node tests/e2e/fedify-lookup.mjs <actorUrl>
//   e.g. node tests/e2e/fedify-lookup.mjs http://127.0.0.1:8787/video-channels/root_channel
//
// Prints exactly one JSON line on stdout:
//   {"webfinger": <JRD object or null>,
//    "object": {"type", "id", "preferredUsername", "publicKeyId", "publicKeyPem"}}
// Exit code 0 on success; on failure the error goes to stderr and the exit
// code is 1.
//
// Environment:
//   FEDIFY_LOOKUP_TIMEOUT_MS  overall deadline (default 25000, i.e. < 30 s)
//   FEDIFY_LOOKUP_DEBUG=1     send Fedify's own (LogTape) debug logs to stderr
//
// Written against @fedify/fedify 1.5.x:
//   * lookupWebFinger() refuses private/loopback hosts unless
//     `allowPrivateAddress: true` is passed, and it never throws on HTTP or
//     parse failures -- it just returns null.
//   * lookupObject() has no allowPrivateAddress option of its own for the
//     object fetch; loopback fetches are allowed by passing a documentLoader
//     made with getDocumentLoader({ allowPrivateAddress: true }).
//   * JSON-LD contexts are resolved through `contextLoader`. The default one
//     serves Fedify's bundled contexts and falls back to the network for
//     anything else; we pass a strict loader that serves only the bundled
//     contexts and throws for everything else (there is no internet in CI).

import process from "node:process";
import {
  getDocumentLoader,
  lookupObject,
  lookupWebFinger,
} from "@fedify/fedify";

const TIMEOUT_MS = Number(process.env.FEDIFY_LOOKUP_TIMEOUT_MS ?? 25_000);

function describe(err, depth = 0) {
  let msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
  if (depth < 5 && err != null && typeof err === "object") {
    // Error.cause, and jsonld.js's JsonLdError `details.cause` (which is where
    // e.g. a context loader's error ends up).
    const cause = err.cause ?? err.details?.cause;
    if (cause != null) msg += `\ncaused by: ${describe(cause, depth + 1)}`;
  }
  return msg;
}

function fail(err) {
  process.stderr.write(`fedify-lookup: ${describe(err)}\n`);
  process.exit(1);
}

// Hard deadline: nothing below is allowed to hang the test suite.
const deadline = setTimeout(
  () => fail(new Error(`timed out after ${TIMEOUT_MS} ms`)),
  TIMEOUT_MS,
);
deadline.unref();
process.on("unhandledRejection", fail);

async function setUpDebugLogging() {
  if (!process.env.FEDIFY_LOOKUP_DEBUG) return;
  try {
    // Transitive dependency of @fedify/fedify (hoisted by npm).
    const { configure, getStreamSink } = await import("@logtape/logtape");
    const { Writable } = await import("node:stream");
    await configure({
      sinks: { stderr: getStreamSink(Writable.toWeb(process.stderr)) },
      loggers: [
        { category: "fedify", lowestLevel: "debug", sinks: ["stderr"] },
        { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
      ],
    });
  } catch (e) {
    process.stderr.write(`fedify-lookup: could not enable debug logs: ${e}\n`);
  }
}

// The JSON-LD contexts bundled with Fedify (activitystreams, security/v1,
// data-integrity, multikey, did, webfinger, schema.org, ...). The map is not
// part of the package's public exports, so load the module by file URL
// relative to the resolved package entry point (esm/mod.js).
async function loadPreloadedContexts() {
  const entry = import.meta.resolve("@fedify/fedify");
  const mod = await import(new URL("./runtime/contexts.js", entry).href);
  const contexts = mod.default;
  for (const required of [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
  ]) {
    if (contexts?.[required] == null) {
      throw new Error(`Fedify does not bundle the JSON-LD context ${required}`);
    }
  }
  return contexts;
}

function strictContextLoader(contexts) {
  return async (url) => {
    if (Object.hasOwn(contexts, url)) {
      return { contextUrl: null, document: contexts[url], documentUrl: url };
    }
    throw new Error(
      `refusing to fetch JSON-LD context over the network: ${url} ` +
        "(only Fedify's preloaded contexts are allowed)",
    );
  };
}

// Document loader that may fetch loopback/private http(s) URLs, but only on
// the actor's own origin (preloaded contexts are still served locally). It
// remembers the last error because lookupObject() swallows loader errors and
// just returns null.
function originBoundDocumentLoader(origin) {
  const inner = getDocumentLoader({ allowPrivateAddress: true });
  const state = { lastError: null, fetched: [] };
  const loader = async (url) => {
    try {
      const u = new URL(url);
      if (
        (u.protocol === "http:" || u.protocol === "https:") &&
        u.origin !== origin
      ) {
        throw new Error(
          `refusing to fetch ${url}: outside the actor's origin ${origin}`,
        );
      }
      const doc = await inner(url);
      state.fetched.push(url);
      return doc;
    } catch (e) {
      state.lastError = e;
      throw e;
    }
  };
  return { loader, state };
}

function toPem(spki) {
  const b64 = Buffer.from(spki).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PUBLIC KEY-----\n${lines.join("\n")}\n-----END PUBLIC KEY-----\n`;
}

async function main() {
  const [actorArg] = process.argv.slice(2);
  if (!actorArg) {
    throw new Error("usage: node tests/e2e/fedify-lookup.mjs <actorUrl>");
  }
  const actorUrl = new URL(actorArg);
  if (actorUrl.protocol !== "http:" && actorUrl.protocol !== "https:") {
    throw new Error(`actor URL must be http(s): ${actorArg}`);
  }
  await setUpDebugLogging();

  const contextLoader = strictContextLoader(await loadPreloadedContexts());
  const { loader: documentLoader, state } = originBoundDocumentLoader(
    actorUrl.origin,
  );

  // 1. WebFinger. Fedify only resolves acct: handles over https, so look up
  //    the actor URL itself: Fedify then requests
  //    <scheme>://<host>/.well-known/webfinger?resource=<actorUrl>.
  const webfinger = await lookupWebFinger(actorUrl, {
    allowPrivateAddress: true,
  });
  if (webfinger == null) {
    process.stderr.write(
      "fedify-lookup: WebFinger lookup returned null " +
        "(non-2xx response, invalid JSON or network error)\n",
    );
  }

  // 2. The ActivityPub object. No allowPrivateAddress here on purpose: it
  //    would only enable lookupObject()'s WebFinger fallback, which would mask
  //    a failing direct fetch of the actor document.
  const object = await lookupObject(actorUrl, { documentLoader, contextLoader });
  if (object == null) {
    const cause = state.lastError
      ? `: ${describe(state.lastError)}`
      : " (document fetched but not parseable as an ActivityStreams object)";
    throw new Error(`lookupObject(${actorUrl.href}) returned null${cause}`);
  }

  const typeId = object.constructor.typeId?.href ?? "";
  const type = typeId.replace(/^https:\/\/www\.w3\.org\/ns\/activitystreams#/, "");

  if (typeof object.getPublicKey !== "function") {
    throw new Error(`${object.id?.href} is a ${typeId}, which has no publicKey`);
  }
  const key = await object.getPublicKey({ documentLoader, contextLoader });
  if (key == null) {
    throw new Error(`actor ${object.id?.href} has no usable publicKey`);
  }
  if (key.publicKey == null) {
    throw new Error(`publicKey ${key.id?.href} has no (importable) key material`);
  }
  const spki = await globalThis.crypto.subtle.exportKey("spki", key.publicKey);

  const result = {
    webfinger,
    object: {
      type,
      id: object.id?.href ?? null,
      preferredUsername: object.preferredUsername == null
        ? null
        : String(object.preferredUsername),
      publicKeyId: key.id?.href ?? null,
      publicKeyPem: toPem(spki),
    },
  };
  // Exit only once the line has been flushed (stdout may be a pipe).
  await new Promise((resolve, reject) =>
    process.stdout.write(JSON.stringify(result) + "\n", (e) =>
      e ? reject(e) : resolve()
    )
  );
}

main().then(() => process.exit(0), fail);
