"""``cocontraction``: how much an agonist and an antagonist work together in a phase
(co-contraction index of the same-side pairs, :func:`emgcontrol.metrics.compute_cocontraction`;
unit by method: ``falconer`` %, ``rudolph`` %MVC, ``unnithan`` %MVC*%)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._base import CriterionKind, Evaluation, GroupRule, TrialValue, fmt_value


def parse(spec: Any) -> tuple[dict[str, Any], float | None, float | None, str]:
    from ...metrics.selection import CCI_UNITS, COCONTRACTION_METHODS

    params: dict[str, Any] = {"agonist": spec.group("agonist"),
                              "antagonist": spec.group("antagonist"),
                              "phase": spec.phase(),
                              "method": spec.choice("method", COCONTRACTION_METHODS,
                                                    "falconer")}
    return params, spec.number("min"), spec.number("max"), CCI_UNITS[params["method"]]


def evaluate(c: Any, m: Any, chans: Mapping[str, list[str]], trials: Sequence[int]
             ) -> Evaluation:
    if not m.mvc:
        return Evaluation(reason=f"co-contraction needs normalised envelopes: "
                                 f"{m.no_mvc_reason()}", action=m.no_mvc_action())
    out = Evaluation()
    for k in trials:
        rs = [r for r in m.cocontraction if r.criterion == c.id and r.trial == k]
        vals = [r.value for r in rs if r.status == "ok" and r.value is not None]
        if not vals:
            why = "; ".join(sorted({str(r.reason) for r in rs})) or \
                "phase not found in the trial"
            out.trials.append(TrialValue(k, None, why))
        else:
            out.trials.append(TrialValue(k, float(np.mean(vals))))
    return out


def sentence(c: Any, ok: bool, measured: float | None, target: str, rep: str) -> str:
    a, b = c.params["agonist"].plain, c.params["antagonist"].plain
    txt = f"Your {a} and {b} worked together at a level of {fmt_value(measured, c.unit)}"
    if ok:
        return f"{txt}, within the target ({target}){rep}."
    return f"{txt}; the target is {target}{rep}."


KIND = CriterionKind(
    name="cocontraction", fields=frozenset({"agonist", "antagonist", "phase", "method",
                                            "min", "max"}),
    combine=("mean",), unit="%", needs=frozenset({"cocontraction"}),
    group_rules={"agonist": GroupRule("mean"), "antagonist": GroupRule("mean")},
    parse=parse, evaluate=evaluate, sentence=sentence)
