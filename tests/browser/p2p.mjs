// Browser viewers of one video on the embed page, each in its own Chromium process (run by
// tests/tests/p2p.rs against the real worker): prints one JSON report on stdout.
//
//   node tests/browser/p2p.mjs <origin> <videoUUID> <screenshot dir>
//
// 1. Sharing: a first viewer watches the whole video at 4× speed (so its cache holds every
//    segment), then a second and a third join 3 s apart and watch for 15 s.
// 2. Corruption: the sharing viewers leave; a "corrupting" viewer (its data channels flip a byte
//    in every large outgoing message, the segment data) loads the video, then a fresh viewer joins
//    and must reject what it gets from that peer and load those segments over HTTP.
// 3. P2P off: at the same time, a viewer with `?p2p=0` (and `start=0m20s`) watches: it must create
//    no peer connection.
// Screenshots of the embed page at desktop and phone sizes go to the screenshot dir.
//
// With `--share 2,3,5` it only measures: for each group size, a first viewer watches to the end at
// 4×, the others join 3 s apart and watch 15 s; then the group leaves.
import { mkdirSync } from "node:fs";
import { launch, newPage } from "./chromium.mjs";

const [origin, uuid, shots, mode, sizes] = process.argv.slice(2);
if (!origin || !uuid || !shots) {
  console.error("usage: p2p.mjs <origin> <videoUUID> <screenshot dir>");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const embed = (query = "") => `${origin}/videos/embed/${uuid}?autoplay=1&muted=1${query}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const browsers = [];
const log = (...args) => console.error(`[p2p ${new Date().toISOString().slice(11, 19)}]`, ...args);

/** Counts the RTCPeerConnections a page creates (the P2P-off check). */
const countPeerConnections = () => {
  const Original = window.RTCPeerConnection;
  window.__peerConnections = 0;
  window.RTCPeerConnection = class extends Original {
    constructor(...args) {
      super(...args);
      window.__peerConnections += 1;
    }
  };
};

/**
 * Test-only sabotage, injected by this script into one page: every large message the page sends
 * on a data channel (p2p-media-loader's segment chunks; its commands are small) gets one byte
 * flipped, so every segment it serves fails the receiver's SHA-256 check.
 */
const corruptOutgoingSegments = () => {
  const send = RTCDataChannel.prototype.send;
  window.__corrupted = 0;
  RTCDataChannel.prototype.send = function (data) {
    const view = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
    if (view && view.byteLength > 4096) {
      const copy = view.slice();
      copy[copy.length >> 1] ^= 0xff;
      window.__corrupted += 1;
      return send.call(this, copy);
    }
    return send.call(this, data);
  };
};

async function viewer(name, { query = "", viewport, init = [] } = {}) {
  const browser = await launch();
  browsers.push(browser);
  const page = await newPage(browser, origin, viewport);
  for (const script of init) await page.addInitScript(script);
  page.viewerName = name;
  page.on("response", (response) => {
    if (response.status() >= 400) page.errors.push(`HTTP ${response.status()} ${response.url()}`);
  });
  await page.goto(embed(query));
  await page.waitForFunction(() => window.edgetubePlayer?.hls, null, { timeout: 15000 });
  log(`${name} opened`);
  return page;
}

const stats = (page) =>
  page.evaluate(() => {
    const { stats, video } = window.edgetubePlayer;
    return {
      ...stats,
      rejections: stats.rejections.slice(0, 5),
      currentTime: video.currentTime,
      duration: video.duration,
      ended: video.ended,
      peerConnections: window.__peerConnections ?? null,
      corrupted: window.__corrupted ?? null,
    };
  });

const setRate = (page, rate) => page.evaluate((r) => (window.edgetubePlayer.video.playbackRate = r), rate);

/** Waits (bounded) until the page's video has played to its end. */
async function untilEnded(page, timeoutMs) {
  await page.waitForFunction(() => window.edgetubePlayer.video.ended, null, { timeout: timeoutMs, polling: 500 });
}

async function report(page) {
  return { name: page.viewerName, ...(await stats(page)), errors: page.errors };
}

async function main() {
  const result = { sharing: [], corruption: [], off: null, screenshots: [] };
  const started = Date.now();

  // 1. Sharing.
  const first = await viewer("first");
  await setRate(first, 4);
  await untilEnded(first, 60000);
  log("first viewer reached the end", JSON.stringify(await stats(first)));
  // At normal speed: p2p-media-loader loads the segments due within 15 s of playback time (its
  // high-demand window, which grows with the playback rate) over HTTP first, the rest from peers.
  const second = await viewer("second");
  await sleep(3000);
  const third = await viewer("third");
  await sleep(15000);
  for (const page of [first, second, third]) result.sharing.push(await report(page));

  // Screenshots: the embed page with its controls showing and the seek preview under the mouse.
  const seek = second.locator(".pc-seek");
  const seekBox = await seek.boundingBox();
  await seek.hover({ position: { x: seekBox.width * 0.4, y: seekBox.height / 2 } });
  await sleep(400);
  const desktop = `${shots}/embed-desktop.png`;
  await second.screenshot({ path: desktop });
  result.screenshots.push(desktop);

  // 2 and 3. Corruption, and P2P off at the same time.
  await Promise.all([second, third].map((page) => page.context().browser().close()));
  const corrupter = await viewer("corrupter", { init: [corruptOutgoingSegments] });
  await setRate(corrupter, 4);
  await untilEnded(corrupter, 60000);
  await first.context().browser().close();
  log("corrupter loaded the video; the honest first viewer left");
  const victim = await viewer("victim");
  const off = await viewer("p2p-off", { query: "&p2p=0&start=0m20s", init: [countPeerConnections] });
  const phone = await viewer("phone", { query: "&p2p=0", viewport: { width: 390, height: 844 } });
  await sleep(20000);
  result.corruption.push(await report(corrupter), await report(victim));
  result.off = await report(off);
  const phonePath = `${shots}/embed-phone.png`;
  await phone.locator("video").click();
  await sleep(400);
  await phone.screenshot({ path: phonePath });
  result.screenshots.push(phonePath);
  result.phoneErrors = phone.errors;
  result.seconds = Math.round((Date.now() - started) / 1000);
  return result;
}

/** The `--share` measurement. */
async function share(groupSizes) {
  const groups = [];
  for (const size of groupSizes) {
    const first = await viewer(`g${size}-1`);
    await setRate(first, 4);
    await untilEnded(first, 60000);
    const group = [first];
    for (let i = 2; i <= size; i++) {
      group.push(await viewer(`g${size}-${i}`));
      await sleep(3000);
    }
    await sleep(12000);
    const viewers = [];
    for (const page of group) viewers.push(await report(page));
    groups.push({ size, viewers });
    await Promise.all(group.map((page) => page.context().browser().close()));
    // Let the tracker see the group's sockets close before the next one starts.
    await sleep(2000);
  }
  return { groups };
}

try {
  const result = mode === "--share" ? await share(sizes.split(",").map(Number)) : await main();
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await Promise.allSettled(browsers.map((b) => b.close()));
}
