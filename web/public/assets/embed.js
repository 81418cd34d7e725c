// The embed page (/videos/embed/<id>): the player alone. A private video cannot play here (an
// iframe has no viewer's token), so it says so instead.
import { mountPlayer, readConfig } from "/assets/player.js";

const config = readConfig();
const video = document.getElementById("video");
if (config.needsAuth) {
  video.replaceWith(Object.assign(document.createElement("p"), {
    className: "player-wait",
    textContent: "This video is private: open it on its instance to watch it.",
  }));
} else {
  mountPlayer(video, config);
}
