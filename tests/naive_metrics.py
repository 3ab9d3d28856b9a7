"""Plain-NumPy reference versions of the metrics (slow, obvious loops).

Each function follows the textbook definition directly so that the optimised code
in ``emgcontrol.metrics`` can be checked against it.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np


# ---------------------------------------------------------------- amount
def rms(x):
    return math.sqrt(sum(float(v) ** 2 for v in x) / len(x))


def arv(x):
    return sum(abs(float(v)) for v in x) / len(x)


def iemg(x, sfreq):
    return sum(abs(float(v)) for v in x) / sfreq


def peak_moving_rms(x, n):
    """Largest RMS over all windows of n samples fully inside x."""
    best = -1.0
    for i in range(len(x) - n + 1):
        best = max(best, rms(x[i:i + n]))
    return best


def peak_moving_arv(x, n):
    best = -1.0
    for i in range(len(x) - n + 1):
        best = max(best, arv(x[i:i + n]))
    return best


def segment_samples(start, stop, sfreq, n_times):
    i0 = max(0, int(math.ceil(start * sfreq - 1e-9)))
    i1 = min(n_times, int(math.ceil(stop * sfreq - 1e-9)))
    return i0, i1


# ------------------------------------------------------- co-contraction
def falconer(a, b):
    common = [min(x, y) for x, y in zip(a, b)]
    tot = [x + y for x, y in zip(a, b)]
    area = lambda v: sum((v[i] + v[i + 1]) / 2 for i in range(len(v) - 1))  # noqa: E731
    return 2 * area(common) / area(tot) * 100


def rudolph(a, b):
    vals = []
    for x, y in zip(a, b):
        lo, hi = min(x, y), max(x, y)
        vals.append(0.0 if hi == 0 else lo / hi * (lo + hi))
    return sum(vals) / len(vals)


def unnithan(a, b):
    common = [min(x, y) for x, y in zip(a, b)]
    n = len(common)
    dt = 100.0 / (n - 1)
    return sum((common[i] + common[i + 1]) / 2 * dt for i in range(n - 1))


# ------------------------------------------------------------- timing
def first_onsets(rows):
    """trial -> {channel: first onset} from dict rows."""
    out = {}
    for r in rows:
        d = out.setdefault(r["trial"], {})
        if r["channel"] not in d or r["onset"] < d[r["channel"]]:
            d[r["channel"]] = r["onset"]
    return out


def kendall_w(ranks):
    """Kendall's W from its definition, with the tie correction, loops only."""
    m = len(ranks)
    n = len(ranks[0])
    sums = [sum(ranks[i][j] for i in range(m)) for j in range(n)]
    mean = sum(sums) / n
    s = sum((r - mean) ** 2 for r in sums)
    t = 0.0
    for row in ranks:
        counts = {}
        for v in row:
            counts[v] = counts.get(v, 0) + 1
        t += sum(c ** 3 - c for c in counts.values())
    return 12 * s / (m * m * (n ** 3 - n) - m * t)


def average_ranks(values):
    """1-based ranks, ties (exactly equal values) share the mean rank."""
    order = sorted(range(len(values)), key=lambda k: values[k])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j + 2) / 2
        i = j + 1
    return ranks


def relative_latencies(first, channels):
    out = {}
    for a, b in combinations(channels, 2):
        if a in first and b in first:
            out[(a, b)] = first[b] - first[a]
    return out


# ------------------------------------------------------------ spectra
def median_frequency(f, p):
    """Frequency where the cumulative power reaches half, linear interpolation."""
    total = sum(p)
    half = total / 2
    acc = 0.0
    for k in range(len(p)):
        prev = acc
        acc += p[k]
        if acc >= half:
            if k == 0:
                return f[0]
            frac = (half - prev) / (acc - prev) if acc > prev else 0.0
            return f[k - 1] + frac * (f[k] - f[k - 1])
    return f[-1]


def mean_frequency(f, p):
    return sum(fi * pi for fi, pi in zip(f, p)) / sum(p)


def hann_periodogram(x, sfreq):
    """One-sided periodogram of a Hann-windowed, mean-removed frame (density)."""
    x = np.asarray(x, float) - np.mean(x)
    n = len(x)
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)  # periodic Hann (scipy default)
    X = np.fft.rfft(x * w)
    p = (np.abs(X) ** 2) / (sfreq * np.sum(w ** 2))
    if n % 2 == 0:
        p[1:-1] *= 2
    else:
        p[1:] *= 2
    return np.fft.rfftfreq(n, 1 / sfreq), p


def linear_fit(t, y):
    n = len(t)
    tm = sum(t) / n
    ym = sum(y) / n
    slope = sum((a - tm) * (b - ym) for a, b in zip(t, y)) / sum((a - tm) ** 2 for a in t)
    return slope, ym - slope * tm


# ---------------------------------------------------------------- NMF
def vaf(v, w, h):
    v = np.asarray(v, float)
    rec = np.asarray(w, float) @ np.asarray(h, float)
    num = sum(float((v[i, j] - rec[i, j]) ** 2) for i in range(v.shape[0])
              for j in range(v.shape[1]))
    den = sum(float(v[i, j] ** 2) for i in range(v.shape[0]) for j in range(v.shape[1]))
    return 1 - num / den
