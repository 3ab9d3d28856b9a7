"""Spectral fatigue: median and mean frequency over sliding windows and their slopes.

For each channel and analysis segment, windows of ``window_s`` seconds advance by
``window_s - overlap_s``; each window's power spectrum is estimated by Welch's
method (Hann sub-windows of ``nperseg_s``, 50 % overlap, mean removed) or by a
Hann-windowed periodogram of the whole window.  Within the band ``[l_freq,
h_freq]`` (default 20 Hz to min(450 Hz, 0.95 x Nyquist)):

* median frequency ``MDF``: the frequency that splits the band power in two halves
  (linear interpolation of the cumulative power);
* mean frequency ``MNF = sum(f P(f)) / sum(P(f))``.

The fatigue index is the least-squares slope of MDF (MNF) against the window
centre time (Hz/s), and the slope normalised by the initial value (the regression
line at the start of the segment), ``100 * slope / initial`` (%/s), which removes
between-subject and between-muscle differences of the spectrum (Roy et al. 1989;
Mannion & Dolan 1994; Merletti et al. 1990).  For the Biering-Sorensen hold,
lumbar erector spinae MDF slopes of about -0.1 to -0.4 %/s are typical of healthy
backs; steeper slopes go with fatigable backs and low back pain (Mannion & Dolan
1994; Coorevits et al. 2008).

Low sampling rates bias the spectrum: the surface EMG spectrum extends to
400-500 Hz, so a Nyquist frequency of 125 Hz (OpenBCI Cyton, 250 Hz) or 62.5 Hz
(Cyton+Daisy) cuts it.  The median and mean frequencies are then those of the
truncated spectrum: biased low, and the slopes in Hz/s smaller.  An
:class:`~emgcontrol.EmgcontrolWarning` states the size of the bias for a typical
lumbar spectrum (Shwedyk et al. 1977 shape, full-band MDF 90 Hz) at the rate in use.

References
----------
Roy SH, De Luca CJ, Casavant DA (1989) Lumbar muscle fatigue and chronic lower back
pain. Spine 14:992-1001.
Mannion AF, Dolan P (1994) Electromyographic median frequency changes during
isometric contraction of the back extensors to fatigue. Spine 19:1223-1229.
Merletti R, Knaflitz M, De Luca CJ (1990) Myoelectric manifestations of fatigue in
voluntary and electrically elicited contractions. J Appl Physiol 69:1810-1820.
Coorevits P, Danneels L, Cambier D, Ramon H, Vanderstraeten G (2008) Assessment of
the validity of the Biering-Sorensen test for measuring back muscle fatigue based
on EMG median frequency characteristics of back and hip muscles. J Electromyogr
Kinesiol 18:997-1005.
Shwedyk E, Balasubramanian R, Scott RN (1977) A nonstationary model for the
electromyogram. IEEE Trans Biomed Eng 24:417-424.
Welch PD (1967) The use of fast Fourier transform for the estimation of power
spectra. IEEE Trans Audio Electroacoust 15:70-73.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validate import check_option, check_positive
from ..errors import EmgcontrolWarning, ValidationError
from ._common import (SEGMENT_COLUMNS, STATUS_NA, STATUS_OK, MetricTable, assess,
                      channel_info, emg_indices, jsonable, n_samples, rail_of,
                      resolve_segments)

if TYPE_CHECKING:  # pragma: no cover
    from ..recording import Recording

__all__ = ["SpectralFatigue", "compute_spectral_fatigue", "median_frequency",
           "mean_frequency", "spectral_bias"]

SPECTRAL_METHODS = ("welch", "periodogram")

L_FREQ = 20.0
H_FREQ = 450.0
NYQUIST_FRACTION = 0.95
TYPICAL_MDF_HZ = 90.0  # lumbar erector spinae, full band (Roy et al. 1989)
BIAS_WARN = 0.03       # warn when the model MDF is biased by more than 3 %


# ------------------------------------------------------------ spectral stats
def median_frequency(freqs: Any, psd: Any) -> np.ndarray:
    """Median frequency of power spectra (last axis), Hz.

    The cumulative power is interpolated linearly between bins, so the result is
    not limited to the frequency grid.  NaN where the total power is 0.
    """
    f = np.asarray(freqs, dtype=float)
    p = np.asarray(psd, dtype=float)
    c = np.cumsum(p, axis=-1)
    total = c[..., -1:]
    half = 0.5 * total
    k = np.sum(c < half, axis=-1, keepdims=True)  # first bin reaching half
    k = np.minimum(k, p.shape[-1] - 1)
    c_hi = np.take_along_axis(c, k, -1)
    c_lo = np.where(k > 0, np.take_along_axis(c, np.maximum(k - 1, 0), -1), 0.0)
    f_hi = f[k]
    f_lo = np.where(k > 0, f[np.maximum(k - 1, 0)], f[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(c_hi > c_lo, (half - c_lo) / (c_hi - c_lo), 0.0)
        out = f_lo + frac * (f_hi - f_lo)
    out = np.where(total > 0, out, np.nan)
    return out[..., 0]


def mean_frequency(freqs: Any, psd: Any) -> np.ndarray:
    """Mean (centroid) frequency ``sum(f P) / sum(P)`` of power spectra, Hz."""
    f = np.asarray(freqs, dtype=float)
    p = np.asarray(psd, dtype=float)
    tot = p.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, (p * f).sum(axis=-1) / tot, np.nan)


def _shwedyk(f: np.ndarray, fh: float) -> np.ndarray:
    fl = 0.5 * fh
    return f * f * fh**4 / ((f * f + fl * fl) * (f * f + fh * fh) ** 2)


def spectral_bias(sfreq: float, l_freq: float = L_FREQ, h_freq: float | None = None,
                  mdf_hz: float = TYPICAL_MDF_HZ) -> dict[str, float]:
    """Bias of MDF, MNF and their slopes for a typical sEMG spectrum in a band.

    The spectrum is the Shwedyk et al. (1977) shape scaled to a median frequency of
    ``mdf_hz`` over 20-450 Hz (lumbar erector spinae: 90 Hz).  Fatigue is a
    compression of its frequency axis.

    Returns
    -------
    dict
        ``mdf_reference_hz`` / ``mnf_reference_hz`` (20-450 Hz band),
        ``mdf_band_hz`` / ``mnf_band_hz`` (the band used), ``power_fraction`` (share
        of the 20-450 Hz power inside the band), ``slope_ratio_hz`` and
        ``slope_ratio_pct`` (measured / reference MDF slope, in Hz/s and in %/s).
    """
    nyq = sfreq / 2.0
    h = min(H_FREQ, NYQUIST_FRACTION * nyq) if h_freq is None else float(h_freq)
    f = np.linspace(0.0, 600.0, 24001)
    # fh so that the 20-450 Hz median equals mdf_hz (bisection)
    lo, hi = 20.0, 400.0

    def stats(fh: float, a: float, b: float) -> tuple[float, float, float]:
        m = (f >= a) & (f <= b)
        p = _shwedyk(f[m], fh)
        return (float(median_frequency(f[m], p)), float(mean_frequency(f[m], p)),
                float(p.sum()))

    for _ in range(50):
        mid = 0.5 * (lo + hi)
        if stats(mid, L_FREQ, H_FREQ)[0] < mdf_hz:
            lo = mid
        else:
            hi = mid
    fh = 0.5 * (lo + hi)
    mdf_ref, mnf_ref, p_ref = stats(fh, L_FREQ, H_FREQ)
    mdf_b, mnf_b, p_b = stats(fh, l_freq, h)
    c = 0.99  # 1 % compression
    mdf_ref2 = stats(fh * c, L_FREQ, H_FREQ)[0]
    mdf_b2 = stats(fh * c, l_freq, h)[0]
    dref, db = mdf_ref2 - mdf_ref, mdf_b2 - mdf_b
    return {"mdf_reference_hz": mdf_ref, "mnf_reference_hz": mnf_ref,
            "mdf_band_hz": mdf_b, "mnf_band_hz": mnf_b,
            "power_fraction": p_b / p_ref if p_ref > 0 else math.nan,
            "slope_ratio_hz": db / dref if dref else math.nan,
            "slope_ratio_pct": (db / mdf_b) / (dref / mdf_ref) if dref else math.nan,
            "l_freq": l_freq, "h_freq": h}


# ------------------------------------------------------------------ results
class SpectralFatigue(MetricTable):
    """Spectral fatigue indices (output of :func:`compute_spectral_fatigue`).

    Rows: one per channel, segment and measure (``mdf``, ``mnf``) with
    ``slope_hz_per_s``, ``initial_hz``, ``slope_pct_per_s``, ``r2``, ``n_windows``.
    :attr:`series` holds the per-window values (``window_start_s``, ``time_s`` =
    window centre, ``mdf_hz``, ``mnf_hz``).
    """

    kind = "spectral_fatigue"

    def __init__(self, rows, columns, meta, *, series: MetricTable) -> None:
        super().__init__(rows, columns, meta)
        self.series = series

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the slopes and the per-window series."""
        out = super().to_dict()
        out["series"] = self.series.to_dict()
        return out

    def slope(self, channel: str, measure: str = "mdf", unit: str = "%/s",
              index: int = 0) -> float:
        """A slope of one channel (``unit`` ``"%/s"`` or ``"Hz/s"``)."""
        col = "slope_pct_per_s" if unit == "%/s" else "slope_hz_per_s"
        for r in self.rows:
            if r["channel"] == channel and r["measure"] == measure and r["index"] == index:
                return float(r[col])
        raise ValidationError(f"no {measure} slope for channel {channel!r}")


FATIGUE_COLUMNS = ("channel", "muscle", "side", *SEGMENT_COLUMNS, "measure",
                   "slope_hz_per_s", "initial_hz", "slope_pct_per_s", "r2", "n_windows",
                   "status", "reason")
SERIES_COLUMNS = ("channel", "muscle", "side", "segment", "index", "window_start_s",
                  "time_s", "mdf_hz", "mnf_hz", "status", "reason")


def _fit(t: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Slope, intercept at t=0 and r^2 of a least-squares line."""
    tm, ym = t.mean(), y.mean()
    stt = float(np.sum((t - tm) ** 2))
    slope = float(np.sum((t - tm) * (y - ym)) / stt)
    icpt = float(ym - slope * tm)
    ss_res = float(np.sum((y - (icpt + slope * t)) ** 2))
    ss_tot = float(np.sum((y - ym) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else math.nan
    return slope, icpt, r2


def compute_spectral_fatigue(
    rec: Recording,
    *,
    windows: Any = None,
    trials: str | None = None,
    phases: str | Sequence[str] | None = None,
    window_s: float = 1.0,
    overlap_s: float = 0.5,
    method: str = "welch",
    nperseg_s: float = 0.25,
    l_freq: float = L_FREQ,
    h_freq: float | None = None,
    picks: Any = None,
    min_windows: int = 3,
    rail_v: float | None = None,
) -> SpectralFatigue:
    """Median and mean frequency over sliding windows and their fatigue slopes.

    Parameters
    ----------
    rec : Recording
        EMG in V (band-passed or raw: frequencies below ``l_freq`` are ignored).
    windows : sequence of (start_s, stop_s), optional
        Analysis spans (e.g. the Biering-Sorensen hold); default: the events
        ``trials``/``phases`` if given, else the whole recording.
    trials, phases : str, optional
        Event labels delimiting the spans (as in :func:`compute_amount`; default
        none: the whole recording).
    window_s : float
        Length of each spectral window, s (default 1 s).
    overlap_s : float
        Overlap of consecutive windows, s (default 0.5 s; must be < ``window_s``).
    method : {"welch", "periodogram"}
        Spectrum estimate per window.
    nperseg_s : float
        Welch sub-window, s (default 0.25 s, 4 Hz resolution; at most ``window_s``).
    l_freq, h_freq : float
        Band for MDF/MNF, Hz (default 20 Hz to min(450, 0.95 x Nyquist)).
    picks : optional
        Channels (default every EMG channel).
    min_windows : int
        Fewest windows for a slope (default 3).
    rail_v : float, optional
        Amplifier rail for the railed check.

    Returns
    -------
    SpectralFatigue
        Slopes per channel, span and measure; ``.series`` per window.

    Warns
    -----
    EmgcontrolWarning
        When the band is cut by a low Nyquist frequency, with the size of the bias
        of MDF and of its slope for a typical lumbar sEMG spectrum.

    Raises
    ------
    ValidationError
        For a window longer than a span, an overlap >= the window, a band outside
        (0, Nyquist), or an unknown method.
    """
    from scipy import signal as sps

    check_option("method", method, SPECTRAL_METHODS)
    sfreq = rec.sfreq
    nyq = sfreq / 2.0
    n_win = n_samples("window_s", window_s, sfreq)
    ov = check_positive("overlap_s", overlap_s, allow_zero=True)
    n_step = n_win - int(round(ov * sfreq))
    if n_step < 1:
        raise ValidationError(
            f"overlap_s={overlap_s!r} must be shorter than window_s={window_s!r}")
    n_seg = min(n_win, n_samples("nperseg_s", nperseg_s, sfreq))
    lf = check_positive("l_freq", l_freq, allow_zero=True)
    hf = min(H_FREQ, NYQUIST_FRACTION * nyq) if h_freq is None else check_positive(
        "h_freq", h_freq)
    if hf > nyq:
        raise ValidationError(f"h_freq={hf:g} Hz is above Nyquist ({nyq:g} Hz)")
    if lf >= hf:
        raise ValidationError(f"l_freq={lf:g} Hz must be below h_freq={hf:g} Hz")
    if int(min_windows) < 2:
        raise ValidationError(f"min_windows must be >= 2; got {min_windows!r}")
    bias = None
    if hf < H_FREQ * 0.999:
        bias = spectral_bias(sfreq, lf, hf)
        err = bias["mdf_band_hz"] / bias["mdf_reference_hz"] - 1.0
        if abs(err) > BIAS_WARN:
            warnings.warn(
                f"at sfreq={sfreq:g} Hz the spectrum is analysed up to {hf:g} Hz only "
                f"(Nyquist {nyq:g} Hz) instead of 450 Hz: for a typical lumbar sEMG "
                f"spectrum (median {bias['mdf_reference_hz']:.0f} Hz over 20-450 Hz) the "
                f"band keeps {100 * bias['power_fraction']:.0f} % of the power, the median "
                f"frequency reads {bias['mdf_band_hz']:.0f} Hz ({100 * err:+.0f} %) and the "
                f"mean frequency {bias['mnf_band_hz']:.0f} Hz instead of "
                f"{bias['mnf_reference_hz']:.0f} Hz; MDF slopes in Hz/s shrink to "
                f"{100 * bias['slope_ratio_hz']:.0f} % and normalised slopes (%/s) to "
                f"{100 * bias['slope_ratio_pct']:.0f} % of their full-band values. Compare "
                "spectral fatigue only between recordings made at the same rate.",
                EmgcontrolWarning, stacklevel=2)
    segs = resolve_segments(rec, windows=windows, trials=trials, phases=phases)
    idx = emg_indices(rec, picks)
    rail = rail_of(rec, rail_v)
    rows, series = [], []
    for seg in segs:
        i0, i1 = seg.samples(sfreq, rec.n_times)
        if i1 - i0 < n_win:
            raise ValidationError(
                f"window_s={n_win / sfreq:g} s is longer than {seg.label} {seg.index} "
                f"({(i1 - i0) / sfreq:.3f} s)")
        starts = np.arange(i0, i1 - n_win + 1, n_step)
        t_mid = (starts + n_win / 2.0) / sfreq
        for i in idx:
            info = channel_info(rec, i)
            x = rec.data[i, i0:i1]
            why = assess(x, rail_v=rail)
            base = {**info, **seg.as_row()}
            if why is None:
                frames = np.lib.stride_tricks.sliding_window_view(
                    rec.data[i], n_win)[starts]
                if method == "welch":
                    f, p = sps.welch(frames, sfreq, window="hann", nperseg=n_seg,
                                     noverlap=n_seg // 2, detrend="constant", axis=-1)
                else:
                    f, p = sps.periodogram(frames, sfreq, window="hann",
                                           detrend="constant", axis=-1)
                band = (f >= lf) & (f <= hf)
                if band.sum() < 2:
                    raise ValidationError(
                        f"the band {lf:g}-{hf:g} Hz holds fewer than 2 frequency bins at "
                        f"{sfreq / n_seg:g} Hz resolution; lengthen nperseg_s")
                mdf = median_frequency(f[band], p[:, band])
                mnf = mean_frequency(f[band], p[:, band])
            else:
                mdf = mnf = np.full(starts.size, np.nan)
            for k in range(starts.size):
                ok = why is None and math.isfinite(mdf[k])
                series.append({**info, "segment": base["segment"], "index": seg.index,
                               "window_start_s": starts[k] / sfreq, "time_s": float(t_mid[k]),
                               "mdf_hz": float(mdf[k]), "mnf_hz": float(mnf[k]),
                               "status": STATUS_OK if ok else STATUS_NA,
                               "reason": None if ok else (why or "no power in the band")})
            for name, y in (("mdf", mdf), ("mnf", mnf)):
                good = np.isfinite(y)
                row = {**base, "measure": name, "n_windows": int(good.sum())}
                if why is not None or good.sum() < int(min_windows):
                    row.update(slope_hz_per_s=math.nan, initial_hz=math.nan,
                               slope_pct_per_s=math.nan, r2=math.nan, status=STATUS_NA,
                               reason=why or f"fewer than {int(min_windows)} windows")
                else:
                    slope, icpt, r2 = _fit(t_mid[good] - seg.start, y[good])
                    row.update(slope_hz_per_s=slope, initial_hz=icpt,
                               slope_pct_per_s=100.0 * slope / icpt if icpt > 0 else math.nan,
                               r2=r2, status=STATUS_OK, reason=None)
                rows.append(row)
    meta = {"method": method, "window_s": n_win / sfreq, "overlap_s": (n_win - n_step) / sfreq,
            "nperseg_s": n_seg / sfreq if method == "welch" else None,
            "band_hz": [lf, hf], "sfreq": sfreq, "min_windows": int(min_windows),
            "initial": "regression line at the start of the span",
            "low_rate_bias": jsonable(bias)}
    return SpectralFatigue(rows, FATIGUE_COLUMNS, meta,
                           series=MetricTable(series, SERIES_COLUMNS, {"sfreq": sfreq},
                                              kind="spectral_series"))
