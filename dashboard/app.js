// The dashboard: plain ES modules, no build step (these files are what the API serves, embedded
// in its binary). Every action goes through the same REST endpoints as relayctl, with the key
// the person signed in with, kept in this tab's session storage only.

const KEY = "sora-relay-key";
const $ = (id) => document.getElementById(id);
const rows = new Map(); // jobId -> <tr>
let stream = null; // the live event stream's AbortController

function key() {
  return sessionStorage.getItem(KEY);
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (key()) headers.Authorization = `Bearer ${key()}`;
  if (options.body) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { ...options, headers });
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const message = body?.error?.message || `${response.status} ${response.statusText}`;
    throw Object.assign(new Error(message), { status: response.status });
  }
  return body;
}

function show(signedIn) {
  $("sign-in").hidden = signedIn;
  $("jobs").hidden = !signedIn;
  $("nav").hidden = !signedIn;
}

async function signIn(candidate) {
  sessionStorage.setItem(KEY, candidate);
  try {
    await api("/api/sora/stats");
  } catch (e) {
    sessionStorage.removeItem(KEY);
    throw e;
  }
  show(true);
  await loadJobs();
  follow();
}

function signOut() {
  stream?.abort();
  sessionStorage.removeItem(KEY);
  rows.clear();
  $("job-rows").replaceChildren();
  show(false);
  $("key").focus();
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  if (className) td.className = className;
  return td;
}

// One row per job; updated in place as its events arrive.
function render(job) {
  let tr = rows.get(job.jobId);
  if (!tr) {
    tr = document.createElement("tr");
    tr.dataset.job = job.jobId;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.setAttribute("aria-label", `Progress of job ${job.jobId}`);
    const progress = cell("");
    progress.append(bar, document.createElement("span"));
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = "Cancel";
    cancel.setAttribute("aria-label", `Cancel job ${job.jobId}`);
    cancel.addEventListener("click", () => cancelJob(job.jobId, cancel));
    const actions = cell("");
    actions.append(cancel);
    tr.append(cell(job.jobId.slice(0, 8), "id"), cell(""), cell(""), cell(""), progress, actions);
    rows.set(job.jobId, tr);
    $("job-rows").prepend(tr);
  }
  const [, provider, model, status, progress, actions] = tr.children;
  if (job.provider) provider.textContent = job.provider;
  if (job.model) model.textContent = job.model;
  if (job.status) {
    status.textContent = job.status;
    tr.dataset.status = job.status;
    // A final job has nothing left to cancel.
    actions.querySelector("button").hidden = FINAL.has(job.status);
  }
  if (typeof job.progress === "number") {
    progress.querySelector("progress").value = job.progress;
    progress.querySelector("span").textContent = ` ${job.progress}%`;
  }
}

const FINAL = new Set(["completed", "failed", "timeout", "cancelled"]);

// `POST /api/videos/{jobId}/cancel`: the job's next poll cancels it; its event updates the row.
async function cancelJob(jobId, button) {
  button.disabled = true;
  try {
    await api(`/api/videos/${jobId}/cancel`, { method: "POST" });
    $("submit-status").textContent = `Job ${jobId} is being cancelled`;
  } catch (e) {
    $("submit-status").textContent = `Cannot cancel: ${e.message}`;
    button.disabled = false;
  }
}

async function loadJobs() {
  const { jobs } = await api("/api/jobs?limit=200");
  for (const job of jobs.reverse()) render(job);
}

// The caller's event stream (`GET /api/events`), read with fetch so that the key goes in a
// header; resumed from the last event id after a break.
async function follow() {
  stream?.abort();
  stream = new AbortController();
  let lastId = null;
  for (;;) {
    try {
      const headers = { Accept: "text/event-stream" };
      if (key()) headers.Authorization = `Bearer ${key()}`;
      if (lastId) headers["Last-Event-ID"] = lastId;
      const response = await fetch("/api/events", { headers, signal: stream.signal });
      if (!response.ok) throw new Error(`${response.status}`);
      $("live-status").textContent = "Live";
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          lastId = onFrame(frame) ?? lastId;
        }
      }
    } catch (e) {
      if (stream.signal.aborted) return;
    }
    $("live-status").textContent = "Reconnecting…";
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

// One Server-Sent Events frame; its id.
function onFrame(frame) {
  let id = null, kind = "message", data = "";
  for (const line of frame.split("\n")) {
    if (line.startsWith("id: ")) id = line.slice(4);
    else if (line.startsWith("event: ")) kind = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  if (kind === "message" && data) {
    const event = JSON.parse(data);
    const known = rows.has(event.jobId);
    render(event);
    if (!known) api(`/api/videos/status/${event.jobId}`).then(render, () => {});
  }
  return id;
}

async function submit(form) {
  const body = { walletAddress: "dashboard", script: form.script.value };
  if (form.provider.value.trim()) body.provider = form.provider.value.trim();
  $("submit-status").textContent = "Submitting…";
  try {
    const accepted = await api("/api/generate", { method: "POST", body: JSON.stringify(body) });
    render({ jobId: accepted.jobId, status: accepted.status, progress: 0, provider: body.provider || "" });
    $("submit-status").textContent = `Job ${accepted.jobId} accepted`;
    form.script.value = "";
  } catch (e) {
    $("submit-status").textContent = `Refused: ${e.message}`;
  }
}

$("sign-in-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("sign-in-error").textContent = "";
  try {
    await signIn($("key").value);
  } catch (err) {
    $("sign-in-error").textContent = err.status === 401 ? "That key is not valid." : `Cannot sign in: ${err.message}`;
  }
});
$("submit-form").addEventListener("submit", (e) => {
  e.preventDefault();
  submit(e.target);
});
$("sign-out").addEventListener("click", signOut);

if (key() !== null) {
  signIn(key()).catch(() => show(false));
} else {
  show(false);
}
