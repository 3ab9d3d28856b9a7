"""``mdf_slope``: how fast the median frequency of a group's EMG falls during a
sustained hold (Biering-Sorensen), in % of its initial value per second, corrected
for the band a low sampling rate keeps; channels whose hold is less than
``min_snr_db`` above the noise are not used.  One value per session."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._base import CriterionKind, Evaluation, GroupRule, TrialValue, enough, fmt_value, worst


def parse(spec: Any) -> tuple[dict[str, Any], float | None, float | None, str]:
    params: dict[str, Any] = {"muscle": spec.group("muscle"),
                              "min_snr_db": spec.number("min_snr_db", default=6.0),
                              "rate_correction": spec.flag("rate_correction", True)}
    return params, spec.number("min"), spec.number("max"), KIND.unit


def evaluate(c: Any, m: Any, chans: Mapping[str, list[str]], trials: Sequence[int]
             ) -> Evaluation:
    if "fatigue" not in m.computed:
        return Evaluation(reason="median-frequency slopes were not measured")
    p = c.params
    rs = [r for r in m.fatigue if r.channel in chans["muscle"]]
    vals = []
    whys: dict[str, list[str]] = {}
    for r in rs:
        if r.status != "ok" or r.slope_pct_per_s is None:
            whys.setdefault(str(r.reason), []).append(r.channel)
            continue
        snr = r.snr_db
        if snr is None or snr < p["min_snr_db"]:
            s = "an unknown level" if snr is None else f"{snr:.1f} dB"
            whys.setdefault(f"EMG over the hold only {s} above the noise (spectral "
                            f"measures need >= {p['min_snr_db']:g} dB)", []).append(r.channel)
            continue
        vals.append(float(r.slope_pct_per_s))
    if not rs or not enough(len(vals), len(chans["muscle"]), c.combine):
        why = "; ".join(f"{', '.join(chs)}: {w}" for w, chs in whys.items())
        return Evaluation([TrialValue(0, None, why or "no slope")])
    v = float(np.mean(vals)) if c.combine == "mean" else worst(vals, c.minimum, c.maximum)
    return Evaluation([TrialValue(0, v, None, {"channel_values": vals})])


def sentence(c: Any, ok: bool, measured: float | None, target: str, rep: str) -> str:
    a = c.params["muscle"].plain
    rate = fmt_value(measured, "%/s")
    if ok:
        return (f"Your {a} tired at an expected rate during the hold (signal frequency "
                f"changing {rate}; target {target}).")
    fast = c.minimum is not None and measured is not None and measured < c.minimum
    return (f"Your {a} tired {'faster' if fast else 'differently'} than expected during "
            f"the hold (signal frequency changing {rate}; target {target}).")


KIND = CriterionKind(
    name="mdf_slope", fields=frozenset({"muscle", "min", "max", "min_snr_db",
                                        "rate_correction"}),
    combine=("mean", "each"), unit="%/s", needs=frozenset({"fatigue"}),
    group_rules={"muscle": GroupRule("combine")},
    parse=parse, evaluate=evaluate, sentence=sentence, per_trial=False)
