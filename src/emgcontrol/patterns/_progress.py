"""Progress over sessions: an on-disk store of comparison results and training levels.

Layout: ``<root>/<patient_id>/<protocol>/<session date>_<n>.json``, one file per
session, each the :meth:`Comparison.to_dict` of the session with the patient id,
the session date and the level it was compared at.  Files are plain JSON and can
be read, copied or archived without emgcontrol.

Training levels
    A protocol may define levels (``[[levels]]`` in its pattern), each with its
    own criteria and targets and a rule to move up: every criterion of
    ``advance.criteria`` passes in at least ``min_pass_share`` of the trials of a
    session, in ``sessions`` consecutive sessions compared at that level.
    :meth:`ProgressStore.level` replays the stored sessions in date order: a
    patient starts at level 1; a session compared at the current level that meets
    the rule extends the streak, one that does not resets it; when the streak
    reaches ``sessions`` the patient moves up.  Sessions compared at another
    level do not count for the current one.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FileFormatError, ValidationError
from .._util import jsonable
from ._compare import Comparison
from ._format import TargetPattern

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["ProgressStore", "LevelStatus"]

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
STORE_FORMAT = "emgcontrol-session"


def _safe(name: str, what: str) -> str:
    if not isinstance(name, str) or not _SAFE.match(name) or ".." in name:
        raise ValidationError(
            f"{what} must be 1-128 letters, digits, '_', '-' or '.' (no path separators); "
            f"got {name!r}")
    return name


def _as_date(value: Any) -> _dt.datetime:
    if value is None:
        return _dt.datetime.now().replace(microsecond=0)
    if isinstance(value, _dt.datetime):
        return value.replace(microsecond=0)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return _dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError(
        f"session_date must be a datetime, a date or an ISO string (2026-03-01 or "
        f"2026-03-01T10:30); got {value!r}")


@dataclass
class LevelStatus:
    """Where a patient stands in a protocol's training levels.

    Attributes
    ----------
    protocol : str
        Protocol (pattern) id.
    level : int or None
        Current level (None when the protocol has no levels).
    name, description : str
        Of the current level.
    n_levels : int
        Number of levels.
    next_level : int or None
        The level above (None at the top).
    criteria : list of str
        Criteria that must pass to move up.
    min_pass_share : float or None
        Share of the trials of a session in which each must pass.
    sessions_needed : int or None
        Consecutive qualifying sessions needed.
    streak : int
        Consecutive qualifying sessions so far at the current level.
    latest : dict
        Pass share of each criterion in the latest session at this level.
    history : list of dict
        Level changes: ``{"level", "from", "session_date"}``.
    """

    protocol: str
    level: int | None
    name: str = ""
    description: str = ""
    n_levels: int = 0
    next_level: int | None = None
    criteria: list[str] = field(default_factory=list)
    min_pass_share: float | None = None
    sessions_needed: int | None = None
    streak: int = 0
    latest: dict[str, float | None] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def needed(self) -> str:
        """What is needed to move up, in plain language."""
        if self.level is None:
            return "this protocol has no training levels"
        if self.next_level is None or self.sessions_needed is None:
            return f"level {self.level} is the top level"
        left = max(self.sessions_needed - self.streak, 0)
        crit = ", ".join(self.criteria)
        return (f"to reach level {self.next_level}: pass {crit} in at least "
                f"{100 * (self.min_pass_share or 0):.0f} % of the trials in "
                f"{self.sessions_needed} consecutive sessions ({self.streak} done, {left} "
                "to go)")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return jsonable({**self.__dict__, "needed": self.needed})

    def __str__(self) -> str:
        if self.level is None:
            return f"{self.protocol}: {self.needed}"
        return f"{self.protocol}: level {self.level} ({self.name}); {self.needed}"


class ProgressStore:
    """Results of the same person over sessions, on disk.

    Parameters
    ----------
    root : path-like
        Directory of the store (created if missing).

    Examples
    --------
    >>> store = ProgressStore("results")                               # doctest: +SKIP
    >>> store.add("p001", comparison, session_date="2026-03-01")       # doctest: +SKIP
    >>> store.history("p001", "prone-hip-extension")                   # doctest: +SKIP
    >>> print(store.level("p001", "prone-hip-extension"))              # doctest: +SKIP
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise ValidationError(f"root must be a directory; {self.root} is a file")
        self.root.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ write
    def add(self, patient_id: str, comparison: Comparison, *, session_date: Any = None,
            note: str | None = None) -> Path:
        """Store the result of one session.

        Parameters
        ----------
        patient_id : str
            Pseudonymous patient id (letters, digits, ``_-.``).
        comparison : Comparison
            The session's result.
        session_date : datetime, date or ISO str, optional
            When the session took place (default now).
        note : str, optional
            Free text kept with the session.

        Returns
        -------
        Path
            The file written.
        """
        _safe(patient_id, "patient_id")
        if not isinstance(comparison, Comparison):
            raise ValidationError(
                f"comparison must be a Comparison; got {type(comparison).__name__}")
        when = _as_date(session_date)
        protocol = _safe(str(comparison.pattern.get("id")), "the pattern id")
        d = self.root / patient_id / protocol
        d.mkdir(parents=True, exist_ok=True)
        stem = when.strftime("%Y-%m-%dT%H%M%S")
        n = 0
        while (d / f"{stem}_{n}.json").exists():
            n += 1
        path = d / f"{stem}_{n}.json"
        data = {"format": STORE_FORMAT, "patient_id": patient_id, "protocol": protocol,
                "session_date": when.isoformat(), "level": comparison.level, "note": note,
                "result": comparison.to_dict()}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(jsonable(data), indent=1, allow_nan=False) + "\n",
                       encoding="utf-8")
        os.replace(tmp, path)
        return path

    # ------------------------------------------------------------------- read
    def patients(self) -> list[str]:
        """Patient ids in the store."""
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def protocols(self, patient_id: str) -> list[str]:
        """Protocols stored for a patient."""
        d = self.root / _safe(patient_id, "patient_id")
        return sorted(p.name for p in d.iterdir() if p.is_dir()) if d.is_dir() else []

    def sessions(self, patient_id: str, protocol: str) -> list[dict[str, Any]]:
        """The stored sessions in date order (dicts as written by :meth:`add`).

        Raises
        ------
        FileFormatError
            For a file that is not a stored session (names the file).
        """
        d = self.root / _safe(patient_id, "patient_id") / _safe(protocol, "protocol")
        if not d.is_dir():
            return []
        out = []
        for f in sorted(d.glob("*.json")):
            try:
                data = json.loads(f.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as err:
                raise FileFormatError(f"not a stored session ({err})", f,
                                      getattr(err, "lineno", None)) from None
            if not isinstance(data, Mapping) or data.get("format") != STORE_FORMAT:
                fmt = data.get("format") if isinstance(data, Mapping) else None
                raise FileFormatError(f"not a stored session (format {fmt!r})", f)
            data = dict(data)
            data["file"] = str(f)
            out.append(data)
        out.sort(key=lambda s: (s["session_date"], s["file"]))
        return out

    def comparisons(self, patient_id: str, protocol: str) -> list[Comparison]:
        """The stored sessions as :class:`Comparison` objects, in date order."""
        return [Comparison.from_dict(s["result"]) for s in self.sessions(patient_id, protocol)]

    def history(self, patient_id: str, protocol: str) -> pd.DataFrame:
        """Per-session, per-criterion results with trends.

        Returns
        -------
        DataFrame
            Columns ``session, session_date, level, score, criterion, verdict,
            measured, unit, target, deviation, pass_share, n_assessed, change,
            trend``: ``change`` is the change of ``measured`` since the criterion's
            previous assessed session; ``trend`` says whether the distance to the
            target shrank (``"better"``), grew (``"worse"``) or stayed
            (``"same"``); None for the first session.  Empty (with these columns)
            when nothing is stored.
        """
        import pandas as pd

        cols = ["session", "session_date", "level", "score", "criterion", "verdict",
                "measured", "unit", "target", "deviation", "pass_share", "n_assessed",
                "change", "trend"]
        rows = []
        last: dict[str, dict[str, Any]] = {}
        for k, s in enumerate(self.sessions(patient_id, protocol)):
            res = s["result"]
            for c in res.get("criteria", []):
                prev = last.get(c["id"])
                change = trend = None
                m = c.get("measured")
                if m is not None and prev is not None:
                    change = m - prev["measured"]
                    d0 = _distance(prev["measured"], c.get("min"), c.get("max"))
                    d1 = _distance(m, c.get("min"), c.get("max"))
                    if d0 == 0 and d1 == 0:
                        trend = "same"
                    else:
                        trend = "better" if d1 < d0 - 1e-12 else ("worse" if d1 > d0 + 1e-12
                                                                  else "same")
                rows.append({"session": k, "session_date": pd.Timestamp(s["session_date"]),
                             "level": s.get("level"), "score": res.get("score"),
                             "criterion": c["id"], "verdict": c["verdict"], "measured": m,
                             "unit": c.get("unit"), "target": c.get("target"),
                             "deviation": c.get("deviation"),
                             "pass_share": c.get("pass_share"),
                             "n_assessed": c.get("n_assessed"), "change": change,
                             "trend": trend})
                if m is not None:
                    last[c["id"]] = {"measured": m}
        df = pd.DataFrame(rows, columns=cols)
        df.attrs = {"patient_id": patient_id, "protocol": protocol}
        return df

    def trends(self, patient_id: str, protocol: str) -> pd.DataFrame:
        """Per criterion over all sessions: first/last value, least-squares slope per
        session, sessions passed.

        Returns
        -------
        DataFrame
            Columns ``criterion, n_sessions, n_pass, first, last, slope_per_session,
            unit, direction`` (``"improving"``/``"worsening"``/``"stable"`` by the
            distance to the target from the first to the last session).
        """
        import numpy as np
        import pandas as pd

        h = self.history(patient_id, protocol)
        cols = ["criterion", "n_sessions", "n_pass", "first", "last", "slope_per_session",
                "unit", "direction"]
        rows = []
        crit_bounds: dict[str, tuple[Any, Any]] = {}
        for s in self.sessions(patient_id, protocol):
            for c in s["result"].get("criteria", []):
                crit_bounds[c["id"]] = (c.get("min"), c.get("max"))
        for cid, g in h.groupby("criterion", sort=False):
            g = g[g["measured"].notna()]
            n_pass = int((h[h["criterion"] == cid]["verdict"] == "pass").sum())
            if g.empty:
                rows.append({"criterion": cid, "n_sessions": 0, "n_pass": n_pass})
                continue
            y = g["measured"].to_numpy(float)
            x = g["session"].to_numpy(float)
            slope = float(np.polyfit(x, y, 1)[0]) if len(y) >= 2 else math.nan
            lo, hi = crit_bounds.get(cid, (None, None))
            d0, d1 = _distance(y[0], lo, hi), _distance(y[-1], lo, hi)
            direction = ("improving" if d1 < d0 - 1e-12 else "worsening" if d1 > d0 + 1e-12
                         else "stable")
            rows.append({"criterion": cid, "n_sessions": len(y), "n_pass": n_pass,
                         "first": float(y[0]), "last": float(y[-1]),
                         "slope_per_session": slope, "unit": g["unit"].iloc[0],
                         "direction": direction})
        return pd.DataFrame(rows, columns=cols)

    # ---------------------------------------------------------------- levels
    def level(self, patient_id: str, protocol: str, *,
              pattern: TargetPattern | None = None, path: Any = None) -> LevelStatus:
        """The patient's current training level and what is needed to move up.

        Parameters
        ----------
        patient_id, protocol : str
            Whose progress, in which protocol.
        pattern : TargetPattern, optional
            The protocol's pattern (default: looked up by id, see
            :func:`~emgcontrol.patterns.get_pattern`).
        path : optional
            Pattern directories for the lookup.
        """
        if pattern is None:
            from ._library import get_pattern

            pattern = get_pattern(protocol, path=path)
        if not pattern.levels:
            return LevelStatus(protocol, None)
        levels = {lv.level: lv for lv in pattern.levels}
        cur = 1
        streak = 0
        latest: dict[str, float | None] = {}
        changes: list[dict[str, Any]] = []
        for s in self.sessions(patient_id, protocol):
            lv = levels[cur]
            if s.get("level") != cur or lv.advance is None:
                continue
            shares = {c["id"]: c.get("pass_share") for c in s["result"].get("criteria", [])}
            latest = {cid: shares.get(cid) for cid in lv.advance.criteria}
            ok = all(v is not None and v >= lv.advance.min_pass_share - 1e-12
                     for v in latest.values())
            streak = streak + 1 if ok else 0
            if streak >= lv.advance.sessions and cur + 1 in levels:
                changes.append({"level": cur + 1, "from": cur,
                                "session_date": s["session_date"]})
                cur += 1
                streak = 0
                latest = {}
        lv = levels[cur]
        adv = lv.advance
        nxt = cur + 1 if cur + 1 in levels else None
        return LevelStatus(
            protocol=protocol, level=cur, name=lv.name, description=lv.description,
            n_levels=len(levels), next_level=nxt,
            criteria=list(adv.criteria) if adv and nxt else [],
            min_pass_share=adv.min_pass_share if adv and nxt else None,
            sessions_needed=adv.sessions if adv and nxt else None,
            streak=streak if nxt else 0, latest=latest, history=changes)


def _distance(v: float, lo: float | None, hi: float | None) -> float:
    if lo is not None and v < lo:
        return lo - v
    if hi is not None and v > hi:
        return v - hi
    return 0.0


