// Search: a handle or URL is looked up on its own server through the API, which does that for
// logged-in users only (anonymous searches stay local, as PeerTube's default).
import { api, session } from "/assets/app.js";
import { card, element } from "/assets/cards.js";

const box = document.getElementById("remote-result");
const query = box?.dataset.query;
if (box && box.dataset.remote === "true" && session()) {
  const q = encodeURIComponent(query);
  Promise.allSettled([
    api(`/api/v1/search/video-channels?search=${q}`),
    api(`/api/v1/search/videos?search=${q}`),
  ]).then(([channels, videos]) => {
    const found = [];
    for (const channel of channels.value?.data || []) {
      found.push(element("p", {}, "Channel: ", element("a", { href: `/c/${channel.name}@${channel.host}` }, channel.displayName || channel.name)));
    }
    const list = element("ul", { class: "cards" }, ...(videos.value?.data || []).map(card));
    if (!found.length && !list.children.length) found.push(element("p", { class: "empty" }, `Nothing found at ${query}.`));
    box.replaceChildren(element("h2", {}, "On its own server"), ...found, list);
    box.hidden = false;
  });
}
