"""Plain-language sentences for patients, one per criterion result.

The wording of each kind lives in its module (:mod:`emgcontrol.patterns.kinds`); this
module adds what is common: the not-assessable sentence, the pattern's own
``pass_text``/``fail_text`` and the spread of the repetitions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._format import Criterion
from .kinds import REGISTRY
from .kinds._base import fmt_value

__all__ = ["sentence"]


def _times(n_pass: int, n: int) -> str:
    if n <= 1:
        return ""
    return f" (in {n_pass} of {n} repetitions)"


def _spread(c: Criterion, extra: Mapping[str, Any]) -> str:
    """`` (median of 5 repetitions, which ranged from 260 ms before to 280 ms after; 2 of
    5 within the target)``: the spread of the repetitions behind a verdict."""
    lo, hi, n = float(extra["min"]), float(extra["max"]), int(extra["n"])
    inside = f"{int(extra['n_inside'])} of {n} within the target"
    kind = REGISTRY[c.kind]
    text = kind.spread(c, lo, hi, n, inside) if kind.spread is not None else None
    if text is not None:
        return text
    if c.unit == "ms":
        rng = f"from {lo:+.0f} to {hi:+.0f} ms"
    else:
        rng = f"from {fmt_value(lo, c.unit)} to {fmt_value(hi, c.unit)}"
    return f" (median of {n} repetitions, which ranged {rng}; {inside})"


def sentence(c: Criterion, verdict: str, measured: float | None, reason: str | None,
             n_pass: int, n: int, extra: Mapping[str, Any] | None = None) -> str:
    """A sentence a patient can read for one criterion result.

    ``extra`` (optional) gives the spread of the repetitions: ``min``, ``max`` (in
    the criterion's unit), ``n_inside`` (repetitions within the target) and ``n``;
    the sentence then reports them instead of the bare count."""
    if verdict == "not_assessable":
        return f"This could not be judged: {reason or 'not enough data'}."
    target = c.target_text
    tmpl = c.pass_text if verdict == "pass" else c.fail_text
    if tmpl:
        try:
            return tmpl.format(measured=fmt_value(measured, c.unit), target=target,
                               unit=c.unit, n_pass=n_pass, n=n)
        except (KeyError, IndexError, ValueError):
            return tmpl
    ok = verdict == "pass"
    rep = _spread(c, extra) if extra else _times(n_pass if ok else n - n_pass, n)
    return REGISTRY[c.kind].sentence(c, ok, measured, target, rep)
