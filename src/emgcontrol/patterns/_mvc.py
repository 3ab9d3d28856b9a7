"""MVC reference of an assessment, with checks that each muscle really contracted.

:func:`mvc_reference` takes an MVC recording (a guided capture, an MVC file, or
the task recording's own ``"mvc"`` events) and returns a
:class:`~emgcontrol.metrics.NormalizationReference` computed by
:func:`emgcontrol.metrics.compute_mvc_reference` (largest 0.5 s RMS window of
the band-passed signal inside the contraction windows), with these safeguards:

* a contraction marked for a muscle (``"mvc:<muscle>"`` markers or events, as
  ``emgcontrol assess`` writes them) counts only for that muscle's channels (and
  only for its side when the label names one); a muscle with no contraction of
  its own while others have one is *not assessable*, with the marker to record;
* a channel whose reference is not clearly above its resting level -- the
  largest 0.5 s RMS less than :data:`MIN_CONTRACTION_RATIO` times the RMS at rest
  (the lower quartile of the 0.5 s RMS outside the contractions, so that task
  activity between them does not count as rest; the quietest 10 % of the windows
  when the whole recording is the reference) -- is *not assessable*: a muscle
  that was not contracted (its MVC marker was lost or placed on another muscle's
  contraction) would otherwise get its noise as "maximum" and absurd %MVC values.
  A real MVC sits 20-40 dB above the noise (simulated sessions: about 30 dB);
  4 x is 12 dB;
* :func:`refuse_implausible` (used by :func:`emgcontrol.patterns.compare`) refuses a
  reference that puts the task's own activity above :data:`MAX_TASK_PERCENT_MVC`.

Zero-duration markers
    A board inserts markers at instants.  An ``"mvc"`` / ``"mvc:<muscle>"``
    marker without a duration is closed by the next ``"mvc_end"`` marker, else it
    lasts :data:`MVC_MARKER_S` (up to the next ``"mvc"`` marker or the end of the
    recording), and the reference says so.  MVC protocols hold each contraction
    3-5 s (SENIAM; Konrad 2005); the reference is the largest 0.5 s RMS inside the
    window, so a window longer than the hold costs nothing, and the check against
    rest refuses a window that holds no contraction.

References
----------
Konrad P (2005) The ABC of EMG. Noraxon, pp 30-33 (MVC: 3-5 s contractions, 3
repetitions, rest between).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import EmgcontrolError, ValidationError
from ._markers import END_SUFFIX, events_from_markers, mvc_windows

if TYPE_CHECKING:  # pragma: no cover
    from ..metrics import NormalizationReference
    from ..recording import Recording

__all__ = ["mvc_reference", "refuse_implausible", "has_mvc_marks", "task_mvc_windows",
           "MIN_CONTRACTION_RATIO",
           "MAX_TASK_PERCENT_MVC", "MVC_MARKER_S"]

MIN_CONTRACTION_RATIO = 4.0
"""Smallest ratio of the MVC reference RMS to the resting RMS of a channel."""

MAX_TASK_PERCENT_MVC = 200.0
"""Largest task activity (largest 0.5 s RMS inside the trials, in %MVC) a reference may
give before it is refused: dynamic tasks exceed an isometric MVC by some tens of
percent (up to about 150 %MVC in fast or eccentric work), never by a factor of two
unless the "MVC" was not maximal or not of that muscle."""

MVC_MARKER_S = 5.0
"""Duration given to an ``"mvc"`` marker that has none and no ``"mvc_end"`` marker, s
(the longest usual MVC hold; see the module notes)."""

REST_PERCENTILE = 25.0
"""Percentile of the 0.5 s RMS outside the contractions taken as the resting level."""

_WIN_S = 0.5


def muscle_text(ref: Any) -> str:
    """"gluteus maximus (right side)" for a MuscleRef, "" for None."""
    if ref is None:
        return ""
    name = ref.muscle.replace("_", " ")
    return f"{name} ({ref.side} side)" if ref.side else name


def record_advice(ref: Any) -> str:
    """How to record a muscle's MVC so that it is attributed to it."""
    if ref is None:
        return "record an MVC contraction marked 'mvc' ... 'mvc_end'"
    return (f"record one: marker 'mvc:{ref.muscle}' at its start and 'mvc_end' at its end "
            "(emgcontrol assess does this), or give mvc=")


def has_mvc_marks(rec: Recording) -> bool:
    """Whether a recording holds ``"mvc"`` / ``"mvc:<muscle>"`` events or markers."""
    return any(e.label == "mvc" or e.label.startswith("mvc:") for e in rec.events)


def task_mvc_windows(rec: Recording, marker_s: float = MVC_MARKER_S
                     ) -> list[tuple[float, float]]:
    """MVC contraction windows inside a recording (markers read as by
    :func:`mvc_reference`), as ``(start_s, stop_s)``."""
    out, _ = _with_windows(rec, marker_s)
    return [(a, b) for a, b, _ in mvc_windows(out)]


def _with_windows(rec: Recording, marker_s: float) -> tuple[Recording, str | None]:
    """Zero-duration MVC markers turned into windows (see the module notes)."""
    if mvc_windows(rec) or not has_mvc_marks(rec):
        return rec, None
    out = events_from_markers(rec, kinds=("mvc",), max_s={"mvc": marker_s})
    wins = mvc_windows(out)
    if not wins:
        return rec, None
    ends = [e.onset for e in rec.events if e.label == "mvc" + END_SUFFIX]
    open_ = [a for a, b, _ in wins if not any(abs(b - x) < 1e-9 for x in ends)]
    if not open_:
        return out, None
    note = (f"{len(open_)} of {len(wins)} MVC marker(s) have no duration and no 'mvc_end' "
            f"marker (at {', '.join(f'{a:.1f}' for a in open_[:6])} s): each is read as "
            f"a {marker_s:g} s window from its marker (ending earlier at the next 'mvc' "
            "marker); mark the end of each contraction with 'mvc_end' to set it")
    return out, note


def _rest_rms(y: np.ndarray, sfreq: float, windows: Sequence[tuple[float, float]]
              ) -> float | None:
    """Resting RMS: lower quartile of the 0.5 s RMS outside the contractions (0.6 s
    margins for the ramps), or the quietest 10 % of the 0.5 s windows when there is too
    little rest."""
    n = y.shape[-1]
    mask = np.ones(n, dtype=bool)
    pad = int(round(0.6 * sfreq))
    for a, b in windows:
        mask[max(0, int(a * sfreq) - pad):min(n, int(b * sfreq) + pad)] = False
    edge = int(round(0.25 * sfreq))  # filter settling at the ends
    mask[:edge] = False
    mask[max(0, n - edge):] = False
    w = max(int(_WIN_S * sfreq), 2)
    if windows and mask.sum() >= _WIN_S * sfreq:
        # whole 0.5 s windows inside the rest stretches
        idx = np.flatnonzero(mask)
        runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
        blocks = [y[r[k:k + w]] for r in runs for k in range(0, r.size - w + 1, w)]
        if blocks:
            return float(np.percentile([np.sqrt(np.mean(np.square(b))) for b in blocks],
                                       REST_PERCENTILE))
    core = y[edge:max(edge + 1, n - edge)]
    nb = core.size // w
    if nb < 4:
        return None
    rms = np.sqrt(np.mean(np.square(core[:nb * w]).reshape(nb, w), axis=1))
    return float(np.percentile(rms, 10))


def mvc_reference(rec: Recording, *, min_ratio: float = MIN_CONTRACTION_RATIO,
                  notch: Any = "auto", source: str | None = None,
                  marker_s: float = MVC_MARKER_S, filtered: Recording | None = None
                  ) -> tuple[NormalizationReference, dict[str, Any]]:
    """MVC reference from an MVC recording (see the module notes).

    Parameters
    ----------
    rec : Recording
        Raw EMG (V) holding maximal contractions: ``"mvc"`` / ``"mvc:<muscle>"``
        events with durations (:func:`events_from_markers` makes them from markers),
        zero-duration markers (closed by ``"mvc_end"``, else ``marker_s`` long), or --
        without any -- the whole recording as the reference segment.
    min_ratio : float
        Smallest reference / rest RMS ratio of a channel (default 4; 0 switches
        the check off).
    notch : "auto", float or None
        Mains notch of the band-pass (as in the comparison).
    source : str, optional
        Where the recording comes from (for the report).
    marker_s : float
        Duration of a zero-duration MVC marker without an ``"mvc_end"`` marker, s
        (default :data:`MVC_MARKER_S`).
    filtered : Recording, optional
        ``rec`` already band-passed (same channels and times; e.g. ECG-cleaned and
        filtered by the comparison); default ``filter_emg(rec, notch=notch)``.

    Returns
    -------
    reference : NormalizationReference
        One row per EMG channel; channels without a contraction are not
        assessable, with the reason.
    info : dict
        ``source, windows, channels`` (with a reference), ``rejected``
        (channel -> reason), ``ratios`` (channel -> reference / rest), ``note``
        (how zero-duration markers were read, or None).
    """
    from ..metrics import NormalizationReference, compute_mvc_reference
    from ..recording import Recording
    from ..signal import filter_emg

    if not isinstance(rec, Recording):
        raise ValidationError(f"the MVC recording must be a Recording; got "
                              f"{type(rec).__name__}")
    if not (isinstance(min_ratio, (int, float)) and min_ratio >= 0):
        raise ValidationError(f"min_ratio must be a number >= 0; got {min_ratio!r}")
    if not (isinstance(marker_s, (int, float)) and math.isfinite(marker_s)
            and marker_s >= _WIN_S):
        raise ValidationError(f"marker_s must be a duration >= {_WIN_S:g} s; got {marker_s!r}")
    rec, note = _with_windows(rec, float(marker_s))
    emg = [i for i, t in enumerate(rec.ch_types) if t == "emg"]
    if not emg:
        raise ValidationError("the MVC recording has no EMG channel")
    if filtered is not None:
        if not isinstance(filtered, Recording) or filtered.ch_names != rec.ch_names \
                or filtered.n_times != rec.n_times:
            raise ValidationError("filtered must be the band-passed MVC recording (same "
                                  "channels and samples)")
        filt = filtered
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            filt = filter_emg(rec, notch=notch)
    wins = mvc_windows(rec)
    groups: dict[tuple[tuple[float, float], ...], list[str]] = {}
    rejected: dict[str, str] = {}
    for i in emg:
        ch = rec.ch_names[i]
        ref = rec.muscles[i]
        if wins:
            mine = tuple((a, b) for a, b, m in wins
                         if m is None or (ref is not None and _same_muscle(m, ref)))
            if not mine:
                what = (f"of the {muscle_text(ref)}" if ref is not None
                        else "attributed to this channel (no muscle)")
                marked = sorted({str(m) for *_, m in wins if m is not None})
                rejected[ch] = (f"no MVC contraction {what} in the MVC recording (contractions "
                                f"marked for: {', '.join(marked)}): {record_advice(ref)}")
                continue
        else:
            mine = ()
        groups.setdefault(mine, []).append(ch)
    rows: list[dict[str, Any]] = []
    columns: Sequence[str] | None = None
    meta: dict[str, Any] = {}
    ratios: dict[str, float | None] = {}
    for segs, chans in groups.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref_tab = compute_mvc_reference(filt, method="mvc", window_s=_WIN_S,
                                            windows=list(segs) if segs else None,
                                            picks=chans)
        columns = ref_tab.columns
        meta = dict(ref_tab.meta)
        for r in ref_tab.rows:
            r = dict(r)
            k = filt.ch_names.index(r["channel"])
            rest = _rest_rms(filt.data[k], filt.sfreq, [(a, b) for a, b, _ in wins])
            rr = r.get("rms_v")
            ratio = (rr / rest) if rest and rr and math.isfinite(rr) else None
            ratios[r["channel"]] = ratio
            if r["status"] == "ok" and min_ratio > 0 and ratio is not None \
                    and ratio < min_ratio:
                mref = rec.muscles[rec.ch_names.index(r["channel"])]
                whose = f" of the {muscle_text(mref)}" if mref is not None else ""
                why = (f"no contraction above rest in the MVC recording: the MVC "
                       f"window(s){whose} hold no maximal contraction (largest "
                       f"{_WIN_S:g} s RMS {ratio:.1f} x the resting RMS, a maximal "
                       f"contraction reaches at least {min_ratio:g} x): the marker was lost "
                       f"or placed on another contraction; {record_advice(mref)}")
                r.update(status="not_assessable", reason=why)
                rejected[r["channel"]] = why
            rows.append(r)
    for ch, why in rejected.items():
        if any(r["channel"] == ch for r in rows):
            continue
        i = rec.ch_names.index(ch)
        m = rec.muscles[i]
        rows.append({"channel": ch, "muscle": m.muscle if m else None,
                     "side": m.side if m else None, "method": "mvc", "rms_v": None,
                     "arv_v": None, "window_s": _WIN_S, "n_segments": 0,
                     "status": "not_assessable", "reason": why})
    if columns is None:
        columns = ("channel", "muscle", "side", "method", "rms_v", "arv_v", "window_s",
                   "n_segments", "status", "reason")
    order = {n: k for k, n in enumerate(rec.ch_names)}
    rows.sort(key=lambda r: order.get(r["channel"], 0))
    desc = source or ("MVC recording" + (f" ({len(wins)} contraction(s))" if wins else
                                         " (whole recording)"))
    meta.update({"method": "mvc", "window_s": _WIN_S,
                 "source": desc + f"; per-muscle attribution of marked contractions; channels "
                                  f"below {min_ratio:g} x their resting RMS rejected",
                 "min_contraction_ratio": min_ratio})
    meta.pop("segments", None)
    meta["windows"] = [{"start_s": a, "stop_s": b, "muscle": m} for a, b, m in wins]
    refobj = NormalizationReference(rows, columns, meta)
    if note:
        meta["markers"] = note
    info = {"source": desc, "windows": meta["windows"], "note": note,
            "channels": [r["channel"] for r in rows if r["status"] == "ok"],
            "rejected": rejected,
            "ratios": {k: (None if v is None else round(v, 2)) for k, v in ratios.items()}}
    return refobj, info


def _same_muscle(label: str, ref: Any) -> bool:
    """Whether an ``"mvc:<label>"`` contraction belongs to a channel's muscle (and side,
    when the label names one)."""
    from ..montage import parse_muscle

    try:
        got = parse_muscle(label)
    except EmgcontrolError:  # an unknown label matches by its spelling only
        return label.strip().lower().replace(" ", "_") == ref.muscle
    return got.muscle == ref.muscle and (got.side is None or ref.side is None
                                         or got.side == ref.side)


def refuse_implausible(ref: NormalizationReference, filt: Recording,
                       channels: Sequence[str], windows: Sequence[tuple[float, float]], *,
                       exclude: Sequence[tuple[float, float]] = (),
                       max_percent: float = MAX_TASK_PERCENT_MVC
                       ) -> tuple[NormalizationReference, dict[str, str], dict[str, float]]:
    """Refuse MVC references that put the task's own activity far above 100 %MVC.

    Parameters
    ----------
    ref : NormalizationReference
        The reference (only ``method="mvc"`` references are checked).
    filt : Recording
        The band-passed task recording (V).
    channels : sequence of str
        Channels to check.
    windows : sequence of (start_s, stop_s)
        Where the task happens (the trials).
    exclude : sequence of (start_s, stop_s)
        MVC contractions inside the task recording (left out, with 0.6 s margins).
    max_percent : float
        Largest plausible task activity, %MVC (default :data:`MAX_TASK_PERCENT_MVC`).

    Returns
    -------
    reference : NormalizationReference
        ``ref`` with a not-assessable row (and the reason) for each refused channel.
    refused : dict
        Channel -> reason.
    task_percent : dict
        Channel -> largest 0.5 s RMS of the task in % of the reference.
    """
    from ..metrics import NormalizationReference

    if ref.method != "mvc":
        return ref, {}, {}
    n = filt.n_times
    sf = filt.sfreq
    mask = np.zeros(n, dtype=bool)
    for a, b in windows:
        mask[max(0, int(a * sf)):min(n, int(math.ceil(b * sf)))] = True
    pad = int(round(0.6 * sf))
    for a, b in exclude:
        mask[max(0, int(a * sf) - pad):min(n, int(b * sf) + pad)] = False
    w = max(int(_WIN_S * sf), 2)
    idx = np.flatnonzero(mask)
    runs = [r for r in np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1) if r.size >= w]
    refused: dict[str, str] = {}
    pct: dict[str, float] = {}
    rows = [dict(r) for r in ref.rows]
    for ch in channels:
        if ch not in filt.ch_names or not runs:
            continue
        k = filt.ch_names.index(ch)
        mref = filt.muscles[k]
        rr = ref.lookup(ch, mref.muscle if mref else None, mref.side if mref else None)
        if rr is None or rr["status"] != "ok" or not rr.get("rms_v"):
            continue
        y = filt.data[k]
        best = 0.0
        for r in runs:
            x2 = np.square(y[r[0]:r[-1] + 1])
            c = np.concatenate(([0.0], np.cumsum(x2)))
            best = max(best, float(np.sqrt(np.max(c[w:] - c[:-w]) / w)))
        p = 100.0 * best / float(rr["rms_v"])
        pct[ch] = p
        if p > max_percent:
            whose = f" of the {muscle_text(mref)}" if mref is not None else ""
            why = (f"MVC reference{whose} refused: the task's own activity reaches "
                   f"{p:.0f} %MVC with it (largest {_WIN_S:g} s RMS; more than "
                   f"{max_percent:g} %MVC is not possible with a maximal reference), so the "
                   "contraction used was not maximal or not of this muscle; "
                   + record_advice(mref).replace("record one", "record its MVC again"))
            refused[ch] = why
            rows = [r for r in rows if r["channel"] != ch]
            rows.append({"channel": ch, "muscle": mref.muscle if mref else None,
                         "side": mref.side if mref else None, "method": "mvc",
                         "rms_v": rr["rms_v"], "arv_v": rr.get("arv_v"),
                         "window_s": rr.get("window_s"), "n_segments": rr.get("n_segments"),
                         "status": "not_assessable", "reason": why})
    if not refused:
        return ref, refused, pct
    meta = dict(ref.meta)
    meta["refused"] = dict(refused)
    meta["max_task_percent_mvc"] = max_percent
    return NormalizationReference(rows, ref.columns, meta), refused, pct
