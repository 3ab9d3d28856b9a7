"""Markers -> events with durations (trial windows, MVC contractions).

A board inserts markers at instants (``duration = 0``): ``"trial"`` when a
repetition starts, ``"mvc"`` or ``"mvc:<muscle>"`` when a contraction starts,
and -- when the guide knows it -- ``"trial_end"`` / ``"mvc_end"`` when it ends.
The analysis needs windows: :func:`events_from_markers` gives each start marker
the duration up to its end marker, else up to the next start marker of the same
kind, else up to the end of the recording.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from ..recording import Recording

__all__ = ["events_from_markers", "mvc_windows", "END_SUFFIX"]

END_SUFFIX = "_end"
"""A start marker ``L`` (or ``L:<detail>``) ends at the next ``L_end`` marker."""


MIN_WINDOW_S = 0.1
"""End markers closer than this to a start marker do not close its window."""


def _base(label: str) -> str:
    return label.split(":", 1)[0]


def _windows(events: Sequence[Any], kind: str, stop: float,
             max_s: float | None) -> list[tuple[float, float, str]]:
    """(start, stop, label) of the zero-duration markers of one kind."""
    starts = sorted((e.onset, e.label) for e in events
                    if _base(e.label) == kind and e.duration == 0)
    ends = sorted(e.onset for e in events if e.label == kind + END_SUFFIX)
    out = []
    for i, (t, label) in enumerate(starts):
        nxt = starts[i + 1][0] if i + 1 < len(starts) else stop
        # an end marker within MIN_WINDOW_S of a start closes the previous window (the
        # two markers met in one polling block), not this one
        end = next((x for x in ends if t + MIN_WINDOW_S < x <= nxt), None)
        if end is None:
            end = nxt
            if max_s is not None:
                end = min(end, t + max_s)
        if end > t:
            out.append((t, end, label))
    return out


def events_from_markers(rec: Recording, *, kinds: Sequence[str] = ("trial", "mvc"),
                        max_s: dict[str, float] | None = None) -> Recording:
    """Give the start markers of ``kinds`` their durations (see the module notes).

    Parameters
    ----------
    rec : Recording
        A recording whose events include zero-duration markers.
    kinds : sequence of str
        Marker kinds to turn into windows (default ``"trial"`` and ``"mvc"``).  A
        kind that already has events with a duration is left as it is.
    max_s : dict, optional
        Longest window per kind when no end marker closes it, s.

    Returns
    -------
    Recording
        A new recording: each start marker replaced by an event of the same
        label with its duration (``"mvc:<muscle>"`` labels become ``"mvc"``
        events; the muscle stays available through :func:`mvc_windows`), end
        markers kept; a history step ``"events_from_markers"``.
    """
    from ..recording import Event, Recording

    if not isinstance(rec, Recording):
        raise ValidationError(f"rec must be a Recording; got {type(rec).__name__}")
    lim = dict(max_s or {})
    events = list(rec.events)
    made: dict[str, int] = {}
    muscles: list[dict[str, Any]] = []
    for kind in kinds:
        if any(_base(e.label) == kind and e.duration > 0 for e in events):
            continue
        wins = _windows(events, kind, rec.duration, lim.get(kind))
        if not wins:
            continue
        starts = {(t, label) for t, _, label in wins}
        events = [e for e in events if not (e.duration == 0 and (e.onset, e.label) in starts)]
        for t, end, label in wins:
            events.append(Event(t, end - t, kind))
            if ":" in label:
                muscles.append({"onset_s": t, "stop_s": end, "label": label,
                                "muscle": label.split(":", 1)[1]})
        made[kind] = len(wins)
    if not made:
        return rec
    events.sort(key=lambda e: (e.onset, e.label))
    meta = dict(rec.meta)
    if muscles:
        meta["marker_windows"] = muscles
    return rec.with_step("events_from_markers",
                         {"kinds": list(kinds), "windows": made,
                          "rule": "start marker to its '<kind>_end' marker, else to the next "
                                  "start marker of the kind, else to the end of the recording"
                                  + (f" (at most {lim} s)" if lim else "")},
                         events=events, meta=meta)


def mvc_windows(rec: Recording, label: str = "mvc") -> list[tuple[float, float, str | None]]:
    """The MVC contraction windows of a recording: ``(start_s, stop_s, muscle or None)``.

    ``muscle`` comes from ``"mvc:<muscle>"`` markers (kept in
    ``rec.meta["marker_windows"]`` by :func:`events_from_markers`); None when
    the contraction is not attributed to a muscle.
    """
    attributed = {round(float(w["onset_s"]), 6): w.get("muscle")
                  for w in rec.meta.get("marker_windows") or []
                  if str(w.get("label", "")).startswith(label)}
    out = []
    for e in rec.events:
        if _base(e.label) == label and e.duration > 0:
            m = attributed.get(round(e.onset, 6))
            if m is None and ":" in e.label:
                m = e.label.split(":", 1)[1]
            out.append((e.onset, e.onset + e.duration, m))
    return sorted(out, key=lambda w: w[0])
