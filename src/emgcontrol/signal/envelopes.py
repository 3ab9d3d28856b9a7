"""Amplitude envelopes of surface EMG.

All functions take a Recording (EMG channels only; other channels are left
untouched) or an array ``(..., n_times)`` with ``sfreq``, and work offline
(``phase="zero"``) or causally (``phase="causal"``, what a live
:class:`~emgcontrol.signal.Pipeline` computes block by block with the same
kernels).

Alignment and edges of moving windows
-------------------------------------
A window of ``window`` seconds spans ``n = round(window * sfreq)`` samples.

* ``phase="zero"`` (offline): the window is **centred**: output ``i`` covers
  samples ``i - n // 2 .. i + n - 1 - n // 2`` (for even ``n`` one more sample
  before than after, like ``scipy.ndimage.uniform_filter1d``), so the envelope
  has no delay.  Near both ends the window is **truncated** to the samples that
  exist and the mean is taken over those (no padding, no invented data).
* ``phase="causal"`` (live): the window is **trailing**: output ``i`` covers
  ``i - n + 1 .. i`` (a delay of ``(n - 1) / 2`` samples).  Until ``n``
  samples have been seen the mean is over the samples seen so far.

Window sums are never updated by subtraction (block prefix + suffix sums, see
``_kernels.py``): each RMS/ARV value is accurate to about ``n * eps`` relative
to itself, also in quiet samples right after a burst 1000x louder and after
hours of streaming; a running sum (e.g. ``scipy.ndimage.uniform_filter1d``)
carries the burst's rounding error forward and can even return negative mean
squares.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import check_option
from ._common import (
    ENVELOPE_TYPES,
    Rows,
    apply_to_recording,
    check_freq_below_nyquist,
    check_order,
    check_phase,
    is_recording,
    moving_centred_rows,
    moving_trailing_rows,
    n_window,
    rectify_rows,
    resolve_sfreq,
    tkeo_causal_rows,
    tkeo_centred_rows,
)
from .filters import _filtfilt_rows, _sosfilt_rows, design_bandpass, steady_zi

__all__ = [
    "rectify",
    "moving_rms",
    "moving_average",
    "linear_envelope",
    "tkeo",
    "envelope",
    "ENVELOPE_METHODS",
]

ENVELOPE_METHODS = ("rms", "arv", "linear")
"""Methods of :func:`envelope`: moving RMS, average rectified value, linear envelope."""

MODE_MEAN, MODE_RMS, MODE_ARV = 0, 1, 2


# ----------------------------------------------------------------- row level


def _rectify_rows(rows: Rows) -> np.ndarray:
    y = rows.work_copy()
    chk = np.empty(rows.data.shape[0])
    rectify_rows(rows.data, y, chk)
    rows.check_chk(chk)
    return y


def _moving_rows(rows: Rows, n_win: int, mode: int, phase: str) -> np.ndarray:
    x = rows.data
    y = np.empty_like(x)
    chk = np.empty(x.shape[0])
    if phase == "zero":
        moving_centred_rows(x, y, n_win, mode, chk)
    else:
        suf = np.zeros((x.shape[0], n_win))
        cur = np.zeros((x.shape[0], n_win))
        pre = np.zeros(x.shape[0])
        state = np.zeros(2, dtype=np.int64)
        moving_trailing_rows(x, y, suf, cur, pre, state, mode, chk)
    rows.check_chk(chk)
    return y


def _tkeo_rows(rows: Rows, phase: str) -> np.ndarray:
    x = rows.data
    y = np.empty_like(x)
    chk = np.empty(x.shape[0])
    if x.shape[1] == 0:
        return y
    if phase == "zero":
        tkeo_centred_rows(x, y, chk)
    else:
        st = np.ascontiguousarray(np.repeat(x[:, :1], 2, axis=1))
        tkeo_causal_rows(x, y, st, chk)
    rows.check_chk(chk)
    return y


def _linear_rows(rows: Rows, sos: np.ndarray, phase: str) -> np.ndarray:
    rect = Rows(rows.name, _rectify_rows(rows), ch_names=rows.ch_names)
    rect.shared = False
    if phase == "zero":
        return _filtfilt_rows(sos, rect)
    if rect.n_times == 0:
        return rect.data
    return _sosfilt_rows(sos, rect, steady_zi(sos, rect.data[:, 0]))


def _dispatch(x: Any, func: Any, step: str, params: dict[str, Any]) -> Any:
    if is_recording(x):
        return apply_to_recording(x, ENVELOPE_TYPES, func, step, params)
    rows = Rows("x", x)
    return rows.restore(func(rows))


def _window_params(window: float, n_win: int, sfreq: float, phase: str) -> dict[str, Any]:
    return {"window": window, "n_window": n_win, "window_s": n_win / sfreq, "phase": phase,
            "alignment": "centred" if phase == "zero" else "trailing",
            "edges": "truncated"}


# --------------------------------------------------------------- public API


def rectify(x: Any) -> Any:
    """Full-wave rectification ``|x|``.

    Parameters
    ----------
    x : Recording or array_like, shape (..., n_times)
        Data; a Recording is rectified on its EMG channels only.

    Returns
    -------
    Recording or ndarray
        History step ``"rectify"``.
    """
    return _dispatch(x, _rectify_rows, "rectify", {})


def moving_rms(x: Any, sfreq: float | None = None, window: float = 0.05, *,
               phase: str = "zero") -> Any:
    """Moving root-mean-square envelope.

    Parameters
    ----------
    x : Recording or array_like, shape (..., n_times)
        Data (V); a Recording is processed on its EMG channels only.
    sfreq : float, optional
        Sampling frequency in Hz (required for arrays).
    window : float
        Window length in seconds (default 50 ms), ``round(window * sfreq)``
        samples.
    phase : {"zero", "causal"}
        Centred window (offline, no delay) or trailing window (live); see the
        module notes on alignment and edges.

    Returns
    -------
    Recording or ndarray
        Envelope in the units of ``x``; history step ``"moving_rms"``.
    """
    sfreq = resolve_sfreq(x, sfreq)
    phase = check_phase(phase)
    n_win = n_window(window, sfreq)
    return _dispatch(x, lambda r: _moving_rows(r, n_win, MODE_RMS, phase), "moving_rms",
                     _window_params(float(window), n_win, sfreq, phase))


def moving_average(x: Any, sfreq: float | None = None, window: float = 0.05, *,
                   phase: str = "zero") -> Any:
    """Moving average (of a rectified signal: the average rectified value).

    The input is averaged as it is; pass a rectified signal (or use
    ``envelope(x, sfreq, "arv")``, which rectifies in the same pass) for the
    average rectified value (ARV / MAV).

    Parameters
    ----------
    x : Recording or array_like, shape (..., n_times)
        Data; a Recording is processed on its EMG channels only.
    sfreq : float, optional
        Sampling frequency in Hz (required for arrays).
    window : float
        Window length in seconds (default 50 ms).
    phase : {"zero", "causal"}
        Centred or trailing window (see module notes).

    Returns
    -------
    Recording or ndarray
        History step ``"moving_average"``.
    """
    sfreq = resolve_sfreq(x, sfreq)
    phase = check_phase(phase)
    n_win = n_window(window, sfreq)
    return _dispatch(x, lambda r: _moving_rows(r, n_win, MODE_MEAN, phase), "moving_average",
                     _window_params(float(window), n_win, sfreq, phase))


def _linear_sos(sfreq: float, cutoff: Any, order: Any) -> tuple[np.ndarray, float, int]:
    fc = check_freq_below_nyquist("cutoff", cutoff, sfreq)
    order = check_order(order)
    return design_bandpass(sfreq, None, fc, order), fc, order


def linear_envelope(x: Any, sfreq: float | None = None, cutoff: float = 6.0, *,
                    order: int = 2, phase: str = "zero") -> Any:
    """Linear envelope: full-wave rectification followed by a Butterworth low-pass.

    Parameters
    ----------
    x : Recording or array_like, shape (..., n_times)
        Band-passed EMG (V); a Recording is processed on its EMG channels only.
    sfreq : float, optional
        Sampling frequency in Hz (required for arrays).
    cutoff : float
        Low-pass cut-off in Hz (default 6 Hz), below Nyquist.
    order : int
        Butterworth order (default 2; ``phase="zero"`` applies it twice).
    phase : {"zero", "causal"}
        Zero-phase low-pass (offline) or causal low-pass starting from the
        steady state of the first rectified sample (live).

    Returns
    -------
    Recording or ndarray
        History step ``"linear_envelope"``.
    """
    sfreq = resolve_sfreq(x, sfreq)
    phase = check_phase(phase)
    sos, fc, order = _linear_sos(sfreq, cutoff, order)
    return _dispatch(x, lambda r: _linear_rows(r, sos, phase), "linear_envelope",
                     {"cutoff": fc, "order": order, "phase": phase, "design": "butter"})


def tkeo(x: Any, *, phase: str = "zero") -> Any:
    """Teager-Kaiser energy operator ``x[n]**2 - x[n-1] * x[n+1]``.

    Parameters
    ----------
    x : Recording or array_like, shape (..., n_times)
        Data (V); a Recording is processed on its EMG channels only.  The result
        is in squared units (V**2).
    phase : {"zero", "causal"}
        ``"zero"``: the operator centred on each sample, the first and last
        samples repeated beyond the ends.  ``"causal"``: the same operator one
        sample late, ``y[n] = x[n-1]**2 - x[n-2] * x[n]``, with the first sample
        repeated before the start (so ``y[0] = 0``); ``causal[n + 1] ==
        zero[n]``.

    Returns
    -------
    Recording or ndarray
        History step ``"tkeo"``.
    """
    phase = check_phase(phase)
    return _dispatch(x, lambda r: _tkeo_rows(r, phase), "tkeo",
                     {"phase": phase, "delay_samples": 0 if phase == "zero" else 1})


def envelope(x: Any, sfreq: float | None = None, method: str = "rms", *,
             window: float = 0.05, cutoff: float = 6.0, order: int = 2,
             phase: str = "zero") -> Any:
    """Amplitude envelope of (band-passed) EMG by a named method.

    Parameters
    ----------
    x : Recording or array_like, shape (..., n_times)
        Band-passed EMG (V); a Recording is processed on its EMG channels only.
    sfreq : float, optional
        Sampling frequency in Hz (required for arrays).
    method : {"rms", "arv", "linear"}
        ``"rms"``: moving RMS over ``window`` s; ``"arv"``: moving average of the
        rectified signal over ``window`` s (rectification and averaging in one
        pass); ``"linear"``: rectification + Butterworth low-pass at ``cutoff``
        Hz of ``order``.
    window : float
        Window in seconds for "rms" and "arv" (default 50 ms).
    cutoff, order :
        Low-pass of the "linear" envelope (default 6 Hz, order 2).
    phase : {"zero", "causal"}
        Offline (centred windows / zero-phase) or live (trailing / causal).

    Returns
    -------
    Recording or ndarray
        Envelope in the units of ``x``; history step ``"envelope"`` with the
        method and its parameters.
    """
    sfreq = resolve_sfreq(x, sfreq)
    phase = check_phase(phase)
    method = check_option("method", method, ENVELOPE_METHODS)
    if method == "linear":
        sos, fc, order = _linear_sos(sfreq, cutoff, order)
        params: dict[str, Any] = {"method": method, "cutoff": fc, "order": order,
                                  "phase": phase, "design": "butter"}
        return _dispatch(x, lambda r: _linear_rows(r, sos, phase), "envelope", params)
    n_win = n_window(window, sfreq)
    mode = MODE_RMS if method == "rms" else MODE_ARV
    params = {"method": method, **_window_params(float(window), n_win, sfreq, phase)}
    return _dispatch(x, lambda r: _moving_rows(r, n_win, mode, phase), "envelope", params)
