// A thousand running jobs in the Jobs view while their events stream: measures the page's frame
// times (requestAnimationFrame deltas) over a window and how many row updates it drew, and prints
// them as JSON, with what makes frames long whatever the machine: rows taken out of or put into the
// table (a page that rebuilds it) and Chromium's count of layouts (a page that reads layout after
// each write lays out many times a frame). Usage: node dashboard-load.mjs <api base URL> <api key> <screenshot dir> [window s]
// Exits 1 (with a screenshot) when the page cannot show the jobs at all; the test judges the figures.
import { chromium } from "playwright-core";

const [api, key, shots, windowSecs = "8"] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const errors = [];
page.on("pageerror", (e) => errors.push(e.message));
try {
  await page.goto(`${api}/dashboard`);
  await page.getByLabel(/API key/).fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Live", { exact: true }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll("#job-rows tr").length >= 1000, null, { timeout: 60000 });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  // Frames counted across the whole span the counters cover, CDP round trips included.
  const framesFrom = await page.evaluate(() => {
    window.drawn = 0;
    const count = () => { window.drawn += 1; requestAnimationFrame(count); };
    requestAnimationFrame(count);
    return window.drawn;
  });
  const before = await counters(cdp);
  const figures = await page.evaluate((ms) => new Promise((resolve) => {
    const frames = [];
    const table = document.getElementById("job-rows");
    let updates = 0, rowsReplaced = 0;
    const observer = new MutationObserver((records) => {
      updates += records.length;
      for (const r of records) if (r.target === table) rowsReplaced += r.addedNodes.length + r.removedNodes.length;
    });
    observer.observe(document.getElementById("job-rows"), { subtree: true, childList: true, characterData: true, attributes: true });
    const started = performance.now();
    let last = started;
    const tick = (now) => {
      frames.push(now - last);
      last = now;
      if (now - started < ms) requestAnimationFrame(tick);
      else {
        observer.disconnect();
        frames.sort((a, b) => a - b);
        const at = (q) => frames[Math.min(frames.length - 1, Math.floor(q * frames.length))];
        resolve({
          rows: document.querySelectorAll("#job-rows tr").length,
          updates, rowsReplaced, frames: frames.length,
          p50Ms: +at(0.5).toFixed(1), p95Ms: +at(0.95).toFixed(1), p99Ms: +at(0.99).toFixed(1), maxMs: +frames.at(-1).toFixed(1),
          over50Ms: frames.filter((f) => f > 50).length,
        });
      }
    };
    requestAnimationFrame((now) => { last = now; requestAnimationFrame(tick); });
  }), Number(windowSecs) * 1000);
  const after = await counters(cdp);
  figures.framesCounted = (await page.evaluate(() => window.drawn)) - framesFrom;
  figures.layouts = after.LayoutCount - before.LayoutCount;
  figures.styleRecalcs = after.RecalcStyleCount - before.RecalcStyleCount;
  if (errors.length) throw new Error(errors.join("; "));
  console.log(JSON.stringify(figures));
} catch (e) {
  await page.screenshot({ path: `${shots}/dashboard-load-failure.png` }).catch(() => {});
  console.error(`dashboard load failed: ${e.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}

// Chromium's own counters of layouts and style recalculations (DevTools' Performance domain).
async function counters(cdp) {
  const { metrics } = await cdp.send("Performance.getMetrics");
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}
