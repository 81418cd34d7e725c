// Editing a video: its fields through PUT /api/v1/videos/{id}, and its deletion.
import { api, session, showError } from "/assets/app.js";

const form = document.getElementById("edit-form");
const id = form.dataset.id;
const errorBox = document.getElementById("edit-error");

async function load() {
  const video = await api(`/api/v1/videos/${encodeURIComponent(id)}`);
  form.name.value = video.name;
  form.privacy.value = String(video.privacy?.id ?? 1);
  form.description.value = video.description || "";
  form.tags.value = (video.tags || []).join(", ");
  form.commentsEnabled.checked = video.commentsEnabled !== false;
  document.getElementById("edit-view").href = `/w/${video.shortUUID || video.uuid}`;
}

if (session()) load().catch((error) => showError(errorBox, error));

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  errorBox.hidden = true;
  const tags = form.tags.value.split(",").map((t) => t.trim()).filter(Boolean);
  try {
    await api(`/api/v1/videos/${encodeURIComponent(id)}`, {
      method: "PUT",
      json: {
        name: form.name.value.trim(),
        privacy: Number(form.privacy.value),
        description: form.description.value,
        tags,
        commentsEnabled: form.commentsEnabled.checked,
      },
    });
    document.getElementById("edit-done").hidden = false;
  } catch (error) {
    showError(errorBox, error);
  }
});

document.getElementById("delete-video").addEventListener("click", async () => {
  if (!confirm("Delete this video? This cannot be undone.")) return;
  try {
    await api(`/api/v1/videos/${encodeURIComponent(id)}`, { method: "DELETE" });
    location.href = "/my-library/videos";
  } catch (error) {
    showError(errorBox, error);
  }
});
