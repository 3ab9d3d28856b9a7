"""Helpers every layer uses: JSON conversion, array coercion, window lengths, warnings.

One home for pieces that were copied across layers (DESIGN: "errors.py,
_validate.py, _util.py"):

:func:`jsonable`
    Any result to plain JSON types (numpy scalars and arrays, tuples, paths;
    NaN and infinity become ``None``).
:func:`as_real_array`, :func:`as_float_2d`, :func:`as_rows`
    Array-like input to float64 arrays, refusing complex, object and string
    data with a message that names the argument.
:func:`window_samples`
    A duration in seconds to a whole number of samples (at least one).
:func:`warn`
    A warning attributed to the first caller outside the package.

Imports numpy only; nothing here imports another emgcontrol module but
:mod:`emgcontrol.errors`.
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from .errors import EmgcontrolWarning, ValidationError

__all__ = ["jsonable", "as_real_array", "as_float_2d", "as_rows", "window_samples", "warn"]


# ------------------------------------------------------------------------ JSON
def jsonable(value: Any) -> Any:
    """Convert ``value`` to plain JSON types.

    Mappings become dicts with ``str`` keys, lists and tuples become lists,
    numpy arrays nested lists, numpy booleans/integers/floats Python ones;
    non-finite floats (NaN, +/-inf) and NaN-like values (pandas ``NA``, ``NaT``)
    become ``None``.  ``None``, ``bool`` and ``str`` pass unchanged; anything else
    (a path, a date, an object) becomes ``str(value)``.

    Parameters
    ----------
    value : object
        What to convert (nested containers are converted throughout).

    Returns
    -------
    object
        ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool`` or ``None``.
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    pd = sys.modules.get("pandas")  # pandas.NA has no truth value: test it by identity
    if pd is not None and value is getattr(pd, "NA", None):
        return None
    try:  # NaT and other NaN-like values
        if value != value:  # noqa: PLR0124 - NaN-like
            return None
    except Exception:  # pragma: no cover - exotic objects
        pass
    return str(value)


# ---------------------------------------------------------------------- arrays
def as_real_array(name: str, x: Any, *, scalar: str | None = None) -> np.ndarray:
    """Convert array-like ``x`` to a float64 ndarray (ints and float32 widened).

    A float64 array is returned as it is (no copy); other real dtypes are
    converted.

    Parameters
    ----------
    name : str
        Argument name for the messages.
    x : array_like
        The data.
    scalar : str, optional
        If given, a 0-d input is refused with ``f"{name} {scalar}"``.

    Raises
    ------
    ValidationError
        If ``x`` cannot be made an array (ragged lists), holds something other
        than real numbers (complex, object, strings), or is a scalar where
        ``scalar`` says it must not be.
    """
    try:
        arr = np.asarray(x)
    except Exception as err:  # ragged sequences raise ValueError in numpy
        raise ValidationError(f"{name} cannot be converted to an array: {err}") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise ValidationError(
            f"{name} must hold real numbers; got an array of dtype {arr.dtype}"
        )
    if scalar is not None and arr.ndim == 0:
        raise ValidationError(f"{name} {scalar}")
    if arr.dtype != np.float64:
        arr = arr.astype(np.float64)
    return arr


def as_float_2d(name: str, data: Any) -> np.ndarray:
    """Convert ``data`` to a C-contiguous float64 array of shape (n_channels, n_times).

    A 1-D array is taken as a single channel.  Integer and float32 input is
    converted without loss; complex, object or string arrays are refused.
    """
    arr = as_real_array(name, data)
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.ndim != 2:
        raise ValidationError(
            f"{name} must be 2-D (n_channels, n_times) or 1-D; got shape {arr.shape}"
        )
    return np.ascontiguousarray(arr, dtype=np.float64)


def as_rows(name: str, x: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    """``x`` as a C-contiguous float64 ``(n_rows, n_times)`` array, and its shape.

    Time is the last axis; the leading axes are flattened into rows (reshape
    the result to ``shape`` to restore them).
    """
    arr = as_real_array(name, x, scalar="must have a time axis; got a scalar")
    shape = arr.shape
    return np.ascontiguousarray(arr.reshape(-1, shape[-1]), dtype=np.float64), shape


# --------------------------------------------------------------------- windows
def window_samples(name: str, seconds: Any, sfreq: float) -> int:
    """A window length in samples, ``round(seconds * sfreq)``, at least one.

    Parameters
    ----------
    name : str
        Argument name for the messages.
    seconds : float
        The length in seconds (finite, > 0).
    sfreq : float
        Sampling frequency, Hz.

    Raises
    ------
    ValidationError
        If ``seconds`` is not a finite positive number, or rounds to no sample.
    """
    from ._validate import check_positive

    w = check_positive(name, seconds)
    n = int(round(w * sfreq))
    if n < 1:
        raise ValidationError(
            f"{name}={w:g} s is shorter than one sample at sfreq={sfreq:g} Hz "
            f"(needs >= {0.5 / sfreq:g} s)"
        )
    return n


# -------------------------------------------------------------------- warnings
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message: str, category: type[Warning] = EmgcontrolWarning) -> None:
    """Warn with the location of the first caller outside the emgcontrol package.

    The warning then points at the user's line (the notebook cell, the script)
    instead of at a module deep inside the package, whatever the call depth.
    """
    frame = sys._getframe(1)
    level = 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
            _PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
