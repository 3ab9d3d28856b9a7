"""``order``: one group switches on before another (``first``/``then``), or a whole
``sequence`` of groups switches on in order.

Value: ``onset(then) - onset(first)`` in ms (target ``>= -tolerance_ms``), or for a
sequence the share of the group pairs whose onsets keep the order (``fraction``,
target ``>= min_concordance``; the session value comes from the median pairwise
differences, see :mod:`emgcontrol.patterns._compare`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import math

import numpy as np

from .._actions import join_actions
from ._base import CriterionKind, Evaluation, GroupRule, TrialValue, group_onset, median_se

SEQUENCE_UNIT = "fraction"


def parse(spec: Any) -> tuple[dict[str, Any], float | None, float | None, str]:
    tol = spec.number("tolerance_ms", default=0.0, lo=0.0)
    params: dict[str, Any] = {"tolerance_ms": tol}
    if spec.has("sequence"):
        if spec.has("first") or spec.has("then"):
            raise spec.error("give either sequence or first/then, not both")
        params["sequence"] = spec.groups("sequence")
        lo = spec.number("min_concordance", default=1.0, lo=0.0, hi=1.0)
        return params, lo, None, SEQUENCE_UNIT
    params["first"] = spec.group("first")
    params["then"] = spec.group("then")
    if spec.has("min_concordance"):
        raise spec.error("min_concordance applies to a sequence only", "min_concordance")
    return params, -float(tol or 0.0), None, KIND.unit


def evaluate(c: Any, m: Any, chans: Mapping[str, list[str]], trials: Sequence[int]
             ) -> Evaluation:
    p = c.params
    out = Evaluation()
    if "sequence" in p:
        tol = float(p["tolerance_ms"] or 0.0)
        for k in trials:
            ons: list[float] = []
            why = act = None
            for i, g in enumerate(p["sequence"]):
                o, w, act = group_onset(m, chans[f"sequence[{i}]"], k, c.combine)
                if o is None:
                    why = f"{g.plain}: {w}"
                    break
                ons.append(o)
            if why:
                out.trials.append(TrialValue(k, None, why, action=act))
                continue
            pairs = [(i, j) for i in range(len(ons)) for j in range(i + 1, len(ons))]
            conc = sum(1 for i, j in pairs if (ons[j] - ons[i]) * 1000.0 >= -tol)
            out.trials.append(TrialValue(k, conc / len(pairs), None, {"onsets_s": ons}))
        return out
    for k in trials:
        a, wa, aa = group_onset(m, chans["first"], k, c.combine)
        b, wb, ab = group_onset(m, chans["then"], k, c.combine)
        if a is None or b is None:
            why = "; ".join(x for x in (
                f"{p['first'].plain}: {wa}" if a is None else None,
                f"{p['then'].plain}: {wb}" if b is None else None) if x)
            out.trials.append(TrialValue(k, None, why, action=join_actions(
                (aa if a is None else None, ab if b is None else None))))
        else:
            out.trials.append(TrialValue(k, (b - a) * 1000.0, None,
                                         {"onset_first_s": a, "onset_then_s": b}))
    return out


def session(c: Any, rows: list[dict[str, Any]], margin_k: float, sys_err: float = 0.0,
            sys_why: str = "") -> dict[str, Any] | None:
    """Session value of a sequence: order of the median pairwise onset differences.

    A pair is uncertain when its median lies within ``margin_k`` combined errors of
    the tolerance (the standard error of the median from the trials and ``sys_err``,
    the onset bias between channels); when the uncertain pairs could move the
    concordance across the target, no verdict is given."""
    if "sequence" not in c.params:
        return None
    tol = float(c.params["tolerance_ms"] or 0.0)
    min_conc = float(c.minimum or 0.0)
    ok = [r for r in rows if r.get("onsets_s")]
    if not ok:
        return None
    g = len(ok[0]["onsets_s"])
    pairs = [(i, j) for i in range(g) for j in range(i + 1, g)]
    conc = unc_c = unc_d = 0
    details = []
    for i, j in pairs:
        d = [1000.0 * (r["onsets_s"][j] - r["onsets_s"][i]) for r in ok]
        med = float(np.median(d))
        se = median_se(d) if margin_k > 0 else 0.0
        err = math.hypot(se, sys_err) if margin_k > 0 else 0.0
        good = med >= -tol - 1e-9
        unsure = len(d) >= 2 and abs(med + tol) < margin_k * err
        conc += good
        unc_c += good and unsure
        unc_d += (not good) and unsure
        details.append({"pair": [i, j], "median_ms": med, "se_ms": se,
                        "bias_ms": sys_err, "in_order": good,
                        "uncertain": unsure})
    n = len(pairs)
    measured = conc / n
    lo_possible, hi_possible = (conc - unc_c) / n, (conc + unc_d) / n
    uncertain = None
    if (lo_possible >= min_conc - 1e-9) != (hi_possible >= min_conc - 1e-9):
        uncertain = (f"{unc_c + unc_d} of {n} muscle pairs are within the measurement "
                     "uncertainty of the tolerance" + (f" ({sys_why})" if sys_why else "")
                     + ": the order cannot be told apart")
    return {"measured": measured, "uncertain": uncertain, "pairs": details}


CHANNEL_BIAS_SD_MS: dict[float, tuple[tuple[float, float], ...]] = {
    250.0: ((17.0, 19.0), (19.0, 18.0), (23.0, 14.0), (33.0, 11.0)),
    500.0: ((17.0, 14.0), (19.0, 11.0), (23.0, 11.0), (32.0, 8.0)),
    1000.0: ((17.0, 10.0), (19.0, 10.0), (22.0, 10.0), (31.0, 10.0)),
}
"""Onset bias of one channel relative to the others (RMS, ms), by rate (Hz) and by
the SNR the quality check reads (dB): the part of an onset error that the trials'
spread does not show and a difference of two channels' onsets does not cancel.
Measured by ``python benchmarks/bench_onset_bias.py --n 5`` (simulated
prone-hip-extension sessions at 3 / 6 / 10 / 20 dB simulated SNR, which the quality
check reads as about 17 / 19 / 23 / 32 dB; 30 channels per cell, 2026-12):
250 Hz 19.1 / 17.8 / 13.7 / 10.6 ms, 500 Hz 13.6 / 9.9 / 10.8 / 7.7, 1000 Hz 9.1 /
8.9 / 7.9 / 9.9; rounded up to an envelope that does not grow with the SNR.  Between
the rates interpolated in 1/rate, below 250 Hz scaled by 250/rate; below the lowest
SNR scaled by the amplitude ratio (at most 3x)."""


def channel_bias_sd_ms(sfreq: float, snr_db: float | None) -> float:
    """:data:`CHANNEL_BIAS_SD_MS` at a rate and SNR (None: 3x the lowest SNR's)."""
    def at(rate: float) -> float:
        rows = CHANNEL_BIAS_SD_MS[rate]
        if snr_db is None:
            return 3.0 * rows[0][1]
        if snr_db <= rows[0][0]:
            return rows[0][1] * min(10.0 ** ((rows[0][0] - snr_db) / 20.0), 3.0)
        for (s0, v0), (s1, v1) in zip(rows, rows[1:]):
            if snr_db <= s1:
                return v0 + (v1 - v0) * (snr_db - s0) / (s1 - s0)
        return rows[-1][1]
    rates = sorted(CHANNEL_BIAS_SD_MS)
    if sfreq <= rates[0]:
        return at(rates[0]) * rates[0] / sfreq
    for lo, hi in zip(rates, rates[1:]):
        if sfreq <= hi:
            w = (1.0 / sfreq - 1.0 / hi) / (1.0 / lo - 1.0 / hi)
            return w * at(lo) + (1.0 - w) * at(hi)
    return at(rates[-1])


def systematic(c: Any, m: Any, used: Mapping[str, Any]) -> tuple[float, str]:
    """Onset bias (ms) of a difference between two channels' onsets at the
    recording's rate and the lower SNR of the channels used."""
    if not m.sfreq:
        return 0.0, ""
    chans = {ch for k, v in used.items() if isinstance(v, list) and k not in (
        "excluded",) for ch in v if isinstance(ch, str)}
    snrs = [r.snr_db for r in m.channels if r.channel in chans]
    snr = (min(s for s in snrs if s is not None) if snrs and all(s is not None for s in snrs)
           else None)
    err = math.sqrt(2.0) * channel_bias_sd_ms(float(m.sfreq), snr)
    at = "an unknown SNR" if snr is None else f"{snr:.0f} dB SNR"
    return err, (f"onsets of two muscles differ by up to +/- {err:.0f} ms of bias at "
                 f"{float(m.sfreq):g} Hz and {at}")


def sentence(c: Any, ok: bool, measured: float | None, target: str, rep: str) -> str:
    from ._base import fmt_value

    p = c.params
    if "sequence" in p:
        names = ", then ".join(g.plain for g in p["sequence"])
        if ok:
            return f"Your muscles switched on in the intended order: {names}{rep}."
        return (f"Your muscles did not switch on in the intended order ({names}); only "
                f"{100 * (measured or 0):.0f} % of the muscle pairs kept that order{rep}.")
    a, b = p["first"].plain, p["then"].plain
    if ok:
        if measured is not None and measured < 0:
            return (f"Your {a} and your {b} switched on almost together (within "
                    f"{p['tolerance_ms']:.0f} ms), which is acceptable{rep}.")
        return f"Your {a} switched on before your {b}, as intended{rep}."
    return (f"Your {b} switched on {fmt_value(measured, 'ms')} before your {a}; the aim is "
            f"for the {a} to start first{rep}.")


def spread(c: Any, lo: float, hi: float, n: int, inside: str) -> str | None:
    if "then" not in c.params:
        return None
    from .latency import when

    # values are onset(then) - onset(first): say who started when, unambiguously
    a, b = c.params["first"].plain, c.params["then"].plain
    return (f" (median of {n} repetitions; your {b} started from {when(lo)} to {when(hi)} "
            f"your {a}; {inside})")


KIND = CriterionKind(
    name="order", fields=frozenset({"first", "then", "sequence", "tolerance_ms",
                                    "min_concordance"}),
    combine=("earliest", "latest"), unit="ms", needs=frozenset({"onsets"}),
    group_rules={"first": GroupRule("combine", -1), "then": GroupRule("combine", +1),
                 "sequence": GroupRule("all")},
    parse=parse, evaluate=evaluate, sentence=sentence, timing=True, spread=spread,
    session=session, systematic=systematic)
