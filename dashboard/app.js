// The dashboard: plain ES modules, no build step (these files are what the API serves, embedded in
// its binary). Every action goes through the same REST endpoints as relayctl, with the key the
// person signed in with, kept in this tab's session storage only. Views are addressed by the
// fragment: #overview, #jobs, #job/<id>, #deliveries, #providers.

import { api, session } from "./api.js";
import * as live from "./live.js";
import { overviewView } from "./views/overview.js";
import { jobsView } from "./views/jobs.js";
import { jobView } from "./views/job.js";
import { deliveriesView } from "./views/deliveries.js";
import { providersView } from "./views/providers.js";

const $ = (id) => document.getElementById(id);
const VIEWS = { overview: overviewView, jobs: jobsView, job: jobView, deliveries: deliveriesView, providers: providersView };
let leave = null; // the shown view's clean-up

function showSignIn(signedIn) {
  $("sign-in").hidden = signedIn;
  $("nav").hidden = !signedIn;
  $("view").hidden = !signedIn;
}

function route() {
  if (!session.signedIn()) return;
  const [name, arg] = (location.hash.slice(1) || "jobs").split("/");
  const view = VIEWS[name] ?? jobsView;
  leave?.();
  const root = $("view");
  root.replaceChildren();
  leave = view(root, arg && decodeURIComponent(arg));
  const section = name === "job" ? "jobs" : name;
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.hash === `#${section}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${$("view-title")?.textContent ?? "Dashboard"} · sora-relay`;
  // Keyboard and screen-reader users land on the new view's heading.
  if (document.activeElement === document.body || document.activeElement?.closest("nav")) $("view-title")?.focus();
}

async function signIn(candidate) {
  session.keep(candidate);
  try {
    await api("/api/sora/stats");
  } catch (e) {
    session.forget();
    throw e;
  }
  showSignIn(true);
  live.start();
  route();
}

function signOut() {
  live.stop();
  leave?.();
  leave = null;
  session.forget();
  $("view").replaceChildren();
  showSignIn(false);
  $("key").focus();
}

live.onState((state) => { $("live-status").textContent = state; });
$("sign-in-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("sign-in-error").textContent = "";
  try {
    await signIn($("key").value);
  } catch (err) {
    $("sign-in-error").textContent = err.status === 401 ? "That key is not valid." : `Cannot sign in: ${err.message}`;
  }
});
$("sign-out").addEventListener("click", signOut);
addEventListener("hashchange", route);

if (session.signedIn()) {
  signIn(session.key()).catch(() => showSignIn(false));
} else {
  showSignIn(false);
}
