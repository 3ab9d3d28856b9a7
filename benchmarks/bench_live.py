"""Live feedback: per-block processing time and end-to-end latency.

Prints markdown tables:

1. Per-block processing time (median, p99, max in microseconds) on simulated
   EMG with activity, block by block as a live loop sees it:

   - 16 channels at 1 kHz in 10-sample (10 ms) blocks (the ``lift`` protocol's
     16-channel montage);
   - 8 channels at 250 Hz (OpenBCI Cyton) in 3-sample (12 ms) blocks.

   Variants: the envelope chain of the feedback (causal 20-450 Hz or
   0.9 x Nyquist Butterworth band-pass, order 4, + 50 Hz notch with harmonics,
   + 0.1 s trailing moving RMS) with emgcontrol's streaming ``Pipeline``
   against the same chain in scipy (``sosfilt`` with carried ``zi``, NumPy RMS
   with a carried tail); then the whole ``FeedbackProcessor`` (chain, 0.5 s
   level, %MVC, zone status, state object) without and with onset detection.
   Variants run interleaved block by block, each with its own state, so load
   changes of a shared machine hit them alike.  Agreement of the chain with
   scipy is printed (largest relative difference).

2. End-to-end latency through the simulated board (the simulator replayed by
   BrainFlow's playback-file board): ``time.time()`` after processing (and
   after a matplotlib Agg redraw) minus BrainFlow's timestamp of the newest
   sample of each block; with the per-block processing time and block sizes.

Usage::

    python benchmarks/bench_live.py            # full run (~1 min)
    python benchmarks/bench_live.py --quick    # smoke test
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from typing import Any

import numpy as np


def stats_us(ts: list[float]) -> tuple[float, float, float]:
    a = np.asarray(ts) * 1e6
    return float(np.median(a)), float(np.percentile(a, 99)), float(a.max())


class ScipyChain:
    """Band-pass + notch (sosfilt, carried zi) + trailing moving RMS (carried tail)."""

    def __init__(self, sos: np.ndarray, n_ch: int, n_win: int) -> None:
        from scipy import signal

        self.signal = signal
        self.sos = sos
        self.zi: np.ndarray | None = None
        self.n_win = n_win
        self.tail = np.zeros((n_ch, n_win - 1))
        self.n_seen = 0

    def process(self, x: np.ndarray) -> np.ndarray:
        if self.zi is None:
            zi = self.signal.sosfilt_zi(self.sos)
            self.zi = zi[:, None, :] * x[None, :, :1]
        y, self.zi = self.signal.sosfilt(self.sos, x, axis=-1, zi=self.zi)
        sq = np.concatenate([self.tail, y * y], axis=1)
        c = np.cumsum(sq, axis=1)
        c = np.concatenate([np.zeros((sq.shape[0], 1)), c], axis=1)
        n = x.shape[1]
        w = self.n_win
        # the first w - 1 outputs average the samples seen so far (as emgcontrol does)
        count = np.minimum(self.n_seen + np.arange(1, n + 1), w)
        out = np.sqrt(np.maximum((c[:, w:w + n] - c[:, :n]) / count, 0.0))
        self.tail = sq[:, -(w - 1):]
        self.n_seen += n
        return out


def block_benchmark(n_ch: int, sfreq: float, block: int, seconds: float) -> dict[str, Any]:
    from emgcontrol.feedback import FeedbackProcessor, filter_stages, warmup
    from emgcontrol.signal import MovingRMS, Pipeline, design_bandpass, design_notch
    from emgcontrol.simulate import simulate

    protocol = "lift" if n_ch > 8 else "prone-hip-extension"
    rec, truth = simulate(protocol, sfreq=sfreq, seed=0, openbci=True, n_trials=2)
    idx = [i for i, t in enumerate(rec.ch_types) if t == "emg"][:n_ch]
    x = np.ascontiguousarray(rec.data[idx])
    n_total = min(x.shape[1], int(seconds * sfreq))
    x = x[:, :n_total]
    names = [rec.ch_names[i] for i in idx]
    muscles = [rec.muscles[i] for i in idx]
    ref = {c: v for c, v in truth.mvc_rms_v.items() if c in names}
    warmup()
    stages = filter_stages(sfreq)
    lo, hi = stages[0].params(sfreq)["l_freq"], stages[0].params(sfreq)["h_freq"]
    sos = np.vstack([design_bandpass(sfreq, lo, hi, 4), design_notch(sfreq, 50.0)])
    n_win = int(round(0.1 * sfreq))
    filt = Pipeline(stages, sfreq, n_ch)
    env = Pipeline([MovingRMS(0.1)], sfreq, n_ch)
    sc = ScipyChain(sos, n_ch, n_win)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proc0 = FeedbackProcessor(sfreq, names, muscles, reference=ref, onsets=False,
                                  targets=protocol)
        proc1 = FeedbackProcessor(sfreq, names, muscles, reference=ref, targets=protocol)
    variants = {
        "emgcontrol chain (Pipeline)": lambda b: env.process(filt.process(b)),
        "scipy chain (sosfilt + carried zi)": sc.process,
        "FeedbackProcessor, no onsets": lambda b: proc0.process(b),
        "FeedbackProcessor, with onsets": lambda b: proc1.process(b),
    }
    times: dict[str, list[float]] = {k: [] for k in variants}
    ours_out, sc_out = [], []
    for k in range(0, n_total - block + 1, block):
        b = x[:, k:k + block]
        for name, fn in variants.items():
            t0 = time.perf_counter()
            out = fn(b)
            times[name].append(time.perf_counter() - t0)
            if name.startswith("emgcontrol"):
                ours_out.append(out)
            elif name.startswith("scipy"):
                sc_out.append(out)
    a = np.concatenate(ours_out, axis=1)
    s = np.concatenate(sc_out, axis=1)
    rel = float(np.max(np.abs(a - s)) / np.max(np.abs(s)))
    return {"config": f"{n_ch} ch, {sfreq:g} Hz, {block}-sample blocks "
                      f"({block / sfreq * 1e3:g} ms)",
            "n_blocks": len(times["scipy chain (sosfilt + carried zi)"]),
            "times": {k: stats_us(v) for k, v in times.items()}, "rel_diff": rel}


def e2e_benchmark(seconds: float, *, protocol: str, matplotlib_display: bool
                  ) -> dict[str, Any]:
    from emgcontrol.feedback import CallbackDisplay, MatplotlibDisplay, run_feedback

    sizes: list[int] = []
    displays: list[Any] = [CallbackDisplay(lambda st: None, fps=float("inf"))]
    if matplotlib_display:
        import matplotlib

        matplotlib.use("Agg")
        displays = [MatplotlibDisplay(fps=10)]

    res = run_feedback(protocol=protocol, seed=0, duration=seconds, display=displays,
                       reference="auto")
    sizes.append(res.n_samples // max(res.n_blocks, 1))
    return {"protocol": protocol, "sfreq": res.sfreq, "channels": len(res.settings["channels"]),
            "latency": res.latency, "n_blocks": res.n_blocks,
            "mean_block": res.n_samples / max(res.n_blocks, 1),
            "display": "matplotlib (Agg, 10 fps)" if matplotlib_display else "callback"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short runs (smoke test)")
    args = ap.parse_args()
    seconds = 8.0 if args.quick else 30.0
    e2e_s = 4.0 if args.quick else 12.0
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"# bench_live ({platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})\n")

    print("## Per-block processing time (microseconds)\n")
    rows = [block_benchmark(16, 1000.0, 10, seconds), block_benchmark(8, 250.0, 3, seconds)]
    print("| configuration | variant | median | p99 | max |")
    print("|---|---|---:|---:|---:|")
    for r in rows:
        for name, (med, p99, mx) in r["times"].items():
            print(f"| {r['config']} | {name} | {med:.1f} | {p99:.1f} | {mx:.0f} |")
    for r in rows:
        print(f"\n{r['config']}: {r['n_blocks']} blocks; chain vs scipy: largest relative "
              f"difference {r['rel_diff']:.1e}")

    print("\n## End to end through the simulated board (BrainFlow playback)\n")
    print("| board data | display | blocks | mean block (samples) | processing median / "
          "p99 (us) | newest sample -> feedback median / p99 (ms) | -> display median / "
          "p99 (ms) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    runs = [e2e_benchmark(e2e_s, protocol="prone-hip-extension", matplotlib_display=False),
            e2e_benchmark(e2e_s, protocol="prone-hip-extension", matplotlib_display=True),
            e2e_benchmark(e2e_s, protocol="lift", matplotlib_display=False)]
    for r in runs:
        lat = r["latency"]
        p, u, d = lat["processing_us"], lat["update_ms"], lat["display_ms"]
        print(f"| {r['channels']} ch at {r['sfreq']:g} Hz ({r['protocol']}) | {r['display']} | "
              f"{r['n_blocks']} | {r['mean_block']:.1f} | {p['median']:.0f} / {p['p99']:.0f} | "
              f"{u['median']:.2f} / {u['p99']:.2f} | {d['median']:.2f} / {d['p99']:.2f} |")
    print("\nLatency = time.time() after processing (or after the redraw) minus BrainFlow's "
          "timestamp of the newest sample of the block (host arrival time); an older sample "
          "of a block waited up to the block span longer.  Polling every 5 ms.")


if __name__ == "__main__":
    main()
