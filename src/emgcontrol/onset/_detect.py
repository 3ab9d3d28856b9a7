"""Offline onset/offset detection: :func:`detect_onsets`."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np

from .._compile_notice import notice, wait_prefetch
from .._validate import as_float_2d, check_option, check_positive, check_sfreq
from ..errors import EmgcontrolError, EmgcontrolWarning, ValidationError
from ..hardware import CYTON_RAIL_V
from ._baseline import (CLEAR_ACTIVITY_DB, LOCAL_HALF_WINDOW_S, LOCAL_SEGMENT_S, REST_SPREAD_DB,
                        activity_contrast, block_log_power, local_rest_gain, longest_run,
                        quiet_blocks)
from ._table import Activation, Activations, ChannelStatus

__all__ = ["detect_onsets", "METHODS", "DEFAULT_METHOD", "DEFAULTS", "describe_method"]

METHODS = ("hodges", "aglr", "tkeo", "bonato")
"""Detection methods (see :func:`detect_onsets`)."""

DEFAULT_METHOD = "hodges"
"""Method used when none is given: the lowest tuning cost in
``benchmarks/bench_onsets.py --tune-ours`` (tuning seeds) and 56 of the 56 bursts of
the emgGO real recording."""

_COMMON = {"window": None, "refine": "ml", "look_back": 0.8, "look_ahead": 0.2,
           "ramp": 0.02}

DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "hodges": {**_COMMON, "threshold": 3.0, "off_threshold": 1.0, "min_on": 0.12,
               "min_off": 0.1},
    "tkeo": {**_COMMON, "threshold": 4.0, "off_threshold": 0.5, "min_on": 0.03,
             "min_off": 0.1},
    "aglr": {**_COMMON, "threshold": 10.0, "off_threshold": 0.5, "min_on": 0.015,
             "min_off": 0.1, "look_back": 1.2},
    "bonato": {**_COMMON, "threshold": 15.0, "m": 1, "n": 5, "min_on": 0.015,
               "min_off": 0.2, "look_ahead": 0.3},
}
"""Default parameters per method (durations in seconds), tuned by
``benchmarks/bench_onsets.py --tune-ours`` on simulator sessions (seeds 1000-1002)
that the benchmark tables do not use.

``window=None`` means ``WINDOW_REF[method] * 430 Hz / bandwidth`` (at most
:data:`MAX_AUTO_WINDOW`): the same number of degrees of freedom at every sampling
rate (hodges: 60 ms for the 20-450 Hz band at 1-2 kHz, 279 ms for the 20-112.5 Hz
band at 250 Hz)."""

WINDOW_REF: Mapping[str, float] = {"hodges": 0.06, "tkeo": 0.04, "aglr": 0.04,
                                   "bonato": 0.0}
"""Trailing-window length (s) at a 430 Hz bandwidth, per method."""

_REFERENCE_BANDWIDTH = 430.0

MAX_AUTO_WINDOW = 0.3
"""Upper limit (s) of the automatic window (reached at 125 Hz)."""

_STATISTICS = {
    "hodges": ("trailing mean of the rectified band-passed signal", "V"),
    "aglr": ("trailing RMS of the band-passed signal", "V"),
    "tkeo": ("trailing mean of the rectified Teager-Kaiser energy", "V**2"),
    "bonato": ("number of the last n Bonato test values at or above zeta", "count"),
}

_PARAM_DOCS = {
    "threshold": "on threshold: SD above the baseline mean (hodges, tkeo), GLR log-likelihood "
                 "ratio (aglr), test-function level zeta (bonato)",
    "off_threshold": "off threshold in the same unit (bonato: the same m-of-n rule)",
    "window": "trailing window, s (None: scaled to the band)",
    "min_on": "shortest time above the on threshold, s",
    "min_off": "shortest time below the off threshold that ends an activation, s",
    "refine": "'ml' (maximum-likelihood onset) or 'none' (the method's own estimate)",
    "ramp": "amplitude ramp of the likelihood model, s (0: step)",
    "look_back": "how far before the detection the onset is searched, s",
    "look_ahead": "data after the detection used by the refinement, s",
    "m": "bonato: exceedances needed ...", "n": "bonato: ... among n test values",
}

RAIL_V = CYTON_RAIL_V
"""Full scale of an OpenBCI Cyton at gain 24, V (:data:`emgcontrol.hardware.CYTON_RAIL_V`):
a channel constant at +/- this is railed."""


def describe_method(method: str) -> str:
    """Text description of a method's statistic and default parameters."""
    check_option("method", method, METHODS)
    stat, unit = _STATISTICS[method]
    lines = [f"{method}: statistic = {stat} ({unit})"]
    for k, v in DEFAULTS[method].items():
        lines.append(f"  {k} = {v!r}: {_PARAM_DOCS.get(k, '')}")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# configuration shared by the offline and streaming detectors
# --------------------------------------------------------------------------


PARALLEL_MIN_SAMPLES = 1 << 21
"""Samples (all channels) from which detection runs the parallel kernel twin.

About 2 M: 8 channels x 4 min at 1 kHz.  Below it the serial kernel takes well
under a second, less than compiling the twin would cost on first use.
"""


@dataclass
class Config:
    """Resolved detector settings (durations in samples and seconds)."""

    method: str
    sfreq: float
    params: dict[str, Any]
    l_freq: float | None
    h_freq: float | None
    notch: float | None
    notch_lines: tuple[float, ...]
    bandwidth: float
    sos: np.ndarray | None
    n_w: int
    n_on: int
    n_off: int
    n_arm: int
    n_look: int
    n_ahead: int
    n_ramp: int
    filter_delay: float  # samples
    offset_lag: float  # samples
    extra: dict[str, Any] = field(default_factory=dict)

    def iprm(self) -> np.ndarray:
        from . import _kernels as k

        out = np.zeros(k.N_IPRM, dtype=np.int64)
        out[k.P_N_ON] = self.n_on
        out[k.P_N_OFF] = self.n_off
        out[k.P_N_ARM] = self.n_arm
        out[k.P_REFINE] = 1 if self.params["refine"] == "ml" else 0
        out[k.P_N_LOOK] = self.n_look
        out[k.P_N_AHEAD] = self.n_ahead
        out[k.P_N_RAMP] = self.n_ramp
        if self.method == "bonato":
            out[k.P_BON_M] = int(self.params["m"])
            out[k.P_BON_N] = int(self.params["n"])
        return out

    def fprm(self) -> np.ndarray:
        from . import _kernels as k

        out = np.zeros(k.N_FPRM)
        if self.method == "bonato":
            out[k.Q_ZETA] = float(self.params["threshold"])
        return out

    def kernel(self, parallel: bool = False):
        """The numba kernel of the method; ``parallel`` for its ``prange`` twin.

        The serial kernel serves live blocks and ordinary recordings; the twin,
        compiled only when first needed (seconds, once, then cached), serves
        large offline arrays over its threads.  Both go through numba's parallel
        pipeline (the serial one with every parfor transformation off, see
        :data:`emgcontrol.onset._kernels.NO_PARFOR`): the same row code compiled
        by the default pipeline ran 15-30x slower here, which is what had made
        the twin look "4x faster per channel, even on one thread".
        """
        from . import _kernels as k

        return getattr(k, f"{self.method}_par" if parallel else self.method)

    @property
    def history(self) -> int:
        from ._kernels import history_length

        return history_length(self.n_look, self.n_ahead, self.n_on, self.n_off)

    @property
    def window_len(self) -> int:
        return max(self.n_w, 1)

    def settle_samples(self, db: float = 60.0) -> int:
        """Samples until the band-pass/notch cascade's impulse response has decayed
        ``db`` below its peak for good (0 without filtering): activity that starts
        at the first sample and ends before then cannot be told from the filters'
        start-up transient (a mains sinusoid entering the notch rings ~0.9 s)."""
        if self.sos is None:
            return 0
        from scipy.signal import sosfilt

        n = int(round(5.0 * self.sfreq))
        imp = np.zeros(n)
        imp[0] = 1.0
        h = np.abs(sosfilt(self.sos, imp))
        tail = np.maximum.accumulate(h[::-1])[::-1]  # largest |h| from each sample on
        below = np.flatnonzero(tail < h.max() * 10.0 ** (-db / 20.0))
        return int(below[0]) if below.size else n

    def min_samples(self) -> int:
        return max(2 * self.n_w + self.n_arm + self.n_on, int(round(0.5 * self.sfreq)))

    def public_params(self) -> dict[str, Any]:
        out = dict(self.params)
        out.update({"window": self.n_w / self.sfreq if self.method != "bonato" else None,
                    "l_freq": self.l_freq, "h_freq": self.h_freq, "notch": self.notch,
                    "notch_lines": list(self.notch_lines),
                    "filter_delay": self.filter_delay / self.sfreq,
                    "offset_lag": self.offset_lag / self.sfreq})
        out.update(self.extra)
        return out


def _check_duration(name: str, value: Any, *, allow_zero: bool = False) -> float:
    return check_positive(name, value, allow_zero=allow_zero)


def _emg_weight(f: np.ndarray) -> np.ndarray:
    """Generic surface-EMG power spectrum (Shwedyk et al. 1977 shape, peak ~70 Hz)."""
    fl, fh = 50.0, 100.0
    return fh**4 * f**2 / ((f**2 + fl**2) * (f**2 + fh**2) ** 2)


def filter_delay(sos: np.ndarray | None, sfreq: float) -> float:
    """Group delay (samples) of a causal filter, weighted by a generic sEMG spectrum.

    A causal band-pass delays the rise of EMG power by about its group delay at
    the frequencies where EMG has its power; onsets and offsets are moved back
    by this amount.
    """
    if sos is None:
        return 0.0
    from scipy.signal import sosfreqz

    f = np.linspace(1.0, sfreq / 2 * 0.999, 2048)
    _, h = sosfreqz(sos, worN=f, fs=sfreq)
    phase = np.unwrap(np.angle(h))
    w = 2 * np.pi * f / sfreq
    gd = -np.gradient(phase, w)
    weight = np.abs(h) ** 2 * _emg_weight(f)
    return float(np.sum(gd * weight) / np.sum(weight))


def make_config(method: str | None, sfreq: float, params: Mapping[str, Any], *,
                preprocess: bool = True, l_freq: float | None = 20.0,
                h_freq: float | None = None, notch: float | None = None,
                phase: str = "causal", duration: float | None = None,
                notch_lines: Sequence[float] | None = None) -> Config:
    """Validate parameters and resolve them for ``sfreq`` (shared by offline and live).

    ``notch_lines`` (Hz): the mains lines to notch (the fundamental ``notch``
    and the harmonics found in the data); None notches every harmonic of
    ``notch`` up to the band-pass's upper edge.
    """
    method = DEFAULT_METHOD if method is None else method
    check_option("method", method, METHODS)
    sfreq = check_sfreq(sfreq)
    defaults = DEFAULTS[method]
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ValidationError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))} for method {method!r}; "
            f"allowed: {', '.join(defaults)}")
    p = {k: (params[k] if params.get(k) is not None else v) for k, v in defaults.items()}
    nyq = sfreq / 2
    # ---- band
    sos = None
    bandwidth = nyq
    lo = hi = None
    if preprocess:
        lo = None if l_freq is None else check_positive("l_freq", l_freq)
        hi = min(450.0, 0.9 * nyq) if h_freq is None else check_positive("h_freq", h_freq)
        if hi >= nyq:
            raise ValidationError(
                f"h_freq must be below the Nyquist frequency {nyq:g} Hz; got {h_freq!r}")
        if lo is not None and lo >= hi:
            raise ValidationError(
                f"l_freq={lo:g} Hz must be below h_freq={hi:g} Hz (at sfreq={sfreq:g} Hz the "
                f"default upper edge is {min(450.0, 0.9 * nyq):g} Hz)")
        from ..signal import design_bandpass, design_notch

        sos = design_bandpass(sfreq, lo, hi, 4)
        if notch is not None:
            if notch >= nyq:
                raise ValidationError(
                    f"notch must be below the Nyquist frequency {nyq:g} Hz; got {notch!r}")
            notches = design_notch(sfreq, notch, quality=DETECT_NOTCH_Q, max_freq=hi,
                                   lines=notch_lines)
            sos = np.ascontiguousarray(np.vstack([sos, notches]))
            # the lines notched, for the meta: every harmonic in the band, or those given
            notch_lines = ([notch * (k + 1) for k in range(notches.shape[0])]
                           if notch_lines is None else
                           [f for f in notch_lines if f <= hi] or [notch])
        bandwidth = hi - (lo or 0.0)
    # ---- durations
    if p["window"] is None:
        win = min(WINDOW_REF[method] * _REFERENCE_BANDWIDTH / bandwidth, MAX_AUTO_WINDOW)
    else:
        win = _check_duration("window", p["window"])
    n_w = max(int(round(win * sfreq)), 1)
    n_on = max(int(round(_check_duration("min_on", p["min_on"]) * sfreq)), 1)
    n_off = max(int(round(_check_duration("min_off", p["min_off"]) * sfreq)), 1)
    check_option("refine", p["refine"], ("ml", "none"))
    n_ramp = max(int(round(_check_duration("ramp", p["ramp"], allow_zero=True) * sfreq)), 1)
    n_look = int(round(_check_duration("look_back", p["look_back"], allow_zero=True) * sfreq))
    n_ahead = max(int(round(_check_duration("look_ahead", p["look_ahead"]) * sfreq)), 1)
    thr = check_positive("threshold", p["threshold"])
    if method == "bonato":
        for name in ("m", "n"):
            v = p[name]
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 1 <= v <= 60:
                raise ValidationError(f"{name} must be an integer from 1 to 60; got {v!r}")
        if p["m"] > p["n"]:
            raise ValidationError(f"m={p['m']} exceeds n={p['n']} (m of n test values)")
        n_w = 0
        lag = 2.0 * p["n"] if p["refine"] == "none" else 0.0
    else:
        off = check_positive("off_threshold", p["off_threshold"], allow_zero=True)
        if off > thr:
            raise ValidationError(
                f"off_threshold={off!r} must not exceed threshold={thr!r}")
        lag = (n_w - 1.0 + (1.0 if method == "tkeo" else 0.0)) if p["refine"] == "none" \
            else 0.0
    explicit = {k for k, v in params.items() if v is not None}
    if duration is not None and method != "bonato" and "window" in explicit \
            and win > duration:
        raise ValidationError(
            f"window={win:g} s is longer than the data ({duration:g} s)")
    if duration is not None:
        for name in ("min_on", "min_off"):
            if name in explicit and p[name] > duration:
                raise ValidationError(
                    f"{name}={p[name]:g} s is longer than the data ({duration:g} s)")
    p["window"] = None if method == "bonato" else n_w / sfreq
    if phase == "causal":
        delay = filter_delay(sos, sfreq)
    else:
        delay = 0.0
    return Config(method=method, sfreq=sfreq, params=p, l_freq=lo, h_freq=hi, notch=notch,
                  notch_lines=tuple(notch_lines or ()), bandwidth=bandwidth, sos=sos, n_w=n_w, n_on=n_on, n_off=n_off,
                  n_arm=max(n_off, n_w), n_look=n_look, n_ahead=n_ahead, n_ramp=n_ramp,
                  filter_delay=delay, offset_lag=lag)


# --------------------------------------------------------------------------
# thresholds
# --------------------------------------------------------------------------


def _glr_ratio(h: float, dof: float) -> float:
    """Power ratio r > 1 with (dof / 2) * (r - 1 - ln r) = h."""
    target = 2.0 * h / dof
    lo, hi = 1.0, 2.0
    while hi - 1.0 - math.log(hi) < target:
        hi *= 2.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if mid - 1.0 - math.log(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def thresholds(cfg: Config, stat: np.ndarray, y: np.ndarray,
               mask: np.ndarray) -> tuple[float, float, float, float, float]:
    """On/off thresholds from the statistic over the baseline samples.

    Returns
    -------
    thr_on, thr_off, mean, sd, sig0
        Thresholds and baseline mean/SD on the statistic scale; ``sig0`` the
        baseline power of the band-passed signal.
    """
    s = stat[mask]
    sig0 = float(np.mean(np.square(y[mask])))
    mu = float(np.mean(s))
    sd = float(np.std(s))
    p = cfg.params
    if cfg.method in ("hodges", "tkeo"):
        return mu + p["threshold"] * sd, mu + p["off_threshold"] * sd, mu, sd, sig0
    if cfg.method == "aglr":
        pw = np.square(s)
        mp = float(np.mean(pw))
        sp = float(np.std(pw))
        dof = 2.0 * (mp / sp) ** 2 if sp > 0 else 2.0 * cfg.bandwidth * cfg.n_w / cfg.sfreq
        r_on = _glr_ratio(p["threshold"], dof)
        r_off = _glr_ratio(p["off_threshold"], dof) if p["off_threshold"] > 0 else 1.0
        return math.sqrt(mp * r_on), math.sqrt(mp * r_off), mu, sd, sig0
    level = p["m"] - 0.5  # bonato: count >= m
    return level, level, mu, sd, sig0


# --------------------------------------------------------------------------
# kernel runs
# --------------------------------------------------------------------------


class KernelState:
    """State arrays of one detector kernel (offline pass or live stream)."""

    def __init__(self, cfg: Config, n_channels: int) -> None:
        from . import _kernels as k

        self.cfg = cfg
        self.ist = np.zeros((n_channels, k.N_ISTATE), dtype=np.int64)
        self.ist[:, k.I_LAST_OFF] = 0
        self.fst = np.zeros((n_channels, k.N_FSTATE))
        self.wring = np.zeros((n_channels, cfg.window_len))
        self.pring = np.zeros((n_channels, cfg.history))
        self.iprm = cfg.iprm()
        self.fprm = cfg.fprm()

    def run(self, y: np.ndarray, thr_on: np.ndarray, thr_off: np.ndarray, sig0: np.ndarray,
            *, want_stat: bool = False, parallel: bool | None = None
            ) -> tuple[list[list[tuple[int, int]]], np.ndarray | None]:
        """Process ``y`` (n_channels, n) and return events per channel (and the statistic).

        ``parallel=None`` (default) sends arrays of :data:`PARALLEL_MIN_SAMPLES`
        samples or more to the kernel's parallel twin (see :meth:`Config.kernel`);
        True or False chooses it explicitly (warm-up).
        """
        n_ch, n = y.shape
        stat = np.empty((n_ch, n)) if want_stat else np.empty((n_ch, 0))
        cap = n // max(1, min(self.cfg.n_on, self.cfg.n_off)) + 8
        ev = np.zeros((n_ch, cap, 2), dtype=np.int64)
        nev = np.zeros(n_ch, dtype=np.int64)
        if parallel is None:
            parallel = y.size >= PARALLEL_MIN_SAMPLES
        kern = self.cfg.kernel(parallel)
        first = not getattr(kern, "signatures", True)
        if first:  # first use: a background compile started by the first cold filter
            # may be bringing it to the cache
            wait_prefetch()
        notice(kern, f"the {self.cfg.method!r} onset detector" +
               (" for large arrays" if parallel else ""), 6 if parallel else 3)
        y = np.ascontiguousarray(y, dtype=np.float64)
        if not y.flags.writeable:  # a read-only array is another type for numba
            y = y.copy()
        args = (y, *(np.ascontiguousarray(a, dtype=np.float64) for a in (thr_on, thr_off, sig0)),
                self.iprm, self.fprm, self.ist, self.fst, self.wring, self.pring, ev, nev, stat)
        if first:  # a compile may happen here: the serial kernels' "nothing to
            # parallelise" notice is expected (see _kernels.NO_PARFOR), whatever
            # warning filters the caller has in place
            from numba.core.errors import NumbaPerformanceWarning

            with warnings.catch_warnings():
                warnings.filterwarnings(
                    "ignore", message=r"(?s).*no transformation for parallel execution",
                    category=NumbaPerformanceWarning)
                kern(*args)
        else:
            kern(*args)
        if np.any(nev > cap):  # pragma: no cover - cap bounds the events per sample
            raise EmgcontrolError("internal error: onset event buffer overflow")
        return [[(int(ev[c, i, 0]), int(ev[c, i, 1])) for i in range(nev[c])]
                for c in range(n_ch)], (stat if want_stat else None)

    def start_active(self, rows: Sequence[int]) -> None:
        """Start these channels active, as if an onset came before the first sample:
        their first event is then the offset of the activity present from the start
        (refined like any offset), where the fresh state would wait for a rest."""
        from . import _kernels as k

        for c in rows:
            self.ist[c, k.I_MODE] = 2
            self.ist[c, k.I_BELOW] = 0
            self.ist[c, k.I_PENDING] = 0
            self.ist[c, k.I_LAST_ON] = 0
            self.ist[c, k.I_LAST_ABOVE] = 0

    def flush(self, sig0: np.ndarray) -> list[list[tuple[int, int]]]:
        from . import _kernels as k

        n_ch = self.ist.shape[0]
        ev = np.zeros((n_ch, 4, 2), dtype=np.int64)
        nev = np.zeros(n_ch, dtype=np.int64)
        k.flush(self.ist, self.iprm, self.pring, sig0, ev, nev)
        return [[(int(ev[c, i, 0]), int(ev[c, i, 1])) for i in range(nev[c])]
                for c in range(n_ch)]


def pair_events(events: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """(onset, offset) sample pairs from an alternating onset/offset event list."""
    out = []
    on = None
    for kind, s in events:
        if kind == 1:
            on = s
        elif on is not None:
            out.append((on, s))
            on = None
    return out


class Span(NamedTuple):
    """One activation in seconds, with whether its ends were observed."""

    onset: float
    offset: float
    onset_censored: bool = False
    offset_censored: bool = False


def to_times(pairs: Sequence[tuple[int, int]], cfg: Config, n_times: int,
             censored_before: int = 0) -> list[Span]:
    """Sample pairs -> spans in seconds with delay corrections, kept ordered.

    A pair whose onset sample lies before ``censored_before`` (no full quiet
    stretch could be seen before it: the start of the data) has a censored
    onset at 0; a pair still open at the end of the data a censored offset.
    """
    out: list[Span] = []
    dt = 1.0 / cfg.sfreq
    end = n_times * dt
    prev = 0.0
    for on, off in pairs:
        on_c = on < censored_before
        t_on = 0.0 if on_c else max((on - cfg.filter_delay) * dt, prev, 0.0)
        if off >= n_times:
            t_off = end
        else:
            t_off = (off - cfg.filter_delay - cfg.offset_lag) * dt
        t_off = min(max(t_off, t_on + dt), end)
        if t_off <= t_on:  # pragma: no cover - an activation at the very last sample
            continue
        out.append(Span(t_on, t_off, on_c, off >= n_times))
        prev = t_off
    return out


def split_at_trials(times: Sequence[Span], trials: Sequence[tuple[float, float]]
                    ) -> list[Span]:
    """Split activations that run from one trial into the next at the later trial's start.

    An activation that starts before a trial and is still on when the trial
    starts (the muscle never returned to rest between two trials) becomes two
    rows: up to the trial start (offset censored), and from it (onset censored:
    the trial boundary, not a rise from rest).
    """
    starts = sorted(t0 for t0, _ in trials)
    out: list[Span] = []
    for sp in times:
        on, on_c = sp.onset, sp.onset_censored
        for b in starts:
            if on < b < sp.offset:
                out.append(Span(on, b, on_c, True))
                on, on_c = b, True
        out.append(Span(on, sp.offset, on_c, sp.offset_censored))
    return out


def _first_run(flags: np.ndarray, n: int) -> int | None:
    """Index of the first run of ``n`` True values in ``flags``, or None."""
    if n <= 1:
        hits = np.flatnonzero(flags)
        return int(hits[0]) if hits.size else None
    c = np.concatenate(([0], np.cumsum(flags, dtype=np.int64)))
    full = np.flatnonzero(c[n:] - c[:-n] == n)
    return int(full[0]) if full.size else None


def active_from_start(stat: np.ndarray, thr_on: float, thr_off: np.ndarray | float,
                      start: int, n_on: int, n_quiet: int, seg_len: int = 0) -> bool:
    """Whether the muscle is already active at the start of the data.

    The detector arms only after a quiet stretch (``n_quiet`` samples in a row
    below ``thr_off``: a scalar, or one value per segment of ``seg_len``
    samples, the last one holding to the end), so a muscle already active at
    the first sample gives no onset.  It is active from the start when, between
    ``start`` (the first sample after the statistic's start-up) and that first
    quiet stretch (or the end), the statistic holds at or above ``thr_on`` for
    ``n_on`` samples in a row -- what the armed detector would have called an
    activation.  The search reads only as far as the first quiet stretch (in
    doubling spans), not the whole record.
    """
    n = stat.shape[0]
    per_seg = np.ndim(thr_off) != 0

    def off(a: int, b: int) -> Any:
        if not per_seg:
            return thr_off
        segs = np.asarray(thr_off)
        return segs[np.minimum(np.arange(a, b) // seg_len, segs.size - 1)]

    q = None
    hi, span = start, max(4 * n_quiet, 1024)
    while q is None and hi < n:
        hi, span = min(n, hi + span), 2 * span
        q = _first_run(stat[start:hi] < off(start, hi), n_quiet)
    end = n if q is None else start + q
    return end - start >= n_on and _first_run(stat[start:end] >= thr_on, n_on) is not None


# --------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------


@dataclass
class _Input:
    data: np.ndarray
    sfreq: float
    names: list[str]
    muscles: list[str | None]
    sides: list[str | None]
    trials: list[tuple[float, float]]
    volts: bool
    ecg_ref: np.ndarray | None


def _resolve_input(x: Any, sfreq: Any, picks: Any, ch_names: Any) -> _Input:
    from ..recording import Recording

    if isinstance(x, Recording):
        if sfreq is not None and float(sfreq) != x.sfreq:
            raise ValidationError(
                f"sfreq={sfreq!r} differs from the recording's {x.sfreq:g} Hz; omit sfreq "
                "for a Recording")
        idx = x._pick_indices("emg" if picks is None else picks)
        types = x.ch_types
        idx = [i for i in idx if types[i] == "emg"] if picks is None else idx
        if not idx:
            raise ValidationError(
                "the recording has no EMG channels to detect onsets on (channel types: "
                f"{', '.join(sorted(set(types)))}); pass picks= to choose channels")
        names = [x.ch_names[i] for i in idx]
        refs = [x.muscles[i] for i in idx]
        trials = [(e.onset, e.onset + e.duration) for e in x.events if e.label == "trial"]
        ecg_idx = [i for i, t in enumerate(types) if t == "ecg"]
        ecg_ref = None
        if ecg_idx and np.all(np.isfinite(x.data[ecg_idx[0]])):
            ecg_ref = np.asarray(x.data[ecg_idx[0]], dtype=float)
        data = (np.asarray(x.data, dtype=np.float64) if idx == list(range(len(types)))
                else np.array(x.data[idx], dtype=np.float64))  # no copy when all rows
        return _Input(data, x.sfreq, names,
                      [r.muscle if r else None for r in refs],
                      [r.side if r else None for r in refs], trials, True, ecg_ref)
    if sfreq is None:
        raise ValidationError("detect_onsets needs sfreq (Hz) when x is an array")
    sf = check_sfreq(sfreq)
    # never written to: every step makes new arrays
    data = _pick_rows(as_float_2d("x", x), picks)
    n = data.shape[0]
    if ch_names is None:
        names = [f"EMG{i + 1}" for i in range(n)]
    else:
        names = [str(c) for c in ch_names]
        if len(names) != n or len(set(names)) != n:
            raise ValidationError(
                f"ch_names must hold {n} unique names; got {list(ch_names)!r}")
    return _Input(data, sf, names, [None] * n, [None] * n, [], False, None)


def _pick_rows(data: np.ndarray, picks: Any) -> np.ndarray:
    """Rows ``picks`` (an index or a sequence of indices; None: all) of an array."""
    if picks is None:
        return data
    rows = [picks] if isinstance(picks, (int, np.integer)) else list(picks)
    try:
        return data[rows]
    except (IndexError, TypeError):
        raise ValidationError(
            f"picks must be row indices below {data.shape[0]}; got {picks!r}") from None


def check_channel(x: np.ndarray, volts: bool, min_samples: int) -> str:
    """Reason why a channel cannot be analysed, or "" when it can."""
    finite = np.isfinite(x)
    if not finite.any():
        return "all NaN" if np.isnan(x).all() else "no finite samples"
    if not finite.all():
        bad = int((~finite).sum())
        return f"{bad} non-finite sample(s) (NaN/inf), the first at sample " \
               f"{int(np.flatnonzero(~finite)[0])}"
    if x.shape[0] < min_samples:
        return f"too short ({x.shape[0]} samples, at least {min_samples} needed)"
    lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        if volts and abs(lo) >= 0.99 * RAIL_V:
            return f"railed (constant at {lo * 1e3:+.1f} mV, the amplifier's rail)"
        return "flat channel (constant value)"
    at_edge = float(np.mean((x == lo) | (x == hi)))
    if at_edge >= 0.2:
        return f"railed ({at_edge:.0%} of the samples at the minimum or maximum value)"
    if float(np.median(np.abs(np.diff(x)))) == 0.0:
        return "flat channel (no change over most of the samples)"
    return ""


HEARTBEAT_SCREEN_MIN = 0.2
"""Periodicity score from which :func:`heartbeat_score` sends a recording to heartbeat
detection.  Measured here: real recordings with heartbeats 0.39-0.64 (emgGO's tibialis
anterior sample and its 8-channel ECG-contaminated file), the simulator's trunk
channels with ECG 0.27-0.50; limb muscles without ECG 0.05-0.17 (UCI seated and
standing tasks), white noise 0.04-0.05.  Rhythmic movement (gait, 0.22-0.40) passes the
screen too and is simply analysed in full."""

HEARTBEAT_SCREEN_MIN_S = 10.0
"""Records shorter than this (s) skip the screen and always go to heartbeat detection
(the score's noise, about 3 / sqrt(blocks), would reach the limit)."""


def heartbeat_score(x: np.ndarray, sfreq: float) -> np.ndarray:
    """Cheap test for a heartbeat: periodicity of the QRS-band energy, per row.

    The 5-30 Hz band (where the QRS complex has its energy) is squared and
    averaged over 20 ms blocks; its logarithm, minus a 1-s moving mean (slow EMG
    bursts), is autocorrelated, and the score is the largest normalised
    autocorrelation at lags of 0.3-2 s (30-200 beats per minute).  One
    band-pass, one FFT per row: a few percent of the cost of R-peak detection,
    which then runs only where a heartbeat is likely.

    Parameters
    ----------
    x : ndarray, shape (n_rows, n_times)
        Raw signals (any unit).
    sfreq : float
        Sampling frequency, Hz (>= 100).

    Returns
    -------
    ndarray, shape (n_rows,)
        Scores from -1 to 1 (about 0 for noise).
    """
    from ..signal import design_bandpass, sosfilt

    n_rows, n = x.shape
    nb = max(int(round(0.02 * sfreq)), 1)
    dt = nb / sfreq
    m = n // nb
    l0, l1 = int(round(0.3 / dt)), int(round(2.0 / dt))
    if m < 2 * l1:
        return np.ones(n_rows)
    sos = design_bandpass(sfreq, 5.0, min(30.0, 0.45 * sfreq), 2)
    e = np.empty((n_rows, m))
    for r0 in range(0, n_rows, 2):  # two rows at a time: no full-size copy of the data
        z = sosfilt(sos, x[r0:r0 + 2])
        v = z[:, :m * nb].reshape(z.shape[0], m, nb)
        e[r0:r0 + 2] = np.einsum("ijk,ijk->ij", v, v) / nb
    tiny = np.maximum(e.max(axis=1, keepdims=True), 1e-300) * 1e-12
    le = np.log(e + tiny)
    k = max(int(round(0.5 / dt)), 1)
    c = np.cumsum(np.pad(le, ((0, 0), (k + 1, k)), mode="edge"), axis=1)
    d = le - (c[:, 2 * k + 1:] - c[:, :-2 * k - 1])[:, :m] / (2 * k + 1)
    d -= d.mean(axis=1, keepdims=True)
    nf = 1 << int(math.ceil(math.log2(2 * m)))
    f = np.fft.rfft(d, nf, axis=1)
    ac = np.fft.irfft(f * np.conj(f), nf, axis=1)[:, :l1 + 1]
    zero = ac[:, :1]
    ok = zero[:, 0] > 0
    out = np.zeros(n_rows)
    out[ok] = (ac[ok, l0:l1 + 1] / zero[ok]).max(axis=1)
    return out


def _preprocess(x: np.ndarray, inp: _Input, cfg: Config, *, ecg: Any, phase: str
                ) -> tuple[np.ndarray, dict[str, Any]]:
    """ECG removal (optional) and the band-pass/notch cascade."""
    info: dict[str, Any] = {"ecg": None}
    sf = cfg.sfreq
    if x.shape[0] and sf >= 100.0 and x.shape[1] >= HEARTBEAT_SCREEN_MIN_S * sf:
        scores = heartbeat_score(x, sf)
        info["heartbeat"] = scores >= HEARTBEAT_SCREEN_MIN
        score = float(scores.max())
        if ecg == "auto" and inp.ecg_ref is None and score < HEARTBEAT_SCREEN_MIN:
            info["ecg"] = (f"not applied: no heartbeat rhythm (periodicity score {score:.2f} "
                           f"< {HEARTBEAT_SCREEN_MIN})")
            ecg = None
    if ecg is not None and x.shape[0] and x.shape[1] >= 2.0 * sf and sf >= 100.0:
        from ..signal.ecg import remove_ecg

        method = "template" if ecg == "auto" else ecg
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EmgcontrolWarning)
                kw: dict[str, Any] = {"method": method, "on_missing": "ignore"}
                if method == "template" and inp.ecg_ref is not None:
                    kw["reference"] = inp.ecg_ref
                x = np.asarray(remove_ecg(x, sf, **kw), dtype=np.float64)
            info["ecg"] = method
        except EmgcontrolError as err:
            info["ecg"] = f"not applied: {err}"
    elif ecg is not None:
        info["ecg"] = "not applied: needs >= 2 s of data at >= 100 Hz"
    if cfg.sos is None or x.shape[0] == 0:
        return np.ascontiguousarray(x), info
    if phase == "zero":
        from ..signal import sosfiltfilt

        return np.ascontiguousarray(sosfiltfilt(cfg.sos, x)), info
    from ..signal import Pipeline, SOSFilter

    pipe = Pipeline([SOSFilter(cfg.sos)], sf, x.shape[0])
    return pipe.process(x), info


def _resolve_notch(notch: Any, x: np.ndarray, sfreq: float, max_freq: float | None
                   ) -> tuple[float | None, list[float] | None]:
    """The mains fundamental to notch and, for "auto", the lines present up to
    ``max_freq`` (None: every harmonic up to it)."""
    if notch is None or notch is False:
        return None, None
    if isinstance(notch, str):
        check_option("notch", notch, ("auto",))
        if x.shape[0] == 0 or x.shape[1] < int(sfreq):
            return None, None
        from ..signal import mains_lines

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EmgcontrolWarning)
            try:
                lines = mains_lines(x, sfreq, max_freq=max_freq)
            except EmgcontrolError:
                return None, None
        return (lines[0], lines) if lines else (None, None)
    return check_positive("notch", notch), None


def _baseline_window(baseline: Any, duration: float) -> tuple[float, float] | None:
    if baseline is None or (isinstance(baseline, str) and baseline == "auto"):
        return None
    if isinstance(baseline, str):
        raise ValidationError(f"baseline must be 'auto', None or (start_s, stop_s); "
                              f"got {baseline!r}")
    try:
        start, stop = (float(v) for v in baseline)
    except (TypeError, ValueError):
        raise ValidationError(
            f"baseline must be 'auto', None or a (start_s, stop_s) pair; got {baseline!r}"
        ) from None
    if not (math.isfinite(start) and math.isfinite(stop)) or start < 0 or stop <= start \
            or stop > duration + 1e-9:
        raise ValidationError(
            f"baseline=({start:g}, {stop:g}) s must satisfy 0 <= start < stop <= "
            f"{duration:g} s (the length of the data)")
    return start, stop


def _rest_input(baseline: Any, x: Any, inp: _Input, picks: Any) -> np.ndarray | None:
    """The raw rest recording given as ``baseline``, one row per analysed channel.

    None when ``baseline`` is not a recording (``"auto"``, None or a window).
    """
    from ..recording import Recording

    if isinstance(baseline, Recording):
        if not isinstance(x, Recording):
            raise ValidationError(
                "baseline is a Recording (volts) but the data are an array (units "
                "unknown): pass the rest as an array in the data's units, one row per "
                "channel of x")
        if baseline.sfreq != inp.sfreq:
            raise ValidationError(
                f"the rest recording given as baseline is sampled at {baseline.sfreq:g} Hz, "
                f"the data at {inp.sfreq:g} Hz: they must match")
        missing = [c for c in inp.names if c not in baseline.ch_names]
        if missing:
            raise ValidationError(
                f"the rest recording given as baseline lacks channel(s) "
                f"{', '.join(missing)} (it has {', '.join(baseline.ch_names)})")
        idx = [baseline.ch_names.index(c) for c in inp.names]
        return np.array(baseline.data[idx], dtype=np.float64)
    if not isinstance(baseline, np.ndarray) or (baseline.ndim == 1 and baseline.size <= 2):
        return None  # "auto", None or a (start, stop) window
    rest = as_float_2d("baseline", baseline)
    n_rows = (inp.data.shape[0] if isinstance(x, Recording) or picks is None
              else (np.shape(x)[0] if np.ndim(x) == 2 else 1))
    if rest.shape[0] != n_rows:
        what = ("channels analysed" if isinstance(x, Recording) else "rows of x")
        raise ValidationError(
            f"baseline is a rest recording of {rest.shape[0]} row(s), but there are "
            f"{n_rows} {what}: give one rest row per channel")
    if not isinstance(x, Recording):
        rest = _pick_rows(rest, picks)  # the same rows as of x
    return np.ascontiguousarray(rest)


ENVELOPE_WINDOW_S = 0.05
"""Window of the centred RMS envelope behind the table's ``peak`` and ``area``, s."""


def segment_rms(row: np.ndarray, a: int, b: int, n_win: int) -> np.ndarray:
    """Centred moving RMS of ``row`` at samples ``a .. b - 1`` only.

    The same values as :func:`emgcontrol.signal.moving_rms` (``phase="zero"``,
    windows truncated at the ends of ``row``) at those samples, from direct
    window sums over the segment and its half windows: an activation's
    peak and area need its own samples, not an envelope of the whole
    recording (less work, and no envelope kernel to compile for detection).

    Parameters
    ----------
    row : ndarray, shape (n_times,)
        Signal, V.
    a, b : int
        First and one-past-last sample of the segment, ``0 <= a < b <= n_times``.
    n_win : int
        Window length, samples.

    Returns
    -------
    ndarray, shape (b - a,)
        RMS, V.
    """
    n = row.shape[0]
    h_lo = n_win // 2
    h_hi = n_win - 1 - h_lo
    lo = max(a - h_lo, 0)
    hi = min(b + h_hi, n)
    seg = row[lo:hi]
    # direct window sums (no running sum: a quiet sample after a loud burst keeps
    # its own precision); full[m] sums seg[m - n_win + 1 .. m]
    full = np.convolve(seg * seg, np.ones(n_win))
    i = np.arange(a, b)
    start = np.maximum(i - h_lo, 0)
    stop = np.minimum(i + h_hi, n - 1) + 1
    mean = full[i + h_hi - lo] / (stop - start)
    return np.sqrt(np.maximum(mean, 0.0))


# --------------------------------------------------------------------------
# public function
# --------------------------------------------------------------------------


def detect_onsets(
    x: Any,
    sfreq: float | None = None,
    *,
    method: str | None = None,
    baseline: Any = None,
    picks: Any = None,
    ch_names: Sequence[str] | None = None,
    window: float | None = None,
    threshold: float | None = None,
    off_threshold: float | None = None,
    min_on: float | None = None,
    min_off: float | None = None,
    refine: str | None = None,
    ramp: float | None = None,
    look_back: float | None = None,
    look_ahead: float | None = None,
    m: int | None = None,
    n: int | None = None,
    preprocess: bool = True,
    l_freq: float | None = 20.0,
    h_freq: float | None = None,
    notch: float | str | None = "auto",
    ecg: str | None = "auto",
    phase: str = "causal",
    baseline_dof: float = 50.0,
    baseline_z: float = 3.0,
) -> Activations:
    """Detect muscle activation onsets and offsets.

    Parameters
    ----------
    x : Recording or array_like, shape (n_channels, n_times)
        Raw EMG (V for a Recording; any unit for an array -- every statistic is
        relative to the channel's own baseline, so scaling the data changes
        nothing).  A Recording is analysed on its EMG channels.
    sfreq : float, optional
        Sampling frequency, Hz (required for arrays).  125 Hz-4 kHz.
    method : {"hodges", "aglr", "tkeo", "bonato"}, optional
        Detector (default :data:`DEFAULT_METHOD`, ``"hodges"``):

        ``"hodges"``
            Hodges & Bui (1996): trailing mean of the rectified signal over
            ``window`` above baseline mean + ``threshold`` SD for ``min_on``.
        ``"aglr"``
            Approximate generalised likelihood ratio (Staude et al. 2001):
            trailing RMS over ``window``; on when the GLR of a variance increase,
            ``(dof / 2) * (r - 1 - ln r)`` with ``r`` the power over its baseline
            value and ``dof`` the window's degrees of freedom measured on the
            baseline, exceeds ``threshold``.
        ``"tkeo"``
            Solnik et al. (2010): the Hodges rule on the rectified Teager-Kaiser
            energy ``x[k]**2 - x[k-1] * x[k+1]``.
        ``"bonato"``
            Bonato et al. (1998): test function ``(x[k-1]**2 + x[k]**2) / sigma0**2``
            on consecutive pairs; on when ``m`` of the last ``n`` values reach
            ``threshold`` (zeta) for ``min_on``.  Assumes white baseline noise:
            on real recordings (coloured baseline, heartbeat residue) it fires far
            too often (see the benchmark).
    baseline : "auto", None, (start_s, stop_s), Recording or ndarray
        Where the channel is at rest.  ``"auto"``/None (default): found per
        channel (robust pooling of the quiet stretches, see
        :func:`emgcontrol.onset.quiet_mask`); a window gives it explicitly.  A
        separate **rest recording** of the same electrodes (a Recording, its
        channels matched by name; or an array with one row per row of ``x``, in
        the units of ``x``, at ``sfreq``) is filtered like the data and its quiet
        stretches are the baseline: for a muscle active during the whole of
        ``x`` (an isometric hold).  A channel whose "rest" is no quieter than
        its data (bursts in the data stay below it, or it is
        :data:`~emgcontrol.onset._baseline.REST_SPREAD_DB` above the quietest
        channel's rest with nothing found) is not assessable, with the reason.
    picks : optional
        Channels of a Recording (default: its EMG channels) or rows of an array.
    ch_names : sequence of str, optional
        Names of the array rows (default ``EMG1``...).
    window, threshold, off_threshold, min_on, min_off, refine, ramp, look_back,
    look_ahead, m, n :
        Method parameters; None takes :data:`DEFAULTS` (see
        :func:`describe_method`).  Durations in seconds.  ``refine="ml"``
        (default) replaces the method's own onset by the maximum-likelihood
        onset time of a baseline-to-burst variance change with a linear
        amplitude ramp of ``ramp`` s, searched from ``look_back`` before the
        detection to ``look_ahead`` after it.  With ``refine="none"`` the onset
        is the method's own (the start of the trailing window that first
        crossed), early by up to ``window``: about 40 ms at 1 kHz and 200-250 ms
        at 250 Hz (window 0.28 s) in the benchmark.
    preprocess : bool
        Band-pass ``l_freq``-``h_freq`` (Butterworth, order 4) and notch the mains
        (default True).  ``h_freq=None``: 450 Hz, or 0.9 x Nyquist at low rates.
    notch : "auto", float or None
        Mains frequency to notch (with harmonics); "auto" detects 50/60 Hz.
    ecg : {"auto", "template", "highpass"} or None
        Heartbeat removal before filtering (:func:`emgcontrol.signal.ecg.remove_ecg`,
        template subtraction for "auto"; channels without ECG are left almost
        unchanged); None to skip.  Needs >= 2 s at >= 100 Hz.  With "auto" and
        no ECG channel in the recording, records of 10 s or more go to R-peak
        detection only where a cheap periodicity test finds a heartbeat rhythm
        (:func:`heartbeat_score`; ``meta["params"]["ecg"]`` says when it did not).
    phase : {"causal", "zero"}
        Band-pass forward only (default; what a live detector sees, no energy
        smeared before the onset, delay corrected) or forward-backward.
    baseline_dof, baseline_z : float
        Block size (degrees of freedom) and inclusion limit of the automatic
        baseline.

    Returns
    -------
    Activations
        Rows: channel, muscle, side, trial, onset, offset, duration (s), peak (V),
        area (V*s); per-channel status, thresholds and baseline; ``meta`` with
        every parameter used.  Channels that are flat, all-NaN, railed, hold
        NaN/inf or are too short are reported ``"not_assessable"`` with the reason.

    Raises
    ------
    ValidationError
        Unknown method or parameter, a duration longer than the data, a baseline
        window outside the data.

    Notes
    -----
    Onsets are timed on the causal signal: every statistic uses trailing
    windows (centred windows and zero-phase filters smear burst energy before
    the onset and bias onsets early at high SNR), then the known delays (filter
    group delay; the window for offsets) are subtracted.

    Activity already present at the first sample is one row from 0 with
    ``onset_censored=True``: its onset was not recorded, and timing metrics do
    not use it.  Such activity is only told from the filters' start-up
    transient when it lasts beyond it (:meth:`Config.settle_samples`: about
    0.9 s with a 50 Hz notch, 0.1 s without); shorter, it is not reported.
    Activity still on at the last sample has ``offset_censored=True``.  The
    live :class:`OnsetDetector` reports neither: it waits for a first rest.
    """
    check_option("phase", phase, ("causal", "zero"))
    if ecg is not None:
        check_option("ecg", ecg, ("auto", "template", "highpass"))
    inp = _resolve_input(x, sfreq, picks, ch_names)
    sf = inp.sfreq
    n_ch, n_times = inp.data.shape
    duration = n_times / sf
    params = {"window": window, "threshold": threshold, "off_threshold": off_threshold,
              "min_on": min_on, "min_off": min_off, "refine": refine, "ramp": ramp,
              "look_back": look_back, "look_ahead": look_ahead, "m": m, "n": n}
    method_ = DEFAULT_METHOD if method is None else method
    check_option("method", method_, METHODS)
    if method_ != "bonato":
        for key in ("m", "n"):
            if params[key] is not None:
                raise ValidationError(f"{key} is a parameter of method 'bonato' only")
        del params["m"], params["n"]
    elif params["off_threshold"] is not None:
        raise ValidationError("method 'bonato' has no off_threshold (it uses m of n)")
    else:
        del params["off_threshold"]
    rest_raw = _rest_input(baseline, x, inp, picks)
    base_win = None if rest_raw is not None else _baseline_window(baseline, duration)
    check_positive("baseline_dof", baseline_dof)
    check_positive("baseline_z", baseline_z)
    # channel checks need the config for the minimum length: resolve without notch first
    cfg0 = make_config(method_, sf, params, preprocess=preprocess, l_freq=l_freq,
                       h_freq=h_freq, notch=None, phase=phase, duration=duration)
    reasons = [check_channel(inp.data[i], inp.volts, cfg0.min_samples()) for i in range(n_ch)]
    if rest_raw is not None:
        for i in range(n_ch):
            why = "" if reasons[i] else check_channel(rest_raw[i], inp.volts,
                                                      cfg0.min_samples())
            if why:
                reasons[i] = f"its rest recording (baseline=) is not usable: {why}"
    ok = [i for i in range(n_ch) if not reasons[i]]
    raw_ok = inp.data if len(ok) == n_ch else inp.data[ok]
    f0, lines = (_resolve_notch(notch, raw_ok, sf, cfg0.h_freq) if preprocess
                 else (None, None))
    cfg = make_config(method_, sf, params, preprocess=preprocess, l_freq=l_freq,
                      h_freq=h_freq, notch=f0, phase=phase, duration=duration,
                      notch_lines=lines)
    cfg.extra.update({"baseline": (f"rest recording ({rest_raw.shape[1] / sf:g} s)"
                                   if rest_raw is not None else
                                   "auto" if base_win is None else list(base_win)),
                      "phase": phase, "preprocess": bool(preprocess),
                      "requested_notch": notch, "baseline_dof": float(baseline_dof),
                      "baseline_z": float(baseline_z)})
    y, pre_info = _preprocess(raw_ok, inp, cfg, ecg=ecg, phase=phase)
    cfg.extra["ecg"] = pre_info["ecg"]
    rest = None
    if rest_raw is not None:
        rest, _ = _preprocess(rest_raw if len(ok) == n_ch else rest_raw[ok],
                              replace(inp, ecg_ref=None), cfg, ecg=ecg, phase=phase)
    return run_detection(inp, y, ok, reasons, cfg, base_win, baseline_dof, baseline_z,
                         heartbeat=pre_info.get("heartbeat"), rest=rest)


DETECT_NOTCH_Q = 30.0
"""Quality of the detector's mains notches (each ``mains / Q`` Hz wide), up to the
band-pass's upper edge."""

GAIN_POWER = {"hodges": 0.5, "aglr": 0.5, "tkeo": 1.0, "bonato": 0.0}
"""Power of a rest-level gain (a power ratio) by which each method's thresholds scale."""


def _run_local(st: KernelState, y: np.ndarray, thr_on: np.ndarray, thr_off: np.ndarray,
               sig0: np.ndarray, gains: Sequence[np.ndarray], n_seg: int
               ) -> tuple[list[list[tuple[int, int]]], np.ndarray, np.ndarray, np.ndarray]:
    """Pass 2 in segments of ``n_seg`` samples, thresholds scaled by the local rest.

    The kernel keeps its whole state between calls, so running it segment by
    segment is the same detector with thresholds that change at segment
    boundaries: ``gain`` is a power ratio, so the on/off thresholds of an
    amplitude statistic (hodges, aglr) scale with its square root, those of an
    energy (tkeo) with it, and the baseline power ``sig0`` (likelihood
    refinement, Bonato's normalisation) with it.
    """
    n_ch, n = y.shape
    power = GAIN_POWER[st.cfg.method]
    parallel = y.size >= PARALLEL_MIN_SAMPLES
    events: list[list[tuple[int, int]]] = [[] for _ in range(n_ch)]
    n_segs = -(-n // n_seg)
    g = np.ones((n_ch, n_segs))
    for k, gk in enumerate(gains):
        m = min(gk.size, n_segs)
        g[k, :m] = gk[:m]
        if m < n_segs:
            g[k, m:] = gk[-1]
    on_k = off_k = s0_k = sig0
    for j in range(n_segs):
        a, b = j * n_seg, min((j + 1) * n_seg, n)
        on_k = thr_on * g[:, j] ** power
        off_k = thr_off * g[:, j] ** power
        s0_k = sig0 * g[:, j]
        ev, _ = st.run(y[:, a:b], on_k, off_k, s0_k, parallel=parallel)
        for c in range(n_ch):
            events[c].extend(ev[c])
    return events, on_k, off_k, s0_k


def run_detection(inp: _Input, y: np.ndarray, ok: list[int], reasons: list[str], cfg: Config,
                  base_win: tuple[float, float] | None, baseline_dof: float = 50.0,
                  baseline_z: float = 3.0, heartbeat: np.ndarray | None = None,
                  rest: np.ndarray | None = None) -> Activations:
    """Detection on band-passed data ``y`` of the assessable channels ``ok``.

    ``heartbeat`` (one flag per row of ``y``): channels whose rest carries a
    heartbeat rhythm; short excursions between their quiet blocks count as rest.
    ``rest`` (one band-passed row per row of ``y``): a separate rest recording
    whose every sample (after the statistic's start-up) is the baseline.
    """
    sf = cfg.sfreq
    n_ch, n_times = inp.data.shape
    reasons = list(reasons)
    ok = list(ok)

    # ---- baseline masks
    skip = cfg.n_w + cfg.n_arm
    masks = np.zeros(y.shape, dtype=bool)
    contrast = np.zeros(len(ok))
    gains: list[np.ndarray] = [np.ones(1)] * len(ok)
    n_seg_samples = n_times
    rest_masks = None if rest is None else np.zeros(rest.shape, dtype=bool)
    for k, i in enumerate(ok):
        if rest is not None and rest_masks is not None:
            # the quiet blocks of the rest recording (a movement or a burst during the
            # "rest" is not baseline), and how far the data's bursts rise
            lp, n_blk, s_noise = block_log_power(rest[k], sf, cfg.bandwidth,
                                                 dof=baseline_dof, skip=skip)
            rest_masks[k] = quiet_blocks(lp, n_blk, rest.shape[1], s_noise, z=baseline_z)[0]
            contrast[k] = activity_contrast(block_log_power(y[k], sf, cfg.bandwidth,
                                                            dof=baseline_dof, skip=skip)[0])
        elif base_win is None:
            lp, n_blk, s_noise = block_log_power(y[k], sf, cfg.bandwidth, dof=baseline_dof,
                                                 skip=skip)
            hb = heartbeat is not None and bool(heartbeat[k])
            masks[k], c_rest, s_rest = quiet_blocks(lp, n_blk, n_times, s_noise,
                                                    z=baseline_z,
                                                    block_s=n_blk / sf if hb else None)
            contrast[k] = activity_contrast(lp)
            n_seg = max(int(round(LOCAL_SEGMENT_S * sf / n_blk)), 1)
            n_seg_samples = n_seg * n_blk
            gains[k] = local_rest_gain(lp, c_rest, s_rest, s_noise, n_seg=n_seg,
                                       n_half=int(round(LOCAL_HALF_WINDOW_S * sf / n_blk)),
                                       z=baseline_z)
        else:
            a, b = int(round(base_win[0] * sf)), int(round(base_win[1] * sf))
            masks[k, a:b] = True
    min_base = max(cfg.n_w, 4)
    for k, i in enumerate(ok):
        if (masks[k] if rest_masks is None else rest_masks[k]).sum() < min_base:
            reasons[i] = ("no quiet stretch in its rest recording (baseline=)"
                          if rest is not None else
                          "no rest period found: give baseline=(start, stop) (no quiet "
                          "stretch found)" if base_win is None
                          else "no baseline: window too short")
    keep = [k for k, i in enumerate(ok) if not reasons[i]]
    ok = [ok[k] for k in keep]
    y = np.ascontiguousarray(y if len(keep) == y.shape[0] else y[keep])
    masks = masks[keep]
    if rest is not None and rest_masks is not None:
        rest = np.ascontiguousarray(rest if len(keep) == rest.shape[0] else rest[keep])
        rest_masks = rest_masks[keep]
    # the thresholds come from the rest recording, or from the baseline samples of y
    base_y, base_masks = (y, masks) if rest is None else (rest, rest_masks)
    contrast = contrast[keep]
    gains = [gains[k] for k in keep]
    power = GAIN_POWER[cfg.method]
    lead = np.zeros(len(ok), dtype=bool)  # active from the first sample

    # ---- pass 1: statistic; thresholds (in groups of rows: the statistic of a few
    # channels at a time, not a second copy of the data)
    n_ok = len(ok)
    thr_on = np.empty(n_ok)
    thr_off = np.empty(n_ok)
    sig0 = np.empty(n_ok)
    stats: list[tuple[float, float]] = [(math.nan, math.nan)] * n_ok
    par = y.size >= PARALLEL_MIN_SAMPLES
    step = max(2, -(-n_ok // 8))
    for g0 in range(0, n_ok, step):
        g1 = min(g0 + step, n_ok)
        inf = np.full(g1 - g0, np.inf)
        _, stat = KernelState(cfg, g1 - g0).run(base_y[g0:g1], inf, inf, np.ones(g1 - g0),
                                                 want_stat=True, parallel=par)
        for k in range(g0, g1):
            a_on, a_off, mu, sd, s0 = thresholds(cfg, stat[k - g0], base_y[k], base_masks[k])
            thr_on[k], thr_off[k], sig0[k] = a_on, a_off, s0
            stats[k] = (mu, sd)
            if not (s0 > 0 and (sd > 0 or cfg.method == "bonato") and math.isfinite(a_on)):
                reasons[ok[k]] = "no baseline: the baseline is flat (no variation)"
                thr_on[k] = thr_off[k] = np.inf
                sig0[k] = 1.0
        if cfg.method == "bonato" or rest is not None:
            # Bonato's statistic depends on sig0: recompute it for the baseline's stats;
            # with a rest recording, the statistic of y itself is needed below
            if cfg.method == "bonato":
                _, stat = KernelState(cfg, g1 - g0).run(base_y[g0:g1], inf, inf, sig0[g0:g1],
                                                         want_stat=True, parallel=par)
                for k in range(g0, g1):
                    s_ = stat[k - g0][base_masks[k]]
                    stats[k] = (float(np.mean(s_)), float(np.std(s_)))
            if rest is not None:
                _, stat = KernelState(cfg, g1 - g0).run(y[g0:g1], inf, inf, sig0[g0:g1],
                                                         want_stat=True, parallel=par)
        for k in range(g0, g1):
            if math.isfinite(thr_on[k]):
                g = gains[k] ** power  # per segment, as _run_local applies it
                off: Any = thr_off[k] * (g[0] if g.size == 1 else g)
                lead[k] = active_from_start(stat[k - g0], thr_on[k] * float(g[0]), off, skip,
                                            cfg.n_on, cfg.n_arm, seg_len=n_seg_samples)
        del stat

    # ---- pass 2: events
    st = KernelState(cfg, n_ok)
    st.start_active(np.flatnonzero(lead))
    sig0_end = sig0
    if not any(np.any(g != 1.0) for g in gains):
        events, _ = st.run(y, thr_on, thr_off, sig0)
    else:  # thresholds follow the local rest level, segment by segment
        events, _, _, sig0_end = _run_local(st, y, thr_on, thr_off, sig0, gains,
                                            n_seg_samples)
    tail = st.flush(sig0_end)
    n_env = max(1, int(round(ENVELOPE_WINDOW_S * sf)))

    # ---- table
    settle = cfg.settle_samples()
    rows: list[Activation] = []
    chans: list[ChannelStatus] = []
    chan_params: dict[str, Any] = {}
    pos = {i: k for k, i in enumerate(ok)}
    dt = 1.0 / sf
    # the quietest rest level among the channels: a channel whose "rest" is far above
    # it (same amplifier, same session) may be a muscle active all along
    usable = sig0[np.isfinite(thr_on)] if n_ok else sig0
    floor = float(usable.min()) if base_win is None and usable.size >= 2 else math.inf
    for i in range(n_ch):
        name, mus, side = inp.names[i], inp.muscles[i], inp.sides[i]
        if reasons[i] or (i in pos and not math.isfinite(thr_on[pos[i]])):
            chans.append(ChannelStatus(name, mus, side, "not_assessable", reasons[i], None,
                                       None, None, None, None, None, 0))
            continue
        k = pos[i]
        # a channel active from the first sample started the kernel active: its
        # first event is that activity's offset
        pairs = pair_events(([(1, 0)] if lead[k] else []) + events[k] + tail[k])
        if pairs and pairs[0][0] < skip + cfg.n_on and pairs[0][1] <= settle:
            del pairs[0]  # not told from the filters' start-up transient
        times = split_at_trials(to_times(pairs, cfg, n_times, censored_before=skip + cfg.n_on),
                                inp.trials)
        above = 10.0 * math.log10(sig0[k] / floor) if floor > 0 and math.isfinite(floor) \
            else 0.0
        reason = ""
        if rest is not None and not times and (contrast[k] >= CLEAR_ACTIVITY_DB
                                               or above >= REST_SPREAD_DB):
            # the rest given is no quieter than these data: it was not a rest
            why = (f"bursts {contrast[k]:.0f} dB above the data's lowest level stay below it"
                   if contrast[k] >= CLEAR_ACTIVITY_DB else
                   f"its level is {above:.0f} dB above the quietest channel's")
            reason = (f"its rest recording (baseline=) is not a rest on this channel ({why}): "
                      "record a rest with the muscle relaxed, or give baseline=(start, stop)")
        elif not times and contrast[k] >= CLEAR_ACTIVITY_DB:
            # bursts stand far above the lowest level, yet nothing rose above the
            # baseline found: that baseline is not a rest (active most of the time)
            reason = (f"no rest period found: give baseline=(start, stop) (its loudest "
                      f"stretches are {contrast[k]:.0f} dB above its lowest level, but no "
                      "quiet level below them was found)")
        elif not times and above >= REST_SPREAD_DB:
            reason = (f"no rest period found: give baseline=(start, stop) (its quietest "
                      f"level is {above:.0f} dB above the quietest channel's: active all "
                      "along, or a poor electrode contact)")
        if reason:
            chans.append(ChannelStatus(name, mus, side, "not_assessable", reason, None,
                                       None, None, None, None, None, 0))
            continue
        for t_on, t_off, on_c, off_c in times:
            a = int(math.floor(t_on * sf))
            b = max(int(math.ceil(t_off * sf)), a + 1)
            seg = segment_rms(y[k], a, min(b, n_times), n_env) if a < n_times \
                else np.zeros(0)
            trial = None
            for j, (t0, t1) in enumerate(inp.trials):
                if t0 <= t_on <= t1:  # at a boundary of two trials: the later one
                    if trial is None or t0 > inp.trials[trial][0]:
                        trial = j
            rows.append(Activation(name, mus, side, trial, t_on, t_off, t_off - t_on,
                                   float(seg.max()) if seg.size else 0.0,
                                   float(seg.sum() * dt), on_c, off_c))
        b0: float | None
        b1: float | None
        if rest is not None:  # the baseline is not a window of these data
            b0 = b1 = None
        elif base_win is None:
            r0, r1 = longest_run(masks[k])
            b0, b1 = r0 * dt, r1 * dt
        else:
            b0, b1 = base_win
        mu, sd = stats[k]
        chans.append(ChannelStatus(name, mus, side, "ok", "", float(thr_on[k]), mu, sd,
                                   b0, b1, float(base_masks[k].sum() * dt), len(times)))
        chan_params[name] = {"thr_on": float(thr_on[k]), "thr_off": float(thr_off[k]),
                             "sig0": float(sig0[k])}
    stat_name, unit = _STATISTICS[cfg.method]
    meta = {"method": cfg.method, "params": cfg.public_params(), "sfreq": sf,
            "n_channels": n_ch, "n_times": n_times, "statistic": stat_name,
            "statistic_unit": unit if inp.volts or unit == "count" else
            unit.replace("V", "input unit"), "channel_params": chan_params}
    return Activations(rows, chans, meta)
