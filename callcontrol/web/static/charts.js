// Hand-drawn canvas charts over the hub's last-hour history (no library, works offline).

const COLORS = {
  toll: "#3ea6ff", tollfree: "#2dd4bf", callme: "#a78bfa", bars: "#5f8fc4", bad: "#ef5350",
  grid: "#1d2733", text: "#7d8ea3",
};
const FONT = "10px system-ui, sans-serif";
const PAD = { l: 30, r: 6, t: 6, b: 14 };

function prepare(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  g.font = FONT;
  return { g, w, h };
}

function niceMax(v) {
  if (v <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function axes(g, w, h, max, n) {
  g.strokeStyle = COLORS.grid;
  g.fillStyle = COLORS.text;
  g.lineWidth = 1;
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (const f of [0, 0.5, 1]) {
    const y = Math.round(PAD.t + (h - PAD.t - PAD.b) * (1 - f)) + 0.5;
    g.beginPath(); g.moveTo(PAD.l, y); g.lineTo(w - PAD.r, y); g.stroke();
    g.fillText(String(Math.round(max * f)), PAD.l - 4, y);
  }
  g.textBaseline = "alphabetic";
  const labels = [[0, `-${n}m`], [0.5, `-${Math.round(n / 2)}m`], [1, "now"]];
  for (const [f, text] of labels) {
    g.textAlign = f === 0 ? "left" : f === 1 ? "right" : "center";
    g.fillText(text, PAD.l + (w - PAD.l - PAD.r) * f, h - 2);
  }
}

function xy(w, h, max, n) {
  const iw = w - PAD.l - PAD.r;
  const ih = h - PAD.t - PAD.b;
  return {
    x: (i) => PAD.l + (n <= 1 ? iw : (iw * i) / (n - 1)),
    y: (v) => PAD.t + ih * (1 - v / max),
    bw: Math.max(1, iw / n - 1),
    iw,
  };
}

export function stackedArea(canvas, series, keys) {
  const { g, w, h } = prepare(canvas);
  const n = series[keys[0]]?.length || 0;
  const totals = Array.from({ length: n }, (_, i) => keys.reduce((s, k) => s + (series[k][i] || 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  axes(g, w, h, max, n);
  const { x, y } = xy(w, h, max, n);
  const base = new Array(n).fill(0);
  for (const key of keys) {
    const top = base.map((b, i) => b + (series[key][i] || 0));
    g.beginPath();
    top.forEach((v, i) => (i ? g.lineTo(x(i), y(v)) : g.moveTo(x(i), y(v))));
    for (let i = n - 1; i >= 0; i--) g.lineTo(x(i), y(base[i]));
    g.closePath();
    g.fillStyle = COLORS[key] + "55";
    g.fill();
    g.beginPath();
    top.forEach((v, i) => (i ? g.lineTo(x(i), y(v)) : g.moveTo(x(i), y(v))));
    g.strokeStyle = COLORS[key];
    g.lineWidth = 1.5;
    g.stroke();
    top.forEach((v, i) => { base[i] = v; });
  }
}

export function bars(canvas, values, color) {
  const { g, w, h } = prepare(canvas);
  const n = values.length;
  const max = niceMax(Math.max(0, ...values));
  axes(g, w, h, max, n);
  const iw = w - PAD.l - PAD.r;
  const ih = h - PAD.t - PAD.b;
  const step = iw / Math.max(1, n);
  g.fillStyle = color || COLORS.bars;
  values.forEach((v, i) => {
    if (!v) return;
    const bh = (ih * v) / max;
    g.fillRect(PAD.l + i * step + 0.5, PAD.t + ih - bh, Math.max(1, step - 1.5), bh);
  });
}

export function horizontalBars(canvas, counts) {
  const { g, w, h } = prepare(canvas);
  const entries = Object.entries(counts || {}).sort((a, b) => b[1] - a[1]).slice(0, 6);
  if (!entries.length) {
    g.fillStyle = COLORS.text;
    g.textAlign = "center";
    g.fillText("no failed Call Me in the last hour", w / 2, h / 2);
    return;
  }
  const max = Math.max(...entries.map((e) => e[1]));
  const rowH = Math.min(16, (h - 4) / entries.length);
  const labelW = 86;
  g.textBaseline = "middle";
  entries.forEach(([cause, count], i) => {
    const yMid = 2 + rowH * i + rowH / 2;
    g.fillStyle = COLORS.text;
    g.textAlign = "right";
    g.fillText(cause.replace(/_/g, " "), labelW - 6, yMid);
    const bw = ((w - labelW - 34) * count) / max;
    g.fillStyle = COLORS.bad;
    g.fillRect(labelW, yMid - rowH * 0.35, Math.max(2, bw), rowH * 0.7);
    g.fillStyle = "#d5dde7";
    g.textAlign = "left";
    g.fillText(String(count), labelW + bw + 4, yMid);
  });
}

export function drawCharts(history, canvases) {
  if (!history) return;
  stackedArea(canvases.concurrent, history.concurrent || {}, ["toll", "tollfree", "callme"]);
  bars(canvases.newCalls, history.new_calls || [], COLORS.bars);
  horizontalBars(canvases.failed, history.failed_callme || {});
  bars(canvases.lockouts, history.lockouts || [], COLORS.bad);
}
