// "My videos": every video of the viewer, any privacy or state, with edit and delete.
import { api, session, showError } from "/assets/app.js";
import { element } from "/assets/cards.js";

const body = document.getElementById("my-videos");
const errorBox = document.getElementById("library-error");

async function load() {
  const page = await api("/api/v1/users/me/videos?count=100&sort=-createdAt");
  body.replaceChildren(
    ...page.data.map((video) => {
      const remove = element("button", { type: "button", class: "danger linkish" }, "Delete");
      remove.addEventListener("click", async () => {
        if (!confirm(`Delete “${video.name}”? This cannot be undone.`)) return;
        try {
          await api(`/api/v1/videos/${video.uuid}`, { method: "DELETE" });
          await load();
        } catch (error) {
          showError(errorBox, error);
        }
      });
      return element(
        "tr",
        {},
        element("td", {}, element("a", { href: `/w/${video.shortUUID || video.uuid}` }, video.name)),
        element("td", {}, video.privacy?.label || ""),
        element("td", {}, video.state?.label || ""),
        element("td", {}, String(video.views ?? 0)),
        element("td", {}, element("a", { href: `/videos/update/${video.uuid}` }, "Edit"), " ", remove),
      );
    }),
  );
  if (!page.data.length) body.append(element("tr", {}, element("td", { colspan: "5" }, "No videos yet.")));
}

if (session()) load().catch((error) => showError(errorBox, error));
