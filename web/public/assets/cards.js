// Video cards built in the browser (lists only a logged-in viewer sees), matching the
// server-rendered ones of functions/web/templates/cards.html.

function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor(s / 60) % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

export function card(video) {
  const href = `/w/${video.shortUUID || video.uuid}`;
  const channel = video.channel || {};
  const thumb = element("a", { class: "thumb", href, tabindex: "-1", "aria-hidden": "true" });
  if (video.thumbnailPath) thumb.append(element("img", { src: video.thumbnailPath, alt: "", loading: "lazy", width: "320", height: "180" }));
  else thumb.append(element("span", { class: "nothumb" }));
  thumb.append(element("span", { class: "duration" }, duration(video.duration)));
  return element(
    "li",
    { class: "card" },
    thumb,
    element("a", { class: "title", href }, video.name || ""),
    element("a", { class: "byline", href: `/c/${channel.name}@${channel.host}` }, channel.displayName || channel.name || ""),
    element("span", { class: "meta" }, `${video.views ?? 0} views · ${(video.publishedAt || "").slice(0, 10)}`),
  );
}

export { element };
