"""``flexion_relaxation``: the back extensors relax at full trunk flexion.

Value: the flexion-relaxation ratio (``frr``: flexion / full flexion) or the
extension-relaxation ratio (``err``: extension / full flexion) of the channels,
noise-corrected (:mod:`emgcontrol.patterns._measure`); where the full-flexion activity
is at the noise floor the ratio is a lower bound, and a lower bound below the target
is not a failure."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._base import (CriterionKind, Evaluation, GroupRule, TrialValue, enough, fmt_value,
                    worst)


def parse(spec: Any) -> tuple[dict[str, Any], float | None, float | None, str]:
    params: dict[str, Any] = {
        "muscle": spec.group("muscle"),
        "measure": spec.choice("measure", ("frr", "err"), "frr"),
        "definition": spec.choice("definition", ("watson", "mean"), "watson"),
        "noise_correct": spec.flag("noise_correct", True)}
    return params, spec.number("min"), spec.number("max"), KIND.unit


def evaluate(c: Any, m: Any, chans: Mapping[str, list[str]], trials: Sequence[int]
             ) -> Evaluation:
    if "flexion_relaxation" not in m.computed:
        return Evaluation(reason="flexion-relaxation was not measured")
    p = c.params
    lo = c.minimum
    key = p["measure"] if p["noise_correct"] else p["measure"] + "_raw"
    rows = [r for r in m.flexion_relaxation if r.definition == p["definition"]]
    out = Evaluation()
    for k in sorted({r.trial for r in rows}) or list(trials):
        rs = [r for r in rows if r.trial == k and r.channel in chans["muscle"]]
        vals = [float(getattr(r, key)) for r in rs if r.status == "ok"
                and getattr(r, key) is not None and math.isfinite(getattr(r, key))]
        if not rs or not enough(len(vals), len(chans["muscle"]), c.combine):
            why = "; ".join(sorted({str(r.reason) for r in rs if r.reason})) or "no ratio"
            out.trials.append(TrialValue(k, None, why))
            continue
        v = float(np.mean(vals)) if c.combine == "mean" else worst(vals, lo, c.maximum)
        at_noise = [r.channel for r in rs if r.full_flexion_at_noise]
        tv = TrialValue(k, v, None, {"channel_values": vals})
        if at_noise and p["noise_correct"]:
            tv.details["bound"] = "lower"
            if lo is not None and v < lo:
                tv.value = None
                tv.details["lower_bound"] = v
                tv.reason = (f"ratio >= {v:.2f} only: the full-flexion activity of "
                             f"{', '.join(at_noise)} is at the noise floor, so the ratio "
                             f"cannot be shown to reach {lo:g} at this signal-to-noise ratio")
        out.trials.append(tv)
    return out


def sentence(c: Any, ok: bool, measured: float | None, target: str, rep: str) -> str:
    a = c.params["muscle"].plain
    r = fmt_value(measured, "ratio")
    if c.params["measure"] == "frr":
        if ok:
            return (f"Your {a} relaxed when you were fully bent forward, as they should "
                    f"(ratio {r}, target {target}){rep}.")
        return (f"Your {a} stayed active when you were fully bent forward (ratio "
                f"{r}; a ratio of {target} shows relaxation){rep}.")
    if ok:
        return (f"Your {a} switched back on clearly to bring you upright after relaxing "
                f"(ratio {r}, target {target}){rep}.")
    return (f"Your {a} did not relax enough at full bend to switch back on clearly when "
            f"you came up (ratio {r}; target {target}){rep}.")


KIND = CriterionKind(
    name="flexion_relaxation", fields=frozenset({"muscle", "measure", "definition", "min",
                                                 "max", "noise_correct"}),
    combine=("mean", "each"), unit="ratio", needs=frozenset({"flexion_relaxation"}),
    group_rules={"muscle": GroupRule("combine")},
    parse=parse, evaluate=evaluate, sentence=sentence)
