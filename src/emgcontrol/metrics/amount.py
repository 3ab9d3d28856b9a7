"""How much: EMG amplitude per channel and segment, and its normalisation.

Measures (over a segment of ``N`` samples ``x[i]`` at ``sfreq`` Hz, in volts)

``rms``
    Root mean square, ``sqrt(mean(x**2))`` (V).
``arv``
    Average rectified value, ``mean(|x|)`` (V); also called mean absolute value.
``iemg``
    Integrated EMG, ``sum(|x|) / sfreq`` (V*s): the area under the rectified signal
    (rectangle rule), which grows with the segment length.
``peak``
    Largest value of the moving-RMS envelope over the segment: the RMS of every
    window of ``peak_window_s`` that lies entirely inside the segment, maximum taken
    (V).  Only full windows are used, so no edge value is estimated from fewer
    samples.  This is the centred moving RMS of :func:`emgcontrol.signal.moving_rms`
    restricted to full windows.

Normalisation (Burden 2010; Konrad 2005; Lehman & McGill 1999)

``"mvc"``
    Maximal voluntary contraction: the reference is the largest RMS over any
    ``window_s`` window (default **0.5 s**) inside the MVC contraction(s).  A 500 ms
    window is the usual choice for MVC references (Konrad 2005, "The ABC of EMG",
    recommends the mean amplitude of the highest 500 ms portion; Burden 2010
    reviews 0.25-1 s): it is short enough to catch the peak of a 3-5 s maximal
    contraction and long enough that the random error of the RMS estimate is
    small (about 5 % for sEMG at 0.5 s, against 12-15 % at 0.1 s, so the maximum
    over the contraction is biased upward by only a few percent).
``"rvc"``
    Reference voluntary contraction: the RMS (and ARV) over the whole of the
    submaximal reference task(s) (e.g. a standardised unsupported trunk hold),
    used where maximal efforts are unsafe or unreliable, as often in low back pain
    (Dankaerts et al. 2004; Burden 2010).
``"peak"``
    Peak dynamic activity: the largest ``window_s`` RMS over the task itself (the
    trials), so every channel peaks at 100 % (Yang & Winter 1984).  It removes
    between-subject amplitude differences but also the information on effort.

An amount normalised by a reference is ``100 * value / reference`` in ``%MVC``
(``%RVC``, ``%peak``): RMS and peak are divided by the reference's RMS, ARV by the
reference's ARV (the same window maximum computed on the rectified signal), iEMG by
the reference's ARV (unit ``%MVC*s``).  Each measure is so divided by the same
statistic of the reference, and %MVC is invariant to any scaling of the data (gain,
units).

References
----------
Burden A (2010) How should we normalize electromyograms obtained from healthy
participants? J Electromyogr Kinesiol 20:1023-1035.
Konrad P (2005) The ABC of EMG. Noraxon.
Lehman GJ, McGill SM (1999) The importance of normalization in the interpretation
of surface electromyography. J Manipulative Physiol Ther 22:444-446.
Dankaerts W, O'Sullivan PB, Burnett AF, Straker LM, Danneels LA (2004) Reliability
of EMG measurements for trunk muscles during maximal and sub-maximal voluntary
isometric contractions in healthy controls and CLBP patients. J Electromyogr
Kinesiol 14:333-342.
Yang JF, Winter DA (1984) Electromyographic amplitude normalization methods.
Arch Phys Med Rehabil 65:517-521.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validate import check_option
from ..errors import ValidationError
from ..montage import parse_muscle
from ._common import (SEGMENT_COLUMNS, STATUS_NA, STATUS_OK, MetricTable, assess,
                      channel_info, emg_indices, moving_mean_valid, moving_rms_valid,
                      n_samples, rail_of, resolve_segments, warn_dc)

if TYPE_CHECKING:  # pragma: no cover
    from ..recording import Recording

__all__ = [
    "ENVELOPE_KINDS",
    "Envelopes",
    "compute_envelopes",
    "MEASURES",
    "NORM_METHODS",
    "MVC_WINDOW_S",
    "PEAK_WINDOW_S",
    "AmountTable",
    "NormalizationReference",
    "compute_amount",
    "compute_mvc_reference",
    "normalize",
]

MEASURES = ("rms", "arv", "iemg", "peak")
"""Amplitude measures of :func:`compute_amount`."""

UNITS = {"rms": "V", "arv": "V", "iemg": "V*s", "peak": "V"}

NORM_METHODS = ("mvc", "rvc", "peak")
"""Normalisation methods of :func:`compute_mvc_reference`."""

NORM_TAGS = {"mvc": "MVC", "rvc": "RVC", "peak": "peak"}

DEFAULT_LABELS = {"mvc": "mvc", "rvc": "rvc", "peak": "trial"}

MVC_WINDOW_S = 0.5
"""Default window of the MVC reference, s (Konrad 2005; Burden 2010)."""

PEAK_WINDOW_S = 0.25
"""Default moving-RMS window of the ``peak`` measure, s.

A compromise between bursts of a few hundred ms (rapid arm raise: 0.3 s) and the
random error of short-window RMS (about 8 % at 0.25 s): the peak of a 0.25 s
moving RMS over a 2 s plateau lies 5-10 % above the plateau RMS.
"""

AMOUNT_COLUMNS = ("channel", "muscle", "side", *SEGMENT_COLUMNS, "measure", "value",
                  "unit", "reference_v", "status", "reason")

REFERENCE_COLUMNS = ("channel", "muscle", "side", "method", "rms_v", "arv_v", "window_s",
                     "n_segments", "status", "reason")


# ------------------------------------------------------------------ results
class AmountTable(MetricTable):
    """Amplitude per channel, segment and measure (output of :func:`compute_amount`).

    Columns: ``channel, muscle, side, segment, index, trial, start_s, stop_s,
    measure, value, unit, reference_v, status, reason``.  ``unit`` is ``V``
    (``V*s`` for iEMG) or, once normalised, ``%MVC`` / ``%RVC`` / ``%peak``
    (``%MVC*s``); ``reference_v`` is then the reference amplitude used (V), and
    ``meta["normalization"]`` records method, window and source.
    """

    kind = "amount"

    @property
    def normalized(self) -> bool:
        """True if the values are normalised to a reference."""
        return self.meta.get("normalization") is not None

    def value(self, channel: str, measure: str = "rms", *, segment: str | None = None,
              index: int = 0) -> float:
        """One value (NaN if not assessable); ``segment`` defaults to the first one."""
        rows = [r for r in self.rows if r["channel"] == channel and r["measure"] == measure
                and (segment is None or r["segment"] == segment) and r["index"] == index]
        if not rows:
            raise ValidationError(
                f"no {measure!r} value for channel {channel!r}, segment {segment!r}, "
                f"index {index}")
        return float(rows[0]["value"])


class NormalizationReference(MetricTable):
    """Reference amplitudes per channel (output of :func:`compute_mvc_reference`).

    Columns: ``channel, muscle, side, method, rms_v, arv_v, window_s, n_segments,
    status, reason``.  ``rms_v`` is what RMS and peak values are divided by, ``arv_v``
    what ARV and iEMG are divided by.  A reference built from explicit values
    (:meth:`from_values`) has rows keyed by the names given (``channel`` holds the
    key, ``muscle``/``side`` the parsed muscle when the key is a muscle).
    """

    kind = "normalization_reference"

    @property
    def method(self) -> str:
        """``"mvc"``, ``"rvc"`` or ``"peak"``."""
        return str(self.meta.get("method", "mvc"))

    @property
    def unit(self) -> str:
        """Unit of normalised values: ``%MVC``, ``%RVC`` or ``%peak``."""
        return "%" + NORM_TAGS.get(self.method, self.method)

    @classmethod
    def from_values(cls, values: Mapping[str, Any], *, method: str = "mvc",
                    source: str = "explicit") -> NormalizationReference:
        """Reference amplitudes given explicitly, in volts.

        Parameters
        ----------
        values : mapping
            Key: a channel name, or a muscle (``"left multifidus"``; a muscle without
            side, ``"multifidus"``, applies to both sides).  Value: the reference RMS
            in V, or a mapping ``{"rms": V, "arv": V}``.  With an RMS only, ARV and
            iEMG cannot be normalised (their rows become not assessable).
        method : {"mvc", "rvc", "peak"}
            What the values are (it sets the unit, ``%MVC``...).
        source : str
            Description stored in the metadata.
        """
        check_option("method", method, NORM_METHODS)
        if not isinstance(values, Mapping) or not values:
            raise ValidationError(
                "values must be a non-empty mapping channel or muscle -> reference in V; "
                f"got {values!r}")
        rows = []
        for key, v in values.items():
            if isinstance(v, Mapping):
                rms, arv = v.get("rms"), v.get("arv")
                unknown = set(v) - {"rms", "arv"}
                if unknown:
                    raise ValidationError(
                        f"values[{key!r}] may hold 'rms' and 'arv'; got keys {sorted(unknown)}")
            else:
                rms, arv = v, None
            checked = []
            for name, val in (("rms", rms), ("arv", arv)):
                if val is None:
                    checked.append(None)
                    continue
                try:
                    f = float(val)
                except (TypeError, ValueError):
                    raise ValidationError(
                        f"values[{key!r}] {name} must be a number in V; got {val!r}") from None
                if not (math.isfinite(f) and f > 0):
                    raise ValidationError(
                        f"values[{key!r}] {name} must be a finite amplitude > 0 V; got {val!r}")
                checked.append(f)
            muscle = side = None
            try:
                ref = parse_muscle(str(key))
                muscle, side = ref.muscle, ref.side
            except ValidationError:
                pass
            rows.append({"channel": str(key), "muscle": muscle, "side": side,
                         "method": method, "rms_v": checked[0], "arv_v": checked[1],
                         "window_s": None, "n_segments": None, "status": STATUS_OK,
                         "reason": None})
        return cls(rows, REFERENCE_COLUMNS,
                   {"method": method, "source": source, "window_s": None, "explicit": True})

    def lookup(self, channel: str, muscle: str | None = None,
               side: str | None = None) -> dict[str, Any] | None:
        """The reference row for a channel: by channel name, else by muscle and side,
        else (explicit values only) by muscle without side."""
        for r in self.rows:
            if r["channel"] == channel:
                return r
        if muscle is None:
            return None
        for r in self.rows:
            if r["muscle"] == muscle and r["side"] == side:
                return r
        if self.meta.get("explicit"):
            for r in self.rows:
                if r["muscle"] == muscle and r["side"] is None:
                    return r
        return None


# ------------------------------------------------------------ computations
def _amount_values(x: np.ndarray, sfreq: float, measures: Sequence[str],
                   n_peak: int) -> dict[str, float | str]:
    out: dict[str, float | str] = {}
    for m in measures:
        if m == "rms":
            out[m] = float(np.sqrt(np.mean(x * x)))
        elif m == "arv":
            out[m] = float(np.mean(np.abs(x)))
        elif m == "iemg":
            out[m] = float(np.sum(np.abs(x)) / sfreq)
        else:
            env = moving_rms_valid(x, n_peak)
            out[m] = (float(env.max()) if env.size else
                      f"segment ({x.size} samples) shorter than the peak window "
                      f"({n_peak} samples)")
    return out


def _check_measures(measures: Any) -> tuple[str, ...]:
    if isinstance(measures, str):
        measures = (measures,)
    try:
        ms = tuple(measures)
    except TypeError:
        raise ValidationError(f"measures must be a sequence of names; got {measures!r}") from None
    if not ms:
        raise ValidationError(f"measures must name at least one of {', '.join(MEASURES)}")
    for m in ms:
        check_option("measures", m, MEASURES)
    return tuple(dict.fromkeys(ms))


def compute_amount(
    rec: Recording,
    *,
    windows: Any = None,
    trials: str | None = "trial",
    phases: str | Sequence[str] | None = None,
    measures: Sequence[str] = MEASURES,
    picks: Any = None,
    peak_window_s: float = PEAK_WINDOW_S,
    reference: Any = None,
    reference_window_s: float = MVC_WINDOW_S,
    rail_v: float | None = None,
) -> AmountTable:
    """Amplitude of each channel over windows, trials or phases.

    Parameters
    ----------
    rec : Recording
        EMG in volts, band-passed (a DC offset inflates every measure: a warning
        says so).
    windows : sequence of (start_s, stop_s) or mapping name -> (start_s, stop_s), optional
        Explicit windows, s from the first sample; they take precedence over events.
    trials : str or None
        Label of the events that delimit trials (default ``"trial"``); each event
        with a duration is a segment.  None: no trial segments.
    phases : str or sequence of str, optional
        Labels of phase events (``"flexion"``, ``"hold"``...), each a segment too.
        Without windows, trial or phase events the whole recording is one segment
        (``segment="all"``).
    measures : sequence of {"rms", "arv", "iemg", "peak"}
        What to compute (see the module notes).
    picks : optional
        Channels (default: every EMG channel); as :meth:`Recording.pick`.
    peak_window_s : float
        Moving-RMS window of the ``peak`` measure, s (default 0.25 s).
    reference : optional
        Normalise the result: a :class:`NormalizationReference`, a Recording (an MVC
        recording: see :func:`compute_mvc_reference`), a mapping channel/muscle -> V,
        or ``"mvc"`` / ``"rvc"`` / ``"peak"`` to take the reference from ``rec``
        itself (events ``"mvc"``, ``"rvc"``, or the trials).  See :func:`normalize`.
    reference_window_s : float
        Window of the reference when it is computed here (default 0.5 s).
    rail_v : float, optional
        Amplifier rail for the railed check (default ``meta["rail_v"]`` or the Cyton's
        187.5 mV).

    Returns
    -------
    AmountTable
        One row per channel x segment x measure.  Flat, railed or non-finite
        channel segments give rows with ``status="not_assessable"`` and a reason.

    Raises
    ------
    ValidationError
        For a window outside the recording, an unknown measure, phase label or
        channel, or a peak window shorter than one sample.

    Examples
    --------
    >>> amount = compute_amount(rec, reference="mvc")          # doctest: +SKIP
    >>> amount.to_dataframe().pivot_table("value", "channel", "measure")  # doctest: +SKIP
    """
    ms = _check_measures(measures)
    sfreq = rec.sfreq
    n_peak = n_samples("peak_window_s", peak_window_s, sfreq)
    segs = resolve_segments(rec, windows=windows, trials=trials, phases=phases)
    idx = emg_indices(rec, picks)
    rail = rail_of(rec, rail_v)
    warn_dc(rec, idx, "compute_amount")
    data = rec.data
    rows = []
    for i in idx:
        info = channel_info(rec, i)
        for seg in segs:
            i0, i1 = seg.samples(sfreq, rec.n_times)
            x = data[i, i0:i1]
            reason = assess(x, rail_v=rail)
            vals = _amount_values(x, sfreq, ms, n_peak) if reason is None else {}
            for m in ms:
                v = vals.get(m, reason)
                ok = isinstance(v, float)
                rows.append({**info, **seg.as_row(), "measure": m,
                             "value": v if ok else math.nan, "unit": UNITS[m],
                             "reference_v": None,
                             "status": STATUS_OK if ok else STATUS_NA,
                             "reason": None if ok else str(v)})
    meta = {"measures": list(ms), "peak_window_s": n_peak / sfreq, "sfreq": sfreq,
            "segments": [s.as_row() for s in segs], "normalization": None,
            "rail_v": rail}
    table = AmountTable(rows, AMOUNT_COLUMNS, meta)
    if reference is not None:
        if isinstance(reference, str):
            check_option("reference", reference, NORM_METHODS)
            reference = compute_mvc_reference(rec, method=reference,
                                              window_s=reference_window_s, picks=picks,
                                              rail_v=rail_v)
        table = normalize(table, reference, window_s=reference_window_s)
    return table


def compute_mvc_reference(
    rec: Recording,
    *,
    method: str = "mvc",
    window_s: float = MVC_WINDOW_S,
    label: str | None = None,
    windows: Any = None,
    picks: Any = None,
    rail_v: float | None = None,
) -> NormalizationReference:
    """Reference amplitudes for normalisation (MVC, RVC or peak dynamic).

    Parameters
    ----------
    rec : Recording
        A separate MVC (or RVC) recording, or the task recording holding the
        reference contractions as events.
    method : {"mvc", "rvc", "peak"}
        ``"mvc"`` and ``"peak"``: largest RMS over any ``window_s`` window inside the
        reference segments (and the largest ARV likewise).  ``"rvc"``: RMS (and ARV)
        over all samples of the reference segments.  See the module notes.
    window_s : float
        Window of the maximum, s (default 0.5 s).
    label : str, optional
        Label of the events that mark the reference contractions (default ``"mvc"``,
        ``"rvc"``, or ``"trial"`` for ``"peak"``).  If the recording has none, the
        whole recording is the reference segment (a separate MVC recording).
        Every channel takes its maximum over all these events (one event per muscle
        is the usual MVC block).
    windows : sequence of (start_s, stop_s), optional
        Explicit reference windows instead of events.
    picks : optional
        Channels (default every EMG channel).
    rail_v : float, optional
        Amplifier rail for the railed check.

    Returns
    -------
    NormalizationReference
        One row per channel with ``rms_v`` and ``arv_v``; a channel whose reference
        segments are all flat, railed or shorter than the window is not assessable.
    """
    check_option("method", method, NORM_METHODS)
    sfreq = rec.sfreq
    n_win = n_samples("window_s", window_s, sfreq)
    lab = DEFAULT_LABELS[method] if label is None else label
    if not isinstance(lab, str):
        raise ValidationError(f"label must be an event label (str); got {label!r}")
    if windows is not None:
        segs = resolve_segments(rec, windows=windows)
        source = f"windows {[(s.start, s.stop) for s in segs]}"
    else:
        segs = resolve_segments(rec, windows=None, trials=lab)
        if segs[0].label == "all":
            source = f"whole recording ({rec.duration:.3f} s; no {lab!r} events)"
        else:
            source = f"{len(segs)} event(s) labelled {lab!r}"
    idx = emg_indices(rec, picks)
    rail = rail_of(rec, rail_v)
    warn_dc(rec, idx, "compute_mvc_reference")
    rows = []
    for i in idx:
        info = channel_info(rec, i)
        best_rms = best_arv = -1.0
        sum_sq = sum_abs = 0.0
        n_tot = 0
        n_used = 0
        reasons = []
        for seg in segs:
            i0, i1 = seg.samples(sfreq, rec.n_times)
            x = rec.data[i, i0:i1]
            reason = assess(x, rail_v=rail)
            if reason is None and method != "rvc" and x.size < n_win:
                reason = (f"segment {seg.start:g}-{seg.stop:g} s shorter than the "
                          f"{n_win / sfreq:g} s window")
            if reason is not None:
                reasons.append(reason)
                continue
            n_used += 1
            if method == "rvc":
                sum_sq += float(np.sum(x * x))
                sum_abs += float(np.sum(np.abs(x)))
                n_tot += x.size
            else:
                best_rms = max(best_rms, float(moving_rms_valid(x, n_win).max()))
                best_arv = max(best_arv, float(moving_mean_valid(np.abs(x), n_win).max()))
        if n_used == 0:
            rms = arv = math.nan
            status, why = STATUS_NA, "; ".join(dict.fromkeys(reasons)) or "no segment"
        else:
            if method == "rvc":
                rms, arv = math.sqrt(sum_sq / n_tot), sum_abs / n_tot
            else:
                rms, arv = best_rms, best_arv
            status, why = STATUS_OK, None
            if not rms > 0:
                status, why = STATUS_NA, "reference amplitude is 0"
        rows.append({**info, "method": method, "rms_v": rms, "arv_v": arv,
                     "window_s": None if method == "rvc" else n_win / sfreq,
                     "n_segments": n_used, "status": status, "reason": why})
    meta = {"method": method, "window_s": None if method == "rvc" else n_win / sfreq,
            "label": lab, "source": source, "sfreq": sfreq, "explicit": False,
            "segments": [s.as_row() for s in segs]}
    return NormalizationReference(rows, REFERENCE_COLUMNS, meta)


def normalize(
    table: AmountTable,
    reference: Any,
    *,
    method: str | None = None,
    window_s: float = MVC_WINDOW_S,
) -> AmountTable:
    """Express an amount table relative to reference amplitudes (%MVC, %RVC, %peak).

    Parameters
    ----------
    table : AmountTable
        Output of :func:`compute_amount` (not yet normalised).
    reference : NormalizationReference, Recording or mapping
        A reference from :func:`compute_mvc_reference`; a Recording to compute it
        from (with ``method`` and ``window_s``); or explicit values in V per channel
        or muscle (see :meth:`NormalizationReference.from_values`).  Channels are
        matched by name, then by muscle and side.
    method : {"mvc", "rvc", "peak"}, optional
        Method for a Recording or explicit values (default ``"mvc"``).
    window_s : float
        Window for a reference computed from a Recording (default 0.5 s).

    Returns
    -------
    AmountTable
        ``value = 100 * raw / reference`` with unit ``%MVC`` (``%MVC*s`` for iEMG);
        rows without a usable reference are not assessable.
        ``meta["normalization"]`` holds method, unit, window, source and the
        reference per channel.
    """
    if not isinstance(table, AmountTable):
        raise ValidationError(
            f"table must be an AmountTable from compute_amount; got {type(table).__name__}")
    if table.normalized:
        raise ValidationError("table is already normalised "
                              f"({table.meta['normalization'].get('unit')})")
    ref = _as_reference(reference, window_s, method)
    if method is not None and method != ref.method:
        raise ValidationError(
            f"method={method!r} contradicts the reference's method {ref.method!r}")
    tag = NORM_TAGS[ref.method]
    rows = []
    used: dict[str, dict[str, Any]] = {}
    for r in table.rows:
        r = dict(r)
        m = r["measure"]
        stat = "rms_v" if m in ("rms", "peak") else "arv_v"
        r["unit"] = f"%{tag}*s" if m == "iemg" else f"%{tag}"
        rr = ref.lookup(r["channel"], r["muscle"], r["side"])
        why = None
        if rr is None:
            why = f"no {tag} reference for channel {r['channel']!r}"
        elif rr["status"] != STATUS_OK:
            why = f"{tag} reference not assessable: {rr['reason']}"
        elif rr[stat] is None or not (rr[stat] > 0):
            why = f"{tag} reference has no {stat[:3].upper()} value"
        if rr is not None and rr["status"] == STATUS_OK:
            used[r["channel"]] = {"rms_v": rr["rms_v"], "arv_v": rr["arv_v"],
                                  "reference_row": rr["channel"]}
        if why is None:
            r["reference_v"] = float(rr[stat])
            if r["status"] == STATUS_OK:
                r["value"] = 100.0 * r["value"] / r["reference_v"]
        elif r["status"] == STATUS_OK:
            r.update(value=math.nan, status=STATUS_NA, reason=why)
        rows.append(r)
    meta = dict(table.meta)
    meta["normalization"] = {"method": ref.method, "unit": f"%{tag}",
                             "window_s": ref.meta.get("window_s"),
                             "source": ref.meta.get("source"), "references": used,
                             "rms_measures": "rms and peak / reference RMS",
                             "arv_measures": "arv and iemg / reference ARV"}
    return AmountTable(rows, table.columns, meta)



# ---------------------------------------------------------------- envelopes
ENVELOPE_KINDS = ("linear", "rms", "arv")


class Envelopes:
    """Amplitude envelopes of EMG channels, optionally normalised (%MVC).

    Attributes
    ----------
    data : ndarray, shape (n_channels, n_times)
        Envelopes in V, or in %MVC (%RVC, %peak) when normalised.
    sfreq : float
        Sampling rate of ``data``, Hz (lower than the recording's if resampled).
    channels, muscles, sides : list
        Per channel.
    status, reason : list
        ``"ok"`` / ``"not_assessable"`` and why, per channel.
    unit : str
        ``"V"`` or ``"%MVC"``...
    meta : dict
        Method, parameters and normalisation.
    """

    def __init__(self, data: np.ndarray, sfreq: float, channels: Sequence[str],
                 muscles: Sequence[str | None], sides: Sequence[str | None],
                 status: Sequence[str], reason: Sequence[str | None], unit: str,
                 meta: Mapping[str, Any], t0: float = 0.0) -> None:
        self.data = np.asarray(data, dtype=float)
        self.sfreq = float(sfreq)
        self.channels = list(channels)
        self.muscles = list(muscles)
        self.sides = list(sides)
        self.status = list(status)
        self.reason = list(reason)
        self.unit = unit
        self.meta = dict(meta)
        self.t0 = float(t0)

    @property
    def times(self) -> np.ndarray:
        """Sample times, s from the first sample of the recording."""
        return self.t0 + np.arange(self.data.shape[1]) / self.sfreq

    def index(self, key: str) -> list[int]:
        """Channel indices for a channel name or a muscle (both sides if no side)."""
        if key in self.channels:
            return [self.channels.index(key)]
        ref = parse_muscle(key)
        out = [i for i, (m, s) in enumerate(zip(self.muscles, self.sides))
               if m == ref.muscle and (ref.side is None or s == ref.side)]
        if not out:
            raise ValidationError(
                f"{key!r} is neither a channel ({', '.join(self.channels)}) nor a muscle "
                "recorded here")
        return out

    def __repr__(self) -> str:
        return (f"<Envelopes | {len(self.channels)} channels, {self.data.shape[1]} samples "
                f"at {self.sfreq:g} Hz, {self.unit}>")


def _envelope_array(x: np.ndarray, sfreq: float, method: str, cutoff: float,
                    window_s: float) -> np.ndarray:
    """Zero-phase envelope rows (uses emgcontrol.signal when available)."""
    try:
        from ..signal import envelope as _sig_envelope
    except ImportError:  # pragma: no cover - signal package absent
        _sig_envelope = None
    if _sig_envelope is not None:
        return np.asarray(_sig_envelope(x, sfreq, method, window=window_s, cutoff=cutoff,
                                        phase="zero"), dtype=float)
    from ._common import moving_centred  # pragma: no cover - fallback

    if method == "linear":  # pragma: no cover
        from scipy.signal import butter, sosfiltfilt

        sos = butter(2, cutoff, btype="lowpass", fs=sfreq, output="sos")
        return sosfiltfilt(sos, np.abs(x), axis=-1)
    n = max(1, int(round(window_s * sfreq)))  # pragma: no cover
    if method == "rms":  # pragma: no cover
        return np.sqrt(np.maximum(moving_centred(x * x, n), 0.0))
    return moving_centred(np.abs(x), n)  # pragma: no cover


def compute_envelopes(
    rec: Recording,
    *,
    reference: Any = None,
    method: str = "linear",
    cutoff: float = 6.0,
    window_s: float = 0.05,
    picks: Any = None,
    resample_hz: float | None = None,
    reference_window_s: float = MVC_WINDOW_S,
    rail_v: float | None = None,
) -> Envelopes:
    """Amplitude envelopes of the EMG channels, normalised to a reference if given.

    Parameters
    ----------
    rec : Recording
        Band-passed EMG (V).
    reference : optional
        As for :func:`compute_amount` (a NormalizationReference, an MVC Recording,
        explicit values, or ``"mvc"``/``"rvc"``/``"peak"`` from ``rec``).  Linear and
        ARV envelopes are divided by the reference ARV, RMS envelopes by its RMS.
    method : {"linear", "rms", "arv"}
        Linear envelope (full-wave rectification + 2nd-order Butterworth low-pass at
        ``cutoff`` Hz, zero phase: Winter 2009), or moving RMS / ARV over
        ``window_s`` (centred).
    cutoff : float
        Low-pass cut-off of the linear envelope, Hz (default 6 Hz).
    window_s : float
        Window of the RMS/ARV envelopes, s (default 50 ms).
    picks : optional
        Channels (default all EMG).
    resample_hz : float, optional
        Keep one sample every ``sfreq / resample_hz`` (after the low-pass; e.g. 50 Hz
        for synergy analysis).  Must not exceed ``sfreq``.
    reference_window_s : float
        Window of a reference computed here.
    rail_v : float, optional
        Amplifier rail for the railed check.

    Returns
    -------
    Envelopes
        Flat, railed or non-finite channels are marked not assessable (their
        envelope is NaN).
    """
    check_option("method", method, ENVELOPE_KINDS)
    sfreq = rec.sfreq
    idx = emg_indices(rec, picks)
    rail = rail_of(rec, rail_v)
    x = rec.data[idx]
    status, reason = [], []
    for k in range(len(idx)):
        why = assess(x[k], rail_v=rail)
        status.append(STATUS_OK if why is None else STATUS_NA)
        reason.append(why)
    good = [k for k, s in enumerate(status) if s == STATUS_OK]
    env = np.full(x.shape, np.nan)
    if good:
        env[good] = _envelope_array(np.ascontiguousarray(x[good]), sfreq, method, cutoff,
                                    window_s)
    info = [channel_info(rec, i) for i in idx]
    unit = "V"
    norm = None
    if reference is not None:
        if isinstance(reference, str):
            check_option("reference", reference, NORM_METHODS)
            reference = compute_mvc_reference(rec, method=reference,
                                              window_s=reference_window_s, picks=picks,
                                              rail_v=rail_v)
        ref = _as_reference(reference, reference_window_s)
        stat = "rms_v" if method == "rms" else "arv_v"
        used = {}
        for k, inf in enumerate(info):
            rr = ref.lookup(inf["channel"], inf["muscle"], inf["side"])
            if rr is None or rr["status"] != STATUS_OK or not (rr[stat] or 0) > 0:
                if status[k] == STATUS_OK:
                    status[k] = STATUS_NA
                    reason[k] = (f"no usable {NORM_TAGS[ref.method]} reference "
                                 f"({stat[:3].upper()}) for channel {inf['channel']!r}")
                env[k] = np.nan
                continue
            env[k] = 100.0 * env[k] / rr[stat]
            used[inf["channel"]] = float(rr[stat])
        unit = ref.unit
        norm = {"method": ref.method, "unit": unit, "statistic": stat,
                "window_s": ref.meta.get("window_s"), "source": ref.meta.get("source"),
                "references": used}
    fs_out = sfreq
    if resample_hz is not None:
        r = float(resample_hz)
        if not (math.isfinite(r) and 0 < r <= sfreq):
            raise ValidationError(
                f"resample_hz must be within (0, sfreq={sfreq:g}] Hz; got {resample_hz!r}")
        step = max(1, int(round(sfreq / r)))
        env = env[:, ::step]
        fs_out = sfreq / step
    meta = {"method": method, "cutoff_hz": cutoff if method == "linear" else None,
            "window_s": window_s if method != "linear" else None, "phase": "zero",
            "sfreq": fs_out, "normalization": norm}
    return Envelopes(env, fs_out, [d["channel"] for d in info], [d["muscle"] for d in info],
                     [d["side"] for d in info], status, reason, unit, meta)


def _as_reference(reference: Any, window_s: float, method: str | None = None
                  ) -> NormalizationReference:
    """A NormalizationReference from a reference, a Recording or explicit values."""
    from ..recording import Recording

    if isinstance(reference, NormalizationReference):
        return reference
    if isinstance(reference, Recording):
        return compute_mvc_reference(reference, method=method or "mvc", window_s=window_s)
    if isinstance(reference, Mapping):
        return NormalizationReference.from_values(reference, method=method or "mvc")
    raise ValidationError(
        "reference must be a NormalizationReference, a Recording, a mapping "
        f"channel/muscle -> V or 'mvc'/'rvc'/'peak'; got {type(reference).__name__}")
