// The caller's live event stream (`GET /api/events`, Server-Sent Events), one per tab, read with
// fetch so that the key goes in a header; resumed from the last event id after a break. Views
// subscribe to it while they are shown.

import { authHeaders } from "./api.js";

const listeners = new Set();
let controller = null;
let state = "Connecting…";
const stateListeners = new Set();

export function onEvent(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function onState(listener) {
  stateListeners.add(listener);
  listener(state);
  return () => stateListeners.delete(listener);
}

function setState(next) {
  state = next;
  for (const listener of stateListeners) listener(state);
}

export function stop() {
  controller?.abort();
  controller = null;
}

export async function start() {
  stop();
  const mine = new AbortController();
  controller = mine;
  let lastId = null;
  while (!mine.signal.aborted) {
    try {
      const headers = authHeaders({ Accept: "text/event-stream" });
      if (lastId) headers["Last-Event-ID"] = lastId;
      const response = await fetch("/api/events", { headers, signal: mine.signal });
      if (!response.ok) throw new Error(`${response.status}`);
      setState("Live");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          lastId = onFrame(buffer.slice(0, end)) ?? lastId;
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      if (mine.signal.aborted) return;
    }
    setState("Reconnecting…");
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

// One frame; its id.
function onFrame(frame) {
  let id = null, kind = "message", data = "";
  for (const line of frame.split("\n")) {
    if (line.startsWith("id: ")) id = line.slice(4);
    else if (line.startsWith("event: ")) kind = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  if (kind === "message" && data) {
    const event = JSON.parse(data);
    for (const listener of listeners) listener(event);
  }
  return id;
}
