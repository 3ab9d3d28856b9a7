"""Plain-NumPy/Python reference implementations of the onset detectors (test oracles).

Each function follows the definitions in ``emgcontrol.onset._kernels`` literally:
statistics are computed sample by sample from their definitions (no running
sums, no ring buffers), the detector is a plain loop over a list of samples,
and the maximum-likelihood onset evaluates the log-likelihood of every
candidate onset from scratch.
"""

from __future__ import annotations

import math

import numpy as np


def trailing_mean(t: np.ndarray, nw: int) -> np.ndarray:
    """Mean of ``t[i - nw + 1 .. i]`` (over the samples that exist at the start)."""
    out = np.empty(len(t))
    for i in range(len(t)):
        out[i] = np.mean(t[max(0, i - nw + 1):i + 1])
    return out


def statistic(method: str, y: np.ndarray, nw: int, sig0: float = 1.0, zeta: float = 0.0,
              n: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Detection statistic and native onset estimate at every sample."""
    idx = np.arange(len(y))
    if method == "hodges":
        return trailing_mean(np.abs(y), nw), np.maximum(idx - nw + 1, 0)
    if method == "aglr":
        return np.sqrt(trailing_mean(y * y, nw)), np.maximum(idx - nw + 1, 0)
    if method == "tkeo":
        yp = np.concatenate([[0.0, 0.0], y])  # two zeros before the first sample
        psi = yp[1:-1] ** 2 - yp[:-2] * yp[2:]  # value at a belongs to sample a - 1
        return trailing_mean(np.abs(psi), nw), np.maximum(idx - nw, 0)
    if method == "bonato":
        stat = np.zeros(len(y))
        native = np.zeros(len(y), dtype=int)
        flags: list[int] = []  # exceedance flags of the test values so far, oldest first
        cur, cur_nat = 0.0, 0
        for a in range(len(y)):
            if a % 2 == 1:
                g = (y[a - 1] ** 2 + y[a] ** 2) / sig0
                flags.append(1 if g >= zeta else 0)
                last = flags[-n:]
                cur = float(sum(last))
                ex = [b for b in range(len(last)) if last[len(last) - 1 - b]]
                cur_nat = a - 2 * max(ex) - 1 if ex else a - 1
            stat[a] = cur
            native[a] = max(cur_nat, 0)
        return stat, native
    raise ValueError(method)


def ml_onset(seg: np.ndarray, start: int, sig0: float, n_ramp: int) -> int:
    """Maximum-likelihood onset index in ``seg`` (see the kernel's docstring)."""
    n = len(seg)
    if n < 2 or start >= n:
        return -1
    a0 = start + (n - start) // 2
    a2 = float(np.mean(seg[a0:])) - sig0
    if a2 <= 0:
        return -1
    k = np.arange(n)
    best, best_t = -math.inf, 0
    for t in range(n):
        f = np.clip((k - t + 0.5) / n_ramp, 0.0, 1.0)
        v = sig0 + a2 * f * f
        v[k < t] = sig0
        ll = -0.5 * float(np.sum(seg / v + np.log(v)))
        if t == 0 or ll > best:
            best, best_t = ll, t
    return best_t


def detect(stat: np.ndarray, native: np.ndarray, p2: np.ndarray, thr_on: float,
           thr_off: float, sig0: float, *, n_on: int, n_off: int, n_arm: int, refine: bool,
           n_look: int, n_ahead: int, n_ramp: int) -> list[tuple[int, int]]:
    """The on/off state machine; returns (kind, sample) events (1 onset, 0 offset).

    With ``refine`` the offset is the maximum-likelihood end of activity: the
    onset model applied to the time-reversed squared samples.

    ``p2`` holds the squared samples.  Open activations are closed at the end
    (offset = number of samples), pending onsets resolved on the data available.
    """
    events: list[tuple[int, int]] = []
    mode, quiet, run, below = 0, 0, 0, 0
    run_start = native_run = below_start = 0
    last_off = 0
    last_on = 0
    last_above = 0
    hist = 2 * n_look + max(n_ahead, n_on, n_off) + 2  # samples the kernel keeps
    pending = None  # (run start, native, due)

    def resolve(hi: int) -> None:
        nonlocal pending, last_on
        start, nat, _ = pending
        lo = max(start - n_look, last_off, 0)
        onset = nat
        if hi - lo >= 2 and start < hi and sig0 > 0:
            t = ml_onset(p2[lo:hi], start - lo, sig0, n_ramp)
            if t >= 0:
                onset = lo + t
        last_on = max(onset, last_off)
        events.append((1, last_on))
        pending = None

    def offset(bs: int, hi: int) -> int:
        off = bs
        if refine and sig0 > 0:
            ref = min(bs, last_above + 1)
            lo = max(ref - n_look, last_on + 1, hi - hist, 0)
            if hi - lo >= 2 and bs > lo:
                t = ml_onset(p2[lo:hi][::-1], hi - bs, sig0, n_ramp)  # time-reversed
                if t >= 0:
                    off = hi - t
        return max(off, last_on + 1)

    for a, s in enumerate(stat):
        if mode == 0:
            if s < thr_off:
                quiet += 1
                if quiet >= n_arm:
                    mode, run = 1, 0
            else:
                quiet = 0
        elif mode == 1:
            if s >= thr_on:
                if run == 0:
                    run_start, native_run = a, max(int(native[a]), last_off)
                run += 1
                if run >= n_on:
                    mode, below, last_above = 2, 0, a
                    if refine:
                        pending = (run_start, native_run, run_start + n_ahead)
                        if a + 1 >= pending[2]:
                            resolve(a + 1)
                    else:
                        last_on = native_run
                        events.append((1, native_run))
            else:
                run = 0
        else:
            if s >= thr_on:
                last_above = a
            if pending is not None and a + 1 >= pending[2]:
                resolve(a + 1)
            if s < thr_off:
                if below == 0:
                    below_start = a
                below += 1
                if below >= n_off:
                    if pending is not None:
                        resolve(max(below_start, pending[0] + 1))
                    last_off = offset(below_start, a + 1)
                    events.append((0, last_off))
                    mode, run = 1, 0
            else:
                below = 0
    if mode == 2:
        if pending is not None:
            resolve(len(stat))
        events.append((0, len(stat)))
    return events
