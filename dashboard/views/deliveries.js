// Deliveries: the newest dead letters, each with Redeliver; recovery of every dead letter that died
// in a window (the administrator's); the webhook endpoints failing now. Refreshed every five
// seconds while shown: a redelivered letter leaves the list once it is out of the dead letters.

import { api, post, h, say, dateTime, act } from "../api.js";

export function deliveriesView(root) {
  const status = h("p", { role: "status", id: "deliveries-status" });
  const dead = h("tbody", { id: "dead-letters" });
  const failing = h("tbody", { id: "failing-endpoints" });
  const hourAgo = new Date(Date.now() - 3600_000);
  const local = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  const since = h("input", { type: "datetime-local", id: "recover-since", name: "since", value: local(hourAgo), required: true });
  const until = h("input", { type: "datetime-local", id: "recover-until", name: "until", value: local(new Date(Date.now() + 60_000)), required: true });
  root.append(
    h("h2", { id: "view-title", tabIndex: -1 }, "Deliveries"),
    status,
    h("h3", {}, "Dead letters"),
    h("table", {},
      h("caption", { className: "visually-hidden" }, "Webhook events given up after every retry, newest first"),
      h("thead", {}, h("tr", {}, ["Died", "Job", "Event", "Attempts", "Last error", ""].map((c) => h("th", { scope: "col" }, c)))),
      dead),
    h("form", { id: "recover-form", "aria-label": "Recover dead letters", onsubmit: recover },
      h("label", { for: "recover-since" }, "Died from"), since,
      h("label", { for: "recover-until" }, "until"), until,
      h("button", { type: "submit" }, "Recover all in this window")),
    h("h3", {}, "Endpoints failing now"),
    h("table", {},
      h("caption", { className: "visually-hidden" }, "Webhook endpoints whose latest attempt failed"),
      h("thead", {}, h("tr", {}, ["Endpoint", "Failing since", "Failures", "Last error"].map((c) => h("th", { scope: "col" }, c)))),
      failing),
    h("button", { type: "button", onclick: load }, "Refresh"));

  async function redeliver(letter, button) {
    const queued = await act(button, status, `/api/deliveries/${encodeURIComponent(letter.deliveryId)}/redeliver`, {
      done: `Event ${letter.sequence} of job ${letter.jobId} queued again`, refused: "Redeliver refused", once: true,
    });
    if (queued) {
      button.closest("tr").dataset.state = "queued";
      button.textContent = "Queued";
    }
  }

  async function recover(e) {
    e.preventDefault();
    try {
      const body = { since: new Date(since.value).toISOString(), until: new Date(until.value).toISOString() };
      const { requeued } = await post("/api/deliveries/recover", body);
      say(status, `${requeued} dead letter${requeued === 1 ? "" : "s"} queued again`);
      load();
    } catch (err) {
      say(status, err.status === 403 ? "Recovery needs the administrator's key." : `Recover refused: ${err.message}`);
    }
  }

  async function load() {
    try {
      const [letters, endpoints] = await Promise.all([api("/api/deliveries/dead?limit=100"), api("/api/deliveries/failing")]);
      dead.replaceChildren(...letters.deadLetters.map((letter) => {
        const button = h("button", { type: "button", "aria-label": `Redeliver event ${letter.sequence} of job ${letter.jobId}` }, "Redeliver");
        button.addEventListener("click", () => redeliver(letter, button));
        const event = letter.event || {};
        return h("tr", { "data-delivery": letter.deliveryId },
          h("td", {}, dateTime(letter.diedAt)),
          h("td", { className: "id" }, h("a", { href: `#job/${letter.jobId}` }, letter.jobId.slice(0, 8))),
          h("td", {}, `${letter.sequence}: ${event.status ?? ""} ${event.progress ?? ""}%`),
          h("td", {}, letter.attempts), h("td", {}, letter.error), h("td", {}, button));
      }));
      if (!letters.deadLetters.length) dead.append(h("tr", {}, h("td", { colSpan: 6 }, "No dead letters.")));
      failing.replaceChildren(...endpoints.endpoints.map((seen) =>
        h("tr", {}, h("td", { className: "id" }, seen.endpoint), h("td", {}, dateTime(seen.since)), h("td", {}, seen.failures), h("td", {}, seen.error))));
      if (!endpoints.endpoints.length) failing.append(h("tr", {}, h("td", { colSpan: 4 }, "Every endpoint answers.")));
    } catch (e) {
      say(status, `Cannot load the deliveries: ${e.message}`);
    }
  }

  load();
  const timer = setInterval(load, 5000);
  return () => clearInterval(timer);
}
