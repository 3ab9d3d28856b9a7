"""``latency``: when a group switches on relative to the movement onset, an event
(``"event:<label>"``) or another group's onset.

Value: ``onset(muscle) - reference`` in ms, target ``[min_ms, max_ms]``.  With
``combine = "each"`` every channel is timed and the worst counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._actions import MARK_MOVEMENT, mark_event
from ._base import (CriterionKind, Evaluation, GroupRule, TrialValue, badness,
                    fmt_value, group_onset)


def parse(spec: Any) -> tuple[dict[str, Any], float | None, float | None, str]:
    params: dict[str, Any] = {"muscle": spec.group("muscle")}
    rel = spec.text("relative_to")
    if not isinstance(rel, str):
        raise spec.error(f"criterion {spec.cid!r} needs relative_to = 'movement', "
                         "'event:<label>' or a group/muscle", "relative_to")
    if rel == "movement" or (rel.startswith("event:") and len(rel) > 6):
        params["relative_to"] = rel
    else:
        params["relative_to"] = spec.group("relative_to")
    lo = spec.number("min_ms")
    hi = spec.number("max_ms")
    if lo is None and hi is None:
        raise spec.error(f"criterion {spec.cid!r} needs min_ms and/or max_ms")
    return params, lo, hi, KIND.unit


def evaluate(c: Any, m: Any, chans: Mapping[str, list[str]], trials: Sequence[int]
             ) -> Evaluation:
    p = c.params
    lo, hi = c.minimum, c.maximum
    ref = p["relative_to"]
    out = Evaluation()
    for k in trials:
        tr = next((t for t in m.trials if t.trial == k), None)
        if not isinstance(ref, str):
            r, wr, ar = group_onset(m, chans["relative_to"], k, "earliest")
            wr = f"{ref.plain}: {wr}" if r is None else None
        elif ref == "movement":
            r = tr.movement_onset_s if tr is not None else None
            wr = ((tr.movement_reason if tr is not None else None)
                  or "movement onset unknown") if r is None else None
            ar = (getattr(tr, "movement_action", None) or MARK_MOVEMENT) if r is None \
                else None
        else:
            r = (tr.events if tr is not None else {}).get(ref[6:])
            wr = f"no {ref[6:]!r} event in the trial" if r is None else None
            ar = mark_event(ref[6:]) if r is None else None
        if r is None:
            out.trials.append(TrialValue(k, None, wr, action=ar))
            continue
        if c.combine == "each":
            vals = []
            why = act = None
            for ch in chans["muscle"]:
                o, w, act = group_onset(m, [ch], k, "earliest")
                if o is None:
                    why = w  # names the channel
                    break
                vals.append(((o - r) * 1000.0, ch))
            if why:
                out.trials.append(TrialValue(k, None, why, action=act))
                continue
            v, ch = max(vals, key=lambda t: badness(t[0], lo, hi))
            out.trials.append(TrialValue(k, v, None, {
                "channel": ch, "per_channel_ms": {c2: v2 for v2, c2 in vals}}))
        else:
            o, w, act = group_onset(m, chans["muscle"], k, c.combine)
            if o is None:
                out.trials.append(TrialValue(k, None, f"{p['muscle'].plain}: {w}",
                                             action=act))
            else:
                out.trials.append(TrialValue(k, (o - r) * 1000.0, None,
                                             {"onset_s": o, "reference_s": r}))
    return out


def ref_text(ref: Any) -> str:
    """The reference of a latency in a patient sentence."""
    if not isinstance(ref, str):
        return f"your {ref.plain}"
    if ref == "movement":
        return "the start of the movement"
    lab = ref[6:]
    return "the go signal" if lab in ("cue", "go") else f"the {lab!r} marker"


def when(v: float) -> str:
    """``"120 ms before"`` / ``"40 ms after"`` / ``"at the same time as"``."""
    return (f"{abs(v):.0f} ms {'before' if v < 0 else 'after'}" if abs(v) >= 0.5
            else "at the same time as")


def aim(lo: float | None, hi: float | None, ref: str) -> str:
    """What the target asks, in words."""
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


def sentence(c: Any, ok: bool, measured: float | None, target: str, rep: str) -> str:
    a = c.params["muscle"].plain
    ref = ref_text(c.params["relative_to"])
    if measured is None:
        return f"Your {a} was timed against {ref}."
    w = (f"{fmt_value(measured, 'ms')} {'before' if measured < 0 else 'after'}"
         if abs(measured) >= 5 else "at the same time as")
    if ok:
        return f"Your {a} switched on {w} {ref}, within the intended window{rep}."
    return f"Your {a} switched on {w} {ref}; {aim(c.minimum, c.maximum, ref)}{rep}."


def spread(c: Any, lo: float, hi: float, n: int, inside: str) -> str:
    return f" (median of {n} repetitions, which ranged from {when(lo)} to {when(hi)}; {inside})"


KIND = CriterionKind(
    name="latency", fields=frozenset({"muscle", "relative_to", "min_ms", "max_ms"}),
    combine=("earliest", "latest", "each"), unit="ms", needs=frozenset({"onsets"}),
    group_rules={"muscle": GroupRule("combine", +1),
                 "relative_to": GroupRule("earliest", -1)},
    parse=parse, evaluate=evaluate, sentence=sentence, timing=True, spread=spread)
