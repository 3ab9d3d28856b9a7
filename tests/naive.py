"""Plain-NumPy reference implementations (slow, obvious) used as test oracles.

Each function works on the last axis of a 2-D array and computes every output
sample directly from its definition, without running sums or state.
"""

from __future__ import annotations

import numpy as np


def _term(x: np.ndarray, kind: str) -> np.ndarray:
    return {"mean": x, "rms": x * x, "arv": np.abs(x)}[kind]


def _finish(m: np.ndarray, kind: str) -> np.ndarray:
    return np.sqrt(m) if kind == "rms" else m


def moving_centred(x: np.ndarray, n_win: int, kind: str) -> np.ndarray:
    """Centred window ``[i - n//2, i + n - 1 - n//2]`` truncated at the ends."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n = x.shape[-1]
    t = _term(x, kind)
    out = np.empty_like(x)
    for i in range(n):
        lo = max(i - n_win // 2, 0)
        hi = min(i + n_win - 1 - n_win // 2, n - 1)
        out[:, i] = t[:, lo:hi + 1].mean(axis=-1)
    return _finish(out, kind)


def moving_trailing(x: np.ndarray, n_win: int, kind: str) -> np.ndarray:
    """Trailing window ``[i - n + 1, i]``; fewer samples at the start."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n = x.shape[-1]
    t = _term(x, kind)
    out = np.empty_like(x)
    for i in range(n):
        lo = max(i - n_win + 1, 0)
        out[:, i] = t[:, lo:i + 1].mean(axis=-1)
    return _finish(out, kind)


def tkeo_zero(x: np.ndarray) -> np.ndarray:
    """``x[n]**2 - x[n-1] x[n+1]`` with the end samples repeated."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    padded = np.concatenate([x[:, :1], x, x[:, -1:]], axis=-1)
    return padded[:, 1:-1] ** 2 - padded[:, :-2] * padded[:, 2:]


def tkeo_causal(x: np.ndarray) -> np.ndarray:
    """``x[n-1]**2 - x[n-2] x[n]`` with the first sample repeated before the start."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    padded = np.concatenate([x[:, :1], x[:, :1], x], axis=-1)
    return padded[:, 1:-1] ** 2 - padded[:, :-2] * padded[:, 2:]
