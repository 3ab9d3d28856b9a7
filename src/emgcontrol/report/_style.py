"""Shared look of the figures and the report: colours, labels, number formats."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

VERDICT_COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "not_assessable": "#757575"}
"""Verdict -> colour (also distinguished by text and marker shape, never colour alone)."""

VERDICT_FILL = {"pass": "#e3f1e4", "fail": "#fbe3e3", "not_assessable": "#eeeeee"}

VERDICT_TEXT = {"pass": "PASS", "fail": "FAIL", "not_assessable": "N/A"}

VERDICT_MARKERS = {"pass": "o", "fail": "X", "not_assessable": "s"}

TRIAL_SHADE = "#dde7f0"
"""Background of trial windows in trace figures (visible on screen and on paper)."""

TARGET_COLOUR = "#4caf50"
"""Colour of target bands and windows (drawn translucent)."""

TRIAL_COLOURS = ("#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                 "#bcbd22", "#7f7f7f", "#2ca02c", "#d62728")


def verdict_colour(verdict: str | None) -> str:
    """Colour of a verdict (grey for unknown)."""
    return VERDICT_COLOURS.get(str(verdict), "#757575")


def fmt_num(value: Any, digits: int = 3) -> str:
    """A number with ``digits`` significant digits (``"-"`` for None/NaN)."""
    if value is None:
        return "-"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return "-"
    if v == 0:
        return "0"
    if abs(v) >= 10 ** digits:
        return f"{v:.0f}"
    return f"{v:.{digits}g}"


def fmt_value(value: Any, unit: str | None, digits: int = 3) -> str:
    """A value with its unit (``"112 ms"``, ``"25.1 %MVC"``)."""
    s = fmt_num(value, digits)
    if s == "-" or not unit:
        return s
    if unit in ("fraction",):
        return s
    return f"{s} {unit}"


def muscle_label(channel: str, muscle: str | None, side: str | None) -> str:
    """``"GMax R (right gluteus maximus)"``-style label of a channel."""
    if not muscle:
        return channel
    name = muscle.replace("_", " ")
    return f"{channel} ({side + ' ' if side else ''}{name})"


def channel_rows(measures: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The channel rows of comparison measures (``[]`` when absent)."""
    return list(measures.get("channels") or [])


def pattern_channels(measures: Mapping[str, Any]) -> list[str]:
    """Channels the pattern uses (``in_pattern``), else every channel, in recording order."""
    rows = channel_rows(measures)
    inp = [r["channel"] for r in rows if r.get("in_pattern")]
    return inp or [r["channel"] for r in rows]


def finite(values: Sequence[Any]) -> list[float]:
    """The finite floats among ``values``."""
    out = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append(f)
    return out
