"""Protocol measures: flexion-relaxation ratios and the Biering-Sorensen hold.

Flexion-relaxation (standing trunk flexion)
    Phases per trial: *flexion* (from upright to full flexion), *full flexion*
    (static, flexed) and *extension* (return to upright).  Amplitudes are
    moving-RMS values over ``window_s`` windows lying entirely inside a phase.

    ``definition="watson"`` (Watson et al. 1997; Neblett et al. 2003):
        ``FRR = max RMS in flexion / mean RMS in full flexion``,
        ``ERR = max RMS in extension / mean RMS in full flexion``.
    ``definition="mean"``:
        the same ratios with the *mean* RMS of flexion and extension in the
        numerator (less sensitive to a single burst; see Alschuler et al. 2009 for
        a comparison of quantification methods).

    A ratio well above 1 means the back extensors fell silent at full flexion
    (flexion-relaxation present); about 1 means they stayed active, as often in
    chronic low back pain (Watson et al. 1997; Geisser et al. 2005; Gouteron et
    al. 2023).

    Phases come from events labelled ``"flexion"``, ``"full_flexion"`` (or
    ``"full-flexion"``, ``"full flexion"``) and ``"extension"``, or from the
    accelerometer: the trunk angle ``theta(t)`` is the angle between the smoothed
    acceleration vector and its mean over the standing baseline (gravity as
    reference), ``omega`` its rate of change.  *Full flexion* is the run of samples
    around the largest angle where ``theta >= 0.8 max(theta)`` and ``|omega| <
    static_deg_s``, shortened by ``trim_s`` at both ends (the back extensors
    start before the trunk moves back up); *flexion* runs from the last sample
    with ``theta <= onset_deg`` before it to its start, *extension* from its end
    to the first sample with ``theta <= onset_deg`` after it; where the
    accelerometer movement onset (:func:`~emgcontrol.metrics.detect_movement_onset`)
    is found before full flexion, it starts the flexion phase instead (sharper than
    an angle threshold on a slowly starting movement).

Biering-Sorensen (:func:`compute_sorensen`)
    Spectral fatigue (:func:`~emgcontrol.metrics.compute_spectral_fatigue`) over the
    hold: from events labelled ``"hold"``, an explicit window, or the
    accelerometer (the longest static run with the trunk raised by >= 10 deg
    from the baseline posture), shortened by ``trim_s`` at both ends.

References
----------
Watson PJ, Booker CK, Main CJ, Chen AC (1997) Surface electromyography in the
identification of chronic low back pain patients: the development of the flexion
relaxation ratio. Clin Biomech 12:165-171.
Neblett R, Mayer TG, Gatchel RJ, Keeley J, Proctor T, Anagnostis C (2003)
Quantifying the lumbar flexion-relaxation phenomenon. Spine 28:1435-1446.
Geisser ME, Ranavaya M, Haig AJ, et al. (2005) A meta-analytic review of surface
electromyography among persons with low back pain and normal, healthy controls.
J Pain 6:711-726.
Alschuler KN, Neblett R, Wiggert E, Haig AJ, Geisser ME (2009) Flexion-relaxation
and clinical features associated with chronic low back pain: a comparison of
different methods of quantifying flexion-relaxation. Clin J Pain 25:760-766.
Gouteron A, Tabard-Fougere A, Moissenet F, et al. (2023) Sensitivity and
specificity of the flexion and extension relaxation ratios to identify altered
paraspinal muscles' flexion relaxation phenomenon in nonspecific chronic low back
pain patients. J Electromyogr Kinesiol 68:102740.
Biering-Sorensen F (1984) Physical measurements as risk indicators for low-back
trouble over a one-year period. Spine 9:106-119.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validate import check_option, check_positive
from ..errors import ValidationError
from ._common import (STATUS_NA, STATUS_OK, MetricTable, assess, channel_info,
                      check_window, emg_indices, moving_centred, moving_rms_valid,
                      n_samples, rail_of, trial_events)
from .fatigue import SpectralFatigue, compute_spectral_fatigue

if TYPE_CHECKING:  # pragma: no cover
    from ..recording import Recording

__all__ = ["FRR_DEFINITIONS", "compute_flexion_relaxation", "detect_flexion_phases",
           "compute_sorensen", "trunk_angle"]

FRR_DEFINITIONS = ("watson", "mean")
PHASE_SOURCES = ("auto", "events", "accelerometer")
FULL_FLEXION_LABELS = ("full_flexion", "full-flexion", "full flexion")
BACK_MUSCLES = ("longissimus", "iliocostalis", "multifidus")


# ------------------------------------------------------------- trunk angle
def trunk_angle(rec: Recording, *, picks: Any = "acc", baseline: tuple[float, float],
                smooth_s: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Angle (deg) of the accelerometer's gravity vector from its baseline mean, and
    its rate of change (deg/s), over the whole recording.

    Parameters
    ----------
    rec : Recording
        With accelerometer channels (g).
    picks : optional
        Accelerometer channels (default all ``"acc"`` channels).
    baseline : (float, float)
        Upright baseline window, s from the first sample.
    smooth_s : float
        Centred moving-mean smoothing of the acceleration, s.
    """
    idx = rec._pick_indices(picks)
    idx = [i for i in idx if rec.ch_types[i] == "acc"] if picks == "acc" else idx
    if not idx:
        raise ValidationError(
            "phases from the accelerometer need accelerometer channels (type 'acc'); give "
            "phase events instead (flexion, full_flexion, extension)")
    sfreq = rec.sfreq
    a0, a1 = check_window("baseline", baseline, rec.duration)
    n_s = n_samples("smooth_s", smooth_s, sfreq)
    acc = moving_centred(rec.data[idx], n_s)
    ref = acc[:, int(a0 * sfreq):max(int(a0 * sfreq) + 1, int(a1 * sfreq))].mean(axis=1)
    nr = float(np.linalg.norm(ref))
    if nr == 0 or not np.isfinite(nr):
        raise ValidationError("the accelerometer baseline is zero: cannot find the gravity "
                              "direction")
    na = np.linalg.norm(acc, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cosang = np.clip((ref @ acc) / (nr * na), -1.0, 1.0)
    theta = np.degrees(np.arccos(cosang))
    theta = np.nan_to_num(theta, nan=0.0)
    omega = moving_centred(np.gradient(theta) * sfreq, n_s)
    return theta, omega


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of runs of True."""
    d = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


PHASE_COLUMNS = ("trial", "flexion_start_s", "full_flexion_start_s", "full_flexion_stop_s",
                 "extension_stop_s", "max_angle_deg", "source", "status", "reason")


def detect_flexion_phases(
    rec: Recording,
    *,
    trials: str | None = "trial",
    baseline: tuple[float, float] = (0.0, 0.5),
    onset_deg: float = 1.0,
    static_deg_s: float = 5.0,
    min_flexion_deg: float = 20.0,
    trim_s: float = 0.5,
    smooth_s: float = 0.25,
    picks: Any = "acc",
) -> MetricTable:
    """Flexion, full-flexion and extension phases per trial from the accelerometer.

    Parameters
    ----------
    rec : Recording
        With accelerometer channels on the trunk.
    trials : str or None
        Trial events label; each trial holds one flexion-extension cycle (the
        whole recording without trial events).
    baseline : (float, float)
        Upright baseline, s from the start of each trial.
    onset_deg : float
        Angle from upright at which flexion starts / extension ends, deg.
    static_deg_s : float
        Angular speed below which the trunk is static (full flexion), deg/s.
    min_flexion_deg : float
        Smallest peak angle accepted as a trunk flexion, deg.
    trim_s : float
        Shortening of the full-flexion phase at both ends, s.
    smooth_s : float
        Smoothing of the acceleration, s.
    picks : optional
        Accelerometer channels.

    Returns
    -------
    MetricTable
        Kind ``"flexion_phases"``: per trial the phase limits (s) and the peak
        angle; not assessable when no flexion is found.
    """
    sfreq = rec.sfreq
    on_deg = check_positive("onset_deg", onset_deg)
    st = check_positive("static_deg_s", static_deg_s)
    min_deg = check_positive("min_flexion_deg", min_flexion_deg)
    trim = check_positive("trim_s", trim_s, allow_zero=True)
    tr = trial_events(rec, trials) if trials else []
    spans = tr if tr else [(0.0, rec.duration)]
    from .timing import detect_movement_onset

    mov = detect_movement_onset(rec, picks=picks, trials=trials if tr else None,
                                baseline=baseline)
    onsets = {(r["index"] if tr else None): r["onset_s"] for r in mov.rows
              if r["status"] == STATUS_OK}
    rows = []
    for k, (t0, t1) in enumerate(spans):
        t1 = min(t1, rec.duration)
        b = (t0 + baseline[0], t0 + baseline[1])
        theta, omega = trunk_angle(rec, picks=picks, baseline=b, smooth_s=smooth_s)
        i0, i1 = int(math.ceil(t0 * sfreq)), int(math.ceil(t1 * sfreq))
        th, om = theta[i0:i1], omega[i0:i1]
        base = {"trial": k if tr else None, "source": "accelerometer"}
        na = {**base, "flexion_start_s": math.nan, "full_flexion_start_s": math.nan,
              "full_flexion_stop_s": math.nan, "extension_stop_s": math.nan,
              "status": STATUS_NA}
        if th.size < 3:
            rows.append({**na, "max_angle_deg": math.nan, "reason": "trial too short"})
            continue
        peak = float(th.max())
        if peak < min_deg:
            rows.append({**na, "max_angle_deg": peak,
                         "reason": f"no trunk flexion (peak angle {peak:.1f} deg < "
                                   f"{min_deg:g} deg)"})
            continue
        ip = int(np.argmax(th))
        static = (th >= 0.8 * peak) & (np.abs(om) < st)
        runs = [r for r in _runs(static)]
        if not runs:
            rows.append({**na, "max_angle_deg": peak,
                         "reason": "no static full-flexion period"})
            continue
        # the static run nearest the peak angle
        s0, s1 = min(runs, key=lambda r: 0 if r[0] <= ip < r[1] else
                     min(abs(r[0] - ip), abs(r[1] - 1 - ip)))
        pre = np.flatnonzero(th[:s0] <= on_deg)
        post = np.flatnonzero(th[s1:] <= on_deg)
        if pre.size == 0 or post.size == 0:
            rows.append({**na, "max_angle_deg": peak,
                         "reason": "the trunk does not start and end upright in the trial"})
            continue
        f0 = int(pre[-1])
        mo = onsets.get(k if tr else None)
        if mo is not None and i0 <= int(round(mo * sfreq)) < i0 + s0:
            f0 = int(round(mo * sfreq)) - i0  # accelerometer movement onset: sharper
        e1 = s1 + int(post[0])
        n_trim = int(round(trim * sfreq))
        ff0, ff1 = s0 + n_trim, s1 - n_trim
        if ff1 - ff0 < 2:
            rows.append({**na, "max_angle_deg": peak,
                         "reason": f"full flexion ({(s1 - s0) / sfreq:.2f} s) shorter than "
                                   f"2 x trim_s"})
            continue
        rows.append({**base, "flexion_start_s": (i0 + f0) / sfreq,
                     "full_flexion_start_s": (i0 + ff0) / sfreq,
                     "full_flexion_stop_s": (i0 + ff1) / sfreq,
                     "extension_stop_s": (i0 + e1) / sfreq, "max_angle_deg": peak,
                     "status": STATUS_OK, "reason": None,
                     "_static": ((i0 + s0) / sfreq, (i0 + s1) / sfreq)})
    meta = {"method": "trunk angle from the accelerometer's gravity vector",
            "baseline_s": list(baseline), "onset_deg": on_deg, "static_deg_s": st,
            "full_flexion": ">= 0.8 x peak angle and static, trimmed", "trim_s": trim,
            "smooth_s": smooth_s}
    table = MetricTable(rows, PHASE_COLUMNS, meta, kind="flexion_phases")
    # untrimmed static limits for the extension phase (kept out of the columns)
    table.meta["static_s"] = {str(r["trial"]): list(r["_static"]) for r in rows
                              if "_static" in r}
    return table


def _phases_from_events(rec: Recording, trials: str | None) -> list[dict[str, Any]] | None:
    labels = {e.label for e in rec.events}
    ff_label = next((lab for lab in FULL_FLEXION_LABELS if lab in labels), None)
    if ff_label is None:
        return None
    tr = trial_events(rec, trials) if trials else []
    spans = tr if tr else [(0.0, rec.duration)]
    out = []
    for k, (t0, t1) in enumerate(spans):
        def first(lab: str | None) -> tuple[float, float] | None:
            if lab is None:
                return None
            evs = [(e.onset, e.onset + e.duration) for e in rec.events
                   if e.label == lab and e.duration > 0 and t0 <= e.onset < t1]
            return evs[0] if evs else None
        ff = first(ff_label)
        out.append({"trial": k if tr else None, "flexion": first("flexion" if "flexion" in
                                                                 labels else None),
                    "full_flexion": ff,
                    "extension": first("extension" if "extension" in labels else None)})
    return out


FRR_COLUMNS = ("trial", "channel", "muscle", "side", "frr", "err", "flexion_v",
               "full_flexion_v", "extension_v", "flexion_start_s", "full_flexion_start_s",
               "full_flexion_stop_s", "extension_stop_s", "status", "reason")


def compute_flexion_relaxation(
    rec: Recording,
    *,
    definition: str = "watson",
    phases: str = "auto",
    window_s: float = 0.5,
    picks: Any = None,
    trials: str | None = "trial",
    baseline: tuple[float, float] = (0.0, 0.5),
    trim_s: float = 0.5,
    rail_v: float | None = None,
) -> MetricTable:
    """Flexion-relaxation ratio (FRR) and extension-relaxation ratio (ERR) per trial.

    Parameters
    ----------
    rec : Recording
        Band-passed EMG (V) of the back extensors, and accelerometer channels or
        phase events.
    definition : {"watson", "mean"}
        ``"watson"``: max moving RMS in flexion (extension) / mean moving RMS in full
        flexion; ``"mean"``: mean / mean (module notes).
    phases : {"auto", "events", "accelerometer"}
        Where the phases come from (``"auto"``: events if the recording has
        full-flexion events, else the accelerometer).
    window_s : float
        Moving-RMS window, s (default 0.5 s).
    picks : optional
        Channels (default the back extensors: longissimus, iliocostalis, multifidus;
        every EMG channel if none is labelled).
    trials : str or None
        Trial events label.
    baseline : (float, float)
        Upright baseline for the accelerometer, s from the start of each trial.
    trim_s : float
        Shortening of the detected full-flexion phase at both ends, s.
    rail_v : float, optional
        Amplifier rail for the railed check.

    Returns
    -------
    MetricTable
        Kind ``"flexion_relaxation"``: per trial and channel ``frr``, ``err`` (ratios),
        the RMS values used (V) and the phase limits (s).
    """
    check_option("definition", definition, FRR_DEFINITIONS)
    check_option("phases", phases, PHASE_SOURCES)
    sfreq = rec.sfreq
    n_win = n_samples("window_s", window_s, sfreq)
    if picks is None:
        idx = [i for i, (t, m) in enumerate(zip(rec.ch_types, rec.muscles))
               if t == "emg" and m is not None and m.muscle in BACK_MUSCLES]
        if not idx:
            idx = emg_indices(rec, None)
    else:
        idx = emg_indices(rec, picks)
    ev = _phases_from_events(rec, trials) if phases in ("auto", "events") else None
    if phases == "events" and ev is None:
        raise ValidationError(
            "phases='events' needs events labelled 'full_flexion' (or 'full-flexion'), "
            "'flexion' and 'extension'")
    plist: list[dict[str, Any]] = []
    if ev is not None:
        source = "events"
        for p in ev:
            ok = p["full_flexion"] is not None
            plist.append({"trial": p["trial"], "flexion": p["flexion"],
                          "full_flexion": p["full_flexion"], "extension": p["extension"],
                          "status": STATUS_OK if ok else STATUS_NA,
                          "reason": None if ok else "no full-flexion event in the trial"})
    else:
        source = "accelerometer"
        ph = detect_flexion_phases(rec, trials=trials, baseline=baseline, trim_s=trim_s)
        static = ph.meta.get("static_s", {})
        for r in ph.rows:
            if r["status"] != STATUS_OK:
                plist.append({"trial": r["trial"], "flexion": None, "full_flexion": None,
                              "extension": None, "status": STATUS_NA, "reason": r["reason"]})
                continue
            s0, s1 = static[str(r["trial"])]
            plist.append({"trial": r["trial"],
                          "flexion": (r["flexion_start_s"], s0),
                          "full_flexion": (r["full_flexion_start_s"], r["full_flexion_stop_s"]),
                          "extension": (s1, r["extension_stop_s"]),
                          "status": STATUS_OK, "reason": None})
    rail = rail_of(rec, rail_v)
    stat_num = "max" if definition == "watson" else "mean"
    rows = []
    for p in plist:
        lim = {"flexion_start_s": p["flexion"][0] if p["flexion"] else math.nan,
               "full_flexion_start_s": p["full_flexion"][0] if p["full_flexion"] else math.nan,
               "full_flexion_stop_s": p["full_flexion"][1] if p["full_flexion"] else math.nan,
               "extension_stop_s": p["extension"][1] if p["extension"] else math.nan}
        for i in idx:
            info = channel_info(rec, i)
            row = {"trial": p["trial"], **info, **lim, "frr": math.nan, "err": math.nan,
                   "flexion_v": math.nan, "full_flexion_v": math.nan,
                   "extension_v": math.nan, "status": STATUS_NA, "reason": p["reason"]}
            if p["status"] != STATUS_OK:
                rows.append(row)
                continue
            vals = {}
            reasons = []
            for name, span, stat in (("full_flexion", p["full_flexion"], "mean"),
                                     ("flexion", p["flexion"], stat_num),
                                     ("extension", p["extension"], stat_num)):
                if span is None:
                    vals[name] = math.nan
                    continue
                a, b = int(math.ceil(span[0] * sfreq)), int(math.ceil(span[1] * sfreq))
                x = rec.data[i, max(0, a):min(rec.n_times, b)]
                why = assess(x, rail_v=rail)
                if why is None and x.size < n_win:
                    why = (f"{name.replace('_', ' ')} phase ({x.size / sfreq:.2f} s) shorter "
                           f"than the {n_win / sfreq:g} s window")
                if why is not None:
                    reasons.append(f"{name.replace('_', ' ')}: {why}")
                    vals[name] = math.nan
                    continue
                env = moving_rms_valid(x, n_win)
                vals[name] = float(env.max() if stat == "max" else env.mean())
            row.update(flexion_v=vals["flexion"], full_flexion_v=vals["full_flexion"],
                       extension_v=vals["extension"])
            ff = vals["full_flexion"]
            if not (ff > 0):
                row["reason"] = "; ".join(reasons) or "no full-flexion amplitude"
                rows.append(row)
                continue
            row["frr"] = vals["flexion"] / ff
            row["err"] = vals["extension"] / ff
            ok = math.isfinite(row["frr"]) or math.isfinite(row["err"])
            row.update(status=STATUS_OK if ok else STATUS_NA,
                       reason="; ".join(reasons) or None)
            rows.append(row)
    meta = {"definition": definition,
            "frr": f"{stat_num} RMS in flexion / mean RMS in full flexion",
            "err": f"{stat_num} RMS in extension / mean RMS in full flexion",
            "window_s": n_win / sfreq, "phases": source, "sfreq": sfreq}
    return MetricTable(rows, FRR_COLUMNS, meta, kind="flexion_relaxation")


# ------------------------------------------------------------------ Sorensen
def compute_sorensen(
    rec: Recording,
    *,
    hold: tuple[float, float] | None = None,
    trim_s: float = 1.0,
    min_angle_deg: float = 10.0,
    static_deg_s: float = 5.0,
    baseline: tuple[float, float] = (0.0, 0.5),
    picks: Any = None,
    **kwargs: Any,
) -> SpectralFatigue:
    """Spectral fatigue over a Biering-Sorensen hold.

    Parameters
    ----------
    rec : Recording
        EMG (V) and an accelerometer on the trunk, or a ``"hold"`` event.
    hold : (float, float), optional
        The hold, s.  Default: the first event labelled ``"hold"``, else the
        longest static period of the trunk raised >= ``min_angle_deg`` from the
        ``baseline`` posture (accelerometer).
    trim_s : float
        Shortening of the hold at both ends, s (default 1 s: the trunk settles).
    min_angle_deg, static_deg_s, baseline :
        Hold detection from the accelerometer (see :func:`trunk_angle`).
    picks : optional
        EMG channels.
    **kwargs
        Passed to :func:`~emgcontrol.metrics.compute_spectral_fatigue`
        (``window_s``, ``overlap_s``, ``method``...).

    Returns
    -------
    SpectralFatigue
        ``meta["hold_s"]`` is the span analysed and ``meta["hold_source"]`` where
        it came from; ``meta["hold_duration_s"]`` the detected hold length
        (endurance time when the subject held until exhaustion).
    """
    trim = check_positive("trim_s", trim_s, allow_zero=True)
    if hold is not None:
        a, b = check_window("hold", hold, rec.duration)
        source = "given"
    else:
        evs = [(e.onset, e.onset + e.duration) for e in rec.events
               if e.label == "hold" and e.duration > 0]
        if evs:
            a, b = evs[0]
            source = "event 'hold'"
        else:
            theta, omega = trunk_angle(rec, baseline=baseline)
            st = check_positive("static_deg_s", static_deg_s)
            mask = (theta >= check_positive("min_angle_deg", min_angle_deg)) & \
                (np.abs(omega) < st)
            runs = _runs(mask)
            if not runs:
                raise ValidationError(
                    "no hold found from the accelerometer (no static period with the trunk "
                    f"raised >= {min_angle_deg:g} deg); give hold=(start_s, stop_s)")
            s0, s1 = max(runs, key=lambda r: r[1] - r[0])
            a, b = s0 / rec.sfreq, s1 / rec.sfreq
            source = "accelerometer"
    if b - a <= 2 * trim:
        raise ValidationError(
            f"the hold ({a:.2f}-{b:.2f} s) is not longer than 2 x trim_s={trim:g} s")
    span = (a + trim, b - trim)
    res = compute_spectral_fatigue(rec, windows=[span], picks=picks, **kwargs)
    res.meta.update({"hold_s": [span[0], span[1]], "hold_source": source,
                     "hold_duration_s": b - a, "trim_s": trim})
    return res
