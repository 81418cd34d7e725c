// The web pages as a person uses them, in Debian's Chromium (run by tests/tests/pages.rs):
// sign up, log out and in, upload the 5 s fixture through the upload page (with a connection
// dropped mid-upload), wait for publication, play to the end, switch quality, comment and like,
// then a screenshot of every page at desktop and phone sizes. Prints one `RESULT {json}` line
// that the Rust test asserts on; throws (exit 1) only when a step cannot go on.
//
// usage: node pages.mjs ORIGIN SCREENSHOT_DIR FIXTURE
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { launch, newPage } from "./chromium.mjs";

const [origin, shots, fixture] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const result = { consoleErrors: [], screenshots: [] };
const user = { username: "alice", password: "alice-password-1", email: "alice@example.org" };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const browser = await launch();
try {
  const page = await newPage(browser, origin);
  // Failed loads the test causes on purpose are not page errors.
  const expected = (text) => text.includes("net::ERR_CONNECTION_RESET") || text.includes("ERR_FAILED");

  // Sign up (the instance runs with SIGNUP_OPEN), which logs in.
  await page.goto(`${origin}/signup`);
  await page.fill("input[name=username]", user.username);
  await page.fill("input[name=email]", user.email);
  await page.fill("input[name=password]", user.password);
  await page.check("input[name=terms]");
  await Promise.all([page.waitForURL(`${origin}/`), page.click("#signup-form button[type=submit]")]);
  result.signedUpAs = await page.textContent("#session-user");

  // Log out, then in through the login page.
  // Logging out revokes the token, then reloads the home page: wait for that navigation.
  await Promise.all([page.waitForNavigation(), page.click("#logout")]);
  result.loggedOutShowsLogin = await page.isVisible("a[href='/login']");
  await page.goto(`${origin}/login`);
  await page.fill("input[name=username]", user.username);
  await page.fill("input[name=password]", user.password);
  await Promise.all([page.waitForURL(`${origin}/`), page.click("#login-form button[type=submit]")]);
  result.loggedInAs = await page.textContent("#session-user");

  // Upload, with the connection of the second chunk dropped once.
  let puts = 0;
  let dropped = false;
  await page.route("**/api/v1/videos/upload-resumable?upload_id=*", async (route) => {
    if (route.request().method() === "PUT" && route.request().headers()["content-range"]?.match(/^bytes \d+-/)) {
      puts += 1;
      if (puts === 2 && !dropped) {
        dropped = true;
        return route.abort("connectionreset");
      }
    }
    return route.continue();
  });
  await page.goto(`${origin}/videos/upload`);
  await page.waitForSelector("select[name=channelId] option", { state: "attached" });
  await page.setInputFiles("input[name=file]", fixture);
  await page.fill("input[name=name]", "Big Buck Bunny from the browser");
  await page.fill("textarea[name=description]", "Uploaded through the upload page.\n\nSecond paragraph.");
  await page.evaluate(() => {
    window.progressSeen = [];
    new MutationObserver(() => window.progressSeen.push(document.getElementById("upload-progress").value)).observe(
      document.getElementById("upload-text"),
      { childList: true, characterData: true, subtree: true },
    );
  });
  await page.click("#upload-form button[type=submit]");
  await page.waitForSelector("#upload-done:not([hidden])", { timeout: 60_000 });
  result.progress = await page.evaluate(() => window.progressSeen);
  result.uploadPuts = puts;
  result.dropped = dropped;
  result.uploadText = await page.textContent("#upload-text");
  const watchHref = await page.getAttribute("#upload-link", "href");
  result.watchHref = watchHref;
  await page.unroute("**/api/v1/videos/upload-resumable?upload_id=*");
  await page.screenshot({ path: `${shots}/upload-done-desktop.png`, fullPage: true });
  result.screenshots.push("upload-done-desktop.png");

  // Publication, read from the API as a client would.
  const uuid = (await page.getAttribute("#upload-edit", "href")).split("/").pop();
  result.uuid = uuid;
  await waitFor(
    "publication",
    async () => {
      const video = await (await fetch(`${origin}/api/v1/videos/${uuid}`)).json();
      // Published as soon as one rendition plays; the quality switch needs the whole ladder
      // (720p, 480p, 360p and 240p for this fixture).
      return video.state?.id === 1 && video.streamingPlaylists?.[0]?.files?.length >= 4;
    },
    240_000,
  );

  // The watch page: play to the end, switch quality.
  await page.goto(`${origin}${watchHref}`);
  await page.waitForFunction(() => window.edgetubePlayer?.hls?.levels?.length > 0, null, { timeout: 30_000 });
  result.levels = await page.evaluate(() => window.edgetubePlayer.hls.levels.map((l) => l.height));
  await page.evaluate(() => {
    const video = document.getElementById("video");
    video.muted = true;
    return video.play();
  });
  await page.waitForFunction(() => document.getElementById("video").currentTime > 1, null, { timeout: 30_000 });
  result.qualityBefore = await page.evaluate(() => window.edgetubePlayer.hls.currentLevel);
  const target = await page.evaluate(() => {
    const hls = window.edgetubePlayer.hls;
    const next = hls.currentLevel === 0 ? hls.levels.length - 1 : 0;
    window.levelSwitched = null;
    hls.on("hlsLevelSwitched", (_, data) => (window.levelSwitched = data.level));
    hls.currentLevel = next;
    return next;
  });
  result.qualityTarget = target;
  result.qualitySwitchedTo = await page
    .waitForFunction(() => window.levelSwitched, null, { timeout: 20_000 })
    .then((h) => h.jsonValue())
    .catch(() => null);
  await page.waitForFunction(
    () => {
      const v = document.getElementById("video");
      return v.duration > 0 && (v.ended || v.currentTime >= v.duration - 0.5);
    },
    null,
    { timeout: 60_000 },
  );
  result.playedTo = await page.evaluate(() => document.getElementById("video").currentTime);
  result.duration = await page.evaluate(() => document.getElementById("video").duration);

  // A comment and a like.
  await page.fill("#comment-text", "A comment from the browser");
  await page.click("#comment-form button[type=submit]");
  await page.waitForSelector("#threads li.thread .text:text('A comment from the browser')", { timeout: 10_000 });
  await page.click("button.rate[data-rating=like]");
  await page.waitForSelector("button.rate[data-rating=like][aria-pressed=true]", { timeout: 10_000 });
  result.likesShown = await page.textContent("#likes");
  const details = await (await fetch(`${origin}/api/v1/videos/${uuid}`)).json();
  result.apiLikes = details.likes;
  const threads = await (await fetch(`${origin}/api/v1/videos/${uuid}/comment-threads`)).json();
  result.apiComments = threads.data.map((c) => c.text);
  await page.reload();
  result.commentAfterReload = await page.isVisible("#threads .text:text('A comment from the browser')");

  // The embed inside an iframe of another origin: a page served by a small loopback server of this
  // script, opened as http://localhost:<port> (not 127.0.0.1, so another origin), with PeerTube's
  // autoplay and muted parameters.
  const embedder = createServer((_, response) => {
    response.writeHead(200, { "Content-Type": "text/html" });
    response.end(`<!doctype html><title>Embedder</title><iframe id="embed" width="640" height="360" allow="autoplay; fullscreen" src="${origin}/videos/embed/${uuid}?autoplay=1&muted=1"></iframe>`);
  });
  await new Promise((resolve) => embedder.listen(0, "127.0.0.1", resolve));
  await page.goto(`http://localhost:${embedder.address().port}/`);
  const frame = await waitFor("the embed's frame", async () => page.frames().find((f) => f.url().includes("/videos/embed/")), 10_000);
  await frame.waitForFunction(() => document.getElementById("video")?.currentTime > 1, null, { timeout: 30_000 });
  result.embedPlayedInForeignFrame = await frame.evaluate(() => document.getElementById("video").currentTime);
  await page.screenshot({ path: `${shots}/embed-in-iframe-desktop.png` });
  embedder.close();
  result.screenshots.push("embed-in-iframe-desktop.png");

  // Every page, desktop then phone.
  const channel = `${user.username}_channel`;
  const pages = {
    home: "/",
    watch: watchHref,
    channel: `/c/${channel}`,
    account: `/a/${user.username}`,
    search: "/search?search=bunny",
    login: "/login",
    signup: "/signup",
    upload: "/videos/upload",
    "my-videos": "/my-library/videos",
    edit: `/videos/update/${uuid}`,
    embed: `/videos/embed/${uuid}`,
  };
  result.pageStatus = {};
  result.searchFound = null;
  for (const [size, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]]) {
    await page.setViewportSize(viewport);
    for (const [name, path] of Object.entries(pages)) {
      const response = await page.goto(`${origin}${path}`);
      result.pageStatus[name] = response.status();
      await page.waitForLoadState("networkidle").catch(() => {});
      if (name === "search") result.searchFound = await page.isVisible(`.cards a.title:text('Big Buck Bunny from the browser')`);
      if (name === "my-videos") result.myVideosListed = await page.isVisible("#my-videos a:text('Big Buck Bunny from the browser')").catch(() => false);
      const file = `${name}-${size}.png`;
      await page.screenshot({ path: `${shots}/${file}`, fullPage: true });
      result.screenshots.push(file);
    }
  }
  // Keyboard: the first Tab reaches the skip link, the next the brand link.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${origin}/`);
  await page.keyboard.press("Tab");
  result.firstTab = await page.evaluate(() => document.activeElement?.textContent?.trim());

  // Edit, then delete (confirming the browser's dialog), from the edit page.
  page.on("dialog", (dialog) => dialog.accept());
  await page.goto(`${origin}/videos/update/${uuid}`);
  await page.waitForFunction(() => document.querySelector("#edit-form input[name=name]").value.length > 0);
  await page.fill("#edit-form input[name=name]", "Renamed in the browser");
  await page.click("#edit-form button[type=submit]");
  await page.waitForSelector("#edit-done:not([hidden])", { timeout: 10_000 });
  result.apiNameAfterEdit = (await (await fetch(`${origin}/api/v1/videos/${uuid}`)).json()).name;
  await Promise.all([page.waitForURL(`${origin}/my-library/videos`), page.click("#delete-video")]);
  result.apiStatusAfterDelete = (await fetch(`${origin}/api/v1/videos/${uuid}`)).status;
  result.consoleErrors = page.errors.filter((e) => !expected(e));
} finally {
  await browser.close();
}
console.log(`RESULT ${JSON.stringify(result)}`);
