"""Plain words for the patient view: muscle names, rule names and the sentence after a repetition.

The names come from the target pattern (each muscle group's ``plain`` text, e.g.
"buttock muscle (gluteus maximus) of the lifting leg"); without a pattern, from
the muscle vocabulary (:func:`emgcontrol.patterns.plain_muscle`) or the channel
name.  Nothing here imports a web library.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["plain_names", "repetition_sentence", "short_name"]


def short_name(text: str) -> str:
    """Drop a parenthesised Latin name: "buttock muscle (gluteus maximus) of the leg" ->
    "buttock muscle of the leg"."""
    out = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif depth == 0:
            out.append(ch)
    return " ".join("".join(out).split())


def plain_names(pattern: Any, targets: Any) -> dict[str, dict[str, str]]:
    """Plain names of the two sides of each order/latency rule and of each zone.

    Parameters
    ----------
    pattern : TargetPattern or None
        The pattern the targets come from (None: names are built from the muscles).
    targets : Targets or None
        The live targets (:class:`emgcontrol.feedback.Targets`).

    Returns
    -------
    dict
        ``{rule or zone id: {"first": ..., "then": ...}}`` for rules and
        ``{zone id: {"muscle": ...}}`` for zones.
    """
    out: dict[str, dict[str, str]] = {}
    if targets is None:
        return out
    groups: dict[str, dict[str, str]] = {}
    for c in getattr(pattern, "criteria", ()) or ():
        params = getattr(c, "params", {}) or {}
        seq = params.get("sequence")
        if seq:
            for j, (a, b) in enumerate(zip(seq[:-1], seq[1:])):
                groups[f"{c.id}[{j + 1}]"] = {"first": a.plain, "then": b.plain}
                if len(seq) == 2:
                    groups[c.id] = groups[f"{c.id}[{j + 1}]"]
        else:
            entry = {}
            for key, side in (("first", "first"), ("then", "then"), ("relative_to", "first"),
                              ("muscle", "then")):
                g = params.get(key)
                if hasattr(g, "plain"):
                    entry.setdefault(side, g.plain)
            if entry:
                groups[c.id] = entry
    for o in getattr(targets, "order", ()):
        g = groups.get(o.id, {})
        out[o.id] = {"first": g.get("first") or _muscles_text(o.first),
                     "then": g.get("then") or _muscles_text(o.then)}
    for z in getattr(targets, "zones", ()):
        g = groups.get(z.id, {})
        out[z.id] = {"muscle": g.get("then") or _muscles_text(z.muscles)}
    return out


def _muscles_text(specs: Sequence[str]) -> str:
    from ...errors import EmgcontrolError
    from ...montage import parse_muscle
    from ...patterns import plain_muscle

    names: list[str] = []
    for s in specs:
        try:
            n = plain_muscle(parse_muscle(s))
        except (EmgcontrolError, ValueError):
            n = str(s)
        if n not in names:
            names.append(n)
    return " / ".join(names)


def _get(check: Mapping[str, Any] | Any, key: str) -> Any:
    return check.get(key) if isinstance(check, Mapping) else getattr(check, key, None)


def repetition_sentence(summary: Mapping[str, Any], names: Mapping[str, Mapping[str, str]],
                        unit: str = "%MVC", core: Any = None) -> tuple[str, bool | None]:
    """One or two short sentences for the patient after a repetition.

    Parameters
    ----------
    summary : mapping
        A movement summary (``FeedbackEvent.detail`` of a ``"movement"`` event):
        ``judged`` and ``checks`` (event dicts).
    names : mapping
        :func:`plain_names`.
    unit : str
        Unit of the zone values.
    core : collection of str, optional
        Ids of the pattern's core criteria: their checks are spoken of first
        (informative ones only when no core check was missed).

    Returns
    -------
    text : str
        E.g. "Your buttock muscle of the lifting leg came on before your lower-back
        muscles on the side of the lifting leg: well done."
    good : bool or None
        True when every check passed, False when one was missed, None when the
        repetition was not judged.
    """
    if not summary.get("judged", False):
        return ("That movement was too small to judge: try again, a little stronger.", None)
    checks = list(summary.get("checks") or [])
    if core is not None:
        core_ids = set(core)

        def rank(c: Any) -> int:
            return 0 if str(_get(c, "target") or "").split("[")[0] in core_ids else 1

        checks.sort(key=rank)
    bad = [c for c in checks if _get(c, "violation")]
    timing_ok = [c for c in checks if _get(c, "kind") in ("order", "latency")
                 and not _get(c, "violation")]
    if not checks:
        return ("Repetition done.", True)
    if not bad:
        if timing_ok:
            c = timing_ok[0]
            n = names.get(str(_get(c, "target")), {})
            first = short_name(n.get("first", "first muscle"))
            then = short_name(n.get("then", "second muscle"))
            if _get(c, "kind") == "order":
                return (f"Your {first} came on before your {then}: well done.", True)
            return (f"Your {then} came on in time with your {first}: well done.", True)
        return ("Every target met: well done.", True)
    c = bad[0]
    kind = _get(c, "kind")
    n = names.get(str(_get(c, "target")), {})
    if kind == "order":
        first = short_name(n.get("first", "first muscle"))
        then = short_name(n.get("then", "second muscle"))
        return (f"Your {then} came on before your {first}. Next time, switch on your "
                f"{first} first.", False)
    if kind == "latency":
        first = short_name(n.get("first", "first muscle"))
        then = short_name(n.get("then", "second muscle"))
        return (f"Your {then} did not come on in time with your {first}. Try again.", False)
    if kind == "missing":
        detail = _get(c, "detail") or {}
        absent = "first" if detail.get("first_s") is None else "then"
        who = short_name(n.get(absent, "a muscle"))
        return (f"Your {who} did not switch on. Try again.", False)
    if kind in ("below", "above"):
        who = short_name(n.get("muscle") or str(_get(c, "channel") or "muscle"))
        val = _get(c, "value")
        detail = _get(c, "detail") or {}
        if kind == "below":
            lo = detail.get("low")
            tgt = f" (target at least {lo:.0f} {unit})" if lo is not None else ""
            have = f" {val:.0f} {unit}" if val is not None else ""
            return (f"Your {who} worked too little:{have}{tgt}. A little more next time.",
                    False)
        hi = detail.get("high")
        tgt = f" (target at most {hi:.0f} {unit})" if hi is not None else ""
        have = f" {val:.0f} {unit}" if val is not None else ""
        return (f"Your {who} worked too hard:{have}{tgt}. A little less next time.", False)
    return (str(_get(c, "message") or "A target was missed."), False)
