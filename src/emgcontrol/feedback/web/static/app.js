// emgcontrol live feedback page: patient view and clinician panel.
// Served by the package; no external script. Messages: see emgcontrol/feedback/web/_server.py.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const WORD = { "0": "", "1": "too low", "2": "in zone", "3": "too high" };
  const CLS = { "0": "", "1": "below", "2": "in", "3": "above" };
  const now = () => performance.timeOrigin + performance.now();

  let cfg = null, rows = [], lights = [], latest = null, drawnSeq = -1, full = 100;
  let ws = null, offset = 0, bestRtt = Infinity, lastFrameAt = 0, lastHbAt = 0, hbAge = null;
  let running = false, ended = false, reps = 0, movement = null, pendingPresent = [];
  const faults = {};           // channel -> reason of an active electrode problem
  // sample-to-screen latency, ms: newest sample's arrival on the host -> bars updated in the
  // frame callback (drawn), that frame rendered (painted), the next frame started (presented)
  const lat = { drawn: [], painted: [], presented: [], offset_ms: 0, frames: 0, rtt_ms: null };
  const paintChannel = new MessageChannel(), paintQueue = [];
  paintChannel.port1.onmessage = () => {
    const ts = paintQueue.shift();
    if (ts !== undefined) lat.painted.push(now() + offset - ts * 1000);
  };
  window.emgLatency = lat;     // read by tests and benchmarks
  window.emgPage = { get reps() { return reps; }, get sentence() { return $("sentence").textContent; },
    get lights() { return lights.map((l) => ({ id: l.rule.id, state: l.state })); },
    get frames() { return lat.frames; }, get config() { return cfg; } };

  if (location.pathname.endsWith("/clinician")) document.body.classList.add("clin");
  $("toggle").onclick = () => document.body.classList.toggle("clin");

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function cap(s) { return s ? s.charAt(0).toUpperCase() + s.slice(1) : s; }
  function send(obj) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj)); }
  function cmd(name, arg) { send({ t: "cmd", cmd: name, arg: arg }); }

  $("btn-start").onclick = () => cmd("start");
  $("btn-stop").onclick = () => cmd("stop");
  $("btn-mvc").onclick = () => cmd("mvc");
  $("btn-marker").onclick = () => { cmd("marker", $("marker-label").value); $("marker-label").value = ""; };
  $("level").onchange = () => { if ($("level").value) cmd("level", $("level").value); };

  // ------------------------------------------------------------------ config
  function configure(c) {
    cfg = c; ended = false; drawnSeq = -1; latest = null; movement = null; reps = 0;
    $("reps").textContent = "0";
    $("title").textContent = cap(c.title || "Live feedback") + (c.level ? " - level " + c.level : "");
    $("pattern").textContent = (c.targets || "none") + (c.level ? " (level " + c.level + ")" : "");
    $("data-info").textContent = c.channels.length + " channels at " + c.sfreq + " Hz, " + c.unit;
    full = (c.unit || "").startsWith("%") ? 100 : 50;
    const bars = $("bars"); bars.textContent = "";
    rows = c.labels.map((lab, i) => {
      const r = el("div", "bar"); r.dataset.channel = c.channels[i];
      const name = el("div", "name", cap(c.names[i] || lab)); name.appendChild(el("small", "", lab));
      const track = el("div", "track"); const zone = el("div", "zone hidden"); const fill = el("div", "fill");
      track.appendChild(zone); track.appendChild(fill);
      const word = el("div", "word", ""); const val = el("small", "", "");
      r.appendChild(name); r.appendChild(track); r.appendChild(word);
      bars.appendChild(r);
      return { r, fill, zone, word, val, z: c.zones[i], st: null, act: null, fault: null };
    });
    placeZones();
    const box = $("lights"); box.textContent = "";
    const shown = c.rules.some((r) => r.core) ? c.rules.filter((r) => r.core) : c.rules;
    lights = shown.map((rule) => {
      const li = el("div", "light"); li.appendChild(el("span", "dot"));
      li.appendChild(el("span", "", cap(rule.first_name) + " before " + rule.then_name));
      const v = el("span", "verdict", ""); li.appendChild(v); box.appendChild(li);
      return { rule, li, v, state: "wait" };
    });
    const q = $("quality"); q.textContent = "";
    c.channels.forEach((ch, i) => {
      const tr = el("tr"); tr.appendChild(el("td", "", ch + " (" + c.labels[i] + ")"));
      const td = el("td", "", "ok"); td.id = "q-" + i; tr.appendChild(td); q.appendChild(tr);
    });
    for (const ch in faults) delete faults[ch];
    (c.notes || []).forEach((n) => log("note: " + n, false));
    setSentence(c.rules.length ? "Get ready: rest while the baseline is measured." : "Watch your bars.", null);
  }
  function placeZones() {
    rows.forEach((row) => {
      const z = row.z;
      if (!z) { row.zone.classList.add("hidden"); return; }
      const lo = z[0] == null ? 0 : Math.min(z[0] / full, 1);
      const hi = z[1] == null ? 1 : Math.min(z[1] / full, 1);
      row.zone.style.left = (lo * 100) + "%"; row.zone.style.width = Math.max(hi - lo, 0.005) * 100 + "%";
      row.zone.classList.remove("hidden");
    });
  }

  // ------------------------------------------------------------------ drawing
  function draw() {
    const f = latest;
    if (f && f.q !== drawnSeq && cfg) {
      drawnSeq = f.q;
      if (!(cfg.unit || "").startsWith("%")) {
        const m = Math.max(...f.v.filter((x) => x != null), 0);
        if (m > full) { full = m * 1.5; placeZones(); }
      }
      const tNow = performance.now();
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i], v = f.v[i], a = f.a[i] === "1";
        const s = f.m == null && f.s[i] === "1" ? "0" : f.s[i];   // at rest, below is no fault
        if (row.fault) continue;
        row.fill.style.transform = "scaleX(" + (v == null ? 0 : Math.min(Math.max(v / full, 0), 1)) + ")";
        if (row.st !== s) { row.r.classList.remove("in", "below", "above"); if (CLS[s]) row.r.classList.add(CLS[s]); row.st = s; }
        if (row.act !== a) { row.r.classList.toggle("active", a); row.act = a; }
        // text only when it changes (a text change costs layout and paint)
        const w = WORD[s] || "", vt = v == null ? "-" : (Math.round(v) + " " + cfg.unit);
        if (row.w !== w || row.val.parentNode !== row.word) {
          row.word.textContent = w; row.word.appendChild(row.val); row.w = w;
        }
        // the number is read, not watched: small changes 5 times a second (spares layout
        // and paint), a jump of 5 or more at once
        if (row.vt !== vt && (v == null || row.vNum == null || Math.abs(v - row.vNum) >= 5
                              || tNow - (row.vtAt || 0) > 200)) {
          row.val.textContent = vt; row.vt = vt; row.vtAt = tNow; row.vNum = v;
        }
      }
      if (!f.r) setSentence("Get ready: rest while the baseline is measured.", null, true);
      lat.frames++;
      if (f.ts != null) {
        const t = now() + offset;
        lat.drawn.push(t - f.ts * 1000);
        pendingPresent.push(f.ts);
        // a task posted from the frame callback runs once this frame is rendered
        paintQueue.push(f.ts);
        paintChannel.port2.postMessage(0);
        if (lat.drawn.length > 20000) { lat.drawn.splice(0, 5000); lat.painted.splice(0, 5000); }
      }
    }
    requestAnimationFrame(frameStart);
  }
  function frameStart() {
    // the previous frame's work has been committed when the next frame starts
    if (pendingPresent.length) {
      const t = now() + offset;
      for (const ts of pendingPresent) lat.presented.push(t - ts * 1000);
      pendingPresent = [];
      if (lat.presented.length > 20000) lat.presented.splice(0, 5000);
    }
    draw();
  }
  requestAnimationFrame(frameStart);

  // ------------------------------------------------------------------ events
  let baselineShown = false;
  function setSentence(text, good, baseline) {
    if (baseline) { if (baselineShown) return; baselineShown = true; } else baselineShown = false;
    const s = $("sentence"); s.textContent = text;
    s.classList.toggle("good", good === true); s.classList.toggle("bad", good === false);
  }
  function log(text, viol) {
    const li = el("li", viol ? "viol" : "", text); const l = $("log");
    l.insertBefore(li, l.firstChild);
    while (l.childNodes.length > 150) l.removeChild(l.lastChild);
  }
  function resetLights() { lights.forEach((l) => { l.state = "wait"; l.li.className = "light"; l.v.textContent = ""; }); }
  function onEvent(e) {
    if (!cfg) return;
    if (e.movement != null && e.movement !== movement && (e.kind === "onset")) { movement = e.movement; resetLights(); }
    if (e.kind === "onset") {
      lights.forEach((l) => { if (l.state === "wait" && l.rule.first.includes(e.channel)) { l.state = "on"; l.li.className = "light on"; } });
      if (baselineShown) setSentence("Go!", null);
      return;
    }
    if (e.kind === "offset") return;
    if (e.kind === "order" || e.kind === "latency" || e.kind === "missing") {
      lights.forEach((l) => { if (l.rule.id === e.target) {
        l.state = e.violation ? "bad" : "ok"; l.li.className = "light " + l.state;
        l.v.textContent = e.violation ? "\u2717 not yet" : "\u2713"; } });
    } else if (e.kind === "movement") {
      if (e.detail && e.detail.judged) { reps++; $("reps").textContent = String(reps); }
      setSentence(e.sentence || e.message, e.good);
    } else if (e.kind === "signal" && e.channel != null && cfg.channels.includes(e.channel)) {
      const i = cfg.channels.indexOf(e.channel), row = rows[i];
      const td = $("q-" + i);
      if (e.violation) {
        row.fault = e.message; row.r.classList.add("fault"); row.r.classList.remove("in", "below", "above"); row.st = null;
        row.fill.style.transform = "";
        row.word.textContent = "check electrode"; row.word.appendChild(el("small", "", (e.detail && e.detail.kind) || ""));
        td.textContent = e.message; td.className = "badq";
        faults[e.channel] = ((e.detail && e.detail.kind) || "signal lost") + " (" + cap(cfg.names[i] || e.channel) + ")";
      } else {
        row.fault = null; row.r.classList.remove("fault"); row.word.textContent = ""; row.w = null;
        td.textContent = "ok"; td.className = ""; delete faults[e.channel];
      }
      updateBanner();
    }
    log("[" + e.time_s.toFixed(2) + " s] " + e.message, e.violation);
  }
  function onStatus(s) {
    running = !!s.running;
    $("run-state").textContent = s.running ? "running (run " + (s.run || 1) + ", board " + (s.board || "?") + ")"
      : (s.waiting ? "stopped: press Start" : "stopped");
    if ("record_path" in s) $("record-path").textContent = s.record_path || "not recorded";
    const sel = $("level");
    if (s.levels) {
      const cur = sel.value; sel.textContent = ""; sel.appendChild(el("option", "", "all criteria")).value = "";
      s.levels.forEach((lv) => { const o = el("option", "", lv.level + ": " + lv.name); o.value = String(lv.level); sel.appendChild(o); });
      sel.value = s.level != null ? String(s.level) : cur;
    }
    updateBanner();
  }

  // ------------------------------------------------------------------ staleness
  function updateBanner() {
    const b = $("banner"), t = performance.now();
    let text = "";
    if (!ws || ws.readyState !== 1 || (lastHbAt && t - lastHbAt > 2500)) {
      text = "Connection to the feedback program lost: reconnecting...";
    } else if (ended) {
      text = "Session ended.";
    } else if (running && cfg) {
      const stale = (cfg.stale_s || 1) * 1000;
      const since = lastFrameAt ? t - lastFrameAt : Infinity;
      if (since > stale && (hbAge == null || hbAge * 1000 > stale)) {
        text = "No data for " + (lastFrameAt ? (since / 1000).toFixed(1) + " s" : "a while") + ": check the board and its connection.";
      }
    }
    const bad = Object.keys(faults);
    if (!text && bad.length) text = "Check electrode " + bad.map((ch) => ch + ": " + faults[ch]).join("; ");
    b.textContent = text; b.classList.toggle("hidden", !text);
  }
  setInterval(updateBanner, 250);

  function stats(a) {
    if (!a.length) return null;
    const s = a.slice().sort((x, y) => x - y);
    const q = (p) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
    return { n: s.length, median: q(0.5), p99: q(0.99) };
  }
  setInterval(() => {
    const d = stats(lat.painted.slice(-600)), w = stats(lat.drawn.slice(-600)), n = stats(lat.presented.slice(-600));
    if (d) {
      $("latency").textContent = "sample to screen: median " + d.median.toFixed(0) + " ms, p99 " + d.p99.toFixed(0) + " ms (last " + d.n + " frames)";
      send({ t: "lat", data: { painted: d, drawn: w, presented: n, offset_ms: offset, rtt_ms: lat.rtt_ms } });
    }
  }, 2000);

  // ------------------------------------------------------------------ socket
  function connect() {
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + "/ws" + location.search);
    ws.onopen = () => { bestRtt = Infinity; for (let k = 0; k < 8; k++) setTimeout(() => send({ t: "ping", c: now() }), 50 * k); updateBanner(); };
    ws.onclose = () => { updateBanner(); setTimeout(connect, 1000); };
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      switch (msg.t) {
        case "s": latest = msg; lastFrameAt = performance.now(); break;
        case "hb": lastHbAt = performance.now(); hbAge = msg.age; break;
        case "config": configure(msg); break;
        case "ev": onEvent(msg); break;
        case "msg": log(msg.text, false); if (/MVC|contract|rest$/i.test(msg.text)) setSentence(msg.text, null); break;
        case "status": onStatus(msg); break;
        case "pong": {
          const t = now(), rtt = t - msg.c;
          if (rtt < bestRtt) { bestRtt = rtt; offset = msg.s * 1000 - (msg.c + rtt / 2); lat.offset_ms = offset; lat.rtt_ms = rtt; }
          break;
        }
        case "end": ended = true; log(msg.summary || "session ended", false); updateBanner(); break;
      }
    };
  }
  connect();
})();
