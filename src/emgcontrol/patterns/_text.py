"""Plain-language sentences for patients, one per criterion result."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ._format import Criterion, MuscleGroup

__all__ = ["sentence"]


def _fmt(v: float | None, unit: str) -> str:
    if v is None or not math.isfinite(v):
        return "?"
    if unit == "ms":
        return f"{abs(v):.0f} ms"
    if unit in ("ratio", "fraction", ""):
        return f"{v:.1f}"
    if unit == "%/s":
        return f"{v:+.2f} % per second"
    if unit.startswith("%"):
        return f"{v:.0f} %"
    return f"{v:.3g} {unit}"


def _ref_text(ref: Any) -> str:
    if isinstance(ref, MuscleGroup):
        return f"your {ref.plain}"
    if ref == "movement":
        return "the start of the movement"
    if isinstance(ref, str) and ref.startswith("event:"):
        lab = ref[6:]
        return "the go signal" if lab in ("cue", "go") else f"the {lab!r} marker"
    return str(ref)


def _times(n_pass: int, n: int) -> str:
    if n <= 1:
        return ""
    return f" (in {n_pass} of {n} repetitions)"


def _spread(c: Criterion, extra: Mapping[str, Any]) -> str:
    """`` (median of 5 repetitions, from 260 ms before to 280 ms after; 2 of 5 within
    the target)``: the spread of the repetitions behind a verdict."""
    lo, hi, n = float(extra["min"]), float(extra["max"]), int(extra["n"])
    inside = f"{int(extra['n_inside'])} of {n} within the target"

    def w(v: float) -> str:
        return (f"{abs(v):.0f} ms {'before' if v < 0 else 'after'}" if abs(v) >= 0.5
                else "at the same time as")
    if c.kind == "latency":
        return f" (median of {n} repetitions, which ranged from {w(lo)} to {w(hi)}; {inside})"
    if c.kind == "order" and "then" in c.params:
        # values are onset(then) - onset(first): say who started when, unambiguously
        a, b = c.params["first"].plain, c.params["then"].plain
        return (f" (median of {n} repetitions; your {b} started from {w(lo)} to {w(hi)} "
                f"your {a}; {inside})")
    if c.unit == "ms":
        rng = f"from {lo:+.0f} to {hi:+.0f} ms"
    else:
        rng = f"from {_fmt(lo, c.unit)} to {_fmt(hi, c.unit)}"
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
            return tmpl.format(measured=_fmt(measured, c.unit), target=target, unit=c.unit,
                               n_pass=n_pass, n=n)
        except (KeyError, IndexError, ValueError):
            return tmpl
    p = c.params
    ok = verdict == "pass"
    rep = _spread(c, extra) if extra else _times(n_pass if ok else n - n_pass, n)
    if c.kind == "order" and "sequence" in p:
        names = ", then ".join(g.plain for g in p["sequence"])
        if ok:
            return f"Your muscles switched on in the intended order: {names}{rep}."
        return (f"Your muscles did not switch on in the intended order ({names}); only "
                f"{100 * (measured or 0):.0f} % of the muscle pairs kept that order{rep}.")
    if c.kind == "order":
        a, b = p["first"].plain, p["then"].plain
        if ok:
            if measured is not None and measured < 0:
                return (f"Your {a} and your {b} switched on almost together (within "
                        f"{p['tolerance_ms']:.0f} ms), which is acceptable{rep}.")
            return f"Your {a} switched on before your {b}, as intended{rep}."
        return (f"Your {b} switched on {_fmt(measured, 'ms')} before your {a}; the aim is "
                f"for the {a} to start first{rep}.")
    if c.kind == "latency":
        a = p["muscle"].plain
        ref = _ref_text(p["relative_to"])
        if measured is None:
            return f"Your {a} was timed against {ref}."
        when = (f"{_fmt(measured, 'ms')} {'before' if measured < 0 else 'after'}"
                if abs(measured) >= 5 else "at the same time as")
        lo, hi = c.minimum, c.maximum
        aim = _aim_ms(lo, hi, ref)
        if ok:
            return f"Your {a} switched on {when} {ref}, within the intended window{rep}."
        return f"Your {a} switched on {when} {ref}; {aim}{rep}."
    if c.kind == "amount":
        a = p["muscle"].plain
        if ok:
            return (f"Your {a} worked at {_fmt(measured, '%')} of the maximum, within the "
                    f"target ({target}){rep}.")
        more = "more" if c.minimum is not None and (measured or 0) < c.minimum else "less"
        return (f"Your {a} worked at {_fmt(measured, '%')} of the maximum; the target is "
                f"{target}, so {'it' if len(p['muscle'].muscles) == 1 else 'they'} should "
                f"work {more}{rep}.")
    if c.kind == "ratio":
        a, b = p["numerator"].plain, p["denominator"].plain
        txt = (f"Your {a} worked {measured:.1f} times as hard as your {b}"
               if measured is not None else f"The balance of your {a} and {b} was measured")
        if ok:
            return f"{txt}, within the target ({target}){rep}."
        return f"{txt}; the target is {target}{rep}."
    if c.kind == "cocontraction":
        a, b = p["agonist"].plain, p["antagonist"].plain
        txt = f"Your {a} and {b} worked together at a level of {_fmt(measured, c.unit)}"
        if ok:
            return f"{txt}, within the target ({target}){rep}."
        return f"{txt}; the target is {target}{rep}."
    if c.kind == "flexion_relaxation":
        a = p["muscle"].plain
        if p["measure"] == "frr":
            if ok:
                return (f"Your {a} relaxed when you were fully bent forward, as they should "
                        f"(ratio {_fmt(measured, 'ratio')}, target {target}){rep}.")
            return (f"Your {a} stayed active when you were fully bent forward (ratio "
                    f"{_fmt(measured, 'ratio')}; a ratio of {target} shows relaxation){rep}.")
        if ok:
            return (f"Your {a} switched back on clearly to bring you upright after relaxing "
                    f"(ratio {_fmt(measured, 'ratio')}, target {target}){rep}.")
        return (f"Your {a} did not relax enough at full bend to switch back on clearly when "
                f"you came up (ratio {_fmt(measured, 'ratio')}; target {target}){rep}.")
    if c.kind == "mdf_slope":
        a = p["muscle"].plain
        if ok:
            return (f"Your {a} tired at an expected rate during the hold (signal frequency "
                    f"changing {_fmt(measured, '%/s')}; target {target}).")
        fast = c.minimum is not None and measured is not None and measured < c.minimum
        return (f"Your {a} tired {'faster' if fast else 'differently'} than expected during "
                f"the hold (signal frequency changing {_fmt(measured, '%/s')}; target "
                f"{target}).")
    return f"{c.description} ({'met' if ok else 'not met'})."  # pragma: no cover


def _aim_ms(lo: float | None, hi: float | None, ref: str) -> str:
    def w(v: float) -> str:
        return f"{abs(v):.0f} ms {'before' if v < 0 else 'after'}"
    if lo is not None and hi is not None:
        return f"the aim is between {w(lo)} and {w(hi)} {ref}"
    if hi is not None:
        return (f"the aim is to switch on before {ref}" if hi == 0 else
                f"the aim is no later than {w(hi)} {ref}")
    assert lo is not None
    return (f"the aim is to switch on after {ref}" if lo == 0 else
            f"the aim is no earlier than {w(lo)} {ref}")
