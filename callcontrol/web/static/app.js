// The operator dashboard: sign-in, the live feed, rendering on animation frames, one ticker.
import { ACTIONS, Api, confirmDialog, errorText, loadAudit, loadSessionLegs, toast } from "./actions.js";
import { drawCharts } from "./charts.js";
import { clockTime } from "./format.js";
import { LiveConnection, LiveStore } from "./live.js";
import { LegList, SessionTable, legMatches, legOrder, renderAlerts, renderNodes } from "./tables.js";
import { renderTimeline } from "./timeline.js";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "callcontrol.token";
const TICK_MS = 250;
const TIMELINE_EVERY_MS = 1000;
const MAX_TIMELINE_LEGS = 400;

const store = new LiveStore();
const filters = { node: "", account: "", state: "", kind: "", liveOnly: false, search: "", session: null };
const view = { canAct: false, role: null, conn: null, frame: 0, filtersDirty: true, apiLegs: [], timelineAt: 0 };
const api = new Api(() => sessionStorage.getItem(TOKEN_KEY) || "");
const ctx = {
  store,
  get canAct() { return view.canAct; },
  now: () => store.now(),
  act: runAction,
  selectSession,
};
const sessionTable = new SessionTable($("sessions").tBodies[0], $("sessions-count"), ctx);
const legList = new LegList($("legs"), $("legs-count"), ctx);
const canvases = {
  concurrent: $("chart-concurrent"), newCalls: $("chart-new"), failed: $("chart-failed"), lockouts: $("chart-lockouts"),
};

// ---- rendering: at most once per animation frame, only what changed ----------------------

function schedule() {
  if (!view.frame) view.frame = requestAnimationFrame(render);
}

function render() {
  view.frame = 0;
  const dirty = store.takeDirty();
  const refilter = view.filtersDirty;
  view.filtersDirty = false;
  if (dirty.has("node")) {
    renderNodes($("nodes").tBodies[0], store.nodes);
    fillOptions($("f-node"), [...store.nodes.keys()]);
  }
  if (dirty.has("alert")) renderAlerts($("alerts"), store.alerts, $("alerts-count"));
  if (dirty.has("session") || refilter) {
    sessionTable.render(store.sessions, filters);
    fillOptions($("f-account"), [...new Set([...store.sessions.values()].map((s) => s.account_id).filter(Boolean))]);
  }
  if (dirty.has("leg") || dirty.has("session") || refilter) renderLegs();
  if (dirty.has("history")) {
    drawCharts(store.history, canvases);
    kpiHistory();
  }
  if (filters.session && (dirty.has("leg") || refilter)) renderSessionTimeline();
}

function renderLegs() {
  const shown = [];
  let live = 0, conf = 0, waiting = 0, ringing = 0;
  for (const leg of store.legs.values()) {
    if (leg.state !== "ended") {
      live += 1;
      if (leg.state === "in_conference") conf += 1;
      else if (leg.state === "waiting") waiting += 1;
      else if (leg.state === "created" || leg.state === "answered") ringing += 1;
    }
    if (legMatches(leg, filters, store.sessions)) shown.push(leg);
  }
  shown.sort(legOrder);
  legList.setItems(shown, store.legs.size);
  $("kpi-live").textContent = live;
  $("kpi-conf").textContent = conf;
  $("kpi-waiting").textContent = waiting;
  $("kpi-ringing").textContent = ringing;
  let active = 0;
  for (const s of store.sessions.values()) if (s.state === "started" || s.state === "organizer_joined") active += 1;
  $("kpi-sessions").textContent = active;
}

function kpiHistory() {
  const h = store.history || {};
  $("kpi-failed").textContent = Object.values(h.failed_callme || {}).reduce((a, b) => a + b, 0);
  $("kpi-lockouts").textContent = (h.lockouts || []).reduce((a, b) => a + b, 0);
}

function fillOptions(select, values) {
  const sorted = values.map(String).sort();
  const have = [...select.options].slice(1).map((o) => o.value);
  if (have.join("\n") === sorted.join("\n")) return;
  const current = select.value;
  select.replaceChildren(select.options[0], ...sorted.map((v) => new Option(v, v)));
  select.value = sorted.includes(current) ? current : "";
}

function renderSessionTimeline() {
  const id = filters.session;
  const merged = new Map(view.apiLegs.map((l) => [l.leg_id, l]));
  for (const leg of store.legs.values()) if (leg.session_id === id) merged.set(leg.leg_id, leg);
  const s = store.sessions.get(id);
  const title = s ? `${s.title || id} · code ${s.access_code || "?"}` : id;
  $("timeline-title").textContent = `${title} · ${merged.size} legs`;
  renderTimeline($("timeline"), [...merged.values()].slice(-MAX_TIMELINE_LEGS), store.now(), title);
  view.timelineAt = Date.now();
}

// ---- one ticker for every running timer ----------------------------------------------------

function tick() {
  const now = store.now();
  const clock = clockTime(now);
  if ($("clock").textContent !== clock) $("clock").textContent = clock;
  legList.tick(now);
  sessionTable.tick(now);
  if (filters.session && Date.now() - view.timelineAt >= TIMELINE_EVERY_MS) renderSessionTimeline();
}

// ---- selection, filters, actions ----------------------------------------------------------

async function selectSession(id) {
  filters.session = filters.session === id ? null : id;
  const chip = $("f-session");
  chip.hidden = !filters.session;
  view.apiLegs = [];
  view.filtersDirty = true;
  if (!filters.session) {
    $("timeline-title").textContent = "select a session";
    renderTimeline($("timeline"), [], store.now(), "");
  } else {
    const s = store.sessions.get(id);
    chip.textContent = `session ${s ? s.access_code || s.title : id} ✕`;
    renderSessionTimeline();
    const { legs, error } = await loadSessionLegs(api, id);
    if (filters.session !== id) return;
    if (error) console.warn("session legs not loaded", error);
    view.apiLegs = legs;
    renderSessionTimeline();
  }
  schedule();
}

async function runAction(name, target) {
  const action = ACTIONS[name];
  const confirmed = await confirmDialog($("confirm"), {
    title: action.title, text: action.text(target), ok: action.ok, danger: action.danger,
  });
  if (!confirmed) return;
  const res = await api.request(action.method, action.path(target));
  if (res.ok) toast($("toasts"), `${action.title}: done`);
  else toast($("toasts"), `${action.title} refused: ${errorText(res)}`, true);
  loadAudit(api, $("audit").tBodies[0], $("audit-state"));
}

function wireFilters() {
  const bind = (id, key, prop = "value") => $(id).addEventListener("change", (e) => {
    filters[key] = e.target[prop];
    view.filtersDirty = true;
    schedule();
  });
  bind("f-node", "node");
  bind("f-account", "account");
  bind("f-state", "state");
  bind("f-kind", "kind");
  bind("f-live", "liveOnly", "checked");
  let timer = 0;
  $("f-search").addEventListener("input", (e) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      filters.search = e.target.value.trim().toLowerCase();
      view.filtersDirty = true;
      schedule();
    }, 120);
  });
  $("f-session").addEventListener("click", () => selectSession(filters.session));
}

// ---- sign-in and the connection -------------------------------------------------------------

function setStatus(state, delayMs) {
  const conn = $("conn");
  conn.dataset.state = state;
  $("conn-text").textContent = state === "reconnecting" ? `reconnecting in ${Math.ceil(delayMs / 1000)} s`
    : state === "connecting" ? "connecting…" : state;
}

function onWelcome(msg) {
  view.role = msg.role;
  view.canAct = !msg.read_only;
  document.body.classList.remove("signed-out");
  document.body.classList.toggle("read-only", !view.canAct);
  const role = $("role");
  role.hidden = false;
  role.textContent = view.canAct ? msg.role : `${msg.role} · read-only`;
  role.classList.toggle("read-only", !view.canAct);
  view.filtersDirty = true;
  schedule();
  loadAudit(api, $("audit").tBodies[0], $("audit-state"));
}

function connect() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    document.body.classList.add("signed-out");
    $("token").focus();
    return;
  }
  view.conn = new LiveConnection({
    token, store, onStatus: setStatus, onWelcome, onChange: schedule,
    onUnauthorized: () => signOut("This token was refused. Check it and sign in again."),
  });
  view.conn.start();
}

function signOut(message) {
  if (view.conn) view.conn.stop();
  view.conn = null;
  sessionStorage.removeItem(TOKEN_KEY);
  document.body.classList.add("signed-out");
  $("role").hidden = true;
  const err = $("login-error");
  err.hidden = !message;
  err.textContent = message || "";
  $("token").value = "";
  $("token").focus();
}

$("login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const token = $("token").value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("login-error").hidden = true;
  connect();
});
$("logout").addEventListener("click", () => signOut(""));
window.addEventListener("resize", () => {
  store.dirty.add("history");
  view.filtersDirty = true;
  schedule();
});

wireFilters();
setInterval(tick, TICK_MS);
connect();
