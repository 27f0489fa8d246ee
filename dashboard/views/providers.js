// Providers: per provider, the requests of the last 60 seconds against its budget, the jobs in flight
// against its cap, its pauses; per model, the circuit breaker and the p50/p95 run time. Refreshed
// every five seconds while shown.

import { api, h, say, time, seconds } from "../api.js";

export function providersView(root) {
  const status = h("p", { role: "status" });
  const tbody = h("tbody", { id: "provider-rows" });
  root.append(
    h("h2", { id: "view-title", tabIndex: -1 }, "Providers"),
    h("table", {},
      h("caption", { className: "visually-hidden" }, "Each provider and model: load, limits, circuit and run times"),
      h("thead", {}, h("tr", {}, ["Provider", "Requests / min", "In flight", "Paused", "Model", "Circuit", "p50", "p95", "Runs"].map((c) => h("th", { scope: "col" }, c)))),
      tbody),
    status);

  function meter(value, max, label) {
    if (!max) return h("span", {}, `${value} (no limit)`);
    return h("span", {}, h("meter", { min: 0, max, value, high: max * 0.8, "aria-label": label }), ` ${value} / ${max}`);
  }

  async function load() {
    try {
      const { providers } = await api("/api/providers");
      tbody.replaceChildren(...providers.flatMap((p) => p.models.map((m, i) => {
        const paused = [p.pausedUntil && `all until ${time(p.pausedUntil)}`, p.quotaPausedUntil && `submissions until ${time(p.quotaPausedUntil)}`].filter(Boolean).join("; ") || "no";
        const first = i === 0 ? [
          h("th", { scope: "row", rowSpan: p.models.length }, p.name, p.default ? " (default)" : ""),
          h("td", { rowSpan: p.models.length }, meter(p.requestsPerMinute, p.maxRpm, `Requests to ${p.name} in the last 60 seconds`)),
          // Jobs in flight are counted only under a cap (MAX_IN_FLIGHT).
          h("td", { rowSpan: p.models.length }, p.maxInFlight ? meter(p.inFlight, p.maxInFlight, `Jobs in flight at ${p.name}`) : "no cap", p.waiting ? ` (${p.waiting} waiting)` : ""),
          h("td", { rowSpan: p.models.length }, paused),
        ] : [];
        return h("tr", { "data-provider": p.name, "data-model": m.model },
          ...first, h("td", {}, m.model),
          h("td", { "data-circuit": m.circuit }, m.circuit, m.openUntil ? ` until ${time(m.openUntil)}` : ""),
          h("td", {}, seconds(m.p50Ms)), h("td", {}, seconds(m.p95Ms)), h("td", {}, m.runs));
      })));
      say(status, `Updated ${time(new Date().toISOString())}`);
    } catch (e) {
      say(status, `Cannot load the providers: ${e.message}`);
    }
  }

  load();
  const timer = setInterval(load, 5000);
  return () => clearInterval(timer);
}
