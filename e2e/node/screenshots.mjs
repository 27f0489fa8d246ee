// Takes the README's screenshots of each dashboard view against a running relay (scripts/run):
// node screenshots.mjs <api base URL> <api key or ""> <output dir>. Submits a few jobs first (one
// to a receiver that is down, so that Deliveries has a dead letter), waits for one to finish,
// then shows Overview, Jobs, a job's page, Deliveries and Providers in Debian's Chromium.
import { chromium } from "playwright-core";

const [api, key, out] = process.argv.slice(2);
const headers = { "Content-Type": "application/json", ...(key ? { Authorization: `Bearer ${key}` } : {}) };
const submit = async (body) => {
  const response = await fetch(`${api}/api/generate`, { method: "POST", headers, body: JSON.stringify({ walletAddress: "screenshots", ...body }) });
  if (!response.ok) throw new Error(`submit: ${response.status} ${await response.text()}`);
  return (await response.json()).jobId;
};
const done = await submit({ script: "sim:running_ms=3000 a lighthouse at dawn", provider: "fal" });
await submit({ script: "sim:running_ms=3000 a receiver that is down", webhookUrl: "http://127.0.0.1:9/hooks" });
for (const provider of ["openai", "replicate", "runway", "luma"]) await submit({ script: `sim:running_ms=120000 a slow ${provider} fox`, provider });

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--no-first-run"] });
const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
await page.goto(`${api}/dashboard`);
await page.getByLabel(/API key/).fill(key);
await page.getByRole("button", { name: "Sign in" }).click();
await page.getByText("Live", { exact: true }).waitFor();
await page.goto(`${api}/dashboard#job/${done}`);
await page.locator('#job-summary[data-status="completed"]').waitFor({ timeout: 60000 });
await page.locator("video").evaluate((v) => new Promise((resolve) => (v.readyState >= 2 ? resolve() : v.addEventListener("loadeddata", resolve))));
await page.screenshot({ path: `${out}/job.png`, fullPage: true });
// Each view, once what it loads is drawn.
const drawn = { overview: "#stats div", jobs: "#job-rows tr", deliveries: "#dead-letters tr[data-delivery]", providers: "#provider-rows tr" };
for (const [view, selector] of Object.entries(drawn)) {
  await page.goto(`${api}/dashboard#${view}`);
  await page.locator(selector).first().waitFor({ timeout: 60000 });
  await page.screenshot({ path: `${out}/${view}.png`, fullPage: true });
}
await browser.close();
console.log(`screenshots in ${out}`);
