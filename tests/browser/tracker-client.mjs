// npm bittorrent-tracker's own client against Edgetube's tracker (run by tests/tests/tracker.rs):
// prints one JSON report on stdout.
//
//   node tests/browser/tracker-client.mjs <origin> <tracker ws URL> <allowed info hash hex> <unknown info hash hex>
//
// The client runs in Chromium: its WebSocket tracker needs WebRTC to make offers, and in Node that
// means node-datachannel, whose native build is skipped here (--ignore-scripts); a browser has
// WebRTC built in, and it is how the client is used in practice (WebTorrent, p2p-media-loader).
// esbuild (shipped with wrangler) bundles the client for the page; `events` comes from a shim.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { launch, newPage } from "./chromium.mjs";

const [origin, trackerUrl, allowed, unknown] = process.argv.slice(2);
if (!unknown) {
  console.error("usage: tracker-client.mjs <origin> <tracker url> <allowed hex> <unknown hex>");
  process.exit(2);
}
const here = fileURLToPath(new URL(".", import.meta.url));

const bundle = await build({
  stdin: { contents: 'import Client from "bittorrent-tracker/client"; window.TrackerClient = Client;', resolveDir: here },
  bundle: true,
  format: "esm",
  platform: "browser",
  write: false,
  logLevel: "error",
  // Browserify-era code asks `process.browser`; there is no `process` in a page.
  define: { global: "globalThis", "process.browser": "true", "process.env.NODE_DEBUG": "false" },
  alias: { events: `${here}shims/events.cjs` },
});

// Installed in each page: makes a client (one per page: clients of one page share one socket per
// tracker URL, as WebTorrent does, and the tracker keeps one peer per swarm per socket) and logs
// what it hears.
function install({ trackerUrl }) {
  const Client = window.TrackerClient;
  const hex = (s) => Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, "0")).join("");
  window.make = (n, infoHash) => {
    const c = new Client({
      infoHash,
      peerId: hex(`-ET0001-${String(n).padStart(12, "0")}`),
      announce: [trackerUrl],
      port: 6881,
      rtcConfig: { iceServers: [] },
      getAnnounceOpts: () => ({ numwant: 2, uploaded: 0, downloaded: 0 }),
    });
    const log = { updates: [], scrapes: [], warnings: [], errors: [], peers: [], channels: 0 };
    c.on("update", (data) => log.updates.push({ complete: data.complete, incomplete: data.incomplete }));
    c.on("scrape", (data) => log.scrapes.push({ complete: data.complete, incomplete: data.incomplete, downloaded: data.downloaded }));
    c.on("warning", (e) => log.warnings.push(String(e?.message ?? e)));
    c.on("error", (e) => log.errors.push(String(e?.message ?? e)));
    c.on("peer", (peer) => {
      log.peers.push(peer.id);
      const opened = () => (log.channels += 1);
      if (peer.connected) opened();
      else peer.once("connect", opened);
      peer.on("error", () => {});
    });
    window.client = c;
    window.log = log;
    c.start();
  };
}

/** A malformed frame on a raw socket: the tracker answers with a failure reason or closes. */
function malformed({ trackerUrl }) {
  return new Promise((resolve) => {
    const ws = new WebSocket(trackerUrl);
    const seen = [];
    const timer = setTimeout(() => resolve({ seen, closed: false }), 5000);
    ws.onopen = () => ws.send("{not json");
    ws.onmessage = (event) => seen.push(String(event.data));
    ws.onclose = (event) => {
      clearTimeout(timer);
      resolve({ seen, closed: true, code: event.code });
    };
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const browser = await launch();
const pages = [];
async function clientPage(n, infoHash) {
  const page = await newPage(browser, origin);
  await page.route("**/favicon.ico", (route) => route.fulfill({ status: 204 }));
  // Any same-origin document will do: a JSON answer is the lightest one.
  await page.goto(`${origin}/api/v1/config`);
  await page.addScriptTag({ type: "module", content: bundle.outputFiles[0].text });
  await page.waitForFunction(() => window.TrackerClient, null, { timeout: 10000 });
  await page.evaluate(install, { trackerUrl });
  await page.evaluate(([n, infoHash]) => window.make(n, infoHash), [n, infoHash]);
  pages.push(page);
  return page;
}
const log = (page) => page.evaluate(() => window.log);
async function until(what, page, check, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const current = await log(page);
    if (check(current)) return current;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(current)}; page errors: ${page.errors}`);
    await sleep(100);
  }
}

try {
  const report = {};
  const a = await clientPage(1, allowed);
  await until("A's announce response", a, (l) => l.updates.length > 0);
  const b = await clientPage(2, allowed);
  await until("B's announce response", b, (l) => l.updates.length > 0);
  // B's offer reaches A through the tracker; A's answer reaches B: both see a connected peer.
  await until("A's data channel", a, (l) => l.channels > 0);
  await until("B's data channel", b, (l) => l.channels > 0);
  report.afterJoin = { a: (await log(a)).updates[0], b: (await log(b)).updates[0] };
  report.peers = { a: (await log(a)).peers, b: (await log(b)).peers };

  await a.evaluate(() => window.client.scrape());
  report.scrapeBoth = (await until("A's scrape", a, (l) => l.scrapes.length > 0)).scrapes.at(-1);
  await b.evaluate(() => window.client.stop());
  await until("B's stopped response", b, (l) => l.updates.length > 1);
  await a.evaluate(() => window.client.scrape());
  report.scrapeAfterStop = (await until("A's second scrape", a, (l) => l.scrapes.length > 1)).scrapes.at(-1);

  // An info hash this tracker does not serve: refused, no announce response.
  const stranger = await clientPage(3, unknown);
  await sleep(3000);
  report.stranger = await log(stranger);
  report.malformed = await a.evaluate(malformed, { trackerUrl });

  // A is unaffected by the others' refusals.
  report.a = await log(a);
  report.b = await log(b);
  report.pageErrors = pages.flatMap((p) => p.errors);
  process.stdout.write(`${JSON.stringify(report)}\n`);
} finally {
  await browser.close();
}
