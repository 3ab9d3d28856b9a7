"""The assessment chain: from a Recording to the measures a pattern needs.

:func:`measure` runs, through the public APIs of emgcontrol, the chain a
comparison rests on and records it:

1. signal quality of every EMG channel (:func:`emgcontrol.signal.quality.quality`);
   a channel is *unusable* when a check that no processing can repair is bad
   (non-finite, railed, flat, clipping, DC offset near the rail, jumps);
2. ECG removal (:func:`emgcontrol.signal.ecg.remove_ecg`, template subtraction)
   when the pattern uses trunk muscles, on every usable channel that can carry
   heartbeats (all but thigh and leg muscles);
3. band-pass and mains notch adapted to the sampling rate
   (:func:`emgcontrol.signal.filter_emg`, ``notch="auto"``);
4. trials (events, or movements) and movement onsets
   (:func:`emgcontrol.metrics.detect_movement_onset` or events);
5. onsets (:func:`emgcontrol.onset.detect_onsets` on the ECG-cleaned signal,
   with the pattern's detector parameters); per trial the first onset inside the
   pattern's search window around the movement counts;
6. noise floor of each channel: RMS of the filtered signal over its quiet
   samples (:func:`emgcontrol.onset.quiet_mask`);
7. amplitudes per phase and trial (:func:`emgcontrol.metrics.compute_amount`),
   normalised to MVC (:func:`emgcontrol.metrics.normalize`), noise-corrected; the
   MVC reference (:func:`emgcontrol.patterns.mvc_reference`) is each muscle's own
   contraction (``"mvc:<muscle>"`` labels), clearly above its rest, and is refused
   where it would put the task above
   :data:`~emgcontrol.patterns.MAX_TASK_PERCENT_MVC` (that muscle's amounts are then
   not assessable, with the reason);
   flexion-relaxation ratios (:func:`emgcontrol.metrics.compute_flexion_relaxation`);
   median-frequency slopes (:func:`emgcontrol.metrics.compute_sorensen`);
   co-contraction (:func:`emgcontrol.metrics.compute_cocontraction`).

Noise correction
    White baseline noise adds its power to the EMG: a muscle at rest reads the
    noise RMS ``n``, not zero.  Amplitudes are corrected by power subtraction,
    ``a_c = sqrt(max(a**2 - n**2, 0))`` (Clancy et al. 2002), with ``n`` the
    channel's noise floor measured on its quiet samples.  A ratio whose
    denominator is at the noise level (the back extensors at full flexion when
    flexion-relaxation is present) uses ``max(a_c, 0.5 n)`` as denominator: over a
    2-3 s phase, activity below half the noise RMS cannot be told from none, so the
    ratio is reported as the lower bound it is.  Both raw and corrected values
    are kept in the measures.

References
----------
Clancy EA, Morin EL, Merletti R (2002) Sampling, noise-reduction and amplitude
estimation issues in surface electromyography. J Electromyogr Kinesiol 12:1-16.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validate import check_option
from ..errors import EmgcontrolError, ValidationError
from ..metrics._common import jsonable
from ._format import Criterion, MuscleGroup, TargetPattern

if TYPE_CHECKING:  # pragma: no cover
    from ..recording import Recording

__all__ = ["Measures", "measure", "HARD_CHECKS", "NOISE_FLOOR_FRACTION"]

HARD_CHECKS = ("nonfinite", "railed", "flat", "clipping", "dc_offset", "jumps")
"""Quality checks whose ``"bad"`` verdict makes a channel unusable: no processing
repairs them.  Mains and ECG are removed by the chain; a low SNR is handled per
criterion."""

NOISE_FLOOR_FRACTION = 0.5
"""Smallest denominator of a noise-corrected ratio, in noise RMS units (see the
module notes)."""

ACTIVITY_MIN = 1.4
"""A channel whose quality check suggests lost contact (mains or SNR ``"bad"``) and
whose RMS over :data:`ACTIVITY_WINDOW_S` windows stays below this multiple of its
noise floor in all but 1 % of the windows (99th percentile) shows no EMG: an
electrode not in contact reads mains and drift, which the filters remove.  It is not
usable.  On simulated sessions a disconnected electrode reads 1.16 (500 Hz) to 1.27
(250 Hz); channels with rapid-arm-raise bursts 3 dB above the noise (0.3 s bursts,
5 % of the time) read 1.48-2.0."""

ACTIVITY_WINDOW_S = 0.25

ACTIVITY_PERCENTILE = 99.0

MIN_SPECTRAL_POWER_FRACTION = 0.5
"""Median-frequency slopes are not assessed when the analysed band keeps less than
this share of a typical lumbar EMG spectrum's power (below about 200 Hz sampling;
:func:`emgcontrol.metrics.spectral_bias`)."""

_ARV_PER_RMS = math.sqrt(2.0 / math.pi)
"""ARV / RMS of a Gaussian signal: the ARV reference derived from an MVC RMS value given
alone (surface EMG at full recruitment is close to Gaussian)."""

_NO_ECG_GROUPS = ("thigh", "leg")
_TRUNK_GROUPS = ("back", "abdominal")


@dataclass
class Measures:
    """What the assessment chain measured for a pattern (input of :func:`compare`).

    Every table is a list of JSON-ready row dicts; values in SI units or the unit
    named by the column (``_s``, ``_v``, ``%MVC``...).

    Attributes
    ----------
    pattern : str
        Id of the pattern the measures were made for.
    sfreq : float or None
        Sampling rate of the recording, Hz.
    channels : list of dict
        Per channel: ``channel, muscle, side, usable, reason, quality, snr_db,
        noise_rms_v``.
    trials : list of dict
        Per trial: ``trial, start_s, stop_s, movement_onset_s, movement_reason``.
    onsets : list of dict
        Per trial and channel: the first onset inside the search window
        (``onset_s``, ``offset_s``, ``window_s``, ``status``, ``reason``).
    amounts : list of dict
        Per trial, phase, channel and measure: ``raw_v``, ``corrected_v``, ``value``
        (%MVC, noise-corrected), ``value_raw`` (%MVC, uncorrected), ``status``.
    flexion_relaxation : list of dict
        Per trial and channel: ``frr``, ``err`` (noise-corrected), ``frr_raw``,
        ``err_raw``, phase amplitudes (V), ``noise_rms_v``.
    fatigue : list of dict
        Per channel: median-frequency slope (``slope_pct_per_s``, ``slope_hz_per_s``,
        ``initial_hz``, ``r2``), ``snr_db`` over the hold, ``rate_factor``.
    cocontraction : list of dict
        Per trial, phase and pair: co-contraction index.
    tables : dict
        JSON-ready source tables (activations, movement onsets, quality report,
        MVC reference, firing order...).
    processing : dict
        The processing chain: recording history, detector and metric parameters,
        what was applied and what not (with the reason).
    warnings : list of str
        What the user should know (missing muscles, ECG not removed, low rate...).
    mvc : bool
        Whether amplitudes are normalised to an MVC (or other) reference.
    """

    pattern: str
    sfreq: float | None = None
    channels: list[dict[str, Any]] = field(default_factory=list)
    trials: list[dict[str, Any]] = field(default_factory=list)
    onsets: list[dict[str, Any]] = field(default_factory=list)
    amounts: list[dict[str, Any]] = field(default_factory=list)
    flexion_relaxation: list[dict[str, Any]] = field(default_factory=list)
    fatigue: list[dict[str, Any]] = field(default_factory=list)
    cocontraction: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[str, Any] = field(default_factory=dict)
    processing: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    mvc: bool = False
    computed: set[str] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every measure."""
        return jsonable({
            "pattern": self.pattern, "sfreq": self.sfreq, "mvc": self.mvc,
            "channels": self.channels, "trials": self.trials, "onsets": self.onsets,
            "amounts": self.amounts, "flexion_relaxation": self.flexion_relaxation,
            "fatigue": self.fatigue, "cocontraction": self.cocontraction,
            "tables": self.tables, "computed": sorted(self.computed)})

    @classmethod
    def from_activations(cls, activations: Any, *, pattern: str = "",
                         movement_onsets: Mapping[int, float] | Sequence[float] | None = None,
                         window: tuple[float, float] | None = None) -> Measures:
        """Measures holding onsets only, from an activation table.

        Parameters
        ----------
        activations : Activations or DataFrame
            Output of :func:`emgcontrol.onset.detect_onsets` (or a table with its
            columns).
        pattern : str
            Pattern id (for the record).
        movement_onsets : mapping trial -> s, or sequence, optional
            Movement onsets; with ``window`` they bound the onset search.
        window : (float, float), optional
            Search window relative to the movement onset, s.
        """
        from ..metrics._common import activation_rows

        rows, chans, meta = activation_rows(activations)
        m = cls(pattern=pattern)
        m.computed.add("onsets")
        for c in chans:
            ok = c["status"] == "ok"
            m.channels.append({"channel": c["channel"], "muscle": c["muscle"],
                               "side": c["side"], "usable": ok,
                               "reason": None if ok else c["reason"], "quality": None,
                               "snr_db": None, "noise_rms_v": None})
        trial_ids = sorted({r["trial"] for r in rows if r["trial"] is not None})
        if not trial_ids:
            trial_ids = [0]
            for r in rows:
                r["trial"] = 0
        mo: dict[int, float] = {}
        if movement_onsets is not None:
            mo = ({int(k): float(v) for k, v in movement_onsets.items()}
                  if isinstance(movement_onsets, Mapping)
                  else {k: float(v) for k, v in enumerate(movement_onsets)})
        for t in trial_ids:
            m.trials.append({"trial": t, "start_s": None, "stop_s": None,
                             "movement_onset_s": mo.get(t), "movement_reason": None})
        for t in trial_ids:
            for c in m.channels:
                mine = [r for r in rows if r["channel"] == c["channel"] and r["trial"] == t]
                win = None
                if window is not None and mo.get(t) is not None:
                    win = (mo[t] + window[0], mo[t] + window[1])
                    mine = [r for r in mine if win[0] <= r["onset"] <= win[1]]
                m.onsets.append(_onset_row(t, c, mine, win))
        m.tables["detector"] = jsonable(meta)
        m.processing["detector"] = jsonable(meta)
        return m


def _onset_row(t: int, c: Mapping[str, Any], mine: list[dict[str, Any]],
               win: tuple[float, float] | None) -> dict[str, Any]:
    base = {"trial": t, "channel": c["channel"], "muscle": c["muscle"], "side": c["side"],
            "window_s": list(win) if win else None}
    if not c["usable"] or c.get("onset_reason"):
        return {**base, "onset_s": None, "offset_s": None, "status": "not_assessable",
                "reason": c.get("onset_reason") or c["reason"]}
    if not mine:
        where = (f"between {win[0]:.2f} and {win[1]:.2f} s" if win else "in the trial")
        return {**base, "onset_s": None, "offset_s": None, "status": "not_assessable",
                "reason": f"no onset {where}"}
    first = min(mine, key=lambda r: r["onset"])
    return {**base, "onset_s": float(first["onset"]), "offset_s": float(first["offset"]),
            "status": "ok", "reason": None}


# ------------------------------------------------------------------ helpers
def channels_of(group: MuscleGroup, channels: Sequence[Mapping[str, Any]]) -> list[str]:
    """Channels recording the group's muscles (a muscle without side: both sides)."""
    out = []
    for c in channels:
        for m in group.muscles:
            if c["muscle"] == m.muscle and (m.side is None or c["side"] == m.side):
                out.append(c["channel"])
                break
    return out


def _needs(pattern: TargetPattern) -> dict[str, Any]:
    kinds = {c.kind for c in pattern.criteria}
    onset_phases = [p for p in pattern.phases.values() if p.anchor.startswith("onset:")]
    timing = bool(kinds & {"order", "latency"}) or bool(onset_phases)
    return {"timing": timing,
            "amount": bool(kinds & {"amount", "ratio"}),
            "frr": "flexion_relaxation" in kinds,
            "fatigue": "mdf_slope" in kinds,
            "cocontraction": "cocontraction" in kinds}


def _trial_windows(rec: Recording, pattern: TargetPattern) -> tuple[list[tuple[float, float]],
                                                                     str]:
    spec = pattern.trials
    dur = rec.duration
    if spec.source != "whole":
        tr = [(e.onset, min(e.onset + e.duration, dur)) for e in rec.events
              if e.label == spec.label and e.duration > 0 and e.onset < dur]
        if tr:
            return tr, f"events labelled {spec.label!r}"
    if spec.source in ("events", "movement") and "acc" in rec.ch_types \
            and pattern.movement.source == "accelerometer":
        found = _movement_trials(rec, pattern)
        if found:
            return found, "movements found by the accelerometer"
    return [(0.0, dur)], "whole recording (one trial)"


def _movement_trials(rec: Recording, pattern: TargetPattern) -> list[tuple[float, float]]:
    """Trials cut around successive movements (no trial events)."""
    from ..metrics import detect_movement_onset

    spec = pattern.trials
    params = dict(pattern.movement.params)
    base = params.get("baseline", (0.0, 0.5))
    out: list[tuple[float, float]] = []
    t = 0.0
    dur = rec.duration
    while t + base[1] + spec.post_s <= dur + 1e-9:
        stop = min(dur, t + 60.0)
        try:
            tab = detect_movement_onset(rec, windows=[(t, stop)], trials=None, **params)
        except ValidationError:
            break
        row = tab.rows[0]
        if row["status"] != "ok":
            break
        on = float(row["onset_s"])
        a, b = max(0.0, on - spec.pre_s), min(dur, on + spec.post_s)
        out.append((a, b))
        t = b
    return out


def _first_event(rec: Recording, label: str, a: float, b: float) -> float | None:
    evs = sorted(e.onset for e in rec.events if e.label == label and a <= e.onset < b)
    return evs[0] if evs else None


# --------------------------------------------------------------- the chain
def measure(
    rec: Recording,
    pattern: TargetPattern,
    *,
    mvc: Any = None,
    quality_thresholds: Any = None,
    onset_params: Mapping[str, Any] | None = None,
    ecg: str | None = "auto",
    notch: float | str | None = "auto",
) -> Measures:
    """Run the assessment chain on a recording for a pattern (see the module notes).

    Parameters
    ----------
    rec : Recording
        Raw EMG (V) with muscles assigned to channels, trial events and, ideally,
        accelerometer channels.
    pattern : TargetPattern
        What to measure for.
    mvc : optional
        Normalisation reference: None (the recording's ``"mvc"`` events if any), a
        Recording of MVC contractions, a mapping channel/muscle -> RMS in V (the ARV
        reference is then taken as ``RMS * sqrt(2/pi)``, exact for Gaussian EMG) or
        ``{"rms": V, "arv": V}``, or a :class:`~emgcontrol.metrics.NormalizationReference`.
    quality_thresholds : optional
        Overrides of the quality thresholds
        (:class:`~emgcontrol.signal.quality.QualityThresholds`).
    onset_params : mapping, optional
        Detector parameters overriding the pattern's ``[onsets]``.
    ecg : {"auto", "template", "highpass"} or None
        ECG removal method (``"auto"``: template subtraction when the pattern uses
        trunk muscles); None: no removal.
    notch : "auto", float or None
        Mains notch of the band-pass step.

    Returns
    -------
    Measures
    """
    from ..recording import Recording

    if not isinstance(rec, Recording):
        raise ValidationError(f"rec must be a Recording; got {type(rec).__name__}")
    if ecg is not None:
        check_option("ecg", ecg, ("auto", "template", "highpass"))
    emg_idx = [i for i, t in enumerate(rec.ch_types) if t == "emg"]
    if not emg_idx:
        raise ValidationError("the recording has no EMG channel to compare "
                              f"(channel types: {', '.join(sorted(set(rec.ch_types)))})")
    needs = _needs(pattern)
    m = Measures(pattern=pattern.id, sfreq=rec.sfreq)
    notes: list[str] = m.warnings

    # ---- channels of the pattern and their quality
    all_ch = [{"channel": rec.ch_names[i], "muscle": rec.muscles[i].muscle
               if rec.muscles[i] else None,
               "side": rec.muscles[i].side if rec.muscles[i] else None} for i in emg_idx]
    wanted: list[str] = []
    for c in pattern.criteria:
        for g in c.groups():
            for ch in channels_of(g, all_ch):
                if ch not in wanted:
                    wanted.append(ch)
    for ref in pattern.required:
        if not any(c["muscle"] == ref.muscle and (ref.side is None or c["side"] == ref.side)
                   for c in all_ch):
            notes.append(f"required muscle not recorded: {ref}")
    from ..signal.quality import quality

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = quality(rec, picks=[rec.ch_names[i] for i in emg_idx],
                         thresholds=quality_thresholds)
    notes.extend(_warning_texts(caught, "quality"))
    m.tables["quality"] = report.to_dict()
    for c in all_ch:
        cq = report[c["channel"]]
        hard = [f"{k}: {cq.checks[k].reason}" for k in HARD_CHECKS
                if cq.checks[k].verdict == "bad"]
        snr = cq.checks["snr"].value
        suspect = [k for k in ("mains", "snr") if cq.checks[k].verdict == "bad"]
        m.channels.append({**c, "usable": not hard, "reason": "; ".join(hard) or None,
                           "quality": cq.verdict, "quality_reason": cq.reason,
                           "snr_db": snr, "noise_rms_v": None,
                           "contact_suspect": "; ".join(
                               f"{k}: {cq.checks[k].reason}" for k in suspect) or None,
                           "in_pattern": c["channel"] in wanted})
    usable = [c["channel"] for c in m.channels if c["usable"] and c["channel"] in wanted]
    bad = [c["channel"] for c in m.channels if not c["usable"] and c["channel"] in wanted]
    for ch in bad:
        row = next(c for c in m.channels if c["channel"] == ch)
        notes.append(f"channel {ch} is not usable ({row['reason']}): criteria that need it "
                     "are not assessable")
    proc: dict[str, Any] = {"quality": {"thresholds": report.thresholds.to_dict(),
                                        "hard_checks": list(HARD_CHECKS),
                                        "unusable": bad}}
    m.processing = proc

    # ---- ECG removal
    clean = rec
    trunk = any(r.info.group in _TRUNK_GROUPS for r in pattern.muscles)
    ecg_info: dict[str, Any] = {"applied": False}
    if ecg is not None and trunk and usable:
        picks = [ch for ch in usable
                 if (next(c for c in m.channels if c["channel"] == ch)["muscle"] is None)
                 or _group_of(next(c for c in m.channels if c["channel"] == ch)["muscle"])
                 not in _NO_ECG_GROUPS]
        method = "template" if ecg == "auto" else ecg
        if picks and rec.sfreq >= 100.0 and rec.duration >= 2.0:
            from ..signal.ecg import remove_ecg

            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    clean = remove_ecg(rec, method=method, picks=picks)
                notes.extend(_warning_texts(caught, "ECG removal"))
                ecg_info = {"applied": True, "method": method, "channels": picks}
            except EmgcontrolError as err:
                ecg_info = {"applied": False, "method": method, "channels": picks,
                            "reason": str(err)}
                notes.append(f"ECG not removed: {_short(str(err))}")
        else:
            ecg_info["reason"] = ("needs >= 2 s at >= 100 Hz" if picks else
                                  "no channel that carries heartbeats")
    elif ecg is None:
        ecg_info["reason"] = "switched off (ecg=None)"
    else:
        ecg_info["reason"] = "the pattern uses no trunk muscle" if not trunk else \
            "no usable channel"
    proc["ecg"] = ecg_info

    # ---- band-pass + notch
    from ..signal import filter_emg

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        filt = filter_emg(clean, notch=notch)
    notes.extend(_warning_texts(caught, "filter"))
    fstep = filt.history[-1]["params"]
    band = (float(fstep["l_freq"]), float(fstep["h_freq"]))

    # ---- noise floors
    bw = band[1] - band[0]
    for c in m.channels:
        if not c["usable"] or c["channel"] not in wanted:
            continue
        y = filt.data[filt.ch_names.index(c["channel"])]
        c["noise_rms_v"] = noise_floor(y, filt.sfreq, bw)
        c["activity_ratio"] = _activity_ratio(y, filt.sfreq, c["noise_rms_v"])
        contact = c.get("contact_suspect")
        if contact and c["activity_ratio"] is not None \
                and c["activity_ratio"] < ACTIVITY_MIN:
            why = (f"no EMG activity above the noise in the recording ({ACTIVITY_WINDOW_S:g} s "
                   f"RMS at its {ACTIVITY_PERCENTILE:g}th percentile "
                   f"{c['activity_ratio']:.2f} x the noise floor, needs {ACTIVITY_MIN:g}): "
                   "electrode not in contact, or the muscle never contracted")
            why += f"; {contact}"
            c["usable"] = False
            c["reason"] = why
            notes.append(f"channel {c['channel']} is not usable ({why})")
            usable = [ch for ch in usable if ch != c["channel"]]
    noise = {c["channel"]: c["noise_rms_v"] for c in m.channels}
    proc["noise_floor"] = {"method": "RMS of the band-passed signal over its quiet blocks "
                                     "(emgcontrol.patterns noise_floor: blocks of 50 degrees "
                                     "of freedom, grown from the quietest 10 % up to 2 "
                                     "log-power spreads above their median)",
                           "ratio_floor_noise_fraction": NOISE_FLOOR_FRACTION}

    # ---- trials and anchors
    tr_windows, tr_source = _trial_windows(rec, pattern)
    proc["trials"] = {"source": tr_source, "n": len(tr_windows)}
    mov: dict[int, float | None] = {}
    mov_why: dict[int, str | None] = {}
    msrc = pattern.movement.source
    if msrc == "accelerometer":
        if "acc" in rec.ch_types:
            from ..metrics import detect_movement_onset

            try:
                tab = detect_movement_onset(rec, windows=tr_windows, trials=None,
                                            **dict(pattern.movement.params))
                m.tables["movement_onsets"] = tab.to_dict()
                proc["movement"] = {"source": "accelerometer", **jsonable(tab.meta)}
                for k, r in enumerate(tab.rows):
                    ok = r["status"] == "ok"
                    mov[k] = float(r["onset_s"]) if ok else None
                    mov_why[k] = None if ok else f"movement onset: {r['reason']}"
            except ValidationError as err:
                proc["movement"] = {"source": "accelerometer", "error": str(err)}
                notes.append(f"movement onsets not found: {err}")
        else:
            proc["movement"] = {"source": "none", "reason": "no accelerometer channel"}
            if pattern.onsets.anchor == "movement" or any(
                    p.anchor == "movement" for p in pattern.phases.values()) or any(
                    c.params.get("relative_to") == "movement" for c in pattern.criteria):
                notes.append("no accelerometer: movement onsets unknown (onsets are searched "
                             "in the whole trial; movement-anchored phases are not assessable)")
    elif msrc.startswith("event:"):
        lab = msrc[6:]
        for k, (a, b) in enumerate(tr_windows):
            mov[k] = _first_event(rec, lab, a, b)
            mov_why[k] = None if mov[k] is not None else f"no {lab!r} event in the trial"
        proc["movement"] = {"source": msrc}
    labels = sorted({str(c.params["relative_to"])[6:] for c in pattern.criteria
                     if c.kind == "latency" and isinstance(c.params["relative_to"], str)
                     and c.params["relative_to"].startswith("event:")})
    for k, (a, b) in enumerate(tr_windows):
        m.trials.append({"trial": k, "start_s": a, "stop_s": b,
                         "movement_onset_s": mov.get(k),
                         "movement_reason": mov_why.get(k),
                         "events": {lab: _first_event(rec, lab, a, b) for lab in labels}})

    def anchor_time(anchor: str, k: int) -> tuple[float | None, str | None]:
        a, b = tr_windows[k]
        if anchor == "trial":
            return a, None
        if anchor == "movement":
            t = mov.get(k)
            return t, (mov_why.get(k) or "movement onset unknown") if t is None else None
        if anchor.startswith("event:"):
            t = _first_event(rec, anchor[6:], a, b)
            return t, None if t is not None else f"no {anchor[6:]!r} event in trial {k}"
        if anchor.startswith("onset:"):
            g = pattern.groups[anchor[6:]]
            chans = channels_of(g, m.channels)
            ons = [o["onset_s"] for o in m.onsets if o["trial"] == k and o["channel"] in chans
                   and o["status"] == "ok"]
            if not ons:
                return None, f"no onset of {g.name} in trial {k}"
            return min(ons), None
        return None, f"unknown anchor {anchor!r}"  # pragma: no cover - validated on load

    # ---- onsets
    if needs["timing"]:
        m.computed.add("onsets")
        det_chans = usable
        params = {**dict(pattern.onsets.params), **dict(onset_params or {})}
        acts = None
        if det_chans:
            from ..onset import detect_onsets

            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                acts = detect_onsets(clean, picks=det_chans, ecg=None, **params)
            notes.extend(_warning_texts(caught, "onset detection"))
            m.tables["activations"] = acts.to_dict()
            proc["detector"] = jsonable(acts.meta)
            chan_status = {c.channel: c for c in acts.channels}
            act_rows = [r.to_dict() for r in acts]
        else:
            chan_status, act_rows = {}, []
        for c in m.channels:
            st = chan_status.get(c["channel"])
            if st is not None and st.status != "ok":
                c["onset_reason"] = f"onset detector: {st.reason}"
        win = pattern.onsets.window
        for k in range(len(tr_windows)):
            a, b = tr_windows[k]
            w: tuple[float, float] | None = (a, b)
            note = None
            if win is not None:
                t0, why = anchor_time(pattern.onsets.anchor, k)
                if t0 is not None:
                    w = (t0 + win[0], t0 + win[1])
                else:
                    note = f"{why}; searched the whole trial"
            for c in m.channels:
                if c["channel"] not in wanted:
                    continue
                mine = [r for r in act_rows if r["channel"] == c["channel"]
                        and w[0] <= r["onset"] <= w[1]]
                row = _onset_row(k, c, mine, w)
                if note:
                    row["note"] = note
                mo = mov.get(k)
                row["latency_movement_ms"] = (1000.0 * (row["onset_s"] - mo) if mo is not None
                                              and row["onset_s"] is not None else None)
                m.onsets.append(row)
        if acts is not None and len(det_chans) >= 2:
            from ..metrics import compute_firing_order

            fo = compute_firing_order(acts, channels=det_chans)
            m.tables["firing_order"] = jsonable(fo.summary)

    # ---- normalisation reference
    ref = None
    if needs["amount"] or needs["cocontraction"]:
        ref, why, mvc_info = _mvc_reference(rec, filt, mvc, notch)
        if ref is not None:
            from ._mvc import refuse_implausible, task_mvc_windows

            m.mvc = True
            ref, refused, pct = refuse_implausible(ref, filt, usable, tr_windows,
                                                   exclude=task_mvc_windows(rec))
            m.tables["mvc_reference"] = ref.to_dict()
            proc["normalization"] = jsonable(ref.meta)
            proc["normalization"]["task_percent_mvc"] = {k: round(v, 1)
                                                         for k, v in pct.items()}
            if mvc_info.get("note"):
                notes.append(f"MVC reference: {mvc_info['note']}")
            for ch, reason in {**mvc_info.get("rejected", {}), **refused}.items():
                if ch in wanted:
                    notes.append(f"amplitudes of {ch} are not normalised: {reason}")
        else:
            proc["normalization"] = {"reference": None, "reason": why}
            notes.append(f"amplitudes are not normalised: {why}")

    # ---- amounts per phase and trial
    phase_names = sorted({c.params["phase"] for c in pattern.criteria
                          if c.kind in ("amount", "ratio", "cocontraction")})
    windows: dict[str, tuple[float, float]] = {}
    phase_why: dict[tuple[str, int], str] = {}
    for pname in phase_names:
        ph = pattern.phases[pname]
        for k, (a, b) in enumerate(tr_windows):
            t0, why = anchor_time(ph.anchor, k)
            if t0 is None:
                phase_why[(pname, k)] = f"phase {pname!r}: {why}"
                continue
            w0 = max(0.0, t0 + ph.start)
            w1 = min(rec.duration, t0 + ph.stop)
            if w1 - w0 < 4.0 / rec.sfreq:
                phase_why[(pname, k)] = f"phase {pname!r} lies outside the recording"
                continue
            windows[f"{pname}|{k}"] = (w0, w1)
    m.tables["phase_windows"] = {k: list(v) for k, v in windows.items()}
    amount_chans = [ch for ch in usable]
    if needs["amount"] and phase_names:
        m.computed.add("amounts")
        measures_needed = sorted({c.params["measure"] for c in pattern.criteria
                                  if c.kind in ("amount", "ratio")})
        for (pname, k), why in phase_why.items():
            for ch in wanted:
                for ms in measures_needed:
                    m.amounts.append(_amount_na(k, pname, ch, m.channels, ms, why))
        if windows and amount_chans:
            from ..metrics import compute_amount, normalize

            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                raw = compute_amount(filt, windows=windows, measures=measures_needed,
                                     picks=amount_chans)
                norm = normalize(raw, ref) if ref is not None else None
            notes.extend(_warning_texts(caught, "amplitude"))
            proc["amount"] = {"measures": measures_needed, "peak_window_s":
                              raw.meta.get("peak_window_s")}
            for i, r in enumerate(raw.rows):
                pname, k = r["segment"].split("|")
                nr = norm.rows[i] if norm is not None else None
                n = noise.get(r["channel"])
                row = {"trial": int(k), "phase": pname, "channel": r["channel"],
                       "muscle": r["muscle"], "side": r["side"], "measure": r["measure"],
                       "start_s": r["start_s"], "stop_s": r["stop_s"],
                       "raw_v": r["value"], "noise_rms_v": n, "corrected_v": None,
                       "value": None, "value_raw": None,
                       "unit": nr["unit"] if nr is not None else None,
                       "status": r["status"], "reason": r["reason"]}
                if r["status"] == "ok":
                    rv = float(r["value"])
                    nn = (n or 0.0) * (math.sqrt(2 / math.pi) if r["measure"] == "arv" else 1.0)
                    cv = math.sqrt(max(rv * rv - nn * nn, 0.0))
                    row["corrected_v"] = cv
                    if nr is None:
                        row.update(status="not_assessable",
                                   reason=proc["normalization"].get("reason"))
                    elif nr["status"] != "ok":
                        row.update(status="not_assessable", reason=nr["reason"])
                    else:
                        row["value_raw"] = float(nr["value"])
                        row["value"] = float(nr["value"]) * (cv / rv if rv > 0 else 0.0)
                m.amounts.append(row)
        for ch in [c for c in wanted if c not in amount_chans]:
            for key in windows:
                pname, k = key.split("|")
                for ms in measures_needed:
                    m.amounts.append(_amount_na(int(k), pname, ch, m.channels, ms, None))

    # ---- co-contraction
    if needs["cocontraction"]:
        m.computed.add("cocontraction")
        _cocontraction(m, pattern, filt, ref, windows, phase_why, usable, notes)

    # ---- flexion-relaxation
    if needs["frr"]:
        m.computed.add("flexion_relaxation")
        _flexion_relaxation(m, pattern, filt, usable, noise, len(tr_windows), notes)

    # ---- spectral fatigue
    if needs["fatigue"]:
        m.computed.add("fatigue")
        _fatigue(m, pattern, filt, usable, noise, notes)

    proc["history"] = jsonable(filt.history)
    proc["filter"] = jsonable(fstep)
    m.warnings = list(dict.fromkeys(notes))
    return m


def noise_floor(y: np.ndarray, sfreq: float, bandwidth: float, *, dof: float = 50.0,
                z: float = 2.0, start: float = 0.1) -> float | None:
    """Noise RMS of one band-passed channel from its quiet blocks, V.

    Blocks hold about ``dof`` degrees of freedom (``dof / (2 bandwidth)`` s).
    Starting from the quietest ``start`` share of the blocks, the baseline level
    ``c`` (median log power) and its spread ``s`` (RMS deviation of the blocks
    below ``c``) are estimated and every block below ``c + z s`` is kept, until the
    set stops changing -- the rule of :func:`emgcontrol.onset.quiet_mask`, started
    from the quietest 10 % instead of 25 % so that a recording at rest only 10-20 %
    of the time (a 60 s Biering-Sorensen hold) still finds its rest, and with
    ``z = 2`` instead of 3 so that weak activity (3 dB above the noise) is not
    absorbed into the noise.  On simulated sessions (20-225 Hz band at 500 Hz) it
    reads 0.85-0.93 of the simulated broadband noise RMS at 10 and 3 dB SNR,
    i.e. the noise in the band (0.91 of it) within a few percent.

    Returns
    -------
    float or None
        ``sqrt(mean power)`` of the kept blocks; None if there are fewer than 4
        blocks or all are silent.
    """
    n_blk = max(int(round(dof / (2.0 * bandwidth) * sfreq)), 4)
    nb = y.shape[-1] // n_blk
    if nb < 4:
        return None
    pw = np.mean(np.square(y[:nb * n_blk]).reshape(nb, n_blk), axis=1)
    valid = pw > 0
    if valid.sum() < 4:
        return None
    lp = np.log(pw[valid])
    keep = lp <= np.quantile(lp, start)
    for _ in range(100):
        kv = lp[keep]
        c = float(np.median(kv))
        lo = kv[kv <= c]
        s = float(np.sqrt(np.mean((lo - c) ** 2))) if lo.size > 1 else 0.0
        new = lp <= c + z * s
        if np.array_equal(new, keep):
            break
        keep = new
    return float(np.sqrt(np.mean(pw[valid][keep])))


def _activity_ratio(y: np.ndarray, sfreq: float, noise: float | None) -> float | None:
    """99th percentile of the RMS over windows of ACTIVITY_WINDOW_S, in units of the
    noise floor (the first and last second, where the filters settle, left out)."""
    if noise is None or not noise > 0:
        return None
    n = max(int(round(ACTIVITY_WINDOW_S * sfreq)), 2)
    edge = int(round(1.0 * sfreq))  # filter settling at both ends
    if y.shape[-1] > 2 * edge + 4 * n:
        y = y[edge:-edge]
    nb = y.shape[-1] // n
    if nb < 1:
        return None
    rms = np.sqrt(np.mean(np.square(y[:nb * n]).reshape(nb, n), axis=1))
    return float(np.percentile(rms, ACTIVITY_PERCENTILE) / noise)


def _group_of(muscle: str | None) -> str | None:
    from ..montage import MUSCLES

    return MUSCLES[muscle].group if muscle in MUSCLES else None


def _short(text: str, n: int = 240) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _warning_texts(caught: Sequence[warnings.WarningMessage], where: str) -> list[str]:
    return [f"{where}: {_short(str(w.message))}" for w in caught
            if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning,
                                           ResourceWarning))]


def _amount_na(k: int, pname: str, ch: str, channels: Sequence[Mapping[str, Any]],
               ms: str, why: str | None) -> dict[str, Any]:
    c = next((c for c in channels if c["channel"] == ch), {"muscle": None, "side": None,
                                                          "reason": None})
    return {"trial": k, "phase": pname, "channel": ch, "muscle": c["muscle"],
            "side": c["side"], "measure": ms, "start_s": None, "stop_s": None,
            "raw_v": None, "noise_rms_v": None, "corrected_v": None, "value": None,
            "value_raw": None, "unit": None, "status": "not_assessable",
            "reason": why or c.get("reason") or "channel not usable"}


def _mvc_reference(rec: Recording, filt: Recording, mvc: Any, notch: Any
                   ) -> tuple[Any, str | None, dict[str, Any]]:
    """The normalisation reference, why there is none, and the MVC checks' details
    (:func:`emgcontrol.patterns.mvc_reference`: per-muscle contractions above rest)."""
    from ..metrics import NormalizationReference
    from ..recording import Recording
    from ._mvc import has_mvc_marks, mvc_reference

    if isinstance(mvc, NormalizationReference):
        return mvc, None, {}
    if isinstance(mvc, Mapping):
        vals = {k: (v if isinstance(v, Mapping) or v is None
                    else {"rms": v, "arv": _ARV_PER_RMS * float(v)}) for k, v in mvc.items()}
        return NormalizationReference.from_values(
            vals, method="mvc", source="values given to compare (ARV = RMS x sqrt(2/pi) "
                                       "where only the RMS was given)"), None, {}
    if isinstance(mvc, Recording):
        ref, info = mvc_reference(mvc, notch=notch, source="MVC recording given to compare")
        return ref, None, info
    if mvc is not None:
        raise ValidationError(
            "mvc must be None, a Recording, a mapping channel/muscle -> V or a "
            f"NormalizationReference; got {type(mvc).__name__}")
    if has_mvc_marks(rec):
        ref, info = mvc_reference(rec, notch=notch, filtered=filt,
                                  source="the recording's own 'mvc' contractions")
        return ref, None, info
    return None, ("no MVC reference: record an MVC contraction of each muscle (markers "
                  "'mvc:<muscle>' ... 'mvc_end', or events 'mvc') or give mvc= (an MVC "
                  "recording or reference values)"), {}


def _cocontraction(m: Measures, pattern: TargetPattern, filt: Recording, ref: Any,
                   windows: Mapping[str, tuple[float, float]],
                   phase_why: Mapping[tuple[str, int], str], usable: Sequence[str],
                   notes: list[str]) -> None:
    from ..metrics import compute_cocontraction

    for c in pattern.criteria:
        if c.kind != "cocontraction":
            continue
        ag = [ch for ch in channels_of(c.params["agonist"], m.channels) if ch in usable]
        an = [ch for ch in channels_of(c.params["antagonist"], m.channels) if ch in usable]
        pname = c.params["phase"]
        wins = {k: v for k, v in windows.items() if k.startswith(pname + "|")}
        if ref is None or not ag or not an or not wins:
            continue
        pairs = [(a, b) for a in ag for b in an
                 if _side(m, a) == _side(m, b) or len(ag) == 1 or len(an) == 1]
        if not pairs:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tab = compute_cocontraction(filt, pairs, reference=ref, windows=wins,
                                            methods=[c.params["method"]])
        except ValidationError as err:
            notes.append(f"co-contraction {c.id}: {err}")
            continue
        for r in tab.rows:
            ph, k = str(r["segment"]).split("|")
            m.cocontraction.append({"criterion": c.id, "trial": int(k), "phase": ph,
                                    "agonist": r["agonist"], "antagonist": r["antagonist"],
                                    "method": r["method"], "value": r["value"],
                                    "unit": r["unit"], "status": r["status"],
                                    "reason": r["reason"]})


def _side(m: Measures, ch: str) -> str | None:
    return next((c["side"] for c in m.channels if c["channel"] == ch), None)


def _flexion_relaxation(m: Measures, pattern: TargetPattern, filt: Recording,
                        usable: Sequence[str], noise: Mapping[str, float | None],
                        n_trials: int, notes: list[str]) -> None:
    from ..metrics import compute_flexion_relaxation

    chans: list[str] = []
    defs: set[str] = set()
    for c in pattern.criteria:
        if c.kind == "flexion_relaxation":
            defs.add(c.params["definition"])
            chans += [ch for ch in channels_of(c.params["muscle"], m.channels)
                      if ch in usable and ch not in chans]
    if not chans:
        return
    for definition in sorted(defs):
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                tab = compute_flexion_relaxation(filt, definition=definition, picks=chans)
            notes.extend(_warning_texts(caught, "flexion-relaxation"))
        except ValidationError as err:
            notes.append(f"flexion-relaxation not computed: {err}")
            continue
        m.tables[f"flexion_relaxation_{definition}"] = tab.to_dict()
        m.processing[f"flexion_relaxation_{definition}"] = jsonable(tab.meta)
        for r in tab.rows:
            n = noise.get(r["channel"]) or 0.0
            row = {"definition": definition, "trial": r["trial"] if r["trial"] is not None
                   else 0, "channel": r["channel"], "muscle": r["muscle"], "side": r["side"],
                   "flexion_v": r["flexion_v"], "full_flexion_v": r["full_flexion_v"],
                   "extension_v": r["extension_v"], "noise_rms_v": n or None,
                   "frr_raw": r["frr"], "err_raw": r["err"], "frr": None, "err": None,
                   "status": r["status"], "reason": r["reason"]}
            ff = r["full_flexion_v"]
            if r["status"] == "ok" and ff is not None and math.isfinite(ff):
                ffc = math.sqrt(max(ff * ff - n * n, 0.0))
                den = max(ffc, NOISE_FLOOR_FRACTION * n, 1e-30)
                for key, num in (("frr", r["flexion_v"]), ("err", r["extension_v"])):
                    if num is not None and math.isfinite(num):
                        row[key] = math.sqrt(max(num * num - n * n, 0.0)) / den
                row["full_flexion_at_noise"] = bool(ffc < NOISE_FLOOR_FRACTION * n)
            m.flexion_relaxation.append(row)


def _fatigue(m: Measures, pattern: TargetPattern, filt: Recording, usable: Sequence[str],
             noise: Mapping[str, float | None], notes: list[str]) -> None:
    from ..metrics import compute_amount, compute_sorensen, spectral_bias

    chans: list[str] = []
    for c in pattern.criteria:
        if c.kind == "mdf_slope":
            chans += [ch for ch in channels_of(c.params["muscle"], m.channels)
                      if ch in usable and ch not in chans]
    if not chans:
        return
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tab = compute_sorensen(filt, picks=chans)
        notes.extend(_warning_texts(caught, "spectral fatigue"))
    except ValidationError as err:
        notes.append(f"median-frequency slopes not computed: {err}")
        for ch in chans:
            c = next(c for c in m.channels if c["channel"] == ch)
            m.fatigue.append({"channel": ch, "muscle": c["muscle"], "side": c["side"],
                              "slope_pct_per_s": None, "status": "not_assessable",
                              "reason": f"no hold found: {err}"})
        return
    m.tables["fatigue"] = tab.to_dict()
    m.processing["fatigue"] = jsonable(tab.meta)
    hold = tab.meta["hold_s"]
    amp = compute_amount(filt, windows=[tuple(hold)], measures=["rms"], picks=chans)
    hold_rms = {r["channel"]: r["value"] for r in amp.rows}
    h = tab.meta.get("band_hz", [20.0, 450.0])[1]
    factor = 1.0
    low_rate = None
    if h < 449.0:
        bias = spectral_bias(filt.sfreq, h_freq=h)
        factor = float(bias["slope_ratio_pct"])
        if bias["power_fraction"] < MIN_SPECTRAL_POWER_FRACTION:
            low_rate = (f"at {filt.sfreq:g} Hz the analysed band (up to {h:g} Hz) keeps only "
                        f"{100 * bias['power_fraction']:.0f} % of a typical lumbar EMG "
                        "spectrum's power: the median frequency is not interpretable "
                        f"(needs >= {100 * MIN_SPECTRAL_POWER_FRACTION:.0f} %, i.e. >= 250 Hz "
                        "sampling)")
    for r in tab.rows:
        if r["measure"] != "mdf":
            continue
        n = noise.get(r["channel"]) or 0.0
        hr = hold_rms.get(r["channel"])
        snr = None
        if hr is not None and math.isfinite(hr) and n > 0:
            sig = math.sqrt(max(hr * hr - n * n, 0.0))
            snr = 20 * math.log10(sig / n) if sig > 0 else -math.inf
        m.fatigue.append({
            "channel": r["channel"], "muscle": r["muscle"], "side": r["side"],
            "slope_pct_per_s_band": r["slope_pct_per_s"],
            "slope_pct_per_s": (r["slope_pct_per_s"] / factor
                                if r["slope_pct_per_s"] is not None and factor > 0 else None),
            "slope_hz_per_s": r["slope_hz_per_s"], "initial_hz": r["initial_hz"],
            "r2": r["r2"], "hold_s": list(hold), "hold_rms_v": hr, "noise_rms_v": n or None,
            "snr_db": snr, "rate_factor": factor,
            "status": r["status"] if low_rate is None else "not_assessable",
            "reason": r["reason"] if low_rate is None else low_rate})


def criterion_channels(c: Criterion, measures: Measures) -> dict[str, list[str]]:
    """Channels of each group a criterion uses (helper for reports)."""
    out: dict[str, list[str]] = {}
    for g in c.groups():
        out[g.name] = channels_of(g, measures.channels)
    return out
