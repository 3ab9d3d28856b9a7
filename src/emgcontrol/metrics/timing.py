"""When: onset latencies, relative latencies, firing order, durations, movement onset.

Timing metrics read an activation table -- an :class:`emgcontrol.onset.Activations`
or a DataFrame with columns ``channel, onset, offset`` (and ``muscle, side,
trial``) -- and per trial use each channel's **first** activation onset in that
trial.  Onsets marked ``onset_censored`` (the muscle was already active at the
recording's or the trial's start, so the onset was not observed) are not used.
Trials are the ``trial`` values of the table (the index of the ``"trial"``
event containing the onset); a table without trials is one trial (``None``).

Movement onset from the accelerometer (:func:`detect_movement_onset`)
    Per trial, the acceleration vector is smoothed (centred moving mean,
    ``smooth_s``) and its deviation from the mean vector of a quiet baseline
    window, ``d(t) = ||a(t) - a_baseline||`` (g), is compared with
    ``mean_b(d) + max(threshold_sd * sd_b(d), min_threshold_g)``.  The first
    crossing held for ``min_duration_s`` marks a movement; the onset is the last
    sample before it at which ``d`` was still at or below its baseline mean
    (back-tracking, which removes the delay of the threshold): within
    ``backtrack_sd`` baseline SDs of its baseline mean.  ``d`` includes the
    change of the gravity projection and the dynamic acceleration, so any
    rotation or translation of the sensor counts.  The Cyton sends accelerometer
    samples at 25 Hz only: its onsets are late by up to 40 ms.

Summary across trials (:func:`summarize_timing`, :class:`FiringOrder`)
    Per channel (or pair): n, median, quartiles and IQR, mean, SD, min, max.
    Consistency of the firing order: the share of trials with the modal order
    (trials where every channel fired), and Kendall's coefficient of concordance
    ``W = 12 S / (m^2 (n^3 - n) - m T)`` over ``m`` trials ranking ``n`` channels
    (``S`` the sum of squared deviations of the rank sums from their mean, ``T``
    the tie correction ``sum(t^3 - t)``): 1 when every trial has the same order, 0
    for no agreement (Kendall & Babington Smith 1939; Legendre 2005).

References
----------
Kendall MG, Babington Smith B (1939) The problem of m rankings. Ann Math Stat
10:275-287.
Legendre P (2005) Species associations: the Kendall coefficient of concordance
revisited. J Agric Biol Environ Stat 10:226-245.
Hodges PW, Richardson CA (1996) Inefficient muscular stabilization of the lumbar
spine associated with low back pain. Spine 21:2640-2650 (onset latencies relative
to the prime mover / movement).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validate import check_positive
from ..errors import ValidationError
from ._common import (STATUS_NA, STATUS_OK, MetricTable, activation_rows, channels_for,
                      moving_centred, n_samples, resolve_segments)

if TYPE_CHECKING:  # pragma: no cover
    from ..recording import Recording

__all__ = [
    "detect_movement_onset",
    "compute_latencies",
    "compute_relative_latencies",
    "compute_firing_order",
    "compute_durations",
    "summarize_timing",
    "kendall_w",
    "FiringOrder",
]


# ------------------------------------------------------------ movement onset
MOVEMENT_COLUMNS = ("trial", "segment", "index", "start_s", "stop_s", "onset_s",
                    "threshold_g", "baseline_mean_g", "baseline_sd_g", "peak_g", "status",
                    "reason")


def detect_movement_onset(
    rec: Recording,
    *,
    picks: Any = "acc",
    trials: str | None = "trial",
    windows: Any = None,
    baseline: tuple[float, float] = (0.0, 0.5),
    threshold_sd: float = 5.0,
    min_threshold_g: float = 0.002,
    smooth_s: float = 0.02,
    min_duration_s: float = 0.1,
    backtrack_sd: float = 2.0,
) -> MetricTable:
    """Movement onset per trial from the accelerometer channel(s).

    Parameters
    ----------
    rec : Recording
        With accelerometer channels (type ``"acc"``, g).
    picks : optional
        Accelerometer channels (default all ``"acc"`` channels; the magnitude of
        the deviation is taken over them).
    trials : str or None
        Label of the trial events; one onset per trial (the first movement).
        Without trial events the whole recording is searched.
    windows : sequence of (start_s, stop_s), optional
        Search windows instead of trials.
    baseline : (float, float)
        Quiet baseline, s relative to the start of each trial/window (default the
        first 0.5 s).
    threshold_sd : float
        Threshold in baseline SDs of the deviation above its baseline mean.
    min_threshold_g : float
        Smallest threshold above the baseline mean, g (for very quiet or quantised
        sensors).
    smooth_s : float
        Centred moving-mean smoothing, s.
    min_duration_s : float
        The deviation must stay above the threshold this long, s.
    backtrack_sd : float
        The onset is the last sample before the crossing at which the deviation was
        within ``backtrack_sd`` baseline SDs of its baseline mean (default 2).

    Returns
    -------
    MetricTable
        Kind ``"movement_onset"``: ``trial, segment, index, start_s, stop_s, onset_s,
        threshold_g, baseline_mean_g, baseline_sd_g, peak_g, status, reason``.
        A trial without a movement (or a flat sensor) is not assessable.
    """
    idx = rec._pick_indices(picks)
    idx = [i for i in idx if rec.ch_types[i] == "acc"] if picks == "acc" else idx
    if not idx:
        raise ValidationError(
            "detect_movement_onset needs accelerometer channels (type 'acc'); the recording "
            f"has types {', '.join(sorted(set(rec.ch_types)))}")
    sfreq = rec.sfreq
    b0, b1 = _pair("baseline", baseline)
    if not 0 <= b0 < b1:
        raise ValidationError(f"baseline needs 0 <= start < stop (s); got {baseline!r}")
    thr_sd = check_positive("threshold_sd", threshold_sd)
    thr_min = check_positive("min_threshold_g", min_threshold_g, allow_zero=True)
    n_smooth = n_samples("smooth_s", smooth_s, sfreq)
    n_hold = max(1, int(round(check_positive("min_duration_s", min_duration_s) * sfreq)))
    back_k = check_positive("backtrack_sd", backtrack_sd, allow_zero=True)
    segs = resolve_segments(rec, windows=windows, trials=trials)
    acc = rec.data[idx]
    rows = []
    for seg in segs:
        i0, i1 = seg.samples(sfreq, rec.n_times)
        base = {**seg.as_row()}
        if seg.label == "trial":
            base["trial"] = seg.index
        j0, j1 = int(round(b0 * sfreq)), int(round(b1 * sfreq))
        if i0 + j1 > i1 or j1 - j0 < 2:
            raise ValidationError(
                f"baseline {baseline!r} s does not fit in {seg.label} {seg.index} "
                f"({seg.stop - seg.start:.3f} s) with >= 2 samples")
        a = acc[:, i0:i1]
        if not np.all(np.isfinite(a)):
            rows.append({**base, "onset_s": math.nan, "threshold_g": math.nan,
                         "baseline_mean_g": math.nan, "baseline_sd_g": math.nan,
                         "peak_g": math.nan, "status": STATUS_NA,
                         "reason": "non-finite accelerometer samples"})
            continue
        sm = moving_centred(a, n_smooth)
        ref = sm[:, j0:j1].mean(axis=1, keepdims=True)
        d = np.sqrt(np.sum((sm - ref) ** 2, axis=0))
        mu, sd = float(d[j0:j1].mean()), float(d[j0:j1].std())
        thr = mu + max(thr_sd * sd, thr_min)
        above = d > thr
        above[:j1] = False
        onset = None
        k = j1
        n = d.size
        while k < n:
            hits = np.flatnonzero(above[k:])
            if hits.size == 0:
                break
            s = k + int(hits[0])
            run_end = s + int(np.argmin(above[s:])) if not above[s:].all() else n
            if run_end - s >= n_hold or run_end == n and n - s >= n_hold:
                back = np.flatnonzero(d[j1:s + 1] <= mu + back_k * sd)
                first = j1 + int(back[-1]) + 1 if back.size else j1
                onset = first
                break
            k = run_end
        row = {**base, "threshold_g": thr, "baseline_mean_g": mu, "baseline_sd_g": sd,
               "peak_g": float(d[j1:].max()) if n > j1 else math.nan}
        if onset is None:
            reason = ("flat accelerometer" if float(np.ptp(a)) == 0.0
                      else "no movement above the threshold")
            row.update(onset_s=math.nan, status=STATUS_NA, reason=reason)
        else:
            row.update(onset_s=(i0 + onset) / sfreq, status=STATUS_OK, reason=None)
        rows.append(row)
    meta = {"method": "acceleration deviation from baseline, threshold + back-tracking",
            "channels": [rec.ch_names[i] for i in idx], "baseline_s": [b0, b1],
            "threshold_sd": thr_sd, "min_threshold_g": thr_min,
            "smooth_s": n_smooth / sfreq, "min_duration_s": n_hold / sfreq,
            "backtrack_sd": back_k, "sfreq": sfreq}
    return MetricTable(rows, MOVEMENT_COLUMNS, meta, kind="movement_onset")


def _pair(name: str, v: Any) -> tuple[float, float]:
    try:
        a, b = (float(x) for x in v)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a pair of numbers (s); got {v!r}") from None
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValidationError(f"{name} must be finite; got {v!r}")
    return a, b


# ---------------------------------------------------------- first onsets
def _first_onsets(act: list[dict[str, Any]]) -> dict[Any, dict[str, float]]:
    """trial -> {channel: first observed onset} (censored onsets are not onsets)."""
    out: dict[Any, dict[str, float]] = {}
    for r in act:
        if r["onset_censored"]:
            continue
        d = out.setdefault(r["trial"], {})
        if r["channel"] not in d or r["onset"] < d[r["channel"]]:
            d[r["channel"]] = r["onset"]
    return out


def _trial_ids(act: list[dict[str, Any]], trials: Sequence[int] | None) -> list[Any]:
    if trials is not None:
        return sorted({int(t) for t in trials})
    ids = sorted({r["trial"] for r in act if r["trial"] is not None})
    if not ids:
        return [None]
    return ids


def _select_channels(chans: list[dict[str, Any]], channels: Sequence[str] | None
                     ) -> list[dict[str, Any]]:
    if channels is None:
        return chans
    names = [c["channel"] for c in chans]
    muscles = [c["muscle"] for c in chans]
    sides = [c["side"] for c in chans]
    out = []
    for key in channels:
        for i in channels_for(key, names, muscles, sides, "channels"):
            if chans[i] not in out:
                out.append(chans[i])
    return out


# --------------------------------------------------------------- latencies
LATENCY_COLUMNS = ("trial", "channel", "muscle", "side", "reference", "reference_s",
                   "onset_s", "latency_s", "status", "reason")


def _resolve_reference(reference: Any, act: list[dict[str, Any]], chans: list[dict[str, Any]],
                       trial_ids: list[Any], rec: Recording | None
                       ) -> tuple[str, dict[Any, float | None], dict[Any, str]]:
    """Reference time per trial and a description."""
    why: dict[Any, str] = {}
    if isinstance(reference, MetricTable) and reference.kind == "movement_onset":
        times = {r["trial"]: (r["onset_s"] if r["status"] == STATUS_OK else None)
                 for r in reference.rows}
        for r in reference.rows:
            if r["status"] != STATUS_OK:
                why[r["trial"]] = f"movement onset: {r['reason']}"
        return "movement", {t: times.get(t) for t in trial_ids}, why
    if isinstance(reference, Mapping):
        return "given", {t: _num(reference.get(t)) for t in trial_ids}, why
    if isinstance(reference, (list, tuple, np.ndarray)) and not isinstance(reference, str):
        vals = list(reference)
        out = {}
        for k, t in enumerate(trial_ids):
            key = t if t is not None else k
            out[t] = _num(vals[key]) if isinstance(key, int) and 0 <= key < len(vals) else None
        return "given", out, why
    if not isinstance(reference, str):
        raise ValidationError(
            "reference must be 'movement', an event label ('event:cue'), a channel or "
            "muscle ('muscle:anterior deltoid R'), a movement-onset table, or times per "
            f"trial; got {reference!r}")
    kind, _, name = reference.partition(":")
    if not name:
        kind, name = "", reference
    if kind not in ("", "event", "muscle", "channel", "movement"):
        raise ValidationError(
            f"reference prefix must be 'event:', 'muscle:' or 'channel:'; got {reference!r}")
    if kind == "movement" or (kind == "" and name == "movement"):
        if rec is None:
            raise ValidationError(
                "reference='movement' needs rec= (a Recording with accelerometer channels) "
                "or a table from detect_movement_onset as reference")
        table = detect_movement_onset(rec)
        return _resolve_reference(table, act, chans, trial_ids, rec)
    labels = {e.label for e in rec.events} if rec is not None else set()
    if kind == "event" or (kind == "" and name in labels):
        if rec is None:
            raise ValidationError(f"reference {reference!r} (an event) needs rec=")
        evs = sorted(e.onset for e in rec.events if e.label == name)
        if not evs:
            raise ValidationError(
                f"no event labelled {name!r} (labels: {', '.join(sorted(labels)) or 'none'})")
        trials = [(e.onset, e.onset + e.duration) for e in rec.events
                  if e.label == "trial" and e.duration > 0]
        out: dict[Any, float | None] = {}
        for t in trial_ids:
            if t is None:
                out[t] = evs[0]
            elif t < len(trials):
                a, b = trials[t]
                inside = [e for e in evs if a <= e < b]
                out[t] = inside[0] if inside else None
                if not inside:
                    why[t] = f"no {name!r} event in trial {t}"
            else:
                out[t] = None
                why[t] = f"trial {t} is not among the recording's trial events"
        return f"event:{name}", out, why
    # a channel or muscle
    names = [c["channel"] for c in chans]
    idx = channels_for(name, names, [c["muscle"] for c in chans], [c["side"] for c in chans],
                       "reference")
    refs = [names[i] for i in idx]
    first = _first_onsets(act)
    out = {}
    for t in trial_ids:
        ons = [first.get(t, {}).get(c) for c in refs]
        ons = [o for o in ons if o is not None]
        out[t] = min(ons) if ons else None
        if not ons:
            why[t] = f"reference {'/'.join(refs)} has no activation in trial {t}"
    return f"muscle:{'/'.join(refs)}", out, why


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def compute_latencies(
    activations: Any,
    *,
    reference: Any = "movement",
    rec: Recording | None = None,
    channels: Sequence[str] | None = None,
    search: tuple[float, float] | None = None,
    trials: Sequence[int] | None = None,
) -> MetricTable:
    """Onset latency of each channel relative to a reference, per trial.

    ``latency = first onset in the trial - reference time`` (s; negative = before,
    e.g. feedforward trunk activation before the deltoid).

    Parameters
    ----------
    activations : Activations or DataFrame
        Onsets and offsets (see the module notes).
    reference : str, table, mapping or sequence
        ``"movement"`` (accelerometer onset, needs ``rec``), a table from
        :func:`detect_movement_onset`, an event label (``"cue"`` or ``"event:cue"``:
        the first such event in each trial, needs ``rec``), a channel or muscle
        (``"AD R"``, ``"muscle:right anterior deltoid"``: its first onset in the
        trial; a muscle on both sides takes the earlier), or reference times per
        trial (mapping trial -> s, or a sequence indexed by trial).
    rec : Recording, optional
        For movement or event references.
    channels : sequence of str, optional
        Channels or muscles to report (default all in the table).
    search : (float, float), optional
        Only onsets within ``[reference + lo, reference + hi]`` count (s).
    trials : sequence of int, optional
        Trials to report (default those in the table).

    Returns
    -------
    MetricTable
        Kind ``"latency"``: ``trial, channel, muscle, side, reference, reference_s,
        onset_s, latency_s, status, reason``.
    """
    act, chans, _ = activation_rows(activations)
    trial_ids = _trial_ids(act, trials)
    desc, ref_t, why_ref = _resolve_reference(reference, act, chans, trial_ids, rec)
    lo, hi = (-math.inf, math.inf) if search is None else _pair("search", search)
    if lo >= hi:
        raise ValidationError(f"search needs lo < hi; got {search!r}")
    sel = _select_channels(chans, channels)
    rows = []
    for t in trial_ids:
        r0 = ref_t.get(t)
        for c in sel:
            base = {"trial": t, "channel": c["channel"], "muscle": c["muscle"],
                    "side": c["side"], "reference": desc, "reference_s": r0}
            if c["status"] != STATUS_OK:
                rows.append({**base, "onset_s": math.nan, "latency_s": math.nan,
                             "status": STATUS_NA, "reason": c["reason"]})
                continue
            if r0 is None:
                rows.append({**base, "reference_s": math.nan, "onset_s": math.nan,
                             "latency_s": math.nan, "status": STATUS_NA,
                             "reason": why_ref.get(t, "no reference time")})
                continue
            ons = [r["onset"] for r in act if r["channel"] == c["channel"]
                   and (t is None or r["trial"] == t) and lo <= r["onset"] - r0 <= hi
                   and not r["onset_censored"]]
            if not ons:
                rows.append({**base, "onset_s": math.nan, "latency_s": math.nan,
                             "status": STATUS_NA,
                             "reason": "no activation" + ("" if search is None
                                                          else " in the search window")})
                continue
            on = min(ons)
            rows.append({**base, "onset_s": on, "latency_s": on - r0, "status": STATUS_OK,
                         "reason": None})
    meta = {"reference": desc, "search_s": None if search is None else [lo, hi],
            "onset": "first activation onset of the channel in the trial"}
    return MetricTable(rows, LATENCY_COLUMNS, meta, kind="latency")


REL_COLUMNS = ("trial", "channel_a", "channel_b", "muscle_a", "muscle_b", "onset_a_s",
               "onset_b_s", "latency_s", "status", "reason")


def compute_relative_latencies(
    activations: Any,
    *,
    pairs: Sequence[tuple[str, str]] | None = None,
    channels: Sequence[str] | None = None,
    trials: Sequence[int] | None = None,
) -> MetricTable:
    """Pairwise onset differences per trial: ``latency = onset_b - onset_a`` (s).

    Parameters
    ----------
    activations : Activations or DataFrame
    pairs : sequence of (a, b), optional
        Channels or muscles (muscles without side are paired side by side).
        Default: every pair of ``channels`` (a before b in table order).
    channels : sequence of str, optional
        Channels for the default pairs (default all).
    trials : sequence of int, optional
        Trials to report.

    Returns
    -------
    MetricTable
        Kind ``"relative_latency"``; positive latency = ``b`` after ``a``.
    """
    from ._common import resolve_pairs

    act, chans, _ = activation_rows(activations)
    trial_ids = _trial_ids(act, trials)
    names = [c["channel"] for c in chans]
    if pairs is None:
        sel = [names.index(c["channel"]) for c in _select_channels(chans, channels)]
        ij = [(sel[p], sel[q]) for p in range(len(sel)) for q in range(p + 1, len(sel))]
    else:
        ij = resolve_pairs(pairs, names, [c["muscle"] for c in chans],
                           [c["side"] for c in chans])
    first = _first_onsets(act)
    rows = []
    for t in trial_ids:
        f = first.get(t, {}) if t is not None else {
            k: v for d in first.values() for k, v in d.items()}
        for i, j in ij:
            ca, cb = chans[i], chans[j]
            base = {"trial": t, "channel_a": ca["channel"], "channel_b": cb["channel"],
                    "muscle_a": ca["muscle"], "muscle_b": cb["muscle"]}
            oa, ob = f.get(ca["channel"]), f.get(cb["channel"])
            bad = [c for c in (ca, cb) if c["status"] != STATUS_OK]
            if bad or oa is None or ob is None:
                why = ("; ".join(f"{c['channel']}: {c['reason']}" for c in bad) if bad else
                       "no activation of " + ", ".join(
                           c["channel"] for c, o in ((ca, oa), (cb, ob)) if o is None))
                rows.append({**base, "onset_a_s": oa if oa is not None else math.nan,
                             "onset_b_s": ob if ob is not None else math.nan,
                             "latency_s": math.nan, "status": STATUS_NA, "reason": why})
            else:
                rows.append({**base, "onset_a_s": oa, "onset_b_s": ob, "latency_s": ob - oa,
                             "status": STATUS_OK, "reason": None})
    return MetricTable(rows, REL_COLUMNS, {"definition": "onset_b - onset_a (first onsets)"},
                       kind="relative_latency")


# ----------------------------------------------------------- firing order
def _ranks(values: Sequence[float], tie_s: float) -> list[float]:
    """1-based ranks; values within ``tie_s`` of their neighbour share the mean rank."""
    order = sorted(range(len(values)), key=lambda k: values[k])
    ranks = [0.0] * len(values)
    g0 = 0
    for p in range(1, len(order) + 1):
        if p == len(order) or values[order[p]] - values[order[p - 1]] > tie_s:
            mean_rank = (g0 + 1 + p) / 2.0
            for q in range(g0, p):
                ranks[order[q]] = mean_rank
            g0 = p
    return ranks


def kendall_w(ranks: Any) -> float:
    """Kendall's coefficient of concordance with tie correction.

    Parameters
    ----------
    ranks : array_like, shape (m_raters, n_objects)
        Ranks given by each rater (trial) to each object (channel); ties share the
        mean rank.

    Returns
    -------
    float
        ``W = 12 S / (m^2 (n^3 - n) - m T)`` in [0, 1]; NaN if ``m < 2`` or ``n < 2``
        or every rater ties everything.
    """
    r = np.asarray(ranks, dtype=float)
    if r.ndim != 2:
        raise ValidationError(f"ranks must be 2-D (m_raters, n_objects); got {r.shape}")
    m, n = r.shape
    if m < 2 or n < 2:
        return math.nan
    s = float(np.sum((r.sum(axis=0) - m * (n + 1) / 2.0) ** 2))
    t = 0.0
    for row in r:
        _, counts = np.unique(row, return_counts=True)
        t += float(np.sum(counts.astype(float) ** 3 - counts))
    den = m * m * (n ** 3 - n) - m * t
    return 12.0 * s / den if den > 0 else math.nan


class FiringOrder(MetricTable):
    """Firing order per trial (output of :func:`compute_firing_order`).

    Rows: ``trial, channel, muscle, side, onset_s, rank, status, reason``
    (rank 1 = first; ties share the mean rank; a channel without activation in
    the trial has no rank).  :attr:`orders` gives each trial's order;
    ``meta["summary"]`` the modal order, its share and Kendall's W.
    """

    kind = "firing_order"

    @property
    def orders(self) -> dict[Any, tuple[str, ...]]:
        """Trial -> channels in order of first onset (channels that fired)."""
        return {t: tuple(o) for t, o in self.meta["orders"].items()}

    @property
    def summary(self) -> dict[str, Any]:
        """Modal order, share of trials with it, Kendall's W and the trials used."""
        return dict(self.meta["summary"])


ORDER_COLUMNS = ("trial", "channel", "muscle", "side", "onset_s", "rank", "status", "reason")


def compute_firing_order(
    activations: Any,
    *,
    channels: Sequence[str] | None = None,
    tie_s: float = 0.0,
    trials: Sequence[int] | None = None,
) -> FiringOrder:
    """Order of first onsets per trial and its consistency across trials.

    Parameters
    ----------
    activations : Activations or DataFrame
    channels : sequence of str, optional
        Channels or muscles to order (default all assessable channels).
    tie_s : float
        Onsets closer than this (s) count as simultaneous (shared rank).
    trials : sequence of int, optional
        Trials to report.

    Returns
    -------
    FiringOrder
        ``meta["summary"]``: ``modal_order`` (tuple of channels), ``modal_share``
        (fraction of the complete trials with that order), ``kendall_w``,
        ``n_trials_complete`` (trials where every channel fired).
    """
    tie = check_positive("tie_s", tie_s, allow_zero=True)
    act, chans, _ = activation_rows(activations)
    trial_ids = _trial_ids(act, trials)
    sel = _select_channels(chans, channels)
    first = _first_onsets(act)
    rows = []
    orders: dict[Any, list[str]] = {}
    complete_ranks = []
    complete_orders = []
    ok_chans = [c for c in sel if c["status"] == STATUS_OK]
    for t in trial_ids:
        f = first.get(t, {}) if t is not None else {
            k: v for d in first.values() for k, v in d.items()}
        fired = [c for c in ok_chans if c["channel"] in f]
        onsets = [f[c["channel"]] for c in fired]
        rk = _ranks(onsets, tie)
        rank_of = {c["channel"]: r for c, r in zip(fired, rk)}
        order = [c["channel"] for c in sorted(fired, key=lambda c: f[c["channel"]])]
        orders[t] = order
        for c in sel:
            base = {"trial": t, "channel": c["channel"], "muscle": c["muscle"],
                    "side": c["side"]}
            if c["status"] != STATUS_OK:
                rows.append({**base, "onset_s": math.nan, "rank": None, "status": STATUS_NA,
                             "reason": c["reason"]})
            elif c["channel"] not in f:
                rows.append({**base, "onset_s": math.nan, "rank": None, "status": STATUS_NA,
                             "reason": "no activation in the trial"})
            else:
                rows.append({**base, "onset_s": f[c["channel"]], "rank": rank_of[c["channel"]],
                             "status": STATUS_OK, "reason": None})
        if len(fired) == len(ok_chans) and ok_chans:
            complete_ranks.append([rank_of[c["channel"]] for c in ok_chans])
            # ties become groups so that orders compare fairly
            groups: list[list[str]] = []
            for ch in order:
                if groups and rank_of[ch] == rank_of[groups[-1][0]]:
                    groups[-1].append(ch)
                else:
                    groups.append([ch])
            complete_orders.append(tuple(tuple(sorted(g)) if len(g) > 1 else g[0]
                                         for g in groups))
    if complete_orders:
        modal, count = Counter(complete_orders).most_common(1)[0]
        share = count / len(complete_orders)
    else:
        modal, share = None, math.nan
    w = kendall_w(complete_ranks) if complete_ranks else math.nan
    summary = {"modal_order": list(modal) if modal is not None else None,
               "modal_share": share, "kendall_w": w,
               "n_trials": len(trial_ids), "n_trials_complete": len(complete_orders),
               "channels": [c["channel"] for c in ok_chans]}
    meta = {"tie_s": tie, "orders": {t: o for t, o in orders.items()}, "summary": summary}
    return FiringOrder(rows, ORDER_COLUMNS, meta)


# ---------------------------------------------------------------- durations
DURATION_COLUMNS = ("trial", "channel", "muscle", "side", "n_activations", "first_onset_s",
                    "first_duration_s", "total_duration_s", "last_offset_s", "status",
                    "reason")


def compute_durations(activations: Any, *, channels: Sequence[str] | None = None,
                      trials: Sequence[int] | None = None) -> MetricTable:
    """Activation durations per trial and channel.

    Returns
    -------
    MetricTable
        Kind ``"duration"``: number of activations, first onset, duration of the
        first activation, total active time (s; overlapping activations merged)
        and last offset.
    """
    act, chans, _ = activation_rows(activations)
    trial_ids = _trial_ids(act, trials)
    sel = _select_channels(chans, channels)
    rows = []
    for t in trial_ids:
        for c in sel:
            base = {"trial": t, "channel": c["channel"], "muscle": c["muscle"],
                    "side": c["side"]}
            mine = sorted((r for r in act if r["channel"] == c["channel"]
                           and (t is None or r["trial"] == t)), key=lambda r: r["onset"])
            if c["status"] != STATUS_OK or not mine:
                rows.append({**base, "n_activations": 0 if c["status"] == STATUS_OK else None,
                             "first_onset_s": math.nan, "first_duration_s": math.nan,
                             "total_duration_s": 0.0 if c["status"] == STATUS_OK else math.nan,
                             "last_offset_s": math.nan,
                             "status": STATUS_NA,
                             "reason": c["reason"] if c["status"] != STATUS_OK
                             else "no activation in the trial"})
                continue
            total, cur0, cur1 = 0.0, mine[0]["onset"], mine[0]["offset"]
            for r in mine[1:]:
                if r["onset"] <= cur1:
                    cur1 = max(cur1, r["offset"])
                else:
                    total += cur1 - cur0
                    cur0, cur1 = r["onset"], r["offset"]
            total += cur1 - cur0
            rows.append({**base, "n_activations": len(mine), "first_onset_s": mine[0]["onset"],
                         "first_duration_s": mine[0]["duration"], "total_duration_s": total,
                         "last_offset_s": max(r["offset"] for r in mine), "status": STATUS_OK,
                         "reason": None})
    return MetricTable(rows, DURATION_COLUMNS, {}, kind="duration")


# ------------------------------------------------------------------ summary
SUMMARY_COLUMNS = ("group", "n", "median", "q25", "q75", "iqr", "mean", "sd", "min", "max",
                   "unit")


def summarize_timing(table: MetricTable, *, value: str | None = None,
                     by: str | Sequence[str] | None = None) -> MetricTable:
    """Summary statistics across trials.

    Parameters
    ----------
    table : MetricTable
        A latency, relative-latency, duration or firing-order table.
    value : str, optional
        Column to summarise (default ``latency_s``, ``total_duration_s`` or ``rank``
        by table kind).
    by : str or sequence of str, optional
        Grouping columns (default ``channel``; ``channel_a, channel_b`` for relative
        latencies).

    Returns
    -------
    MetricTable
        Kind ``"timing_summary"``: per group ``n, median, q25, q75, iqr, mean, sd
        (ddof=1), min, max``; only assessable rows count.  For a firing order,
        ``meta["order"]`` carries the modal order, its share and Kendall's W.
    """
    if not isinstance(table, MetricTable):
        raise ValidationError(f"table must be a metrics table; got {type(table).__name__}")
    defaults = {"latency": ("latency_s", ("channel",)),
                "relative_latency": ("latency_s", ("channel_a", "channel_b")),
                "duration": ("total_duration_s", ("channel",)),
                "firing_order": ("rank", ("channel",))}
    dv, db = defaults.get(table.kind, (None, ("channel",)))
    col = value or dv
    if col is None or col not in table.columns:
        raise ValidationError(
            f"value must be a column of the table ({', '.join(table.columns)}); got {col!r}")
    keys = (db if by is None else ((by,) if isinstance(by, str) else tuple(by)))
    for k in keys:
        if k not in table.columns:
            raise ValidationError(f"by: {k!r} is not a column ({', '.join(table.columns)})")
    groups: dict[tuple, list[float]] = {}
    for r in table.rows:
        g = tuple(r[k] for k in keys)
        groups.setdefault(g, [])
        v = r[col]
        if r.get("status", STATUS_OK) == STATUS_OK and v is not None and math.isfinite(v):
            groups[g].append(float(v))
    unit = "s" if col.endswith("_s") else ""
    rows = []
    for g, vals in groups.items():
        a = np.asarray(vals)
        name = g[0] if len(g) == 1 else " -> ".join(str(x) for x in g)
        if a.size == 0:
            rows.append({"group": name, "n": 0, **{k: math.nan for k in SUMMARY_COLUMNS[2:-1]},
                         "unit": unit})
            continue
        q25, med, q75 = (float(x) for x in np.percentile(a, [25, 50, 75]))
        rows.append({"group": name, "n": int(a.size), "median": med, "q25": q25, "q75": q75,
                     "iqr": q75 - q25, "mean": float(a.mean()),
                     "sd": float(a.std(ddof=1)) if a.size > 1 else math.nan,
                     "min": float(a.min()), "max": float(a.max()), "unit": unit})
    meta = {"value": col, "by": list(keys), "source_kind": table.kind,
            "quartiles": "numpy.percentile, linear interpolation"}
    if isinstance(table, FiringOrder):
        meta["order"] = table.summary
    return MetricTable(rows, SUMMARY_COLUMNS, meta, kind="timing_summary")
