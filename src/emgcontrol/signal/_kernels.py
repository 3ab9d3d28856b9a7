"""numba kernels of :mod:`emgcontrol.signal`.

Every kernel takes arrays and scalars only (no globals) and works on rows:
``x`` has shape ``(n_rows, n_times)``, C-contiguous float64, one row per
channel.  The public functions in ``filters.py``, ``envelopes.py`` and
``stream.py`` validate and reshape their input, then call these kernels.

Conventions

* Kernels are serial and ``nogil``; large arrays run groups of rows in threads
  (:mod:`emgcontrol._threads`), which costs no second, parallel specialisation
  of each kernel (a ``prange`` twin took 3-4 s to compile cold here).  Each
  public kernel is meant to compile exactly once: float64 C-contiguous writable
  arrays and int64 scalars.  Integer constants passed between jitted functions
  go through ``np.int64(...)``: a bare literal (``0``, ``1``, ``-1``) is typed
  as ``Literal[int]`` and compiles a separate specialisation per value.
* One row function per algorithm serves offline and streaming use: state
  (filter delays, ring buffers, last samples) lives in arrays owned by the
  caller and is updated in place.
* Filters are second-order-section cascades in direct form II transposed with
  the operation order of ``scipy.signal.sosfilt``, so results are bit-equal to
  scipy when no FMA contraction happens (numba does not contract by default).
  Four channels are filtered in the same loop (``_cascade4``): their
  recursions are independent, which multiplies the instruction-level
  parallelism; the remaining one to three rows go one at a time (a two-row
  variant, faster for them, cost 0.3 s more to compile on first use).
  Measured here on one thread, 16 x 1.2 M samples, 4-section band-pass: one
  channel at a time 175 Msamples/s, four at a time 242 (a sample-major layout
  vectorised across 16 channels reached 206, needs a transposed copy and leaves
  one task for all threads); a single notch section gains 1.5x from four
  channels over two.
* Kernels that read raw input and whose output would not reveal a non-finite
  sample return a per-row check value in ``chk`` (the sum of ``x * 0``), which
  is NaN exactly when the row held NaN or inf; callers then locate the sample.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# --------------------------------------------------------------------------
# second-order-section cascade (direct form II transposed)
# --------------------------------------------------------------------------


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _cascade1(sos, z, x, ix, y, iy, n, step):  # pragma: no cover - jitted
    """Filter ``n`` samples of one channel.

    Reads ``x[ix], x[ix + step], ...`` and writes ``y[iy], y[iy + step], ...``
    (``x`` and ``y`` may be the same array); ``z`` (n_sections, 2) holds the
    delays and is updated in place.
    """
    n_sec = sos.shape[0]
    for k in range(n):
        xc = x[ix + k * step]
        for s in range(n_sec):
            xn = sos[s, 0] * xc + z[s, 0]
            z[s, 0] = sos[s, 1] * xc - sos[s, 4] * xn + z[s, 1]
            z[s, 1] = sos[s, 2] * xc - sos[s, 5] * xn
            xc = xn
        y[iy + k * step] = xc


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _cascade4(sos, za, zb, zc, zd, xa, xb, xc, xd, ix, ya, yb, yc, yd, iy, n,
              step):  # pragma: no cover - jitted
    """As :func:`_cascade1` for four channels in one loop."""
    n_sec = sos.shape[0]
    for k in range(n):
        i = ix + k * step
        ca = xa[i]
        cb = xb[i]
        cc = xc[i]
        cd = xd[i]
        for s in range(n_sec):
            b0 = sos[s, 0]
            b1 = sos[s, 1]
            b2 = sos[s, 2]
            a1 = sos[s, 4]
            a2 = sos[s, 5]
            na = b0 * ca + za[s, 0]
            nb = b0 * cb + zb[s, 0]
            nc = b0 * cc + zc[s, 0]
            nd = b0 * cd + zd[s, 0]
            za[s, 0] = b1 * ca - a1 * na + za[s, 1]
            zb[s, 0] = b1 * cb - a1 * nb + zb[s, 1]
            zc[s, 0] = b1 * cc - a1 * nc + zc[s, 1]
            zd[s, 0] = b1 * cd - a1 * nd + zd[s, 1]
            za[s, 1] = b2 * ca - a2 * na
            zb[s, 1] = b2 * cb - a2 * nb
            zc[s, 1] = b2 * cc - a2 * nc
            zd[s, 1] = b2 * cd - a2 * nd
            ca = na
            cb = nb
            cc = nc
            cd = nd
        j = iy + k * step
        ya[j] = ca
        yb[j] = cb
        yc[j] = cc
        yd[j] = cd


@njit(cache=True, nogil=True, error_model="numpy")
def _cascade_rows(sos, z, src, s0, ix, dst, d0, iy, n, step, m):  # pragma: no cover
    """Filter rows ``src[s0:s0 + m]`` into ``dst[d0:d0 + m]`` (delays ``z[:m]``).

    Rows go through the cascade four (then one) at a time: their
    recursions are independent, so interleaving them multiplies the
    instruction-level parallelism of a latency-bound loop.
    """
    j = 0
    while j < m:
        if m - j >= 4:
            _cascade4(sos, z[j], z[j + 1], z[j + 2], z[j + 3],
                      src[s0 + j], src[s0 + j + 1], src[s0 + j + 2], src[s0 + j + 3], ix,
                      dst[d0 + j], dst[d0 + j + 1], dst[d0 + j + 2], dst[d0 + j + 3], iy,
                      n, step)
            j += 4
        else:
            _cascade1(sos, z[j], src[s0 + j], ix, dst[d0 + j], iy, n, step)
            j += 1


@njit(cache=True, nogil=True, error_model="numpy")
def sosfilt(sos, zi, x, y):  # pragma: no cover - jitted
    """Causal SOS filtering of every row.

    Parameters
    ----------
    sos : (n_sections, 6) float64
    zi : (n_rows, n_sections, 2) float64, initial delays, updated in place to
        the final delays.
    x : (n_rows, n_times) float64
    y : (n_rows, n_times) float64, output (may be ``x``).
    """
    i0 = np.int64(0)
    _cascade_rows(sos, zi, x, i0, i0, y, i0, i0, x.shape[1], np.int64(1), x.shape[0])


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _filtfilt_rows(sos, zi_unit, x, y, edge, r0, m):  # pragma: no cover - jitted
    """Forward-backward filtering of rows ``r0 .. r0 + m - 1``.

    scipy's ``sosfiltfilt`` recipe: odd extension of ``edge`` samples at both
    ends, forward pass with delays ``zi_unit * ext[0]``, backward pass with
    delays ``zi_unit * fwd[-1]``.  The extended signal is never built: the
    forward pass reads the left extension, the row and the right extension in
    turn, writing the middle part straight into the output row and the ends into
    small buffers; the backward pass then runs in place over the right end and
    the output row, and stops at the first real sample (the left end of a
    forward-backward pass is discarded anyway).  No full-length scratch memory
    is needed, and ``y`` may be ``x``.
    """
    n = x.shape[1]
    n_sec = sos.shape[0]
    left = np.empty((m, edge))
    right = np.empty((m, edge))
    z = np.empty((m, n_sec, 2))
    for j in range(m):
        xr = x[r0 + j]
        x0 = xr[0]
        xl = xr[n - 1]
        for k in range(edge):
            left[j, k] = 2.0 * x0 - xr[edge - k]
            right[j, k] = 2.0 * xl - xr[n - 2 - k]
        e0 = left[j, 0] if edge > 0 else x0
        for s in range(n_sec):
            z[j, s, 0] = zi_unit[s, 0] * e0
            z[j, s, 1] = zi_unit[s, 1] * e0
    i0 = np.int64(0)
    fwd = np.int64(1)
    bwd = np.int64(-1)
    # forward: left extension (output discarded), rows, right extension
    _cascade_rows(sos, z, left, i0, i0, left, i0, i0, edge, fwd, m)
    _cascade_rows(sos, z, x, r0, i0, y, r0, i0, n, fwd, m)
    _cascade_rows(sos, z, right, i0, i0, right, i0, i0, edge, fwd, m)
    for j in range(m):
        e1 = right[j, edge - 1] if edge > 0 else y[r0 + j, n - 1]
        for s in range(n_sec):
            z[j, s, 0] = zi_unit[s, 0] * e1
            z[j, s, 1] = zi_unit[s, 1] * e1
    # backward: right extension (output discarded), then the rows in place
    _cascade_rows(sos, z, right, i0, edge - 1, right, i0, edge - 1, edge, bwd, m)
    _cascade_rows(sos, z, y, r0, n - 1, y, r0, n - 1, n, bwd, m)


@njit(cache=True, nogil=True, error_model="numpy")
def sosfiltfilt(sos, zi_unit, x, y, edge):  # pragma: no cover - jitted
    """Zero-phase (forward-backward) SOS filtering of every row.

    Parameters
    ----------
    sos : (n_sections, 6) float64
    zi_unit : (n_sections, 2) float64, ``sosfilt_zi(sos)``.
    x : (n_rows, n_times) float64, ``n_times > edge``.
    y : (n_rows, n_times) float64, output (may be ``x``).
    edge : int, padding length (odd extension) at each end.
    """
    n_rows = x.shape[0]
    four = np.int64(4)
    for r0 in range(0, n_rows, 4):
        _filtfilt_rows(sos, zi_unit, x, y, edge, np.int64(r0), min(four, n_rows - r0))


# --------------------------------------------------------------------------
# moving windows (mean, RMS, average rectified value)
# --------------------------------------------------------------------------
#
# Window sums use the van Herk / Gil-Werman block decomposition instead of a
# running sum (add the new sample, subtract the old one): the signal is cut
# into blocks of n_win samples, and the sum over any window of n_win samples is
# a prefix sum of the current block plus a suffix sum of the previous block.
# Nothing is ever subtracted, so for RMS and ARV (non-negative terms) every
# output is accurate to ~n_win * eps relative to ITS OWN value, whatever came
# before (a running sum carries the rounding error of a loud burst into the
# quiet samples after it, and can even go negative).  Same cost: about two
# additions per sample.


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _term(v, mode):  # pragma: no cover - jitted
    """The quantity a moving window averages: ``x`` (0), ``x**2`` (1), ``|x|`` (2)."""
    if mode == 1:
        return v * v
    if mode == 2:
        return abs(v)
    return v


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _finish(m, mode):  # pragma: no cover - jitted
    if mode == 1:
        return math.sqrt(m) if m > 0.0 else 0.0
    return m


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _moving_centred_row(x, y, t, n_win, mode):  # pragma: no cover - jitted
    """Centred moving mean (``mode=0``), RMS (1) or ARV (2) of one row.

    Output ``i`` covers samples ``i - n_win // 2 .. i + n_win - 1 - n_win // 2``
    (``scipy.ndimage.uniform_filter1d`` alignment); near the ends the window is
    truncated to the samples that exist and the mean is taken over them.
    ``y`` must not be ``x``; ``t`` (n_times,) is scratch space for the terms
    (computed once, so the summing loops below carry no ``mode`` branch: less
    code for numba to compile, same operations in the same order).  Returns the
    row's finiteness check value.
    """
    n = x.shape[0]
    h_lo = n_win // 2
    h_hi = n_win - 1 - h_lo
    chk = 0.0
    for i in range(n):
        v = x[i]
        chk += v * 0.0
        t[i] = _term(v, mode)
    # suffix sums of the previous block (suf[n_win] = 0) and of the current one;
    # the prefix sum running forwards and the suffix sum running backwards over
    # a block are independent chains, computed in the same loop
    suf = np.zeros(n_win + 1)
    nxt = np.zeros(n_win + 1)
    # trailing sums over [e - n_win + 1, e] land in y[e - h_hi]
    s = 0
    while s < n:
        stop = min(s + n_win, n)
        pre = 0.0
        if stop - s == n_win:
            acc = 0.0
            for o in range(n_win):
                pre += t[s + o]
                acc += t[s + n_win - 1 - o]
                nxt[n_win - 1 - o] = acc
                if s + o >= h_hi:
                    y[s + o - h_hi] = pre + suf[o + 1]
            suf, nxt = nxt, suf
        else:
            for e in range(s, stop):
                pre += t[e]
                if e >= h_hi:
                    y[e - h_hi] = pre + suf[e - s + 1]
        s = stop
    # windows that reach past the end: [max(i - h_lo, 0), n - 1], summed backwards
    acc = 0.0
    j = n - 1
    for i in range(n - 1, max(n - h_hi, 0) - 1, -1):
        lo = max(i - h_lo, 0)
        while j >= lo:
            acc += t[j]
            j -= 1
        y[i] = acc
    # divide by the number of samples in each window: n_win inside, fewer at the ends
    a = min(h_lo, n)
    b = max(n - h_hi, a)
    for i in range(a):
        y[i] = y[i] / (min(i + h_hi, n - 1) + 1)
    inv = float(n_win)
    ys = y[a:b]  # a slice indexed from 0 lets LLVM vectorise the loop
    for i in range(ys.shape[0]):
        ys[i] = ys[i] / inv
    for i in range(b, n):
        y[i] = y[i] / (n - max(i - h_lo, 0))
    if mode == 1:
        for i in range(n):
            m = y[i]
            y[i] = math.sqrt(m) if m > 0.0 else 0.0
    return chk


@njit(cache=True, nogil=True, error_model="numpy")
def moving_centred(x, y, n_win, mode, chk):  # pragma: no cover - jitted
    """Centred moving mean/RMS/ARV of every row (see :func:`_moving_centred_row`).

    ``chk`` (n_rows,) receives each row's finiteness check value.
    """
    t = np.empty(x.shape[1])
    for r in range(x.shape[0]):
        chk[r] = _moving_centred_row(x[r], y[r], t, n_win, mode)


@njit(cache=True, nogil=True, error_model="numpy")
def _moving_trailing_row(x, y, suf, cur, pre, pos, count, mode):  # pragma: no cover
    """Trailing (causal) moving mean/RMS/ARV of one row with carried state.

    Output ``i`` covers the last ``n_win`` samples up to ``i``; until ``n_win``
    samples were seen, the mean is over those seen so far.  State: ``cur``
    (n_win,) the terms of the current block, ``pre`` their sum so far, ``suf``
    (n_win,) the suffix sums of the previous block, ``pos`` the position in the
    block and ``count`` the samples seen (capped at ``n_win``).  Blocks are
    counted from the first sample, so results never depend on how the stream
    was cut.  ``y`` may be ``x``.
    """
    n_win = cur.shape[0]
    chk = 0.0
    for i in range(x.shape[0]):
        v = x[i]
        chk += v * 0.0
        t = _term(v, mode)
        cur[pos] = t
        pre += t
        if count < n_win:
            count += 1
        total = pre + suf[pos + 1] if pos + 1 < n_win else pre
        y[i] = _finish(total / count, mode)
        pos += 1
        if pos == n_win:
            acc = 0.0
            for j in range(n_win - 1, -1, -1):
                acc += cur[j]
                suf[j] = acc
            pre = 0.0
            pos = 0
    return pre, chk


@njit(cache=True, nogil=True, error_model="numpy")
def _moving_trailing_rows(x, y, suf, cur, pre, state, mode, chk, r):  # pragma: no cover
    p, c = _moving_trailing_row(x[r], y[r], suf[r], cur[r], pre[r], state[0], state[1], mode)
    pre[r] = p
    chk[r] = c


@njit(cache=True, nogil=True, error_model="numpy")
def moving_trailing(x, y, suf, cur, pre, state, mode, chk):  # pragma: no cover
    """Trailing moving mean/RMS/ARV of every row.

    ``suf``, ``cur`` (n_rows, n_win), ``pre`` (n_rows,) and ``state`` (2,)
    int64 = ``[pos, count]`` (shared by all rows) are updated in place; see
    :func:`_moving_trailing_row`.  Callers that split the rows into groups give
    each group its own copy of ``state`` (every group advances it equally).
    """
    n_rows, n = x.shape
    for r in range(n_rows):
        _moving_trailing_rows(x, y, suf, cur, pre, state, mode, chk, r)
    _advance_state(state, cur.shape[1], n)


@njit(cache=True, nogil=True, error_model="numpy")
def _advance_state(state, n_win, n):  # pragma: no cover - jitted
    state[0] = (state[0] + n) % n_win
    state[1] = min(state[1] + n, n_win)


# --------------------------------------------------------------------------
# rectification and Teager-Kaiser energy operator
# --------------------------------------------------------------------------


@njit(cache=True, nogil=True, error_model="numpy")
def _abs_row(x, y):  # pragma: no cover - jitted
    chk = 0.0
    for i in range(x.shape[0]):
        v = x[i]
        chk += v * 0.0
        y[i] = abs(v)
    return chk


@njit(cache=True, nogil=True, error_model="numpy")
def rectify(x, y, chk):  # pragma: no cover - jitted
    """Full-wave rectification ``y = |x|`` of every row."""
    for r in range(x.shape[0]):
        chk[r] = _abs_row(x[r], y[r])


@njit(cache=True, nogil=True, error_model="numpy")
def _tkeo_causal_row(x, y, st):  # pragma: no cover - jitted
    """Causal TKEO ``y[n] = x[n-1]**2 - x[n-2] * x[n]`` (one-sample delay).

    ``st = [x[n-1], x[n-2]]`` carries the last two samples between blocks.
    """
    p1 = st[0]
    p2 = st[1]
    chk = 0.0
    for i in range(x.shape[0]):
        v = x[i]
        chk += v * 0.0
        y[i] = p1 * p1 - p2 * v
        p2 = p1
        p1 = v
    st[0] = p1
    st[1] = p2
    return chk


@njit(cache=True, nogil=True, error_model="numpy")
def tkeo_causal(x, y, st, chk):  # pragma: no cover - jitted
    """Causal TKEO of every row; ``st`` (n_rows, 2) updated in place."""
    for r in range(x.shape[0]):
        chk[r] = _tkeo_causal_row(x[r], y[r], st[r])


@njit(cache=True, nogil=True, error_model="numpy")
def _tkeo_centred_row(x, y):  # pragma: no cover - jitted
    """``y[n] = x[n]**2 - x[n-1] * x[n+1]`` with ``x[-1] = x[0]``, ``x[N] = x[N-1]``."""
    n = x.shape[0]
    chk = 0.0
    for i in range(n):
        v = x[i]
        chk += v * 0.0
        prev = x[i - 1] if i > 0 else x[0]
        nxt = x[i + 1] if i + 1 < n else x[n - 1]
        y[i] = v * v - prev * nxt
    return chk


@njit(cache=True, nogil=True, error_model="numpy")
def tkeo_centred(x, y, chk):  # pragma: no cover - jitted
    """Zero-delay TKEO of every row."""
    for r in range(x.shape[0]):
        chk[r] = _tkeo_centred_row(x[r], y[r])
