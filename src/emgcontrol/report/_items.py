"""ISEK / CEDE reporting items of an assessment, filled from the recording and the chain.

The items follow the ISEK standards for reporting EMG data (Merletti 1999) and
the CEDE project checklists and matrices (Besomi et al. 2019, 2020): electrodes
(type, size, inter-electrode distance, placement, reference, skin
preparation), acquisition (amplifier, gain and range, ADC, sampling rate,
hardware filters), processing (filters with type, order and cut-offs, notch,
ECG removal, amplitude measure and windows), normalisation (method, task,
reference computation), onset detection (method and every parameter) and how
session values are formed.  Each item says where its value came from; what the
recording does not hold is reported as ``"not recorded"``.

Values the recording cannot know (electrode type, skin preparation...) can be
given by the user: ``Recording.meta["reporting"]`` (a mapping) or the
``info=`` argument, with the keys of :data:`INFO_KEYS`.

References
----------
Merletti R (1999) Standards for reporting EMG data. J Electromyogr Kinesiol 9(1):III-IV.
Besomi M, Hodges PW, Van Dieen J, et al. (2019) Consensus for experimental design in
electromyography (CEDE) project: Electrode selection matrix. J Electromyogr Kinesiol
48:128-144.
Besomi M, Hodges PW, Clancy EA, et al. (2020) Consensus for experimental design in
electromyography (CEDE) project: Amplitude normalization matrix. J Electromyogr
Kinesiol 53:102438.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from typing import Any

from ._style import fmt_num

__all__ = ["reporting_items", "INFO_KEYS", "NOT_RECORDED"]

NOT_RECORDED = "not recorded"

INFO_KEYS: dict[str, tuple[str, str]] = {
    "electrode_type": ("Electrodes", "Electrode type and material"),
    "electrode_size": ("Electrodes", "Electrode shape and size (detection surface)"),
    "inter_electrode_distance": ("Electrodes", "Inter-electrode distance"),
    "electrode_placement": ("Electrodes", "Electrode location and orientation"),
    "reference_electrode": ("Electrodes", "Reference (ground) electrode"),
    "skin_preparation": ("Electrodes", "Skin preparation"),
    "amplifier": ("Acquisition", "Amplifier / device"),
    "input_impedance": ("Acquisition", "Amplifier input impedance"),
    "cmrr": ("Acquisition", "Common-mode rejection ratio"),
    "hardware_filters": ("Acquisition", "Hardware (analogue / anti-aliasing) filters"),
    "adc_resolution": ("Acquisition", "A/D resolution"),
    "posture": ("Task", "Posture and task instructions"),
    "operator": ("Task", "Examiner"),
}
"""User-supplied reporting keys -> (section, item).  Other keys are listed under "Other"."""

_BOARDS = {
    "cyton": "OpenBCI Cyton (Texas Instruments ADS1299, 24-bit delta-sigma ADC)",
    "cyton-daisy": "OpenBCI Cyton + Daisy (2 x Texas Instruments ADS1299, 24-bit ADC)",
    "ganglion": "OpenBCI Ganglion (Microchip MCP3912 ADC)",
}


def _get(d: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, Mapping):
            return None
        d = d.get(k)
    return d


def _item(section: str, item: str, value: Any, source: str) -> dict[str, str]:
    if value is None or value == "":
        value, source = NOT_RECORDED, "-"
    return {"section": section, "item": item, "value": str(value), "source": source}


def _hz(v: Any) -> str:
    try:
        return f"{float(v):g}"
    except (TypeError, ValueError):
        return NOT_RECORDED


def _versions() -> str:
    from importlib import metadata

    out = []
    for name in ("emgcontrol", "numpy", "scipy", "numba", "brainflow", "matplotlib"):
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    out.append(f"Python {platform.python_version()}")
    return ", ".join(out)


def _params_text(params: Mapping[str, Any], skip: Sequence[str] = ()) -> str:
    parts = []
    for k, v in params.items():
        if k in skip or v is None:
            continue
        if isinstance(v, float):
            v = fmt_num(v, 4)
        elif isinstance(v, (list, tuple)):
            v = "[" + ", ".join(fmt_num(x, 4) if isinstance(x, float) else str(x)
                                for x in v) + "]"
        elif isinstance(v, Mapping):
            continue
        parts.append(f"{k}={v}")
    return ", ".join(parts)


def reporting_items(comparison: Any, recording: Any = None, *,
                    info: Mapping[str, Any] | None = None,
                    mvc: Mapping[str, Any] | None = None,
                    signals: Mapping[str, Any] | None = None) -> list[dict[str, str]]:
    """The ISEK/CEDE reporting items of an assessment (see the module notes).

    Parameters
    ----------
    comparison : Comparison
        The result of :func:`emgcontrol.patterns.compare` (its processing chain).
    recording : Recording, optional
        The recording compared (metadata, history, sampling rate, montage).
    info : mapping, optional
        User-supplied items (keys of :data:`INFO_KEYS`; others go under "Other").
        They override ``recording.meta["reporting"]``.
    mvc : mapping, optional
        How the MVC reference was obtained (``source``, ``file``, ``muscles``,
        ``instructions``, ``contractions``...), as :func:`emgcontrol.assess.assess`
        records it.
    signals : mapping, optional
        Parameters of the displayed signals (:attr:`TraceSignals.params`).

    Returns
    -------
    list of dict
        ``section, item, value, source`` per item, in reporting order.
    """
    proc: Mapping[str, Any] = getattr(comparison, "processing", None) or (
        comparison.get("processing", {}) if isinstance(comparison, Mapping) else {})
    meta: Mapping[str, Any] = dict(getattr(recording, "meta", None) or {})
    user: dict[str, Any] = dict(meta.get("reporting") or {})
    user.update(dict(info or {}))
    simulated = bool(meta.get("simulated"))
    items: list[dict[str, str]] = []

    # ----------------------------------------------------------- electrodes
    sim_note = "not applicable: simulated signals (emgcontrol.simulate)"
    for key in ("electrode_type", "electrode_size", "inter_electrode_distance"):
        sec, name = INFO_KEYS[key]
        if key in user:
            items.append(_item(sec, name, user[key], "user"))
        else:
            items.append(_item(sec, name, sim_note if simulated else None,
                               "recording metadata"))
    sec, name = INFO_KEYS["electrode_placement"]
    if "electrode_placement" in user:
        items.append(_item(sec, name, user["electrode_placement"], "user"))
    elif recording is not None:
        from ..montage import MUSCLES

        by_muscle: dict[str, list[str]] = {}
        for ch, ref, t in zip(recording.ch_names, recording.muscles, recording.ch_types):
            if t == "emg" and ref is not None:
                by_muscle.setdefault(ref.muscle, []).append(ch)
        parts = []
        for mus, chans in by_muscle.items():
            mi = MUSCLES.get(mus)
            parts.append(f"{mus.replace('_', ' ')} ({', '.join(chans)})"
                         + (f": {mi.placement.rstrip('.')}" if mi is not None else ""))
        preset = meta.get("montage")
        head = (f"montage {preset}; " if isinstance(preset, str) else "")
        items.append(_item(sec, name, (head + "actual placement not recorded; recommended "
                                       "placements: " + "; ".join(parts)) if parts else None,
                           "recording montage, SENIAM-style recommendations of "
                           "emgcontrol.montage"))
    else:
        items.append(_item(sec, name, None, "-"))
    for key in ("reference_electrode", "skin_preparation"):
        sec, name = INFO_KEYS[key]
        items.append(_item(sec, name, user.get(key, sim_note if simulated else None),
                           "user" if key in user else "recording metadata"))

    # ---------------------------------------------------------- acquisition
    acq = meta.get("acquisition") if isinstance(meta.get("acquisition"), Mapping) else {}
    board = meta.get("board") or acq.get("data_board")
    if "amplifier" in user:
        amp, src = user["amplifier"], "user"
    elif simulated and acq.get("board") == "simulated":
        amp = ("emgcontrol simulator replayed through BrainFlow's playback board "
               f"({_BOARDS.get(str(board), board)} data layout)")
        src = "recording metadata"
    elif simulated:
        amp = "emgcontrol simulator" + (f" with the {_BOARDS.get(str(board), board)} front-end "
                                        "model" if board else "")
        src = "recording metadata"
    elif board:
        amp = _BOARDS.get(str(board), str(board)) + (f" via {meta.get('device')}"
                                                     if meta.get("device") else "")
        src = "recording metadata"
    else:
        amp, src = meta.get("device"), "recording metadata"
    items.append(_item("Acquisition", "Amplifier / device", amp, src))
    gain = meta.get("gain")
    settings = acq.get("channel_settings") if acq else None
    rail = meta.get("rail_uV")
    gtxt = []
    if gain:
        gtxt.append(f"gain {gain}")
    if settings:
        gtxt.append("channel settings " + ", ".join(map(str, settings)))
    if rail:
        gtxt.append(f"input range +/-{float(rail) / 1000:g} mV")
    items.append(_item("Acquisition", "Gain and input range", "; ".join(gtxt) or None,
                       "recording metadata"))
    for key in ("input_impedance", "cmrr", "hardware_filters"):
        sec, name = INFO_KEYS[key]
        items.append(_item(sec, name, user.get(key), "user" if key in user else "-"))
    adc = user.get("adc_resolution")
    if adc is None and meta.get("lsb_v"):
        adc = f"1 LSB = {float(meta['lsb_v']) * 1e9:.3g} nV"
        if board in ("cyton", "cyton-daisy"):
            adc = "24 bit; " + adc
    elif adc is None and board in ("cyton", "cyton-daisy"):
        adc = "24 bit (ADS1299)"
    items.append(_item("Acquisition", "A/D resolution", adc,
                       "user" if "adc_resolution" in user else "recording metadata"))
    if recording is not None:
        sf = f"{recording.sfreq:g} Hz"
        if acq or board:
            sf += " (the board's nominal rate, as reported by BrainFlow)"
        items.append(_item("Acquisition", "Sampling rate", sf, "recording"))
        n_emg = sum(t == "emg" for t in recording.ch_types)
        other = [t for t in recording.ch_types if t != "emg"]
        kinds = ", ".join(sorted(set(other)))
        items.append(_item("Acquisition", "Channels",
                           f"{n_emg} EMG" + (f" + {len(other)} other ({kinds})" if other else "")
                           + f"; {recording.duration:.1f} s recorded", "recording"))
        dropped = meta.get("dropped_samples")
        if isinstance(dropped, Mapping):
            items.append(_item("Acquisition", "Dropped samples",
                               f"{dropped.get('count', 0)} in {len(dropped.get('gaps') or [])} "
                               "gap(s)", "reader (package counter / timestamps)"))
        else:
            items.append(_item("Acquisition", "Dropped samples", None, "-"))
    else:
        items.append(_item("Acquisition", "Sampling rate",
                           (f"{fmt_num(_get(comparison, 'measures', 'sfreq'))} Hz"
                            if isinstance(comparison, Mapping) else None), "comparison"))

    # ----------------------------------------------------------- processing
    q = proc.get("quality") or {}
    if q:
        th = q.get("thresholds") or {}
        items.append(_item(
            "Signal processing", "Signal-quality checks",
            "per channel: non-finite, railed, flat, clipping, DC offset, jumps (a 'bad' "
            "verdict of these makes a channel unusable), mains, ECG, SNR, dropped samples; "
            f"thresholds: railed > {fmt_num(th.get('railed_bad_pct'))} %, flat > "
            f"{fmt_num(th.get('flat_bad_pct'))} %, SNR bad < {fmt_num(th.get('snr_bad_db'))} dB"
            + (f"; unusable: {', '.join(q.get('unusable') or [])}" if q.get("unusable")
               else "; no channel of the pattern unusable"),
            "emgcontrol.signal.quality"))
    ecg = proc.get("ecg") or {}
    if ecg:
        if ecg.get("applied"):
            txt = (f"{ecg.get('method')} subtraction (emgcontrol.signal.ecg.remove_ecg) on "
                   f"{', '.join(ecg.get('channels') or [])}")
        else:
            txt = f"not applied ({ecg.get('reason', 'no reason given')})"
        items.append(_item("Signal processing", "ECG removal", txt, "comparison"))
    f = proc.get("filter") or {}
    if f:
        design = {"butter": "Butterworth"}.get(str(f.get("design")), f.get("design"))
        phase = ("zero-phase (forward-backward; the magnitude response is squared)"
                 if f.get("phase") == "zero" else "causal")
        txt = (f"{design} band-pass {_hz(f.get('l_freq'))}-{_hz(f.get('h_freq'))} Hz"
               + (f" (upper edge: {f['h_freq_note']})" if f.get("h_freq_note") else "")
               + f", order {f.get('order')}, {phase}")
        items.append(_item("Signal processing", "Band-pass filter", txt,
                           "emgcontrol.signal.filter_emg"))
        if f.get("notch"):
            nf = ", ".join(_hz(x) for x in f.get("notch_freqs") or [f["notch"]])
            ntxt = (f"IIR notch at {nf} Hz (Q = {fmt_num(f.get('quality'))}), zero-phase"
                    + (" (mains line found automatically)" if f.get("requested_notch") ==
                       "auto" else ""))
        else:
            ntxt = ("none (no mains line found)" if f.get("requested_notch") == "auto"
                    else "none")
        items.append(_item("Signal processing", "Notch filter", ntxt,
                           "emgcontrol.signal.filter_emg"))
    am = proc.get("amount") or {}
    if am:
        items.append(_item(
            "Signal processing", "Amplitude measure",
            f"{', '.join(str(x).upper() for x in am.get('measures') or [])} over each phase "
            "window of each trial, on the band-passed signal, noise-corrected by power "
            "subtraction of the channel's resting noise RMS (Clancy et al. 2002)",
            "emgcontrol.metrics.compute_amount"))
    nf = proc.get("noise_floor") or {}
    if nf:
        items.append(_item("Signal processing", "Noise floor", nf.get("method"),
                           "emgcontrol.patterns"))
    env = (signals or {}).get("envelope")
    if env:
        items.append(_item("Signal processing", "Envelope in the figures",
                           f"moving RMS, {fmt_num(env.get('window_s'))} s centred window "
                           "(display only)", "emgcontrol.report"))

    # -------------------------------------------------------- normalisation
    norm = proc.get("normalization") or {}
    if norm.get("reference") is None and norm.get("reason"):
        items.append(_item("Normalisation", "Method", f"none: {norm['reason']}", "comparison"))
    elif norm:
        method = str(norm.get("method", "mvc")).upper()
        txt = (f"{method}: amplitudes divided by the reference of each channel "
               f"(largest {fmt_num(norm.get('window_s'))} s RMS window within the reference "
               "contractions, after the same band-pass)")
        items.append(_item("Normalisation", "Method", txt,
                           "emgcontrol.metrics.compute_mvc_reference"))
        src = norm.get("source")
        if mvc:
            parts = [str(x) for x in (mvc.get("source"), mvc.get("instructions")) if x]
            if src and not any(str(src).startswith(p) for p in parts):
                parts.append(str(src))
            elif src:
                parts = [p for p in parts if not str(src).startswith(p)] + [str(src)]
            src = "; ".join(parts)
        items.append(_item("Normalisation", "Reference task and source", src, "assessment"))
        if mvc and mvc.get("channels"):
            items.append(_item("Normalisation", "Channels with a reference",
                               ", ".join(mvc["channels"]), "assessment"))
    else:
        items.append(_item("Normalisation", "Method",
                           "not needed by this protocol's criteria", "comparison"))

    # ------------------------------------------------------------ onsets
    det = proc.get("detector") or {}
    if det:
        params = det.get("params") or {}
        txt = (f"{det.get('method')} ({det.get('statistic', '')}); "
               + _params_text(params, skip=("channel_params",)))
        items.append(_item("Onset detection", "Method and parameters", txt,
                           "emgcontrol.onset.detect_onsets"))
    mv = proc.get("movement") or {}
    if mv:
        if mv.get("source") == "accelerometer" and mv.get("method"):
            txt = f"accelerometer: {mv.get('method')}; " + _params_text(
                mv, skip=("source", "method", "channels"))
        else:
            txt = ", ".join(f"{k}: {v}" for k, v in mv.items())
        items.append(_item("Onset detection", "Movement onset", txt,
                           "emgcontrol.metrics.detect_movement_onset"))

    # ------------------------------------------------------- session values
    tr = proc.get("trials") or {}
    cp = proc.get("compare") or {}
    if tr or cp:
        n_tr = tr.get("n")
        if n_tr is None:
            n_tr = len(_get(comparison, "measures", "trials") or []) if isinstance(
                comparison, Mapping) else len((getattr(comparison, "measures", {}) or {})
                                              .get("trials") or [])
        mt, share = cp.get("min_trials"), cp.get("min_share")
        agree = cp.get("min_agreement")
        parts = [f"{n_tr} repetition(s) ({tr.get('source', 'source not recorded')})",
                 f"session value = {cp.get('session_value', 'median over the repetitions')}"]
        if isinstance(mt, (int, float)) and isinstance(n_tr, int):
            need = min(int(mt), n_tr) if n_tr else 1
            rule = (f"a verdict needs at least {need} measurable repetition(s)"
                    + (f" and {fmt_num(100 * float(share))} % of them" if share else ""))
            if n_tr < mt:
                rule += (f" (the protocol's minimum is {int(mt)}; with {n_tr} recorded, "
                         "verdicts are marked preliminary)")
            parts.append(rule)
        if isinstance(agree, (int, float)):
            parts.append(f"{fmt_num(100 * float(agree))} % of the measured repetitions must "
                         "agree with the session verdict")
        txt = "; ".join(parts)
        items.append(_item("Criteria", "Trials and session values", txt,
                           "emgcontrol.patterns.compare"))

    # ------------------------------------------------------------- other
    for key in ("posture", "operator"):
        if key in user:
            sec, name = INFO_KEYS[key]
            items.append(_item(sec, name, user[key], "user"))
    for key, v in user.items():
        if key not in INFO_KEYS:
            items.append(_item("Other", key.replace("_", " "), v, "user"))
    if recording is not None:
        steps = " > ".join(str(h.get("step")) for h in recording.history) or None
        items.append(_item("Software", "Recording history", steps, "Recording.history"))
    items.append(_item("Software", "Versions", _versions(), "installed packages"))
    return items
