// The login form: PeerTube's OAuth password grant, then back where the viewer came from.
import { login, showError } from "/assets/app.js";

const form = document.getElementById("login-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    await login(form.username.value.trim(), form.password.value);
    const next = new URLSearchParams(location.search).get("next");
    location.href = next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
  } catch (error) {
    showError(document.getElementById("login-error"), error);
  } finally {
    button.disabled = false;
  }
});
