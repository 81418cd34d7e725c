// The home page: a logged-in viewer also sees the newest videos of their subscriptions.
import { api, session } from "/assets/app.js";
import { card } from "/assets/cards.js";

if (session()) {
  api("/api/v1/users/me/subscriptions/videos?count=12&sort=-publishedAt")
    .then((page) => {
      if (!page.data?.length) return;
      document.getElementById("subscription-cards").append(...page.data.map(card));
      document.getElementById("subscriptions").hidden = false;
    })
    .catch(() => {});
}
