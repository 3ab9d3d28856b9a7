"""Comparison of measured recruitment with a target pattern.

Verdict rules (per criterion)
    Each criterion is evaluated per trial, on the channels of its muscle groups
    that are usable.  The session value (``measured``) is the median over the
    trials in which the criterion could be assessed, and the verdict compares it
    with the target band:

    * ``not_assessable`` when a muscle is not recorded, a channel its combine
      rule needs is unusable (signal quality; see :data:`NEEDS_ALL`: a
      criterion on both sides is never judged on one side), too few of a group's
      channels could be measured
      (see :data:`~emgcontrol.patterns._format.COMBINE`), or the criterion could be
      assessed in fewer than
      ``min_trials`` trials / ``min_share`` of the trials (no onset, no movement,
      no MVC reference...), with the reason (and, in ``action``, what the
      clinician should do: every rule below sets one too);
    * ``not_assessable`` too when the repetitions disagree: fewer than
      ``min_agreement`` (default 70 %) of the assessed trials fall on the same side
      of the target as the median (below the band, inside it or above it: with a
      target range, trials failing below and trials failing above do not agree,
      although both fail).  A pattern performed consistently gives consistent
      trials; disagreement means an inconsistent pattern or a signal too noisy to
      judge, and neither supports a confident verdict;
    * ``not_assessable`` too when the median lies closer to the band's limit than
      ``margin_k`` (default 2) standard errors of the median, estimated from the
      trials' spread (``1.2533 x 1.4826 MAD / sqrt(n)``): the measurement cannot
      tell on which side of the limit the session lies.  The rule applies whether
      or not the trials are unanimous: a few widely spread trials that happen to
      fall on one side do not show where the session lies.
      For a full sequence the
      rule is applied to every pair of groups (median pairwise onset differences,
      whatever the unanimity), the session's concordance is the share of pairs
      whose median difference keeps the order, and the trial-agreement rule is not
      used (one flipped pair fails a whole trial of a long sequence, so trial
      verdicts of a sequence are much noisier than its pairwise medians);
    * ``not_assessable`` too when a group combined by its ``earliest`` onset lost
      a channel and the value, then only a bound, does not decide the target
      (see :data:`NEEDS_ALL`);
    * otherwise ``pass`` when the median lies in the band, else ``fail``.  The
      patient sentence gives the median, the range of the repetitions and how
      many of them lay within the target.

    ``deviation`` is how far the median lies outside the band (negative below
    ``min``, positive above ``max``, 0 inside), in the criterion's unit.
    ``pass_share`` is the share of the assessed trials that pass (consistency
    across trials; used by training levels).

Score
    ``100 * sum(weight of passed) / sum(weight of assessed)`` over the assessed
    criteria; None when none could be assessed.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ValidationError
from .._util import jsonable
from . import _actions
from ._actions import channel_action, join_actions
from ._format import Criterion, MuscleGroup, TargetPattern
from ._measure import Measures, channels_of, measure
from ._text import sentence
from ._rows import ChannelRow
from .kinds import REGISTRY
from .kinds._base import badness, deviation, enough, inside, median_se, side_of

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["VERDICTS", "CriterionResult", "Comparison", "compare", "MIN_AGREEMENT",
           "MARGIN_K"]

VERDICTS = ("pass", "fail", "not_assessable")
"""Verdicts of a criterion."""

MIN_AGREEMENT = 0.7
"""Default share of the assessed trials that must lie on the same side of the target
(below, inside, above) as the session value."""

MARGIN_K = 2.0
"""Default distance (in standard errors of the median) between the session value and
the target's limit below which no verdict is given."""

RESULT_FORMAT = "emgcontrol-comparison"
RESULT_VERSION = 1


@dataclass
class CriterionResult:
    """The outcome of one criterion (a row of :attr:`Comparison.criteria`).

    Attributes
    ----------
    id, kind, description : str
        From the pattern.
    verdict : {"pass", "fail", "not_assessable"}
        See the module notes.
    measured : float or None
        Median over the assessed trials, in ``unit``.
    target : str
        The target band as text; ``min``/``max`` hold its bounds.
    deviation : float or None
        Distance of ``measured`` outside the band (0 inside).
    unit : str
        Unit of ``measured``.
    reason : str or None
        Why not assessable (or what limited the assessment).
    sentence : str
        Plain-language sentence for the patient.
    weight : float
        Weight in the score.
    severity : {"core", "informative"}
        From the pattern.
    reference : list of str
        Literature behind the criterion.
    pass_share : float or None
        Share of the assessed trials that pass.
    n_trials, n_assessed : int
        Trials in the recording / in which the criterion could be assessed.
    trials : list of dict
        Per trial: ``trial, value, verdict, reason`` (and per-channel details).
    channels : dict
        Group -> channels used; ``excluded`` -> unusable channels with the reason
        (``channel, reason, text``); ``bound`` -> ``"upper"``/``"lower"`` when an
        ``earliest`` group lost a channel and ``measured`` is only a bound.
    min, max : float or None
        Target bounds.
    preliminary : bool
        A verdict resting on fewer assessed repetitions than the pattern's
        ``min_trials`` (recordings with fewer trials than that): given, but to be
        confirmed with a full session.
    action : str or None
        For a ``"not_assessable"`` verdict, what the clinician should do so that the
        criterion can be judged, as one short imperative sentence (``"check that the
        electrode lead is plugged in ..."``, ``"record more repetitions, coaching the
        same movement each time"``; see :mod:`emgcontrol.patterns._actions`), set by
        the step that found the reason; None for a judged criterion, where no step
        says, and in results stored before this field existed.
    """

    id: str
    kind: str
    description: str
    verdict: str
    measured: float | None
    target: str
    deviation: float | None
    unit: str
    reason: str | None
    sentence: str
    weight: float
    severity: str
    reference: list[str]
    pass_share: float | None = None
    n_trials: int = 0
    n_assessed: int = 0
    trials: list[dict[str, Any]] = field(default_factory=list)
    channels: dict[str, Any] = field(default_factory=dict)
    min: float | None = None
    max: float | None = None
    preliminary: bool = False
    action: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the keys are the field names)."""
        return jsonable(asdict(self))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CriterionResult:
        """A result from :meth:`to_dict` output (unknown keys are ignored; ``action``
        and the other optional fields default when absent, as in older files)."""
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in dict(d).items() if k in names})


_deviation, _inside, _side_of, _badness, _enough = deviation, inside, side_of, badness, enough


def _bound_decides(bound: str, side: str, lo: float | None, hi: float | None) -> bool:
    """Whether a verdict on a bounded value holds for every value the bound allows.

    ``"upper"``: the true value is <= the measured one (it decides a pass without a
    lower limit, and a fail below the lower limit); ``"lower"``: the mirror case."""
    if bound == "upper":
        return (side == "inside" and lo is None) or side == "below"
    return (side == "inside" and hi is None) or side == "above"


NEEDS_ALL = ("each", "latest", "max", "min")
"""Combine rules that need every channel of a group.

A criterion is judged only when every channel its combine rule needs is usable:

* ``each``, ``max``, ``min`` judge the worst (largest, smallest) channel, and
  ``latest`` the last onset: a channel that cannot be read may be the one that
  fails, so one unusable channel makes the criterion not assessable (a bilateral
  "both sides" criterion is never judged on one side);
* the groups of a full ``sequence`` need every channel (a muscle missing from an
  order cannot be placed in it);
* ``mean`` needs at least half of the channels (see
  :data:`~emgcontrol.patterns._format.COMBINE`; the reason names what was left
  out);
* ``earliest`` (the group's first onset, "any channel") tolerates a missing
  channel only where the verdict cannot depend on it: the earliest onset of the
  remaining channels is a *later bound* of the group's onset (the missing channel
  could only have started earlier), so a latency measured from such a group is an
  upper bound and one measured to such a reference group a lower bound.  The
  verdict stands when every value on the bounded side gives it (e.g. the deep
  abdominals already before the deltoid on the remaining side, against a target
  with no lower limit); otherwise the criterion is not assessable, naming the
  channel.  A value bounded on both sides is not assessable.
"""



def channel_text(ch: ChannelRow) -> str:
    """``"left internal oblique (EXG4)"``: a channel by muscle and name."""
    mus = str(ch.muscle or "").replace("_", " ")
    name = f"{ch.side} {mus}" if ch.side and mus else mus
    return f"{name} ({ch.channel})" if name else str(ch.channel)


def unusable_action(ch: ChannelRow, why: str | None, timing: bool = False) -> str:
    """What to do about an unusable channel: the action its row carries (set by the
    quality, noise-floor, ECG or onset step), else the one for the check its reason
    names (:func:`~emgcontrol.patterns._actions.channel_action`)."""
    act = ch.excluded_action(timing) if why == ch.excluded(timing) else None
    if act:
        return act
    why = str(why or "")
    while why.startswith(str(ch.channel) + ": "):
        why = why[len(str(ch.channel)) + 2:]
    return channel_action(why)


def unusable_text(ch: ChannelRow, why: str | None, action: str | None = None) -> str:
    """Why a channel cannot be used and what to do:
    ``"left internal oblique (EXG4) not usable: railed: ...; re-attach ..."``."""
    act = action or unusable_action(ch, why)
    why = str(why or "not usable")
    while why.startswith(str(ch.channel) + ": "):
        why = why[len(str(ch.channel)) + 2:]
    return f"{channel_text(ch)} not usable: {why}; {act}"


class _Groups:
    """Channel resolution of the criterion's muscle groups."""

    def __init__(self, m: Measures) -> None:
        self.m = m
        self.by_name = {c.channel: c for c in m.channels}

    def resolve(self, g: MuscleGroup, *, timing: bool = False
                ) -> tuple[list[str], str | None, list[dict[str, Any]]]:
        """(usable channels, reason if none, excluded).

        With ``timing``, a channel whose onsets could not be detected at all counts
        as unusable too."""
        chans = channels_of(g, self.m.channels)
        if not chans:
            return [], f"not recorded: {', '.join(str(x) for x in g.muscles)}", []
        excluded = []
        for ch in chans:
            row = self.by_name[ch]
            why = row.excluded(timing)
            if why:
                act = unusable_action(row, why, timing)
                excluded.append({"channel": ch, "reason": why,
                                 "text": unusable_text(row, why, act), "action": act})
        bad = {e["channel"] for e in excluded}
        good = [ch for ch in chans if ch not in bad]
        if not good:
            return [], "; ".join(e["text"] for e in excluded), excluded
        return good, None, excluded


def _group_fields(c: Criterion) -> list[tuple[str, MuscleGroup]]:
    """(field, group) of every muscle group a criterion names (``sequence[i]``)."""
    out: list[tuple[str, MuscleGroup]] = []
    for key, v in c.params.items():
        if isinstance(v, MuscleGroup):
            out.append((key, v))
        elif isinstance(v, tuple) and v and isinstance(v[0], MuscleGroup):
            out += [(f"{key}[{i}]", g) for i, g in enumerate(v)]
    return out


def _excluded_action(excluded: Sequence[Mapping[str, Any]]) -> str | None:
    """The actions of excluded channels, once each."""
    return join_actions(e.get("action") for e in excluded)


def _evaluate(c: Criterion, m: Measures, G: _Groups) -> tuple[
        list[dict[str, Any]], str | None, dict[str, Any], str | None]:
    """Per-trial values of a criterion: rows ``trial, value, reason`` (and ``action``
    where a trial is not assessable); a global reason when nothing can be assessed and
    what to do about it; the channels used.

    The channels every group needs are checked here, whatever the kind (see
    :data:`NEEDS_ALL`); the kind's module computes the values."""
    kind = REGISTRY[c.kind]
    used: dict[str, Any] = {}
    excluded: list[dict[str, Any]] = []
    resolved: dict[str, list[str]] = {}
    bounds: set[str] = set()
    for key, g in _group_fields(c):
        good, why, exc = G.resolve(g, timing=kind.timing)
        excluded += exc
        if why is not None:
            return [], f"{g.plain}: {why}", {"excluded": excluded}, (
                _excluded_action(exc) or _actions.MONTAGE)
        resolved[key] = good
        used[g.name] = good
        if not exc:
            continue
        rule = kind.rule_of(key, c.combine)
        n_all = len(good) + len(exc)
        missing = "; ".join(e["text"] for e in exc)
        if rule.rule in NEEDS_ALL or rule.rule == "all":
            return [], (f"every electrode of the {g.plain} is needed"
                        + ("" if rule.rule == "all" else f" (combine = {c.combine!r})")
                        + f": {missing}"), {"excluded": excluded}, _excluded_action(exc)
        if rule.rule == "mean" and not _enough(len(good), n_all, "mean"):
            return [], (f"{g.plain}: fewer than half of the channels are usable: "
                        f"{missing}"), {"excluded": excluded}, _excluded_action(exc)
        if rule.rule == "earliest":
            # the remaining channels give a later bound of the group's onset
            bounds.add("upper" if rule.sign > 0 else "lower")
    if excluded:
        used["excluded"] = excluded
    if len(bounds) > 1:
        return [], ("channels are missing on both sides of the timing, so the value is "
                    "not bounded: " + "; ".join(e["text"] for e in excluded)), used, \
            _excluded_action(excluded)
    if bounds:
        used["bound"] = bounds.pop()
    if "onsets" in kind.needs and "onsets" not in m.computed:
        return [], "no onsets were measured", used, None
    trial_ids = [t.trial for t in m.trials] or [0]
    ev = kind.evaluate(c, m, resolved, trial_ids)
    return [t.to_dict() for t in ev.trials], ev.reason, used, ev.action


_median_se = median_se


def _judge(c: Criterion, m: Measures, G: _Groups, *, min_agreement: float,
           min_trials: int, min_share: float, margin_k: float) -> CriterionResult:
    rows, why, used, action = _evaluate(c, m, G)
    lo, hi = c.minimum, c.maximum
    n = len(rows)
    for r in rows:
        if r["value"] is not None:
            r["verdict"] = "pass" if _inside(r["value"], lo, hi) else "fail"
            r["side"] = _side_of(r["value"], lo, hi)
        else:
            r["verdict"] = "not_assessable"
    vals = [r["value"] for r in rows if r["value"] is not None]
    n_ok = len(vals)
    n_pass = sum(1 for r in rows if r["verdict"] == "pass")
    measured = float(np.median(vals)) if vals else None
    session = None
    kind = REGISTRY[c.kind]
    # error the trials' spread does not show (e.g. onset bias between channels)
    sys_err, sys_why = (kind.systematic(c, m, used) if kind.systematic is not None
                        else (0.0, ""))
    if kind.session is not None and vals:
        session = kind.session(c, rows, margin_k, sys_err, sys_why)
        if session is not None:
            measured = session["measured"]
            used = {**used, "pairs": session["pairs"]}
    verdict = "not_assessable"
    reason = why
    need = min(min_trials, n) if n else 1
    if why is None:
        if n_ok == 0 or n_ok < need or n_ok < min_share * n - 1e-9:
            common = Counter(r["reason"] for r in rows if r["value"] is None).most_common(1)
            detail = common[0][0] if common else "nothing to assess"
            reason = (f"assessable in {n_ok} of {n} trial(s) (needs {need}): {detail}"
                      if n > 1 else str(detail))
            # what to do about the commonest reason, then about the others
            action = join_actions(
                [r.get("action") for r in rows if r["value"] is None
                 and r["reason"] == detail]
                + [r.get("action") for r in rows if r["value"] is None])
        else:
            assert measured is not None
            verdict = "pass" if _inside(measured, lo, hi) else "fail"
            side = _side_of(measured, lo, hi)
            sides = Counter(r["side"] for r in rows if r["value"] is not None)
            n_side = sides[side]
            agree = n_side / n_ok
            limits = [b for b in (lo, hi) if b is not None]
            dist = min(abs(measured - b) for b in limits) if limits else math.inf
            se = _median_se(vals) if margin_k > 0 and n_ok >= 2 and session is None else 0.0
            bound = used.get("bound")
            if n_ok >= 2 and agree < min_agreement - 1e-9 and session is None:
                split = ", ".join(f"{sides[k]} {t}" for k, t in (
                    ("below", "below the target"), ("inside", "within it"),
                    ("above", "above it")) if sides[k])
                reason = (f"the repetitions disagree ({split}; {n_pass} of {n_ok} pass): "
                          "the pattern is inconsistent or the signal too noisy to judge")
                verdict = "not_assessable"
                action = _actions.MORE_REPETITIONS_SAME
            elif session is not None and session["uncertain"]:
                reason = session["uncertain"]
                verdict = "not_assessable"
                action = (_actions.HIGHER_RATE if sys_err > 0
                          else _actions.MORE_REPETITIONS)
            elif bound is not None and not _bound_decides(bound, side, lo, hi):
                reason = (f"the value ({measured:.3g} {c.unit}) is only "
                          f"{'an upper' if bound == 'upper' else 'a lower'} bound, which "
                          "does not decide the target ("
                          + "; ".join(e["text"] for e in used.get("excluded", ())) + ")")
                verdict = "not_assessable"
                action = _excluded_action(used.get("excluded", ()))
            elif dist < margin_k * se:
                reason = (f"the median ({measured:.3g} {c.unit}) lies within the measurement "
                          f"uncertainty of the limit (+/- {margin_k * se:.2g} {c.unit} from "
                          f"the spread of {n_ok} trials): more repetitions or a cleaner "
                          "signal are needed to judge")
                verdict = "not_assessable"
                action = _actions.MORE_REPETITIONS
            elif session is None and dist < margin_k * math.hypot(se, sys_err):
                reason = (f"the median ({measured:.3g} {c.unit}) is {dist:.0f} {c.unit} from "
                          f"the limit, within the measurement uncertainty (+/- "
                          f"{margin_k * math.hypot(se, sys_err):.0f} {c.unit}: {sys_why}): a "
                          "higher sampling rate or a cleaner signal is needed to judge")
                verdict = "not_assessable"
                action = _actions.HIGHER_RATE
            else:
                miss = [r for r in rows if r["value"] is None]
                notes = []
                if bound is not None:
                    notes.append("judged on the remaining channels ("
                                 + "; ".join(e["text"] for e in used["excluded"]) + ")")
                elif used.get("excluded"):
                    notes.append("measured without "
                                 + "; ".join(e["text"] for e in used["excluded"]))
                if miss:
                    notes.append(f"{len(miss)} of {n} trial(s) not assessable: "
                                 f"{miss[0]['reason']}")
                reason = "; ".join(notes) or None
    deviation = _deviation(measured, lo, hi) if measured is not None and \
        verdict != "not_assessable" else None
    spread = None
    if verdict != "not_assessable" and session is None and n_ok >= 2:
        spread = {"min": float(min(vals)), "max": float(max(vals)),
                  "n_inside": n_pass, "n": n_ok}
    text = sentence(c, verdict, measured, reason, n_pass, n_ok, spread)
    return CriterionResult(
        id=c.id, kind=c.kind, description=c.description, verdict=verdict,
        measured=measured, target=c.target_text, deviation=deviation, unit=c.unit,
        reason=reason, sentence=text, weight=c.weight, severity=c.severity,
        reference=list(c.reference), pass_share=(n_pass / n_ok) if n_ok else None,
        n_trials=n, n_assessed=n_ok, trials=rows, channels=used, min=lo, max=hi,
        preliminary=(verdict != "not_assessable" and kind.per_trial
                     and n_ok < min_trials),
        action=action if verdict == "not_assessable" else None)


# ----------------------------------------------------------------- result
class Comparison:
    """The result of :func:`compare`: per-criterion verdicts, score and every measure.

    Attributes
    ----------
    pattern : dict
        Id, title, version, level, options and source of the pattern used.
    criteria : list of CriterionResult
        One row per criterion.
    score : float or None
        Weighted share of the assessed criteria that pass, 0-100.
    measures : dict
        Every measure computed (JSON-ready): channels with quality and noise floor,
        trials with movement onsets, onsets with latencies, amplitudes, ratios, FRR,
        MDF slopes, co-contraction, the activation table, quality report...
    processing : dict
        The processing chain: the Recording history and every parameter used.
    warnings : list of str
        What limited the assessment.
    created : str
        ISO time of the comparison.
    """

    def __init__(self, pattern: Mapping[str, Any], criteria: Sequence[CriterionResult],
                 measures: Mapping[str, Any], processing: Mapping[str, Any],
                 warnings: Sequence[str] = (), created: str | None = None,
                 settings: Mapping[str, Any] | None = None) -> None:
        self.pattern = dict(pattern)
        self.criteria = list(criteria)
        self.measures = dict(measures)
        self.processing = dict(processing)
        self.warnings = list(warnings)
        self.created = created or _dt.datetime.now().isoformat(timespec="seconds")
        self.settings = dict(settings or {})

    # ---------------------------------------------------------------- access
    @property
    def score(self) -> float | None:
        """``100 * sum(w, passed) / sum(w, assessed)``; None when nothing was assessed."""
        assessed = [c for c in self.criteria if c.verdict != "not_assessable"]
        tot = sum(c.weight for c in assessed)
        if not assessed or tot <= 0:
            return None
        return 100.0 * sum(c.weight for c in assessed if c.verdict == "pass") / tot

    @property
    def level(self) -> int | None:
        """Training level the pattern was resolved for."""
        return self.pattern.get("level")

    def criterion(self, id: str) -> CriterionResult:
        """One criterion result by id."""
        for c in self.criteria:
            if c.id == id:
                return c
        raise ValidationError(f"no criterion {id!r} in this comparison (criteria: "
                              f"{', '.join(c.id for c in self.criteria)})")

    @property
    def verdicts(self) -> dict[str, str]:
        """Criterion id -> verdict."""
        return {c.id: c.verdict for c in self.criteria}

    @property
    def consistency(self) -> dict[str, Any]:
        """Across trials: pass share and spread per criterion, firing-order concordance."""
        out: dict[str, Any] = {}
        for c in self.criteria:
            vals = [t["value"] for t in c.trials if t.get("value") is not None]
            q = np.percentile(vals, [25, 75]) if vals else [math.nan, math.nan]
            out[c.id] = {"pass_share": c.pass_share, "n_assessed": c.n_assessed,
                         "n_trials": c.n_trials, "iqr": float(q[1] - q[0]) if vals else None,
                         "unit": c.unit}
        fo = (self.measures.get("tables") or {}).get("firing_order")
        if fo:
            out["firing_order"] = {"kendall_w": fo.get("kendall_w"),
                                   "modal_share": fo.get("modal_share"),
                                   "modal_order": fo.get("modal_order")}
        return out

    # ---------------------------------------------------------------- export
    def to_dataframe(self) -> pd.DataFrame:
        """One row per criterion: ``id, kind, verdict, measured, unit, target, min, max,
        deviation, pass_share, n_assessed, n_trials, weight, severity, reason, action,
        sentence, reference`` (references joined by ``"; "``)."""
        import pandas as pd

        cols = ["id", "kind", "verdict", "measured", "unit", "target", "min", "max",
                "deviation", "pass_share", "n_assessed", "n_trials", "weight", "severity",
                "reason", "action", "sentence", "reference", "description"]
        rows = []
        for c in self.criteria:
            d = asdict(c)
            d["reference"] = "; ".join(c.reference)
            rows.append({k: d.get(k) for k in cols})
        df = pd.DataFrame(rows, columns=cols)
        df.attrs = {"pattern": jsonable(self.pattern), "score": self.score}
        return df

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: pattern, score, criteria (with per-trial values), consistency,
        every measure, processing chain, warnings."""
        return jsonable({
            "format": RESULT_FORMAT, "version": RESULT_VERSION, "created": self.created,
            "pattern": self.pattern, "score": self.score,
            "verdicts": self.verdicts,
            "criteria": [c.to_dict() for c in self.criteria],
            "consistency": self.consistency, "measures": self.measures,
            "processing": self.processing, "warnings": self.warnings,
            "settings": self.settings})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Comparison:
        """Rebuild from :meth:`to_dict` output (e.g. a stored results file)."""
        if not isinstance(data, Mapping) or data.get("format") != RESULT_FORMAT:
            raise ValidationError(
                f"not an emgcontrol comparison: expected format {RESULT_FORMAT!r}, got "
                f"{data.get('format') if isinstance(data, Mapping) else type(data).__name__!r}")
        try:
            crit = []
            for c in data["criteria"]:
                crit.append(CriterionResult.from_dict(c))
            return cls(data["pattern"], crit, data.get("measures", {}),
                       data.get("processing", {}), data.get("warnings", []),
                       data.get("created"), data.get("settings"))
        except (KeyError, TypeError) as err:
            raise ValidationError(f"malformed comparison dict: {err}") from None

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_dict` as JSON."""
        import json

        p = Path(path)
        p.write_text(json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n",
                     encoding="utf-8")
        return p

    def summary(self) -> str:
        """Plain-text summary: score, then one line per criterion with its sentence."""
        tag = {"pass": "PASS", "fail": "FAIL", "not_assessable": "N/A "}
        sc = self.score
        lines = [f"{self.pattern.get('title', self.pattern.get('id'))}"
                 + (f" -- level {self.level}" if self.level else ""),
                 "score: " + ("not assessable" if sc is None else f"{sc:.0f} / 100")
                 + f" ({sum(c.verdict == 'pass' for c in self.criteria)} pass, "
                 f"{sum(c.verdict == 'fail' for c in self.criteria)} fail, "
                 f"{sum(c.verdict == 'not_assessable' for c in self.criteria)} not assessable)"]
        for c in self.criteria:
            info = "" if c.severity == "core" else " [informative]"
            meas = "" if c.measured is None else f" measured {c.measured:.3g} {c.unit};"
            lines.append(f"[{tag[c.verdict]}] {c.id}{info}:{meas} target {c.target}")
            lines.append(f"       {c.sentence}")
        for w in self.warnings:
            lines.append(f"note: {w}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        sc = self.score
        v = Counter(c.verdict for c in self.criteria)
        return (f"<Comparison | {self.pattern.get('id')}: score "
                f"{'n/a' if sc is None else f'{sc:.0f}'}, {v['pass']} pass, {v['fail']} fail, "
                f"{v['not_assessable']} not assessable>")

    def _repr_html_(self) -> str:
        colour = {"pass": "#d8f0d8", "fail": "#f8c8c8", "not_assessable": "#eeeeee"}
        rows = []
        for c in self.criteria:
            meas = "" if c.measured is None else f"{c.measured:.3g} {c.unit}"
            rows.append(f"<tr><td>{html.escape(c.id)}</td><td style='background:"
                        f"{colour[c.verdict]}'>{c.verdict}</td><td>{html.escape(meas)}</td>"
                        f"<td>{html.escape(c.target)}</td><td>{html.escape(c.sentence)}</td>"
                        "</tr>")
        sc = self.score
        return (f"<div><strong>{html.escape(str(self.pattern.get('title')))}</strong> score "
                f"{'n/a' if sc is None else f'{sc:.0f}'}<table><tr><th>criterion</th>"
                "<th>verdict</th><th>measured</th><th>target</th><th>for the patient</th></tr>"
                f"{''.join(rows)}</table></div>")


# ------------------------------------------------------------------ entry
def _as_pattern(pattern: Any, options: Mapping[str, Any] | None, level: int | None,
                path: Any) -> TargetPattern:
    from ._library import get_pattern

    if isinstance(pattern, TargetPattern):
        p = pattern
        if options:
            p = p.with_options(**options)
    elif isinstance(pattern, (str, os.PathLike)):
        p = get_pattern(pattern, path=path, options=options)
    else:
        raise ValidationError(
            "pattern must be a TargetPattern, a pattern id or a .toml path; got "
            f"{type(pattern).__name__}")
    if level is not None:
        p = p.for_level(level)
    return p


def compare(
    recording_or_measures: Any,
    pattern: Any,
    *,
    mvc: Any = None,
    options: Mapping[str, Any] | None = None,
    level: int | None = None,
    path: Any = None,
    quality_thresholds: Any = None,
    onset_params: Mapping[str, Any] | None = None,
    ecg: str | None = "auto",
    notch: float | str | None = "auto",
    min_agreement: float = MIN_AGREEMENT,
    margin_k: float = MARGIN_K,
) -> Comparison:
    """Compare a recording (or measures) with a target pattern.

    Parameters
    ----------
    recording_or_measures : Recording, Measures, Activations or DataFrame
        A Recording runs the whole assessment chain (:func:`measure`: quality,
        ECG removal, filtering, onsets, movement, amplitudes, protocol measures).
        :class:`Measures` are used as they are; an activation table
        (:func:`emgcontrol.onset.detect_onsets` output) gives the timing criteria
        only (the others are not assessable).
    pattern : TargetPattern, str or path-like
        A pattern, the id of a built-in or search-path pattern
        (``"prone-hip-extension"``...) or a ``.toml`` file.
    mvc : optional
        Normalisation reference for amplitudes (see :func:`measure`).
    options : mapping, optional
        Pattern options to override (``{"side": "left"}``...).
    level : int, optional
        Training level whose criteria and targets to use.
    path : str, path-like or sequence, optional
        Directories searched for a pattern given by id (before the built-ins).
    quality_thresholds, onset_params, ecg, notch :
        Passed to :func:`measure`.
    min_agreement : float
        Share of the assessed trials that must lie on the same side of the target
        as the session value (below, inside or above it; default 0.7; module notes).
    margin_k : float
        A verdict needs the median at least ``margin_k`` standard errors away from
        the target's limit (default 2; 0 switches the rule off; module notes).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> from emgcontrol.simulate import simulate
    >>> from emgcontrol.patterns import compare
    >>> rec, truth = simulate("arm-raise", "delayed-trunk", sfreq=500, snr_db=15, seed=1)
    >>> result = compare(rec, "arm-raise")                       # doctest: +SKIP
    >>> print(result.summary())                                  # doctest: +SKIP
    """
    from ..recording import Recording

    p = _as_pattern(pattern, options, level, path)
    if not 0.5 <= float(min_agreement) <= 1.0:
        raise ValidationError(f"min_agreement must be within [0.5, 1]; got {min_agreement!r}")
    x = recording_or_measures
    if isinstance(x, Recording):
        m = measure(x, p, mvc=mvc, quality_thresholds=quality_thresholds,
                    onset_params=onset_params, ecg=ecg, notch=notch)
    elif isinstance(x, Measures):
        m = x.coerce()
    elif hasattr(x, "first_onsets") or hasattr(x, "columns"):
        m = Measures.from_activations(x, pattern=p.id)
    else:
        raise ValidationError(
            "recording_or_measures must be a Recording, Measures or an activation table; "
            f"got {type(x).__name__}")
    G = _Groups(m)
    if not (math.isfinite(float(margin_k)) and float(margin_k) >= 0):
        raise ValidationError(f"margin_k must be a finite number >= 0; got {margin_k!r}")
    results = [_judge(c, m, G, min_agreement=float(min_agreement),
                      min_trials=p.trials.min_trials, min_share=p.trials.min_share,
                      margin_k=float(margin_k))
               for c in p.criteria]
    pinfo = {"id": p.id, "title": p.title, "version": p.version, "level": p.level,
             "options": dict(p.options), "source": p.source,
             "criteria": {c.id: {"kind": c.kind, "target": c.target_text,
                                 "min": c.minimum, "max": c.maximum, "unit": c.unit}
                          for c in p.criteria}}
    proc = dict(m.processing)
    proc["compare"] = {"min_agreement": float(min_agreement), "margin_k": float(margin_k),
                       "min_trials": p.trials.min_trials, "min_share": p.trials.min_share,
                       "session_value": "median over assessed trials"}
    return Comparison(pinfo, results, m.to_dict(), jsonable(proc), m.warnings,
                      settings={"options": dict(options or {}), "level": level})
