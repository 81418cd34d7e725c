// The player: hls.js on the page's <video>, with peer-to-peer segment sharing through
// p2p-media-loader 2 (../shared/reference/p2p.md), its own controls (quality, speed, captions,
// storyboard seek preview) and PeerTube's embed parameters. No framework.
//
// Configuration (JSON in <script id="player-config">, built by `player` in
// functions/web/src/pages/watch.rs; watch.js passes a full one for a private video):
//   uuid               the video's UUID (swarm ids and the view counter use it)
//   videoId            numeric id (optional; the UUID serves for the API too)
//   needsAuth          true: only the UUID is known, the page must fetch the rest with a token
//   isPrivate          true: never share over P2P (private media must not leave the viewer)
//   duration           seconds, for the seek bar before the media is loaded
//   playlistUrl        the HLS master playlist (null while processing)
//   segmentsSha256Url  PeerTube's segments-sha256.json; without it there is no P2P (as PeerTube)
//   resolutions        the renditions' resolutions (informative)
//   trackerUrls        announce URLs; only ws:// and wss:// are used
//   storyboard         {storyboardPath, totalWidth, totalHeight, spriteWidth, spriteHeight,
//                       spriteDuration} or null: the seek preview sprite sheet
//   previewPath        poster image
//   embed              true on /videos/embed/<id>
//   params             PeerTube's query parameters, strings or null: start (`90`, `1m30s`),
//                      autoplay, muted, loop, p2p (`0`/`false` turns P2P off)
//   videoFileToken     private media: PeerTube's file token, added to playlist and segment URLs
//   authorization      optional `Bearer …` sent with playlist and segment requests and the view
//   iceServers         optional RTCIceServer list (absent: none, host candidates only)
//
// For tests and the curious, `window.edgetubePlayer` holds {hls, video, config, stats}; stats are
// bytes from HTTP and from peers, bytes uploaded, segments rejected by the hash check, peers.
import Hls from "hls.js";
import { HlsJsP2PEngine } from "p2p-media-loader-hlsjs";

const P2P_SETTING_KEY = "edgetube-p2p";
const VIEW_AFTER_SECONDS = 5;
const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 2];

export function readConfig() {
  return JSON.parse(document.getElementById("player-config").textContent);
}

/** The viewer's own P2P choice (the watch page's checkbox), kept in localStorage. */
export function p2pAllowedByViewer() {
  try {
    return localStorage.getItem(P2P_SETTING_KEY) !== "false";
  } catch {
    return true;
  }
}

/** PeerTube's `start`: seconds (`90`, `12.5`) or `1h2m3s`-style; null when absent or unreadable. */
export function parseStart(value) {
  if (value == null || value === "") return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (!match || match[0] === "") return null;
  const [, h = 0, m = 0, s = 0] = match;
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}

const truthy = (value) => value === "1" || value === "true";
const falsy = (value) => value === "0" || value === "false";

/** Whether this load shares segments with other viewers, and why not when it does not. */
function p2pDecision(config) {
  const trackers = (config.trackerUrls || []).filter((u) => /^wss?:\/\//.test(u));
  if (config.isPrivate) return { on: false, why: "private video" };
  if (falsy(config.params?.p2p)) return { on: false, why: "p2p=0" };
  if (!p2pAllowedByViewer()) return { on: false, why: "turned off by the viewer" };
  if (!config.segmentsSha256Url) return { on: false, why: "no segment hashes" };
  if (!trackers.length) return { on: false, why: "no tracker" };
  // Segments from peers are only accepted after a SHA-256 check; without WebCrypto (an insecure
  // context) there is no check, so no P2P.
  if (!globalThis.crypto?.subtle) return { on: false, why: "no WebCrypto" };
  if (!globalThis.RTCPeerConnection) return { on: false, why: "no WebRTC" };
  return { on: true, trackers };
}

/**
 * The check of segments against PeerTube's segments-sha256.json
 * (`{"<file name>": {"<start>-<end>": "<sha256 hex>"}}`, ranges inclusive).
 */
function segmentValidator(config, stats) {
  let table = null;
  const load = async () => {
    const response = await fetch(config.segmentsSha256Url, {
      headers: config.authorization ? { authorization: config.authorization } : {},
      cache: "no-cache",
    });
    if (!response.ok) throw new Error(`segments-sha256.json: HTTP ${response.status}`);
    return response.json();
  };
  return async (url, byteRange, data) => {
    try {
      const file = new URL(url, location.href).pathname.split("/").pop();
      table ||= load();
      let hashes = (await table)[file];
      if (!hashes) {
        // A rendition added after the table was read: read it again, once.
        table = load();
        hashes = (await table)[file];
      }
      const key = byteRange ? `${byteRange.start}-${byteRange.end}` : file;
      // VOD: file → {"<start>-<end>": hash}; live (whole-file segments): file → hash.
      const expected = typeof hashes === "string" ? hashes : hashes?.[key];
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
      const actual = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
      if (expected && actual === expected) return true;
      stats.rejected += 1;
      stats.rejections.push({ file, range: key, expected: expected || null, actual });
      return false;
    } catch (error) {
      stats.rejected += 1;
      stats.rejections.push({ url, error: String(error) });
      return false;
    }
  };
}

/**
 * PeerTube's swarm ids (`pt-v2-<videoUUID>-main-default-<resolution>`, audio
 * `pt-v2-<videoUUID>-secondary-default-default`), so that Edgetube and PeerTube viewers of a
 * video meet and the tracker's allow-list matches. p2p-media-loader-core 2.3.1 has no hook for
 * the stream swarm id: the engine's stream index is set here, and scripts/patch-p2p-swarm-id.mjs
 * makes the core keep a swarm id that starts with `pt-` as it is.
 */
function usePeerTubeSwarmIds(hls) {
  const engine = hls.p2pEngine;
  const core = engine?.core;
  const manager = engine?.segmentManager;
  if (!core?.addStreamIfNoneExists || !manager?.processMainManifest) {
    throw new Error("p2p-media-loader's internals changed: cannot set PeerTube's swarm ids");
  }
  const resolutionOf = new Map();
  const processMainManifest = manager.processMainManifest.bind(manager);
  manager.processMainManifest = (data) => {
    for (const level of data.levels || []) {
      const url = Array.isArray(level.url) ? level.url[0] : level.url;
      const { width, height } = level;
      const resolution = width && height ? Math.min(width, height) : height || 0;
      resolutionOf.set(url, resolution);
    }
    processMainManifest(data);
  };
  const addStream = core.addStreamIfNoneExists.bind(core);
  core.addStreamIfNoneExists = (stream) => {
    const resolution = resolutionOf.get(stream.runtimeId);
    const index = stream.type === "main" && resolution ? `default-${resolution}` : "default-default";
    addStream({ ...stream, index });
  };
}

function newStats() {
  return { httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, rejected: 0, rejections: [], peers: 0,
           peersSeen: 0, segmentsHttp: 0, segmentsP2P: 0, trackerErrors: [], p2p: false, p2pOffReason: null };
}

function watchEngine(engine, stats) {
  const peers = new Set();
  engine.addEventListener("onChunkDownloaded", (bytes, source) => {
    if (source === "p2p") stats.p2pBytes += bytes;
    else stats.httpBytes += bytes;
  });
  engine.addEventListener("onChunkUploaded", (bytes) => (stats.uploadedBytes += bytes));
  engine.addEventListener("onSegmentLoaded", ({ downloadSource }) => {
    if (downloadSource === "p2p") stats.segmentsP2P += 1;
    else stats.segmentsHttp += 1;
  });
  engine.addEventListener("onPeerConnect", ({ peerId }) => {
    peers.add(peerId);
    stats.peers = peers.size;
    stats.peersSeen += 1;
  });
  engine.addEventListener("onPeerClose", ({ peerId }) => {
    peers.delete(peerId);
    stats.peers = peers.size;
  });
  engine.addEventListener("onTrackerError", (e) => stats.trackerErrors.push(String(e?.error ?? e)));
}

/** Starts playback of `config` in `video`; resolves to the hls.js instance (or null for native HLS). */
export async function mountPlayer(video, config) {
  const stats = newStats();
  const state = { hls: null, video, config, stats };
  window.edgetubePlayer = state;
  if (!config.playlistUrl) {
    video.replaceWith(Object.assign(document.createElement("p"), { className: "player-wait", textContent: "This video is still being processed." }));
    return null;
  }
  const params = config.params || {};
  const start = parseStart(params.start);
  video.muted = truthy(params.muted);
  video.loop = truthy(params.loop);
  const autoplay = truthy(params.autoplay);

  const p2p = p2pDecision(config);
  stats.p2p = p2p.on;
  stats.p2pOffReason = p2p.on ? null : p2p.why;
  // Private media: PeerTube's `videoFileToken` on every playlist and segment URL (hls.js lets
  // xhrSetup open the request itself), and/or an Authorization header.
  const withToken = (url) =>
    config.videoFileToken ? `${url}${url.includes("?") ? "&" : "?"}videoFileToken=${encodeURIComponent(config.videoFileToken)}` : url;
  const authorize = (xhr, url) => {
    xhr.open("GET", withToken(url), true);
    if (config.authorization) xhr.setRequestHeader("authorization", config.authorization);
  };
  let hls = null;
  if (Hls.isSupported()) {
    // hls.js's worker takes ownership of segment buffers, which would leave peers uploading empty
    // segments (p2p.md §6.5): the demuxer runs on the main thread.
    const base = { enableWorker: false, xhrSetup: authorize, startPosition: start ?? -1 };
    if (p2p.on) {
      const P2PHls = HlsJsP2PEngine.injectMixin(Hls);
      hls = new P2PHls({
        ...base,
        p2p: {
          core: {
            announceTrackers: p2p.trackers,
            rtcConfig: { iceServers: config.iceServers || [] },
            swarmId: `pt-v2-${config.uuid}`,
            validateP2PSegment: segmentValidator(config, stats),
          },
          onHlsJsCreated: (instance) => {
            watchEngine(instance.p2pEngine, stats);
            try {
              usePeerTubeSwarmIds(instance);
            } catch (error) {
              // Playback must not depend on P2P: without PeerTube's swarm ids, HTTP only.
              instance.p2pEngine.applyDynamicConfig({ core: { isP2PDisabled: true } });
              stats.p2p = false;
              stats.p2pOffReason = String(error.message || error);
            }
          },
        },
      });
    } else {
      hls = new Hls(base);
      hls.on(Hls.Events.FRAG_LOADED, (_, data) => {
        stats.httpBytes += data.frag.stats.loaded;
        stats.segmentsHttp += 1;
      });
    }
    hls.loadSource(withToken(config.playlistUrl));
    hls.attachMedia(video);
    hls.on(Hls.Events.ERROR, (_, data) => {
      if (data.fatal) showError(video, `Playback failed (${data.details}).`);
    });
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = withToken(config.playlistUrl);
    if (start) video.addEventListener("loadedmetadata", () => (video.currentTime = start), { once: true });
  } else {
    showError(video, "This browser cannot play HLS video.");
  }
  state.hls = hls;
  bindP2PSetting(hls);
  buildControls(video, hls, config);
  countView(video, config);
  if (autoplay) {
    video.play().catch(() => {
      // Browsers refuse sound without a gesture: retry muted, as PeerTube's embed does.
      video.muted = true;
      video.play().catch(() => {});
    });
  }
  return hls;
}

/** The watch page's "Share with other viewers" checkbox: remembered, applied at once. */
function bindP2PSetting(hls) {
  const box = document.getElementById("p2p-setting");
  if (!box) return;
  box.checked = p2pAllowedByViewer();
  box.addEventListener("change", () => {
    try {
      localStorage.setItem(P2P_SETTING_KEY, box.checked ? "true" : "false");
    } catch {
      // Storage refused (private mode): the choice lasts for this page only.
    }
    hls?.p2pEngine?.applyDynamicConfig({ core: { isP2PDisabled: !box.checked } });
  });
}

function showError(video, text) {
  const box = video.closest(".player") || video.parentElement;
  let note = box.querySelector(".player-error");
  if (!note) {
    note = Object.assign(document.createElement("p"), { className: "player-error", role: "alert" });
    box.append(note);
  }
  note.textContent = text;
}

/** One view, PeerTube's way: POST /videos/<id>/views with the position, after a few seconds played. */
function countView(video, config) {
  let played = 0;
  let last = null;
  let sent = false;
  const onTime = () => {
    if (sent) return;
    const now = video.currentTime;
    if (last != null && now > last && now - last < 1.5) played += now - last;
    last = now;
    if (played < VIEW_AFTER_SECONDS) return;
    sent = true;
    video.removeEventListener("timeupdate", onTime);
    const headers = { "content-type": "application/json" };
    if (config.authorization) headers.authorization = config.authorization;
    fetch(`/api/v1/videos/${config.uuid}/views`, {
      method: "POST",
      headers,
      body: JSON.stringify({ currentTime: Math.floor(now) }),
    }).catch(() => {});
  };
  video.addEventListener("timeupdate", onTime);
  video.addEventListener("seeking", () => (last = null));
}

// Icons as inline SVG (24×24, currentColor): emoji glyphs are missing from many systems' fonts.
const ICONS = {
  play: "M8 5v14l11-7z",
  pause: "M6 5h4v14H6zM14 5h4v14h-4z",
  volume: "M3 9v6h4l5 5V4L7 9zm13.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4zM14 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6z",
  muted: "M3 9v6h4l5 5V4L7 9zm13.6 3 2.9-2.9-1.4-1.4-2.9 2.9-2.9-2.9-1.4 1.4 2.9 2.9-2.9 2.9 1.4 1.4 2.9-2.9 2.9 2.9 1.4-1.4z",
  settings:
    "M19.4 13a7.8 7.8 0 0 0 0-2l2.1-1.6-2-3.5-2.5 1a7.4 7.4 0 0 0-1.7-1L15 3h-4l-.4 2.9a7.4 7.4 0 0 0-1.7 1l-2.5-1-2 3.5L6.6 11a7.8 7.8 0 0 0 0 2l-2.1 1.6 2 3.5 2.5-1a7.4 7.4 0 0 0 1.7 1L11 21h4l.4-2.9a7.4 7.4 0 0 0 1.7-1l2.5 1 2-3.5zM13 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7z",
  fullscreen: "M4 4h6v2H6v4H4zm10 0h6v6h-2V6h-4zM4 14h2v4h4v2H4zm14 0h2v6h-6v-2h4z",
};

function setIcon(button, name) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  button.replaceChildren(svg);
}

const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

function formatTime(seconds) {
  if (!Number.isFinite(seconds)) return "0:00";
  const s = Math.floor(seconds % 60).toString().padStart(2, "0");
  const m = Math.floor(seconds / 60) % 60;
  const h = Math.floor(seconds / 3600);
  return h ? `${h}:${m.toString().padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** The control bar: play, seek (with storyboard preview), time, mute, settings, fullscreen. */
function buildControls(video, hls, config) {
  const box = video.closest(".player");
  if (!box) return;
  video.controls = false;
  const duration = () => (Number.isFinite(video.duration) ? video.duration : config.duration || 0);

  const play = el("button", { type: "button", className: "pc-play", title: "Play (k)" });
  const seek = el("input", { type: "range", className: "pc-seek", min: 0, max: 1000, value: 0, step: 1 });
  seek.setAttribute("aria-label", "Seek");
  const time = el("span", { className: "pc-time", textContent: `0:00 / ${formatTime(config.duration)}` });
  const mute = el("button", { type: "button", className: "pc-mute", title: "Mute (m)" });
  const settings = el("button", { type: "button", className: "pc-settings", title: "Settings" });
  setIcon(settings, "settings");
  settings.setAttribute("aria-haspopup", "menu");
  const full = el("button", { type: "button", className: "pc-full", title: "Fullscreen (f)" });
  setIcon(full, "fullscreen");
  const menu = el("div", { className: "pc-menu", hidden: true });
  menu.setAttribute("role", "menu");
  const preview = el("div", { className: "pc-preview", hidden: true }, el("div", { className: "pc-preview-image" }), el("span"));
  const seekWrap = el("div", { className: "pc-seek-wrap" }, seek, preview);
  const bar = el("div", { className: "pc-bar" }, play, time, el("span", { className: "pc-spacer" }), mute, settings, full);
  const controls = el("div", { className: "player-controls" }, seekWrap, bar, menu);
  box.append(controls);
  box.classList.add("has-controls");

  const toggle = () => (video.paused ? video.play().catch(() => {}) : video.pause());
  play.addEventListener("click", toggle);
  video.addEventListener("click", toggle);
  const sync = () => {
    setIcon(play, video.paused ? "play" : "pause");
    play.title = video.paused ? "Play (k)" : "Pause (k)";
    box.classList.toggle("paused", video.paused);
  };
  video.addEventListener("play", sync);
  video.addEventListener("pause", sync);
  sync();
  let dragging = false;
  seek.addEventListener("input", () => {
    dragging = true;
    time.textContent = `${formatTime((seek.value / 1000) * duration())} / ${formatTime(duration())}`;
  });
  seek.addEventListener("change", () => {
    dragging = false;
    video.currentTime = (seek.value / 1000) * duration();
  });
  video.addEventListener("timeupdate", () => {
    if (dragging) return;
    seek.value = duration() ? Math.round((video.currentTime / duration()) * 1000) : 0;
    time.textContent = `${formatTime(video.currentTime)} / ${formatTime(duration())}`;
  });
  const syncMute = () => setIcon(mute, video.muted || video.volume === 0 ? "muted" : "volume");
  mute.addEventListener("click", () => (video.muted = !video.muted));
  video.addEventListener("volumechange", syncMute);
  syncMute();
  full.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else box.requestFullscreen?.().catch(() => {});
  });
  box.tabIndex = 0;
  box.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLInputElement && event.target !== seek) return;
    const key = event.key.toLowerCase();
    if (key === "k" || key === " ") toggle();
    else if (key === "m") video.muted = !video.muted;
    else if (key === "f") full.click();
    else if (key === "arrowright") video.currentTime = Math.min(duration(), video.currentTime + 5);
    else if (key === "arrowleft") video.currentTime = Math.max(0, video.currentTime - 5);
    else return;
    event.preventDefault();
  });

  storyboardPreview(seekWrap, seek, preview, config.storyboard, duration);
  settingsMenu(settings, menu, video, hls);
}

function storyboardPreview(wrap, seek, preview, board, duration) {
  const [image, label] = preview.children;
  if (board?.storyboardPath) {
    image.style.width = `${board.spriteWidth}px`;
    image.style.height = `${board.spriteHeight}px`;
    image.style.backgroundImage = `url("${board.storyboardPath}")`;
  } else {
    image.hidden = true;
  }
  wrap.addEventListener("pointermove", (event) => {
    if (event.pointerType === "touch") return;
    const rect = seek.getBoundingClientRect();
    const ratio = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
    const at = ratio * duration();
    label.textContent = formatTime(at);
    if (board?.storyboardPath && board.spriteDuration > 0) {
      const columns = Math.max(1, Math.floor(board.totalWidth / board.spriteWidth));
      const index = Math.floor(at / board.spriteDuration);
      const x = (index % columns) * board.spriteWidth;
      const y = Math.floor(index / columns) * board.spriteHeight;
      image.style.backgroundPosition = `-${x}px -${y}px`;
    }
    const half = (board?.spriteWidth || 40) / 2;
    const left = Math.min(rect.width - half, Math.max(half, ratio * rect.width));
    preview.style.left = `${left}px`;
    preview.hidden = false;
  });
  wrap.addEventListener("pointerleave", () => (preview.hidden = true));
}

/** Quality (auto + each level), speed and captions, as one menu of radio groups. */
function settingsMenu(button, menu, video, hls) {
  const render = () => {
    menu.replaceChildren();
    const group = (title, items, current, choose) => {
      const list = el("div", { className: "pc-group" }, el("div", { className: "pc-group-title", textContent: title }));
      for (const [value, text] of items) {
        const item = el("button", { type: "button", className: "pc-item", textContent: text });
        item.setAttribute("role", "menuitemradio");
        item.setAttribute("aria-checked", String(value === current));
        item.dataset.value = String(value);
        item.addEventListener("click", () => {
          choose(value);
          render();
        });
        list.append(item);
      }
      menu.append(list);
    };
    if (hls && hls.levels.length > 0) {
      const levels = hls.levels.map((level, i) => [i, `${Math.min(level.width || level.height, level.height) || "?"}p`]);
      levels.sort((a, b) => parseInt(b[1]) - parseInt(a[1]));
      const auto = hls.autoLevelEnabled ? `Auto (${levels.find(([i]) => i === hls.currentLevel)?.[1] || "…"})` : "Auto";
      group("Quality", [[-1, auto], ...levels], hls.autoLevelEnabled ? -1 : hls.currentLevel, (value) => {
        hls.currentLevel = value;
      });
    }
    group("Speed", SPEEDS.map((s) => [s, s === 1 ? "Normal" : `${s}×`]), video.playbackRate, (value) => {
      video.playbackRate = value;
    });
    if (hls && hls.subtitleTracks.length > 0) {
      const tracks = hls.subtitleTracks.map((t, i) => [i, t.name || t.lang || `Track ${i + 1}`]);
      group("Captions", [[-1, "Off"], ...tracks], hls.subtitleDisplay ? hls.subtitleTrack : -1, (value) => {
        hls.subtitleTrack = value;
        hls.subtitleDisplay = value >= 0;
      });
    }
  };
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    menu.hidden = !menu.hidden;
    if (!menu.hidden) render();
  });
  document.addEventListener("click", (event) => {
    if (!menu.contains(event.target)) menu.hidden = true;
  });
  if (hls) {
    hls.on(Hls.Events.LEVEL_SWITCHED, () => !menu.hidden && render());
    hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, () => !menu.hidden && render());
  }
}
