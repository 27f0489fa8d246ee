// Jobs: the running jobs (`GET /api/jobs`), newest first, filtered by status and provider, each
// row moved by the live events; a form to submit a job; Cancel on each running row. Events are
// applied once per animation frame, however many arrive, so a thousand moving jobs stay smooth.

import { api, post, h, FINAL, say, act } from "../api.js";
import { onEvent } from "../live.js";

export function jobsView(root) {
  const rows = new Map(); // jobId -> { tr, job }
  const pending = new Map(); // jobId -> the latest update not yet drawn
  let frame = 0;
  const status = h("p", { role: "status", id: "submit-status" });
  const tbody = h("tbody", { id: "job-rows" });
  const statusFilter = h("select", { id: "filter-status", name: "status" },
    h("option", { value: "" }, "any"), h("option", { value: "queued" }, "queued"),
    h("option", { value: "processing" }, "processing"));
  const providerFilter = h("select", { id: "filter-provider", name: "provider" }, h("option", { value: "" }, "any"));
  const providerInput = h("select", { id: "provider", name: "provider" }, h("option", { value: "" }, "the default"));
  const count = h("p", { className: "hint", id: "job-count" });

  const submitForm = h("form", { id: "submit-form", "aria-label": "Submit a job", onsubmit: submit },
    h("label", { for: "script" }, "Prompt"),
    h("input", { id: "script", name: "script", required: true, maxLength: 10000, autocomplete: "off" }),
    h("label", { for: "provider" }, "Provider"), providerInput,
    h("label", { for: "webhook" }, "Webhook URL"),
    h("input", { id: "webhook", name: "webhook", type: "url", placeholder: "optional: this job's own receiver", autocomplete: "off" }),
    h("button", { type: "submit" }, "Submit"), status);
  const filters = h("form", { id: "filters", "aria-label": "Filter the jobs", onchange: reload, onsubmit: (e) => e.preventDefault() },
    h("label", { for: "filter-status" }, "Status"), statusFilter,
    h("label", { for: "filter-provider" }, "Provider"), providerFilter);
  root.append(
    h("h2", { id: "view-title", tabIndex: -1 }, "Running jobs"),
    submitForm, filters,
    h("table", {},
      h("caption", { className: "visually-hidden" }, "Jobs, newest first, updated live"),
      h("thead", {}, h("tr", {}, ["Job", "Provider", "Model", "Status", "Progress", "Actions"].map((c) => h("th", { scope: "col" }, c)))),
      tbody),
    count);

  api("/api/providers").then(({ providers }) => {
    for (const p of providers) {
      providerFilter.append(h("option", { value: p.name }, p.name));
      providerInput.append(h("option", { value: p.name }, p.name));
    }
  }, () => {});

  function matches(job) {
    if (statusFilter.value && job.status !== statusFilter.value && !FINAL.has(job.status)) return false;
    if (providerFilter.value && job.provider && job.provider !== providerFilter.value) return false;
    return true;
  }

  function draw(update) {
    let row = rows.get(update.jobId);
    if (!row) {
      if (!matches(update)) return;
      row = newRow(update.jobId);
      rows.set(update.jobId, row);
      tbody.prepend(row.tr);
    }
    const job = Object.assign(row.job, update);
    const { provider, model, state, bar, percent, cancel, tr } = row;
    if (job.provider && provider.textContent !== job.provider) provider.textContent = job.provider;
    if (job.model && model.textContent !== job.model) model.textContent = job.model;
    if (job.status && tr.dataset.status !== job.status) {
      state.textContent = job.status;
      tr.dataset.status = job.status;
      cancel.hidden = FINAL.has(job.status);
    }
    if (typeof job.progress === "number" && bar.value !== job.progress) {
      bar.value = job.progress;
      percent.textContent = ` ${job.progress}%`;
    }
  }

  function newRow(jobId) {
    const bar = h("progress", { max: 100, value: 0, "aria-label": `Progress of job ${jobId}` });
    const percent = h("span", {}, "");
    const cancel = h("button", { type: "button", "aria-label": `Cancel job ${jobId}`, onclick: () => cancelJob(jobId, cancel) }, "Cancel");
    const provider = h("td"), model = h("td"), state = h("td");
    const tr = h("tr", { "data-job": jobId },
      h("td", { className: "id" }, h("a", { href: `#job/${jobId}`, "aria-label": `Job ${jobId}` }, jobId.slice(0, 8))),
      provider, model, state, h("td", {}, bar, percent), h("td", {}, cancel));
    return { tr, job: { jobId }, provider, model, state, bar, percent, cancel };
  }

  function flush() {
    frame = 0;
    for (const update of pending.values()) draw(update);
    pending.clear();
    count.textContent = `${rows.size} job${rows.size === 1 ? "" : "s"} shown`;
  }

  function queue(update) {
    const waiting = pending.get(update.jobId);
    pending.set(update.jobId, waiting ? Object.assign(waiting, update) : { ...update });
    if (!frame) frame = requestAnimationFrame(flush);
  }

  function cancelJob(jobId, button) {
    return act(button, status, `/api/videos/${jobId}/cancel`, {
      done: `Job ${jobId} is being cancelled`, refused: "Cannot cancel", once: true,
    });
  }

  async function submit(e) {
    e.preventDefault();
    const form = e.target;
    const body = { walletAddress: "dashboard", script: form.script.value };
    if (form.provider.value) body.provider = form.provider.value;
    if (form.webhook.value.trim()) body.webhookUrl = form.webhook.value.trim();
    say(status, "Submitting…");
    try {
      const accepted = await post("/api/generate", body);
      queue({ jobId: accepted.jobId, status: accepted.status, progress: 0, provider: body.provider || "" });
      say(status, `Job ${accepted.jobId} accepted`);
      form.script.value = "";
    } catch (err) {
      say(status, `Refused: ${err.message}`);
    }
  }

  async function reload() {
    const query = new URLSearchParams({ limit: "1000" });
    if (statusFilter.value) query.set("status", statusFilter.value);
    if (providerFilter.value) query.set("provider", providerFilter.value);
    try {
      const { jobs, truncated } = await api(`/api/jobs?${query}`);
      rows.clear();
      pending.clear();
      tbody.replaceChildren();
      for (const job of jobs.reverse()) draw(job);
      count.textContent = `${rows.size} job${rows.size === 1 ? "" : "s"} shown${truncated ? " (more are running)" : ""}`;
    } catch (e) {
      say(status, `Cannot list the jobs: ${e.message}`);
    }
  }

  const unsubscribe = onEvent((event) => {
    const known = rows.has(event.jobId);
    queue(event);
    // A job first seen by its event: its provider and model come from its status view.
    if (!known && !FINAL.has(event.status)) api(`/api/videos/status/${event.jobId}`).then(queue, () => {});
  });
  reload();
  return () => {
    unsubscribe();
    if (frame) cancelAnimationFrame(frame);
  };
}
