"""Speed and agreement of emgcontrol.signal against scipy/numpy (and peers).

Prints markdown tables:

1. Offline chain on the same data (default 16 channels x 10 min at 2 kHz, in
   volts): zero-phase 20-450 Hz Butterworth band-pass (order 4), 50 Hz notch
   (fundamental only, Q=30), full-wave rectification, 50 ms centred RMS
   envelope.  emgcontrol (separate calls, and band-pass + notch as one cascade)
   against the same two recipes in scipy/numpy (``sosfiltfilt`` +
   ``np.abs`` + ``scipy.ndimage.uniform_filter1d`` for the RMS, with the same
   truncated windows at the ends), and a plain memory copy of the data as the
   bandwidth floor.  NeuroKit2 and BioSPPy, when importable, are timed on one
   channel with their own (different) default chains and extrapolated x16.
2. Streaming: per-block time (median, p99) of band-pass + notch + moving RMS
   for 16 ch x 20-sample blocks at 2 kHz and 8 ch x 5-sample blocks at 250 Hz,
   against scipy ``sosfilt`` with carried ``zi`` and a numpy RMS with a
   carried tail.
3. Start-up: ``import emgcontrol`` and first calls in fresh processes with a
   warm numba cache.

Timings are medians of several repeats, taken in interleaved rounds (every
round runs every variant once) so that load changes on a shared machine hit
all variants alike; the load average is printed with the results.

Usage::

    python benchmarks/bench_signal.py            # full run
    python benchmarks/bench_signal.py --quick    # small data, smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import emgcontrol.signal as es

# --------------------------------------------------------------------- utils


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time (s) of ``repeats`` calls and the last result."""
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def timed_rounds(fns: dict[str, Callable[[], Any]],
                 repeats: int) -> dict[str, tuple[float, Any]]:
    """Median wall time of each function, timed in interleaved rounds.

    Every round calls every function once, so a change of machine load
    (shared machines) affects all of them alike.
    """
    times: dict[str, list[float]] = {k: [] for k in fns}
    outs: dict[str, Any] = {}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            outs[k] = fn()
            times[k].append(time.perf_counter() - t0)
            if k not in ("ours_sep", "ours_one", "scipy_sep", "scipy_one"):
                outs[k] = None  # keep memory low
    return {k: (float(np.median(v)), outs[k], float(np.min(v))) for k, v in times.items()}


def rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max |b|."""
    return float(np.abs(a - b).max() / np.abs(b).max())


def make_data(n_ch: int, seconds: float, sfreq: float, seed: int = 0) -> np.ndarray:
    """EMG-like test data in volts: bursts of noise, electrode offsets, 50 Hz."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sfreq)
    t = np.arange(n) / sfreq
    x = rng.standard_normal((n_ch, n)) * 5e-6
    gate = 1.0 + 9.0 * (np.sin(2 * np.pi * 0.25 * t) > 0.3)  # contractions
    x *= gate
    x += 2e-6 * np.sin(2 * np.pi * 50.0 * t + rng.uniform(0, 6, (n_ch, 1)))
    x += rng.uniform(-5e-3, 5e-3, (n_ch, 1))  # electrode offsets
    return x


def load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover
        return "n/a"


# ------------------------------------------------------------- offline chain


def designs(sfreq: float) -> tuple[np.ndarray, np.ndarray]:
    from scipy import signal as ss

    bp = ss.butter(4, [20.0, 450.0], btype="bandpass", output="sos", fs=sfreq)
    b, a = ss.iirnotch(50.0, 30.0, fs=sfreq)
    return bp, np.concatenate([b, a])[np.newaxis, :]


def rms_numpy(r: np.ndarray, n_win: int) -> np.ndarray:
    """Centred moving RMS with truncated end windows, scipy/numpy style."""
    from scipy.ndimage import uniform_filter1d

    n = r.shape[-1]
    i = np.arange(n)
    count = np.minimum(i + n_win - 1 - n_win // 2, n - 1) - np.maximum(i - n_win // 2, 0) + 1
    ms = uniform_filter1d(r * r, n_win, axis=-1, mode="constant") * (n_win / count)
    return np.sqrt(np.maximum(ms, 0.0))  # the running sum can dip below zero


def offline(x: np.ndarray, sfreq: float, repeats: int) -> tuple[list[list[str]], dict]:
    from scipy import signal as ss

    bp, nt = designs(sfreq)
    both = np.vstack([bp, nt])
    n_win = int(round(0.05 * sfreq))
    n_ch, n = x.shape

    def ours_sep():
        y = es.bandpass(x, sfreq, 20.0, 450.0, order=4)
        y = es.notch(y, sfreq, 50.0, harmonics=False, quality=30.0)
        return es.moving_rms(es.rectify(y), sfreq, 0.05)

    def ours_one():
        y = es.filter_emg(x, sfreq, l_freq=20.0, h_freq=450.0, order=4, notch=50.0,
                          harmonics=False, quality=30.0)
        return es.moving_rms(es.rectify(y), sfreq, 0.05)

    def scipy_sep():
        y = ss.sosfiltfilt(nt, ss.sosfiltfilt(bp, x, axis=-1), axis=-1)
        return rms_numpy(np.abs(y), n_win)

    def scipy_one():
        return rms_numpy(np.abs(ss.sosfiltfilt(both, x, axis=-1)), n_win)

    ours_sep()
    ours_one()  # compile / load kernels outside the timing
    results = timed_rounds({"ours_sep": ours_sep, "ours_one": ours_one,
                            "scipy_sep": scipy_sep, "scipy_one": scipy_one,
                            "copy": x.copy}, repeats)
    # steps of the chain, one at a time
    y = es.filter_emg(x, sfreq, notch=50.0, harmonics=False)
    steps = {
        "bandpass (zero-phase)": (lambda: es.bandpass(x, sfreq),
                                  lambda: ss.sosfiltfilt(bp, x, axis=-1)),
        "notch 50 Hz (zero-phase)": (lambda: es.notch(x, sfreq, 50.0, harmonics=False),
                                     lambda: ss.sosfiltfilt(nt, x, axis=-1)),
        "rectify": (lambda: es.rectify(y), lambda: np.abs(y)),
        "moving RMS 50 ms": (lambda: es.moving_rms(y, sfreq, 0.05),
                             lambda: rms_numpy(y, n_win)),
    }
    fns = {}
    for k, (a, b) in steps.items():
        fns[k + " ours"] = a
        fns[k + " scipy"] = b
    st = timed_rounds(fns, repeats)
    step_times = {k: (st[k + " ours"][0], st[k + " scipy"][0], st[k + " ours"][2],
                      st[k + " scipy"][2]) for k in steps}

    msamples = n_ch * n / 1e6
    best_scipy = min(results["scipy_sep"][0], results["scipy_one"][0])
    best_scipy_min = min(results["scipy_sep"][2], results["scipy_one"][2])
    rows = []

    def row(label, key, ref=None):
        t, _, t_min = results[key]
        diff = "" if ref is None else f"{rel_diff(results[key][1], results[ref][1]):.1e}"
        rows.append([label, f"{t * 1e3:.0f} / {t_min * 1e3:.0f}", f"{msamples / t:.0f}",
                     f"{best_scipy / t:.2f} / {best_scipy_min / t_min:.2f}", diff])

    row("emgcontrol, separate calls (bandpass, notch, rectify, moving_rms)", "ours_sep",
        "scipy_sep")
    row("emgcontrol, band-pass+notch one cascade (filter_emg, rectify, moving_rms)",
        "ours_one", "scipy_one")
    row("scipy/numpy, separate sosfiltfilt x2 + abs + uniform_filter1d", "scipy_sep")
    row("scipy/numpy, one sosfiltfilt (stacked sos) + abs + uniform_filter1d", "scipy_one")
    row("memory copy of the input (x.copy(), bandwidth floor)", "copy")
    info = {"best_scipy": best_scipy, "steps": step_times, "msamples": msamples}
    return rows, info


def peers(x1: np.ndarray, sfreq: float, n_ch: int, repeats: int) -> list[list[str]]:
    """NeuroKit2 / BioSPPy default chains on one channel, extrapolated to n_ch."""
    rows = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import neurokit2 as nk

        def nk_chain():
            clean = nk.emg_clean(x1, sampling_rate=int(sfreq))
            return nk.emg_amplitude(clean)

        t, _ = timed(nk_chain, repeats)
        rows.append([f"NeuroKit2 {nk.__version__}: emg_clean (100 Hz high-pass) + emg_amplitude "
                     "(TKEO + linear envelope); 1 channel", f"{t * 1e3:.0f}",
                     f"{t * n_ch * 1e3:.0f} (x{n_ch}, extrapolated)"])
    except ImportError:
        rows.append(["NeuroKit2: not installed (skipped)", "", ""])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import biosppy
            from biosppy.signals import tools

        def bio_chain():
            y, _, _ = tools.filter_signal(x1, ftype="butter", band="bandpass", order=4,
                                          frequency=[20.0, 450.0], sampling_rate=sfreq)
            y, _, _ = tools.filter_signal(y, ftype="butter", band="bandstop", order=2,
                                          frequency=[49.0, 51.0], sampling_rate=sfreq)
            return tools.smoother(np.abs(y), kernel="boxcar", size=int(0.05 * sfreq))

        t, _ = timed(bio_chain, repeats)
        rows.append([f"BioSPPy {biosppy.__version__}: filter_signal band-pass 20-450 + band-stop "
                     "49-51 (filtfilt, b/a) + |x| + boxcar smoother 50 ms; 1 channel",
                     f"{t * 1e3:.0f}", f"{t * n_ch * 1e3:.0f} (x{n_ch}, extrapolated)"])
    except ImportError:
        rows.append(["BioSPPy: not installed (skipped; it also needs peakutils)", "", ""])
    return rows


# ----------------------------------------------------------------- streaming


def stream(n_ch: int, sfreq: float, n_block: int, n_blocks: int) -> list[str]:
    from scipy import signal as ss

    x = make_data(n_ch, n_block * n_blocks / sfreq + 0.01, sfreq, seed=1)[:, :n_block * n_blocks]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 450 Hz edge adapted at 250 Hz
        pipe = es.Pipeline([es.BandPass(), es.Notch(50.0, harmonics=False), es.MovingRMS(0.05)],
                           sfreq, n_ch)
        low, high = es.default_band(sfreq)
    bp = ss.butter(4, [low, high], btype="bandpass", output="sos", fs=sfreq)
    b, a = ss.iirnotch(50.0, 30.0, fs=sfreq)
    nt = np.concatenate([b, a])[np.newaxis, :]
    n_win = int(round(0.05 * sfreq))
    blocks = [np.ascontiguousarray(x[:, i * n_block:(i + 1) * n_block]) for i in range(n_blocks)]

    state: dict[str, Any] = {}

    def scipy_block(blk):
        if not state:
            state["zb"] = ss.sosfilt_zi(bp)[:, None, :] * blk[None, :, :1]
            y0 = ss.sosfilt(bp, blk[:, :1], zi=state["zb"].copy())[0]
            state["zn"] = ss.sosfilt_zi(nt)[:, None, :] * y0[None, :, :1]
            state["tail"] = np.zeros((n_ch, 0))
            state["seen"] = 0
        y, state["zb"] = ss.sosfilt(bp, blk, zi=state["zb"])
        y, state["zn"] = ss.sosfilt(nt, y, zi=state["zn"])
        sq = np.concatenate([state["tail"], y * y], axis=1)
        cs = np.cumsum(sq, axis=1)
        cs = np.concatenate([np.zeros((n_ch, 1)), cs], axis=1)
        k = sq.shape[1]
        idx = np.arange(k - blk.shape[1] + 1, k + 1)
        lo = np.maximum(idx - n_win, 0)
        counts = np.minimum(state["seen"] + np.arange(1, blk.shape[1] + 1), n_win)
        out = np.sqrt(np.maximum((cs[:, idx] - cs[:, lo]) / counts, 0.0))
        state["tail"] = sq[:, -(n_win - 1):] if n_win > 1 else sq[:, :0]
        state["seen"] += blk.shape[1]
        return out

    for blk in blocks[:50]:  # warm (kernels, caches)
        pipe.process(blk)
    pipe.reset()
    t_ours = np.empty(len(blocks))
    t_sp = np.empty(len(blocks))
    out_ours, out_sp = [], []
    for i, blk in enumerate(blocks):  # interleaved: both see the same machine load
        t0 = time.perf_counter_ns()
        out_ours.append(pipe.process(blk))
        t1 = time.perf_counter_ns()
        out_sp.append(scipy_block(blk))
        t2 = time.perf_counter_ns()
        t_ours[i] = (t1 - t0) / 1e3
        t_sp[i] = (t2 - t1) / 1e3
    y_ours = np.concatenate(out_ours, axis=1)
    y_sp = np.concatenate(out_sp, axis=1)
    return [f"{n_ch} ch x {n_block} samples at {sfreq:g} Hz ({n_blocks} blocks)",
            f"{np.median(t_ours):.1f}", f"{np.percentile(t_ours, 99):.1f}",
            f"{np.median(t_sp):.1f}", f"{np.percentile(t_sp, 99):.1f}",
            f"{np.median(t_sp) / np.median(t_ours):.1f}", f"{rel_diff(y_ours, y_sp):.1e}"]


# ------------------------------------------------------------------ start-up


COLD = textwrap.dedent("""
    import json, time
    t0 = time.perf_counter()
    import emgcontrol
    t1 = time.perf_counter()
    import numpy as np
    import emgcontrol.signal as es
    t2 = time.perf_counter()
    mode = "{mode}"
    res = {{"import_emgcontrol": t1 - t0}}
    if mode == "warmup":
        res["warmup_live"] = es.warmup(offline=False)
        res["warmup_rest"] = es.warmup()
        t3 = time.perf_counter()
        pipe = es.Pipeline([es.BandPass(), es.Notch(50.0), es.MovingRMS(0.05)], 2000.0, 16)
        t4 = time.perf_counter()
        pipe.process(np.zeros((16, 20)))
        t5 = time.perf_counter()
        pipe.process(np.ones((16, 20)))
        t6 = time.perf_counter()
        res.update(pipeline_build=t4 - t3, first_block=t5 - t4, second_block=t6 - t5)
    else:
        x = np.random.default_rng(0).standard_normal((16, 20000))
        t3 = time.perf_counter()
        es.bandpass(x, 2000.0)
        t4 = time.perf_counter()
        es.bandpass(x, 2000.0)
        t5 = time.perf_counter()
        res.update(first_bandpass=t4 - t3, second_bandpass=t5 - t4)
    print(json.dumps(res))
""")


def startup(n: int) -> list[list[str]]:
    def fresh(mode: str) -> dict:
        out = subprocess.run([sys.executable, "-c", COLD.format(mode=mode)], check=True,
                             capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    subprocess.run([sys.executable, "-c", "import emgcontrol.signal as s; s.warmup()"],
                   check=True)  # make sure the numba cache is warm
    warm = [fresh("warmup") for _ in range(n)]
    off = [fresh("offline") for _ in range(n)]

    def med(rs, key):
        return float(np.median([r[key] for r in rs]))

    return [
        ["`import emgcontrol` (fresh process)",
         f"{med(warm + off, 'import_emgcontrol') * 1e3:.0f} ms"],
        ["`emgcontrol.signal.warmup(offline=False)` (numba import + cached live kernels)",
         f"{med(warm, 'warmup_live') * 1e3:.0f} ms"],
        ["then `warmup()` (the offline kernels too)", f"{med(warm, 'warmup_rest') * 1e3:.0f} ms"],
        ["build Pipeline(BandPass, Notch, MovingRMS) (imports scipy.signal for the design)",
         f"{med(warm, 'pipeline_build') * 1e3:.0f} ms"],
        ["first 16 x 20 block after warmup / second block",
         f"{med(warm, 'first_block') * 1e6:.0f} us / {med(warm, 'second_block') * 1e6:.0f} us"],
        ["first `bandpass` (16 x 20000, no warmup: scipy + numba import, cached kernel)",
         f"{med(off, 'first_bandpass') * 1e3:.0f} ms"],
        ["second `bandpass` (same data)", f"{med(off, 'second_bandpass') * 1e3:.1f} ms"],
    ]


# ---------------------------------------------------------------------- main


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small data (smoke test)")
    ap.add_argument("--repeats", type=int, default=None, help="repeats per timing")
    ap.add_argument("--threads", type=int, default=None,
                    help="numba threads for the offline kernels (default: all cores)")
    args = ap.parse_args(argv)
    quick = args.quick
    repeats = args.repeats or (3 if quick else 9)
    seconds = 20.0 if quick else 600.0
    sfreq, n_ch = 2000.0, 16
    import numba

    start_load = load()
    if args.threads:
        numba.set_num_threads(args.threads)
    es.warmup()
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet (the warm-up compiles serial ones)
        layer = "no parallel"
    print(f"# emgcontrol.signal benchmark{' (--quick)' if quick else ''}\n")
    print(f"Python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}"
          f" ({numba.get_num_threads()} threads, {layer} layer), {os.cpu_count()} CPUs; "
          f"load average at start {start_load}\n")
    x = make_data(n_ch, seconds, sfreq)
    print(f"## Offline chain: {n_ch} ch x {seconds:g} s at {sfreq:g} Hz "
          f"({n_ch * x.shape[1] / 1e6:.1f} Msamples), median of {repeats}\n")
    rows, info = offline(x, sfreq, repeats)
    print(table(["chain", "time (ms) median / min", "Msamples/s (median)",
                 "speed-up vs best scipy/numpy, median / min",
                 "max rel. diff vs scipy/numpy same recipe"], rows))
    print()
    print(table(["step (alone)", "emgcontrol (ms) median / min",
                 "scipy/numpy (ms) median / min", "speed-up median / min"],
                [[k, f"{a * 1e3:.0f} / {c * 1e3:.0f}", f"{b * 1e3:.0f} / {d * 1e3:.0f}",
                  f"{b / a:.1f} / {d / c:.1f}"]
                 for k, (a, b, c, d) in info["steps"].items()]))
    print("\n(min: the least disturbed of the repeats, closest to an idle machine)")
    print()
    print("Peers (their own default chains, not the same filters; timed on one channel):\n")
    print(table(["peer chain", "1 channel (ms)", f"{n_ch} channels (ms)"],
                peers(np.ascontiguousarray(x[0]), sfreq, n_ch, max(1, repeats // 3))))
    print()
    n_blocks = 2000 if quick else 20000
    print("## Streaming: band-pass + 50 Hz notch + 50 ms moving RMS, per block (us)\n")
    print(table(["blocks", "emgcontrol median", "emgcontrol p99", "scipy+numpy median",
                 "scipy+numpy p99", "speed-up (median)", "max rel. diff"],
                [stream(16, 2000.0, 20, n_blocks), stream(8, 250.0, 5, n_blocks)]))
    print()
    print("## Start-up (fresh processes, warm numba cache; median of "
          f"{2 if quick else 5})\n")
    print(table(["what", "time"], startup(2 if quick else 5)))
    print(f"\nload average at end {load()}")


if __name__ == "__main__":
    main()
