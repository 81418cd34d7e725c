// The measuring half of tests/bench/pages.sh: uploads the fixture as root, waits for every
// rendition, then opens the watch page RUNS times in a new profile (cold) and RUNS times again in
// the same one (warm). For each load: bytes over the wire by kind (from the DevTools protocol's
// encodedDataLength), what the page's own files weigh gzip-compressed (wrangler dev serves them
// uncompressed; Cloudflare compresses text), and the time from navigation to the first decoded
// video frame (requestVideoFrameCallback, playback started muted as soon as the element exists).
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { launch } from "../browser/chromium.mjs";

const [origin, password, fixture, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 5);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function json(path, options = {}) {
  const response = await fetch(`${origin}${path}`, options);
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? null : response.json();
}

const client = await json("/api/v1/oauth-clients/local");
const token = (
  await json("/api/v1/users/token", {
    method: "POST",
    body: new URLSearchParams({ client_id: client.client_id, client_secret: client.client_secret, grant_type: "password", username: "root", password }),
  })
).access_token;
const auth = { Authorization: `Bearer ${token}` };
const me = await json("/api/v1/users/me", { headers: auth });
const bytes = readFileSync(fixture);
const init = await fetch(`${origin}/api/v1/videos/upload-resumable`, {
  method: "POST",
  headers: { ...auth, "Content-Type": "application/json", "X-Upload-Content-Length": String(bytes.length), "X-Upload-Content-Type": "video/mp4" },
  body: JSON.stringify({ name: "Page weight", channelId: me.videoChannels[0].id, filename: "bbb.mp4", privacy: 1 }),
});
const location = new URL(init.headers.get("Location"), origin);
const put = await fetch(location, { method: "PUT", headers: { ...auth, "Content-Range": `bytes 0-${bytes.length - 1}/${bytes.length}` }, body: bytes });
const { video } = await put.json();
for (let i = 0; i < 240; i++) {
  const details = await json(`/api/v1/videos/${video.uuid}`);
  if (details.state?.id === 1 && details.streamingPlaylists?.[0]?.files?.length >= 4) break;
  await sleep(1000);
}
const url = `${origin}/w/${video.shortUUID}`;

async function load(page, cdp) {
  const requests = new Map();
  const seen = [];
  const onResponse = (e) => requests.set(e.requestId, { url: e.response.url, type: e.type, mime: e.response.mimeType });
  const onFinished = (e) => seen.push({ ...requests.get(e.requestId), requestId: e.requestId, wire: e.encodedDataLength });
  cdp.on("Network.responseReceived", onResponse);
  cdp.on("Network.loadingFinished", onFinished);
  await page.goto(url);
  const firstFrame = await page.waitForFunction(() => window.firstFrameAt, null, { timeout: 30_000 }).then((h) => h.jsonValue());
  await sleep(500);
  cdp.off("Network.responseReceived", onResponse);
  cdp.off("Network.loadingFinished", onFinished);
  const sum = { document: 0, script: 0, css: 0, image: 0, media: 0, other: 0, gzip: 0 };
  for (const r of seen) {
    if (!r.url) continue;
    const kind = r.type === "Document" ? "document" : r.type === "Script" ? "script" : r.type === "Stylesheet" ? "css" : r.type === "Image" ? "image" : /\.(m3u8|mp4|m4s|json)(\?|$)/.test(r.url) || r.type === "Media" ? "media" : "other";
    sum[kind] += r.wire;
    if (kind !== "media" && kind !== "image" && r.wire > 0) {
      const body = await cdp.send("Network.getResponseBody", { requestId: r.requestId }).catch(() => null);
      if (body) sum.gzip += gzipSync(Buffer.from(body.body, body.base64Encoded ? "base64" : "utf8")).length;
    }
  }
  return { firstFrameMs: Math.round(firstFrame), ...sum };
}

const browser = await launch();
const results = { cold: [], warm: [] };
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(() => {
    document.addEventListener("DOMContentLoaded", () => {
      const video = document.getElementById("video");
      if (!video) return;
      video.muted = true;
      video.requestVideoFrameCallback(() => (window.firstFrameAt = performance.now()));
      video.play().catch(() => {});
    });
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  results.cold.push(await load(page, cdp));
  results.warm.push(await load(page, cdp));
  await context.close();
}
await browser.close();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kb = (n) => (n / 1024).toFixed(1);
console.log(`watch page ${url}, ${runs} runs each, medians`);
console.log("load | first frame ms | HTML kB | JS kB | CSS kB | images kB | media kB | page files gzip kB");
for (const which of ["cold", "warm"]) {
  const r = results[which];
  const m = (k) => median(r.map((x) => x[k]));
  // Warm loads revalidate cached files (304s), whose bodies still read back: gzip only for cold.
  const gzip = which === "cold" ? kb(m("gzip")) : "-";
  console.log(`${which} | ${m("firstFrameMs")} | ${kb(m("document"))} | ${kb(m("script"))} | ${kb(m("css"))} | ${kb(m("image"))} | ${kb(m("media"))} | ${gzip}`);
}
