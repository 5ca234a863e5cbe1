// A session's legs as bars from created to ended, one colour per state, drawn in SVG.
import { BAD_END_REASONS, KIND_LABEL, clockTime, duration, flag, parseTime } from "./format.js";

const NS = "http://www.w3.org/2000/svg";
const ROW = 20;
const LABEL_W = 290;
const AXIS_H = 18;
const RIGHT_W = 150;
const COLORS = {
  created: "#4b5868", answered: "#5f7fa3", waiting: "#f0b429", in_conference: "#2fbf71",
  left: "#a78bfa", drop: "#ef5350", end: "#7d8ea3",
};

function svg(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    // Through CSSOM: the page's CSP forbids style attributes, and CSS would beat `fill`.
    if (k === "color") node.style.fill = v;
    else node.setAttribute(k, String(v));
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

// The live feed's names, and the API's where they differ (`GET /v1/sessions/{id}/legs`).
const API_TIMES = { created: "created_at", answered: "answered_at", waiting: "waiting_at",
  conference: "joined_at", left: "left_at", ended: "ended_at" };

// API rows carry ISO times and `number`; the feed carries *_at_ms and `masked_number`.
export function normaliseLeg(raw) {
  const leg = { ...raw };
  for (const [name, apiName] of Object.entries(API_TIMES)) {
    const ms = `${name}_at_ms`;
    if (typeof leg[ms] !== "number") leg[ms] = parseTime(leg[apiName]);
  }
  if (leg.masked_number === undefined) leg.masked_number = leg.number;
  return leg;
}

function segments(leg, end) {
  const marks = [
    ["created", leg.created_at_ms], ["answered", leg.answered_at_ms], ["waiting", leg.waiting_at_ms],
    ["in_conference", leg.conference_at_ms], ["left", leg.left_at_ms],
  ].filter(([, t]) => typeof t === "number").sort((a, b) => a[1] - b[1]);
  return marks.map(([state, from], i) => [state, from, i + 1 < marks.length ? marks[i + 1][1] : end]);
}

export function renderTimeline(box, legs, now, title) {
  box.replaceChildren();
  const rows = legs.map(normaliseLeg).filter((l) => typeof l.created_at_ms === "number")
    .sort((a, b) => a.created_at_ms - b.created_at_ms);
  if (!rows.length) {
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = title ? `No leg in ${title} yet.` : "Click a session to see every leg from created to ended.";
    box.append(p);
    return;
  }
  const t0 = rows[0].created_at_ms;
  const t1 = Math.max(now, ...rows.map((l) => l.ended_at_ms || 0));
  const width = Math.max(600, box.clientWidth - 4);
  const plotW = width - LABEL_W - RIGHT_W;
  const span = Math.max(1000, t1 - t0);
  const x = (t) => LABEL_W + (plotW * (t - t0)) / span;
  const height = AXIS_H + rows.length * ROW + 4;
  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `timeline of ${rows.length} legs` });

  for (let i = 0; i <= 6; i++) {
    const t = t0 + (span * i) / 6;
    const gx = x(t);
    root.append(svg("line", { x1: gx, x2: gx, y1: AXIS_H - 4, y2: height, class: "grid-line" }));
    root.append(svg("text", { x: gx, y: 11, "text-anchor": i === 0 ? "start" : i === 6 ? "end" : "middle", class: "mono" },
      clockTime(t)));
  }
  if (now <= t1) root.append(svg("line", { x1: x(now), x2: x(now), y1: AXIS_H - 4, y2: height, class: "now-line" }));

  rows.forEach((leg, i) => {
    const y = AXIS_H + i * ROW;
    const g = svg("g", { "data-leg-id": leg.leg_id, class: "tl-row" });
    g.append(svg("text", { x: 4, y: y + 14 }, `${flag(leg.caller_country || leg.country)} ${leg.masked_number || leg.leg_id}`));
    g.append(svg("text", { x: LABEL_W - 6, y: y + 14, "text-anchor": "end" }, `${KIND_LABEL[leg.kind] || leg.kind || ""} · ${leg.role || ""}`));
    const end = leg.ended_at_ms || now;
    for (const [state, from, to] of segments(leg, end)) {
      const rect = svg("rect", { x: x(from), y: y + 4, width: Math.max(1.5, x(to) - x(from)), height: ROW - 8,
        rx: 2, fill: COLORS[state] || COLORS.created, "data-state": state });
      rect.append(svg("title", {}, `${state} ${clockTime(from)} → ${leg.ended_at_ms || to < now ? clockTime(to) : "now"} (${duration(to - from)})`));
      g.append(rect);
    }
    if (leg.ended_at_ms) {
      const bad = BAD_END_REASONS.has(leg.end_reason);
      g.append(svg("rect", { x: x(leg.ended_at_ms) - 1, y: y + 2, width: 3, height: ROW - 4,
        fill: bad ? COLORS.drop : COLORS.end }));
      g.append(svg("text", { x: width - RIGHT_W + 6, y: y + 14, color: bad ? COLORS.drop : COLORS.end },
        `${leg.end_reason || "ended"} ${clockTime(leg.ended_at_ms)}`));
    } else {
      g.append(svg("text", { x: width - RIGHT_W + 6, y: y + 14 }, `${leg.state} · ${duration(now - leg.created_at_ms)}`));
    }
    root.append(g);
  });
  box.append(root);
}
