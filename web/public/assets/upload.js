// Upload through PeerTube's resumable protocol: POST the metadata for an upload URL, then PUT
// the file in chunks with Content-Range. After a dropped connection the page asks the server how
// much it holds (`Content-Range: bytes */size`, answered 308 with `Range`) and goes on from there,
// so a network drop never restarts the upload.
import { api, session, showError, ApiError } from "/assets/app.js";

const form = document.getElementById("upload-form");
const status = document.getElementById("upload-status");
const progress = document.getElementById("upload-progress");
const text = document.getElementById("upload-text");
const errorBox = document.getElementById("upload-error");

/** Chunks of about a twentieth of the file, between 256 KiB and 8 MiB, so progress shows. */
function chunkSize(size) {
  return Math.min(8 << 20, Math.max(256 << 10, Math.ceil(size / 20 / 65536) * 65536));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function authHeaders() {
  const current = session();
  return current ? { Authorization: `Bearer ${current.accessToken}` } : {};
}

/** How many bytes the server holds for `url`, asked after a failure. */
async function received(url, size) {
  const response = await fetch(url, {
    method: "PUT",
    headers: { ...authHeaders(), "Content-Range": `bytes */${size}` },
  });
  if (response.status === 200) return size;
  if (response.status !== 308) throw new ApiError(response.status, await response.json().catch(() => null));
  const range = response.headers.get("Range");
  return range ? Number(range.split("-")[1]) + 1 : 0;
}

function show(sent, size, note = "") {
  const percent = Math.floor((sent / size) * 100);
  progress.value = percent;
  text.textContent = `${percent}% uploaded (${(sent / 1048576).toFixed(1)} of ${(size / 1048576).toFixed(1)} MB)${note}`;
}

async function upload(file, metadata) {
  // A fresh token for a long upload: api() refreshes it when it is near expiry.
  await api("/api/v1/users/me");
  const init = await fetch("/api/v1/videos/upload-resumable", {
    method: "POST",
    headers: {
      ...authHeaders(),
      "Content-Type": "application/json",
      "X-Upload-Content-Length": String(file.size),
      "X-Upload-Content-Type": file.type || "application/octet-stream",
    },
    body: JSON.stringify({ ...metadata, filename: file.name }),
  });
  if (init.status !== 201 && init.status !== 200) throw new ApiError(init.status, await init.json().catch(() => null));
  const url = new URL(init.headers.get("Location"), location.href).toString();
  const step = chunkSize(file.size);
  let offset = 0;
  let failures = 0;
  show(0, file.size);
  while (true) {
    const end = Math.min(offset + step, file.size);
    let response;
    try {
      response = await fetch(url, {
        method: "PUT",
        headers: { ...authHeaders(), "Content-Range": `bytes ${offset}-${end - 1}/${file.size}` },
        body: file.slice(offset, end),
      });
    } catch {
      // The connection dropped: wait, ask the server what it has, resume from there.
      failures += 1;
      if (failures > 8) throw new Error("The connection keeps dropping; the upload can be retried later.");
      show(offset, file.size, " — connection lost, resuming…");
      await sleep(Math.min(500 * 2 ** failures, 8000));
      offset = await received(url, file.size).catch(() => offset);
      continue;
    }
    if (response.status === 308) {
      const range = response.headers.get("Range");
      offset = range ? Number(range.split("-")[1]) + 1 : 0;
      failures = 0;
      show(offset, file.size);
      continue;
    }
    if (response.ok) {
      show(file.size, file.size);
      return (await response.json()).video;
    }
    if (response.status >= 500 && failures < 8) {
      failures += 1;
      await sleep(Math.min(500 * 2 ** failures, 8000));
      offset = await received(url, file.size).catch(() => offset);
      continue;
    }
    throw new ApiError(response.status, await response.json().catch(() => null));
  }
}

async function fillChannels() {
  const me = await api("/api/v1/users/me");
  const select = form.channelId;
  for (const channel of me.videoChannels || []) {
    select.append(new Option(channel.displayName || channel.name, channel.id));
  }
}

if (session()) fillChannels().catch((error) => showError(errorBox, error));

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = form.file.files[0];
  if (!file) return;
  const metadata = {
    name: form.name.value.trim(),
    channelId: Number(form.channelId.value),
    privacy: Number(form.privacy.value),
  };
  if (form.description.value.trim()) metadata.description = form.description.value.trim();
  form.querySelector("button").disabled = true;
  status.hidden = false;
  errorBox.hidden = true;
  try {
    const video = await upload(file, metadata);
    text.textContent = "Uploaded. The video is being transcoded; it plays as soon as that is done.";
    document.getElementById("upload-link").href = `/w/${video.shortUUID || video.uuid}`;
    document.getElementById("upload-edit").href = `/videos/update/${video.uuid}`;
    document.getElementById("upload-done").hidden = false;
  } catch (error) {
    showError(errorBox, error);
    form.querySelector("button").disabled = false;
  }
});
