"""Shared pieces of the metrics: result tables, segments, channel checks, windows.

Nothing here imports pandas or scipy at module level (``import emgcontrol`` stays
light); :meth:`MetricTable.to_dataframe` imports pandas when called.
"""

from __future__ import annotations

import copy
import html
import math
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._util import jsonable
from .._util import window_samples as n_samples  # noqa: F401 - used by the metrics
from .._validate import check_positive
from ..errors import EmgcontrolWarning, ValidationError
from ..hardware import CYTON_RAIL_V

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..recording import Recording

__all__ = ["MetricTable", "Segment", "STATUS_OK", "STATUS_NA", "RAIL_V", "FLAT_SD_V"]

STATUS_OK = "ok"
STATUS_NA = "not_assessable"

RAIL_V = CYTON_RAIL_V
"""Default amplifier rail, V: the OpenBCI Cyton input range at gain 24 (+/-187.5 mV,
:data:`emgcontrol.hardware.CYTON_RAIL_V`).
No surface EMG comes near it (sEMG stays below ~5 mV), so a sample at >= 90 % of it
is a saturated input whatever the amplifier."""

FLAT_SD_V = 1e-7
"""A channel (or window) whose SD is below 0.1 uV is flat: the amplifier noise of a
connected surface electrode is >= 0.3 uV RMS (same limit as the quality checks)."""

RAIL_FRACTION = 0.9
RAILED_MIN_SHARE = 0.01  # >= 1 % of the samples at the rail: the amplitude is unusable


# JSON conversion (:func:`jsonable`) and window lengths (:func:`n_samples`, seconds to
# samples) live in emgcontrol._util; they are imported above and used throughout the
# metrics under these names.


# -------------------------------------------------------------------- table
class MetricTable:
    """A table of metric results: rows with named columns and JSON-ready metadata.

    Every ``compute_*`` function of :mod:`emgcontrol.metrics` returns one of these
    (or a subclass).  Rows are plain dicts; units are in a ``unit`` column or in the
    column names (``onset_s``, ``mdf_hz``...).  A row that could not be computed
    (flat or railed channel, empty window...) has ``status="not_assessable"`` and a
    ``reason``; its value is NaN.

    Attributes
    ----------
    kind : str
        What the table holds (``"amount"``, ``"mvc_reference"``, ``"latency"``...).
    columns : tuple of str
        Column names in order.
    rows : list of dict
        One dict per row.
    meta : dict
        How the table was computed (method, parameters, references, sfreq...).
    """

    kind = "metric"

    def __init__(self, rows: Iterable[Mapping[str, Any]], columns: Sequence[str],
                 meta: Mapping[str, Any] | None = None, *, kind: str | None = None) -> None:
        self.columns: tuple[str, ...] = tuple(columns)
        self.rows: list[dict[str, Any]] = [
            {c: r.get(c) for c in self.columns} for r in rows]
        self.meta: dict[str, Any] = dict(meta or {})
        if kind is not None:
            self.kind = kind

    # ---------------------------------------------------------------- access
    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def column(self, name: str) -> list[Any]:
        """Values of one column."""
        if name not in self.columns:
            raise ValidationError(
                f"column must be one of {', '.join(self.columns)}; got {name!r}")
        return [r[name] for r in self.rows]

    def select(self, **where: Any) -> list[dict[str, Any]]:
        """Rows whose columns equal the given values, e.g. ``select(channel="LT L")``."""
        for k in where:
            if k not in self.columns:
                raise ValidationError(
                    f"select() column must be one of {', '.join(self.columns)}; got {k!r}")
        return [r for r in self.rows if all(_eq(r[k], v) for k, v in where.items())]

    # ---------------------------------------------------------------- export
    def to_dataframe(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame; ``df.attrs`` holds :attr:`meta` and ``kind``."""
        import pandas as pd

        df = pd.DataFrame(self.rows, columns=list(self.columns))
        df.attrs = {"kind": self.kind, **copy.deepcopy(jsonable(self.meta))}
        return df

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{"kind", "meta", "columns", "rows"}`` (NaN -> None)."""
        return {"kind": self.kind, "meta": jsonable(self.meta),
                "columns": list(self.columns), "rows": jsonable(self.rows)}

    def __repr__(self) -> str:
        n_na = sum(1 for r in self.rows if r.get("status") == STATUS_NA)
        extra = f", {n_na} not assessable" if n_na else ""
        return f"<{type(self).__name__} | {self.kind}: {len(self.rows)} rows{extra}>"

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = []
        for r in self.rows[:200]:
            cells = "".join(f"<td>{html.escape(_fmt(r[c]))}</td>" for c in self.columns)
            body.append(f"<tr>{cells}</tr>")
        more = (f"<p>... {len(self.rows) - 200} more rows</p>"
                if len(self.rows) > 200 else "")
        return (f"<div><strong>{html.escape(type(self).__name__)}</strong> "
                f"({html.escape(self.kind)})<table><tr>{head}</tr>{''.join(body)}"
                f"</table>{more}</div>")


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _eq(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


# ----------------------------------------------------------------- segments
@dataclass(frozen=True)
class Segment:
    """A time span over which a metric is computed.

    Attributes
    ----------
    label : str
        ``"all"`` (whole recording), ``"window"`` (a window given by the user), or
        the label of the event that defines it (``"trial"``, ``"flexion"``...).
    index : int
        Occurrence of that label, 0-based in time order (the trial number for
        ``"trial"``).
    start, stop : float
        Start and end, s from the first sample (``stop`` excluded).
    trial : int or None
        Index of the ``"trial"`` event containing the segment's start, if any.
    name : str or None
        Name of a user window given as a mapping.
    """

    label: str
    index: int
    start: float
    stop: float
    trial: int | None = None
    name: str | None = None

    def samples(self, sfreq: float, n_times: int) -> tuple[int, int]:
        """First and one-past-last sample, clipped to the recording."""
        i0 = max(0, int(math.ceil(self.start * sfreq - 1e-9)))
        i1 = min(n_times, int(math.ceil(self.stop * sfreq - 1e-9)))
        return i0, max(i0, i1)

    def as_row(self) -> dict[str, Any]:
        """Columns ``segment, index, trial, start_s, stop_s`` (+ ``window`` name)."""
        return {"segment": self.name if self.name is not None else self.label,
                "index": self.index, "trial": self.trial,
                "start_s": self.start, "stop_s": self.stop}


SEGMENT_COLUMNS = ("segment", "index", "trial", "start_s", "stop_s")


def trial_events(rec: Recording, label: str = "trial") -> list[tuple[float, float]]:
    """(start, stop) of the events labelled ``label`` with a duration, in time order."""
    return [(e.onset, e.onset + e.duration) for e in rec.events
            if e.label == label and e.duration > 0]


def trial_of(t: float, trials: Sequence[tuple[float, float]]) -> int | None:
    """Index of the trial window containing time ``t`` (start <= t < stop)."""
    for k, (a, b) in enumerate(trials):
        if a <= t < b:
            return k
    return None


def check_window(name: str, window: Any, duration: float) -> tuple[float, float]:
    """Validate a (start_s, stop_s) pair inside ``[0, duration]``."""
    try:
        a, b = (float(v) for v in window)
    except (TypeError, ValueError):
        raise ValidationError(
            f"{name} must be a pair (start_s, stop_s) of numbers; got {window!r}") from None
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValidationError(f"{name} must be finite; got {window!r}")
    if not 0 <= a < b:
        raise ValidationError(f"{name} needs 0 <= start_s < stop_s; got ({a:g}, {b:g})")
    if b > duration + 1e-9:
        raise ValidationError(
            f"{name}=({a:g}, {b:g}) s ends after the recording ({duration:.3f} s)")
    return a, b


def resolve_segments(
    rec: Recording,
    *,
    windows: Any = None,
    trials: str | None = "trial",
    phases: str | Sequence[str] | None = None,
) -> list[Segment]:
    """Segments to compute a metric over.

    ``windows`` (a sequence of ``(start_s, stop_s)`` or a mapping name -> pair) wins;
    otherwise the events labelled ``trials`` and ``phases`` (those with a duration);
    if none is found, the whole recording.
    """
    duration = rec.duration
    tr = trial_events(rec, "trial")
    if windows is not None:
        if isinstance(windows, Mapping):
            items = [(str(k), v) for k, v in windows.items()]
        else:
            try:
                seq = list(windows)
            except TypeError:
                raise ValidationError(
                    "windows must be a sequence of (start_s, stop_s) pairs or a mapping "
                    f"name -> (start_s, stop_s); got {windows!r}") from None
            if len(seq) == 2 and all(isinstance(v, (int, float, np.number)) for v in seq):
                seq = [seq]  # a single pair
            items = [(None, v) for v in seq]
        if not items:
            raise ValidationError("windows is empty; give at least one (start_s, stop_s)")
        out = []
        for i, (nm, w) in enumerate(items):
            a, b = check_window(f"windows[{nm if nm is not None else i}]", w, duration)
            out.append(Segment("window", i, a, b, trial_of(a, tr), nm))
        return out
    out = []
    if trials is not None:
        if not isinstance(trials, str):
            raise ValidationError(f"trials must be an event label (str) or None; got {trials!r}")
        found = tr if trials == "trial" else trial_events(rec, trials)
        out += [Segment(trials, k, a, min(b, duration), k if trials == "trial" else
                        trial_of(a, tr)) for k, (a, b) in enumerate(found) if a < duration]
    if phases is not None:
        labels = [phases] if isinstance(phases, str) else list(phases)
        for lab in labels:
            if not isinstance(lab, str):
                raise ValidationError(f"phases must hold event labels (str); got {lab!r}")
            found = trial_events(rec, lab)
            if not found:
                known = sorted({e.label for e in rec.events})
                raise ValidationError(
                    f"phases: no event labelled {lab!r} with a duration in the recording "
                    f"(labels: {', '.join(known) or 'none'})")
            out += [Segment(lab, k, a, min(b, duration), trial_of(a, tr))
                    for k, (a, b) in enumerate(found) if a < duration]
    if not out:
        out = [Segment("all", 0, 0.0, duration, None)]
    return out


# ----------------------------------------------------------- channel checks
def assess(x: np.ndarray, *, rail_v: float = RAIL_V, flat_sd_v: float = FLAT_SD_V,
           min_samples: int = 2) -> str | None:
    """Reason why a piece of signal cannot be assessed, or None if it can.

    Checks, in order: too few samples, non-finite samples, railed (>= 1 % of the
    samples at >= 90 % of ``rail_v``), flat (SD < ``flat_sd_v``).
    """
    n = x.shape[-1]
    if n < min_samples:
        return f"too short ({n} samples, needs >= {min_samples})"
    finite = np.isfinite(x)
    if not finite.all():
        n_bad = int((~finite).sum())
        return "all NaN" if n_bad == n else f"{n_bad} non-finite samples"
    if rail_v is not None and np.isfinite(rail_v):
        at_rail = np.abs(x) >= RAIL_FRACTION * rail_v
        share = float(at_rail.mean())
        if share >= RAILED_MIN_SHARE:
            return (f"railed ({100 * share:.1f} % of samples at >= {100 * RAIL_FRACTION:.0f} % "
                    f"of the {1e3 * rail_v:g} mV rail)")
    sd = float(np.std(x))
    if sd < flat_sd_v:
        return f"flat channel (SD {sd * 1e6:.3g} uV < {flat_sd_v * 1e6:.3g} uV)"
    return None


def rail_of(rec: Recording, rail_v: float | None) -> float:
    """The rail to check against: the argument, ``meta['rail_v']``, or :data:`RAIL_V`."""
    if rail_v is not None:
        return check_positive("rail_v", rail_v)
    meta_rail = rec.meta.get("rail_v")
    try:
        if meta_rail is not None and float(meta_rail) > 0:
            return float(meta_rail)
    except (TypeError, ValueError):
        pass
    return RAIL_V


def warn_dc(rec: Recording, idx: Sequence[int], what: str) -> None:
    """Warn when EMG channels carry a DC offset larger than their variation."""
    bad = []
    for i in idx:
        x = rec.data[i]
        if x.size < 2 or not np.all(np.isfinite(x)):
            continue
        mean, sd = float(np.mean(x)), float(np.std(x))
        if abs(mean) > 3 * sd and abs(mean) > 1e-6:
            bad.append(f"{rec.ch_names[i]} ({mean * 1e3:.3g} mV)")
    if bad:
        warnings.warn(
            f"{what}: channel(s) {', '.join(bad)} carry a DC offset larger than 3 x their SD; "
            "amplitudes include it. High-pass the EMG first (e.g. "
            "emgcontrol.signal.filter_emg).", EmgcontrolWarning, stacklevel=3)


def emg_indices(rec: Recording, picks: Any) -> list[int]:
    """Indices of the picked channels (default: every EMG channel)."""
    idx = rec._pick_indices("emg" if picks is None else picks)
    if not idx:
        raise ValidationError(
            f"picks={picks!r} selects no channel (channels: {', '.join(rec.ch_names)}; "
            f"types: {', '.join(sorted(set(rec.ch_types)))})")
    return idx


def channel_info(rec: Recording, i: int) -> dict[str, Any]:
    """``channel``, ``muscle``, ``side`` of channel ``i``."""
    m = rec.muscles[i]
    return {"channel": rec.ch_names[i], "muscle": m.muscle if m else None,
            "side": m.side if m else None}


# ----------------------------------------------------------- moving windows
def moving_mean_valid(v: np.ndarray, n: int) -> np.ndarray:
    """Means of every full window of ``n`` samples of ``v`` (last axis).

    ``out[..., i] = mean(v[..., i:i + n])``; ``n_times - n + 1`` values (none if the
    signal is shorter than the window).  Running sums in float64, clipped at 0 for
    non-negative input (mean squares).
    """
    m = v.shape[-1]
    if m < n:
        return np.empty(v.shape[:-1] + (0,))
    c = np.zeros(v.shape[:-1] + (m + 1,))
    np.cumsum(v, axis=-1, out=c[..., 1:])
    out = (c[..., n:] - c[..., :-n]) / n
    return out


def moving_rms_valid(x: np.ndarray, n: int) -> np.ndarray:
    """RMS of every full window of ``n`` samples (see :func:`moving_mean_valid`)."""
    return np.sqrt(np.maximum(moving_mean_valid(x * x, n), 0.0))


def moving_centred(v: np.ndarray, n: int) -> np.ndarray:
    """Centred moving mean with truncated edges (same alignment as
    :func:`emgcontrol.signal.moving_average`): output ``i`` averages samples
    ``i - n // 2 .. i + n - 1 - n // 2`` that exist."""
    m = v.shape[-1]
    c = np.zeros(v.shape[:-1] + (m + 1,))
    np.cumsum(v, axis=-1, out=c[..., 1:])
    i = np.arange(m)
    lo = np.clip(i - n // 2, 0, m)
    hi = np.clip(i + n - n // 2, 0, m)
    return (c[..., hi] - c[..., lo]) / (hi - lo)


def as_float_or_none(v: Any) -> float | None:
    """A finite float, or None."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


# -------------------------------------------------------------------- pairs
def channels_for(key: Any, channels: Sequence[str], muscles: Sequence[str | None],
                 sides: Sequence[str | None], what: str = "pairs") -> list[int]:
    """Indices of the channels named by ``key``: a channel name, or a muscle
    (``"left gluteus maximus"``; without side: every side)."""
    from ..montage import MuscleRef, parse_muscle

    if isinstance(key, str) and key in channels:
        return [list(channels).index(key)]
    if not isinstance(key, (str, MuscleRef)):
        raise ValidationError(f"{what}: a muscle or channel name must be a str; got {key!r}")
    try:
        ref = parse_muscle(key)
    except ValidationError:
        raise ValidationError(
            f"{what}: {key!r} is neither a channel ({', '.join(channels)}) nor a known "
            "muscle") from None
    out = [i for i, (m, s) in enumerate(zip(muscles, sides))
           if m == ref.muscle and (ref.side is None or s == ref.side)]
    if not out:
        raise ValidationError(
            f"{what}: no channel records {str(ref)!r} (channels: {', '.join(channels)})")
    return out


def resolve_pairs(pairs: Any, channels: Sequence[str], muscles: Sequence[str | None],
                  sides: Sequence[str | None], what: str = "pairs"
                  ) -> list[tuple[int, int]]:
    """Channel index pairs for pairs of muscles or channels.

    Muscles named without a side are paired side by side (left with left, right
    with right, midline with midline); a single channel on one side of the pair
    is paired with every channel of the other.
    """
    if pairs is None:
        raise ValidationError(f"{what} must be a sequence of (a, b) pairs; got None")
    if isinstance(pairs, tuple) and len(pairs) == 2 and all(isinstance(p, str) for p in pairs):
        pairs = [pairs]
    out: list[tuple[int, int]] = []
    for p in pairs:
        try:
            a, b = p
        except (TypeError, ValueError):
            raise ValidationError(f"{what} must hold (a, b) pairs; got {p!r}") from None
        ia = channels_for(a, channels, muscles, sides, what)
        ib = channels_for(b, channels, muscles, sides, what)
        found = [(i, j) for i in ia for j in ib if i != j and sides[i] == sides[j]]
        if not found:
            if len(ia) == 1:
                found = [(ia[0], j) for j in ib if j != ia[0]]
            elif len(ib) == 1:
                found = [(i, ib[0]) for i in ia if i != ib[0]]
        if not found:
            raise ValidationError(
                f"{what}: cannot pair {a!r} with {b!r}: no channels on the same side "
                f"({[channels[i] for i in ia]} vs {[channels[j] for j in ib]})")
        for f in found:
            if f not in out:
                out.append(f)
    return out


# -------------------------------------------------------------- activations
ACTIVATION_REQUIRED = ("channel", "onset", "offset")


def _int_or_none(v: Any) -> int | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f) or f < 0:
        return None  # NaN / None / -1 (outside trials, e.g. an MVC block)
    return int(f)


def _str_or_none(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    try:
        if v != v:  # noqa: PLR0124 - pandas NA
            return None
    except Exception:  # pragma: no cover
        pass
    return str(v)


def activation_rows(acts: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict]:
    """Normalise an activation table to rows.

    Parameters
    ----------
    acts : Activations, DataFrame or sequence of mappings
        An :class:`emgcontrol.onset.Activations` (anything with ``to_dataframe()``),
        or a table with at least the columns ``channel, onset, offset`` (and
        optionally ``muscle, side, trial``; ``trial`` None/NaN/negative = outside
        trials).

    Returns
    -------
    rows : list of dict
        ``channel, muscle, side, trial, onset, offset, duration, onset_censored``
        sorted by onset (``onset_censored`` False where the table has no such
        column: an onset not observed because the muscle was already active).
    channels : list of dict
        ``channel, muscle, side, status, reason`` per channel: from the object's
        ``channels_frame()`` when it has one, else the channels seen in the rows.
    meta : dict
        The detector's metadata when available.
    """
    meta: dict[str, Any] = {}
    chan_rows: list[dict[str, Any]] | None = None
    if hasattr(acts, "channels_frame") and callable(acts.channels_frame):
        try:
            cf = acts.channels_frame()
            chan_rows = [
                {"channel": str(r.get("channel")), "muscle": _str_or_none(r.get("muscle")),
                 "side": _str_or_none(r.get("side")),
                 "status": _str_or_none(r.get("status")) or STATUS_OK,
                 "reason": _str_or_none(r.get("reason"))}
                for r in cf.to_dict("records")]
        except Exception:  # pragma: no cover - be lenient with foreign objects
            chan_rows = None
    if hasattr(acts, "meta") and isinstance(getattr(acts, "meta"), Mapping):
        meta = dict(acts.meta)
    if hasattr(acts, "to_dataframe") and callable(acts.to_dataframe):
        acts = acts.to_dataframe()
    if hasattr(acts, "to_dict") and hasattr(acts, "columns"):  # DataFrame
        missing = [c for c in ACTIVATION_REQUIRED if c not in acts.columns]
        if missing:
            raise ValidationError(
                f"activations lack column(s) {missing}; need at least "
                f"{', '.join(ACTIVATION_REQUIRED)} (got {', '.join(map(str, acts.columns))})")
        if not meta and isinstance(acts.attrs.get("detector"), Mapping):
            meta = dict(acts.attrs["detector"])
        records = acts.to_dict("records")
    else:
        try:
            records = [dict(r) for r in acts]
        except (TypeError, ValueError):
            raise ValidationError(
                "activations must be an Activations object, a DataFrame or a sequence of "
                f"mappings; got {type(acts).__name__}") from None
        for k, r in enumerate(records):
            missing = [c for c in ACTIVATION_REQUIRED if c not in r]
            if missing:
                raise ValidationError(f"activations[{k}] lacks {missing}")
    rows = []
    for k, r in enumerate(records):
        try:
            on, off = float(r["onset"]), float(r["offset"])
        except (TypeError, ValueError):
            raise ValidationError(
                f"activations row {k}: onset and offset must be numbers (s); got "
                f"{r['onset']!r}, {r['offset']!r}") from None
        if not (math.isfinite(on) and math.isfinite(off)) or off < on:
            raise ValidationError(
                f"activations row {k} ({r['channel']}): needs finite onset <= offset; got "
                f"{on}, {off}")
        rows.append({"channel": str(r["channel"]), "muscle": _str_or_none(r.get("muscle")),
                     "side": _str_or_none(r.get("side")), "trial": _int_or_none(r.get("trial")),
                     "onset": on, "offset": off, "duration": off - on,
                     "onset_censored": bool(r.get("onset_censored", False))})
    rows.sort(key=lambda r: (r["onset"], r["channel"]))
    if chan_rows is None:
        seen: dict[str, dict[str, Any]] = {}
        for r in rows:
            seen.setdefault(r["channel"], {"channel": r["channel"], "muscle": r["muscle"],
                                           "side": r["side"], "status": STATUS_OK,
                                           "reason": None})
        chan_rows = list(seen.values())
    return rows, chan_rows, meta
