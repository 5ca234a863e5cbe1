// Nodes, alerts, sessions and the virtual legs list: keyed DOM updates, nothing rebuilt needlessly.
import {
  BAD_END_REASONS, KIND_LABEL, LEG_STATE_ORDER, SESSION_STATE_ORDER, clockTime, digits, duration,
  el, flag, money,
} from "./format.js";

export const ROW_PX = 26;

function setText(node, value) {
  const text = String(value);
  if (node.textContent !== text) node.textContent = text;
}
const OVERSCAN = 8;
const MAX_SESSION_ROWS = 100;
const MAX_ALERTS = 50;

export function renderNodes(tbody, nodes) {
  const rows = [...nodes.values()].sort((a, b) => String(a.name).localeCompare(String(b.name)));
  tbody.replaceChildren(...rows.map((n) => {
    const lat = n.latency_ms;
    const latClass = lat >= 500 ? "num lat-bad" : lat >= 100 ? "num lat-slow" : "num";
    return el("tr", { "data-node": n.name },
      el("td", { class: "mono", text: n.name }),
      el("td", {}, el("span", { class: `dot ${n.connected ? "up" : "down"}` }), n.connected ? "connected" : "down"),
      el("td", { class: latClass, text: lat === null || lat === undefined ? "–" : `${Math.round(lat)} ms` }),
      el("td", { class: "num", text: n.live_channels ?? "–" }),
      el("td", { class: "muted", text: n.detail || "", title: n.detail || "" }));
  }));
  if (!rows.length) tbody.replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "empty", text: "no node reported yet" })));
}

export function renderAlerts(list, alerts, countEl) {
  const items = [...alerts.values()].sort((a, b) => (b.at_ms || 0) - (a.at_ms || 0)).slice(0, MAX_ALERTS);
  countEl.textContent = alerts.size ? String(alerts.size) : "";
  list.replaceChildren(...items.map((a) => el("li", { class: a.level || "info", "data-alert": a.id },
    el("time", { text: clockTime(a.at_ms) }), a.message)));
  if (!items.length) list.replaceChildren(el("li", { class: "info muted", text: "no active alert" }));
}

// ---- filters ---------------------------------------------------------------------------

function searchMatch(q, leg, session) {
  if (!q) return true;
  if (leg && String(leg.leg_id).toLowerCase().includes(q)) return true;
  if (session && String(session.access_code || "").includes(q)) return true;
  const d = digits(q);
  if (leg && d && digits(leg.masked_number).includes(d)) return true;
  return !leg && session && String(session.title || "").toLowerCase().includes(q);
}

export function sessionMatches(s, f) {
  if (f.node && s.node !== f.node) return false;
  if (f.account && s.account_id !== f.account) return false;
  if (f.state && s.state !== f.state) return false;
  return searchMatch(f.search, null, s);
}

export function legMatches(leg, f, sessions) {
  if (f.session && leg.session_id !== f.session) return false;
  if (f.node && leg.node !== f.node) return false;
  if (f.kind && leg.kind !== f.kind) return false;
  if (f.liveOnly && leg.state === "ended") return false;
  const s = leg.session_id ? sessions.get(leg.session_id) : undefined;
  if ((f.account || f.state) && !s) return false;
  if (f.account && s.account_id !== f.account) return false;
  if (f.state && s.state !== f.state) return false;
  return searchMatch(f.search, leg, s);
}

export function legOrder(a, b) {
  return (LEG_STATE_ORDER[a.state] ?? 9) - (LEG_STATE_ORDER[b.state] ?? 9)
    || (b.created_at_ms || 0) - (a.created_at_ms || 0);
}

function sessionOrder(a, b) {
  return (SESSION_STATE_ORDER[a.state] ?? 9) - (SESSION_STATE_ORDER[b.state] ?? 9)
    || ((b.counts || {}).waiting || 0) - ((a.counts || {}).waiting || 0)
    || String(a.title || "").localeCompare(String(b.title || ""));
}

// ---- sessions --------------------------------------------------------------------------

export class SessionTable {
  constructor(tbody, countEl, ctx) {
    this.tbody = tbody;
    this.countEl = countEl;
    this.ctx = ctx;
    this.rows = new Map();
  }

  render(sessions, filters) {
    const all = [...sessions.values()].filter((s) => sessionMatches(s, filters)).sort(sessionOrder);
    const shown = all.slice(0, MAX_SESSION_ROWS);
    this.countEl.textContent = all.length > shown.length ? `${shown.length} of ${all.length}` : `${all.length}`;
    const keep = new Set();
    shown.forEach((s, i) => {
      keep.add(s.session_id);
      let tr = this.rows.get(s.session_id);
      if (!tr) {
        tr = this._build(s.session_id);
        this.rows.set(s.session_id, tr);
      }
      if (tr._data !== s || !tr._actKey?.startsWith(`${this.ctx.canAct}|`)) this._fill(tr, s);
      tr.classList.toggle("selected", filters.session === s.session_id);
      if (this.tbody.children[i] !== tr) this.tbody.insertBefore(tr, this.tbody.children[i] || null);
    });
    for (const [id, tr] of this.rows) {
      if (!keep.has(id)) { tr.remove(); this.rows.delete(id); }
    }
  }

  _build(id) {
    const tr = el("tr", { "data-session": id, onclick: () => this.ctx.selectSession(id) });
    tr._cells = Array.from({ length: 11 }, () => tr.appendChild(el("td")));
    const [, code, account, state, node, kinds, conf, wait, idle, cost, act] = tr._cells;
    code.className = "mono";
    account.className = "muted";
    state.append(el("span", { class: "pill" }));
    node.className = "mono muted";
    for (const td of [kinds, conf, wait, cost]) td.className = "num";
    idle.className = "num idle";
    act.className = "act";
    tr._idle = idle;
    return tr;
  }

  // In place: only cells whose text changed are touched, so a busy session costs little.
  _fill(tr, s) {
    tr._data = s;
    const c = s.counts || {};
    const k = c.by_kind || {};
    const [title, code, account, state, node, kinds, conf, wait, idle, cost, act] = tr._cells;
    setText(title, s.title || s.session_id);
    title.title = `${s.title || ""} (${s.session_id})`;
    setText(code, s.access_code || "");
    setText(account, s.account_id || "");
    const pill = state.firstChild;
    setText(pill, s.state);
    pill.className = `pill st-${s.state}`;
    setText(node, s.node || "");
    setText(kinds, `${k.toll || 0}·${k.tollfree || 0}·${k.callme || 0}`);
    setText(conf, c.in_conference ?? 0);
    setText(wait, c.waiting ?? 0);
    setText(cost, money(s.running_cost, s.currency));
    idle._dropAt = s.idle_drop_at_ms || null;
    const live = s.state !== "ended" && s.state !== "cancelled";
    const actKey = `${this.ctx.canAct}|${live}|${Boolean(s.locked)}`;
    if (tr._actKey !== actKey) {
      tr._actKey = actKey;
      act.replaceChildren();
      if (this.ctx.canAct && live) {
        const lock = s.locked ? "unlock" : "lock";
        act.append(
          el("button", { type: "button", "data-action": "mute-all", onclick: (e) => { e.stopPropagation(); this.ctx.act("mute-all", tr._data); } }, "Mute all"),
          el("button", { type: "button", "data-action": lock, onclick: (e) => { e.stopPropagation(); this.ctx.act(lock, tr._data); } }, s.locked ? "Unlock" : "Lock"));
      }
    }
    this._tickRow(tr, this.ctx.now());
  }

  _tickRow(tr, now) {
    const cell = tr._idle;
    if (!cell) return;
    const left = cell._dropAt ? cell._dropAt - now : null;
    const text = left === null ? "" : duration(left);
    if (cell.textContent !== text) cell.textContent = text; // unchanged text: no relayout
    cell.classList.toggle("reason-bad", left !== null && left < 60000);
  }

  tick(now) {
    for (const tr of this.rows.values()) this._tickRow(tr, now);
  }
}

// ---- legs: a virtual list ---------------------------------------------------------------

export class LegList {
  constructor(box, countEl, ctx) {
    this.box = box;
    this.space = box.querySelector(".vspace");
    this.countEl = countEl;
    this.ctx = ctx;
    this.items = [];
    this.rows = new Map(); // leg_id -> row element currently in the DOM
    this.pool = [];
    box.addEventListener("scroll", () => this.renderWindow(), { passive: true });
  }

  setItems(items, total) {
    this.items = items;
    this.space.style.height = `${items.length * ROW_PX}px`;
    this.countEl.textContent = items.length === total ? `${total}` : `${items.length} of ${total}`;
    this.renderWindow();
  }

  renderWindow() {
    const top = this.box.scrollTop;
    const height = this.box.clientHeight || 400;
    const start = Math.max(0, Math.floor(top / ROW_PX) - OVERSCAN);
    const end = Math.min(this.items.length, Math.ceil((top + height) / ROW_PX) + OVERSCAN);
    const keep = new Set();
    const now = this.ctx.now();
    for (let i = start; i < end; i++) {
      const leg = this.items[i];
      keep.add(leg.leg_id);
      let row = this.rows.get(leg.leg_id);
      if (!row) {
        row = this.pool.pop() || this._build();
        this.rows.set(leg.leg_id, row);
        this.space.append(row);
      }
      if (row._leg !== leg || row._canAct !== this.ctx.canAct) this._fill(row, leg, now);
      if (row._top !== i) { row._top = i; row.style.transform = `translateY(${i * ROW_PX}px)`; }
    }
    for (const [id, row] of this.rows) {
      if (!keep.has(id)) { row.remove(); row._leg = null; this.rows.delete(id); this.pool.push(row); }
    }
  }

  _build() {
    const row = el("div", { class: "legrow" });
    row._cells = Array.from({ length: 12 }, () => row.appendChild(el("span")));
    row._cells[4].className = "num timer";
    row._cells[11].className = "act";
    return row;
  }

  _fill(row, leg, now) {
    row._leg = leg;
    row._canAct = this.ctx.canAct;
    row.dataset.legId = leg.leg_id;
    row.dataset.state = leg.state;
    row.classList.toggle("ended", leg.state === "ended");
    const [caller, kind, role, state, , mic, talk, session, node, reason, id, act] = row._cells;
    // The caller's own country (from the number); the leg's country is the line's (billing).
    const from = leg.caller_country || leg.country;
    caller.replaceChildren(el("span", { class: "flag", text: flag(from) }),
      el("span", { class: "cc", text: from || "" }), leg.masked_number || "unknown");
    kind.className = `k-${leg.kind}`;
    kind.textContent = KIND_LABEL[leg.kind] || leg.kind || "";
    role.textContent = leg.role || "";
    if (leg.hand_raised && leg.state !== "ended") {
      role.append(el("span", { class: "hand", title: "hand raised (*9)", text: " ✋" }));
    }
    state.replaceChildren(el("span", { class: `pill st-${leg.state}`, text: leg.state }));
    mic.textContent = leg.muted ? "🔇" : "·";
    mic.className = leg.muted ? "icon-on" : "icon-off";
    mic.title = leg.muted ? "muted" : "not muted";
    talk.textContent = leg.talking ? "●" : "·";
    talk.className = leg.talking ? "talking" : "icon-off";
    const s = leg.session_id ? this.ctx.store.sessions.get(leg.session_id) : undefined;
    session.textContent = s ? s.access_code || s.title : leg.session_id || "–";
    session.className = "mono";
    node.textContent = leg.node || "";
    node.className = "mono muted";
    reason.textContent = leg.end_reason || "";
    reason.className = BAD_END_REASONS.has(leg.end_reason) ? "reason-bad" : "muted";
    id.textContent = leg.leg_id;
    id.className = "mono muted";
    id.title = leg.leg_id;
    act.replaceChildren();
    if (this.ctx.canAct && leg.state !== "ended") {
      const inConf = leg.state === "in_conference";
      if (leg.hand_raised) {
        act.append(el("button", { type: "button", "data-action": "lower-hand", title: "Lower hand",
          onclick: () => this.ctx.act("lower-hand", leg) }, "✋↓"));
      }
      act.append(
        el("button", { type: "button", "data-action": leg.muted ? "unmute" : "mute", disabled: !inConf,
          onclick: () => this.ctx.act(leg.muted ? "unmute" : "mute", leg) }, leg.muted ? "Unmute" : "Mute"),
        el("button", { type: "button", class: "drop", "data-action": "drop", onclick: () => this.ctx.act("drop", leg) }, "Drop"));
    }
    this._tickRow(row, now);
  }

  _tickRow(row, now) {
    const leg = row._leg;
    if (!leg) return;
    const start = leg.created_at_ms;
    const end = leg.state === "ended" ? leg.ended_at_ms : now;
    const text = start ? duration(end - start) : "";
    const timer = row._cells[4];
    if (timer.textContent !== text) timer.textContent = text;
  }

  tick(now) {
    for (const row of this.rows.values()) this._tickRow(row, now);
  }
}
