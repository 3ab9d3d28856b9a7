"""Heartbeat (ECG) contamination of surface EMG: R-peak detection and removal.

Trunk muscles (erector spinae, multifidus, the abdominals) lie close to the
heart: every heartbeat adds an ECG waveform of tens to hundreds of microvolts
to their EMG, often larger than the EMG of a low-level contraction.  Two
removal methods are offered:

``"highpass"``
    A zero-phase Butterworth high-pass at 30 Hz (Drake & Callaghan 2006,
    J Electromyogr Kinesiol 16:175-187, found it as effective as more complex
    methods for trunk EMG).  Simple and needs no heartbeat detection, but it
    also removes the 20-30 Hz part of the EMG spectrum and leaves the part of
    the QRS complex above 30 Hz.
``"template"``
    Template subtraction: R-peaks are found (on the EMG itself, or on a
    reference ECG channel), a beat template is averaged per channel over the
    neighbouring beats (a robust median by default, so EMG bursts do not bias
    it), fitted in amplitude to each beat, and subtracted.  The EMG spectrum is
    kept; the EMG in the beat windows gains a small amount of noise from the
    template (about ``1.25 / sqrt(n_beats)`` of the EMG RMS for the median).

Heartbeats are found by :func:`find_r_peaks`: band-pass 5-30 Hz, energy
envelope for candidate beats, a multichannel matched filter built from them
(the channel with the clearest ECG weighs most), plausible RR intervals
(30-200 bpm, extra beats that split one interval dropped, gaps searched
again) and a rhythm-consistent path through the matched-filter peaks.  They
count as heartbeats only if they repeat one waveform and a regular rhythm;
otherwise :class:`NoHeartbeatError` says why (a rest recording of a limb
muscle has no heartbeat to remove, and a long strong contraction can hide it:
give a reference ECG channel then).

All functions are array-first, ``f(x, sfreq, *, ...)`` on arrays shaped
``(..., n_times)`` in volts; a :class:`~emgcontrol.recording.Recording` is
accepted in place of ``x`` and gives a new Recording with a history step.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .._util import as_rows as _as_2d  # ``(n_rows, n_times)`` float64 and the shape
from .._validate import check_finite, check_option, check_positive, check_sfreq
from ..errors import EmgcontrolWarning, ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from ..recording import Recording

__all__ = [
    "find_r_peaks",
    "remove_ecg",
    "ecg_contamination",
    "HeartbeatDetection",
    "NoHeartbeatError",
    "ECG_METHODS",
    "MAX_IRREGULARITY",
    "MAX_AMPLITUDE_SPREAD",
    "REFERENCE_MAX_IRREGULARITY",
]

ECG_METHODS = ("template", "highpass")
"""Methods accepted by :func:`remove_ecg`."""

MIN_SFREQ_TEMPLATE = 100.0
"""Lowest sampling frequency (Hz) for R-peak detection and template subtraction.

Below 100 Hz the QRS complex (about 80-100 ms, energy up to ~40 Hz) is sampled
too coarsely to be detected and aligned reliably."""

MIN_DURATION = 2.0
"""Shortest signal (s) in which heartbeats are searched: at least two beats at 60 bpm."""

MAX_IRREGULARITY = 0.12
"""Largest RR irregularity (median absolute successive RR difference / median RR)
of beats found on EMG.  Sinus rhythm gives 0.02-0.05 (0.02 on the real file,
0.03 in the simulator; up to ~0.08 with strong respiratory sinus arrhythmia;
an ectopic beat moves the median little); peaks picked in EMG or noise with a
refractory period give 0.16-0.5."""

REFERENCE_MAX_IRREGULARITY = 0.5
"""Largest RR irregularity accepted on a reference ECG channel, where the
waveform, not the rhythm, identifies the heart (atrial fibrillation gives
0.1-0.3)."""

MAX_AMPLITUDE_SPREAD = 0.25
"""Largest spread of the beats' matched-filter amplitudes (interquartile range
/ median).  Heartbeats repeat one waveform (0.04-0.15 on simulated, synthetic
and real trunk EMG, with EMG bursts over some beats); peaks picked in EMG or
noise give 0.29-2."""

_ON_MISSING = ("raise", "warn", "ignore")

TAPER = 0.04
"""Share of the template length tapered to zero (cosine) at each end, so a
subtracted template adds no step at the window edges."""

AMPLITUDE_SPREAD = 0.2
"""Largest beat-to-beat spread (SD, relative) of the ECG amplitude allowed when
per-beat amplitude fits are shrunk towards the channel's median amplitude.
The spread itself is estimated from the data (fitted amplitudes' spread minus
their fitting noise); respiration modulates the ECG by about 10-20 %."""


class NoHeartbeatError(ValidationError):
    """No plausible heartbeat was found in the signal.

    Raised by :func:`find_r_peaks` and :func:`remove_ecg` (with
    ``on_missing="raise"``, the default) when fewer than three beats are
    found, or when the candidates do not look like a heart: heart rate
    outside ``min_bpm``-``max_bpm``, irregular rhythm (above
    :data:`MAX_IRREGULARITY`) or varying waveform (above
    :data:`MAX_AMPLITUDE_SPREAD`).  The message gives each of these values.
    """


@dataclass
class HeartbeatDetection:
    """R-peaks found in a signal, with how sure the detector is.

    Attributes
    ----------
    r_peaks : ndarray of int
        Sample index of each R-peak (the largest deflection of the QRS
        complex in the detection band), sorted.
    sfreq : float
        Sampling frequency in Hz.
    heart_rate_bpm : float
        Median heart rate (beats per minute); NaN when fewer than two beats.
    snr_db : float
        Beat-locked signal-to-noise ratio in the detection band, in dB: power of
        the averaged QRS complex against the power of what is not locked to
        the beats, bias-corrected for the number of beats.  A clear ECG gives
        5-30 dB, an ECG under EMG bursts about 0 dB; below ``min_snr_db``
        (default -10 dB) the beats are rejected.
    channel_weights : ndarray
        Weight of each detection channel in the matched filter (sums to 1);
        the largest is the channel with the clearest ECG.
    positions : ndarray of float
        R-peak positions with sub-sample precision (samples), used to align
        the templates in :func:`remove_ecg`.
    """

    r_peaks: np.ndarray
    sfreq: float
    heart_rate_bpm: float
    snr_db: float
    channel_weights: np.ndarray = field(repr=False)
    positions: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))

    @property
    def times(self) -> np.ndarray:
        """R-peak times in seconds from the first sample."""
        return self.r_peaks / self.sfreq

    @property
    def rr_intervals(self) -> np.ndarray:
        """Intervals between consecutive R-peaks, in seconds."""
        return np.diff(self.r_peaks) / self.sfreq

    def __len__(self) -> int:
        return len(self.r_peaks)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: R-peak samples and times, heart rate, SNR."""
        hr = self.heart_rate_bpm
        return {"sfreq": self.sfreq, "r_peak_samples": [int(v) for v in self.r_peaks],
                "r_peak_times_s": [float(v) for v in self.times],
                "heart_rate_bpm": None if not math.isfinite(hr) else float(hr),
                "snr_db": float(self.snr_db) if math.isfinite(self.snr_db) else None,
                "channel_weights": [float(v) for v in self.channel_weights]}


# --------------------------------------------------------------------------- helpers
def _is_recording(x: Any) -> bool:
    from ..recording import Recording

    return isinstance(x, Recording)


def _row_names(n: int, names: Sequence[str] | None) -> list[str]:
    return list(names) if names is not None else [f"#{i}" for i in range(n)]


def _check_signal(x2: np.ndarray, sfreq: float, names: Sequence[str], what: str) -> None:
    check_finite(x2, names)
    dur = x2.shape[-1] / sfreq
    if dur < MIN_DURATION:
        raise ValidationError(
            f"{what} needs at least {MIN_DURATION:g} s of signal to find heartbeats; "
            f"got {x2.shape[-1]} samples ({dur:.3g} s at {sfreq:g} Hz)"
        )


def _check_template_sfreq(sfreq: float, what: str) -> None:
    if sfreq < MIN_SFREQ_TEMPLATE:
        raise ValidationError(
            f"{what} needs sfreq >= {MIN_SFREQ_TEMPLATE:g} Hz to resolve the QRS complex; "
            f"got sfreq={sfreq:g} Hz (use method='highpass' if sfreq > 2 x its l_freq)"
        )


def _sosfiltfilt(x: np.ndarray, sfreq: float, l_freq: float | None, h_freq: float | None,
                 order: int) -> np.ndarray:
    """Zero-phase Butterworth filter along the last axis (band, high or low pass).

    The project's numba cascade (:func:`emgcontrol.signal.filters.sosfiltfilt`,
    equal to scipy's) with scipy's default padding, shortened for short rows.
    """
    from .filters import design_bandpass, sosfiltfilt

    sos = design_bandpass(sfreq, l_freq, h_freq, order)
    n = x.shape[-1]
    padlen = min(3 * (2 * len(sos) + 1), n - 1)
    return sosfiltfilt(sos, x, padlen=padlen)


def _robust_std(x: np.ndarray, axis: int = -1) -> np.ndarray:
    med = np.median(x, axis=axis, keepdims=True)
    return 1.4826 * np.median(np.abs(x - med), axis=axis)


def _moving_average(x: np.ndarray, n: int) -> np.ndarray:
    if n <= 1:
        return x
    c = np.cumsum(np.concatenate([np.zeros(1), x]))
    out = (c[n:] - c[:-n]) / n
    left = (n - 1) // 2
    return np.concatenate([np.full(left, out[0]), out, np.full(n - 1 - left, out[-1])])


def _epochs(y: np.ndarray, centres: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Stack ``y[..., c + lo : c + hi + 1]`` for each centre (all must be inside)."""
    idx = centres[:, None] + np.arange(lo, hi + 1)[None, :]
    return y[..., idx]


# ---------------------------------------------------------------- R-peak detection
def _matched_filter(z: np.ndarray, centres: np.ndarray, half: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Multichannel matched filter built from the median epochs at ``centres``.

    Returns (m, templates, weights): ``m`` is 1.0 where a beat equals the template.
    """
    from scipy.signal import oaconvolve

    ep = _epochs(z, centres, -half, half)  # (rows, beats, 2*half+1)
    tmpl = np.median(ep, axis=1)
    noise_var = np.mean((ep - tmpl[:, None, :]) ** 2, axis=(1, 2)) + 1e-12
    t_energy = np.sum(tmpl**2, axis=1)
    weights = t_energy / noise_var  # per-channel matched-filter SNR
    w = weights / noise_var
    m = np.zeros(z.shape[-1])
    for i in range(z.shape[0]):
        if weights[i] > 1e-6 * weights.max():
            m += w[i] * oaconvolve(z[i], tmpl[i, ::-1], mode="same")
    m /= max(float(np.sum(w * t_energy)), 1e-300)
    return m, tmpl, weights


def _parabolic(v: np.ndarray, i: np.ndarray) -> np.ndarray:
    """Sub-sample offset of the extremum of ``v`` at indices ``i`` (parabola through 3 points)."""
    i = np.clip(i, 1, len(v) - 2)
    a, b, c = v[i - 1], v[i], v[i + 1]
    den = a - 2 * b + c
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(den != 0, 0.5 * (a - c) / den, 0.0)
    return np.clip(d, -0.5, 0.5)


def _detect(
    y: np.ndarray,
    sfreq: float,
    *,
    refractory: float,
    min_bpm: float,
    max_bpm: float,
) -> tuple[np.ndarray, float, np.ndarray, float, float]:
    """Core detector on band-passed rows ``y`` (n_rows, n_times).

    Returns (positions, snr_db, weights, spread, irregularity): fractional
    R-peak sample positions, beat-locked SNR, channel weights, and the
    relative interquartile range of the matched-filter output and the RR
    irregularity of the threshold detections (before the rhythm-based path).
    """
    from scipy.signal import find_peaks

    n_rows, n = y.shape
    refr_n = max(1, int(round(refractory * sfreq)))
    half = max(2, int(round(0.08 * sfreq)))  # QRS half-window in the detection band
    empty = (np.zeros(0), -np.inf, np.full(n_rows, 1.0 / n_rows), np.inf, np.inf)

    # Pass 1: energy envelope of channels normalised by their robust spread.
    scale = _robust_std(y)
    scale[~(scale > 0)] = np.inf
    z = y / scale[:, None]
    energy = _moving_average(np.sum(z * z, axis=0), max(1, int(round(0.04 * sfreq))))
    level = np.percentile(energy, 98.0)
    if not np.isfinite(level) or level <= 0:
        return empty
    peaks, _ = find_peaks(energy, height=0.3 * level, distance=refr_n)
    thr = 0.45
    # Passes 2 and 3: matched filter from the current beats, peaks above thr,
    # plausible RR intervals.
    for _ in range(2):
        inside = peaks[(peaks >= half) & (peaks < n - half)]
        if len(inside) < 3:
            return empty
        m, tmpl, weights = _matched_filter(z, inside, half)
        if not np.any(weights > 0):
            return empty
        peaks, _ = find_peaks(m, height=thr, distance=refr_n)
        peaks = _rr_repair(peaks, m, sfreq, thr, refr_n, min_bpm, max_bpm)
    if len(peaks) < 3:
        return (np.zeros(0), -np.inf, weights / weights.sum(), np.inf, np.inf)
    # evidence that these are heartbeats (judged by the caller): one waveform
    # (amplitude spread) and a regular rhythm, before the rhythm is used below
    q75, q25, q50 = np.percentile(m[peaks], [75, 25, 50])
    spread = float((q75 - q25) / q50) if q50 > 0 else float("inf")
    irregularity = _irregularity(peaks)
    # final beats: the best rhythm-consistent path through the matched-filter peaks
    if len(peaks) >= 5:
        peaks = _beat_path(m, peaks, sfreq, min_bpm, max_bpm, refr_n, half)
    frac = peaks + _parabolic(m, peaks)
    # Offset from the matched-filter alignment to the R-wave: the largest
    # deflection of the clearest channel's template (sub-sample).
    best = int(np.argmax(weights))
    tb = np.abs(tmpl[best])
    j = int(np.argmax(tb))
    off = j - half + float(_parabolic(tb, np.array([j]))[0])
    pos = np.clip(frac + off, 0, n - 1)
    r = np.round(pos).astype(np.int64)
    inside = r[(r >= half) & (r < n - half)]
    snr_db = _locked_snr_db(z, inside, half, weights)
    return pos, snr_db, weights / weights.sum(), spread, irregularity


def _locked_snr_db(z: np.ndarray, r: np.ndarray, half: int, weights: np.ndarray) -> float:
    if len(r) < 3:
        return -np.inf
    ep = _epochs(z, r, -half, half)
    k = ep.shape[1]
    mean = ep.mean(axis=1)
    resid_var = np.sum((ep - mean[:, None, :]) ** 2, axis=1) / (k - 1)
    sig = np.mean(mean**2 - resid_var / k, axis=1)
    noise = np.mean(resid_var, axis=1)
    w = weights / weights.sum()
    s = float(np.sum(w * sig))
    nz = float(np.sum(w * noise))
    if s <= 0 or nz <= 0:
        return -np.inf if s <= 0 else np.inf
    return 10.0 * math.log10(s / nz)


def _irregularity(r: np.ndarray) -> float:
    if len(r) < 3:
        return float("inf")
    rr = np.diff(r).astype(float)
    return float(np.median(np.abs(np.diff(rr))) / np.median(rr))


def _local_median(v: np.ndarray, half: int) -> np.ndarray:
    out = np.empty(len(v))
    for i in range(len(v)):
        out[i] = np.median(v[max(0, i - half): i + half + 1])
    return out


def _drop_extra_beats(peaks: list[int], m: np.ndarray) -> list[int]:
    """Drop beats that split one normal RR interval into two short ones.

    A premature (ectopic) beat shortens one interval and lengthens the next
    (compensatory pause), so the pair still spans ~2 RR; an EMG or motion
    peak between two beats makes two short intervals spanning ~1 RR.  A beat
    is dropped when its two intervals sum to < 1.35 local median RR (median of
    the 17 intervals around it), the weakest such beat first.
    """
    for _ in range(len(peaks)):
        if len(peaks) < 4:
            break
        rr = np.diff(peaks).astype(float)
        ref = _local_median(rr, 8)
        a, b = rr[:-1], rr[1:]
        refk = 0.5 * (ref[:-1] + ref[1:])
        cand = np.flatnonzero(a + b < 1.35 * refk) + 1
        if not len(cand):
            break
        # drop the weakest candidate first, then re-evaluate
        worst = int(cand[np.argmin(m[np.asarray(peaks)[cand]])])
        del peaks[worst]
    return peaks


RHYTHM_WEIGHT = 5.0
"""Weight of the rhythm term in the beat path: a beat moved by a fraction d of
the RR interval costs about 2 x 5 x d**2 (0.1 for d = 0.1, 2.5 for d = 0.5)
against matched-filter amplitudes of ~1 per beat."""


def _beat_path(m: np.ndarray, peaks: np.ndarray, sfreq: float, min_bpm: float,
               max_bpm: float, refr_n: int, edge: int) -> np.ndarray:
    """Best rhythm-consistent sequence of beats (dynamic programming).

    Candidates are the peaks of the matched-filter output ``m`` above 0.1 (a
    tenth of a typical beat).  A path scores the sum of ``m`` at its beats
    minus ``RHYTHM_WEIGHT x log(RR / RR_local)**2`` per interval, where
    ``RR_local`` is the running median RR of the threshold detections
    ``peaks``.  Beats hidden in EMG bursts are kept when they sit on the
    rhythm; EMG peaks off the rhythm are dropped.  Intervals may span up to
    2.5 local RR (a beat too weak to be a candidate), within ``min_bpm``.
    """
    from scipy.signal import find_peaks

    n = len(m)
    cand, _ = find_peaks(m, height=0.1, distance=max(1, refr_n // 2))
    # weak candidates within half a template of the ends are unreliable (the
    # matched filter runs off the signal there); threshold detections stay
    cand = np.union1d(cand[(cand >= edge) & (cand < n - edge)], peaks)
    if len(cand) < 3:
        return peaks
    rr = np.diff(peaks).astype(float)
    local = _local_median(rr, 8)
    mid = 0.5 * (peaks[1:] + peaks[:-1])
    t_exp = np.interp(cand, mid, local)  # expected RR at each candidate
    min_rr = 60.0 / max_bpm * sfreq
    max_rr = 60.0 / min_bpm * sfreq
    score = m[cand]
    best = np.full(len(cand), -np.inf)
    back = np.full(len(cand), -1)
    start_ok = cand < edge + 1.5 * t_exp
    best[start_ok] = score[start_ok]
    for j in range(len(cand)):
        lo_t = cand[j] - min(2.5 * t_exp[j], max_rr)
        hi_t = cand[j] - max(min_rr, 0.4 * t_exp[j])
        i0, i1 = np.searchsorted(cand, [lo_t, hi_t], side="left")
        if i1 <= i0:
            continue
        prev = np.arange(i0, min(i1, j))
        if not len(prev):
            continue
        gaps = (cand[j] - cand[prev]) / t_exp[j]
        val = best[prev] - RHYTHM_WEIGHT * np.log(gaps) ** 2
        k = int(np.argmax(val))
        if np.isfinite(val[k]) and val[k] + score[j] > best[j]:
            best[j] = val[k] + score[j]
            back[j] = prev[k]
    end_ok = cand > n - 1 - edge - 1.5 * t_exp
    if not np.any(end_ok & np.isfinite(best)):
        return peaks
    j = int(np.flatnonzero(end_ok)[np.argmax(best[end_ok])])
    path = []
    while j >= 0:
        path.append(cand[j])
        j = back[j]
    path = np.asarray(path[::-1], dtype=np.int64)
    return path if len(path) >= 3 else peaks


def _rr_repair(peaks: np.ndarray, m: np.ndarray, sfreq: float, thr: float, refr_n: int,
               min_bpm: float, max_bpm: float) -> np.ndarray:
    """Enforce plausible RR intervals: drop the weaker of too-close beats, search back in gaps."""
    min_rr = 60.0 / max_bpm * sfreq
    max_rr = 60.0 / min_bpm * sfreq
    peaks = list(int(p) for p in peaks)
    # too close: drop the weaker one
    changed = True
    while changed and len(peaks) > 1:
        changed = False
        d = np.diff(peaks)
        close = np.flatnonzero(d < min_rr)
        if len(close):
            i = int(close[0])
            drop = i if m[peaks[i]] < m[peaks[i + 1]] else i + 1
            del peaks[drop]
            changed = True
    if len(peaks) < 3:
        return np.asarray(peaks, dtype=np.int64)
    peaks = _drop_extra_beats(peaks, m)
    if len(peaks) < 3:
        return np.asarray(peaks, dtype=np.int64)
    # long gaps: search back with half the threshold for the largest matched-filter peak
    for _ in range(len(m) // max(refr_n, 1)):
        rr = np.diff(peaks)
        med = float(np.median(rr))
        gap_limit = min(1.6 * med, max_rr)
        gaps = np.flatnonzero(rr > gap_limit)
        added = False
        for g in gaps[::-1]:
            a = peaks[g] + int(max(min_rr, 0.5 * med))
            b = peaks[g + 1] - int(max(min_rr, 0.5 * med))
            if b <= a:
                continue
            j = a + int(np.argmax(m[a:b]))
            if m[j] >= 0.5 * thr:
                peaks.insert(g + 1, j)
                added = True
        if not added:
            break
    # edges: a beat before the first / after the last one
    return np.asarray(sorted(set(peaks)), dtype=np.int64)


def _resolve_detection_input(
    x: Any, sfreq: float | None, picks: Any, what: str
) -> tuple[np.ndarray, float, list[str], bool]:
    if _is_recording(x):
        rec = x
        if sfreq is not None and float(sfreq) != rec.sfreq:
            raise ValidationError(
                f"sfreq={sfreq!r} disagrees with the Recording's sfreq={rec.sfreq:g} Hz; "
                "leave sfreq=None for a Recording"
            )
        if picks is None:
            picks = "ecg" if "ecg" in rec.ch_types else "emg"
        idx = rec._pick_indices(picks)
        if not idx:
            raise ValidationError(f"picks={picks!r} selects no channel for {what}")
        names = [rec.ch_names[i] for i in idx]
        is_ecg = all(rec.ch_types[i] == "ecg" for i in idx)
        return np.asarray(rec.data[idx], dtype=np.float64), rec.sfreq, names, is_ecg
    if sfreq is None:
        raise ValidationError(f"{what} needs sfreq (Hz) when x is an array")
    sf = check_sfreq(sfreq)
    x2, _ = _as_2d("x", x)
    names = _row_names(x2.shape[0], None)
    if picks is not None:
        sel = [picks] if isinstance(picks, (int, np.integer)) else list(picks)
        for p in sel:
            if not isinstance(p, (int, np.integer)) or not -x2.shape[0] <= p < x2.shape[0]:
                raise ValidationError(
                    f"picks for an array must be row indices in [0, {x2.shape[0]}); got {p!r}"
                )
        x2 = x2[sel]
        names = [f"#{int(p) % len(names)}" for p in sel]
    return x2, sf, names, False


def _check_detect_args(l_freq: float, h_freq: float, refractory: float, min_bpm: float,
                       max_bpm: float, sfreq: float) -> tuple[float, float]:
    l_freq = check_positive("l_freq", l_freq)
    h_freq = check_positive("h_freq", h_freq)
    refractory = check_positive("refractory", refractory)
    min_bpm = check_positive("min_bpm", min_bpm)
    max_bpm = check_positive("max_bpm", max_bpm)
    if min_bpm >= max_bpm:
        raise ValidationError(f"min_bpm must be < max_bpm; got {min_bpm:g} and {max_bpm:g}")
    if refractory > 60.0 / max_bpm:
        raise ValidationError(
            f"refractory={refractory:g} s is longer than the shortest RR interval at "
            f"max_bpm={max_bpm:g} ({60.0 / max_bpm:.3g} s)"
        )
    h_eff = min(h_freq, 0.4 * sfreq)
    if l_freq >= h_eff:
        raise ValidationError(
            f"detection band l_freq={l_freq:g} Hz must be below h_freq={h_eff:g} Hz "
            f"(h_freq is capped at 0.4 x sfreq = {0.4 * sfreq:g} Hz)"
        )
    return l_freq, h_eff


def _detect_array(
    xd: np.ndarray, sf: float, names: Sequence[str], *, l_freq: float, h_freq: float,
    refractory: float, min_bpm: float, max_bpm: float, min_snr_db: float, on_missing: str,
    what: str, max_irregularity: float = MAX_IRREGULARITY,
) -> HeartbeatDetection:
    _check_template_sfreq(sf, what)
    _check_signal(xd, sf, names, what)
    l_freq, h_eff = _check_detect_args(l_freq, h_freq, refractory, min_bpm, max_bpm, sf)
    y = _sosfiltfilt(xd, sf, l_freq, h_eff, 2)
    pos, snr_db, weights, spread, irr = _detect(
        y, sf, refractory=float(refractory), min_bpm=float(min_bpm), max_bpm=float(max_bpm))
    r = np.round(pos).astype(np.int64)
    hr = float(60.0 * sf / np.median(np.diff(r))) if len(r) >= 2 else float("nan")
    ok = (len(r) >= 3 and snr_db >= min_snr_db and min_bpm <= hr <= max_bpm
          and irr <= max_irregularity and spread <= MAX_AMPLITUDE_SPREAD)
    if not ok:
        msg = (
            f"{what} found no plausible heartbeat in channel(s) {', '.join(names)}: "
            f"{len(r)} candidate beat(s), heart rate {hr:.0f} bpm (allowed "
            f"{min_bpm:g}-{max_bpm:g}), RR irregularity {irr:.2f} (allowed <= "
            f"{max_irregularity:g}), beat amplitude spread {spread:.2f} (allowed <= "
            f"{MAX_AMPLITUDE_SPREAD:g}), beat-locked SNR {snr_db:.1f} dB (needs >= "
            f"{min_snr_db:g} dB); give a reference ECG channel, or on_missing='warn' "
            "to continue without removal"
        )
        if on_missing == "raise":
            raise NoHeartbeatError(msg)
        if on_missing == "warn":
            warnings.warn(msg, EmgcontrolWarning, stacklevel=3)
        r = np.zeros(0, dtype=np.int64)
        pos = np.zeros(0)
    return HeartbeatDetection(r_peaks=r, sfreq=sf, heart_rate_bpm=hr if ok else float("nan"),
                              snr_db=float(snr_db), channel_weights=weights, positions=pos)


def find_r_peaks(
    x: Any,
    sfreq: float | None = None,
    *,
    picks: Any = None,
    l_freq: float = 5.0,
    h_freq: float = 30.0,
    refractory: float = 0.25,
    min_bpm: float = 30.0,
    max_bpm: float = 200.0,
    min_snr_db: float = -10.0,
    max_irregularity: float | None = None,
    on_missing: str = "raise",
) -> HeartbeatDetection:
    """Find heartbeat R-peaks in EMG or ECG channels.

    The channels are band-passed to ``l_freq``-``h_freq`` (zero-phase
    Butterworth, order 2), where the QRS complex has most of its energy and
    EMG little.  A first pass takes the peaks of the summed energy envelope of
    the channels (each normalised by its robust spread) as candidate beats; a
    median QRS template is built per channel from them, and a second pass runs
    a multichannel matched filter (each channel weighted by its beat-locked
    SNR, so the channel with the clearest ECG leads).  Peaks above 0.45 of the
    template amplitude, at least ``refractory`` apart, are beats; RR intervals
    are made plausible (beats closer than ``60 / max_bpm`` s: the weaker goes;
    a beat splitting one interval into two short ones goes; gaps longer than
    1.6 median RR: searched again at half the threshold).  These beats must
    repeat one waveform and a regular rhythm (see :class:`NoHeartbeatError`);
    the final beats are then the best path through all matched-filter peaks
    that follows the local rhythm (dynamic programming, see
    :data:`RHYTHM_WEIGHT`), which recovers beats hidden in EMG bursts.  Each
    R-peak is placed with sub-sample precision (``positions``).

    Parameters
    ----------
    x : array_like, shape (..., n_times), or Recording
        Signals in volts (any unit works: the detector is scale-free).  Every
        row takes part in the detection.  For a Recording, its ECG channels
        when it has any, else its EMG channels (see ``picks``).
    sfreq : float
        Sampling frequency in Hz (omit for a Recording).  At least 100 Hz.
    picks : optional
        Channels to detect on: for a Recording as in
        :meth:`Recording.pick <emgcontrol.recording.Recording.pick>`; for an
        array, row indices.
    l_freq, h_freq : float
        Detection band in Hz (default 5-30 Hz; ``h_freq`` is capped at
        0.4 x ``sfreq``).
    refractory : float
        Shortest time between two beats, in seconds (default 0.25 s).
    min_bpm, max_bpm : float
        Plausible heart rates, beats per minute (default 30-200).
    min_snr_db : float
        Beat-locked SNR (dB) below which the beats are taken as chance peaks
        of EMG or noise (default -10 dB).
    max_irregularity : float, optional
        Largest RR irregularity (median absolute successive RR difference /
        median RR) of a heartbeat: default 0.12 on EMG
        (:data:`MAX_IRREGULARITY`), 0.5 on a Recording's ECG channels
        (:data:`REFERENCE_MAX_IRREGULARITY`, allows atrial fibrillation).
        Beats must also repeat one waveform (amplitude spread <=
        :data:`MAX_AMPLITUDE_SPREAD`).
    on_missing : {"raise", "warn", "ignore"}
        What to do when no plausible heartbeat is found: raise
        :class:`NoHeartbeatError` (default), warn, or silently return an
        empty detection.

    Returns
    -------
    HeartbeatDetection
        ``.r_peaks`` (sample indices), ``.times`` (s), ``.heart_rate_bpm``,
        ``.snr_db``.

    Raises
    ------
    ValidationError
        ``sfreq`` below 100 Hz, signal shorter than 2 s, bad arguments.
    NonFiniteDataError
        NaN/inf samples (the message names the channel and sample).
    NoHeartbeatError
        No plausible heartbeat (``on_missing="raise"``).
    """
    check_option("on_missing", on_missing, _ON_MISSING)
    xd, sf, names, is_ecg = _resolve_detection_input(x, sfreq, picks, "find_r_peaks")
    if max_irregularity is None:
        max_irregularity = REFERENCE_MAX_IRREGULARITY if is_ecg else MAX_IRREGULARITY
    max_irregularity = check_positive("max_irregularity", max_irregularity)
    return _detect_array(xd, sf, names, l_freq=l_freq, h_freq=h_freq, refractory=refractory,
                         min_bpm=min_bpm, max_bpm=max_bpm, min_snr_db=min_snr_db,
                         on_missing=on_missing, what="find_r_peaks",
                         max_irregularity=max_irregularity)


# ------------------------------------------------------------ template subtraction
def _beat_window(r: np.ndarray, sfreq: float, window: tuple[float, float] | None
                 ) -> tuple[int, int]:
    """Window (samples) around each R-peak covered by the template."""
    if window is not None:
        tmin, tmax = float(window[0]), float(window[1])
        if not (math.isfinite(tmin) and math.isfinite(tmax)) or not tmin < 0 < tmax:
            raise ValidationError(
                f"window must be (tmin, tmax) in seconds around the R-peak with "
                f"tmin < 0 < tmax; got {window!r}"
            )
        return int(round(tmin * sfreq)), int(round(tmax * sfreq))
    rr = float(np.median(np.diff(r))) / sfreq if len(r) > 1 else 1.0
    pre = min(0.3, 0.4 * rr)   # P wave starts 0.2-0.25 s before R
    post = min(0.5, 0.6 * rr)  # T wave ends 0.3-0.45 s after R
    return -int(round(pre * sfreq)), int(round(post * sfreq))


def _mains_projector(length: int, sfreq: float, f0: float | None, taper: np.ndarray
                     ) -> np.ndarray | None:
    """Orthonormal basis of tapered sinusoids at ``f0`` and its harmonics.

    Returns ``Q`` (length, 2 n_harmonics): ``t - Q @ (Q.T @ t)`` is the
    template ``t`` without its least-squares fit of ``taper * (a sin + b cos)``
    at each harmonic below 0.49 x sfreq; None when ``f0`` is None.
    """
    if f0 is None:
        return None
    t = np.arange(length) / sfreq
    cols = []
    k = 1
    while k * f0 < 0.49 * sfreq:
        w = 2 * np.pi * k * f0 * t
        cols += [taper * np.sin(w), taper * np.cos(w)]
        k += 1
    if not cols:
        return None
    basis = np.array(cols).T  # (length, 2 n_harm)
    # orthonormalise through the Cholesky factor of the (well-conditioned) Gram matrix:
    # much cheaper than a QR of the tall basis
    gram = basis.T @ basis
    gram[np.diag_indices_from(gram)] *= 1.0 + 1e-9
    chol = np.linalg.cholesky(gram)
    return np.linalg.solve(chol, basis.T).T


_NOISE_OF_AVERAGE = {"median": math.pi / 2, "trimmed": 1.2, "mean": 1.0}


def _wiener_gain(ep: np.ndarray, edge: int, line: np.ndarray, taper: np.ndarray, nfft: int,
                 n_avg: int, average: str, sfreq: float) -> np.ndarray:
    """A posteriori Wiener gain for a template averaged over ``n_avg`` beats.

    From the ensemble of beat epochs ``ep`` (n_beats, length), the power of
    the beat-locked waveform S(f) = |mean(f)|^2 - var(f)/K and the noise of a
    template averaged over ``n_avg`` beats N(f) = c var(f)/n_avg are
    estimated per frequency (smoothed over ~4 Hz); the gain S / (S + N)
    (Walter 1969; Doyle 1975) keeps the ECG and drops the EMG that would
    otherwise leak through the template into every beat.
    """
    k = ep.shape[0]
    a0 = ep[:, :edge].mean(axis=1, keepdims=True)
    a1 = ep[:, -edge:].mean(axis=1, keepdims=True)
    e = (ep - (a0 + (a1 - a0) * line[None, :])) * taper[None, :]
    spec = np.fft.rfft(e, nfft, axis=1)
    mean = spec.mean(axis=0)
    var = np.sum(np.abs(spec - mean) ** 2, axis=0) / max(k - 1, 1)
    sig = np.abs(mean) ** 2 - var / k
    width = max(1, int(round(4.0 * nfft / sfreq)))
    kern = np.ones(2 * width + 1) / (2 * width + 1)
    sig = np.convolve(np.clip(sig, 0.0, None), kern, mode="same")
    noise = np.convolve(var, kern, mode="same") * _NOISE_OF_AVERAGE[average] / max(n_avg, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(sig + noise > 0, sig / (sig + noise), 0.0)
    return gain


def _between_beat_variance(a: np.ndarray, v: np.ndarray, centre: float) -> float:
    """Variance of the true amplitudes behind fitted amplitudes ``a`` (fit noise
    variances ``v``): robust spread of ``a`` minus the typical fit noise, >= 0."""
    if len(a) < 5:
        return 0.0
    spread = (1.4826 * float(np.median(np.abs(a - centre)))) ** 2
    return max(spread - float(np.median(v)), 0.0)


def _template_subtract(
    x: np.ndarray, pos: np.ndarray, lo: int, hi: int, *, sfreq: float,
    n_beats: int | None, average: str, fit: bool, wiener: bool = True,
    mains_hz: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Subtract the local beat template of every row of ``x`` at R positions ``pos``.

    ``pos`` are R-peak positions in samples (may be fractional); epochs are
    taken by cubic-spline interpolation so beats are aligned to a fraction
    of a sample (this matters at 250 Hz, where a sample is 4 ms of a ~10 ms
    wide R wave).  Returns (cleaned, artifact) with the shape of ``x``.
    """
    from scipy.ndimage import map_coordinates, spline_filter1d

    n_rows, n = x.shape
    length = hi - lo + 1
    offs = np.arange(lo, hi + 1, dtype=float)
    pos = np.asarray(pos, dtype=float)
    full = np.flatnonzero((pos + lo >= 0) & (pos + hi <= n - 1))
    k_all = len(pos)
    artifact = np.zeros_like(x)
    if len(full) < 2:
        return x.copy(), artifact
    ramp = max(1, int(round(TAPER * length)))
    taper = np.ones(length)
    cos_ramp = 0.5 * (1 - np.cos(np.pi * (np.arange(ramp) + 0.5) / ramp))
    taper[:ramp] = cos_ramp
    taper[-ramp:] = cos_ramp[::-1]
    edge = max(1, int(round(0.05 * length)))
    line = np.linspace(0.0, 1.0, length)
    nb_count = len(full) - 1 if n_beats is None else min(int(n_beats), len(full) - 1)
    nb_count = max(nb_count, 1)
    # neighbours of each beat (leave-one-out): the nb_count full beats nearest in time
    neighbours = []
    for k in range(k_all):
        order = np.argsort(np.abs(pos[full] - pos[k]), kind="stable")
        neighbours.append(np.sort(order[full[order] != k][:nb_count]))
    # integer sample span of each beat and the template coordinates there
    starts = np.ceil(pos + lo).astype(np.int64)
    stops = np.floor(pos + hi).astype(np.int64) + 1
    starts_c = np.clip(starts, 0, n)
    stops_c = np.clip(stops, 0, n)
    coords = (pos[full, None] + offs[None, :]).ravel()
    nfft = 1 << int(math.ceil(math.log2(2 * length)))
    # mains is not locked to the heart, but over a few dozen beats part of it is by
    # chance: keep it out of the templates
    proj = _mains_projector(length, sfreq, mains_hz, taper)
    for c in range(n_rows):
        coef = spline_filter1d(x[c], order=3, mode="mirror")
        ep = map_coordinates(coef, coords[None, :], order=3, mode="mirror",
                             prefilter=False).reshape(len(full), length)
        gain = None
        if wiener:
            gain = _wiener_gain(ep, edge, line, taper, nfft, nb_count, average, sfreq)
        tmpls = np.empty((k_all, length))
        for k in range(k_all):
            sel = ep[neighbours[k]]
            if average == "median":
                t = np.median(sel, axis=0)
            elif average == "trimmed":
                from scipy.stats import trim_mean

                t = trim_mean(sel, 0.2, axis=0)
            else:
                t = sel.mean(axis=0)
            a0, a1 = t[:edge].mean(), t[-edge:].mean()
            t = (t - (a0 + (a1 - a0) * line)) * taper
            if gain is not None:
                t = np.fft.irfft(np.fft.rfft(t, nfft) * gain, nfft)[:length] * taper
            if proj is not None:
                t = t - proj @ (proj.T @ t)
            tmpls[k] = t
        # place each template on the integer samples of its beat
        placed: list[np.ndarray] = []
        amps = np.ones(k_all)
        var_ls = np.full(k_all, np.inf)
        for k in range(k_all):
            i0, i1 = starts_c[k], stops_c[k]
            if i1 - i0 < 3:
                placed.append(np.zeros(0))
                continue
            u = np.arange(i0, i1) - pos[k] - lo  # template coordinate
            tk = map_coordinates(tmpls[k], u[None, :], order=3, mode="nearest")
            placed.append(tk)
            if fit:
                seg = x[c, i0:i1]
                tt = (u - u.mean()) / max(length, 1)
                design = np.column_stack([tk, np.ones_like(tk), tt])
                sol, *_ = np.linalg.lstsq(design, seg, rcond=None)
                res = seg - design @ sol
                energy = float(np.sum(tk * tk))
                if energy > 0:
                    amps[k] = sol[0]
                    var_ls[k] = float(np.mean(res * res)) / energy
        if fit:
            # shrink noisy per-beat amplitudes towards the channel's typical one
            good = np.isfinite(var_ls)
            a_med = float(np.median(amps[good])) if good.any() else 1.0
            # empirical Bayes: the true beat-to-beat amplitude variance is the robust
            # spread of the fitted amplitudes beyond their fitting noise, capped at
            # AMPLITUDE_SPREAD; it is zero for a constant ECG, which then gets one
            # amplitude
            v_true = _between_beat_variance(amps[good], var_ls[good], a_med)
            v_prior = min(v_true, (AMPLITUDE_SPREAD * max(a_med, 0.0)) ** 2) + 1e-12
            with np.errstate(divide="ignore"):
                prec = np.where(good, 1.0 / var_ls, 0.0)
            amps = (a_med / v_prior + amps * prec) / (1.0 / v_prior + prec)
            amps = np.clip(np.where(good, amps, a_med), 0.0, 2.0)
        for k in range(k_all):
            if len(placed[k]):
                artifact[c, starts_c[k]:stops_c[k]] += amps[k] * placed[k]
    return x - artifact, artifact


def remove_ecg(
    x: Any,
    sfreq: float | None = None,
    *,
    method: str = "template",
    reference: Any = None,
    r_peaks: Any = None,
    picks: Any = "emg",
    l_freq: float = 30.0,
    order: int = 4,
    window: tuple[float, float] | None = None,
    n_beats: int | None = 30,
    average: str = "median",
    fit_amplitude: bool = True,
    wiener: bool = True,
    mains_freq: float | str | None = "auto",
    detect_band: tuple[float, float] = (5.0, 30.0),
    refractory: float = 0.25,
    min_bpm: float = 30.0,
    max_bpm: float = 200.0,
    on_missing: str = "raise",
) -> Any:
    """Remove heartbeat (ECG) contamination from EMG.

    Parameters
    ----------
    x : array_like, shape (..., n_times), or Recording
        EMG in volts.  An array is cleaned row by row (except a ``reference``
        row); a Recording gets its ``picks`` channels cleaned and is returned
        as a new Recording with a ``"remove_ecg"`` history step whose
        parameters include the R-peaks used (``r_peak_samples``).
    sfreq : float
        Sampling frequency in Hz (omit for a Recording).
    method : {"template", "highpass"}
        ``"template"`` (default): beat template subtraction.  ``"highpass"``:
        zero-phase Butterworth high-pass at ``l_freq`` (Drake & Callaghan 2006).
    reference : str, int or array_like, optional
        Where to find the heartbeats for ``"template"``: a channel name or
        index of the Recording, a row index of the array (that row is used for
        detection and left unchanged), or a 1-D ECG array of length n_times.
        Default: the Recording's ECG channels if it has any, else the EMG
        being cleaned.
    r_peaks : array_like of int, optional
        R-peak sample indices found beforehand (e.g. ``find_r_peaks(...).r_peaks``);
        skips detection.
    picks : optional
        Recording channels to clean (default all EMG channels).
    l_freq : float
        High-pass cut-off in Hz for ``"highpass"`` (default 30 Hz).
    order : int
        Butterworth order of the high-pass, applied forward and backward
        (default 4, i.e. 8th-order magnitude response, -6 dB at ``l_freq``).
    window : (float, float), optional
        Template span around each R-peak in seconds, e.g. ``(-0.25, 0.45)``.
        Default: ``-min(0.25, 0.35 RR)`` to ``+min(0.45, 0.6 RR)`` from the
        median RR interval, so P and T waves are covered and windows do not
        overlap.
    n_beats : int or None
        Number of neighbouring beats averaged into each beat's template
        (default 30; None: all beats).  The beat itself is left out, so its own
        EMG is not subtracted.
    average : {"median", "trimmed", "mean"}
        How epochs are averaged: the median (default) is robust to EMG bursts;
        ``"trimmed"`` is a 20 % trimmed mean; ``"mean"`` is least noisy on quiet
        EMG but biased by bursts.
    fit_amplitude : bool
        Scale the template to each beat by least squares (with a local offset
        and slope), clipped to 0-2 (default True): follows the respiratory
        modulation of the ECG amplitude.
    wiener : bool
        Filter each template with the a posteriori Wiener gain of the beat
        ensemble (Walter 1969; Doyle 1975): frequencies where the beats carry
        little locked (ECG) power compared with the EMG that averaging leaves
        in the template are attenuated (default True).  Keeps the EMG that
        the template would otherwise add to every beat window.
    mains_freq : {"auto", 50, 60} or None
        Mains frequency kept out of the templates (the least-squares fit of
        sinusoids at it and its harmonics is removed from each template):
        mains is not locked to the heart, but over a few dozen beats part of it is by chance, and a
        template carrying it would write mains into every beat window.
        ``"auto"`` (default): 50 or 60 Hz when the signal shows a line there
        (:func:`emgcontrol.signal.detect_mains`), else none; None: never.
    detect_band, refractory, min_bpm, max_bpm :
        Detection settings, see :func:`find_r_peaks`.
    on_missing : {"raise", "warn", "ignore"}
        When no plausible heartbeat is found: raise :class:`NoHeartbeatError`
        (default), or warn / stay silent and return the input unchanged.

    Returns
    -------
    ndarray or Recording
        Same type and shape as ``x``.

    Raises
    ------
    ValidationError
        Bad argument; ``sfreq`` too low for the method (template: < 100 Hz;
        highpass: ``l_freq`` >= 0.45 ``sfreq``); signal shorter than 2 s.
    NonFiniteDataError
        NaN/inf samples; the message names the channel.
    NoHeartbeatError
        No plausible heartbeat found (``on_missing="raise"``).

    Notes
    -----
    Measured (``tests/test_ecg.py``; residue = RMS of output minus clean EMG
    in the beat windows, against the ECG put in):

    * synthetic EMG bursts (~60 uV RMS over half the beats) + ECG with R
      waves of 100 / 70 / 40 / 15 uV: 9-13 / 8-9 / 6-8 / 4 x at 250 Hz,
      18-26 / 14-19 / 9-13 / 5-7 x at 1-4 kHz; EMG burst RMS within 0.1 %.
      The 30 Hz high-pass gives 4-5 / 3 / 2 / 0.7 x and loses 1-2 % of the
      burst RMS (the EMG below 30 Hz);
    * project simulator (arm-raise and lift sessions, 250 and 1000 Hz, 3
      seeds; 20 uV mains and motion artefacts included): 2.5-18 x (median 7)
      on channels with R waves >= 40 uV, 1.3-14 x (median 4.5) above 20 Hz;
    * the real 8-channel file (2048 Hz, 104 bpm, no ground truth): power
      within 50 ms of the R-peaks over that at mid-RR, above 20 Hz, from
      10-12 dB to 0.4-1.8 dB (high-pass: 3.7-4.6 dB).

    The template is robust to EMG bursts but not to a wrong beat: where
    detection misses or misplaces a beat (inside strong, sustained trunk
    contractions) its ECG stays or a template is subtracted off the beat.
    """
    check_option("method", method, ECG_METHODS)
    check_option("on_missing", on_missing, _ON_MISSING)
    check_option("average", average, ("median", "trimmed", "mean"))
    if isinstance(mains_freq, str):
        check_option("mains_freq", mains_freq, ("auto",))
    elif mains_freq is not None:
        mains_freq = check_positive("mains_freq", mains_freq)
    if _is_recording(x):
        return _remove_ecg_recording(
            x, sfreq, method=method, reference=reference, r_peaks=r_peaks, picks=picks,
            l_freq=l_freq, order=order, window=window, n_beats=n_beats, average=average,
            fit_amplitude=fit_amplitude, wiener=wiener, mains_freq=mains_freq,
            detect_band=detect_band, refractory=refractory, min_bpm=min_bpm,
            max_bpm=max_bpm, on_missing=on_missing)
    if sfreq is None:
        raise ValidationError("remove_ecg needs sfreq (Hz) when x is an array")
    sf = check_sfreq(sfreq)
    x2, shape = _as_2d("x", x)
    names = _row_names(x2.shape[0], None)
    ref_row: int | None = None
    ref_sig: np.ndarray | None = None
    if reference is not None and method == "template":
        if isinstance(reference, (int, np.integer)) and not isinstance(reference, bool):
            if not -x2.shape[0] <= int(reference) < x2.shape[0]:
                raise ValidationError(
                    f"reference row {int(reference)} out of range for {x2.shape[0]} rows"
                )
            ref_row = int(reference) % x2.shape[0]
        else:
            ref_sig, _ = _as_2d("reference", reference)
            if ref_sig.shape[-1] != x2.shape[-1]:
                raise ValidationError(
                    f"reference must have n_times={x2.shape[-1]} samples like x; "
                    f"got shape {np.shape(reference)}"
                )
    out, _ = _remove_ecg_2d(
        x2, sf, names, method=method, ref_row=ref_row, ref_sig=ref_sig, r_peaks=r_peaks,
        l_freq=l_freq, order=order, window=window, n_beats=n_beats, average=average,
        fit_amplitude=fit_amplitude, wiener=wiener, mains_freq=mains_freq,
        detect_band=detect_band, refractory=refractory, min_bpm=min_bpm, max_bpm=max_bpm,
        on_missing=on_missing)
    return out.reshape(shape)


def _check_r_peaks(r_peaks: Any, n: int) -> np.ndarray:
    try:
        r = np.asarray(r_peaks)
    except Exception:  # pragma: no cover
        raise ValidationError(f"r_peaks must be sample indices; got {r_peaks!r}") from None
    if r.ndim != 1 or (r.size and r.dtype.kind not in "iu" and not np.all(r == np.round(r))):
        raise ValidationError(
            f"r_peaks must be a 1-D array of integer sample indices; got shape {r.shape}, "
            f"dtype {r.dtype}"
        )
    r = r.astype(np.int64)
    if r.size and (r.min() < 0 or r.max() >= n):
        raise ValidationError(
            f"r_peaks must lie in [0, {n}); got values from {r.min()} to {r.max()}"
        )
    return np.unique(r)


def _remove_ecg_2d(
    x2: np.ndarray, sf: float, names: Sequence[str], *, method: str, ref_row: int | None,
    ref_sig: np.ndarray | None, r_peaks: Any, l_freq: float, order: int,
    window: tuple[float, float] | None, n_beats: int | None, average: str,
    fit_amplitude: bool, wiener: bool, mains_freq: float | str | None,
    detect_band: tuple[float, float], refractory: float,
    min_bpm: float, max_bpm: float, on_missing: str,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Clean rows of ``x2`` (except ``ref_row``); return (cleaned, info for history)."""
    info: dict[str, Any] = {"method": method}
    if method == "highpass":
        l_freq = check_positive("l_freq", l_freq)
        if not isinstance(order, (int, np.integer)) or order < 1:
            raise ValidationError(f"order must be a positive integer; got {order!r}")
        if l_freq >= 0.45 * sf:
            raise ValidationError(
                f"method='highpass' with l_freq={l_freq:g} Hz needs sfreq > "
                f"{l_freq / 0.45:.4g} Hz (l_freq below 0.45 x sfreq); got sfreq={sf:g} Hz"
            )
        check_finite(x2, names)
        min_n = 3 * (2 * ((int(order) + 1) // 2) + 1) + 1
        if x2.shape[-1] < min_n:
            raise ValidationError(
                f"method='highpass' needs at least {min_n} samples; got {x2.shape[-1]}"
            )
        out = _sosfiltfilt(x2, sf, l_freq, None, int(order))
        info.update({"l_freq": l_freq, "order": int(order), "zero_phase": True,
                     "filter": "butterworth"})
        return out, info

    # template subtraction
    _check_template_sfreq(sf, "remove_ecg(method='template')")
    if n_beats is not None and (not isinstance(n_beats, (int, np.integer)) or n_beats < 2):
        raise ValidationError(f"n_beats must be an integer >= 2 or None; got {n_beats!r}")
    clean_rows = [i for i in range(x2.shape[0]) if i != ref_row]
    check_finite(x2, names)
    if r_peaks is None:
        if ref_sig is not None:
            det_x, det_names = ref_sig, ["reference"]
        elif ref_row is not None:
            det_x, det_names = x2[[ref_row]], [names[ref_row]]
        else:
            det_x, det_names = x2, list(names)
        try:
            lf, hf = detect_band
        except (TypeError, ValueError):
            raise ValidationError(
                f"detect_band must be (l_freq, h_freq) in Hz; got {detect_band!r}"
            ) from None
        on_ref = ref_sig is not None or ref_row is not None
        det = _detect_array(det_x, sf, det_names, l_freq=lf, h_freq=hf,
                            refractory=refractory, min_bpm=min_bpm, max_bpm=max_bpm,
                            min_snr_db=-10.0, on_missing=on_missing,
                            what="remove_ecg(method='template')",
                            max_irregularity=(REFERENCE_MAX_IRREGULARITY if on_ref
                                              else MAX_IRREGULARITY))
        r = det.r_peaks
        pos = det.positions
        info.update({"detection": {"band_hz": [float(lf), float(min(hf, 0.4 * sf))],
                                   "refractory_s": float(refractory),
                                   "bpm_range": [float(min_bpm), float(max_bpm)],
                                   "snr_db": round(det.snr_db, 2),
                                   "channels": det_names}})
    else:
        r = _check_r_peaks(r_peaks, x2.shape[-1])
        pos = r.astype(float)
        info["detection"] = "given"
        if len(r) < 3:
            raise ValidationError(f"r_peaks must hold at least 3 beats; got {len(r)}")
    out = x2.copy()
    lo = hi = 0
    if len(r) >= 3:
        lo, hi = _beat_window(r, sf, window)
        if isinstance(mains_freq, str):
            from .filters import detect_mains

            f0 = detect_mains(x2[clean_rows], sf) if clean_rows else None
        else:
            f0 = mains_freq
        info["template_notch_hz"] = f0
        cleaned, _ = _template_subtract(x2[clean_rows], pos, lo, hi, sfreq=sf,
                                        n_beats=n_beats, average=average,
                                        fit=bool(fit_amplitude), wiener=bool(wiener),
                                        mains_hz=f0)
        out[clean_rows] = cleaned
    hr = float(60.0 * sf / np.median(np.diff(r))) if len(r) >= 2 else None
    info.update({
        "window_s": [lo / sf, hi / sf], "n_beats": None if n_beats is None else int(n_beats),
        "average": average, "fit_amplitude": bool(fit_amplitude), "wiener": bool(wiener),
        "n_r_peaks": int(len(r)), "heart_rate_bpm": None if hr is None else round(hr, 2),
        "r_peak_samples": [int(v) for v in r],
    })
    return out, info


def _remove_ecg_recording(rec: Recording, sfreq: float | None, *, reference: Any,
                          picks: Any, **kw: Any) -> Recording:
    if sfreq is not None and float(sfreq) != rec.sfreq:
        raise ValidationError(
            f"sfreq={sfreq!r} disagrees with the Recording's sfreq={rec.sfreq:g} Hz; "
            "leave sfreq=None for a Recording"
        )
    idx = rec._pick_indices(picks)
    if not idx:
        raise ValidationError(f"picks={picks!r} selects no channel to clean")
    names = [rec.ch_names[i] for i in idx]
    x2 = np.array(rec.data[idx], dtype=np.float64)
    ref_sig = None
    ref_desc: Any = None
    if kw["method"] == "template" and kw["r_peaks"] is None:
        if reference is None and "ecg" in rec.ch_types:
            reference = [i for i, t in enumerate(rec.ch_types) if t == "ecg"]
        if reference is not None:
            if isinstance(reference, (str, int, np.integer)) or (
                    isinstance(reference, Sequence) and not isinstance(reference, np.ndarray)
                    and all(isinstance(v, (str, int, np.integer)) for v in reference)):
                ridx = rec._pick_indices(reference)
                ref_sig = np.asarray(rec.data[ridx], dtype=np.float64)
                ref_desc = [rec.ch_names[i] for i in ridx]
            else:
                ref_sig, _ = _as_2d("reference", reference)
                if ref_sig.shape[-1] != rec.n_times:
                    raise ValidationError(
                        f"reference must have n_times={rec.n_times} samples like the "
                        f"Recording; got shape {np.shape(reference)}"
                    )
                ref_desc = "array"
    out, info = _remove_ecg_2d(x2, rec.sfreq, names, ref_row=None, ref_sig=ref_sig, **kw)
    if ref_desc is not None:
        info["reference"] = ref_desc
    info["channels"] = names
    data = np.array(rec.data, dtype=np.float64)
    data[idx] = out
    return rec.with_step("remove_ecg", info, data=data)


# ------------------------------------------------------------ contamination index
def ecg_contamination(
    x: np.ndarray,
    sfreq: float,
    r_peaks: Any,
    *,
    l_freq: float | None = 20.0,
    window: tuple[float, float] | None = None,
) -> np.ndarray:
    """Share of the power near heartbeats that is locked to them (ECG), per row.

    Epochs around the R-peaks (``window``, default as in :func:`remove_ecg`)
    of each row, high-passed at ``l_freq`` (the EMG band, default 20 Hz), are
    averaged; the power of the average (corrected for its noise,
    ``residual / n_beats``) is the ECG power, the residual power is the EMG
    and noise power.

    Parameters
    ----------
    x : ndarray, shape (..., n_times)
        Signals (any unit).
    sfreq : float
        Sampling frequency in Hz.
    r_peaks : array_like of int
        R-peak sample indices (at least 3).
    l_freq : float or None
        High-pass (Hz) applied first; None to use the signal as it is.
    window : (float, float), optional
        Epoch span in seconds around each R-peak.

    Returns
    -------
    ndarray, shape x.shape[:-1]
        ECG power / (ECG power + residual power), between 0 and 1; 0 where
        nothing is locked to the beats.
    """
    sf = check_sfreq(sfreq)
    x2, shape = _as_2d("x", x)
    r = _check_r_peaks(r_peaks, x2.shape[-1])
    if len(r) < 3:
        raise ValidationError(f"r_peaks must hold at least 3 beats; got {len(r)}")
    y = _sosfiltfilt(x2, sf, l_freq, None, 4) if l_freq is not None else x2
    lo, hi = _beat_window(r, sf, window)
    r = r[(r + lo >= 0) & (r + hi < x2.shape[-1])]
    if len(r) < 3:
        return np.zeros(shape[:-1])
    ep = _epochs(y, r, lo, hi)
    k = ep.shape[1]
    mean = ep.mean(axis=1)
    resid = np.sum((ep - mean[:, None, :]) ** 2, axis=1) / (k - 1)
    sig = np.clip(np.mean(mean**2 - resid / k, axis=1), 0.0, None)
    noise = np.mean(resid, axis=1)
    tot = sig + noise
    share = np.where(tot > 0, sig / np.where(tot > 0, tot, 1.0), 0.0)
    return share.reshape(shape[:-1])
