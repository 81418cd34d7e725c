// Sign-up, as the instance's policy allows: a direct registration (then logged in), or a request
// a moderator approves.
import { api, login, showError } from "/assets/app.js";

const form = document.getElementById("signup-form");
form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("signup-error");
  error.hidden = true;
  const button = form.querySelector("button");
  button.disabled = true;
  const fields = {
    username: form.username.value.trim(),
    password: form.password.value,
    email: form.email.value.trim(),
  };
  if (form.displayName.value.trim()) fields.displayName = form.displayName.value.trim();
  try {
    if (form.dataset.approval === "true") {
      fields.registrationReason = form.registrationReason.value.trim();
      await api("/api/v1/users/registrations/request", { method: "POST", json: fields });
      const done = document.getElementById("signup-done");
      done.textContent = "Your request was sent. You can log in once a moderator accepts it.";
      done.hidden = false;
      form.querySelectorAll("input, textarea, button").forEach((e) => (e.disabled = true));
      return;
    }
    await api("/api/v1/users/register", { method: "POST", json: fields });
    await login(fields.username, fields.password);
    location.href = "/";
  } catch (e) {
    showError(error, e);
  } finally {
    button.disabled = false;
  }
});
