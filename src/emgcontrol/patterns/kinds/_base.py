"""What a criterion kind is, and the helpers the kinds share.

A criterion kind is one module of :mod:`emgcontrol.patterns.kinds` that builds a
:class:`CriterionKind`: the fields a pattern file may give it, how each of its muscle
groups is combined, its unit, which measures of the assessment chain it needs, how
its fields are read (:meth:`CriterionKind.parse`), how a trial's value is computed
from the measures (:meth:`CriterionKind.evaluate`) and how a result is said to a
patient (:meth:`CriterionKind.sentence`).  What is common to every kind -- resolving
groups to usable channels, the trial-agreement and margin rules, the verdict -- lives
in :mod:`emgcontrol.patterns._compare`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .._actions import join_actions

if TYPE_CHECKING:  # pragma: no cover
    from .._format import Criterion, MuscleGroup
    from .._measure import Measures

__all__ = ["CriterionKind", "GroupRule", "ParseSpec", "TrialValue", "Evaluation",
           "MEASURES", "inside", "side_of", "deviation", "badness", "enough",
           "first_onset", "group_onset", "fmt_value", "median_se", "worst"]

MEASURES = ("onsets", "amounts", "cocontraction", "flexion_relaxation", "fatigue")
"""Measures of the assessment chain a kind may need (steps of
:func:`emgcontrol.patterns.measure`)."""


@dataclass(frozen=True)
class GroupRule:
    """How a criterion combines the channels of the group in one of its fields.

    Attributes
    ----------
    rule : str
        ``"combine"`` (the criterion's ``combine`` value), ``"mean"`` (at least half
        of the channels), ``"earliest"`` (the group's first onset: tolerates a missing
        channel where the verdict cannot depend on it) or ``"all"`` (every channel).
    sign : int
        For timing values: +1 when the value grows with this group's onset (the
        measured muscle), -1 when it shrinks (the reference); 0 otherwise.  A group
        combined by its earliest onset that lost a channel gives a *later bound* of
        its onset, hence an upper bound of the value for +1 and a lower one for -1.
    """

    rule: str = "combine"
    sign: int = 0


class ParseSpec(Protocol):
    """Reader of one ``[[criteria]]`` table, given to :meth:`CriterionKind.parse`.

    Every method raises the pattern-format error naming the file, line and key."""

    cid: str

    def has(self, key: str) -> bool: ...
    def group(self, key: str, required: bool = True) -> MuscleGroup | None: ...
    def groups(self, key: str) -> tuple[MuscleGroup, ...]: ...
    def phase(self, required: bool = True) -> str | None: ...
    def number(self, key: str, default: float | None = None, lo: float | None = None,
               hi: float | None = None) -> float | None: ...
    def choice(self, key: str, allowed: Sequence[str], default: str) -> str: ...
    def flag(self, key: str, default: bool) -> bool: ...
    def text(self, key: str) -> Any: ...
    def error(self, message: str, key: str | None = None) -> Exception: ...


@dataclass
class TrialValue:
    """The value of a criterion in one trial (a row of ``CriterionResult.trials``).

    ``value`` is None when the trial could not be assessed; ``reason`` then says why
    and ``action`` what the clinician should do (:mod:`emgcontrol.patterns._actions`;
    None: not known).  ``details`` holds what the kind measured on the way
    (per-channel values, onsets), merged into the row's dict."""

    trial: int
    value: float | None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    action: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The row's dict (``action`` only when there is one)."""
        out = {"trial": self.trial, "value": self.value, "reason": self.reason,
               **self.details}
        if self.action:
            out["action"] = self.action
        return out


@dataclass
class Evaluation:
    """What :meth:`CriterionKind.evaluate` returns: per-trial values, or one reason
    that nothing could be assessed (and ``action``: what to do about it)."""

    trials: list[TrialValue] = field(default_factory=list)
    reason: str | None = None
    action: str | None = None


Parse = Callable[["ParseSpec"], tuple[dict[str, Any], "float | None", "float | None", str]]
Evaluate = Callable[["Criterion", "Measures", Mapping[str, list[str]], Sequence[int]],
                    Evaluation]
Sentence = Callable[["Criterion", bool, "float | None", str, str], str]


@dataclass(frozen=True)
class CriterionKind:
    """One criterion kind (see the module notes).

    Attributes
    ----------
    name : str
        The ``kind`` value in pattern files.
    fields : frozenset of str
        Kind-specific keys of a ``[[criteria]]`` table.
    combine : tuple of str
        Allowed ``combine`` values (first = default).
    unit : str
        Unit of the value (a kind's ``parse`` may choose another, e.g. per method).
    needs : frozenset of str
        Measures of the chain it needs (:data:`MEASURES`).
    group_rules : mapping
        Field -> :class:`GroupRule` for each muscle-group field.
    timing : bool
        Whether values are onset times (channels whose onsets could not be
        detected at all count as unusable).
    parse : callable
        ``parse(spec) -> (params, min, max, unit)``.
    evaluate : callable
        ``evaluate(criterion, measures, channels, trial_ids) -> Evaluation`` with
        ``channels`` the usable channels of each group field (``"sequence[i]"`` for
        the i-th group of a sequence).
    sentence : callable
        ``sentence(criterion, passed, measured, target_text, repetitions) -> str``
        for an assessed criterion; ``repetitions`` is the text about the trials.
    spread : callable or None
        ``spread(criterion, lo, hi, n, inside_text) -> str or None``: how the
        repetitions ranged, when the generic wording does not fit.
    per_trial : bool
        Whether the kind gives a value per trial (False: one value per session, e.g.
        a slope over the one hold; the pattern's ``min_trials`` then does not apply).
    systematic : callable or None
        ``systematic(criterion, measures, used) -> (error, why)``: an error of the
        session value that the trials' spread does not show (in the unit; e.g. the
        onset bias between two channels at the recording's rate and SNR) and its
        explanation; the margin rule then needs the value ``margin_k`` combined
        errors away from the limit.
    session : callable or None
        ``session(criterion, trial_rows, margin_k, sys_err, sys_why) -> dict or None``:
        a session value
        not taken as the median of the trials' values (``measured``, ``uncertain``:
        why no verdict can be given or None, ``pairs``: details); the trial-agreement
        and margin rules then do not apply, the kind's own rule does.
    """

    name: str
    fields: frozenset[str]
    combine: tuple[str, ...]
    unit: str
    needs: frozenset[str]
    group_rules: Mapping[str, GroupRule]
    parse: Parse
    evaluate: Evaluate
    sentence: Sentence
    timing: bool = False
    spread: Callable[..., str | None] | None = None
    session: Callable[..., dict[str, Any] | None] | None = None
    systematic: Callable[..., tuple[float, str]] | None = None
    per_trial: bool = True

    def rule_of(self, key: str, combine: str) -> GroupRule:
        """The rule for a group field (``"sequence[i]"`` -> ``"sequence"``)."""
        r = self.group_rules.get(key.split("[")[0], GroupRule("mean"))
        return GroupRule(combine, r.sign) if r.rule == "combine" else r


# ------------------------------------------------------------------ helpers
def inside(v: float, lo: float | None, hi: float | None) -> bool:
    """Whether ``v`` lies in the band (inclusive)."""
    return (lo is None or v >= lo - 1e-12) and (hi is None or v <= hi + 1e-12)


def side_of(v: float, lo: float | None, hi: float | None) -> str:
    """``"below"``, ``"inside"`` or ``"above"`` the target band."""
    if lo is not None and v < lo - 1e-12:
        return "below"
    if hi is not None and v > hi + 1e-12:
        return "above"
    return "inside"


def deviation(v: float, lo: float | None, hi: float | None) -> float:
    """Distance outside the band: negative below ``lo``, positive above ``hi``."""
    if lo is not None and v < lo:
        return v - lo
    if hi is not None and v > hi:
        return v - hi
    return 0.0


def badness(v: float, lo: float | None, hi: float | None) -> float:
    """Larger is worse: distance outside the band, minus the margin inside."""
    if not inside(v, lo, hi):
        return abs(deviation(v, lo, hi))
    margins = [m for m in ((v - lo) if lo is not None else None,
                           (hi - v) if hi is not None else None) if m is not None]
    return -min(margins) if margins else 0.0


def enough(n_ok: int, n: int, combine: str) -> bool:
    """Enough channels of a group: all for a worst-case rule (``each``, ``max``,
    ``min``), at least half for a mean."""
    if combine == "mean":
        return n_ok >= max(1, math.ceil(n / 2))
    return n_ok >= n


def worst(vals: Sequence[float], lo: float | None, hi: float | None) -> float:
    """The value furthest from (or closest to leaving) the band."""
    return max(vals, key=lambda x: badness(x, lo, hi))


def group_onset(m: Measures, chans: Sequence[str], k: int, combine: str
                ) -> tuple[float | None, str | None, str | None]:
    """A group's onset in trial ``k``: the earliest (or, ``"latest"``, the last, which
    needs every channel's onset) of its channels, or None, why and what to do (the
    actions of the channels' onset rows)."""
    rows = [o for o in m.onsets if o.trial == k and o.channel in chans]
    per = {o.channel: (o.onset_s if o.status == "ok" else None) for o in rows}
    ok = [v for v in per.values() if v is not None]
    if not ok:
        bad = sorted((o for o in rows if o.status != "ok"), key=lambda o: o.reason_text())
        why = "; ".join(sorted({o.reason_text() for o in bad}))
        return None, why or "no onset", join_actions(getattr(o, "action", None)
                                                     for o in bad)
    if combine == "latest":
        missing = [ch for ch, v in per.items() if v is None]
        if missing:
            return None, f"no onset of {', '.join(missing)}", join_actions(
                getattr(o, "action", None) for o in rows if o.channel in missing)
        return max(ok), None, None
    return min(ok), None, None


def first_onset(m: Measures, chans: Sequence[str], k: int, combine: str
                ) -> tuple[float | None, str | None]:
    """A group's onset in trial ``k`` (:func:`group_onset` without the action)."""
    o, why, _ = group_onset(m, chans, k, combine)
    return o, why


def median_se(vals: Sequence[float]) -> float:
    """Standard error of a median: ``1.2533 * sigma / sqrt(n)`` with ``sigma`` the
    normalised median absolute deviation (robust to an outlying trial)."""
    import numpy as np

    a = np.asarray(vals, dtype=float)
    if a.size < 2:
        return math.inf
    sigma = 1.4826 * float(np.median(np.abs(a - np.median(a))))
    return 1.2533 * sigma / math.sqrt(a.size)


def fmt_value(v: float | None, unit: str) -> str:
    """A value for a patient sentence (``"120 ms"``, ``"35 %"``, ``"2.1"``)."""
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
