// Small pure helpers: DOM building (text only, never HTML from data), flags, durations.

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// ISO 3166 alpha-2 -> the flag emoji made of two regional indicator symbols.
export function flag(iso2) {
  if (typeof iso2 !== "string" || !/^[A-Z]{2}$/.test(iso2)) return "";
  return String.fromCodePoint(...[...iso2].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
}

// 75_000 -> "1:15", 3_725_000 -> "1:02:05".
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "";
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

export function clockTime(ms) {
  if (!ms) return "";
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

export function parseTime(value) {
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    const t = Date.parse(value);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

export function money(value, currency) {
  if (value === null || value === undefined || value === "") return "";
  const n = Number(value);
  const text = Number.isFinite(n) ? n.toFixed(2) : String(value);
  return currency ? `${text} ${currency}` : text;
}

export const KIND_LABEL = { toll: "toll", tollfree: "toll-free", callme: "Call Me" };
// The legs an operator looks at first: people waiting, then people in conference.
export const LEG_STATE_ORDER = { waiting: 0, in_conference: 1, answered: 2, created: 3, left: 4, ended: 5 };
export const SESSION_STATE_ORDER = { started: 0, organizer_joined: 1, scheduled: 2, ended: 3, cancelled: 4 };
export const BAD_END_REASONS = new Set([
  "idle_drop", "kicked", "busy", "no_answer", "failed", "rejected", "not_confirmed",
  "congestion", "node_restart", "operator_drop",
]);

// Digits only, to match "+33 6•• ••• •78" against "3378" or "+33 6".
export function digits(text) {
  return String(text || "").replace(/[^0-9•]/g, "");
}
