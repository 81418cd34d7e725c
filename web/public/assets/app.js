// Shared by every page: the viewer's session (PeerTube-style OAuth tokens kept in localStorage,
// as PeerTube's own client keeps them), an API helper that refreshes an expired token once, and
// the header's logged-in/logged-out state. Pages import what they need from here.

const KEY = "edgetube-session";

export function session() {
  try {
    return JSON.parse(localStorage.getItem(KEY));
  } catch {
    return null;
  }
}

function save(value) {
  if (value) localStorage.setItem(KEY, JSON.stringify(value));
  else localStorage.removeItem(KEY);
}

/** An API refusal, carrying PeerTube's problem document (`detail`, `status`). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.error || problem?.message || `The server answered ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function readAnswer(response) {
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { detail: text.slice(0, 200) };
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

async function tokenRequest(fields) {
  const client = await readAnswer(await fetch("/api/v1/oauth-clients/local"));
  const form = new URLSearchParams({ client_id: client.client_id, client_secret: client.client_secret, ...fields });
  const token = await readAnswer(await fetch("/api/v1/users/token", { method: "POST", body: form }));
  return {
    accessToken: token.access_token,
    refreshToken: token.refresh_token,
    expiresAt: Date.now() + token.expires_in * 1000,
  };
}

/** Logs in with PeerTube's password grant and remembers who the viewer is. */
export async function login(username, password) {
  const tokens = await tokenRequest({ grant_type: "password", username, password });
  save(tokens);
  const me = await api("/api/v1/users/me");
  save({ ...tokens, username: me.username, account: me.account?.name, userId: me.id });
  return me;
}

export async function logout() {
  const current = session();
  if (current) {
    try {
      await api("/api/v1/users/revoke-token", { method: "POST" });
    } catch {
      // The token may already be gone; forgetting it locally is what matters.
    }
  }
  save(null);
}

async function refresh(current) {
  const tokens = await tokenRequest({ grant_type: "refresh_token", refresh_token: current.refreshToken });
  const next = { ...current, ...tokens };
  save(next);
  return next;
}

/**
 * `fetch` of an API path with the viewer's token (when logged in), parsed as JSON; throws an
 * ApiError with the server's message on a refusal. An expired token is refreshed once.
 */
export async function api(path, options = {}) {
  let current = session();
  const send = (s) => {
    const headers = new Headers(options.headers || {});
    if (s?.accessToken) headers.set("Authorization", `Bearer ${s.accessToken}`);
    if (options.json !== undefined) {
      headers.set("Content-Type", "application/json");
      return fetch(path, { ...options, headers, body: JSON.stringify(options.json) });
    }
    return fetch(path, { ...options, headers });
  };
  if (current && current.expiresAt && current.expiresAt < Date.now() + 10_000) {
    current = await refresh(current).catch(() => (save(null), null));
  }
  let response = await send(current);
  if (response.status === 401 && current?.refreshToken) {
    current = await refresh(current).catch(() => (save(null), null));
    if (current) response = await send(current);
  }
  return readAnswer(response);
}

/** Shows `error` in `element` (a `role=alert` paragraph). */
export function showError(element, error) {
  element.textContent = error instanceof Error ? error.message : String(error);
  element.hidden = false;
}

/** Shows the `data-when="in"` elements to a logged-in viewer and `data-when="out"` to others. */
export function applySession(root = document) {
  const current = session();
  for (const element of root.querySelectorAll("[data-when]")) {
    element.hidden = (element.dataset.when === "in") !== Boolean(current);
  }
  const who = document.getElementById("session-user");
  if (who && current) who.textContent = current.username || "";
}

/** Subscribe buttons (`.subscribe[data-handle]`): shows the state and toggles it. */
export async function wireSubscribe(root = document) {
  if (!session()) return;
  for (const button of root.querySelectorAll("button.subscribe[data-handle]")) {
    const handle = button.dataset.handle;
    const show = (on) => {
      button.textContent = on ? "Subscribed" : "Subscribe";
      button.setAttribute("aria-pressed", String(on));
    };
    try {
      const exists = await api(`/api/v1/users/me/subscriptions/exist?uris=${encodeURIComponent(handle)}`);
      show(Boolean(exists[handle]));
    } catch {
      show(false);
    }
    button.addEventListener("click", async () => {
      const on = button.getAttribute("aria-pressed") === "true";
      button.disabled = true;
      try {
        if (on) await api(`/api/v1/users/me/subscriptions/${encodeURIComponent(handle)}`, { method: "DELETE" });
        else await api("/api/v1/users/me/subscriptions", { method: "POST", json: { uri: handle } });
        show(!on);
      } catch (error) {
        button.title = error.message;
      } finally {
        button.disabled = false;
      }
    });
  }
}

applySession();
document.getElementById("logout")?.addEventListener("click", async () => {
  await logout();
  location.href = "/";
});
