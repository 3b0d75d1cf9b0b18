// backprop playground: the page only draws. Every number comes from the Python engine via /api.
"use strict";

const COLORS = { neg: [245, 147, 34], pos: [8, 119, 189], white: [255, 255, 255] };
const CLASS_COLORS = [[245, 147, 34], [8, 119, 189], [44, 160, 44], [148, 103, 189], [214, 39, 40],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];
const LAYER_COLORS = ["#0877bd", "#f59322", "#2ca02c", "#9467bd", "#d62728", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf", "#1f3a93", "#a0522d", "#444"];
const CHOICES = {
  learning_rate: [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 0.5, 1, 1.2, 3, 10, 30, 100],
  batch_size: [[0, "all (full batch)"], 1, 4, 8, 16, 32, 64, 128, 256],
  l2: [0, 0.0001, 0.001, 0.01, 0.03, 0.1, 0.3, 1, 3, 10],
  dropout: [0, 0.05, 0.1, 0.2, 0.3, 0.5],
  speed: [1, 2, 5, 10, 20, 50, 100, 200],
};
const HASH_KEYS = { dataset: "data", noise: "noise", points: "n", test_split: "split", data_seed: "dseed",
  hidden: "h", activations: "act", loss: "loss", optimizer: "opt", learning_rate: "lr", batch_size: "bs",
  l2: "l2", dropout: "drop", init: "init", seed: "seed", speed: "speed" };

const $ = (id) => document.getElementById(id);
const S = {
  config: null, snap: null, data: null, dataVersion: -1, history: [], playing: false, busy: false,
  select: null, clickMode: 0, drawn: 0, regValue: 0.5, frames: [], lastDrawnArch: "", geometry: null, options: null,
};

// ------------------------------------------------------------------ server calls
async function api(path, body) {
  const init = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  const data = await response.json();
  if (!response.ok || data.error) throw new Error(data.error || response.statusText);
  return data;
}

async function post(path, extra = {}) {
  const body = Object.assign({ since: S.history.length, data_version: S.dataVersion, select: S.select }, extra);
  try {
    const snap = await api(path, body);
    apply(snap);
    return snap;
  } catch (err) {
    toast(err.message);
    return null;
  }
}

function toast(message) {
  const el = $("toast");
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 4000);
}

// ------------------------------------------------------------------ state from the engine
function apply(snap) {
  const t0 = performance.now();
  applyInner(snap);
  S.lastDrawMs = performance.now() - t0;
}

function applyInner(snap) {
  const archChanged = !S.snap || JSON.stringify(snap.layer_sizes) !== JSON.stringify(S.snap.layer_sizes) ||
    JSON.stringify(snap.activations) !== JSON.stringify(S.snap.activations);
  if (snap.history_length < S.history.length || snap.history.length === snap.history_length) S.history = [];
  S.history.push(...snap.history);
  if (S.history.length !== snap.history_length) S.history = S.history.slice(-snap.history_length);
  S.snap = snap;
  S.config = snap.config;
  S.options = snap.options;
  if (snap.data) { S.data = snap.data; S.dataVersion = snap.data.version; renderDataControls(); }
  const configKey = JSON.stringify(snap.config) + (snap.data ? snap.data.version : "");
  if (configKey !== S.configKey) { renderControls(); S.configKey = configKey; }
  if (archChanged) buildNetwork();
  drawNetwork();
  drawPlot();
  drawCharts();
  renderMetrics();
  renderDivergence();
  renderStepThrough();
  renderExplain(snap.explain);
  if (S.hashKey !== S.configKey) { writeHash(); S.hashKey = S.configKey; }
}

function fmt(x, digits = 4) {
  if (x === null || x === undefined || !isFinite(x)) return "–";
  if (x === 0) return "0";
  const a = Math.abs(x);
  const s = (a >= 1e4 || a < 1e-3) ? x.toExponential(2) : x.toPrecision(digits);
  return s.replace("-", "−");
}

function renderMetrics() {
  const m = S.snap.metrics || {};
  const reg = S.snap.task === "regression";
  const set = (id, v, pct) => {
    const el = $(id);
    el.textContent = v === null || v === undefined ? "–" : pct && !reg ? (100 * v).toFixed(1) + "%" : fmt(v);
    el.dataset.value = v === null || v === undefined ? "" : String(v);
  };
  set("train-loss", m.train_loss); set("test-loss", m.test_loss);
  set("train-accuracy", m.train_accuracy, true); set("test-accuracy", m.test_accuracy, true);
  $("acc-label-train").textContent = reg ? "Train R²" : "Train accuracy";
  $("acc-label-test").textContent = reg ? "Test R²" : "Test accuracy";
  $("acc-chart-title").textContent = reg ? "R² (1 − SSE/SST)" : "Accuracy";
  $("epoch").textContent = String(S.snap.epoch).padStart(6, "0");
  $("epoch").dataset.value = S.snap.epoch;
  $("iteration").textContent = S.snap.iteration;
}

function renderDivergence() {
  const el = $("divergence");
  if (S.snap.diverged) {
    el.hidden = false;
    el.textContent = "⚠ Training diverged: " + S.snap.diverged;
    if (S.playing) setPlaying(false);
  } else el.hidden = true;
}

// ------------------------------------------------------------------ controls
function fillSelect(el, values, current, label = (v) => String(v)) {
  const key = JSON.stringify(values);
  if (el.dataset.key !== key) {
    el.innerHTML = "";
    for (const v of values) {
      const [value, text] = Array.isArray(v) ? v : [v, label(v)];
      const o = document.createElement("option");
      o.value = value; o.textContent = text;
      el.appendChild(o);
    }
    el.dataset.key = key;
  }
  if (current !== undefined && String(el.value) !== String(current)) {
    if (![...el.options].some((o) => o.value === String(current))) {
      const o = document.createElement("option"); o.value = current; o.textContent = label(current); el.appendChild(o);
    }
    el.value = String(current);
  }
}

function renderControls() {
  const c = S.config, o = S.options;
  const datasets = Object.entries(o.datasets);
  if (S.data && S.data.csv) datasets.push(["csv", "your CSV: " + S.data.csv.target]);
  fillSelect($("dataset"), datasets, c.dataset);
  fillSelect($("learning_rate"), CHOICES.learning_rate, c.learning_rate);
  fillSelect($("optimizer"), o.optimizers, c.optimizer);
  fillSelect($("loss"), o.losses, c.loss, (v) => ({ binary_crossentropy: "binary cross-entropy", categorical_crossentropy: "cross-entropy (softmax)", mse: "squared error (MSE)", mae: "absolute error (MAE)", huber: "Huber" }[v] || v));
  fillSelect($("batch_size"), CHOICES.batch_size, c.batch_size);
  fillSelect($("l2"), CHOICES.l2, c.l2);
  fillSelect($("dropout"), CHOICES.dropout, c.dropout);
  fillSelect($("speed"), CHOICES.speed, c.speed);
  fillSelect($("init"), o.inits, c.init, (v) => (v === "course" ? "course: 0.01·randn" : v));
  const setRange = (id, v, text) => { if (document.activeElement !== $(id)) $(id).value = v; $(id.replace("test_", "") + "-out").textContent = text; };
  setRange("noise", c.noise, c.noise.toFixed(2));
  setRange("points", c.points, c.points);
  setRange("test_split", c.test_split, Math.round(c.test_split * 100) + "%");
  const csv = c.dataset === "csv";
  for (const id of ["noise", "points", "test_split"]) $(id).disabled = csv && id !== "test_split";
  $("layer-count").textContent = `${c.hidden.length} hidden layer${c.hidden.length === 1 ? "" : "s"}`;
}

function renderDataControls() {
  const d = S.data;
  // click mode: one button per class (or a value for regression), and "remove"
  const box = $("click-mode");
  box.innerHTML = "";
  const modes = d.task === "regression" ? [["add", "add a point, value"]] : d.classes.map((c, k) => [k, `add class ${c}`]);
  modes.push(["remove", "remove a point"]);
  if (d.task !== "regression" && (S.clickMode === "add" || S.clickMode >= d.classes.length)) S.clickMode = 0;
  if (d.task === "regression" && S.clickMode !== "remove") S.clickMode = "add";
  for (const [mode, text] of modes) {
    const b = document.createElement("button");
    b.dataset.testid = `click-${mode}`;
    b.setAttribute("data-testid", `click-${mode}`);
    if (typeof mode === "number") {
      const dot = document.createElement("span"); dot.className = "dot";
      dot.style.background = rgb(CLASS_COLORS[mode % CLASS_COLORS.length]); b.appendChild(dot);
    }
    b.appendChild(document.createTextNode(text));
    if (mode === "add") {
      const inp = document.createElement("input"); inp.type = "number"; inp.step = "0.1"; inp.value = S.regValue;
      inp.onclick = (e) => e.stopPropagation(); inp.onchange = () => (S.regValue = parseFloat(inp.value) || 0);
      b.appendChild(inp);
    }
    b.className = S.clickMode === mode ? "on" : "";
    b.onclick = () => { S.clickMode = mode; renderDataControls(); };
    box.appendChild(b);
  }
  // CSV column pickers
  const cols = $("csv-columns");
  cols.hidden = !d.csv || S.config.dataset !== "csv";
  if (d.csv) {
    const feats = d.feature_names.map((n, k) => [k, n]);
    fillSelect($("csv-target"), [d.csv.target, ...d.csv.features.filter((f) => f !== d.csv.target)], d.csv.target);
    fillSelect($("csv-x"), feats, d.plot_columns[0]);
    fillSelect($("csv-y"), feats, d.plot_columns[1]);
    $("csv-note").textContent = d.feature_names.length > 2
      ? `${d.feature_names.length} features trained on (standardized); the pictures show the plane of the two plotted ones, the others held at their mean.`
      : "Features standardized on the training part.";
  }
  const [x0, x1, y0, y1] = d.extent;
  $("axis-x").innerHTML = `<span>${fmt(x0, 2)}</span><span>${esc(d.feature_names[d.plot_columns[0]])} →</span><span>${fmt(x1, 2)}</span>`;
  $("axis-y").textContent = `↑ ${d.feature_names[d.plot_columns[1]]}  (${fmt(y0, 2)} … ${fmt(y1, 2)})`;
}

async function configure(changes, keepData = true) {
  const config = Object.assign({}, S.config, changes);
  if (config.dataset !== "csv") { delete config.x_column; delete config.y_column; }
  if (!keepData) S.select = null;
  S.history = [];
  await post("/api/config", { config, keep_data: keepData, since: 0 });
}

function bindControls() {
  $("play").onclick = () => setPlaying(true);
  $("pause").onclick = () => setPlaying(false);
  $("step").onclick = async () => { setPlaying(false); await post("/api/frame", { iterations: 1 }); };
  $("reset").onclick = async () => { setPlaying(false); S.history = []; await post("/api/reset", { since: 0 }); };
  const num = (id, parse = parseFloat) => ($(id).onchange = () => configure({ [id]: parse($(id).value) }));
  num("learning_rate"); num("l2"); num("dropout"); num("speed", (v) => parseInt(v, 10)); num("batch_size", (v) => parseInt(v, 10));
  $("optimizer").onchange = () => configure({ optimizer: $("optimizer").value });
  $("loss").onchange = () => configure({ loss: $("loss").value });
  $("init").onchange = () => configure({ init: $("init").value });
  $("dataset").onchange = () => {
    const name = $("dataset").value;
    const defaults = S.options.dataset_defaults[name] || {};
    setPlaying(false);
    configure(Object.assign({ dataset: name }, defaults), false);
  };
  $("noise").oninput = () => ($("noise-out").textContent = parseFloat($("noise").value).toFixed(2));
  $("noise").onchange = () => configure({ noise: parseFloat($("noise").value) }, false);
  $("points").oninput = () => ($("points-out").textContent = $("points").value);
  $("points").onchange = () => configure({ points: parseInt($("points").value, 10) }, false);
  $("test_split").oninput = () => ($("split-out").textContent = Math.round(100 * $("test_split").value) + "%");
  $("test_split").onchange = () => configure({ test_split: parseFloat($("test_split").value) }, false);
  $("regenerate").onclick = () => configure({ data_seed: (S.config.data_seed + 1) % 100000 }, false);
  $("add-layer").onclick = () => {
    const h = S.config.hidden.slice(), a = S.config.activations.slice();
    if (h.length >= S.options.limits.hidden_layers) return toast(`at most ${S.options.limits.hidden_layers} hidden layers`);
    h.push(h.length ? h[h.length - 1] : 4); a.push(a.length ? a[a.length - 1] : "tanh");
    configure({ hidden: h, activations: a });
  };
  $("remove-layer").onclick = () => {
    if (!S.config.hidden.length) return;
    configure({ hidden: S.config.hidden.slice(0, -1), activations: S.config.activations.slice(0, -1) });
  };
  $("csv").onchange = async () => {
    const file = $("csv").files[0];
    if (!file) return;
    const text = await file.text();
    setPlaying(false);
    S.select = null;
    S.history = [];
    await post("/api/csv", { text, since: 0, data_version: -1 });
    S.csvText = text;
  };
  $("csv-target").onchange = async () => {
    if (!S.csvText) return toast("upload the file again to change its target");
    await post("/api/csv", { text: S.csvText, target: $("csv-target").value, since: 0, data_version: -1 });
  };
  $("csv-x").onchange = () => configure({ x_column: parseInt($("csv-x").value, 10), y_column: S.data.plot_columns[1] }, false);
  $("csv-y").onchange = () => configure({ x_column: S.data.plot_columns[0], y_column: parseInt($("csv-y").value, 10) }, false);
  $("plot").addEventListener("click", onPlotClick);
  $("st-start").onclick = async () => { setPlaying(false); await post("/api/stepthrough", { action: "start" }); };
  $("st-next").onclick = () => post("/api/stepthrough", { action: "next" });
  $("st-stop").onclick = () => post("/api/stepthrough", { action: "stop" });
  $("export-png").onclick = exportPNG;
  $("copy-link").onclick = async () => {
    writeHash();
    try { await navigator.clipboard.writeText(location.href); toast("link copied: it reproduces this configuration"); }
    catch (e) { toast(location.href); }
  };
}

// ------------------------------------------------------------------ the training loop
function setPlaying(on) {
  S.playing = on;
  $("play").hidden = on;
  $("pause").hidden = !on;
  if (on && !S.loopRunning) { S.frames = []; loop(); }
}

function frameRequest(since, dataVersion) {
  const body = { epochs: S.config.speed, since, data_version: dataVersion, select: S.select };
  return api("/api/frame", body).catch((err) => ({ failed: err }));
}

// Two requests overlap: while the page draws frame k, the engine already trains frame k + 1
// (the server and the browser are different processes, so both cores work).
async function loop() {
  S.loopRunning = true;
  let pending = frameRequest(S.history.length, S.dataVersion);
  while (S.playing) {
    const t0 = performance.now();
    const snap = await pending;
    S.lastFrameMs = performance.now() - t0;
    if (snap.failed) { toast(snap.failed.message); setPlaying(false); break; }
    const next = snap.data ? snap.data.version : S.dataVersion;
    if (S.playing && !snap.diverged) pending = frameRequest(snap.history_length, next);
    apply(snap);
    S.drawn += 1;
    const now = performance.now();
    S.frames.push(now);
    while (S.frames.length && now - S.frames[0] > 2000) S.frames.shift();
    const fps = S.frames.length > 1 ? (S.frames.length - 1) / ((now - S.frames[0]) / 1000) : 0;
    $("fps").textContent = fps.toFixed(0);
    $("fps").dataset.value = fps.toFixed(2);
    S.updatesPerSecond = fps;
    if (snap.diverged) break;
    const t1 = performance.now();
    await new Promise((resolve) => requestAnimationFrame(resolve));  // let the browser paint this frame
    S.lastPaintMs = performance.now() - t1;
  }
  if (S.playing && pending) { /* paused while a request was in flight: its result is drawn */ }
  S.loopRunning = false;
  if (!S.playing) {
    // the request that was in flight when pause was pressed trained too: draw where the engine is now
    const snap = await api(`/api/state?since=${S.history.length}&data_version=${S.dataVersion}`).catch(() => null);
    if (snap && !S.playing) { if (S.select) await post("/api/frame", {}); else apply(snap); }
  }
}

// ------------------------------------------------------------------ colour maps
function rgb(c) { return `rgb(${c[0]},${c[1]},${c[2]})`; }
function mix(a, b, t) { return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]; }
// byte u in 0..255 over [-r, r]: orange (negative) - white - blue (positive)
const DIVERGING = Array.from({ length: 256 }, (_, u) => {
  const t = u / 255 * 2 - 1;
  return t < 0 ? mix(COLORS.white, COLORS.neg, Math.min(1, -t)) : mix(COLORS.white, COLORS.pos, Math.min(1, t));
});
// probability p (byte): class 0 orange for p < 0.5, blue above; lighter for the background
const PROBABILITY = Array.from({ length: 256 }, (_, u) => {
  const t = u / 255 * 2 - 1;
  const c = t < 0 ? mix(COLORS.white, COLORS.neg, -t) : mix(COLORS.white, COLORS.pos, t);
  return mix(COLORS.white, c, 0.78);
});

function decode(b64) {
  const s = atob(b64), out = new Uint8Array(s.length);
  for (let k = 0; k < s.length; k++) out[k] = s.charCodeAt(k);
  return out;
}

function paint(canvas, R, bytes, lut) {
  if (canvas.width !== R) { canvas.width = R; canvas.height = R; }
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(R, R);
  for (let k = 0; k < R * R; k++) {
    const c = lut[bytes[k]];
    img.data[4 * k] = c[0]; img.data[4 * k + 1] = c[1]; img.data[4 * k + 2] = c[2]; img.data[4 * k + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// ------------------------------------------------------------------ network drawing
function buildNetwork() {
  const sizes = S.snap.layer_sizes, acts = S.snap.activations;
  const net = $("net"), links = $("links"), nodes = $("nodes");
  const width = Math.max(420, (net.clientWidth || 600) - 14);
  const maxUnits = Math.max(...sizes);
  const L = sizes.length - 1;
  const height0 = 420;
  let size = Math.max(12, Math.min(50, Math.floor((height0 - 20) / maxUnits) - 8));
  const gap = size >= 30 ? 16 : size >= 18 ? 8 : 4;
  const colW = (width - 90 - size - 30) / Math.max(1, L);
  const height = Math.max(240, maxUnits * (size + gap) + 40);
  const x = (l) => 60 + l * colW;
  const y = (l, i) => { const n = sizes[l], total = n * size + (n - 1) * gap; return (height - total) / 2 + i * (size + gap); };
  S.geometry = { size, x, y, width, height };
  links.setAttribute("width", width); links.setAttribute("height", height);
  links.style.width = width + "px"; links.style.height = height + "px";
  nodes.style.width = width + "px"; nodes.style.height = height + "px";
  net.style.height = Math.min(height, 640) + "px";
  net.style.minHeight = "0";
  links.innerHTML = ""; nodes.innerHTML = "";
  // Many links: drawn on a canvas each frame; the SVG lines stay as (transparent) click targets.
  let total = 0;
  for (let l = 1; l <= L; l++) total += sizes[l] * sizes[l - 1];
  S.bigNet = total > 200;
  S.hugeNet = total > 600;  // no SVG element per link at all: a click finds its link on the canvas
  let lc = $("links-canvas");
  if (!lc) { lc = document.createElement("canvas"); lc.id = "links-canvas"; lc.className = "links"; net.insertBefore(lc, links); }
  lc.hidden = !S.bigNet;
  lc.style.pointerEvents = S.hugeNet ? "auto" : "none";
  lc.onclick = S.hugeNet ? (ev) => {
    const r = lc.getBoundingClientRect(), px = ev.clientX - r.left, py = ev.clientY - r.top, g = S.geometry;
    let best = null;
    for (let l = 1; l <= L; l++) {
      const xa = g.x(l - 1) + g.size, xb = g.x(l);
      if (px < xa - 4 || px > xb + 4) continue;
      const f = (px - xa) / (xb - xa);
      for (let i = 0; i < sizes[l]; i++) for (let j = 0; j < sizes[l - 1]; j++) {
        const ya = g.y(l - 1, j) + g.size / 2, yb = g.y(l, i) + g.size / 2;
        const d = Math.abs(ya + f * (yb - ya) - py);
        if (d < 4 && (!best || d < best.d)) best = { d, l, i, j };
      }
    }
    if (best) selectItem({ kind: "weight", l: best.l, i: best.i, j: best.j });
  } : null;
  lc.style.width = width + "px"; lc.style.height = height + "px";
  const dpr = Math.min(2, window.devicePixelRatio || 1);
  lc.width = Math.round(width * dpr); lc.height = Math.round(height * dpr);
  const NS = "http://www.w3.org/2000/svg";
  S.linkEls = [];
  for (let l = 1; l <= L && !S.hugeNet; l++) {
    const layer = [];
    for (let i = 0; i < sizes[l]; i++) {
      const row = [];
      for (let j = 0; j < sizes[l - 1]; j++) {
        const x1 = x(l - 1) + size, y1 = y(l - 1, j) + size / 2, x2 = x(l), y2 = y(l, i) + size / 2;
        const hit = document.createElementNS(NS, "line");
        const line = document.createElementNS(NS, "line");
        for (const el of [hit, line]) {
          el.setAttribute("x1", x1); el.setAttribute("y1", y1); el.setAttribute("x2", x2); el.setAttribute("y2", y2);
          el.addEventListener("click", () => selectItem({ kind: "weight", l, i, j }));
        }
        hit.setAttribute("class", "hit"); hit.setAttribute("stroke-width", 9);
        line.setAttribute("class", "w");
        if (S.bigNet) { line.setAttribute("stroke", "transparent"); line.setAttribute("stroke-width", 2.5); }
        line.setAttribute("data-testid", `weight-${l}-${i}-${j}`);
        const title = document.createElementNS(NS, "title"); line.appendChild(title);
        links.appendChild(hit);
        row.push(line);
      }
      layer.push(row);
    }
    S.linkEls.push(layer);
  }
  for (const layer of S.linkEls) for (const row of layer) for (const line of row) links.appendChild(line);
  S.nodeEls = [];
  S.biasEls = [];
  for (let l = 0; l <= L; l++) {
    const layerNodes = [], layerBias = [];
    for (let i = 0; i < sizes[l]; i++) {
      const div = document.createElement("div");
      div.className = "node";
      div.style.left = x(l) + "px"; div.style.top = y(l, i) + "px";
      div.style.width = size + "px"; div.style.height = size + "px";
      div.setAttribute("data-testid", `neuron-${l}-${i}`);
      const cv = document.createElement("canvas"); div.appendChild(cv);
      if (l === 0 && S.data) {
        const lab = document.createElement("span"); lab.className = "label";
        lab.textContent = S.data.feature_names[i] || `x${i + 1}`; div.appendChild(lab);
        if (!S.data.plot_columns.includes(i)) {
          div.classList.add("constant");
          div.title = "not plotted: held at its training mean in the pictures (trained on as it is)";
        }
      }
      div.onclick = () => selectItem({ kind: "neuron", l, i });
      nodes.appendChild(div);
      layerNodes.push(div);
      if (l > 0) {
        const b = document.createElement("div");
        b.className = "bias"; b.setAttribute("data-testid", `bias-${l}-${i}`);
        b.style.left = x(l) - 2 + "px"; b.style.top = y(l, i) + size + 1 + "px";
        b.title = "bias";
        b.onclick = (e) => { e.stopPropagation(); selectItem({ kind: "bias", l, i }); };
        nodes.appendChild(b);
        layerBias.push(b);
      }
    }
    const t = document.createElement("div");
    t.className = "layer-title";
    t.style.left = x(l) + size / 2 + "px"; t.style.top = "2px";
    t.textContent = l === 0 ? "input" : l === L ? `output · ${acts[L - 1]}` : "";
    if (l === L) { t.style.left = ""; t.style.right = "4px"; t.style.transform = "none"; }
    nodes.appendChild(t);
    S.nodeEls.push(layerNodes); S.biasEls.push(layerBias);
  }
  // per-layer controls above the hidden layers
  const ctl = $("layer-controls");
  ctl.innerHTML = "";
  for (let h = 0; h < S.config.hidden.length; h++) {
    const l = h + 1;
    const d = document.createElement("div");
    d.className = "layer-ctl";
    d.style.left = x(l) + size / 2 + "px";
    d.innerHTML = `<div class="units"><button class="pm" data-testid="remove-unit-${l}">−</button>` +
      `<span>${sizes[l]}${colW > 95 ? " units" : ""}</span><button class="pm" data-testid="add-unit-${l}">+</button></div>`;
    if (colW < 80) d.classList.add("narrow");
    const sel = document.createElement("select");
    sel.setAttribute("data-testid", `activation-${l}`);
    fillSelect(sel, S.options.activations, S.config.activations[h]);
    sel.onchange = () => { const a = S.config.activations.slice(); a[h] = sel.value; configure({ activations: a }); };
    d.appendChild(sel);
    const [minus, plus] = d.querySelectorAll("button");
    minus.onclick = () => { const hh = S.config.hidden.slice(); if (hh[h] > 1) { hh[h]--; configure({ hidden: hh }); } };
    plus.onclick = () => { const hh = S.config.hidden.slice(); if (hh[h] < S.options.limits.units) { hh[h]++; configure({ hidden: hh }); } else toast(`at most ${S.options.limits.units} units`); };
    ctl.appendChild(d);
  }
  markSelection();
}

function drawNetwork() {
  const snap = S.snap, pics = snap.pictures, R = pics.resolution;
  const L = snap.layer_sizes.length - 1;
  // inputs, hidden neurons and the output unit(s): each its own picture over the plane
  pics.inputs.forEach((p, i) => paint(S.nodeEls[0][i].firstChild, R, decode(p.data), DIVERGING));
  for (let l = 1; l <= L; l++) {
    pics.neurons[l - 1].forEach((p, i) => paint(S.nodeEls[l][i].firstChild, R, decode(p.data), DIVERGING));
  }
  let lctx = null;
  if (S.bigNet) {
    const lc = $("links-canvas"), dpr = lc.width / parseFloat(lc.style.width);
    lctx = lc.getContext("2d");
    lctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    lctx.clearRect(0, 0, lc.width, lc.height);
    lctx.lineCap = "round";
  }
  for (let l = 1; l <= L; l++) {
    const W = snap.weights[l - 1];
    let max = 1e-12;
    for (const row of W) for (const w of row) max = Math.max(max, Math.abs(w));
    const scale = Math.max(max, 1);
    if (lctx) {
      // one path per (sign, width step): a few strokes for thousands of links
      const g = S.geometry, STEPS = 6, paths = [];
      for (let k = 0; k < 2 * STEPS; k++) paths.push(new Path2D());
      W.forEach((row, i) => row.forEach((w, j) => {
        const t = Math.sqrt(Math.abs(w) / scale), step = Math.min(STEPS - 1, Math.floor(t * STEPS));
        const path = paths[(w >= 0 ? STEPS : 0) + step];
        path.moveTo(g.x(l - 1) + g.size, g.y(l - 1, j) + g.size / 2);
        path.lineTo(g.x(l), g.y(l, i) + g.size / 2);
      }));
      paths.forEach((path, k) => {
        const t = ((k % STEPS) + 0.5) / STEPS;
        lctx.strokeStyle = k >= STEPS ? "#0877bd" : "#f59322";
        lctx.globalAlpha = 0.2 + 0.6 * t;
        lctx.lineWidth = 0.5 + 4 * t;
        lctx.stroke(path);
      });
      lctx.globalAlpha = 1;
      const sel = S.select;
      if (sel && sel.kind === "weight" && sel.l === l && S.hugeNet) {
        lctx.strokeStyle = "#22303c"; lctx.lineWidth = 3;
        lctx.beginPath();
        lctx.moveTo(g.x(l - 1) + g.size, g.y(l - 1, sel.j) + g.size / 2);
        lctx.lineTo(g.x(l), g.y(l, sel.i) + g.size / 2);
        lctx.stroke();
      }
    } else W.forEach((row, i) => row.forEach((w, j) => {
      const el = S.linkEls[l - 1][i][j];
      const t = Math.abs(w) / scale;
      el.setAttribute("stroke", w >= 0 ? "#0877bd" : "#f59322");
      el.setAttribute("stroke-width", (0.8 + 7 * Math.sqrt(t)).toFixed(2));
      el.setAttribute("stroke-opacity", (0.35 + 0.6 * Math.sqrt(t)).toFixed(2));
      el.firstChild.textContent = `W[${l}][${i},${j}] = ${fmt(w)}`;
    }));
    const b = snap.biases[l - 1], bmax = Math.max(1, ...b.map(Math.abs));
    b.forEach((v, i) => {
      const el = S.biasEls[l][i];
      el.style.background = rgb(DIVERGING[Math.round((v / bmax + 1) * 127.5)]);
      el.title = `b[${l}][${i}] = ${fmt(v)}`;
    });
  }
}

function selectItem(sel) {
  S.select = sel;
  markSelection();
  post("/api/frame", {});
}

function markSelection() {
  document.querySelectorAll(".sel").forEach((e) => e.classList.remove("sel"));
  const s = S.select;
  if (!s) return;
  let el = null;
  if (s.kind === "weight") el = document.querySelector(`[data-testid="weight-${s.l}-${s.i}-${s.j}"]`);
  if (s.kind === "bias") el = document.querySelector(`[data-testid="bias-${s.l}-${s.i}"]`);
  if (s.kind === "neuron") el = document.querySelector(`[data-testid="neuron-${s.l}-${s.i}"]`);
  if (el) el.classList.add("sel");
  else if (!(s.kind === "weight" && S.hugeNet)) S.select = null;  // a huge net's links live on the canvas
}

// ------------------------------------------------------------------ the output plot
// A canvas's pixels match its size on screen (no costly rescaling at every paint).
function fitCanvas(canvas) {
  const dpr = Math.min(2, window.devicePixelRatio || 1);
  const w = Math.max(50, Math.round(canvas.clientWidth * dpr)), h = Math.max(30, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  return dpr;
}

function drawPlot() {
  const canvas = $("plot"), ctx = canvas.getContext("2d");
  const dpr = fitCanvas(canvas);
  const pics = S.snap.pictures, R = pics.resolution, out = pics.output;
  const off = S.offscreen || (S.offscreen = document.createElement("canvas"));
  if (out.kind === "binary") paint(off, R, decode(out.data), PROBABILITY);
  else if (out.kind === "regression") paint(off, R, decode(out.data), DIVERGING.map((c) => mix(COLORS.white, c, 0.8)));
  else {
    const cls = decode(out.classes), conf = decode(out.confidence);
    off.width = R; off.height = R;
    const octx = off.getContext("2d"), img = octx.createImageData(R, R);
    const n = S.data ? Math.max(2, S.data.classes.length) : 3;
    for (let k = 0; k < R * R; k++) {
      const base = CLASS_COLORS[cls[k] % CLASS_COLORS.length];
      const t = Math.max(0, (conf[k] / 255 - 1 / n) / (1 - 1 / n));
      const c = mix(COLORS.white, base, 0.15 + 0.6 * t);
      img.data[4 * k] = c[0]; img.data[4 * k + 1] = c[1]; img.data[4 * k + 2] = c[2]; img.data[4 * k + 3] = 255;
    }
    octx.putImageData(img, 0, 0);
  }
  const W = canvas.width, H = canvas.height;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(off, 0, 0, W, H);
  if (!S.data) return;
  const [x0, x1, y0, y1] = S.data.extent;
  const px = (x) => ((x - x0) / (x1 - x0)) * W, py = (y) => ((y1 - y) / (y1 - y0)) * H;
  // axes through 0
  ctx.strokeStyle = "rgba(0,0,0,0.12)"; ctx.lineWidth = dpr;
  if (x0 < 0 && x1 > 0) { ctx.beginPath(); ctx.moveTo(px(0), 0); ctx.lineTo(px(0), H); ctx.stroke(); }
  if (y0 < 0 && y1 > 0) { ctx.beginPath(); ctx.moveTo(0, py(0)); ctx.lineTo(W, py(0)); ctx.stroke(); }
  const reg = S.data.task === "regression";
  let lo = 0, hi = 1;
  if (reg) { lo = out.lo; hi = out.hi; }
  const color = (v) => reg ? DIVERGING[Math.max(0, Math.min(255, Math.round(((v - lo) / (hi - lo || 1)) * 255)))] : CLASS_COLORS[v % CLASS_COLORS.length];
  const r = dpr * Math.max(2.5, Math.min(4.5, 4.5 - S.data.train.length / 500));
  for (const [part, ring] of [["train", "#fff"], ["test", "#1d2731"]]) {
    for (const [x, y, v] of S.data[part]) {
      ctx.beginPath(); ctx.arc(px(x), py(y), r, 0, 2 * Math.PI);
      ctx.fillStyle = rgb(color(v)); ctx.fill();
      ctx.lineWidth = dpr * (part === "train" ? 0.8 : 1.2); ctx.strokeStyle = ring; ctx.stroke();
    }
  }
}

async function onPlotClick(ev) {
  if (!S.data) return;
  const rect = $("plot").getBoundingClientRect();
  const [x0, x1, y0, y1] = S.data.extent;
  const x = x0 + ((ev.clientX - rect.left) / rect.width) * (x1 - x0);
  const y = y1 - ((ev.clientY - rect.top) / rect.height) * (y1 - y0);
  if (S.clickMode === "remove") {
    await post("/api/point", { x, y, remove: true, radius: 0.04 * Math.max(x1 - x0, y1 - y0) });
  } else {
    await post("/api/point", { x, y, label: S.clickMode === "add" ? S.regValue : S.clickMode });
  }
}

// ------------------------------------------------------------------ curves
function chart(canvas, series, opts = {}) {
  const dpr = fitCanvas(canvas);
  const ctx = canvas.getContext("2d"), W = canvas.width / dpr, H = canvas.height / dpr;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, W, H);
  const pad = { l: 40, r: 4, t: 6, b: 6 };
  let lo = Infinity, hi = -Infinity, n = 0;
  for (const s of series) for (const v of s.values) { if (v !== null && isFinite(v) && (!opts.log || v > 0)) { const t = opts.log ? Math.log10(v) : v; lo = Math.min(lo, t); hi = Math.max(hi, t); } n = Math.max(n, s.values.length); }
  if (opts.fixed) { lo = opts.fixed[0]; hi = opts.fixed[1]; }
  if (!isFinite(lo)) { lo = 0; hi = 1; }
  if (hi - lo < 1e-9) { hi = lo + 1; }
  if (!opts.fixed && !opts.log) lo = Math.min(lo, 0);
  const X = (k) => pad.l + (n <= 1 ? 0 : (k / (n - 1)) * (W - pad.l - pad.r));
  const Y = (v) => pad.t + (1 - ((opts.log ? Math.log10(v) : v) - lo) / (hi - lo)) * (H - pad.t - pad.b);
  ctx.font = "10px Helvetica, Arial, sans-serif"; ctx.fillStyle = "#6b7a87"; ctx.strokeStyle = "#e3e8ee"; ctx.lineWidth = 1;
  for (const f of [0, 0.5, 1]) {
    const v = lo + f * (hi - lo), yy = pad.t + (1 - f) * (H - pad.t - pad.b);
    ctx.beginPath(); ctx.moveTo(pad.l, yy); ctx.lineTo(W - pad.r, yy); ctx.stroke();
    ctx.fillText(opts.log ? fmt(Math.pow(10, v), 2) : opts.pct ? Math.round(v * 100) + "%" : fmt(v, 2), 2, yy + 3);
  }
  for (const s of series) {
    ctx.strokeStyle = s.color; ctx.lineWidth = 1.6; ctx.setLineDash(s.dash ? [5, 3] : []);
    ctx.beginPath(); let on = false;
    s.values.forEach((v, k) => {
      if (v === null || !isFinite(v) || (opts.log && v <= 0)) { on = false; return; }
      if (!on) { ctx.moveTo(X(k), Y(v)); on = true; } else ctx.lineTo(X(k), Y(v));
    });
    ctx.stroke();
  }
  ctx.setLineDash([]);
}

function drawCharts() {
  // at most ~300 points a curve: a long run is thinned evenly (the last point always drawn)
  const all = S.history, stride = Math.ceil(all.length / 300);
  const h = stride <= 1 ? all : all.filter((_, k) => k % stride === 0 || k === all.length - 1);
  const get = (k) => h.map((p) => p[k]);
  chart($("loss-chart"), [{ values: get("train_loss"), color: "#22303c" }, { values: get("test_loss"), color: "#22303c", dash: true }]);
  const reg = S.snap.task === "regression";
  chart($("acc-chart"), [{ values: get("train_accuracy"), color: "#0877bd" }, { values: get("test_accuracy"), color: "#0877bd", dash: true }],
    reg ? {} : { fixed: [0, 1], pct: true });
  const L = S.snap.layer_sizes.length - 1;
  const series = [];
  for (let l = 0; l < L; l++) series.push({ values: h.map((p) => (p.grad_norms[l] === undefined ? null : p.grad_norms[l])), color: LAYER_COLORS[l % LAYER_COLORS.length] });
  chart($("grad-chart"), series, { log: true });
  const legend = $("grad-legend");
  const key = "L" + L;
  if (legend.dataset.key !== key) {
    legend.innerHTML = series.map((s, l) => `<span style="--c:${s.color}">layer ${l + 1}</span>`).join("");
    legend.dataset.key = key;
  }
}

// ------------------------------------------------------------------ the equation panel
function esc(s) { return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c])); }

function lineHTML(ln) {
  const tid = ln.testid ? ` data-testid="${ln.testid}" data-value="${esc(ln.value)}"` : "";
  return `<div class="eq-line"><span class="sym">${esc(ln.eq)}</span><span class="num"${tid}>${esc(ln.num)}</span>` +
    (ln.note ? `<span class="note">${esc(ln.note)}</span>` : "") + "</div>";
}

function renderExplain(ex) {
  if (!S.select) return;
  const panel = $("equation-panel");
  if (!ex) return;
  if (ex.error) { panel.innerHTML = `<p class="eq-probe">${esc(ex.error)}</p>`; return; }
  let html = `<div class="eq-title" data-testid="eq-title" data-id="${ex.id}">${esc(ex.title)}</div>`;
  if (ex.probe) html += `<p class="eq-probe">No update yet: the numbers of a forward and backward pass on the next batch.</p>`;
  for (const sec of ex.sections) {
    html += `<div class="eq-section ${sec.title}"><h4>${esc(sec.title)}</h4>${sec.lines.map(lineHTML).join("")}</div>`;
  }
  panel.innerHTML = html;
  panel.dataset.id = ex.id;
}

function renderStepThrough() {
  const st = S.snap.stepthrough, panel = $("stepthrough-panel");
  document.querySelectorAll(".hl-fwd, .hl-bwd").forEach((e) => e.classList.remove("hl-fwd", "hl-bwd"));
  $("st-next").hidden = !st; $("st-stop").hidden = !st;
  $("st-start").hidden = !!st;
  if (!st) { panel.hidden = true; return; }
  panel.hidden = false;
  const bwd = st.phase === "backward" || st.phase === "cost";
  panel.className = "stepthrough-panel" + (bwd ? " bwd" : "");
  panel.innerHTML = `<h4 data-testid="stepthrough-phase" data-phase="${st.phase}" data-layer="${st.layer}">` +
    `${st.at + 1} / ${st.count} · ${esc(st.title)}</h4>` + st.lines.map(lineHTML).join("");
  $("st-next").textContent = st.phase === "update" ? "done ✓" : "next ›";
  const cls = st.phase === "forward" ? "hl-fwd" : st.phase === "update" ? "hl-fwd" : "hl-bwd";
  const layers = st.phase === "update" ? S.snap.layer_sizes.slice(1).map((_, k) => k + 1) : [st.layer];
  for (const l of layers) {
    if (st.phase !== "update") (S.nodeEls[l] || []).forEach((e) => e.classList.add(cls));
    if (st.phase !== "cost") (S.linkEls[l - 1] || []).forEach((row) => row.forEach((e) => e.classList.add(cls)));
  }
}

// ------------------------------------------------------------------ URL and PNG
function writeHash() {
  const c = S.config;
  if (!c || c.dataset === "csv") return;
  const p = new URLSearchParams();
  for (const [k, short] of Object.entries(HASH_KEYS)) {
    const v = c[k];
    p.set(short, Array.isArray(v) ? v.join(",") : String(v));
  }
  const hash = "#" + p.toString();
  if (location.hash !== hash) history.replaceState(null, "", hash);
}

function readHash() {
  if (location.hash.length < 2) return null;
  const p = new URLSearchParams(location.hash.slice(1));
  const cfg = {};
  for (const [k, short] of Object.entries(HASH_KEYS)) {
    if (!p.has(short)) continue;
    const v = p.get(short);
    if (k === "hidden") cfg[k] = v ? v.split(",").map(Number) : [];
    else if (k === "activations") cfg[k] = v ? v.split(",") : [];
    else if (["dataset", "loss", "optimizer", "init"].includes(k)) cfg[k] = v;
    else cfg[k] = Number(v);
  }
  return cfg;
}

function exportPNG() {
  const net = $("net"), plot = $("plot"), g = S.geometry;
  const scale = 2, W = g.width + 420, H = Math.max(g.height, 440) + 70;
  const cv = document.createElement("canvas");
  cv.width = W * scale; cv.height = H * scale;
  const ctx = cv.getContext("2d");
  ctx.scale(scale, scale);
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = "#22303c"; ctx.font = "600 16px Helvetica, Arial, sans-serif";
  const m = S.snap.metrics || {};
  const acc = S.snap.task === "regression" ? "R²" : "accuracy";
  ctx.fillText(`backprop playground · ${S.config.dataset} · ${S.snap.layer_sizes.join("-")} · epoch ${S.snap.epoch}`, 14, 24);
  ctx.font = "13px Helvetica, Arial, sans-serif"; ctx.fillStyle = "#6b7a87";
  ctx.fillText(`train loss ${fmt(m.train_loss)} · test loss ${fmt(m.test_loss)} · train ${acc} ${fmt(m.train_accuracy)} · test ${acc} ${fmt(m.test_accuracy)}`, 14, 44);
  ctx.save(); ctx.translate(0, 60);
  if (S.bigNet) ctx.drawImage($("links-canvas"), 0, 0, g.width, g.height);
  else for (const line of $("links").querySelectorAll("line.w")) {
    ctx.strokeStyle = line.getAttribute("stroke"); ctx.globalAlpha = parseFloat(line.getAttribute("stroke-opacity"));
    ctx.lineWidth = parseFloat(line.getAttribute("stroke-width")); ctx.lineCap = "round";
    ctx.beginPath(); ctx.moveTo(+line.getAttribute("x1"), +line.getAttribute("y1")); ctx.lineTo(+line.getAttribute("x2"), +line.getAttribute("y2")); ctx.stroke();
  }
  ctx.globalAlpha = 1;
  for (const layer of S.nodeEls) for (const div of layer) {
    const x = parseFloat(div.style.left), y = parseFloat(div.style.top), s = g.size;
    ctx.drawImage(div.firstChild, x, y, s, s);
    ctx.strokeStyle = "rgba(0,0,0,.3)"; ctx.lineWidth = 1; ctx.strokeRect(x, y, s, s);
  }
  ctx.drawImage(plot, g.width + 10, 0, 400, 400);
  ctx.restore();
  const a = document.createElement("a");
  a.href = cv.toDataURL("image/png");
  a.download = "playground.png";
  a.setAttribute("data-testid", "png-link");
  document.body.appendChild(a);
  a.click();
  a.remove();
  S.lastPNG = a.href;
}

// ------------------------------------------------------------------ start
async function start() {
  bindControls();
  window.addEventListener("hashchange", async () => {  // a link pasted or edited in the address bar
    const cfg = readHash();
    if (!cfg) return;
    setPlaying(false);
    S.select = null;
    S.history = [];
    try { apply(await api("/api/config", { config: cfg, since: 0, data_version: -1 })); }
    catch (err) { toast("the link's configuration was not accepted: " + err.message); }
  });
  const fromUrl = readHash();
  if (fromUrl) {
    try { apply(await api("/api/config", { config: fromUrl, since: 0, data_version: -1 })); return; }
    catch (err) { toast("the link's configuration was not accepted: " + err.message); }
  }
  apply(await api("/api/state?since=0&data_version=-1"));
}

window.playground = S;  // for the curious (and the tests): the page's state, as drawn
start();
