"""``amount``: how hard a group works in a phase, in %MVC (noise-corrected RMS, ARV
or peak of each channel over the phase, normalised to that muscle's MVC).

Value: the channels combined by ``combine`` (``mean``; ``each``/``max``/``min``: the
worst/largest/smallest channel), target ``[min, max]`` %MVC."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._actions import join_actions
from ._base import CriterionKind, Evaluation, GroupRule, TrialValue, enough, fmt_value, worst

MEASURES = ("rms", "peak", "arv")
"""Amplitude measures of a phase."""


def parse_phase_measure(spec: Any, params: dict[str, Any]) -> None:
    """The ``phase``, ``measure`` and ``noise_correct`` fields shared with ``ratio``."""
    params["phase"] = spec.phase()
    params["measure"] = spec.choice("measure", MEASURES, "rms")
    params["noise_correct"] = spec.flag("noise_correct", True)


def parse(spec: Any) -> tuple[dict[str, Any], float | None, float | None, str]:
    params: dict[str, Any] = {"muscle": spec.group("muscle")}
    parse_phase_measure(spec, params)
    return params, spec.number("min"), spec.number("max"), KIND.unit


def not_normalised(m: Any) -> str | None:
    """Why amplitudes cannot be judged in %MVC (None: they can)."""
    if "amounts" not in m.computed:
        return "no amplitudes were measured (compare a Recording)"
    if not m.mvc:
        return f"amplitudes are not normalised: {m.no_mvc_reason()}"
    return None


def not_normalised_action(m: Any) -> str | None:
    """What to do about :func:`not_normalised` (None where no action helps: the
    measures hold no amplitudes at all)."""
    return m.no_mvc_action() if "amounts" in m.computed and not m.mvc else None


def phase_amounts(c: Any, m: Any, chans: Sequence[str], k: int, combine: str
                  ) -> tuple[list[float], str | None]:
    """%MVC values of the channels in the criterion's phase of trial ``k``."""
    vals, why, _ = phase_amounts_action(c, m, chans, k, combine)
    return vals, why


def phase_amounts_action(c: Any, m: Any, chans: Sequence[str], k: int, combine: str
                         ) -> tuple[list[float], str | None, str | None]:
    """:func:`phase_amounts` and, when there are none, what to do (the actions of the
    amplitude rows)."""
    p = c.params
    key = "value" if p["noise_correct"] else "value_raw"
    rs = [a for a in m.amounts if a.trial == k and a.phase == p["phase"]
          and a.measure == p["measure"] and a.channel in chans]
    vals = [float(getattr(a, key)) for a in rs
            if a.status == "ok" and getattr(a, key) is not None]
    if not rs or not enough(len(vals), len(chans), combine):
        bad = sorted((a for a in rs if a.status != "ok"), key=lambda a: str(a.reason))
        why = "; ".join(sorted({str(a.reason) for a in bad}))
        return [], why or "no amplitude", join_actions(a.action for a in bad)
    return vals, None, None


def evaluate(c: Any, m: Any, chans: Mapping[str, list[str]], trials: Sequence[int]
             ) -> Evaluation:
    why = not_normalised(m)
    if why:
        return Evaluation(reason=why, action=not_normalised_action(m))
    out = Evaluation()
    for k in trials:
        vals, why, act = phase_amounts_action(c, m, chans["muscle"], k, c.combine)
        if why:
            out.trials.append(TrialValue(k, None, why, action=act))
            continue
        if c.combine == "each":
            v = worst(vals, c.minimum, c.maximum)
        else:
            v = {"mean": float(np.mean(vals)), "max": max(vals), "min": min(vals)}[c.combine]
        out.trials.append(TrialValue(k, v, None, {"channel_values": vals}))
    return out


def sentence(c: Any, ok: bool, measured: float | None, target: str, rep: str) -> str:
    a = c.params["muscle"].plain
    if ok:
        return (f"Your {a} worked at {fmt_value(measured, '%')} of the maximum, within the "
                f"target ({target}){rep}.")
    more = "more" if c.minimum is not None and (measured or 0) < c.minimum else "less"
    return (f"Your {a} worked at {fmt_value(measured, '%')} of the maximum; the target is "
            f"{target}, so {'it' if len(c.params['muscle'].muscles) == 1 else 'they'} "
            f"should work {more}{rep}.")


KIND = CriterionKind(
    name="amount", fields=frozenset({"muscle", "phase", "measure", "min", "max",
                                     "noise_correct"}),
    combine=("mean", "each", "max", "min"), unit="%MVC", needs=frozenset({"amounts"}),
    group_rules={"muscle": GroupRule("combine")},
    parse=parse, evaluate=evaluate, sentence=sentence)
