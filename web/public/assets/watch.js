// The watch page: the player, and what a logged-in viewer does there (rate, subscribe, comment,
// reply). A private video's page is filled here with the viewer's token.
import { api, session, showError, wireSubscribe, applySession } from "/assets/app.js";
import { element } from "/assets/cards.js";
import { mountPlayer, readConfig } from "/assets/player.js";

const article = document.querySelector("article.watch");
const config = readConfig();

async function privateConfig() {
  const video = await api(`/api/v1/videos/${encodeURIComponent(config.uuid)}`);
  const token = await api(`/api/v1/videos/${video.uuid}/token`, { method: "POST" });
  document.getElementById("private-title").textContent = video.name;
  document.title = video.name;
  const playlist = video.streamingPlaylists?.[0];
  return {
    ...config,
    uuid: video.uuid,
    videoId: video.id,
    isLocal: video.isLocal,
    isPrivate: true,
    duration: video.duration,
    playlistUrl: playlist?.playlistUrl,
    segmentsSha256Url: playlist?.segmentsSha256Url,
    trackerUrls: [],
    videoFileToken: token.files?.token,
    // The view POST of a private video needs the viewer's token too.
    authorization: `Bearer ${session().accessToken}`,
    needsAuth: false,
  };
}

async function startPlayer() {
  const video = document.getElementById("video");
  if (!config.needsAuth) return mountPlayer(video, config);
  if (!session()) return null;
  try {
    return mountPlayer(video, await privateConfig());
  } catch (error) {
    showError(document.getElementById("private-error"), error);
    return null;
  }
}

function wireRatings() {
  const buttons = [...document.querySelectorAll("button.rate")];
  if (!buttons.length) return;
  const id = article.dataset.videoId;
  let current = "none";
  const show = () => buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.rating === current)));
  if (session()) {
    api(`/api/v1/users/me/videos/${id}/rating`).then((r) => ((current = r.rating || "none"), show())).catch(() => {});
  }
  for (const button of buttons) {
    button.addEventListener("click", async () => {
      if (!session()) {
        location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
        return;
      }
      const next = current === button.dataset.rating ? "none" : button.dataset.rating;
      try {
        await api(`/api/v1/videos/${id}/rate`, { method: "PUT", json: { rating: next } });
        const count = (name) => document.getElementById(name === "like" ? "likes" : "dislikes");
        if (current !== "none") count(current).textContent = String(Number(count(current).textContent) - 1);
        if (next !== "none") count(next).textContent = String(Number(count(next).textContent) + 1);
        current = next;
        show();
      } catch (error) {
        button.title = error.message;
      }
    });
  }
}

function commentNode(comment) {
  const author = comment.account ? comment.account.displayName || comment.account.name : "Deleted";
  return element(
    "div",
    { class: "comment" },
    element("span", { class: "author" }, author),
    " ",
    element("time", {}, (comment.createdAt || "").slice(0, 10)),
    element("div", { class: "text" }, comment.isDeleted ? "(deleted)" : comment.text),
  );
}

function replyForm(onSend) {
  const text = element("textarea", { rows: "2", required: "", maxlength: "10000", "aria-label": "Your reply" });
  const form = element("form", { class: "comment-form reply-form" }, text, element("button", { type: "submit" }, "Reply"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await onSend(text.value.trim());
    form.remove();
  });
  return form;
}

function wireThread(li) {
  const id = article.dataset.videoId;
  const threadId = li.dataset.threadId;
  const replies = li.querySelector(".replies");
  li.querySelector(".show-replies")?.addEventListener("click", async (event) => {
    event.target.remove();
    const thread = await api(`/api/v1/videos/${id}/comment-threads/${threadId}`);
    const flatten = (children) => children.flatMap((c) => [c.comment, ...flatten(c.children || [])]);
    replies.replaceChildren(...flatten(thread.children || []).map((c) => element("li", {}, commentNode(c))));
  });
  li.querySelector(".reply")?.addEventListener("click", () => {
    if (li.querySelector(".reply-form")) return;
    li.querySelector(".thread-actions").after(
      replyForm(async (text) => {
        const answer = await api(`/api/v1/videos/${id}/comments/${threadId}`, { method: "POST", json: { text } });
        replies.append(element("li", {}, commentNode(answer.comment)));
      }),
    );
  });
}

function wireComments() {
  const threads = document.getElementById("threads");
  if (!threads) return;
  threads.querySelectorAll("li.thread").forEach(wireThread);
  const form = document.getElementById("comment-form");
  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = form.text.value.trim();
    if (!text) return;
    try {
      const answer = await api(`/api/v1/videos/${article.dataset.videoId}/comment-threads`, { method: "POST", json: { text } });
      const li = element(
        "li",
        { class: "thread", "data-thread-id": String(answer.comment.id) },
        commentNode(answer.comment),
        element("div", { class: "thread-actions" }, element("button", { type: "button", class: "linkish reply", "data-when": "in" }, "Reply")),
        element("ol", { class: "replies" }),
      );
      threads.prepend(li);
      wireThread(li);
      form.text.value = "";
    } catch (error) {
      form.querySelector("button").title = error.message;
    }
  });
}

startPlayer();
if (!config.needsAuth) {
  wireRatings();
  wireComments();
  wireSubscribe();
}
applySession();
