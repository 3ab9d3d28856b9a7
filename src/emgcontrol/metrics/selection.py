"""Which muscles: active set, relative contributions, ratios, co-contraction, synergies.

Co-contraction indices (agonist ``a(t)`` and antagonist ``b(t)`` envelopes
normalised to a reference, %MVC; ``lo = min(a, b)``, ``hi = max(a, b)``; integrals
over the segment, trapezoidal rule)

``falconer``  (Falconer & Winter 1985)
    ``COI = 2 * I_ant / (I_ag + I_ant) * 100`` (%), with ``I_ant = integral(lo)``
    the area of the less active ("antagonist") envelope, i.e. the common area of
    both curves, and ``I_ag = integral(hi)``, so ``I_ag + I_ant`` is the total area
    ``integral(a + b)``.  0 % without overlap, 100 % for identical envelopes.
    Falconer & Winter assigned the antagonist from the sign of the joint moment;
    without a moment the less active muscle at each instant takes that role, as in
    the EMG-only form of the index (Winter 2009).
``rudolph``  (Rudolph et al. 2000)
    ``CCI = mean over samples of (lo / hi) * (lo + hi)`` (%MVC): the relative
    activation of the pair weighted by its magnitude (0 where both are 0).
``unnithan``  (Unnithan et al. 1996)
    ``CI = integral(lo) d tau`` with time ``tau`` in percent of the segment (0-100):
    the overlap area of the two normalised envelopes over the time-normalised
    segment (%MVC x %).  Divided by 100 it is the mean overlap in %MVC.

Muscle synergies: non-negative matrix factorisation ``V ~ W H`` of the envelopes
``V`` (channels x samples, each channel scaled to unit maximum by default) by the
multiplicative updates of Lee & Seung (2001) for the Frobenius norm, best of
several random starts.  Quality is the variance accounted for,
``VAF = 1 - ||V - W H||^2 / ||V||^2`` (uncentred; Torres-Oviedo et al. 2006); the
number of synergies is the smallest with VAF >= 90 % (Clark et al. 2010), and
optionally every channel's own VAF >= a local threshold (75 %; Torres-Oviedo et al.
2006).

References
----------
Falconer K, Winter DA (1985) Quantitative assessment of co-contraction at the ankle
joint in walking. Electromyogr Clin Neurophysiol 25:135-149.
Rudolph KS, Axe MJ, Snyder-Mackler L (2000) Dynamic stability after ACL injury: who
can hop? Knee Surg Sports Traumatol Arthrosc 8:262-269.
Unnithan VB, Dowling JJ, Frost G, Volpe Ayub B, Bar-Or O (1996) Cocontraction and
phasic activity during gait in children with cerebral palsy. Electromyogr Clin
Neurophysiol 36:487-494.
Winter DA (2009) Biomechanics and Motor Control of Human Movement, 4th ed. Wiley.
Lee DD, Seung HS (2001) Algorithms for non-negative matrix factorization. NIPS 13.
Torres-Oviedo G, Macpherson JM, Ting LH (2006) Muscle synergy organization is robust
across a variety of postural perturbations. J Neurophysiol 96:1530-1546.
Clark DJ, Ting LH, Zajac FE, Neptune RR, Kautz SA (2010) Merging of healthy motor
modules predicts reduced locomotor performance and muscle coordination complexity
post-stroke. J Neurophysiol 103:844-857.
Kendall MG, Babington Smith B (1939) The problem of m rankings. Ann Math Stat
10:275-287.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validate import check_option, check_positive
from ..errors import ValidationError
from ._common import (SEGMENT_COLUMNS, STATUS_NA, STATUS_OK, MetricTable, activation_rows,
                      jsonable, resolve_pairs, resolve_segments)
from .amount import (MVC_WINDOW_S, NORM_METHODS, AmountTable, Envelopes, compute_envelopes,
                     compute_mvc_reference)

if TYPE_CHECKING:  # pragma: no cover
    from ..recording import Recording

__all__ = [
    "COCONTRACTION_METHODS",
    "ACTIVE_THRESHOLD",
    "compute_active_set",
    "compute_contributions",
    "compute_ratios",
    "compute_cocontraction",
    "cocontraction_indices",
    "nmf",
    "vaf",
    "Synergies",
    "compute_synergies",
]

COCONTRACTION_METHODS = ("falconer", "rudolph", "unnithan")
"""Co-contraction indices of :func:`compute_cocontraction`."""

CCI_UNITS = {"falconer": "%", "rudolph": "%MVC", "unnithan": "%MVC*%"}

ACTIVE_THRESHOLD = 10.0
"""Default threshold of an amount-based active set, % of the reference (peak RMS)."""

_SEG_KEY = ("segment", "index", "trial", "start_s", "stop_s")


def _seg_key(r: Mapping[str, Any]) -> tuple:
    return tuple(r[k] for k in _SEG_KEY)


def _seg_dict(key: tuple) -> dict[str, Any]:
    return dict(zip(_SEG_KEY, key))


# --------------------------------------------------------------- active set
ACTIVE_COLUMNS = ("trial", "channel", "muscle", "side", "active", "n_activations",
                  "first_onset_s", "value", "unit", "status", "reason")


def compute_active_set(
    source: Any,
    *,
    threshold: float = ACTIVE_THRESHOLD,
    measure: str = "peak",
    trials: Sequence[int] | None = None,
) -> MetricTable:
    """Which muscles were active in each trial.

    Parameters
    ----------
    source : Activations, DataFrame or AmountTable
        An activation table (a muscle is active in a trial if it has at least one
        activation whose trial is that trial), or a normalised
        :class:`~emgcontrol.metrics.AmountTable` (active if ``measure`` >=
        ``threshold`` % of the reference in that segment).
    threshold : float
        For an amount table: threshold in % of the reference (default 10 %MVC on the
        peak moving RMS; resting trunk muscles stay at 1-5 %MVC).
    measure : str
        For an amount table: measure compared with the threshold.
    trials : sequence of int, optional
        For an activation table: the trials to report (default: every trial with an
        activation), so that trials without any activation also get rows.

    Returns
    -------
    MetricTable
        Kind ``"active_set"``: one row per trial and channel with ``active`` (bool);
        ``meta["active"]`` maps each trial to its list of active channels.
    """
    if isinstance(source, AmountTable):
        if not source.normalized:
            raise ValidationError(
                "an amount-based active set needs a normalised AmountTable (compute_amount("
                "..., reference=...)) so that one threshold fits every muscle")
        thr = check_positive("threshold", threshold)
        rows = []
        for r in source.rows:
            if r["measure"] != measure:
                continue
            ok = r["status"] == STATUS_OK
            trial = r["trial"] if r["trial"] is not None else r["index"]
            rows.append({"trial": trial, "channel": r["channel"], "muscle": r["muscle"],
                         "side": r["side"],
                         "active": bool(r["value"] >= thr) if ok else None,
                         "n_activations": None, "first_onset_s": None, "value": r["value"],
                         "unit": r["unit"], "status": r["status"], "reason": r["reason"]})
        if not rows:
            raise ValidationError(
                f"measure {measure!r} is not in the table (measures: "
                f"{', '.join(source.meta.get('measures', []))})")
        meta = {"method": "amount", "measure": measure, "threshold": thr,
                "unit": rows[0]["unit"]}
    else:
        act, chans, _ = activation_rows(source)
        trial_ids = sorted({r["trial"] for r in act if r["trial"] is not None})
        if trials is not None:
            trial_ids = sorted({int(t) for t in trials})
        if not trial_ids:
            trial_ids = [None]  # no trial information: the whole recording
        rows = []
        for t in trial_ids:
            for c in chans:
                mine = [r for r in act if r["channel"] == c["channel"]
                        and (t is None or r["trial"] == t)]
                ok = c["status"] == STATUS_OK
                rows.append({"trial": t, **{k: c[k] for k in ("channel", "muscle", "side")},
                             "active": bool(mine) if ok else None,
                             "n_activations": len(mine) if ok else None,
                             "first_onset_s": min((r["onset"] for r in mine), default=None),
                             "value": None, "unit": None, "status": c["status"],
                             "reason": c["reason"]})
        meta = {"method": "activations"}
    active: dict[str, list[str]] = {}
    for r in rows:
        if r["active"]:
            active.setdefault(str(r["trial"]), []).append(r["channel"])
    meta["active"] = active
    return MetricTable(rows, ACTIVE_COLUMNS, meta, kind="active_set")


# ------------------------------------------------------------ contributions
CONTRIB_COLUMNS = ("channel", "muscle", "side", *SEGMENT_COLUMNS, "measure", "value",
                   "unit", "share_pct", "status", "reason")


def compute_contributions(table: AmountTable, *, measure: str = "rms") -> MetricTable:
    """Relative contribution of each muscle: % of the summed normalised activity.

    ``share = 100 * value_i / sum_j value_j`` over the assessable channels of a
    segment.

    Parameters
    ----------
    table : AmountTable
        Normalised amounts (``compute_amount(..., reference=...)``); raw volts would
        compare electrodes, not muscles.
    measure : str
        Which measure (default ``"rms"``).

    Returns
    -------
    MetricTable
        Kind ``"contribution"``: columns ``channel, muscle, side, segment, index,
        trial, start_s, stop_s, measure, value, unit, share_pct, status, reason``.
    """
    if not isinstance(table, AmountTable):
        raise ValidationError(
            f"table must be an AmountTable; got {type(table).__name__}")
    if not table.normalized:
        raise ValidationError(
            "relative contributions need a normalised AmountTable (compute_amount(..., "
            "reference=...)): volts differ between electrodes, not only between muscles")
    sel = [r for r in table.rows if r["measure"] == measure]
    if not sel:
        raise ValidationError(f"measure {measure!r} is not in the table")
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in sel:
        groups.setdefault(_seg_key(r), []).append(r)
    rows = []
    for rs in groups.values():
        total = sum(r["value"] for r in rs if r["status"] == STATUS_OK)
        for r in rs:
            out = {k: r[k] for k in CONTRIB_COLUMNS if k in r}
            if r["status"] == STATUS_OK and total > 0:
                out["share_pct"] = 100.0 * r["value"] / total
            else:
                out["share_pct"] = math.nan
                if r["status"] == STATUS_OK:
                    out.update(status=STATUS_NA, reason="no activity in the segment")
            rows.append(out)
    return MetricTable(rows, CONTRIB_COLUMNS,
                       {"measure": measure, "normalization": table.meta["normalization"]},
                       kind="contribution")


# ------------------------------------------------------------------- ratios
RATIO_COLUMNS = (*SEGMENT_COLUMNS, "name", "numerator", "denominator", "numerator_value",
                 "denominator_value", "value", "unit", "status", "reason")


def compute_ratios(
    table: AmountTable,
    pairs: Sequence[tuple[str, str]] = (),
    *,
    measure: str = "rms",
    bilateral: bool = True,
) -> MetricTable:
    """Named amplitude ratios: muscle to muscle and left to right.

    Parameters
    ----------
    table : AmountTable
        Amounts, preferably normalised (a muscle-to-muscle ratio of raw volts
        compares electrodes; the ratio is flagged in ``meta["normalized"]``).
    pairs : sequence of (numerator, denominator)
        Muscles or channels, e.g. ``[("gluteus maximus", "hamstrings")]``; muscles
        without side are paired side by side.
    measure : str
        Which measure (default ``"rms"``).
    bilateral : bool
        Add ``left / right`` for every muscle recorded on both sides.

    Returns
    -------
    MetricTable
        Kind ``"ratio"``: one row per segment and ratio, ``value`` unitless
        (``unit="ratio"``).
    """
    if not isinstance(table, AmountTable):
        raise ValidationError(f"table must be an AmountTable; got {type(table).__name__}")
    sel = [r for r in table.rows if r["measure"] == measure]
    if not sel:
        raise ValidationError(f"measure {measure!r} is not in the table")
    chans: dict[str, tuple[str | None, str | None]] = {}
    for r in sel:
        chans.setdefault(r["channel"], (r["muscle"], r["side"]))
    names = list(chans)
    muscles = [chans[c][0] for c in names]
    sides = [chans[c][1] for c in names]
    todo: list[tuple[str, int, int]] = []
    for i, j in resolve_pairs(list(pairs), names, muscles, sides) if pairs else []:
        side = f" ({sides[i]})" if sides[i] and sides[i] == sides[j] else ""
        label = (f"{muscles[i] or names[i]}/{muscles[j] or names[j]}{side}"
                 if muscles[i] and muscles[j] else f"{names[i]}/{names[j]}")
        todo.append((label, i, j))
    if bilateral:
        for mus in dict.fromkeys(m for m in muscles if m):
            left = [k for k in range(len(names)) if muscles[k] == mus and sides[k] == "left"]
            right = [k for k in range(len(names)) if muscles[k] == mus and sides[k] == "right"]
            if len(left) == 1 and len(right) == 1:
                todo.append((f"{mus} left/right", left[0], right[0]))
    if not todo:
        raise ValidationError(
            "no ratio to compute: give pairs=[(numerator, denominator)] or record a muscle "
            "on both sides (bilateral=True)")
    by: dict[tuple, dict[str, dict[str, Any]]] = {}
    for r in sel:
        by.setdefault(_seg_key(r), {})[r["channel"]] = r
    rows = []
    for key, rs in by.items():
        for label, i, j in todo:
            a, b = rs.get(names[i]), rs.get(names[j])
            row = {**_seg_dict(key), "name": label, "numerator": names[i],
                   "denominator": names[j],
                   "numerator_value": a["value"] if a else math.nan,
                   "denominator_value": b["value"] if b else math.nan,
                   "value": math.nan, "unit": "ratio", "status": STATUS_NA, "reason": None}
            if a is None or b is None or a["status"] != STATUS_OK or b["status"] != STATUS_OK:
                bad = [x for x in (a, b) if x is None or x["status"] != STATUS_OK]
                row["reason"] = "; ".join(
                    f"{x['channel']}: {x['reason']}" for x in bad if x) or "missing channel"
            elif not b["value"] > 0:
                row["reason"] = f"{names[j]} has no activity (denominator 0)"
            else:
                row.update(value=a["value"] / b["value"], status=STATUS_OK)
            rows.append(row)
    return MetricTable(rows, RATIO_COLUMNS,
                       {"measure": measure, "normalized": table.normalized,
                        "normalization": table.meta.get("normalization"),
                        "ratios": [t[0] for t in todo]}, kind="ratio")


# ----------------------------------------------------------- co-contraction
def cocontraction_indices(a: Any, b: Any, *, methods: Sequence[str] = COCONTRACTION_METHODS
                          ) -> dict[str, float]:
    """Co-contraction indices of two normalised envelopes sampled at the same times.

    Parameters
    ----------
    a, b : array_like, shape (n_times,)
        Agonist and antagonist envelopes, normalised (%MVC), >= 0.
    methods : sequence of {"falconer", "rudolph", "unnithan"}
        Which indices (see the module notes for the formulas).

    Returns
    -------
    dict
        Method -> value (NaN when undefined, e.g. both envelopes 0).
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2:
        raise ValidationError(
            f"a and b must be 1-D envelopes of the same length >= 2; got {a.shape}, {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValidationError("a and b must be finite")
    a = np.maximum(a, 0.0)
    b = np.maximum(b, 0.0)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    out = {}
    for m in methods:
        check_option("methods", m, COCONTRACTION_METHODS)
        if m == "falconer":
            total = _trapz(a + b)
            out[m] = 200.0 * _trapz(lo) / total if total > 0 else math.nan
        elif m == "rudolph":
            ratio = np.divide(lo, hi, out=np.zeros_like(lo), where=hi > 0)
            out[m] = float(np.mean(ratio * (lo + hi)))
        else:
            tau = np.linspace(0.0, 100.0, lo.size)
            out[m] = _trapz(lo, tau)
    return out


def _trapz(y: np.ndarray, x: np.ndarray | None = None) -> float:
    if x is None:
        return float(np.sum(y[1:] + y[:-1]) / 2.0)
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2.0)


CCI_COLUMNS = (*SEGMENT_COLUMNS, "agonist", "antagonist", "agonist_muscle",
               "antagonist_muscle", "method", "value", "unit", "status", "reason")


def compute_cocontraction(
    rec: Recording | Envelopes,
    pairs: Sequence[tuple[str, str]],
    *,
    reference: Any = None,
    methods: Sequence[str] = COCONTRACTION_METHODS,
    windows: Any = None,
    trials: str | None = "trial",
    phases: str | Sequence[str] | None = None,
    envelope: str = "linear",
    cutoff: float = 6.0,
    window_s: float = 0.05,
    reference_window_s: float = MVC_WINDOW_S,
) -> MetricTable:
    """Co-contraction indices of agonist/antagonist pairs per segment.

    Parameters
    ----------
    rec : Recording or Envelopes
        Band-passed EMG, or normalised envelopes from
        :func:`~emgcontrol.metrics.compute_envelopes` (then ``reference`` and the
        envelope options are ignored; segments need ``windows`` or the whole span).
    pairs : sequence of (agonist, antagonist)
        Muscles or channel names; muscles without side are paired side by side
        (e.g. ``("rectus abdominis", "longissimus")``).
    reference : required for a Recording
        Normalisation reference (see :func:`compute_amount`): the indices compare
        two muscles and are only meaningful on normalised envelopes.
    methods : sequence of {"falconer", "rudolph", "unnithan"}
        Indices to compute (module notes give formulas and references).
    windows, trials, phases :
        Segments, as for :func:`compute_amount`.
    envelope : {"linear", "rms", "arv"}
        Envelope type (default linear envelope, 6 Hz).
    cutoff, window_s :
        Envelope parameters.
    reference_window_s : float
        Window of a reference computed here.

    Returns
    -------
    MetricTable
        Kind ``"cocontraction"``: one row per segment, pair and method.
    """
    ms = [check_option("methods", m, COCONTRACTION_METHODS) for m in
          ([methods] if isinstance(methods, str) else list(methods))]
    if not ms:
        raise ValidationError("methods must name at least one co-contraction index")
    if isinstance(rec, Envelopes):
        env = rec
        if env.unit == "V":
            raise ValidationError("co-contraction needs normalised envelopes (unit %MVC); "
                                  "give compute_envelopes(..., reference=...)")
        duration = env.data.shape[1] / env.sfreq
        if windows is None:
            from ._common import Segment

            segs = [Segment("all", 0, env.t0, env.t0 + duration, None)]
        else:
            from ._common import check_window, Segment

            items = list(windows.items()) if isinstance(windows, Mapping) else \
                [(None, w) for w in windows]
            segs = []
            for k, (nm, w) in enumerate(items):
                a0, b0 = check_window(f"windows[{k}]", w, env.t0 + duration)
                segs.append(Segment("window", k, a0, b0, None, nm))
    else:
        if reference is None:
            raise ValidationError(
                "reference is required: co-contraction indices compare two muscles and "
                "need envelopes normalised to MVC/RVC/peak (reference='mvc', an MVC "
                "recording or explicit values)")
        if isinstance(reference, str):
            check_option("reference", reference, NORM_METHODS)
            reference = compute_mvc_reference(rec, method=reference,
                                              window_s=reference_window_s)
        env = compute_envelopes(rec, reference=reference, method=envelope, cutoff=cutoff,
                                window_s=window_s, reference_window_s=reference_window_s)
        segs = resolve_segments(rec, windows=windows, trials=trials, phases=phases)
    idx_pairs = resolve_pairs(pairs, env.channels, env.muscles, env.sides)
    rows = []
    n = env.data.shape[1]
    for seg in segs:
        i0 = max(0, int(math.ceil((seg.start - env.t0) * env.sfreq - 1e-9)))
        i1 = min(n, int(math.ceil((seg.stop - env.t0) * env.sfreq - 1e-9)))
        for i, j in idx_pairs:
            base = {**seg.as_row(), "agonist": env.channels[i], "antagonist": env.channels[j],
                    "agonist_muscle": env.muscles[i], "antagonist_muscle": env.muscles[j]}
            bad = [k for k in (i, j) if env.status[k] != STATUS_OK]
            if bad or i1 - i0 < 2:
                why = ("; ".join(f"{env.channels[k]}: {env.reason[k]}" for k in bad)
                       if bad else "segment shorter than 2 envelope samples")
                for m in ms:
                    rows.append({**base, "method": m, "value": math.nan,
                                 "unit": CCI_UNITS[m], "status": STATUS_NA, "reason": why})
                continue
            vals = cocontraction_indices(env.data[i, i0:i1], env.data[j, i0:i1], methods=ms)
            for m in ms:
                ok = math.isfinite(vals[m])
                rows.append({**base, "method": m, "value": vals[m], "unit": CCI_UNITS[m],
                             "status": STATUS_OK if ok else STATUS_NA,
                             "reason": None if ok else "both envelopes are 0"})
    meta = {"methods": ms, "envelope": env.meta, "unit_envelopes": env.unit,
            "formulas": {
                "falconer": "2 * integral(min(a,b)) / integral(a+b) * 100 (Falconer & Winter "
                            "1985)",
                "rudolph": "mean((min/max) * (min+max)) (Rudolph et al. 2000)",
                "unnithan": "integral(min(a,b)) over time in % of the segment (Unnithan et "
                            "al. 1996)"}}
    return MetricTable(rows, CCI_COLUMNS, meta, kind="cocontraction")


# ----------------------------------------------------------------- synergies
def vaf(v: Any, w: Any, h: Any) -> float:
    """Variance accounted for, ``1 - ||V - W H||^2 / ||V||^2`` (uncentred)."""
    v = np.asarray(v, dtype=float)
    r = v - np.asarray(w, dtype=float) @ np.asarray(h, dtype=float)
    den = float(np.sum(v * v))
    return 1.0 - float(np.sum(r * r)) / den if den > 0 else math.nan


def nmf(
    v: Any,
    n_components: int,
    *,
    max_iter: int = 1000,
    tol: float = 1e-6,
    n_replicates: int = 5,
    seed: int | None = 0,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Non-negative matrix factorisation by multiplicative updates (Lee & Seung 2001).

    Minimises ``||V - W H||_F^2`` with ``W, H >= 0``:
    ``H <- H * (W^T V) / (W^T W H)``, ``W <- W * (V H^T) / (W H H^T)``, from
    ``n_replicates`` random starts (uniform, scaled to the data); the best fit is
    kept.  Columns of ``W`` are scaled to unit Euclidean norm (the scale moves to
    ``H``).  Iterations stop when the relative decrease of the error over 10
    iterations is below ``tol``.

    Parameters
    ----------
    v : array_like, shape (n_channels, n_samples)
        Non-negative data.
    n_components : int
        Number of synergies, 1 <= k <= n_channels.
    max_iter, tol, n_replicates, seed :
        Optimisation controls.

    Returns
    -------
    w : ndarray, shape (n_channels, k)
    h : ndarray, shape (k, n_samples)
    vaf : float
        Variance accounted for by ``w @ h``.
    """
    v = np.asarray(v, dtype=float)
    if v.ndim != 2 or v.shape[0] < 1 or v.shape[1] < 1:
        raise ValidationError(f"v must be 2-D (n_channels, n_samples); got shape {v.shape}")
    if not np.all(np.isfinite(v)) or np.any(v < 0):
        raise ValidationError("v must hold finite non-negative values (envelopes)")
    k = int(n_components)
    if not 1 <= k <= v.shape[0]:
        raise ValidationError(
            f"n_components must be between 1 and n_channels={v.shape[0]}; got {n_components!r}")
    if int(n_replicates) < 1 or int(max_iter) < 1:
        raise ValidationError("n_replicates and max_iter must be >= 1")
    rng = np.random.default_rng(seed)
    eps = 1e-12
    scale = math.sqrt(float(v.mean()) / k) if v.mean() > 0 else 1.0
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for _ in range(int(n_replicates)):
        w = rng.uniform(0.1, 1.0, (v.shape[0], k)) * scale
        h = rng.uniform(0.1, 1.0, (k, v.shape[1])) * scale
        prev = math.inf
        for it in range(int(max_iter)):
            h *= (w.T @ v) / (w.T @ w @ h + eps)
            w *= (v @ h.T) / (w @ (h @ h.T) + eps)
            if it % 10 == 9:
                err = float(np.sum((v - w @ h) ** 2))
                if prev - err <= tol * max(prev, eps):
                    break
                prev = err
        err = float(np.sum((v - w @ h) ** 2))
        if best is None or err < best[0]:
            best = (err, w.copy(), h.copy())
    assert best is not None
    _, w, h = best
    norms = np.linalg.norm(w, axis=0)
    norms[norms == 0] = 1.0
    w = w / norms
    h = h * norms[:, None]
    order = np.argsort(-h.sum(axis=1), kind="stable")  # largest activation first
    w, h = w[:, order], h[order]
    return w, h, vaf(v, w, h)


class Synergies(MetricTable):
    """Muscle synergies (output of :func:`compute_synergies`).

    Rows (``to_dataframe()``): one per synergy and channel with the weight.

    Attributes
    ----------
    weights : ndarray, shape (n_channels, k)
        Synergy vectors ``W`` (unit norm columns).
    activations : ndarray, shape (k, n_samples)
        Activation coefficients ``H``.
    n_synergies : int
        Chosen number ``k``.
    vaf_curve : dict
        ``k -> VAF`` for every number tried.
    channel_vaf : ndarray, shape (n_channels,)
        Each channel's VAF with ``k`` synergies.
    channels : list of str
        Channels in ``W``'s row order.
    sfreq : float
        Sampling rate of ``activations``.
    """

    kind = "synergies"

    def __init__(self, rows, columns, meta, *, weights, activations, vaf_curve,
                 channel_vaf, channels, sfreq):
        super().__init__(rows, columns, meta)
        self.weights = weights
        self.activations = activations
        self.vaf_curve = vaf_curve
        self.channel_vaf = channel_vaf
        self.channels = channels
        self.sfreq = sfreq

    @property
    def n_synergies(self) -> int:
        """Number of synergies kept."""
        return int(self.weights.shape[1])

    def to_dict(self, *, activations: bool = False) -> dict[str, Any]:
        """JSON-ready dict; ``activations=True`` adds ``H`` (can be large)."""
        out = super().to_dict()
        out["weights"] = jsonable(self.weights)
        out["vaf_curve"] = {str(k): v for k, v in self.vaf_curve.items()}
        out["channel_vaf"] = jsonable(self.channel_vaf)
        out["channels"] = list(self.channels)
        if activations:
            out["activations"] = jsonable(self.activations)
            out["sfreq"] = self.sfreq
        return out


SYNERGY_COLUMNS = ("synergy", "channel", "muscle", "side", "weight", "channel_vaf")


def compute_synergies(
    data: Recording | Envelopes | Any,
    *,
    n_synergies: int | None = None,
    vaf_threshold: float = 0.90,
    channel_vaf_threshold: float | None = None,
    max_synergies: int | None = None,
    scale: str | None = "max",
    reference: Any = None,
    resample_hz: float = 50.0,
    sfreq: float | None = None,
    channels: Sequence[str] | None = None,
    n_replicates: int = 5,
    max_iter: int = 1000,
    tol: float = 1e-6,
    seed: int | None = 0,
) -> Synergies:
    """Muscle synergies by non-negative matrix factorisation.

    Parameters
    ----------
    data : Recording, Envelopes or array_like (n_channels, n_samples)
        EMG (linear envelopes are computed, 6 Hz, kept at ``resample_hz``),
        envelopes, or a non-negative array (with ``sfreq``).
    n_synergies : int, optional
        Fixed number of synergies; default: the smallest number whose VAF reaches
        ``vaf_threshold`` (and ``channel_vaf_threshold`` for every channel).
    vaf_threshold : float
        Global VAF criterion, fraction (default 0.90: Clark et al. 2010).
    channel_vaf_threshold : float, optional
        Local criterion: every channel's VAF at least this (e.g. 0.75).
    max_synergies : int, optional
        Largest number tried (default: the number of channels).
    scale : {"max", "variance", None}
        Scale each channel to unit maximum (default) or unit variance before the
        factorisation (so large-amplitude muscles do not dominate); None keeps
        the data as they are (e.g. %MVC).
    reference : optional
        Normalisation reference for a Recording (see :func:`compute_envelopes`).
    resample_hz : float
        Envelope rate for a Recording, Hz.
    sfreq : float, optional
        Sampling rate of an array input.
    channels : sequence of str, optional
        Names of the rows of an array input.
    n_replicates, max_iter, tol, seed :
        NMF controls (see :func:`nmf`).

    Returns
    -------
    Synergies
    """
    from ..recording import Recording

    if isinstance(data, Recording):
        data = compute_envelopes(data, reference=reference, method="linear",
                                 resample_hz=min(float(resample_hz), data.sfreq))
    if isinstance(data, Envelopes):
        keep = [k for k, s in enumerate(data.status) if s == STATUS_OK]
        dropped = {data.channels[k]: data.reason[k] for k in range(len(data.channels))
                   if k not in keep}
        v = data.data[keep]
        names = [data.channels[k] for k in keep]
        muscles = [data.muscles[k] for k in keep]
        sides = [data.sides[k] for k in keep]
        fs = data.sfreq
    else:
        v = np.asarray(data, dtype=float)
        if v.ndim != 2:
            raise ValidationError(f"data must be 2-D (n_channels, n_samples); got {v.shape}")
        names = list(channels) if channels is not None else [f"ch{i}" for i in range(len(v))]
        if len(names) != v.shape[0]:
            raise ValidationError(
                f"channels has {len(names)} names but data has {v.shape[0]} rows")
        muscles = sides = [None] * len(names)
        fs = float(sfreq) if sfreq is not None else math.nan
        dropped = {}
    if v.shape[0] < 2:
        raise ValidationError(
            f"synergy analysis needs >= 2 assessable channels; got {v.shape[0]}"
            + (f" (not assessable: {dropped})" if dropped else ""))
    if not np.all(np.isfinite(v)):
        raise ValidationError("data hold non-finite values")
    v = np.maximum(v, 0.0)
    check_option("scale", scale, ("max", "variance", None))
    if scale == "max":
        d = v.max(axis=1, keepdims=True)
    elif scale == "variance":
        d = v.std(axis=1, keepdims=True)
    else:
        d = np.ones((v.shape[0], 1))
    if np.any(d <= 0):
        zero = [names[k] for k in np.flatnonzero(d[:, 0] <= 0)]
        raise ValidationError(f"channel(s) {zero} have no activity; pick them out")
    v = v / d
    thr = float(vaf_threshold)
    if not 0 < thr <= 1:
        raise ValidationError(f"vaf_threshold must be a fraction in (0, 1]; got {vaf_threshold!r}")
    kmax = v.shape[0] if max_synergies is None else int(max_synergies)
    if not 1 <= kmax <= v.shape[0]:
        raise ValidationError(
            f"max_synergies must be between 1 and {v.shape[0]}; got {max_synergies!r}")
    if n_synergies is not None:
        ks = [int(n_synergies)]
        if not 1 <= ks[0] <= v.shape[0]:
            raise ValidationError(
                f"n_synergies must be between 1 and {v.shape[0]}; got {n_synergies!r}")
    else:
        ks = list(range(1, kmax + 1))
    curve: dict[int, float] = {}
    fits = {}
    chosen = None
    for k in ks:
        w, h, q = nmf(v, k, max_iter=max_iter, tol=tol, n_replicates=n_replicates, seed=seed)
        curve[k] = q
        fits[k] = (w, h)
        cv = _channel_vaf(v, w, h)
        if n_synergies is not None:
            chosen = k
            break
        if q >= thr and (channel_vaf_threshold is None
                         or np.all(cv >= float(channel_vaf_threshold))):
            chosen = k
            break
    criterion_met = chosen is not None
    if chosen is None:
        chosen = max(fits)
    w, h = fits[chosen]
    cv = _channel_vaf(v, w, h)
    rows = []
    for s in range(w.shape[1]):
        for c in range(w.shape[0]):
            rows.append({"synergy": s, "channel": names[c], "muscle": muscles[c],
                         "side": sides[c], "weight": float(w[c, s]),
                         "channel_vaf": float(cv[c])})
    meta = {"method": "nmf-multiplicative (Lee & Seung 2001)", "n_synergies": chosen,
            "vaf": curve[chosen], "vaf_threshold": thr,
            "channel_vaf_threshold": channel_vaf_threshold, "criterion_met": criterion_met,
            "vaf_curve": {str(k): q for k, q in curve.items()}, "scale": scale,
            "sfreq": fs, "n_samples": int(v.shape[1]), "not_assessable": dropped,
            "n_replicates": n_replicates, "seed": seed}
    return Synergies(rows, SYNERGY_COLUMNS, meta, weights=w, activations=h,
                     vaf_curve=curve, channel_vaf=cv, channels=names, sfreq=fs)


def _channel_vaf(v: np.ndarray, w: np.ndarray, h: np.ndarray) -> np.ndarray:
    r = v - w @ h
    den = np.sum(v * v, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 1.0 - np.sum(r * r, axis=1) / den, np.nan)
