// Launches Debian's Chromium through playwright-core for the browser tests, with the flags a
// loopback-only, offline machine needs (../shared/reference/p2p.md §6.2): no background
// networking, WebRTC allowed on loopback (with a granted media permission, see `newPage`), and
// autoplay without a gesture.
import { chromium } from "playwright-core";

export const EXECUTABLE = process.env.EDGETUBE_CHROMIUM || "/usr/bin/chromium";

export async function launch() {
  return chromium.launch({
    executablePath: EXECUTABLE,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--allow-loopback-in-peer-connection",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
}

/**
 * A page in a new context of `browser` for `origin`, with the media permission WebRTC needs to
 * use loopback candidates, and every console error and page error collected in `page.errors`.
 */
export async function newPage(browser, origin, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  await context.grantPermissions(["camera", "microphone"], { origin });
  const page = await context.newPage();
  page.errors = [];
  page.on("console", (message) => {
    if (message.type() === "error") page.errors.push(`console: ${message.text()} (${message.location()?.url || "?"})`);
  });
  page.on("pageerror", (error) => page.errors.push(`pageerror: ${error.message}`));
  return page;
}
