"""IIR filters for surface EMG.

Two layers:

* :func:`sosfilt`, :func:`sosfiltfilt`, :func:`sosfilt_zi` -- drop-in,
  scipy-compatible second-order-section filtering on numba kernels (channels in
  parallel).  Their results equal ``scipy.signal``'s (bit-equal on the
  machines tested, asserted to 1e-10 relative in the tests).
* :func:`bandpass`, :func:`highpass`, :func:`lowpass`, :func:`notch`,
  :func:`filter_emg` -- design (``scipy.signal.butter`` / ``iirnotch``) and
  apply in one call, on arrays ``(..., n_times)`` with ``sfreq`` or on a
  :class:`~emgcontrol.Recording` (EMG and ECG channels only; a new Recording
  with a history step is returned).

Phase
-----
``phase="zero"`` filters forward and backward (scipy's ``sosfiltfilt``
recipe: odd extension of ``padlen = 3 * (2 * n_sections + 1)`` samples at
each end, steady-state initial conditions); the magnitude response is squared
(attenuation doubled) and there is no delay.  ``phase="causal"`` filters
forward only, as a live filter would; the filter starts in the steady state for
the first sample (as if that value had been held forever), so an electrode DC
offset does not ring through the high-pass at the start.  A streaming
:class:`~emgcontrol.signal.Pipeline` does the same, block by block.

Low sampling rates
------------------
The sEMG default band is 20-450 Hz.  When 450 Hz is not below 0.9 x Nyquist
(sampling rates under 1 kHz, e.g. OpenBCI Cyton at 250 Hz) the *default*
upper edge moves to 0.9 x Nyquist (112.5 Hz at 250 Hz).  That is the normal
case at a board's native rate, so it is not a warning: the history step of the
filtered Recording (and a Pipeline's parameters) say so in ``h_freq_note``, and
the assessment report shows it in its processing section.  An upper edge given
explicitly at or above Nyquist is an error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._util import warn as _warn  # attributed to the caller outside the package
from .._validate import check_positive
from ..errors import ValidationError
from ._common import (
    FILTER_TYPES,
    Rows,
    apply_to_recording,
    check_freq_below_nyquist,
    check_order,
    check_phase,
    is_recording,
    prefetch_if_cold,
    resolve_sfreq,
    sosfilt_rows,
    sosfiltfilt_rows,
)

__all__ = [
    "sosfilt",
    "sosfiltfilt",
    "sosfilt_zi",
    "bandpass",
    "highpass",
    "lowpass",
    "notch",
    "filter_emg",
    "detect_mains",
    "mains_lines",
    "design_bandpass",
    "design_notch",
    "default_band",
    "h_freq_note",
    "L_FREQ_DEFAULT",
    "H_FREQ_DEFAULT",
]

L_FREQ_DEFAULT = 20.0
"""Default lower edge of the sEMG band (Hz)."""

H_FREQ_DEFAULT = 450.0
"""Default upper edge of the sEMG band (Hz), lowered to 0.9 x Nyquist at low rates."""

NYQUIST_FRACTION = 0.9
"""Fraction of Nyquist the default upper edge moves to at low sampling rates."""

MAINS_RATIO_THRESHOLD = 10.0
"""Peak-to-background power ratio (10 dB) above which :func:`detect_mains` reports a line."""

HARMONIC_RATIO_THRESHOLD = 2.0
"""Ratio (3 dB) above which :func:`mains_lines` counts a harmonic of a detected mains
line as present: the median periodogram over up to 64 segments, averaged over
channels, puts a frequency without a line within about +-1 dB of its background."""


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _check_sos(sos: Any) -> np.ndarray:
    """Validate ``sos`` and return it as C-contiguous float64 (n_sections, 6)."""
    try:
        arr = np.asarray(sos, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError(f"sos must be a real array of shape (n_sections, 6); got {sos!r}") \
            from None
    if arr.ndim == 1 and arr.shape[0] == 6:
        arr = arr[np.newaxis, :]
    if arr.ndim != 2 or arr.shape[1] != 6 or arr.shape[0] < 1:
        raise ValidationError(
            f"sos must have shape (n_sections, 6) with n_sections >= 1; got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ValidationError("sos holds NaN or infinite coefficients")
    if not (arr[:, 3] == 1.0).all():
        raise ValidationError(
            f"sos[:, 3] (a0 of each section) must be 1; got {arr[:, 3].tolist()} "
            "(normalise each section by its a0)"
        )
    return np.ascontiguousarray(arr)


def sosfilt_zi(sos: Any) -> np.ndarray:
    """Steady-state initial delays of a second-order-section filter.

    Same values as :func:`scipy.signal.sosfilt_zi` (same linear solve), without
    importing scipy: the step response of the cascade starting from
    ``zi * x0`` is constant ``x0 * H(1)``.

    Parameters
    ----------
    sos : array_like, shape (n_sections, 6)
        Second-order sections, ``sos[:, 3] == 1``.

    Returns
    -------
    zi : ndarray, shape (n_sections, 2)
    """
    sos = _check_sos(sos)
    n_sec = sos.shape[0]
    zi = np.empty((n_sec, 2))
    scale = 1.0
    for s in range(n_sec):
        b = sos[s, :3]
        a = sos[s, 3:]
        i_minus_a = np.array([[1.0 + a[1], -1.0], [a[2], 1.0]])
        rhs = b[1:] - a[1:] * b[0]
        try:
            zi[s] = scale * np.linalg.solve(i_minus_a, rhs)
        except np.linalg.LinAlgError:
            raise ValidationError(
                f"sos section {s} has a pole at z=1 (no steady state); cannot compute "
                "initial conditions"
            ) from None
        scale *= np.sum(b) / np.sum(a)
    return zi


def _default_padlen(sos: np.ndarray) -> int:
    """scipy's default padlen for ``sosfiltfilt``: 3 * ntaps."""
    n_sec = sos.shape[0]
    ntaps = 2 * n_sec + 1
    ntaps -= min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * ntaps


def _check_padlen(padlen: Any) -> int:
    if isinstance(padlen, bool) or not isinstance(padlen, (int, np.integer)) or padlen < 0:
        raise ValidationError(f"padlen must be an integer >= 0 or None; got {padlen!r}")
    return int(padlen)


def _check_length(rows: Rows, edge: int, what: str = "zero-phase filtering") -> None:
    n = rows.n_times
    if n <= edge:
        raise ValidationError(
            f"{rows.name} has {n} samples along the time axis; {what} pads {edge} samples "
            f"at each end (padlen) and needs at least {edge + 1} samples"
        )


# ----------------------------------------------------------------- row level


def _filtfilt_rows(sos: np.ndarray, rows: Rows, padlen: int | None = None) -> np.ndarray:
    """Zero-phase filtering of ``rows`` (n_rows, n_times); returns new rows."""
    edge = _default_padlen(sos) if padlen is None else padlen
    _check_length(rows, edge)
    y = rows.work_copy()
    if y is rows.data:  # in place: the input must be checked before it is gone
        rows.precheck()
    if rows.data.shape[0]:
        sosfiltfilt_rows(sos, sosfilt_zi(sos), rows.data, y, edge)
        rows.check_output(y[:, :1], y[:, -1:])
    return y


def _sosfilt_rows(sos: np.ndarray, rows: Rows, zi: np.ndarray) -> np.ndarray:
    """Causal filtering of ``rows`` with delays ``zi`` (n_rows, n_sec, 2), in place."""
    y = rows.work_copy()
    if y is rows.data:  # in place: the input must be checked before it is gone
        rows.precheck()
    if rows.data.size:
        sosfilt_rows(sos, zi, rows.data, y)
        rows.check_output(y[:, -1:], zi)
    return y


def steady_zi(sos: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Delays (n_rows, n_sections, 2) for a steady state at each row's ``first`` value."""
    zi = sosfilt_zi(sos)[np.newaxis, :, :] * first[:, np.newaxis, np.newaxis]
    return np.ascontiguousarray(zi)


def _apply_rows(sos: np.ndarray, rows: Rows, phase: str) -> np.ndarray:
    if phase == "zero":
        return _filtfilt_rows(sos, rows)
    if rows.n_times == 0:
        return rows.work_copy()
    if not np.isfinite(rows.data[:, 0]).all():
        rows.raise_nonfinite()
    return _sosfilt_rows(sos, rows, steady_zi(sos, rows.data[:, 0]))


# ------------------------------------------------------------- scipy-like API


def sosfilt(sos: Any, x: Any, *, axis: int = -1,
            zi: Any = None) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Filter data with cascaded second-order sections (causal).

    Same semantics and results as :func:`scipy.signal.sosfilt` (direct form
    II transposed), computed by a numba kernel with channels in parallel.

    Parameters
    ----------
    sos : array_like, shape (n_sections, 6)
        Second-order sections (e.g. from ``scipy.signal.butter(..., output="sos")``).
    x : array_like
        Data of any shape; integer and float32 input is converted to float64.
    axis : int
        Time axis (default last).
    zi : array_like, optional
        Initial delays, shape ``(n_sections, ..., 2, ...)`` = ``x.shape`` with
        the time axis replaced by 2, preceded by ``n_sections``.  Default: zeros
        (initial rest), and only ``y`` is returned.

    Returns
    -------
    y : ndarray, float64, shape of ``x``
    zf : ndarray
        Final delays, returned only when ``zi`` is given (shape of ``zi``).

    Raises
    ------
    ValidationError
        Bad ``sos``, ``axis`` or ``zi`` shape.
    NonFiniteDataError
        ``x`` holds NaN or inf (the message names the channel and first sample).
    """
    sos = _check_sos(sos)
    rows = Rows("x", x, axis)
    n_sec = sos.shape[0]
    x_shape = list(np.shape(x))
    x_shape[rows.axis] = 2
    zi_shape = (n_sec, *x_shape)
    if zi is None:
        z = np.zeros((rows.data.shape[0], n_sec, 2))
    else:
        zi_arr = np.asarray(zi, dtype=np.float64)
        if zi_arr.shape != zi_shape:
            raise ValidationError(
                f"zi must have shape {zi_shape} for x of shape {tuple(np.shape(x))}, "
                f"axis={axis} and {n_sec} sections; got {zi_arr.shape}"
            )
        z = np.moveaxis(zi_arr, (0, rows.axis + 1), (-2, -1))
        z = np.array(z.reshape(-1, n_sec, 2), dtype=np.float64, order="C", copy=True)
    y = rows.restore(_sosfilt_rows(sos, rows, z))
    if zi is None:
        return y
    zf = z.reshape((*rows.moved_shape[:-1], n_sec, 2))
    return y, np.moveaxis(zf, (-2, -1), (0, rows.axis + 1))


def sosfiltfilt(sos: Any, x: Any, *, axis: int = -1, padlen: int | None = None) -> np.ndarray:
    """Zero-phase forward-backward filtering with second-order sections.

    scipy's :func:`scipy.signal.sosfiltfilt` recipe (odd extension of
    ``padlen`` samples at each end, initial delays from :func:`sosfilt_zi`
    scaled by the first sample of each pass) on numba kernels, channels in
    parallel, without building the extended signal.

    Parameters
    ----------
    sos : array_like, shape (n_sections, 6)
        Second-order sections.
    x : array_like
        Data of any shape; integer and float32 input is converted to float64
        (the odd extension is then computed in float64, where scipy computes it
        in float32 for float32 input).
    axis : int
        Time axis (default last).
    padlen : int, optional
        Extension length at each end; default as scipy,
        ``3 * (2 * n_sections + 1)`` (minus trivially-zero taps).

    Returns
    -------
    y : ndarray, float64, shape of ``x``

    Raises
    ------
    ValidationError
        ``x`` has ``padlen`` samples or fewer along ``axis`` (the message gives
        the minimum), or bad ``sos``/``axis``/``padlen``.
    NonFiniteDataError
        ``x`` holds NaN or inf.
    """
    sos = _check_sos(sos)
    rows = Rows("x", x, axis)
    edge = None if padlen is None else _check_padlen(padlen)
    return rows.restore(_filtfilt_rows(sos, rows, edge))


# ------------------------------------------------------------------- design


def _default_h_freq(sfreq: float) -> float:
    """450 Hz, or 0.9 x Nyquist when 450 Hz is not below that (see :func:`h_freq_note`)."""
    return min(H_FREQ_DEFAULT, NYQUIST_FRACTION * sfreq / 2.0)


def h_freq_note(sfreq: float, h_freq: Any = None) -> dict[str, str]:
    """History parameter that says the default upper band edge was lowered.

    Parameters
    ----------
    sfreq : float
        Sampling frequency in Hz.
    h_freq : float, optional
        The upper edge the caller gave (None: the default).

    Returns
    -------
    dict
        ``{"h_freq_note": "default 450 Hz lowered to 0.9 x Nyquist at sfreq=250 Hz"}``
        when ``h_freq`` is None and the default had to move below Nyquist; empty
        otherwise (an explicit edge is used as given).
    """
    if h_freq is not None or H_FREQ_DEFAULT <= NYQUIST_FRACTION * sfreq / 2.0:
        return {}
    return {"h_freq_note": f"default {H_FREQ_DEFAULT:g} Hz lowered to "
                           f"{NYQUIST_FRACTION:g} x Nyquist at sfreq={sfreq:g} Hz"}


def default_band(sfreq: float, l_freq: Any = L_FREQ_DEFAULT,
                 h_freq: Any = None) -> tuple[float, float]:
    """Resolve and check the band edges for ``sfreq``.

    ``h_freq=None`` means the sEMG default 450 Hz, lowered to 0.9 x Nyquist
    when 450 Hz is not below that (no warning: :func:`h_freq_note` gives the
    history parameter that records it); explicit edges at or above Nyquist
    raise ValidationError.

    Returns
    -------
    l_freq, h_freq : float
        Edges in Hz.
    """
    sfreq = check_positive("sfreq", sfreq)
    h = _default_h_freq(sfreq) if h_freq is None else check_freq_below_nyquist(
        "h_freq", h_freq, sfreq)
    low = check_freq_below_nyquist("l_freq", l_freq, sfreq)
    if low >= h:
        raise ValidationError(
            f"l_freq={low:g} Hz must be below h_freq={h:g} Hz"
            + (f" (the default upper edge at sfreq={sfreq:g} Hz)" if h_freq is None else "")
        )
    return low, h


def _butter(order: int, wn: Any, btype: str, sfreq: float) -> np.ndarray:
    from scipy.signal import butter

    return np.ascontiguousarray(butter(order, wn, btype=btype, output="sos", fs=sfreq),
                                dtype=np.float64)


def design_bandpass(sfreq: float, l_freq: float | None, h_freq: float | None,
                    order: int = 4) -> np.ndarray:
    """Butterworth band-, high- or low-pass sections (``scipy.signal.butter``).

    Parameters
    ----------
    sfreq : float
        Sampling frequency (Hz).
    l_freq, h_freq : float or None
        Edges (Hz), already checked against Nyquist; ``l_freq=None`` gives a
        low-pass, ``h_freq=None`` a high-pass.
    order : int
        Order of the Butterworth prototype (a band-pass has ``2 * order`` poles,
        ``order`` sections).

    Returns
    -------
    sos : ndarray, shape (n_sections, 6)
    """
    if l_freq is not None and h_freq is not None:
        return _butter(order, [l_freq, h_freq], "bandpass", sfreq)
    if l_freq is not None:
        return _butter(order, l_freq, "highpass", sfreq)
    if h_freq is not None:
        return _butter(order, h_freq, "lowpass", sfreq)
    raise ValidationError("give l_freq, h_freq or both")


def _notch_freqs(sfreq: float, freq: float, harmonics: bool) -> list[float]:
    nyq = sfreq / 2.0
    if not harmonics:
        return [freq]
    out = []
    k = 1
    while k * freq < nyq:
        out.append(k * freq)
        k += 1
    return out


def design_notch(sfreq: float, freq: float = 50.0, *, harmonics: bool = True,
                 quality: float = 30.0, max_freq: float | None = None,
                 lines: Sequence[float] | None = None) -> np.ndarray:
    """Notch sections at ``freq`` (and its harmonics below Nyquist).

    Each notch is ``scipy.signal.iirnotch``; the harmonic ``k * freq`` uses
    quality ``k * quality`` so every notch has the same -3 dB width,
    ``freq / quality`` Hz (1.7 Hz for 50 Hz, Q=30), and removes no more EMG
    at high harmonics than at the fundamental.  ``max_freq`` (Hz): no
    harmonic above it (the upper edge of a band-pass in the same cascade:
    notches outside the band only cost time and ring).  ``lines`` (Hz): only
    these harmonics (the lines present, see :func:`mains_lines`).

    Returns
    -------
    sos : ndarray, shape (n_notches, 6)
    """
    from scipy.signal import iirnotch

    freq = check_freq_below_nyquist("freq", freq, sfreq)
    quality = check_positive("quality", quality)
    freqs = _notch_freqs(sfreq, freq, harmonics)
    if max_freq is not None:
        freqs = [f for f in freqs if f <= max_freq] or freqs[:1]
    if lines is not None:
        keep = {round(f / freq) for f in lines}
        freqs = [f for f in freqs if round(f / freq) in keep] or freqs[:1]
    rows = []
    for f in freqs:
        b, a = iirnotch(f, quality * round(f / freq), fs=sfreq)
        rows.append(np.concatenate([b, a]))
    return np.ascontiguousarray(np.array(rows, dtype=np.float64))


# --------------------------------------------------------------- public API


def _run(x: Any, sfreq: float, sos: np.ndarray, phase: str, step: str,
         params: dict[str, Any]) -> Any:
    """Apply ``sos`` to an array (last axis) or to a Recording's EMG/ECG channels."""
    if phase == "zero":
        params = {**params, "padlen": _default_padlen(sos), "padtype": "odd"}
    else:
        params = {**params, "init": "steady"}
    if is_recording(x):
        return apply_to_recording(x, FILTER_TYPES, lambda r: _apply_rows(sos, r, phase),
                                  step, params)
    rows = Rows("x", x)
    return rows.restore(_apply_rows(sos, rows, phase))


def bandpass(x: Any, sfreq: float | None = None, l_freq: float = L_FREQ_DEFAULT,
             h_freq: float | None = None, *, order: int = 4, phase: str = "zero") -> Any:
    """Butterworth band-pass filter (sEMG default 20-450 Hz).

    Parameters
    ----------
    x : Recording or array_like, shape (..., n_times)
        Data (V for a Recording).  A Recording is filtered on its EMG and ECG
        channels; other channels are left untouched.
    sfreq : float, optional
        Sampling frequency in Hz (required for arrays; taken from a Recording).
    l_freq : float
        Lower edge in Hz (-3 dB per pass), default 20 Hz.
    h_freq : float, optional
        Upper edge in Hz.  Default (None): 450 Hz, or 0.9 x Nyquist when 450 Hz
        is not below that (sampling rates under 1 kHz), recorded in the history
        step as ``h_freq_note``.  An explicit value at or above Nyquist raises
        ValidationError.
    order : int
        Order of the Butterworth prototype, 1-16 (the band-pass has ``2 * order``
        poles in ``order`` sections; ``phase="zero"`` applies it twice).
    phase : {"zero", "causal"}
        ``"zero"``: forward-backward (no delay, squared magnitude); ``"causal"``:
        forward only from the steady state of the first sample, as live.

    Returns
    -------
    Recording or ndarray
        A new Recording (history step ``"bandpass"`` with l_freq, h_freq,
        order, phase, design, padding, channels and, when the default upper edge
        was lowered, ``h_freq_note``) or a float64 array.
    """
    sfreq = resolve_sfreq(x, sfreq)
    phase = check_phase(phase)
    order = check_order(order)
    prefetch_if_cold()
    low, high = default_band(sfreq, l_freq, h_freq)
    sos = design_bandpass(sfreq, low, high, order)
    return _run(x, sfreq, sos, phase, "bandpass",
                {"l_freq": low, "h_freq": high, **h_freq_note(sfreq, h_freq), "order": order,
                 "phase": phase, "design": "butter", "n_sections": int(sos.shape[0])})


def highpass(x: Any, sfreq: float | None = None, l_freq: float = L_FREQ_DEFAULT, *,
             order: int = 4, phase: str = "zero") -> Any:
    """Butterworth high-pass filter (default 20 Hz: movement artefacts, offsets).

    Parameters
    ----------
    x : Recording or array_like, shape (..., n_times)
        Data; a Recording is filtered on its EMG and ECG channels.
    sfreq : float, optional
        Sampling frequency in Hz (required for arrays).
    l_freq : float
        Cut-off in Hz (-3 dB per pass); must be below Nyquist.
    order : int
        Butterworth order, 1-16.
    phase : {"zero", "causal"}
        As in :func:`bandpass`.

    Returns
    -------
    Recording or ndarray
    """
    sfreq = resolve_sfreq(x, sfreq)
    phase = check_phase(phase)
    order = check_order(order)
    low = check_freq_below_nyquist("l_freq", l_freq, sfreq)
    sos = design_bandpass(sfreq, low, None, order)
    return _run(x, sfreq, sos, phase, "highpass",
                {"l_freq": low, "order": order, "phase": phase, "design": "butter",
                 "n_sections": int(sos.shape[0])})


def lowpass(x: Any, sfreq: float | None = None, h_freq: float | None = None, *,
            order: int = 4, phase: str = "zero") -> Any:
    """Butterworth low-pass filter.

    Parameters
    ----------
    x : Recording or array_like, shape (..., n_times)
        Data; a Recording is filtered on its EMG and ECG channels.
    sfreq : float, optional
        Sampling frequency in Hz (required for arrays).
    h_freq : float, optional
        Cut-off in Hz.  Default (None): 450 Hz, adapted to 0.9 x Nyquist at low
        rates as in :func:`bandpass`; an explicit value at or above Nyquist
        raises ValidationError.
    order : int
        Butterworth order, 1-16.
    phase : {"zero", "causal"}
        As in :func:`bandpass`.

    Returns
    -------
    Recording or ndarray
    """
    sfreq = resolve_sfreq(x, sfreq)
    phase = check_phase(phase)
    order = check_order(order)
    if h_freq is None:
        high = _default_h_freq(sfreq)
    else:
        high = check_freq_below_nyquist("h_freq", h_freq, sfreq)
    sos = design_bandpass(sfreq, None, high, order)
    return _run(x, sfreq, sos, phase, "lowpass",
                {"h_freq": high, **h_freq_note(sfreq, h_freq), "order": order, "phase": phase,
                 "design": "butter", "n_sections": int(sos.shape[0])})


def _resolve_notch(x: Any, sfreq: float, freq: Any) -> float | None:
    if isinstance(freq, str):
        if freq != "auto":
            raise ValidationError(f"freq must be a frequency in Hz or 'auto'; got {freq!r}")
        found = detect_mains(x, sfreq)
        if found is None:
            _warn(
                "freq='auto': no mains line found at 50 or 60 Hz (peak-to-background power "
                f"ratio below {MAINS_RATIO_THRESHOLD:g}); no notch was applied"
            )
        return found
    return check_freq_below_nyquist("freq", freq, sfreq)


def notch(x: Any, sfreq: float | None = None, freq: float | str = 50.0, *,
          harmonics: bool = True, quality: float = 30.0, phase: str = "zero") -> Any:
    """Remove mains interference with IIR notches (``scipy.signal.iirnotch``).

    Parameters
    ----------
    x : Recording or array_like, shape (..., n_times)
        Data; a Recording is filtered on its EMG and ECG channels.
    sfreq : float, optional
        Sampling frequency in Hz (required for arrays).
    freq : float or "auto"
        Mains frequency in Hz (50 or 60; any frequency below Nyquist is
        accepted).  ``"auto"`` picks 50 or 60 Hz from the spectrum (see
        :func:`detect_mains`); when neither line stands out, the data are
        returned unfiltered with an :class:`~emgcontrol.EmgcontrolWarning`.
    harmonics : bool
        Also notch every harmonic ``k * freq`` below Nyquist (default).
    quality : float
        Quality factor of the fundamental notch; its -3 dB width is
        ``freq / quality`` Hz, and each harmonic gets the same width.
    phase : {"zero", "causal"}
        As in :func:`bandpass`.

    Returns
    -------
    Recording or ndarray
        History step ``"notch"`` records the frequencies actually notched.
    """
    sfreq = resolve_sfreq(x, sfreq)
    phase = check_phase(phase)
    if not isinstance(harmonics, (bool, np.bool_)):
        raise ValidationError(f"harmonics must be True or False; got {harmonics!r}")
    quality = check_positive("quality", quality)
    f0 = _resolve_notch(x, sfreq, freq)
    params: dict[str, Any] = {"freq": f0, "requested": freq, "harmonics": bool(harmonics),
                              "quality": quality, "phase": phase}
    if f0 is None:
        if is_recording(x):
            return x.with_step("notch", {**params, "freqs": [], "channels": []})
        rows = Rows("x", x)
        if not np.isfinite(rows.data).all():
            rows.raise_nonfinite()
        return rows.restore(rows.data.copy())
    sos = design_notch(sfreq, f0, harmonics=bool(harmonics), quality=quality)
    params.update({"freqs": _notch_freqs(sfreq, f0, bool(harmonics)),
                   "bandwidth": f0 / quality, "design": "iirnotch"})
    return _run(x, sfreq, sos, phase, "notch", params)


def filter_emg(x: Any, sfreq: float | None = None, *, l_freq: float = L_FREQ_DEFAULT,
               h_freq: float | None = None, order: int = 4, notch: float | str | None = None,
               harmonics: bool = True, quality: float = 30.0, phase: str = "zero") -> Any:
    """Band-pass and (optionally) notch in ONE cascade and one pass.

    The band-pass sections and the notch sections are concatenated and applied
    together: one forward-backward pass over the data (and one padding) instead
    of one per filter, which saves a full read and write of the data and of the
    output per filter.  The result is
    what ``scipy.signal.sosfiltfilt(np.vstack([bp_sos, notch_sos]), x)`` gives;
    in the middle of the signal it equals the two separate calls, near the
    ends (within the filters' settling time) it differs slightly because the
    padding is done once.

    Parameters
    ----------
    x : Recording or array_like, shape (..., n_times)
        Data; a Recording is filtered on its EMG and ECG channels.
    sfreq : float, optional
        Sampling frequency in Hz (required for arrays).
    l_freq, h_freq, order :
        Band-pass as in :func:`bandpass` (same low-rate adaptation).
    notch : float, "auto" or None
        Mains frequency to notch (with ``harmonics`` and ``quality`` as in
        :func:`notch`); None (default) for no notch.
    harmonics, quality :
        As in :func:`notch`.
    phase : {"zero", "causal"}
        As in :func:`bandpass`.

    Returns
    -------
    Recording or ndarray
        History step ``"filter_emg"``.
    """
    sfreq = resolve_sfreq(x, sfreq)
    phase = check_phase(phase)
    order = check_order(order)
    quality = check_positive("quality", quality)
    prefetch_if_cold()
    low, high = default_band(sfreq, l_freq, h_freq)
    sos = design_bandpass(sfreq, low, high, order)
    params: dict[str, Any] = {"l_freq": low, "h_freq": high, **h_freq_note(sfreq, h_freq),
                              "order": order, "phase": phase, "design": "butter"}
    if notch is not None:
        f0 = _resolve_notch(x, sfreq, notch)
        params.update({"notch": f0, "requested_notch": notch, "harmonics": bool(harmonics),
                       "quality": quality})
        if f0 is not None:
            sos = np.ascontiguousarray(np.vstack(
                [sos, design_notch(sfreq, f0, harmonics=bool(harmonics), quality=quality)]))
            params["notch_freqs"] = _notch_freqs(sfreq, f0, bool(harmonics))
    else:
        params["notch"] = None
    params["n_sections"] = int(sos.shape[0])
    return _run(x, sfreq, sos, phase, "filter_emg", params)


# ---------------------------------------------------------- mains detection


def mains_ratios(x: Any, sfreq: float | None = None) -> dict[float, float]:
    """Peak-to-background power ratio at 50 and 60 Hz (the basis of "auto").

    The spectrum is the median over segments of Hann-windowed periodograms
    (segments of the next power of two >= ``sfreq`` samples, i.e. <= 1 Hz
    resolution; at most 64 segments spread over the record: the median keeps a
    stationary line visible under bursts of EMG), each channel normalised by its
    median power.  The ratio is the largest power within 1 Hz of the line over the
    median power 2-6 Hz away on both sides.

    Returns
    -------
    dict
        ``{50.0: ratio, 60.0: ratio}`` for the lines that lie at least 6 Hz
        below Nyquist.
    """
    sfreq = resolve_sfreq(x, sfreq)
    if is_recording(x):
        idx = [i for i, t in enumerate(x.ch_types) if t in FILTER_TYPES]
        if not idx:
            raise ValidationError("the Recording has no EMG or ECG channel to analyse")
        data = x.data[idx]
    else:
        data = Rows("x", x).data
    return _mains_ratios(*_median_spectrum(data, sfreq), sfreq)


def _mains_ratios(freqs: np.ndarray, spec: np.ndarray | None, sfreq: float
                  ) -> dict[float, float]:
    """:func:`mains_ratios` from a spectrum (1 for every line when it is None)."""
    return {f: (1.0 if spec is None else _line_ratio(freqs, spec, f))
            for f in (50.0, 60.0) if f + 6.0 <= sfreq / 2.0}


def _best_mains(ratios: dict[float, float]) -> float | None:
    """The line with the larger ratio if it reaches :data:`MAINS_RATIO_THRESHOLD`."""
    if not ratios:
        return None
    best = max(ratios, key=lambda f: ratios[f])
    return best if ratios[best] >= MAINS_RATIO_THRESHOLD else None


def mains_lines(x: Any, sfreq: float, freq: float | None = None, *,
                max_freq: float | None = None) -> list[float]:
    """The mains lines present in the spectrum: the fundamental and the harmonics
    that stand out.

    Parameters
    ----------
    x : array_like, shape (n_channels, n_times)
        Data, at least 0.5 s.
    sfreq : float
        Sampling frequency, Hz.
    freq : float, optional
        Mains fundamental, Hz; None detects it as :func:`detect_mains` does
        (from the same spectrum).
    max_freq : float, optional
        No harmonic above this, Hz (the upper edge of a band-pass).

    Returns
    -------
    list of float
        Empty when ``freq`` is None and no mains is detected; else ``freq`` and
        each ``k * freq`` (Hz) whose peak-to-background ratio (as
        :func:`mains_ratios`) reaches :data:`HARMONIC_RATIO_THRESHOLD` (3 dB).  Notching only these removes
        the interference without the EMG power, and without the ringing after
        every burst, of notches where there is no line.
    """
    data = Rows("x", x).data
    freqs, spec = _median_spectrum(data, sfreq)
    if freq is None:
        freq = _best_mains(_mains_ratios(freqs, spec, sfreq))
        if freq is None:
            return []
    top = sfreq / 2.0 - 6.0 if max_freq is None else min(max_freq, sfreq / 2.0 - 6.0)
    out = [float(freq)]
    if spec is None:
        return out
    k = 2
    while k * freq <= top:
        if _line_ratio(freqs, spec, k * freq) >= HARMONIC_RATIO_THRESHOLD:
            out.append(float(k * freq))
        k += 1
    return out


def _line_ratio(freqs: np.ndarray, spec: np.ndarray, f: float) -> float:
    """Largest power within 1 Hz of ``f`` over the median power 2-6 Hz away."""
    dist = np.abs(freqs - f)
    peak = spec[dist <= 1.0].max()
    bg = np.median(spec[(dist >= 2.0) & (dist <= 6.0)])
    return float(peak / bg) if bg > 0 else float("inf")


def _median_spectrum(data: np.ndarray, sfreq: float) -> tuple[np.ndarray, np.ndarray | None]:
    """Frequencies and the channel-averaged, median-normalised median periodogram
    (see :func:`mains_ratios`); None when every channel is flat."""
    n = data.shape[1]
    nper = 1 << int(math.ceil(math.log2(max(sfreq, 2.0))))
    if n < nper:
        if n < sfreq / 2.0:
            raise ValidationError(
                f"mains detection needs at least {int(math.ceil(sfreq / 2))} samples "
                f"(0.5 s at {sfreq:g} Hz); got {n}"
            )
        nper = n
    if not np.isfinite(data).all():
        Rows("x", data).raise_nonfinite()
    n_seg = min(64, n // nper)
    starts = np.linspace(0, n - nper, n_seg).astype(int)
    win = np.hanning(nper)
    per_seg = np.empty((len(starts), data.shape[0], nper // 2 + 1))
    for k, s in enumerate(starts):
        seg = data[:, s:s + nper]
        seg = seg - seg.mean(axis=1, keepdims=True)
        per_seg[k] = np.abs(np.fft.rfft(seg * win, axis=1)) ** 2
    # median over segments: mains is stationary, contractions are not; a mean lets
    # the loud segments (an MVC block) bury a 20 uV line under EMG power
    psd = np.median(per_seg, axis=0)
    freqs = np.fft.rfftfreq(nper, 1.0 / sfreq)
    med = np.median(psd, axis=1, keepdims=True)
    ok = med[:, 0] > 0
    if not ok.any():
        return freqs, None
    return freqs, (psd[ok] / med[ok]).mean(axis=0)


def detect_mains(x: Any, sfreq: float | None = None) -> float | None:
    """Detect the mains frequency (50 or 60 Hz) from the spectrum.

    Parameters
    ----------
    x : Recording or array_like, shape (..., n_times)
        Data (a Recording's EMG and ECG channels are used); at least 0.5 s.
    sfreq : float, optional
        Sampling frequency in Hz (required for arrays).

    Returns
    -------
    float or None
        50.0 or 60.0 -- the line with the larger peak-to-background ratio (see
        :func:`mains_ratios`) if that ratio exceeds 10 (10 dB) -- else None.
    """
    return _best_mains(mains_ratios(x, sfreq))
