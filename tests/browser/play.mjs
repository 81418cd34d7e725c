// Opens a watch page in Chromium and plays the video to its end (muted); prints one
// `RESULT {json}` line: how far it played, the playlist it played from, console errors.
// Used by the federation suite for a remote video on the watch page of another instance.
//
// usage: node play.mjs WATCH_URL SCREENSHOT_FILE
import { launch, newPage } from "./chromium.mjs";

const [url, screenshot] = process.argv.slice(2);
const result = {};
const browser = await launch();
try {
  const page = await newPage(browser, new URL(url).origin);
  const response = await page.goto(url);
  result.status = response.status();
  await page.waitForFunction(() => window.edgetubePlayer?.video, null, { timeout: 30_000 });
  result.playlistUrl = await page.evaluate(() => window.edgetubePlayer.config.playlistUrl);
  await page.evaluate(() => {
    const video = window.edgetubePlayer.video;
    video.muted = true;
    return video.play();
  });
  await page.waitForFunction(
    () => {
      const v = window.edgetubePlayer.video;
      return v.duration > 0 && (v.ended || v.currentTime >= v.duration - 0.5);
    },
    null,
    { timeout: 90_000 },
  );
  result.playedTo = await page.evaluate(() => window.edgetubePlayer.video.currentTime);
  result.duration = await page.evaluate(() => window.edgetubePlayer.video.duration);
  result.title = await page.textContent("h1");
  await page.screenshot({ path: screenshot, fullPage: true });
  result.consoleErrors = page.errors;
} finally {
  await browser.close();
}
console.log(`RESULT ${JSON.stringify(result)}`);
