"""numba kernels of :mod:`emgcontrol.onset`: one per detection method.

Every kernel processes a block ``x`` of shape ``(n_channels, n_block)``
(C-contiguous float64, already band-passed) sample by sample and keeps its
whole state in arrays owned by the caller, so the offline detector (one call
on the whole signal) and the streaming :class:`~emgcontrol.onset.OnsetDetector`
(one call per block) run the same code from the same state and give the same
events.

Layout shared by all kernels
----------------------------
``ist`` (n_channels, N_ISTATE) int64
    Sample counter, detector mode (0 waiting for a quiet stretch, 1 idle,
    2 active), run lengths and starts, pending-onset bookkeeping, ring position.
``fst`` (n_channels, N_FSTATE) float64
    Running window sum, last two samples (TKEO, Bonato), held statistic.
``iprm`` int64 parameters (indices ``P_*``): durations in samples, refinement.
``fprm`` float64 parameters (indices ``Q_*``): Bonato's zeta.
``thr_on``, ``thr_off``, ``sig0`` (n_channels,)
    On and off thresholds on the statistic scale; baseline power (V**2) of the
    band-passed signal (Bonato normalisation, likelihood refinement).
``wring`` (n_channels, n_window)
    Terms inside the trailing window.
``pring`` (n_channels, n_history)
    Last ``n_history`` squared samples, for the likelihood refinement.
``ev`` (n_channels, capacity, 2) int64, ``nev`` (n_channels,) int64
    Events written by the call: ``(1, sample)`` onset, ``(0, sample)`` offset
    (first sample after the activity; without refinement, the first sample of
    the quiet stretch that ended the activation).
``stat`` (n_channels, n_block) or (n_channels, 0) float64
    The detection statistic, written when it has ``n_block`` columns.

The per-sample helpers take one channel's rows of these arrays (``ic = ist[c]``,
``fc``, ``wc``, ``pc``, ``evc``), taken once per block: one-dimensional indexing
is less code for numba to type and lower than ``ist[c, ...]`` everywhere.

Detector (all methods)
----------------------
An activation starts when the statistic stays at or above ``thr_on`` for
``n_on`` samples and ends when it stays below ``thr_off`` for ``n_off``
samples.  Detection is armed only after ``n_arm`` quiet samples, so activity
already present at the start of the data (whose onset was not recorded) and
filter start-up transients are not reported as onsets.  The onset reported is
the method's own estimate (start of the window that first crossed, Bonato's
first exceeding pair), or, with refinement, the maximum-likelihood onset time
under a Gaussian variance model: baseline power ``sig0`` before the onset,
rising linearly in amplitude over ``n_ramp`` samples to the burst power
measured after detection (Staude et al. 2001's maximum-likelihood change time,
generalised from a step to a ramp; ``n_ramp = 0`` is the step).  The
refinement looks back ``n_look`` samples (never before the previous offset)
and ahead ``n_ahead`` samples, so the onset event is emitted ``n_ahead``
samples after the run started.  Offsets are refined the same way on the
time-reversed squared samples from ``n_look`` before the statistic last
reached the on threshold to the confirmation of the quiet run.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from numba import njit, prange
from numba.core.errors import NumbaPerformanceWarning

# ---------------------------------------------------------------- state layout
I_SAMPLE = 0       # absolute index of the next sample
I_MODE = 1         # 0 waiting for quiet, 1 idle, 2 active
I_QUIET = 2        # quiet samples seen while waiting
I_RUN = 3          # length of the current above-threshold run (idle)
I_RUN_START = 4    # first sample of that run
I_NATIVE = 5       # method's own onset estimate at the run start
I_BELOW = 6        # length of the current below-threshold run (active)
I_BELOW_START = 7  # first sample of that run
I_PENDING = 8      # 1 while an onset waits for its refinement
I_PEND_START = 9   # run start of the pending onset
I_PEND_NATIVE = 10  # native estimate of the pending onset
I_PEND_DUE = 11    # sample count at which the pending onset is resolved
I_LAST_OFF = 12    # sample of the last offset (refinement never looks before it)
I_WPOS = 13        # position in the window ring
I_MASK = 14        # Bonato: exceedance bits of the last n test values
I_LAST_ON = 15     # sample of the last onset emitted
I_LAST_ABOVE = 16  # last sample at or above thr_on while active
N_ISTATE = 18

F_ACC = 0          # running sum of the window terms
F_PREV1 = 1        # previous sample
F_PREV2 = 2        # sample before it
F_STAT = 3         # statistic held between Bonato test values
F_NATIVE = 4       # Bonato: native onset held between test values
N_FSTATE = 6

P_N_ON = 0         # samples above thr_on to confirm an onset
P_N_OFF = 1        # samples below thr_off to confirm an offset
P_N_ARM = 2        # quiet samples before detection is armed
P_REFINE = 3       # 1: likelihood refinement, 0: native onset
P_N_LOOK = 4       # refinement look-back, samples
P_N_AHEAD = 5      # refinement look-ahead, samples
P_N_RAMP = 6       # ramp of the likelihood model, samples
P_BON_M = 7        # Bonato: exceedances needed ...
P_BON_N = 8        # ... among the last n test values
N_IPRM = 10

Q_ZETA = 0         # Bonato's threshold on the test function
N_FPRM = 2

KIND_OFFSET = 0
KIND_ONSET = 1


def history_length(n_look: int, n_ahead: int, n_on: int, n_off: int) -> int:
    """Length of the squared-sample ring needed by the refinement."""
    return 2 * int(n_look) + max(int(n_ahead), int(n_on), int(n_off)) + 2


# ------------------------------------------------------------ shared helpers


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _emit(kind, sample, evc, nev, c):  # pragma: no cover - jitted
    """Append event ``(kind, sample)`` to channel ``c``: its rows ``evc`` of ``ev``."""
    k = nev[c]
    if k < evc.shape[0]:
        evc[k, 0] = kind
        evc[k, 1] = sample
    nev[c] = k + 1


@njit(cache=True, nogil=True, error_model="numpy")
def ml_onset(seg, start, sig0, n_ramp):  # pragma: no cover - jitted
    """Maximum-likelihood onset index in ``seg`` (squared samples).

    Model: variance ``sig0`` before the onset ``T``, then
    ``sig0 + a2 * min(1, (k - T + 0.5) / n_ramp) ** 2``; ``a2`` is the mean of
    the second half of ``seg[start:]`` minus ``sig0``.  Returns -1 when ``seg[start:]`` is not
    above the baseline power.
    """
    n = seg.shape[0]
    if n < 2 or start >= n:
        return -1
    a0 = start + (n - start) // 2  # plateau power: second half of the look-ahead
    a2 = 0.0
    for k in range(a0, n):
        a2 += seg[k]
    a2 = a2 / (n - a0) - sig0
    if a2 <= 0.0:
        return -1
    vpl = sig0 + a2
    lb = math.log(sig0)
    lp = math.log(vpl)
    cb = np.empty(n + 1)  # log-likelihood of seg[:T] under the baseline
    cb[0] = 0.0
    for k in range(n):
        cb[k + 1] = cb[k] - 0.5 * (seg[k] / sig0 + lb)
    cp = np.empty(n + 1)  # log-likelihood of seg[T:] under the plateau
    cp[n] = 0.0
    for k in range(n - 1, -1, -1):
        cp[k] = cp[k + 1] - 0.5 * (seg[k] / vpl + lp)
    # the ramp's variances do not depend on T: their inverses and the running sum
    # of their logs are computed once, so each candidate costs n_ramp multiply-adds
    # (no log or division per term: 30-50x less work per onset)
    w = np.empty(n_ramp)
    lv = np.empty(n_ramp + 1)
    lv[0] = 0.0
    for j in range(n_ramp):
        f = (j + 0.5) / n_ramp
        v = sig0 + a2 * f * f
        w[j] = 1.0 / v
        lv[j + 1] = lv[j] + math.log(v)
    best = -math.inf
    best_t = 0
    for t in range(n):
        end = min(n, t + n_ramp)
        acc = 0.0
        for k in range(t, end):
            acc += seg[k] * w[k - t]
        ll = cb[t] - 0.5 * (acc + lv[end - t]) + cp[end]
        if ll > best:
            best = ll
            best_t = t
    return best_t


@njit(cache=True, nogil=True, error_model="numpy")
def _resolve(hi, ic, iprm, pc, s0, evc, nev, c):  # pragma: no cover - jitted
    """Emit the pending onset of channel ``c`` using squared samples before ``hi``."""
    h = pc.shape[0]
    start = ic[I_PEND_START]
    native = ic[I_PEND_NATIVE]
    lo = max(start - iprm[P_N_LOOK], ic[I_LAST_OFF], hi - h, 0)
    onset = native
    if hi - lo >= 2 and start < hi and s0 > 0.0:
        seg = np.empty(hi - lo)
        for k in range(lo, hi):
            seg[k - lo] = pc[k % h]
        t = ml_onset(seg, start - lo, s0, iprm[P_N_RAMP])
        if t >= 0:
            onset = lo + t
    if onset < ic[I_LAST_OFF]:
        onset = ic[I_LAST_OFF]
    ic[I_PENDING] = 0
    ic[I_LAST_ON] = onset
    _emit(KIND_ONSET, onset, evc, nev, c)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _offset(bs, hi, ic, iprm, pc, s0):  # pragma: no cover - jitted
    """Offset sample of a channel: first sample of the quiet run ``bs``, or with
    refinement the maximum-likelihood end of activity in ``[ref - n_look, hi)``,
    ``ref`` the last sample at or above the on threshold (the onset model applied
    to the time-reversed squared samples)."""
    off = bs
    if iprm[P_REFINE] == 1 and s0 > 0.0:
        h = pc.shape[0]
        # from n_look before the statistic last reached the on threshold (the burst
        # was surely active then), or before the quiet run if that is later
        ref = min(bs, ic[I_LAST_ABOVE] + 1)
        lo = max(ref - iprm[P_N_LOOK], ic[I_LAST_ON] + 1, hi - h, 0)
        if hi - lo >= 2 and bs > lo:
            n = hi - lo
            seg = np.empty(n)
            for k in range(lo, hi):
                seg[hi - 1 - k] = pc[k % h]  # reversed: the burst comes last
            t = ml_onset(seg, hi - bs, s0, iprm[P_N_RAMP])
            if t >= 0:
                off = hi - t
    if off <= ic[I_LAST_ON]:
        off = ic[I_LAST_ON] + 1
    return off


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _machine(a, s, native_now, t_on, t_off, s0, ic, iprm, pc, evc, nev,
             c):  # pragma: no cover - jitted
    """Advance the on/off state machine of channel ``c`` by sample ``a``."""
    mode = ic[I_MODE]
    if mode == 0:
        if s < t_off:
            ic[I_QUIET] += 1
            if ic[I_QUIET] >= iprm[P_N_ARM]:
                ic[I_MODE] = 1
                ic[I_RUN] = 0
        else:
            ic[I_QUIET] = 0
        return
    if mode == 1:
        if s >= t_on:
            if ic[I_RUN] == 0:
                ic[I_RUN_START] = a
                ic[I_NATIVE] = max(native_now, ic[I_LAST_OFF])
            ic[I_RUN] += 1
            if ic[I_RUN] >= iprm[P_N_ON]:
                ic[I_MODE] = 2
                ic[I_LAST_ABOVE] = a
                ic[I_BELOW] = 0
                if iprm[P_REFINE] == 1:
                    ic[I_PENDING] = 1
                    ic[I_PEND_START] = ic[I_RUN_START]
                    ic[I_PEND_NATIVE] = ic[I_NATIVE]
                    ic[I_PEND_DUE] = ic[I_RUN_START] + iprm[P_N_AHEAD]
                    if a + 1 >= ic[I_PEND_DUE]:
                        _resolve(a + 1, ic, iprm, pc, s0, evc, nev, c)
                else:
                    ic[I_LAST_ON] = ic[I_NATIVE]
                    _emit(KIND_ONSET, ic[I_NATIVE], evc, nev, c)
        else:
            ic[I_RUN] = 0
        return
    # active
    if s >= t_on:
        ic[I_LAST_ABOVE] = a
    if ic[I_PENDING] == 1 and a + 1 >= ic[I_PEND_DUE]:
        _resolve(a + 1, ic, iprm, pc, s0, evc, nev, c)
    if s < t_off:
        if ic[I_BELOW] == 0:
            ic[I_BELOW_START] = a
        ic[I_BELOW] += 1
        if ic[I_BELOW] >= iprm[P_N_OFF]:
            bs = ic[I_BELOW_START]
            if ic[I_PENDING] == 1:
                _resolve(max(bs, ic[I_PEND_START] + 1), ic, iprm, pc, s0, evc, nev, c)
            off = _offset(bs, a + 1, ic, iprm, pc, s0)
            _emit(KIND_OFFSET, off, evc, nev, c)
            ic[I_LAST_OFF] = off
            ic[I_MODE] = 1
            ic[I_RUN] = 0
    else:
        ic[I_BELOW] = 0


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _window_push(term, fc, ic, wc):  # pragma: no cover - jitted
    """Add ``term`` to a channel's trailing window (its rows ``fc``, ``ic``, ``wc``); return the mean."""
    nw = wc.shape[0]
    pos = ic[I_WPOS]
    fc[F_ACC] += term - wc[pos]
    wc[pos] = term
    pos += 1
    if pos == nw:
        pos = 0
        acc = 0.0  # exact re-summation once per window length: no drift
        for k in range(nw):
            acc += wc[k]
        fc[F_ACC] = acc
    ic[I_WPOS] = pos
    count = min(ic[I_SAMPLE] + 1, nw)
    m = fc[F_ACC] / count
    return m if m > 0.0 else 0.0


# ---------------------------------------------------------- per-method rows


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _hodges_row(c, x, thr_on, thr_off, sig0, iprm, ist, fst, wring, pring, ev, nev,
                stat):  # pragma: no cover - jitted
    """Hodges & Bui (1996): trailing mean of the rectified signal."""
    ic = ist[c]
    fc = fst[c]
    pc = pring[c]
    evc = ev[c]
    xc = x[c]
    sc = stat[c]
    t_on = thr_on[c]
    t_off = thr_off[c]
    s0 = sig0[c]
    wc = wring[c]
    nw = wc.shape[0]
    h = pc.shape[0]
    write = stat.shape[1] == x.shape[1]
    for j in range(x.shape[1]):
        a = ic[I_SAMPLE]
        v = xc[j]
        pc[a % h] = v * v
        s = _window_push(abs(v), fc, ic, wc)
        if write:
            sc[j] = s
        _machine(a, s, max(a - nw + 1, 0), t_on, t_off, s0, ic, iprm, pc, evc, nev, c)
        ic[I_SAMPLE] = a + 1


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _aglr_row(c, x, thr_on, thr_off, sig0, iprm, ist, fst, wring, pring, ev, nev,
              stat):  # pragma: no cover - jitted
    """Approximate GLR (Staude et al. 2001): trailing RMS against a GLR threshold."""
    ic = ist[c]
    fc = fst[c]
    pc = pring[c]
    evc = ev[c]
    xc = x[c]
    sc = stat[c]
    t_on = thr_on[c]
    t_off = thr_off[c]
    s0 = sig0[c]
    wc = wring[c]
    nw = wc.shape[0]
    h = pc.shape[0]
    write = stat.shape[1] == x.shape[1]
    for j in range(x.shape[1]):
        a = ic[I_SAMPLE]
        v = xc[j]
        p = v * v
        pc[a % h] = p
        s = math.sqrt(_window_push(p, fc, ic, wc))
        if write:
            sc[j] = s
        _machine(a, s, max(a - nw + 1, 0), t_on, t_off, s0, ic, iprm, pc, evc, nev, c)
        ic[I_SAMPLE] = a + 1


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _tkeo_row(c, x, thr_on, thr_off, sig0, iprm, ist, fst, wring, pring, ev, nev,
              stat):  # pragma: no cover - jitted
    """Solnik et al. (2010): trailing mean of the rectified Teager-Kaiser energy.

    The operator needs the next sample, so the value computed at sample ``a``
    belongs to sample ``a - 1`` (one sample of delay, accounted for in the
    native onset).
    """
    ic = ist[c]
    fc = fst[c]
    pc = pring[c]
    evc = ev[c]
    xc = x[c]
    sc = stat[c]
    t_on = thr_on[c]
    t_off = thr_off[c]
    s0 = sig0[c]
    wc = wring[c]
    nw = wc.shape[0]
    h = pc.shape[0]
    write = stat.shape[1] == x.shape[1]
    for j in range(x.shape[1]):
        a = ic[I_SAMPLE]
        v = xc[j]
        pc[a % h] = v * v
        p1 = fc[F_PREV1]
        psi = p1 * p1 - fc[F_PREV2] * v
        fc[F_PREV2] = p1
        fc[F_PREV1] = v
        s = _window_push(abs(psi), fc, ic, wc)
        if write:
            sc[j] = s
        _machine(a, s, max(a - nw, 0), t_on, t_off, s0, ic, iprm, pc, evc, nev, c)
        ic[I_SAMPLE] = a + 1


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _bonato_row(c, x, thr_on, thr_off, sig0, iprm, fprm, ist, fst, pring, ev, nev,
                stat):  # pragma: no cover - jitted
    """Bonato et al. (1998) double threshold.

    Test function ``g = (x[k-1]**2 + x[k]**2) / sig0`` on consecutive pairs
    (odd ``k``); the statistic is the number of the last ``n`` test values at or
    above ``zeta``; the native onset is the first sample of the oldest exceeding
    pair in that group.
    """
    ic = ist[c]
    fc = fst[c]
    pc = pring[c]
    evc = ev[c]
    xc = x[c]
    sc = stat[c]
    t_on = thr_on[c]
    t_off = thr_off[c]
    s0 = sig0[c]
    h = pc.shape[0]
    nn = iprm[P_BON_N]
    full = (1 << nn) - 1
    zeta = fprm[Q_ZETA]
    write = stat.shape[1] == x.shape[1]
    inv = 1.0 / s0 if s0 > 0.0 else 0.0
    for j in range(x.shape[1]):
        a = ic[I_SAMPLE]
        v = xc[j]
        pc[a % h] = v * v
        if a % 2 == 1:
            p1 = fc[F_PREV1]
            g = (p1 * p1 + v * v) * inv
            mask = ((ic[I_MASK] << 1) | (1 if g >= zeta else 0)) & full
            ic[I_MASK] = mask
            cnt = 0
            oldest = -1
            for b in range(nn):
                if (mask >> b) & 1:
                    cnt += 1
                    oldest = b
            fc[F_STAT] = cnt
            fc[F_NATIVE] = a - 2 * oldest - 1 if oldest >= 0 else a - 1
        fc[F_PREV1] = v
        s = fc[F_STAT]
        if write:
            sc[j] = s
        _machine(a, s, max(int(fc[F_NATIVE]), 0), t_on, t_off, s0, ic, iprm, pc, evc, nev, c)
        ic[I_SAMPLE] = a + 1


# ------------------------------------------------------------- the kernels

NO_PARFOR = {"prange": False, "fusion": False, "comprehension": False, "reduction": False,
             "inplace_binop": False, "setitem": False, "numpy": False, "stencil": False}
"""``parallel=`` options of the serial kernels: numba's parallel pipeline with every
parfor transformation off.  Nothing runs in threads, but the same row code compiled
this way ran 15-30x faster here than under the default pipeline (single thread,
16 ch x 60 s at 2 kHz: 1.6-6 against 29-61 Msamples/s, numba 0.68; the prange twins
owed their unexplained "4x per channel" to the same pipeline, not to threads).  The
pipeline warns that it found nothing to parallelise; that warning is silenced for
this module only."""

warnings.filterwarnings(
    "ignore", message=r"(?s).*no transformation for parallel execution was possible"
    r".*emgcontrol.onset._kernels\.py", category=NumbaPerformanceWarning)



@njit(cache=True, nogil=True, error_model="numpy", parallel=NO_PARFOR)
def hodges(x, thr_on, thr_off, sig0, iprm, fprm, ist, fst, wring, pring, ev, nev,
           stat):  # pragma: no cover - jitted
    """Hodges-Bui detector over every row (channel)."""
    for c in range(x.shape[0]):
        _hodges_row(c, x, thr_on, thr_off, sig0, iprm, ist, fst, wring, pring, ev, nev,
                    stat)


@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def hodges_par(x, thr_on, thr_off, sig0, iprm, fprm, ist, fst, wring, pring, ev, nev,
               stat):  # pragma: no cover - jitted
    """As :func:`hodges`, channels in a ``prange`` loop (large offline arrays only)."""
    for c in prange(x.shape[0]):
        _hodges_row(c, x, thr_on, thr_off, sig0, iprm, ist, fst, wring, pring, ev, nev, stat)


@njit(cache=True, nogil=True, error_model="numpy", parallel=NO_PARFOR)
def aglr(x, thr_on, thr_off, sig0, iprm, fprm, ist, fst, wring, pring, ev, nev,
         stat):  # pragma: no cover - jitted
    """Approximate GLR detector over every row (channel)."""
    for c in range(x.shape[0]):
        _aglr_row(c, x, thr_on, thr_off, sig0, iprm, ist, fst, wring, pring, ev, nev,
                  stat)


@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def aglr_par(x, thr_on, thr_off, sig0, iprm, fprm, ist, fst, wring, pring, ev, nev,
             stat):  # pragma: no cover - jitted
    """As :func:`aglr`, channels in a ``prange`` loop (large offline arrays only)."""
    for c in prange(x.shape[0]):
        _aglr_row(c, x, thr_on, thr_off, sig0, iprm, ist, fst, wring, pring, ev, nev, stat)


@njit(cache=True, nogil=True, error_model="numpy", parallel=NO_PARFOR)
def tkeo(x, thr_on, thr_off, sig0, iprm, fprm, ist, fst, wring, pring, ev, nev,
         stat):  # pragma: no cover - jitted
    """TKEO detector over every row (channel)."""
    for c in range(x.shape[0]):
        _tkeo_row(c, x, thr_on, thr_off, sig0, iprm, ist, fst, wring, pring, ev, nev,
                  stat)


@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def tkeo_par(x, thr_on, thr_off, sig0, iprm, fprm, ist, fst, wring, pring, ev, nev,
             stat):  # pragma: no cover - jitted
    """As :func:`tkeo`, channels in a ``prange`` loop (large offline arrays only)."""
    for c in prange(x.shape[0]):
        _tkeo_row(c, x, thr_on, thr_off, sig0, iprm, ist, fst, wring, pring, ev, nev, stat)


@njit(cache=True, nogil=True, error_model="numpy", parallel=NO_PARFOR)
def bonato(x, thr_on, thr_off, sig0, iprm, fprm, ist, fst, wring, pring, ev, nev,
           stat):  # pragma: no cover - jitted
    """Bonato detector over every row (channel); ``wring`` is unused."""
    for c in range(x.shape[0]):
        _bonato_row(c, x, thr_on, thr_off, sig0, iprm, fprm, ist, fst, pring, ev, nev,
                    stat)


@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def bonato_par(x, thr_on, thr_off, sig0, iprm, fprm, ist, fst, wring, pring, ev, nev,
               stat):  # pragma: no cover - jitted
    """As :func:`bonato`, channels in a ``prange`` loop (large offline arrays only)."""
    for c in prange(x.shape[0]):
        _bonato_row(c, x, thr_on, thr_off, sig0, iprm, fprm, ist, fst, pring, ev, nev, stat)


def flush(ist, iprm, pring, sig0, ev, nev):
    """End of data: resolve pending onsets and close open activations.

    Emits, per channel, the pending onset (refined on the samples available)
    and an offset at the sample count for an activation still open.  Plain
    Python around the compiled :func:`_resolve` (called once per channel at the
    end of the data, it needs no kernel of its own: one less to compile).
    """
    for c in range(ist.shape[0]):
        ic = ist[c]
        a = int(ic[I_SAMPLE])
        if ic[I_MODE] != 2:
            continue
        if ic[I_PENDING] == 1:
            _resolve(np.int64(a), ic, iprm, pring[c], np.float64(sig0[c]), ev[c], nev,
                     np.int64(c))
        k = int(nev[c])
        if k < ev.shape[1]:
            ev[c, k, 0] = KIND_OFFSET
            ev[c, k, 1] = a
        nev[c] = k + 1
        ic[I_LAST_OFF] = a
        ic[I_MODE] = 1
        ic[I_RUN] = 0
