"""MVC reference of an assessment, with a check that each muscle really contracted.

:func:`mvc_reference` takes an MVC recording (a guided capture, a ``--mvc``
file, or the task recording's own ``"mvc"`` events) and returns a
:class:`~emgcontrol.metrics.NormalizationReference` computed by
:func:`emgcontrol.metrics.compute_mvc_reference` (largest 0.5 s RMS window of
the band-passed signal inside the contraction windows), with two safeguards:

* a contraction marked for a muscle (``"mvc:<muscle>"`` markers) counts only
  for that muscle's channels;
* a channel whose reference is not clearly above its resting level -- the
  largest 0.5 s RMS less than :data:`MIN_CONTRACTION_RATIO` times the RMS at rest
  (outside the contractions, or the quietest 10 % of 0.5 s windows when the
  whole recording is the reference) -- is *not assessable*: a muscle that was not
  contracted (its MVC was not captured) would otherwise get its noise as
  "maximum" and absurd %MVC values.  A real MVC sits 20-40 dB above the noise
  (simulated sessions: about 30 dB); 4 x is 12 dB.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import EmgcontrolError, ValidationError
from ._markers import mvc_windows

if TYPE_CHECKING:  # pragma: no cover
    from ..metrics import NormalizationReference
    from ..recording import Recording

__all__ = ["mvc_reference", "MIN_CONTRACTION_RATIO"]

MIN_CONTRACTION_RATIO = 4.0
"""Smallest ratio of the MVC reference RMS to the resting RMS of a channel."""

_WIN_S = 0.5


def _rest_rms(y: np.ndarray, sfreq: float, windows: Sequence[tuple[float, float]]
              ) -> float | None:
    """Resting RMS: median 0.5 s RMS outside the contractions (0.6 s margins for the
    ramps), or the quietest 10 % of the 0.5 s windows when there is too little rest."""
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
            return float(np.median([np.sqrt(np.mean(np.square(b))) for b in blocks]))
    core = y[edge:max(edge + 1, n - edge)]
    nb = core.size // w
    if nb < 4:
        return None
    rms = np.sqrt(np.mean(np.square(core[:nb * w]).reshape(nb, w), axis=1))
    return float(np.percentile(rms, 10))


def mvc_reference(rec: Recording, *, min_ratio: float = MIN_CONTRACTION_RATIO,
                  notch: Any = "auto", source: str | None = None
                  ) -> tuple[NormalizationReference, dict[str, Any]]:
    """MVC reference from an MVC recording (see the module notes).

    Parameters
    ----------
    rec : Recording
        Raw EMG (V) holding maximal contractions: ``"mvc"`` events with durations
        (:func:`events_from_markers` makes them from markers), or -- without such
        events -- the whole recording as the reference segment.
    min_ratio : float
        Smallest reference / rest RMS ratio of a channel (default 4; 0 switches
        the check off).
    notch : "auto", float or None
        Mains notch of the band-pass (as in the comparison).
    source : str, optional
        Where the recording comes from (for the report).

    Returns
    -------
    reference : NormalizationReference
        One row per EMG channel; channels without a contraction are not
        assessable, with the reason.
    info : dict
        ``source, windows, channels`` (with a reference), ``rejected``
        (channel -> reason), ``ratios`` (channel -> reference / rest).
    """
    from ..metrics import NormalizationReference, compute_mvc_reference
    from ..recording import Recording
    from ..signal import filter_emg

    if not isinstance(rec, Recording):
        raise ValidationError(f"the MVC recording must be a Recording; got "
                              f"{type(rec).__name__}")
    if not (isinstance(min_ratio, (int, float)) and min_ratio >= 0):
        raise ValidationError(f"min_ratio must be a number >= 0; got {min_ratio!r}")
    emg = [i for i, t in enumerate(rec.ch_types) if t == "emg"]
    if not emg:
        raise ValidationError("the MVC recording has no EMG channel")
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
                         if m is None or (ref is not None and _same_muscle(m, ref.muscle)))
            if not mine:
                what = (f"of the {ref.muscle.replace('_', ' ')}" if ref is not None
                        else "attributed to this channel (no muscle)")
                rejected[ch] = f"no MVC contraction {what} in the MVC recording"
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
                why = (f"no contraction above rest in the MVC recording: its largest "
                       f"{_WIN_S:g} s RMS is {ratio:.1f} x its resting RMS (needs "
                       f"{min_ratio:g} x)")
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
    info = {"source": desc, "windows": meta["windows"],
            "channels": [r["channel"] for r in rows if r["status"] == "ok"],
            "rejected": rejected,
            "ratios": {k: (None if v is None else round(v, 2)) for k, v in ratios.items()}}
    return refobj, info


def _same_muscle(label: str, muscle: str) -> bool:
    from ..montage import parse_muscle

    try:
        return parse_muscle(label).muscle == muscle
    except EmgcontrolError:  # an unknown label matches by its spelling only
        return label.strip().lower().replace(" ", "_") == muscle
