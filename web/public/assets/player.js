// The player: hls.js on the page's <video>, configured by the JSON the server put in
// #player-config (functions/web/src/pages/watch.rs). Peer-to-peer loading is added on top.
import Hls from "hls.js";

export function readConfig() {
  return JSON.parse(document.getElementById("player-config").textContent);
}

/** Starts playback of `config` in `video`; resolves to the hls.js instance (or null for native HLS). */
export async function mountPlayer(video, config) {
  if (!config.playlistUrl) {
    video.replaceWith(Object.assign(document.createElement("p"), { className: "player-wait", textContent: "This video is still being processed." }));
    return null;
  }
  if (Hls.isSupported()) {
    const hls = new Hls({ enableWorker: false });
    hls.loadSource(config.playlistUrl);
    hls.attachMedia(video);
    window.edgetubePlayer = { hls, video, config };
    return hls;
  }
  video.src = config.playlistUrl;
  return null;
}
