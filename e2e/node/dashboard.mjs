// Drives the dashboard in Debian's Chromium (playwright-core, never a downloaded browser), as a
// person would, mostly from the keyboard: signs in; submits a job from the page and waits for its
// row's progress bar to reach 100 as the live events arrive; opens the job's page and plays its
// video; submits a job whose receiver is down, finds its dead letter under Deliveries, brings the
// receiver up and redelivers it from the page; cancels a long job from its row; checks that every
// control has a label, that the text has enough contrast, and that Tab reaches every view.
// Usage: node dashboard.mjs <api base URL> <api key or ""> <screenshot dir>
// Exits 0 on success; on failure saves a screenshot and exits 1.
import http from "node:http";
import { chromium } from "playwright-core";

const [api, key, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
  ],
});
const page = await browser.newPage();
const failures = [];
page.on("pageerror", (e) => failures.push(`page error: ${e.message}`));
const checkErrors = () => { if (failures.length) throw new Error(failures.join("; ")); };
const accepted = async () => (await page.getByText(/^Job .* accepted$/).textContent()).split(" ")[1];

// A free port with nothing listening on it yet: the receiver that is down.
function freePort() {
  return new Promise((resolve) => {
    const probe = http.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// What the page shows must be usable without a mouse or sight: every form control labelled,
// every text at WCAG AA contrast against what is behind it.
async function checkAccessible(view) {
  const problems = await page.evaluate(() => {
    const found = [];
    for (const control of document.querySelectorAll("input, select, textarea, button, progress, meter, video")) {
      if (control.closest("[hidden]")) continue;
      const named = control.labels?.length || control.getAttribute("aria-label") || (control.tagName === "BUTTON" && control.textContent.trim());
      if (!named) found.push(`unlabelled ${control.tagName.toLowerCase()}#${control.id}`);
    }
    const rgb = (text) => text.match(/[\d.]+/g).slice(0, 4).map(Number);
    const luminance = ([r, g, b]) => {
      const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
      return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    };
    const background = (element) => {
      for (let e = element; e; e = e.parentElement) {
        const color = rgb(getComputedStyle(e).backgroundColor);
        if (color.length < 4 || color[3] > 0) return color;
      }
      return [255, 255, 255];
    };
    for (const element of document.querySelectorAll("h1, h2, h3, a, button, label, td, th, dt, dd, p, figcaption, span")) {
      if (!element.textContent.trim() || element.closest("[hidden]") || !element.checkVisibility()) continue;
      const [fg, bg] = [luminance(rgb(getComputedStyle(element).color)), luminance(background(element))];
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < 4.5) found.push(`contrast ${ratio.toFixed(2)} on ${element.tagName.toLowerCase()} "${element.textContent.trim().slice(0, 30)}"`);
    }
    return found;
  });
  if (problems.length) throw new Error(`${view}: ${problems.join("; ")}`);
}

// Tab from the top until `name` has the focus; Enter follows it.
async function tabTo(name) {
  await page.locator("body").focus();
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
    if (focused === name) {
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      if (outline === "none") throw new Error(`${name} has the focus but shows no outline`);
      return;
    }
  }
  throw new Error(`Tab never reached ${name}`);
}

try {
  await page.goto(`${api}/dashboard`);
  await page.getByLabel(/API key/).focus();
  await page.keyboard.type(key);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Running jobs" }).waitFor();
  await page.getByText("Live", { exact: true }).waitFor();
  await checkAccessible("jobs");

  // A job followed to 100% in its row, then on its page to its video.
  await page.getByLabel("Prompt").fill("a fox submitted from the dashboard");
  await page.getByRole("button", { name: "Submit" }).click();
  const job = await accepted();
  const row = page.locator(`tr[data-job="${job}"]`);
  await row.locator('xpath=self::*[@data-status="completed"]').waitFor({ timeout: 30000 });
  const value = await row.getByRole("progressbar").evaluate((bar) => bar.value);
  if (value !== 100) throw new Error(`the bar stopped at ${value}`);
  checkErrors();
  console.log(`ok: job ${job} reached 100% in the page`);
  await page.getByRole("link", { name: `Job ${job}` }).focus();
  await page.keyboard.press("Enter");
  await page.locator('#job-summary[data-status="completed"]').waitFor({ timeout: 30000 });
  const kinds = await page.locator("#timeline tr").evaluateAll((rows) => rows.map((r) => r.dataset.kind));
  for (const kind of ["event:", "webhook"]) {
    if (!kinds.includes(kind)) throw new Error(`the timeline has no ${kind} entry: ${kinds}`);
  }
  const video = page.getByLabel(`Video of job ${job}`);
  await video.evaluate((v) => { v.muted = true; return v.play(); });
  await page.waitForFunction((id) => document.querySelector(`video[aria-label="Video of job ${id}"]`).currentTime > 0.5, job, { timeout: 15000 });
  await checkAccessible("job");
  console.log(`ok: job ${job}'s page shows ${kinds.length} timeline entries and played its video`);

  // A receiver that is down: its job's events end in the dead letters; it comes back up, and a
  // redelivery from the Deliveries view reaches it.
  const port = await freePort();
  await page.getByRole("link", { name: "Jobs", exact: true }).click();
  await page.getByLabel("Prompt").fill("a fox whose receiver is down");
  await page.getByLabel("Webhook URL").fill(`http://127.0.0.1:${port}/hooks`);
  await page.getByRole("button", { name: "Submit" }).click();
  const orphan = await accepted();
  await tabTo("Deliveries");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.activeElement?.id === "view-title" && document.activeElement.textContent === "Deliveries", null, { timeout: 5000 })
    .catch(() => { throw new Error("the Deliveries view's heading did not take the focus"); });
  const letter = page.locator(`#dead-letters tr[data-delivery^="${orphan}:"]`).first();
  await letter.waitFor({ timeout: 30000 });
  await page.locator("#failing-endpoints", { hasText: `127.0.0.1:${port}` }).waitFor({ timeout: 10000 });
  await checkAccessible("deliveries");
  const received = [];
  const receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => { received.push({ body: JSON.parse(body), signed: Boolean(req.headers["x-signature"]) }); res.end("ok"); });
  });
  await new Promise((resolve) => receiver.listen(port, "127.0.0.1", resolve));
  const deliveryId = await letter.getAttribute("data-delivery");
  await letter.getByRole("button", { name: /^Redeliver/ }).click();
  await page.getByText(/queued again$/).waitFor();
  for (let i = 0; i < 100 && !received.some((r) => r.body.jobId === orphan); i++) await new Promise((r) => setTimeout(r, 100));
  receiver.close();
  const got = received.find((r) => r.body.jobId === orphan);
  if (!got) throw new Error(`the redelivered event never reached the receiver`);
  if (!got.signed) throw new Error("the redelivered event came unsigned");
  await page.locator(`#dead-letters tr[data-delivery="${deliveryId}"]`).waitFor({ state: "detached", timeout: 15000 });
  checkErrors();
  console.log(`ok: dead letter ${deliveryId} redelivered from the page (${got.body.status})`);

  // The other views, reached from the keyboard.
  for (const [name, ready] of [["Overview", "#stats div"], ["Providers", "#provider-rows tr"]]) {
    await tabTo(name);
    await page.keyboard.press("Enter");
    await page.locator(ready).first().waitFor({ timeout: 15000 });
    await checkAccessible(name);
  }
  console.log("ok: every view reached by keyboard, its controls labelled, its text at AA contrast");

  // A long job, cancelled from its row: its status becomes cancelled as its event arrives.
  await page.getByRole("link", { name: "Jobs", exact: true }).click();
  await page.getByLabel("Prompt").fill("sim:running_ms=60000 a long fox from the dashboard");
  await page.getByRole("button", { name: "Submit" }).click();
  const long = await accepted();
  const longRow = page.locator(`tr[data-job="${long}"]`);
  await longRow.locator('xpath=self::*[@data-status="processing"]').waitFor({ timeout: 30000 });
  await page.getByRole("button", { name: `Cancel job ${long}` }).click();
  await longRow.locator('xpath=self::*[@data-status="cancelled"]').waitFor({ timeout: 30000 });
  checkErrors();
  console.log(`ok: job ${long} cancelled from the page`);
} catch (e) {
  await page.screenshot({ path: `${shots}/dashboard-failure.png`, fullPage: true }).catch(() => {});
  console.error(`dashboard test failed: ${e.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
