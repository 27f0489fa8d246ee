// One job: its state, its video once there is one, and its timeline — every status change and
// progress event (each a poll or callback that changed something), the latest polls that found
// nothing new, every webhook attempt — with the buttons relayctl has: force a poll, cancel,
// redeliver an event. Redrawn as its events arrive.

import { api, h, FINAL, say, time, dateTime, authHeaders, act } from "../api.js";
import { onEvent } from "../live.js";

export function jobView(root, jobId) {
  const title = h("h2", { id: "view-title", tabIndex: -1 }, `Job ${jobId}`);
  const summary = h("dl", { className: "summary", id: "job-summary" });
  const bar = h("progress", { max: 100, value: 0, id: "job-progress", "aria-label": "Progress" });
  const status = h("p", { role: "status", id: "job-action-status" });
  const forcePoll = h("button", { type: "button", onclick: () => ask(forcePoll, "Force poll", `/api/sora/poll/${jobId}`) }, "Force poll");
  const cancel = h("button", { type: "button", onclick: () => ask(cancel, "Cancel", `/api/videos/${jobId}/cancel`) }, "Cancel");
  const media = h("div", { id: "job-video" });
  const timeline = h("tbody", { id: "timeline" });
  const quiet = h("p", { className: "hint" });
  root.append(
    h("p", {}, h("a", { href: "#jobs" }, "← Running jobs")),
    title, summary, bar,
    h("div", { className: "actions" }, forcePoll, cancel), status,
    media,
    h("h3", {}, "Timeline"),
    h("table", {},
      h("caption", { className: "visually-hidden" }, "Status changes, polls and webhook attempts, oldest first"),
      h("thead", {}, h("tr", {}, ["Time", "What", "Detail", ""].map((c) => h("th", { scope: "col" }, c)))),
      timeline),
    quiet);

  let shownVideo = null;
  let objectUrl = null;
  let timer = 0;

  function ask(button, name, path) {
    return act(button, status, path, { done: `${name}: asked`, refused: `${name} refused` });
  }

  async function redeliver(deliveryId, button) {
    const queued = await act(button, status, `/api/deliveries/${encodeURIComponent(deliveryId)}/redeliver`, {
      done: `Event ${deliveryId} queued again`, refused: "Redeliver refused", once: true,
    });
    if (queued) later();
  }

  function showSummary(view) {
    const fields = [
      ["Status", view.status], ["Progress", `${view.progress}%${view.progressSource === "estimated" ? " (estimated)" : ""}`],
      ["Provider", view.provider], ["Model", view.model], ["Provider's id", view.soraJobId],
      ["Created", dateTime(view.createdAt)], ["Updated", dateTime(view.updatedAt)],
      ["Error", view.error], ["Video", view.contentBytes ? `${Math.round(view.contentBytes / 1024)} KiB, kept` : null],
    ];
    summary.replaceChildren(...fields.filter(([, v]) => v).flatMap(([k, v]) => [h("dt", {}, k), h("dd", { "data-field": k }, v)]));
    summary.dataset.status = view.status;
    bar.value = view.progress;
    cancel.hidden = FINAL.has(view.status);
    forcePoll.hidden = FINAL.has(view.status);
  }

  // The video: its link when the browser may load it (a signed or presigned link), else the
  // content endpoint read with the key into a blob.
  async function showVideo(view) {
    if (view.status !== "completed" || shownVideo) return;
    shownVideo = h("video", { controls: true, preload: "metadata", width: 480, "aria-label": `Video of job ${jobId}` });
    media.replaceChildren(h("h3", {}, "Video"), shownVideo);
    const direct = view.videoUrl && /[?&](sig|X-Amz-Signature)=/.test(view.videoUrl);
    if (direct) {
      shownVideo.src = view.videoUrl;
      return;
    }
    try {
      const response = await fetch(`/api/videos/${jobId}/content`, { headers: authHeaders() });
      if (!response.ok) throw new Error(`${response.status}`);
      objectUrl = URL.createObjectURL(await response.blob());
      shownVideo.src = objectUrl;
    } catch (e) {
      media.append(h("p", {}, `The video cannot be shown: ${e.message}`));
    }
  }

  function showTimeline(deliveries, polls) {
    const entries = [];
    for (const d of deliveries) {
      const e = d.event || {};
      entries.push({ at: d.createdAt, what: e.status ? `event: ${e.status}` : "event", detail: `${e.progress ?? ""}${e.progress !== undefined ? "%" : ""} · delivery ${d.state}`, delivery: d });
      for (const a of d.attempts) {
        entries.push({ at: a.at, what: `webhook ${a.outcome}`, detail: [a.statusCode && `HTTP ${a.statusCode}`, `${a.durationMs} ms`, a.error].filter(Boolean).join(" · ") });
      }
    }
    // Polls that changed something are the events above; these found nothing new.
    for (const p of polls.polls) entries.push({ at: p.at, what: "poll", detail: "nothing new" });
    entries.sort((a, b) => a.at.localeCompare(b.at));
    timeline.replaceChildren(...entries.map((entry) => {
      let action = "";
      if (entry.delivery) {
        const button = h("button", { type: "button", "aria-label": `Redeliver event ${entry.delivery.sequence}` }, "Redeliver");
        button.addEventListener("click", () => redeliver(entry.delivery.deliveryId, button));
        action = button;
      }
      return h("tr", { "data-kind": entry.what.split(" ")[0] }, h("td", {}, time(entry.at)), h("td", {}, entry.what), h("td", {}, entry.detail), h("td", {}, action));
    }));
  }

  async function load() {
    try {
      const [view, deliveries, polls] = await Promise.all([
        api(`/api/videos/status/${jobId}`),
        api(`/api/videos/${jobId}/deliveries`),
        api(`/api/videos/${jobId}/polls`),
      ]);
      showSummary(view);
      showTimeline(deliveries.deliveries, polls);
      quiet.textContent = polls.total > polls.polls.length
        ? `${polls.total} polls found nothing new; the latest ${polls.polls.length} are shown.`
        : "";
      showVideo(view);
      // Polls that change nothing send no event: a running job's page looks again now and then.
      if (!FINAL.has(view.status)) timer = setTimeout(load, 5000);
    } catch (e) {
      say(status, e.status === 404 ? "No such job (or not yours)." : `Cannot load the job: ${e.message}`);
    }
  }

  // Many events in a burst make one reload.
  function later() {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  }

  const unsubscribe = onEvent((event) => {
    if (event.jobId === jobId) later();
  });
  load();
  return () => {
    unsubscribe();
    clearTimeout(timer);
    if (objectUrl) URL.revokeObjectURL(objectUrl);
  };
}
