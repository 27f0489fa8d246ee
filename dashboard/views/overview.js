// Overview: the stats (`GET /api/sora/stats`) as numbers, and the last hour minute by minute
// (`GET /api/stats/minutes`, the rolling series the relay keeps in Redis). Refreshed every ten
// seconds while shown.

import { api, h, say, time } from "../api.js";
import { barChart } from "../charts.js";

const NUMBERS = [
  ["total_jobs", "Jobs"], ["queued_jobs", "Queued"], ["processing_jobs", "Processing"],
  ["completed_jobs", "Completed"], ["failed_jobs", "Failed"], ["timeout_jobs", "Timed out"],
  ["cancelled_jobs", "Cancelled"], ["webhook_dead_letters", "Dead letters"], ["submissions_unknown", "Submissions unknown"],
];
const CHARTS = [
  [["queued"], "Jobs submitted"], [["completed"], "Jobs completed"],
  [["failed", "timeout", "cancelled"], "Jobs failed, timed out or cancelled"], [["dead_letters"], "Webhooks given up"],
  [["delivered"], "Webhooks delivered"], [["delivery_failures"], "Webhook attempts failed"],
];

export function overviewView(root) {
  const status = h("p", { role: "status" });
  const numbers = h("dl", { className: "numbers", id: "stats" });
  const charts = h("div", { className: "charts", id: "charts" });
  root.append(h("h2", { id: "view-title", tabIndex: -1 }, "Overview"), numbers, h("h3", {}, "The last hour, per minute"), charts, status);

  async function load() {
    try {
      const [stats, { minutes }] = await Promise.all([api("/api/sora/stats"), api("/api/stats/minutes?minutes=60")]);
      numbers.replaceChildren(...NUMBERS.filter(([k]) => k in stats).map(([key, label]) =>
        h("div", { "data-stat": key }, h("dt", {}, label), h("dd", {}, stats[key]))));
      charts.replaceChildren(...CHARTS.map(([fields, title]) => {
        const values = minutes.map((m) => fields.reduce((sum, f) => sum + (m.counts[f] || 0), 0));
        const total = values.reduce((a, b) => a + b, 0);
        const peak = Math.max(0, ...values);
        return h("figure", {}, h("figcaption", {}, `${title}: ${total} in the hour, at most ${peak} a minute`), barChart(title, values));
      }));
      say(status, `Updated ${time(new Date().toISOString())}`);
    } catch (e) {
      say(status, `Cannot load the stats: ${e.message}`);
    }
  }

  load();
  const timer = setInterval(load, 10_000);
  return () => clearInterval(timer);
}
