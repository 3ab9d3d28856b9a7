"""Live feedback in the browser: sample-to-screen latency measured in headless Chromium.

For each configuration the feedback runs through :func:`emgcontrol.feedback.run_feedback`
(the live loop, :class:`FeedbackProcessor` with onsets and the pattern's checks) into a
:class:`emgcontrol.feedback.WebDisplay` (aiohttp, WebSocket, at most 40 state
frames per second), and the page is open in Debian's headless Chromium (Selenium).  The page
measures, for every state it draws, its own wall clock (``performance.timeOrigin +
performance.now()``, corrected by the clock offset it measures with a ping to the
server, minimum round trip) minus the host time at which the newest sample of that
state arrived:

* ``drawn``: at the end of the animation-frame callback that updated the bars;
* ``on screen``: when a task posted from that callback runs, i.e. once that frame has
  been rendered (style, layout, paint) and handed to the compositor: the
  sample-to-screen latency of the table;
* ``next frame``: at the start of the following animation frame (an upper bound: up
  to one more frame interval).

Sources:

* ``paced simulator``: 16 simulated channels (the ``lift`` protocol's montage) at 250 Hz
  and at 1 kHz, released in real time: sample ``j`` "arrives" at ``t0 + j / sfreq`` and
  the loop takes every sample that has arrived when it polls (every 5 ms), as from
  BrainFlow's buffer.  The simulated BrainFlow board streams at a Cyton's 250 Hz
  (8 channels) or Cyton+Daisy's 125 Hz (16), so 16 channels at 1 kHz need this source.
* ``BrainFlow simulated board``: the simulator replayed by BrainFlow's playback board
  (``emgcontrol live --board simulated``), 8 channels at 250 Hz, timestamps by BrainFlow.

Each source runs with the web display's state-rate limits of ``--fps`` (default 30
and 40 frames per second).  Configurations run interleaved (repeat 1 of each, then
repeat 2...), so load changes of a shared machine hit them alike; compare rows within
one run, not across runs.  ``server`` is the loop's own measure: newest sample ->
state handed to the web display (``FeedbackResult.latency["display_ms"]``).

With ``--screenshots DIR`` it also saves the patient view at phone (390 x 844) and
wall-screen (1920 x 1080) sizes and the clinician panel, during a repetition of the
simulated ``reversed`` prone hip extension with a railed electrode.

Usage::

    python benchmarks/bench_live_web.py                  # 3 x 30 s per configuration
    python benchmarks/bench_live_web.py --seconds 20 --fps 40
    python benchmarks/bench_live_web.py --quick          # smoke test
    python benchmarks/bench_live_web.py --screenshots /tmp/shots
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _chromium import find_chromium, open_chromium, set_viewport  # noqa: E402  (tests/)


# ------------------------------------------------------------------ browser
def browser(width: int = 1920, height: int = 1080, mobile: bool = False) -> Any:
    found = find_chromium()
    if found is None:
        raise SystemExit("needs Debian's chromium and chromium-driver (apt-get install "
                         "chromium chromium-driver)")
    return open_chromium(*found, width, height, mobile=mobile)


def version(d: Any) -> str:
    return str(d.capabilities.get("browserVersion", "?"))


# ------------------------------------------------------------------ sources
class PacedSession:
    """Simulated samples released at their real-time arrival (duck-types BoardSession)."""

    name = "paced simulator"
    simulation = None
    record_path = None

    def __init__(self, sfreq: float, seconds: float, seed: int = 0) -> None:
        from emgcontrol.simulate import simulate

        n_trials = int(np.ceil(seconds / 8.0)) + 1
        rec, truth = simulate("lift", "typical", sfreq=sfreq, seed=seed, openbci=True,
                              n_trials=n_trials)
        idx = [i for i, t in enumerate(rec.ch_types) if t == "emg"]
        self.x = np.ascontiguousarray(rec.data[idx])
        self.sfreq = float(sfreq)
        self.ch_names = [rec.ch_names[i] for i in idx]
        self.muscles = [rec.muscles[i] for i in idx]
        self.reference = {c: v for c, v in truth.mvc_rms_v.items() if c in self.ch_names}
        self.is_streaming = False
        self._on_message = None

    def open(self) -> PacedSession:
        return self

    def start(self, record_to: Any = None, overwrite: bool = False) -> None:
        self.is_streaming = True

    def blocks(self, duration: float | None = None, *, poll_s: float = 0.005,
               stop: threading.Event | None = None) -> Any:
        from emgcontrol.acquire import Block

        n = self.x.shape[1] if duration is None else min(self.x.shape[1],
                                                          int(duration * self.sfreq))
        t0 = time.time()
        i = 0
        while i < n and not (stop is not None and stop.is_set()):
            now = time.time()
            k = min(n, int((now - t0) * self.sfreq) + 1)
            if k > i:
                ts = t0 + np.arange(i, k) / self.sfreq
                yield Block(self.x[:, i:k], i, self.sfreq, ts, now)
                i = k
            else:
                time.sleep(poll_s)

    def stop(self) -> None:
        self.is_streaming = False

    def describe(self) -> dict[str, Any]:
        return {"dropped_samples": 0, "channel_flags": {}, "reconnections": []}


def run_config(cfg: dict[str, Any], seconds: float, d: Any) -> dict[str, Any]:
    from emgcontrol.feedback import WebDisplay, run_feedback

    disp = WebDisplay(port=0, announce=None, fps=cfg["fps"])
    disp.start()
    d.get(disp.url)
    time.sleep(0.5)
    t0 = time.time()
    if cfg["source"] == "paced":
        s = PacedSession(cfg["sfreq"], seconds)
        res = run_feedback(s, targets="lift", reference=s.reference, display=disp,
                           duration=seconds)
    else:
        res = run_feedback(board="simulated", display=disp, duration=seconds, seed=0)
    wall = time.time() - t0
    time.sleep(0.3)
    got = d.execute_script("return {p: emgLatency.painted.slice(), "
                           "n: emgLatency.presented.slice(), "
                           "w: emgLatency.drawn.slice(), f: emgLatency.frames, "
                           "o: emgLatency.offset_ms, r: emgLatency.rtt_ms}")
    disp.stop()
    return {"painted": np.asarray(got["p"], float), "drawn": np.asarray(got["w"], float),
            "next": np.asarray(got["n"], float),
            "frames": int(got["f"]), "offset_ms": got["o"], "rtt_ms": got["r"],
            "wall_s": wall, "server": res.latency["display_ms"], "sfreq": res.sfreq,
            "n_ch": len(res.settings["channels"]), "n_blocks": res.n_blocks,
            "n_samples": res.n_samples}


def q(a: np.ndarray, p: float) -> float:
    return float(np.percentile(a, p)) if a.size else float("nan")


# ------------------------------------------------------------------ screenshots
def screenshots(out: str) -> None:
    from emgcontrol.feedback import WebDisplay, serve_feedback

    os.makedirs(out, exist_ok=True)
    disp = WebDisplay(port=0, announce=None)
    disp.start()
    d = browser(1920, 1080)
    th = threading.Thread(target=serve_feedback, kwargs=dict(
        display=disp, duration=30.0, variant="reversed", seed=0,
        faults={"GMax L": "railed"}))
    d.get(disp.url)
    th.start()
    try:
        t0 = time.time()
        while time.time() - t0 < 40:
            st = d.execute_script(
                "return [emgPage.reps, Math.max(...[...document.querySelectorAll("
                "'.bar:not(.fault) .fill')].map(e=>parseFloat((e.style.transform.match("
                "/scaleX\\(([^)]+)\\)/)||[0,0])[1])))]")
            if st[0] >= 1 and st[1] > 0.2:
                break
            time.sleep(0.05)
        d.save_screenshot(os.path.join(out, "patient-wall-1920x1080.png"))
        set_viewport(d, 390, 844, mobile=True)
        time.sleep(0.4)
        d.save_screenshot(os.path.join(out, "patient-phone-390x844.png"))
        set_viewport(d, 1920, 1080)
        d.get(disp.clinician_url)
        time.sleep(3.0)
        d.save_screenshot(os.path.join(out, "clinician-1920x1080.png"))
    finally:
        th.join(60)
        d.quit()
        disp.stop()
    print(f"screenshots in {out}")


# ------------------------------------------------------------------ main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 x 8 s per configuration")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--fps", default="30,40",
                    help="WebDisplay fps limits to compare, interleaved (default 30,40)")
    ap.add_argument("--screenshots", metavar="DIR", help="also save page screenshots there")
    args = ap.parse_args()
    seconds, repeats = (8.0, 1) if args.quick else (args.seconds, args.repeats)
    from emgcontrol.feedback import warmup

    warmup()
    sources = [
        {"label": "paced simulator, 16 ch, 250 Hz", "source": "paced", "sfreq": 250.0},
        {"label": "paced simulator, 16 ch, 1 kHz", "source": "paced", "sfreq": 1000.0},
        {"label": "BrainFlow simulated board, 8 ch, 250 Hz", "source": "board"},
    ]
    fps_list = [float(f) for f in args.fps.split(",")]
    configs = [{**c, "fps": f, "label": f"{c['label']}, fps limit {f:g}"}
               for c in sources for f in fps_list]
    d = browser(1920, 1080)
    print(f"# Live web feedback: sample-to-screen latency in headless Chromium "
          f"{version(d)}")
    print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average at start {os.getloadavg()[0]:.2f}; {repeats} x {seconds:g} s per "
          "configuration, interleaved; viewport 1920 x 1080\n")
    runs: dict[str, list[dict[str, Any]]] = {c["label"]: [] for c in configs}
    try:
        for r in range(repeats):
            for c in configs:
                runs[c["label"]].append(run_config(c, seconds, d))
    finally:
        d.quit()
    print("| source | frames drawn | fps | on screen median ms | p95 | p99 | max | "
          "per-repeat p99 | drawn median / p99 | next frame median / p99 | server p99 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for c in configs:
        rs = runs[c["label"]]
        pres = np.concatenate([x["painted"] for x in rs])
        drawn = np.concatenate([x["drawn"] for x in rs])
        nxt = np.concatenate([x["next"] for x in rs])
        frames = sum(x["frames"] for x in rs)
        fps = frames / sum(x["wall_s"] for x in rs)
        srv = max(x["server"]["p99"] for x in rs)
        per = ", ".join(f"{q(x['painted'], 99):.0f}" for x in rs)
        print(f"| {c['label']} | {frames} | {fps:.1f} | {q(pres, 50):.1f} | {q(pres, 95):.1f} "
              f"| {q(pres, 99):.1f} | {pres.max() if pres.size else float('nan'):.1f} | "
              f"{per} | {q(drawn, 50):.1f} / {q(drawn, 99):.1f} | "
              f"{q(nxt, 50):.1f} / {q(nxt, 99):.1f} | {srv:.1f} |")
    offs = [x["offset_ms"] for rs in runs.values() for x in rs]
    rtts = [x["rtt_ms"] for rs in runs.values() for x in rs if x["rtt_ms"] is not None]
    print(f"\nms; clock offset page -> server measured per run: {min(offs):+.2f} to "
          f"{max(offs):+.2f} ms (ping round trip {min(rtts):.1f}-{max(rtts):.1f} ms); server: "
          "newest sample -> state handed to the web display (worst repeat); goal: p99 on "
          f"screen <= 100 ms; load average at the end {os.getloadavg()[0]:.2f}")
    if args.screenshots:
        screenshots(args.screenshots)


if __name__ == "__main__":
    main()
