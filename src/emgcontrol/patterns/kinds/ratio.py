"""``ratio``: how hard one group works relative to another in a phase (mean %MVC of
the numerator's channels over the mean of the denominator's), target ``[min, max]``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._base import CriterionKind, Evaluation, GroupRule, TrialValue
from .._actions import join_actions
from .amount import not_normalised, not_normalised_action, parse_phase_measure, \
    phase_amounts_action


def parse(spec: Any) -> tuple[dict[str, Any], float | None, float | None, str]:
    params: dict[str, Any] = {"numerator": spec.group("numerator"),
                              "denominator": spec.group("denominator")}
    parse_phase_measure(spec, params)
    return params, spec.number("min"), spec.number("max"), KIND.unit


def evaluate(c: Any, m: Any, chans: Mapping[str, list[str]], trials: Sequence[int]
             ) -> Evaluation:
    why = not_normalised(m)
    if why:
        return Evaluation(reason=why, action=not_normalised_action(m))
    p = c.params
    out = Evaluation()
    for k in trials:
        num, w1, a1 = phase_amounts_action(c, m, chans["numerator"], k, "mean")
        den, w2, a2 = phase_amounts_action(c, m, chans["denominator"], k, "mean")
        if w1 or w2:
            out.trials.append(TrialValue(k, None, w1 or w2, action=join_actions(
                [a1] if w1 else [a2])))
            continue
        d = float(np.mean(den))
        if not d > 0:
            out.trials.append(TrialValue(k, None,
                                         f"{p['denominator'].plain} shows no activity"))
            continue
        out.trials.append(TrialValue(k, float(np.mean(num)) / d, None, {
            "numerator": float(np.mean(num)), "denominator": d}))
    return out


def sentence(c: Any, ok: bool, measured: float | None, target: str, rep: str) -> str:
    a, b = c.params["numerator"].plain, c.params["denominator"].plain
    txt = (f"Your {a} worked {measured:.1f} times as hard as your {b}"
           if measured is not None else f"The balance of your {a} and {b} was measured")
    if ok:
        return f"{txt}, within the target ({target}){rep}."
    return f"{txt}; the target is {target}{rep}."


KIND = CriterionKind(
    name="ratio", fields=frozenset({"numerator", "denominator", "phase", "measure", "min",
                                    "max", "noise_correct"}),
    combine=("mean",), unit="ratio", needs=frozenset({"amounts"}),
    group_rules={"numerator": GroupRule("mean"), "denominator": GroupRule("mean")},
    parse=parse, evaluate=evaluate, sentence=sentence)
