// The live feed: one WebSocket to /v1/live with auto-reconnect, and the state it keeps.

const KINDS = ["node", "session", "leg", "alert", "metric"];
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
// The server sends history every 10 s: silence for longer than this means a dead link.
const WATCHDOG_MS = 35000;
export const CLOSE_UNAUTHORIZED = 4401;

export class LiveStore {
  constructor() {
    this.tables = Object.fromEntries(KINDS.map((k) => [k, new Map()]));
    this.history = null;
    this.offsetMs = 0; // server clock - browser clock
    this.dirty = new Set(KINDS.concat(["history"]));
    this.snapshots = 0;
    this.patches = 0;
  }

  get legs() { return this.tables.leg; }
  get sessions() { return this.tables.session; }
  get nodes() { return this.tables.node; }
  get alerts() { return this.tables.alert; }
  get metrics() { return this.tables.metric; }

  now() { return Date.now() + this.offsetMs; }

  _clock(atMs) {
    if (typeof atMs === "number") this.offsetMs = atMs - Date.now();
  }

  applySnapshot(msg) {
    this._clock(msg.at_ms);
    for (const kind of KINDS) {
      const table = this.tables[kind];
      table.clear();
      for (const [key, data] of Object.entries((msg.state || {})[kind] || {})) table.set(key, data);
      this.dirty.add(kind);
    }
    if (msg.history) this.setHistory(msg.history);
    this.snapshots += 1;
  }

  applyPatch(msg) {
    this._clock(msg.at_ms);
    for (const [kind, changes] of Object.entries(msg.changes || {})) {
      const table = this.tables[kind];
      if (!table) continue;
      for (const [key, data] of Object.entries(changes)) {
        if (data === null) table.delete(key);
        else table.set(key, data);
      }
      this.dirty.add(kind);
    }
    this.patches += 1;
  }

  setHistory(history) {
    this.history = history;
    this.dirty.add("history");
  }

  takeDirty() {
    const dirty = this.dirty;
    this.dirty = new Set();
    return dirty;
  }
}

export class LiveConnection {
  constructor({ token, store, onStatus, onWelcome, onChange, onUnauthorized }) {
    this.token = token;
    this.store = store;
    this.onStatus = onStatus;
    this.onWelcome = onWelcome;
    this.onChange = onChange;
    this.onUnauthorized = onUnauthorized;
    this.ws = null;
    this.attempt = 0;
    this.stopped = false;
    this.retryTimer = null;
    this.watchdog = null;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/v1/live`;
  }

  start() {
    this.stopped = false;
    this._open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.watchdog);
    if (this.ws) this.ws.close(1000, "signed out");
    this.ws = null;
  }

  _open() {
    this.onStatus("connecting");
    const ws = new WebSocket(this.url());
    this.ws = ws;
    // The token travels in the first message, not in the URL (URLs end up in logs).
    ws.addEventListener("open", () => ws.send(JSON.stringify({ type: "auth", token: this.token })));
    ws.addEventListener("message", (event) => this._message(ws, event));
    ws.addEventListener("close", (event) => this._closed(ws, event));
    this._arm(ws);
  }

  _arm(ws) {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      if (this.ws === ws) ws.close(4000, "no data");
    }, WATCHDOG_MS);
  }

  _message(ws, event) {
    if (this.ws !== ws) return;
    this._arm(ws);
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch (err) {
      console.error("live: message is not JSON", err);
      return;
    }
    switch (msg.type) {
      case "welcome":
        this.attempt = 0;
        this.onStatus("live");
        this.onWelcome(msg);
        break;
      case "snapshot":
        this.store.applySnapshot(msg);
        this.onChange();
        break;
      case "patch":
        this.store.applyPatch(msg);
        this.onChange();
        break;
      case "history":
        this.store._clock(msg.at_ms);
        this.store.setHistory(msg.history);
        this.onChange();
        break;
      case "error":
        console.warn("live: server error", msg.code, msg.message);
        break;
      default:
        console.warn("live: unknown message", msg.type);
    }
  }

  _closed(ws, event) {
    if (this.ws !== ws) return;
    this.ws = null;
    clearTimeout(this.watchdog);
    if (this.stopped) return;
    if (event.code === CLOSE_UNAUTHORIZED) {
      this.stopped = true;
      this.onStatus("offline");
      this.onUnauthorized();
      return;
    }
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt += 1;
    this.onStatus("reconnecting", delay);
    this.retryTimer = setTimeout(() => this._open(), delay);
  }
}
