// echostrain studio: the page. Talks only to its own server (/api/...); no network requests elsewhere.
"use strict";

const $ = (id) => document.getElementById(id);
const COLOURS = { 0: "#ff3030", 1: "#ffd000", 2: "#00e0ff" }; // endo, mid-wall, epi (as in the overlays)
const MAX_W = 760, MAX_H = 600, HIT_PX = 7;

const studio = {
  clip: null, frames: [], t: 0, scale: 1, playing: null,
  endo: [], epiDelta: {}, history: [], drag: null, result: null,
};
window.studio = studio;
window.studio_show = (t) => show(t); // for scripted checks (tests)

// ------------------------------------------------------------------ messages and requests

function say(text, kind) {
  const m = $("message");
  m.textContent = text || "";
  m.className = kind || "";
}

async function api(url, options) {
  const response = await fetch(url, options);
  const type = response.headers.get("content-type") || "";
  const body = type.includes("application/json") ? await response.json() : null;
  if (!response.ok) {
    throw new Error((body && (body.error || body.detail)) ? String(body.error || JSON.stringify(body.detail))
                                                          : `request failed (${response.status})`);
  }
  return body;
}

async function guarded(action) {
  try { return await action(); } catch (err) { say(err.message, "error"); return undefined; }
}

// ------------------------------------------------------------------ clips

async function loadState(select) {
  const state = await api("/api/state");
  $("workspace").textContent = `workspace: ${state.workspace}/`;
  const sel = $("clip-select");
  sel.innerHTML = "";
  for (const path of state.clips) sel.add(new Option(path, path));
  if (select) sel.value = select;
  const method = $("method");
  if (!method.options.length) for (const m of state.methods) method.add(new Option(m, m));
  return state;
}

function spacingMm() {
  const text = $("spacing").value.trim();
  if (text) {
    const parts = text.split(/[ ,;]+/).map(Number);
    if (parts.length === 2 && parts.every((v) => Number.isFinite(v) && v > 0)) return parts;
    throw new Error(`pixel size "${text}": give two positive numbers dy, dx in mm, e.g. 0.3, 0.3`);
  }
  return studio.clip && studio.clip.spacing_mm;
}

function spacingForDrawing() {
  try { return spacingMm() || [0.3, 0.3]; } catch (err) { return (studio.clip && studio.clip.spacing_mm) || [0.3, 0.3]; }
}

async function openClip(path) {
  stop();
  const clip = await api(`/api/clip?path=${encodeURIComponent(path)}`);
  studio.clip = clip; studio.result = null; studio.t = clip.ed_frame;
  studio.endo = []; studio.epiDelta = {}; studio.history = []; studio.esEdited = false; studio.drag = null;
  $("results").hidden = true;
  const facts = { frames: clip.frames, size: `${clip.width} × ${clip.height} px`,
    "pixel size": clip.spacing_mm ? `${clip.spacing_mm.map((v) => v.toFixed(3)).join(" × ")} mm` : "none in the file",
    "frame rate": clip.fps ? `${clip.fps.toFixed(1)} frames/s` : "none in the file" };
  $("facts").innerHTML = Object.entries(facts).map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("");
  $("clip-warnings").textContent = clip.warnings.join("; ");
  $("spacing").value = clip.spacing_mm ? clip.spacing_mm.join(", ") : "";
  $("fps").value = clip.fps ? clip.fps.toFixed(2) : "";
  $("ed-frame").max = $("es-frame").max = clip.frames - 1;
  $("ed-frame").value = clip.ed_frame;
  $("es-frame").value = clip.es_frame ?? "";
  $("phase-note").textContent = clip.phase_source === "file" ? "ED/ES read from the file"
    : "ED/ES suggested from the images (largest/smallest cavity): check them";
  $("view").value = clip.view || "a4c";
  if (clip.contour) {
    studio.endo = clip.contour.endo;
    if (clip.contour.view) $("view").value = clip.contour.view;
    if (clip.contour.frame !== null && clip.contour.frame !== undefined) $("ed-frame").value = clip.contour.frame;
    studio.loadedEpi = clip.contour.epi;
  } else {
    studio.loadedEpi = null;
  }
  sizeCanvas();
  const scrub = $("scrubber");
  scrub.max = clip.frames - 1;
  studio.frames = [];
  await Promise.all(Array.from({ length: clip.frames }, (_, t) => new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve();
    img.onerror = () => resolve();
    img.src = `/api/frame?path=${encodeURIComponent(path)}&t=${t}`;
    studio.frames[t] = img;
  })));
  if (studio.loadedEpi) adoptLoadedEpi();
  if (clip.analysed) await showResult();
  show(Number($("ed-frame").value));
  say(`opened ${path}`, "ok");
}

function sizeCanvas() {
  const c = $("canvas");
  studio.scale = Math.min(MAX_W / studio.clip.width, MAX_H / studio.clip.height);
  c.width = Math.round(studio.clip.width * studio.scale);
  c.height = Math.round(studio.clip.height * studio.scale);
}

async function upload(file) {
  say(`uploading ${file.name} …`);
  const body = await api(`/api/upload?name=${encodeURIComponent(file.name)}`, { method: "PUT", body: file });
  await loadState(body.path);
  await openClip(body.path);
}

// ------------------------------------------------------------------ contour geometry

function edFrame() { return Number($("ed-frame").value); }

function thicknessPx() {
  const mm = Number($("thickness").value);
  const sp = spacingForDrawing();
  return [mm / sp[1], mm / sp[0]]; // (x, y) px
}

function normals(points) {
  const n = points.length;
  const out = points.map((p, i) => {
    const a = points[Math.max(0, i - 1)], b = points[Math.min(n - 1, i + 1)];
    const tx = b[0] - a[0], ty = b[1] - a[1], len = Math.hypot(tx, ty) || 1;
    return [-ty / len, tx / len];
  });
  const cx = points.reduce((s, p) => s + p[0], 0) / n, cy = points.reduce((s, p) => s + p[1], 0) / n;
  const side = points.reduce((s, p, i) => s + out[i][0] * (p[0] - cx) + out[i][1] * (p[1] - cy), 0);
  return side < 0 ? out.map(([x, y]) => [-x, -y]) : out;
}

function epi() {
  if (studio.endo.length < 2) return [];
  const [kx, ky] = thicknessPx();
  return normals(studio.endo).map(([nx, ny], i) => {
    const d = studio.epiDelta[i] || [0, 0];
    return [studio.endo[i][0] + kx * nx + d[0], studio.endo[i][1] + ky * ny + d[1]];
  });
}

function adoptLoadedEpi() {
  // a saved contour: keep its epicardium as offsets from the computed one
  const base = (studio.epiDelta = {}, epi());
  if (studio.loadedEpi.length === studio.endo.length) {
    studio.loadedEpi.forEach((p, i) => { studio.epiDelta[i] = [p[0] - base[i][0], p[1] - base[i][1]]; });
  } else {
    say("the saved epicardium has another number of points than the endocardium: it is redrawn at the wall thickness");
  }
}

function snapshot() {
  studio.history.push(JSON.stringify({ endo: studio.endo, epiDelta: studio.epiDelta }));
  if (studio.history.length > 200) studio.history.shift();
}

function undo() {
  const last = studio.history.pop();
  if (!last) { say("nothing to undo"); return; }
  const s = JSON.parse(last);
  studio.endo = s.endo; studio.epiDelta = s.epiDelta;
  draw();
}

// ------------------------------------------------------------------ drawing

function show(t) {
  if (!studio.clip) return;
  studio.t = Math.max(0, Math.min(studio.clip.frames - 1, t));
  $("scrubber").value = studio.t;
  const marks = [studio.t === edFrame() ? "ED" : "", String(studio.t) === $("es-frame").value ? "ES" : ""].filter(Boolean);
  $("frame-label").textContent = `frame ${studio.t} / ${studio.clip.frames - 1} ${marks.join(" ")}`;
  draw();
}

function dot(ctx, x, y, r, colour) {
  ctx.beginPath(); ctx.arc(x * studio.scale, y * studio.scale, r, 0, 2 * Math.PI);
  ctx.fillStyle = colour; ctx.fill();
}

function line(ctx, points, colour) {
  if (points.length < 2) return;
  ctx.beginPath();
  points.forEach(([x, y], i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, x * studio.scale, y * studio.scale));
  ctx.strokeStyle = colour; ctx.lineWidth = 1.5; ctx.stroke();
}

function draw() {
  const c = $("canvas"), ctx = c.getContext("2d");
  ctx.fillStyle = "#000"; ctx.fillRect(0, 0, c.width, c.height);
  const img = studio.frames[studio.t];
  if (img && img.complete) { ctx.imageSmoothingEnabled = true; ctx.drawImage(img, 0, 0, c.width, c.height); }
  const r = studio.result;
  if (r && $("show-tracks").checked) {
    r.tracks[studio.t].forEach(([x, y], i) => dot(ctx, x, y, 3, COLOURS[r.layer[i]] || "#ffffff"));
  } else if (studio.t === edFrame()) {
    line(ctx, studio.endo, "#ff6060"); line(ctx, epi(), "#60e0ff");
    studio.endo.forEach(([x, y]) => dot(ctx, x, y, 4, "#ff3030"));
    epi().forEach(([x, y]) => dot(ctx, x, y, 3, "#00e0ff"));
  }
  $("contour-note").textContent = `${studio.endo.length} endocardial points` +
    (studio.endo.length && studio.endo.length < 3 ? " (at least 3 needed)" : "");
}

// ------------------------------------------------------------------ canvas interaction

function imagePoint(event) {
  const rect = $("canvas").getBoundingClientRect();
  return [(event.clientX - rect.left) / studio.scale, (event.clientY - rect.top) / studio.scale];
}

function hit([x, y]) {
  const near = (pts, kind) => {
    let best = null;
    pts.forEach(([px, py], i) => {
      const d = Math.hypot(px - x, py - y) * studio.scale;
      if (d < HIT_PX && (!best || d < best.d)) best = { kind, i, d };
    });
    return best;
  };
  return near(studio.endo, "endo") || near(epi(), "epi");
}

function onDown(event) {
  if (!studio.clip) return;
  if (studio.result && $("show-tracks").checked) { say("untick 'tracked points' to edit the contour"); return; }
  if (studio.t !== edFrame()) { show(edFrame()); say("the contour is drawn on the ED frame: shown now, click again"); return; }
  const p = imagePoint(event);
  const target = hit(p);
  snapshot();
  if (target) { studio.drag = target; return; }
  studio.endo = studio.endo.concat([[+p[0].toFixed(2), +p[1].toFixed(2)]]);
  draw();
}

function onMove(event) {
  if (!studio.drag) return;
  const [x, y] = imagePoint(event);
  const { kind, i } = studio.drag;
  if (kind === "endo") {
    studio.endo = studio.endo.map((p, k) => (k === i ? [x, y] : p));
  } else {
    const base = (() => { const save = studio.epiDelta[i]; delete studio.epiDelta[i]; const b = epi()[i];
      if (save) studio.epiDelta[i] = save; return b; })();
    studio.epiDelta = { ...studio.epiDelta, [i]: [x - base[0], y - base[1]] };
  }
  draw();
}

function onUp() { studio.drag = null; }

// ------------------------------------------------------------------ playback

function stop() { if (studio.playing) { clearInterval(studio.playing); studio.playing = null; $("play").textContent = "Play"; } }

function play() {
  if (studio.playing) { stop(); return; }
  if (!studio.clip) return;
  const fps = Number($("fps").value) || studio.clip.fps || 20;
  studio.playing = setInterval(() => show((studio.t + 1) % studio.clip.frames), 1000 / Math.min(fps, 60));
  $("play").textContent = "Pause";
}

// ------------------------------------------------------------------ save and analyse

async function saveContour() {
  if (!studio.clip) { say("open a clip first", "error"); return; }
  const body = { path: studio.clip.path, endo: studio.endo, epi: epi(), view: $("view").value, frame: edFrame(),
                 fps: Number($("fps").value) || null };
  const saved = await api("/api/contour", { method: "POST", headers: { "Content-Type": "application/json" },
                                             body: JSON.stringify(body) });
  if (!studio.esEdited && studio.clip.phase_source !== "file" && saved.es_suggestion !== null) {
    $("es-frame").value = saved.es_suggestion;
    $("phase-note").textContent = "ES suggested from the cavity inside the contour (fewest dark pixels): check it";
  }
  say(`contour saved: ${saved.saved}`, "ok");
  return saved;
}

function changed(entered, inFile) {
  return entered && (!inFile || JSON.stringify(entered) !== JSON.stringify(inFile)) ? entered : null;
}

async function run() {
  if (!(await guarded(saveContour))) return;
  const path = studio.clip.path;
  const fps = Number($("fps").value) || null;
  const es = $("es-frame").value.trim();
  const body = { path, method: $("method").value, ed_frame: edFrame(), view: $("view").value,
    es_frame: es === "" ? null : Number(es),
    spacing_mm: changed(spacingMm(), studio.clip.spacing_mm),
    fps: fps && (!studio.clip.fps || Math.abs(fps - studio.clip.fps) > 0.01) ? fps : null };
  await api("/api/analyze", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  $("progress").hidden = false; $("run").disabled = true;
  say("analysis running …");
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 300));
      const job = await api("/api/job");
      $("progress-text").textContent = `${job.messages.slice(-1)[0] || "starting"} (${job.seconds} s)`;
      if (job.state === "error") throw new Error(job.error);
      if (job.state === "done") break;
    }
  } finally {
    $("progress").hidden = true; $("run").disabled = false;
  }
  if (!studio.clip || studio.clip.path !== path) { say(`analysis of ${path} done (open it to see the result)`, "ok"); return; }
  await showResult();
  say("analysis done", "ok");
}

async function showResult() {
  const r = await api(`/api/result?path=${encodeURIComponent(studio.clip.path)}`);
  if (r.tracks.length !== studio.clip.frames) throw new Error("the saved result does not match this clip; run the analysis again");
  studio.result = r;
  $("results").hidden = false;
  $("gls-value").textContent = r.gls_pct === null ? "n/a" : r.gls_pct.toFixed(2);
  $("gls-detail").textContent = `(${r.view.toUpperCase()}, ${r.method}, ED ${r.ed_frame} → ES ${r.es_frame})`;
  $("segment-table").tBodies[0].innerHTML = r.segments.map((s) =>
    `<tr><td>${s.name}</td><td>${s.end_systolic_pct === null ? "n/a" : s.end_systolic_pct.toFixed(2)}</td></tr>`).join("");
  const stamp = Date.now();
  $("curves").src = `/files/${r.curves}?v=${stamp}`;
  $("bullseye").src = `/files/${r.bullseye}?v=${stamp}`;
  $("report-link").href = `/files/${r.report}`;
  $("show-tracks").checked = true;
  draw();
}

// ------------------------------------------------------------------ wiring

window.addEventListener("DOMContentLoaded", () => {
  $("open-clip").onclick = () => guarded(() => openClip($("clip-select").value));
  $("upload").onchange = (e) => e.target.files.length && guarded(() => upload(e.target.files[0]));
  $("scrubber").oninput = (e) => show(Number(e.target.value));
  $("play").onclick = play;
  $("ed-here").onclick = () => { $("ed-frame").value = studio.t; show(studio.t); };
  $("es-here").onclick = () => { $("es-frame").value = studio.t; studio.esEdited = true; show(studio.t); };
  $("es-frame").onchange = () => { studio.esEdited = true; show(studio.t); };
  $("ed-frame").onchange = () => show(edFrame());
  $("thickness").oninput = (e) => { $("thickness-value").textContent = e.target.value; draw(); };
  $("undo").onclick = undo;
  $("clear").onclick = () => { snapshot(); studio.endo = []; studio.epiDelta = {}; draw(); };
  $("save-contour").onclick = () => guarded(saveContour);
  $("run").onclick = () => guarded(run);
  $("show-tracks").onchange = draw;
  const c = $("canvas");
  c.addEventListener("mousedown", onDown);
  c.addEventListener("mousemove", onMove);
  window.addEventListener("mouseup", onUp);
  guarded(async () => {
    const state = await loadState();
    if (state.clips.length) await openClip(state.clips[0]);
    else say("no clips in the workspace: upload one");
  });
});
