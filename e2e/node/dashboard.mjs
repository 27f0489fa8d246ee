// Drives the dashboard in Debian's Chromium (playwright-core, never a downloaded browser):
// signs in, submits a job from the page, and waits for its row's progress bar to reach 100 as
// the live events arrive; then cancels a long job from its row. Usage: node dashboard.mjs <api base URL> <api key or ""> <screenshot dir>
// Exits 0 on success; on failure saves a screenshot and exits 1.
import { chromium } from "playwright-core";

const [api, key, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const page = await browser.newPage();
const failures = [];
page.on("pageerror", (e) => failures.push(`page error: ${e.message}`));
try {
  await page.goto(`${api}/dashboard`);
  await page.getByLabel(/API key/).fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Running jobs" }).waitFor();
  await page.getByText("Live", { exact: true }).waitFor();
  await page.getByLabel("Prompt").fill("a fox submitted from the dashboard");
  await page.getByRole("button", { name: "Submit" }).click();
  const accepted = await page.getByText(/^Job .* accepted$/).textContent();
  const job = accepted.split(" ")[1];
  const row = page.locator(`tr[data-job="${job}"]`);
  await row.locator('xpath=self::*[@data-status="completed"]').waitFor({ timeout: 30000 });
  const value = await row.getByRole("progressbar").evaluate((bar) => bar.value);
  if (value !== 100) throw new Error(`the bar stopped at ${value}`);
  if (failures.length) throw new Error(failures.join("; "));
  console.log(`ok: job ${job} reached 100% in the page`);
  // A long job, cancelled from its row: its status becomes cancelled as its event arrives.
  await page.getByLabel("Prompt").fill("sim:running_ms=60000 a long fox from the dashboard");
  await page.getByRole("button", { name: "Submit" }).click();
  const long = (await page.getByText(/^Job .* accepted$/).textContent()).split(" ")[1];
  const longRow = page.locator(`tr[data-job="${long}"]`);
  await longRow.locator('xpath=self::*[@data-status="processing"]').waitFor({ timeout: 30000 });
  await page.getByRole("button", { name: `Cancel job ${long}` }).click();
  await longRow.locator('xpath=self::*[@data-status="cancelled"]').waitFor({ timeout: 30000 });
  console.log(`ok: job ${long} cancelled from the page`);
} catch (e) {
  await page.screenshot({ path: `${shots}/dashboard-failure.png`, fullPage: true }).catch(() => {});
  console.error(`dashboard test failed: ${e.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
