// Load driver of tests/bench/tracker.sh: SOCKETS WebSocket clients on one video's tracker object,
// each sending RATE messages per second (under the tracker's flood limit of 6/s per socket) for
// SECONDS; prints offered and answered messages per second and the answer latency.
//
//   node tests/bench/tracker_load.mjs <tracker ws URL> <info hash (20 chars)> <sockets> <rate> <seconds>
//
// The first 15 sockets join the swarm and re-announce (the tracker admits 15 new peers per address
// and swarm per 5 minutes); the others scrape it. Both are a parse, a swarm lookup and an answer.
import WebSocket from "ws";

const [url, infoHash, sockets, rate, seconds] = process.argv.slice(2);
const SOCKETS = Number(sockets);
const RATE = Number(rate);
const SECONDS = Number(seconds);
const JOINERS = 15;

const latencies = [];
let sent = 0;
let answered = 0;
let refused = 0;
const peerId = (i) => `-ET0001-bench${String(i).padStart(7, "0")}`;

function open(i) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.pending = [];
    ws.on("open", () => resolve(ws));
    ws.on("error", reject);
    ws.on("message", (data) => {
      const message = JSON.parse(String(data));
      if (message["failure reason"]) refused += 1;
      const started = ws.pending.shift();
      if (started !== undefined) {
        answered += 1;
        latencies.push(performance.now() - started);
      }
    });
    ws.index = i;
  });
}

const message = (i, first) =>
  i < JOINERS
    ? JSON.stringify({ action: "announce", info_hash: infoHash, peer_id: peerId(i), numwant: 0, uploaded: 0, downloaded: 0, event: first ? "started" : "update", offers: [] })
    : JSON.stringify({ action: "scrape", info_hash: infoHash });

const all = [];
for (let i = 0; i < SOCKETS; i++) all.push(await open(i));
const start = performance.now();
const timers = all.map((ws, i) => {
  let first = true;
  // Spread the sockets' ticks over the period so the load is even.
  return new Promise((resolve) => {
    setTimeout(() => {
      const timer = setInterval(() => {
        if (performance.now() - start > SECONDS * 1000) {
          clearInterval(timer);
          resolve();
          return;
        }
        ws.pending.push(performance.now());
        ws.send(message(i, first));
        first = false;
        sent += 1;
      }, 1000 / RATE);
    }, (i * (1000 / RATE)) / SOCKETS);
  });
});
await Promise.all(timers);
await new Promise((r) => setTimeout(r, 2000));
const elapsed = SECONDS;
latencies.sort((a, b) => a - b);
const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))].toFixed(1) : "n/a");
console.log(JSON.stringify({
  sockets: SOCKETS, offered_per_s: Math.round(sent / elapsed), answered_per_s: Math.round(answered / elapsed),
  unanswered: sent - answered, refused, p50_ms: pct(0.5), p99_ms: pct(0.99),
}));
for (const ws of all) ws.close();
