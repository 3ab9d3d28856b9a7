"""Argument checks used at the public border (messages name the argument).

Array coercion (:func:`as_float_2d`) lives in :mod:`emgcontrol._util` and is
re-exported here for the modules that import it from this one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ._util import as_float_2d  # noqa: F401 - re-exported
from .errors import NonFiniteDataError, ValidationError


def check_option(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise ValidationError."""
    allowed = list(allowed)
    if value not in allowed:
        opts = ", ".join(repr(a) for a in allowed)
        raise ValidationError(f"{name} must be one of {opts}; got {value!r}")
    return value


def check_positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite float > 0 (or >= 0), else raise."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a number; got {value!r}") from None
    if not math.isfinite(out) or out < 0 or (out == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValidationError(f"{name} must be a finite number {bound}; got {value!r}")
    return out


def check_sfreq(sfreq: Any) -> float:
    """Return a valid sampling frequency in Hz (finite, > 0)."""
    return check_positive("sfreq", sfreq)


def check_finite(data: np.ndarray, ch_names: Sequence[str] | None = None) -> None:
    """Raise NonFiniteDataError naming the first channel and sample with NaN/inf.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_times)
        The data to check.
    ch_names : sequence of str, optional
        Channel names for the message.
    """
    bad = ~np.isfinite(data)
    if not bad.any():
        return
    ch, sample = np.argwhere(bad)[0]
    name = ch_names[ch] if ch_names is not None else f"#{ch}"
    kind = "NaN" if np.isnan(data[ch, sample]) else "infinite"
    n_bad = int(bad[ch].sum())
    raise NonFiniteDataError(
        f"channel {name!r} holds {n_bad} non-finite sample(s); the first is {kind} "
        f"at sample {int(sample)}"
    )
