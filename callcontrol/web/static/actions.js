// Operator actions through the HTTP API (bearer token), the confirmation dialog, the audit list.
import { clockTime, el, parseTime } from "./format.js";

const TIMEOUT_MS = 10000;
const enc = encodeURIComponent;

export class Api {
  constructor(getToken) {
    this.getToken = getToken;
  }

  async request(method, path) {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), TIMEOUT_MS);
    try {
      const res = await fetch(path, {
        method,
        headers: { Authorization: `Bearer ${this.getToken()}`, Accept: "application/json" },
        signal: ctrl.signal,
      });
      let body = null;
      const type = res.headers.get("content-type") || "";
      if (type.includes("json")) body = await res.json();
      else body = await res.text();
      return { ok: res.ok, status: res.status, body };
    } catch (err) {
      return { ok: false, status: 0, body: String(err && err.name === "AbortError" ? "no answer in time" : err) };
    } finally {
      clearTimeout(timer);
    }
  }
}

export function errorText(res) {
  const b = res.body;
  if (b && typeof b === "object") {
    const e = b.error || b;
    return e.message || e.code || JSON.stringify(b);
  }
  return b ? String(b).slice(0, 200) : `HTTP ${res.status}`;
}

const who = (leg) => `${leg.masked_number || "caller"} (leg ${leg.leg_id})`;
const sess = (s) => `“${s.title || s.session_id}” (code ${s.access_code || "?"})`;

export const ACTIONS = {
  mute: { method: "POST", path: (l) => `/v1/legs/${enc(l.leg_id)}/mute`, title: "Mute caller",
    text: (l) => `Mute ${who(l)} in the conference?`, ok: "Mute" },
  unmute: { method: "POST", path: (l) => `/v1/legs/${enc(l.leg_id)}/unmute`, title: "Unmute caller",
    text: (l) => `Unmute ${who(l)}?`, ok: "Unmute" },
  "lower-hand": { method: "POST", path: (l) => `/v1/legs/${enc(l.leg_id)}/lower-hand`, title: "Lower hand",
    text: (l) => `Lower the hand ${who(l)} raised?`, ok: "Lower hand" },
  drop: { method: "DELETE", path: (l) => `/v1/legs/${enc(l.leg_id)}`, title: "Drop caller", danger: true,
    text: (l) => `Hang up ${who(l)}? The caller is disconnected at once.`, ok: "Drop" },
  "mute-all": { method: "POST", path: (s) => `/v1/sessions/${enc(s.session_id)}/mute-all`, title: "Mute all",
    text: (s) => `Mute every participant but the organizer in ${sess(s)}?`, ok: "Mute all" },
  lock: { method: "POST", path: (s) => `/v1/sessions/${enc(s.session_id)}/lock`, title: "Lock conference", danger: true,
    text: (s) => `Lock ${sess(s)}? Nobody new can join until it is unlocked.`, ok: "Lock" },
  unlock: { method: "POST", path: (s) => `/v1/sessions/${enc(s.session_id)}/unlock`, title: "Unlock conference",
    text: (s) => `Unlock ${sess(s)}?`, ok: "Unlock" },
};

export function confirmDialog(dialog, { title, text, ok, danger }) {
  dialog.querySelector("#confirm-title").textContent = title;
  dialog.querySelector("#confirm-text").textContent = text;
  const okButton = dialog.querySelector("#confirm-ok");
  okButton.textContent = ok || "Confirm";
  okButton.className = danger ? "danger" : "primary";
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
    dialog.querySelector("#confirm-cancel").focus();
  });
}

export function toast(box, text, bad) {
  const t = el("div", { class: bad ? "toast bad" : "toast", role: "status", text });
  box.append(t);
  setTimeout(() => t.remove(), bad ? 8000 : 4000);
}

function auditRows(body) {
  if (Array.isArray(body)) return body;
  if (body && typeof body === "object") return body.items || body.entries || body.audit || [];
  return [];
}

export async function loadAudit(api, tbody, stateEl) {
  const res = await api.request("GET", "/v1/audit?limit=100");
  if (!res.ok) {
    stateEl.textContent = res.status === 403 ? "needs the operator role" : `unavailable (${errorText(res)})`;
    return;
  }
  const rows = auditRows(res.body);
  stateEl.textContent = `${rows.length} latest`;
  tbody.replaceChildren(...rows.map((r) => {
    const at = parseTime(r.at_ms ?? r.at ?? r.created_at);
    const day = at ? new Date(at).toISOString().slice(5, 10) : "";
    return el("tr", {},
      el("td", { class: "mono muted", text: at ? `${day} ${clockTime(at)}` : "" }),
      el("td", { text: r.actor || r.who || "" }),
      el("td", { class: "mono", text: r.action || r.what || "" }),
      el("td", { class: "mono muted", text: r.target || "", title: r.details ? JSON.stringify(r.details) : "" }));
  }));
  if (!rows.length) tbody.replaceChildren(el("tr", {}, el("td", { colspan: 4, class: "empty", text: "no action yet" })));
}

export async function loadSessionLegs(api, sessionId) {
  const res = await api.request("GET", `/v1/sessions/${enc(sessionId)}/legs`);
  if (!res.ok) return { legs: [], error: errorText(res) };
  const b = res.body;
  return { legs: Array.isArray(b) ? b : (b && (b.legs || b.items)) || [], error: null };
}
