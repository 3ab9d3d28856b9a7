"""What page one of the report says, computed once from the comparison's numbers.

Both documents (HTML and PDF) and the command's text summary read :func:`summarize`:
the score over the criteria that were assessed, how many were not assessable and why in
a few words, each criterion with its verdict, value and target with units and the
patient sentence, and the actions that would make the criteria not judged judgeable
(each criterion's own ``action``, set by the step of the chain that found the reason;
results stored before that field existed get an action recovered from the reason's
words).
Every count here comes from the same fields the verdicts were made from
(``n_assessed``, ``n_trials``, ``processing["compare"]["min_trials"]``): nothing is
restated from defaults.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._style import fmt_num

__all__ = ["Summary", "CriterionLine", "NotJudged", "summarize", "value_text", "target_text",
           "short_reason", "references"]

PRELIMINARY = "preliminary"

# quality checks named in a channel's reason -> what a clinician reads
_CHECK_WORDS = {
    "flat": "flat signal (lead unplugged or channel off)",
    "railed": "signal stuck at the amplifier's limit (poor electrode contact)",
    "dc_offset": "large electrode offset (poor electrode contact)",
    "clipping": "signal clipped by the amplifier",
    "jumps": "sudden jumps in the signal (loose electrode or cable)",
    "nonfinite": "invalid samples in the file",
    "no EMG activity": "no muscle activity picked up",
    "not_emg": "signal does not look like muscle activity",
    "onset detector": "muscle onsets could not be detected",
}


@dataclass
class CriterionLine:
    """One criterion as page one shows it."""

    id: str
    title: str
    verdict: str
    preliminary: bool
    value: str
    target: str
    sentence: str
    trials: str
    informative: bool
    short_reason: str | None = None
    action: str | None = None


@dataclass
class NotJudged:
    """Criteria not assessable for one reason, and what would make them judgeable."""

    reason: str
    action: str
    criteria: list[str] = field(default_factory=list)


@dataclass
class Summary:
    """Page one of the report (see the module notes)."""

    score: float | None
    n_assessed: int
    n_pass: int
    n_fail: int
    n_not_assessable: int
    n_preliminary: int
    headline: str
    lines: list[CriterionLine]
    not_judged: list[NotJudged]
    min_trials: int | None
    n_trials: int
    trials_note: str | None


# ----------------------------------------------------------------- units and values
def _is_fraction(unit: str | None) -> bool:
    return unit == "fraction"


def value_text(value: Any, unit: str | None, kind: str | None = None) -> str:
    """A criterion value with its unit in clinical words (``"112 ms"``, ``"100 % of muscle
    pairs in order"``, ``"25.6 %MVC"``); ``"-"`` when there is none."""
    if value is None:
        return "-"
    if _is_fraction(unit):
        s = f"{fmt_num(100.0 * float(value), 3)} %"
        return s + (" of muscle pairs in order" if kind == "order" else "")
    s = fmt_num(value, 3)
    if s == "-" or not unit or unit == "ratio":
        return s
    return f"{s} {unit}"


def target_text(lo: float | None, hi: float | None, unit: str | None, fallback: str = ""
                ) -> str:
    """The target band from its bounds with the unit (``">= 18 %MVC"``, ``"-300 to 100
    ms"``, ``">= 100 %"`` for a fraction)."""
    if lo is None and hi is None:
        return fallback or "-"
    scale = 100.0 if _is_fraction(unit) else 1.0
    u = "%" if _is_fraction(unit) else ("" if unit in (None, "", "ratio") else unit)
    suffix = f" {u}" if u else ""

    def f(x: float) -> str:
        return fmt_num(scale * float(x), 3)

    if lo is not None and hi is not None:
        return f"{f(lo)} to {f(hi)}{suffix}"
    if lo is not None:
        return f"\u2265 {f(lo)}{suffix}"
    return f"\u2264 {f(hi)}{suffix}"  # type: ignore[arg-type]


# ----------------------------------------------------------------- reasons
def _channel_reason(text: str, reason: str) -> tuple[str, str]:
    """(short reason, action) from an excluded channel's ``text``
    (``"<muscle> (<ch>) not usable: <reason>; <action>"``)."""
    who = text.split(" not usable", 1)[0]
    check = reason.split(":", 1)[0].strip()
    words = next((w for k, w in _CHECK_WORDS.items() if check.startswith(k)), None)
    if words is None:
        words = check if len(check) <= 60 else check[:57] + "..."
    action = ""
    if reason and reason in text:
        action = text.split(reason, 1)[1].lstrip("; ").strip()
    if not action and "; " in text:
        action = text.rsplit("; ", 1)[1]
    return f"{who}: {words}", action or "check the electrode and record again"


def short_reason(cr: Any, min_trials: int | None = None) -> tuple[str, str]:
    """(few words, action) of a criterion that is not assessable.

    The action is the criterion's own ``action`` when it has one; otherwise (results
    stored before that field existed) it is recovered from the reason's words."""
    few, act = _parsed_reason(cr)
    own = getattr(cr, "action", None)
    return few, (str(own) if own else act)


def _parsed_reason(cr: Any) -> tuple[str, str]:
    """(few words, action) from the words of a criterion's reason."""
    reason = str(cr.reason or "not enough data")
    excl = (cr.channels or {}).get("excluded") or []
    for e in excl:
        text, why = str(e.get("text") or ""), str(e.get("reason") or "")
        if text and (text in reason or f"({e.get('channel')})" in reason):
            return _channel_reason(text, why)
    low = reason.lower()
    if "mvc reference" in low or "not normalised" in low:
        return ("no maximal-contraction (MVC) reference",
                "record a maximal voluntary contraction of each muscle before the task")
    if "repetitions disagree" in low:
        return ("the repetitions disagree",
                "record more repetitions, coaching the same movement each time")
    if "measurement uncertainty" in low:
        return ("too close to the target's limit to tell",
                "record more repetitions" + (" at a higher sampling rate"
                                             if "sampling rate" in low else ""))
    if "only an upper bound" in low or "only a lower bound" in low:
        return ("a muscle's channel is missing and the rest cannot decide",
                "check the missing electrode and record again")
    m = re.match(r"assessable in (\d+) of (\d+) trial", reason)
    if m or "no onset" in low:
        detail = reason.split(": ", 1)[1] if m and ": " in reason else reason
        few = (f"measurable in {m.group(1)} of {m.group(2)} repetitions" if m else
               "no muscle onset found")
        if "already active" in detail:
            few += " (muscle already active at the start)"
        elif m and "movement onset unknown" in detail:
            return (few + " (movement onset unknown)",
                    "record with the accelerometer or with trial markers at the movement")
        elif "no onset" in detail:
            few += " (no muscle onset found)"
        return few, "check the electrodes and record the repetitions again"
    if "movement onset" in low or "accelerometer" in low:
        return ("movement onset unknown",
                "record with the accelerometer or with trial markers at the movement")
    if "not recorded" in low or "no channel" in low:
        return ("a muscle of the protocol was not recorded",
                "record with the protocol's montage (all its muscles)")
    first = reason.split(": ", 1)[0]
    return (first if len(first) <= 80 else first[:77] + "..."), "see the details below"


# ----------------------------------------------------------------- summary
def _title(cr: Any) -> str:
    d = str(cr.description or "").strip()
    return d.rstrip(".") if d else str(cr.id)


def summarize(comparison: Any) -> Summary:
    """Page one of the report from a :class:`~emgcontrol.patterns.Comparison`."""
    c = comparison
    cp: Mapping[str, Any] = c.processing.get("compare") or {}
    mt = cp.get("min_trials")
    min_trials = int(mt) if isinstance(mt, (int, float)) else None
    n_trials = len(c.measures.get("trials") or [])
    lines: list[CriterionLine] = []
    groups: dict[str, NotJudged] = {}
    for cr in c.criteria:
        prelim = bool(cr.preliminary)  # the chain's rule (min_trials, per-trial kinds)
        sr = act = None
        if cr.verdict == "not_assessable":
            sr, act = short_reason(cr, min_trials)
            g = groups.setdefault(sr, NotJudged(sr, act))
            if act and act not in g.action.split("; "):
                g.action = f"{g.action}; {act}"
            g.criteria.append(cr.id)
        trials = (f"{cr.n_assessed} of {cr.n_trials}" if cr.n_trials else
                  f"none of {n_trials}")
        if cr.verdict != "not_assessable" and cr.pass_share is not None and cr.n_assessed:
            trials += f" ({round(cr.pass_share * cr.n_assessed)} within target)"
        sentence = str(cr.sentence or "")
        if cr.verdict == "not_assessable":
            sentence = f"Not judged: {sr}."
        lines.append(CriterionLine(
            id=cr.id, title=_title(cr), verdict=cr.verdict, preliminary=prelim,
            value=value_text(cr.measured, cr.unit, cr.kind) if cr.verdict != "not_assessable"
            else "-", target=target_text(cr.min, cr.max, cr.unit, cr.target),
            sentence=sentence, trials=trials, informative=cr.severity != "core",
            short_reason=sr, action=act))
    n = {v: sum(1 for x in c.criteria if x.verdict == v)
         for v in ("pass", "fail", "not_assessable")}
    n_prelim = sum(1 for x in lines if x.preliminary)
    assessed = n["pass"] + n["fail"]
    sc = c.score
    if sc is None:
        head = (f"No criterion could be assessed ({n['not_assessable']} of "
                f"{len(c.criteria)} not assessable)")
    else:
        head = (f"{sc:.0f} / 100 over the {assessed} "
                f"criteri{'on' if assessed == 1 else 'a'} assessed "
                f"({n['pass']} pass, {n['fail']} fail)")
        if n_prelim:
            head += (f"; {n_prelim} of these verdict{'s' if n_prelim != 1 else ''} "
                     "preliminary")
        if n["not_assessable"]:
            head += f"; {n['not_assessable']} of {len(c.criteria)} not assessable"
    note = None
    if min_trials is not None and n_trials < min_trials:
        note = (f"Only {n_trials} repetition(s) were recorded; the protocol asks for at "
                f"least {min_trials}. Verdicts from fewer repetitions are preliminary.")
    src = str((c.processing.get("trials") or {}).get("source") or "")
    if "whole recording" in src:
        note = ((note + " ") if note else "") + (
            "The recording has no trial markers, so the whole recording was treated as "
            "one repetition: timing values are measured from its start and are "
            "not clinical latencies.")
    return Summary(score=sc, n_assessed=assessed, n_pass=n["pass"], n_fail=n["fail"],
                   n_not_assessable=n["not_assessable"], n_preliminary=n_prelim,
                   headline=head, lines=lines, not_judged=list(groups.values()),
                   min_trials=min_trials, n_trials=n_trials, trials_note=note)


# ----------------------------------------------------------------- references
_YEAR = re.compile(r"\((\d{4}[a-z]?)\)")


def _ref_key(ref: str) -> tuple[str, str, str]:
    r = re.sub(r"^(Disagreement|See also|Also)\s*:\s*", "", ref.strip(), flags=re.I)
    m = _YEAR.search(r)
    if not m:
        return (re.sub(r"\W+", " ", r.lower())[:60], "", "")
    authors = r[: m.start()].split(",")[0].strip().lower()
    title = re.sub(r"\W+", " ", r[m.end():].lower()).strip()[:30]
    return (authors, m.group(1), title)


def references(refs: list[str]) -> list[str]:
    """References without repeats: one entry per work (first author, year and the
    title's start), keeping the first wording; an entry citing several works is split
    at ``"; "`` between citations."""
    out: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for ref in refs:
        prefix = ""
        body = ref.strip()
        mm = re.match(r"^(Disagreement|See also|Also)\s*:\s*", body, flags=re.I)
        if mm:
            prefix, body = mm.group(0), body[mm.end():]
        parts = re.split(r";\s+(?=[A-Z][^;]*\(\d{4}[a-z]?\))", body)
        for p in parts:
            k = _ref_key(p)
            if k in seen:
                continue
            seen.add(k)
            out.append((prefix + p) if prefix else p)
    return out
