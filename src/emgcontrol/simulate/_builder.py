"""Generic session builder: muscles + bursts + movements -> (Recording, GroundTruth)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .._validate import check_option
from ..errors import ValidationError
from ..hardware import ADC_MAX_CODE, CYTON_DEFAULT_GAIN
from ..montage import Montage, MuscleRef, as_montage
from ..recording import Recording
from . import _components as comp
from ._params import CYTON_LSB_V, CYTON_RAIL_V, FALLBACK_DEFAULTS, MUSCLE_DEFAULTS
from ._spectrum import (band_fraction, band_limited_mdf, shape_fh, stationary_carrier,
                        varying_carrier)
from ._truth import Activation, Burst, GroundTruth, Movement

__all__ = ["simulate_custom", "simulate_emg", "FAULT_KINDS", "SFREQ_RANGE", "SNR_RANGE"]

FAULT_KINDS = ("railed", "flat", "disconnected", "intermittent")
"""Electrode faults :func:`simulate_custom` can put on a channel.

``railed``
    The amplifier input is saturated: the channel reads the Cyton rail
    (+187,500 uV, or the negative rail) for the whole recording.
``flat``
    Dead or shorted channel: a constant value (0 V, or the DC offset in OpenBCI mode).
``disconnected``
    Open lead: no EMG, large mains pickup (1 mV) and slow drift (2 mV RMS).
``intermittent``
    Contact lost 3-6 times for 0.1-0.8 s: during each loss the channel jumps by
    2-20 mV and picks up 20x mains; on reconnection the step decays (tau 0.15 s).
"""

SFREQ_RANGE = (125.0, 4000.0)
"""Sampling rates the simulator supports, Hz."""

SNR_RANGE = (-20.0, 80.0)
"""SNR values accepted, dB."""

ACC_NAMES = ("ACC X", "ACC Y", "ACC Z")

# independent random streams (so that switching one component off leaves the
# others bit-identical)
_STREAMS = {"subject": 1, "emg": 2, "noise": 3, "ecg": 4, "mains": 5, "motion": 6,
            "acc": 7, "faults": 8, "openbci": 9, "trials": 10}


def resolve_seed(seed: Any) -> int:
    """Validate ``seed``; None draws fresh entropy (returned so it can be replayed)."""
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValidationError(f"seed must be an integer >= 0 or None; got {seed!r}")
    return int(seed)


def stream(seed: int, name: str, *keys: int) -> np.random.Generator:
    """Independent generator for one component (and channel) of a session."""
    return np.random.default_rng([seed, _STREAMS[name], *keys])


def check_sfreq_range(sfreq: Any) -> float:
    """Return ``sfreq`` as float if within :data:`SFREQ_RANGE`."""
    try:
        value = float(sfreq)
    except (TypeError, ValueError):
        raise ValidationError(f"sfreq must be a number in Hz; got {sfreq!r}") from None
    lo, hi = SFREQ_RANGE
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ValidationError(
            f"sfreq must be between {lo:g} and {hi:g} Hz (OpenBCI Cyton+Daisy 125 Hz to "
            f"lab amplifiers 4 kHz); got {sfreq!r}")
    return value


def check_snr(snr_db: Any) -> float:
    """Return ``snr_db`` as a finite float within :data:`SNR_RANGE`."""
    try:
        value = float(snr_db)
    except (TypeError, ValueError):
        raise ValidationError(f"snr_db must be a number in dB; got {snr_db!r}") from None
    lo, hi = SNR_RANGE
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ValidationError(
            f"snr_db must be a finite number between {lo:g} and {hi:g} dB; got {snr_db!r}")
    return value


def _check_nonneg(name: str, value: Any, upper: float | None = None) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a number; got {value!r}") from None
    if not math.isfinite(out) or out < 0 or (upper is not None and out > upper):
        rng_txt = f"between 0 and {upper:g}" if upper is not None else ">= 0"
        raise ValidationError(f"{name} must be a finite number {rng_txt}; got {value!r}")
    return out


def _defaults(ref: MuscleRef | None):
    if ref is None:
        return FALLBACK_DEFAULTS
    return MUSCLE_DEFAULTS.get(ref.muscle, FALLBACK_DEFAULTS)


def _ecg_gain(ref: MuscleRef | None) -> float:
    d = _defaults(ref)
    if ref is None or ref.side is None:
        return 0.5 * (abs(d.ecg_left_v) + abs(d.ecg_right_v))
    return d.ecg_left_v if ref.side == "left" else d.ecg_right_v


def _clipped_normal(rng: np.random.Generator, sd: float, size: Any = None) -> Any:
    return np.clip(rng.normal(0.0, sd, size), -2 * sd, 2 * sd)


def _check_burst(b: Any, i: int, names: Sequence[str], duration: float) -> Burst:
    if not isinstance(b, Burst):
        if isinstance(b, Mapping):
            try:
                b = Burst(**b)
            except TypeError as err:
                raise ValidationError(f"bursts[{i}]: {err}") from None
        else:
            raise ValidationError(
                f"bursts[{i}] must be a Burst or a mapping of its fields; got {b!r}")
    if b.channel not in names:
        raise ValidationError(
            f"bursts[{i}] names channel {b.channel!r}, which is not in the montage "
            f"(channels: {', '.join(names)})")
    vals = [b.onset, b.offset, b.amplitude_mvc, b.ramp_on, b.ramp_off, b.mdf_slope]
    if not all(isinstance(v, (int, float, np.number)) and math.isfinite(v) for v in vals):
        raise ValidationError(f"bursts[{i}] needs finite numbers; got {b!r}")
    if not (0 <= b.onset < b.offset <= duration + 1e-9):
        raise ValidationError(
            f"bursts[{i}] ({b.channel}) needs 0 <= onset < offset <= duration "
            f"({duration:g} s); got onset={b.onset}, offset={b.offset}")
    if b.ramp_on < 0 or b.ramp_off < 0 or b.ramp_on + b.ramp_off > b.offset - b.onset + 1e-9:
        raise ValidationError(
            f"bursts[{i}] ({b.channel}) needs ramps >= 0 with ramp_on + ramp_off <= "
            f"offset - onset; got ramp_on={b.ramp_on}, ramp_off={b.ramp_off}, "
            f"length {b.offset - b.onset:g} s")
    if not 0 <= b.amplitude_mvc <= 200:
        raise ValidationError(
            f"bursts[{i}] ({b.channel}) amplitude_mvc must be within 0-200 %MVC; got "
            f"{b.amplitude_mvc}")
    if 1 + b.mdf_slope / 100 * (b.offset - b.onset) < 0.2:
        raise ValidationError(
            f"bursts[{i}] ({b.channel}) mdf_slope={b.mdf_slope} %/s would lower the median "
            f"frequency below 20 % of its start over {b.offset - b.onset:g} s")
    return b


def _check_movement(m: Any, i: int) -> Movement:
    if not isinstance(m, Movement):
        if isinstance(m, Mapping):
            try:
                m = Movement(**m)
            except TypeError as err:
                raise ValidationError(f"movements[{i}]: {err}") from None
        else:
            raise ValidationError(
                f"movements[{i}] must be a Movement or a mapping; got {m!r}")
    if not (math.isfinite(m.onset) and math.isfinite(m.delta_deg)
            and math.isfinite(m.duration) and m.duration > 0):
        raise ValidationError(
            f"movements[{i}] needs a finite onset and delta_deg and a duration > 0; got {m!r}")
    return m


def _fatigue_slope(fh: float, nyq: float, bursts: Sequence[Burst]) -> float:
    """Least-squares slope (Hz/s) of the model MDF over the plateaus of ``bursts``."""
    slopes = []
    for b in bursts:
        t0, t1 = b.onset + b.ramp_on, b.offset - b.ramp_off
        if t1 <= t0:
            t0, t1 = b.onset, b.offset
        t = np.linspace(t0, t1, 201)
        c = np.maximum(1 + b.mdf_slope / 100 * (t - b.onset), 0.2)
        mdf = band_limited_mdf(fh * c, nyq)
        slopes.append(float(np.polyfit(t, mdf, 1)[0]))
    return float(np.mean(slopes))


def simulate_custom(
    muscles: Montage | Mapping[str, str] | Sequence[str] | str,
    bursts: Iterable[Burst | Mapping[str, Any]],
    duration: float,
    *,
    sfreq: float = 1000.0,
    snr_db: float = 20.0,
    seed: int | None = 0,
    movements: Iterable[Movement | Mapping[str, Any]] = (),
    posture_deg: float = 0.0,
    acc_radius_m: float = 0.4,
    acc: bool = True,
    mains_hz: float | None = 50.0,
    mains_v: float = 20e-6,
    ecg: bool | float = True,
    heart_rate_bpm: float = 70.0,
    motion_v: float = 50e-6,
    faults: Mapping[str, str] | None = None,
    mvc_rms_v: Mapping[str, float] | None = None,
    mdf_hz: Mapping[str, float] | None = None,
    openbci: bool = False,
    events: Iterable[Any] = (),
    firing_order: Sequence[Sequence[str]] = (),
    trials: Sequence[Mapping[str, Any]] = (),
    protocol: str = "custom",
    variant: str | None = None,
    meta: Mapping[str, Any] | None = None,
) -> tuple[Recording, GroundTruth]:
    """Simulate a multichannel sEMG session from muscles and activation bursts.

    The protocol builders of :func:`simulate` use this; call it directly for your
    own scenarios.

    Each EMG channel is the sum of

    * the **EMG**: Gaussian noise with the muscle's sEMG power spectrum
      (Shwedyk shape, see :func:`emg_psd`), generated at ``sfreq`` and so band-limited
      to Nyquist without aliasing, multiplied by the RMS envelope of its bursts
      (trapezoids: linear ramps, plateau at ``amplitude_mvc`` % of the channel's MVC
      RMS; overlapping bursts add in power).  A burst with ``mdf_slope`` compresses
      the spectrum over time so the median frequency changes linearly;
    * **baseline noise**: white Gaussian with RMS ``sigma`` such that
      ``snr_db = 20 * log10(A_ref / sigma)``, where ``A_ref`` is the channel's EMG
      plateau RMS (as recorded) averaged in power over its task bursts (phase other
      than ``"mvc"``): ``A_ref = sqrt(mean(amplitude_v**2))``.  A channel without
      task bursts takes ``A_ref`` = 10 % of its MVC RMS;
    * **ECG** (``ecg``): a P-QRS-T template at ``heart_rate_bpm`` with heart-rate
      variability, scaled per channel by muscle and side (see
      :data:`~emgcontrol.simulate.MUSCLE_DEFAULTS`);
    * **mains** (``mains_hz``): fundamental of peak ``mains_v`` (x 0.5-1.5 per channel)
      with harmonics 2-7 below Nyquist;
    * **motion artefacts** (``motion_v``): a low-frequency transient on every channel
      after each movement onset, peak ``motion_v`` x 0.3-1;
    * **faults** on chosen channels (see :data:`FAULT_KINDS`);
    * in **OpenBCI mode** (``openbci``): a DC offset of 10-60 mV with slow drift,
      clipping at the rails and 24-bit quantisation with the Cyton LSB
      4.5 V / 24 / (2**23 - 1) = 0.0224 uV (:mod:`emgcontrol.hardware`); the
      accelerometer is held at 25 Hz and quantised to 0.002/16 g.

    Three accelerometer channels (``ACC X/Y/Z``, type ``"acc"``, in g) follow the
    ``movements`` (minimum-jerk rotations of a segment starting at ``posture_deg``
    from horizontal, sensor ``acc_radius_m`` from the joint).

    Parameters
    ----------
    muscles : Montage, str, mapping or sequence
        The montage: a :class:`~emgcontrol.montage.Montage`, a preset name, a mapping
        channel -> muscle or a list of muscles (channels named by their labels).
    bursts : iterable of Burst
        Activations to simulate.
    duration : float
        Length of the recording, s.
    sfreq : float
        Sampling rate, 125-4000 Hz.
    snr_db : float
        Signal-to-noise ratio, dB (definition above).
    seed : int or None
        Random seed; the same seed gives bit-identical output.  None draws one (it is
        stored in the ground truth and ``rec.meta["seed"]``).
    movements : iterable of Movement
        Segment rotations (accelerometer signal, motion artefacts).
    posture_deg : float
        Initial segment angle from horizontal, degrees.
    acc_radius_m : float
        Distance of the accelerometer from the joint, m.
    acc : bool
        Add the accelerometer channels.
    mains_hz : {50, 60} or None
        Mains frequency; None for no mains interference.
    mains_v : float
        Peak amplitude of the mains fundamental, V (0 for none).
    ecg : bool or float
        Add ECG; a number scales the default R-wave amplitudes.
    heart_rate_bpm : float
        Mean heart rate, 30-200 beats/min.
    motion_v : float
        Peak amplitude of motion artefacts, V (0 for none).
    faults : mapping, optional
        Channel -> fault kind (:data:`FAULT_KINDS`).
    mvc_rms_v : mapping, optional
        Channel -> EMG RMS at 100 %MVC as recorded, V.  Default: the muscle's value
        in :data:`~emgcontrol.simulate.MUSCLE_DEFAULTS` x a subject factor
        (log-normal, SD 15 %) x the fraction of the spectrum below Nyquist.
    mdf_hz : mapping, optional
        Channel -> full-band median frequency, Hz.  Default: the muscle's value x a
        subject factor (log-normal, SD 5 %).
    openbci : bool
        Apply the OpenBCI Cyton front end (offset, rails, quantisation).
    events : iterable
        Events of the recording (``Event`` or ``(onset, duration, label)``).
    firing_order, trials : sequence
        Stored in the ground truth as given.
    protocol, variant : str
        Names stored in the ground truth and ``rec.meta``.
    meta : mapping, optional
        Extra metadata for the recording.

    Returns
    -------
    rec : Recording
        EMG channels in V (muscles set) followed by the accelerometer channels;
        ``meta["simulated"]`` is True.
    truth : GroundTruth
        What was simulated.
    """
    sfreq = check_sfreq_range(sfreq)
    snr_db = check_snr(snr_db)
    seed = resolve_seed(seed)
    try:
        duration = float(duration)
    except (TypeError, ValueError):
        raise ValidationError(f"duration must be a number of seconds; got {duration!r}") from None
    if not (math.isfinite(duration) and 0.5 <= duration <= 7200):
        raise ValidationError(f"duration must be between 0.5 s and 2 h; got {duration!r}")
    if mains_hz is not None:
        check_option("mains_hz", mains_hz, (50, 60, None))
        mains_hz = float(mains_hz)
    mains_v = _check_nonneg("mains_v", mains_v, 0.1)
    motion_v = _check_nonneg("motion_v", motion_v, 0.1)
    if isinstance(ecg, bool):
        ecg_scale = 1.0 if ecg else 0.0
    else:
        ecg_scale = _check_nonneg("ecg", ecg, 100.0)
    heart_rate_bpm = float(heart_rate_bpm)
    if not 30 <= heart_rate_bpm <= 200:
        raise ValidationError(
            f"heart_rate_bpm must be between 30 and 200; got {heart_rate_bpm!r}")
    acc_radius_m = _check_nonneg("acc_radius_m", acc_radius_m, 3.0)
    if not math.isfinite(float(posture_deg)):
        raise ValidationError(f"posture_deg must be finite; got {posture_deg!r}")

    montage = as_montage(muscles, name="muscles")
    names = montage.ch_names
    refs = montage.muscles
    n_ch = len(names)
    bursts = [_check_burst(b, i, names, duration) for i, b in enumerate(bursts)]
    movements = sorted((_check_movement(m, i) for i, m in enumerate(movements)),
                       key=lambda m: m.onset)
    faults = dict(faults or {})
    for ch, kind in faults.items():
        if ch not in names:
            raise ValidationError(
                f"faults names channel {ch!r}, which is not in the montage "
                f"(channels: {', '.join(names)})")
        check_option(f"faults[{ch!r}]", kind, FAULT_KINDS)
    for label, mapping in (("mvc_rms_v", mvc_rms_v), ("mdf_hz", mdf_hz)):
        for ch in (mapping or {}):
            if ch not in names:
                raise ValidationError(
                    f"{label} names channel {ch!r}, which is not in the montage "
                    f"(channels: {', '.join(names)})")

    n = int(round(duration * sfreq))
    nyq = sfreq / 2

    # ---- per-channel subject parameters
    fh = np.empty(n_ch)
    mvc_rec = np.empty(n_ch)
    ecg_factor = np.empty(n_ch)
    mains_factor = np.empty(n_ch)
    for i, (ch, ref) in enumerate(zip(names, refs)):
        r = stream(seed, "subject", i)
        d = _defaults(ref)
        f_mvc = float(np.exp(_clipped_normal(r, 0.15)))
        f_mdf = float(np.exp(_clipped_normal(r, 0.05)))
        ecg_factor[i] = r.uniform(0.75, 1.25)
        mains_factor[i] = r.uniform(0.5, 1.5)
        mdf_full = float(mdf_hz[ch]) if mdf_hz and ch in mdf_hz else d.mdf_hz * f_mdf
        if not 20 <= mdf_full <= 300:
            raise ValidationError(f"mdf_hz[{ch!r}] must be within 20-300 Hz; got {mdf_full}")
        fh[i] = float(shape_fh(mdf_full))
        if mvc_rms_v and ch in mvc_rms_v:
            mvc_rec[i] = _check_nonneg(f"mvc_rms_v[{ch!r}]", mvc_rms_v[ch], 1.0)
        else:
            mvc_rec[i] = d.mvc_rms_v * f_mvc * math.sqrt(float(band_fraction(fh[i], nyq)))

    # ---- EMG
    emg = np.zeros((n_ch, n))
    by_ch: dict[str, list[Burst]] = {ch: [] for ch in names}
    for b in bursts:
        by_ch[b.channel].append(b)
    activations = []
    a_ref = np.empty(n_ch)
    for i, ch in enumerate(names):
        power = np.zeros(n)
        compression = np.ones(n)
        task_amp = []
        for b in by_ch[ch]:
            amp_v = b.amplitude_mvc / 100.0 * mvc_rec[i]
            comp.add_burst_power(power, sfreq, b.onset, b.offset, b.ramp_on, b.ramp_off,
                                 amp_v, compression, b.mdf_slope)
            if b.phase != "mvc" and b.amplitude_mvc > 0:
                task_amp.append(amp_v)
            ref = refs[i]
            activations.append(Activation(
                channel=ch, muscle=ref.muscle if ref else None,
                side=ref.side if ref else None, trial=int(b.trial), phase=str(b.phase),
                onset=float(b.onset), offset=float(b.offset), ramp_on=float(b.ramp_on),
                ramp_off=float(b.ramp_off), amplitude_mvc=float(b.amplitude_mvc),
                amplitude_v=float(amp_v), mdf_slope=float(b.mdf_slope)))
        a_ref[i] = (math.sqrt(float(np.mean(np.square(task_amp)))) if task_amp
                    else 0.1 * mvc_rec[i])
        if not power.any():
            continue
        r = stream(seed, "emg", i)
        if np.any(compression != 1.0):
            carrier = varying_carrier(n, sfreq, fh[i], compression, r)
        else:
            carrier = stationary_carrier(n, sfreq, fh[i], r)
        emg[i] = np.sqrt(power) * carrier
    activations.sort(key=lambda a: (a.onset, names.index(a.channel)))

    # ---- baseline noise
    sigma = a_ref / 10 ** (snr_db / 20)
    for i in range(n_ch):
        emg[i] += sigma[i] * stream(seed, "noise", i).standard_normal(n)

    # ---- ECG
    r_peaks: np.ndarray = np.empty(0)
    ecg_r = np.zeros(n_ch)
    if ecg_scale > 0:
        ecg_r = np.array([_ecg_gain(ref) for ref in refs]) * ecg_factor * ecg_scale
        if np.any(ecg_r != 0):
            beats = comp.ecg_beats(duration, heart_rate_bpm, stream(seed, "ecg"))
            emg += np.outer(ecg_r, comp.ecg_trace(n, sfreq, beats))
            r_peaks = beats[(beats >= 0) & (beats < n / sfreq)]

    # ---- mains
    mains_amp = np.zeros(n_ch)
    if mains_hz is not None and mains_v > 0:
        mains_amp = mains_v * mains_factor
        emg += comp.mains(n, sfreq, mains_hz, mains_amp, stream(seed, "mains"))

    # ---- motion artefacts
    artifacts = []
    if motion_v > 0 and movements:
        r = stream(seed, "motion")
        for m in movements:
            delays = r.uniform(0.0, 0.03, n_ch)
            taus = r.uniform(0.04, 0.10, n_ch)
            amps = motion_v * r.uniform(0.3, 1.0, n_ch) * r.choice([-1.0, 1.0], n_ch)
            for i in range(n_ch):
                start = m.onset + delays[i]
                i0, vals = comp.motion_transient(n, sfreq, start, taus[i], amps[i])
                emg[i, i0:i0 + len(vals)] += vals
                artifacts.append({"kind": "motion", "channel": names[i],
                                  "onset": float(start), "duration": float(5 * taus[i]),
                                  "amplitude_v": float(abs(amps[i]))})

    # ---- faults
    fault_truth: dict[str, dict[str, Any]] = {}
    railed: dict[int, float] = {}
    t = np.arange(n) / sfreq
    for ch, kind in faults.items():
        i = names.index(ch)
        r = stream(seed, "faults", i)
        whole = [[0.0, float(n / sfreq)]]
        hum = np.zeros(n)  # unit-amplitude mains as this channel picks it up
        if mains_hz is not None and kind in ("disconnected", "intermittent"):
            hum = comp.mains(n, sfreq, mains_hz, np.array([1.0]), stream(seed, "mains"))[0]
        if kind == "flat":
            emg[i] = 0.0
            fault_truth[ch] = {"kind": kind, "intervals": whole}
        elif kind == "railed":
            railed[i] = 1.0 if r.random() < 0.5 else -1.0
            fault_truth[ch] = {"kind": kind, "intervals": whole}
        elif kind == "disconnected":
            emg[i] = (1e-3 * hum + comp.slow_drift(n, sfreq, 2e-3, r)
                      + 2e-6 * r.standard_normal(n))
            fault_truth[ch] = {"kind": kind, "intervals": whole}
        else:  # intermittent
            intervals = comp.dropout_intervals(n / sfreq, r)
            for a, b in intervals:
                i0, i1 = int(math.ceil(a * sfreq)), min(n, int(math.floor(b * sfreq)) + 1)
                step = r.uniform(2e-3, 20e-3) * r.choice([-1.0, 1.0])
                seg = slice(i0, i1)
                emg[i, seg] = (step + 20 * max(mains_v, 20e-6) * hum[seg]
                               + 5e-6 * r.standard_normal(i1 - i0))
                j1 = min(n, i1 + int(sfreq))
                emg[i, i1:j1] += step * np.exp(-(t[i1:j1] - t[i1 - 1]) / 0.15)
            fault_truth[ch] = {"kind": kind, "intervals": intervals}

    # ---- OpenBCI front end
    dc = np.zeros(n_ch)
    if openbci:
        for i in range(n_ch):
            r = stream(seed, "openbci", i)
            dc[i] = r.uniform(10e-3, 60e-3) * r.choice([-1.0, 1.0])
            drift = comp.slow_drift(n, sfreq, 0.2e-3, r)
            # a flat (dead) channel reads a constant; others drift with the electrodes
            emg[i] += dc[i] + (0.0 if faults.get(names[i]) == "flat" else drift)
        emg = comp.quantise_cyton(emg)
    for i, sign in railed.items():
        emg[i] = CYTON_RAIL_V if sign > 0 else -(ADC_MAX_CODE + 1) * CYTON_LSB_V

    # ---- accelerometer
    data = emg
    ch_names = list(names)
    ch_types = ["emg"] * n_ch
    mus: list[MuscleRef | None] = list(refs)
    if acc:
        mv = [(m.onset, m.duration, m.delta_deg) for m in movements]
        a = comp.accelerometer(n, sfreq, float(posture_deg), mv, acc_radius_m,
                               stream(seed, "acc"))
        if openbci:
            a = comp.cyton_accelerometer(a, sfreq)
        data = np.vstack([emg, a])
        ch_names += list(ACC_NAMES)
        ch_types += ["acc"] * 3
        mus += [None] * 3

    # ---- ground truth
    fatigued = {}
    for i, ch in enumerate(names):
        fb = [b for b in by_ch[ch] if b.mdf_slope != 0]
        if fb:
            fatigued[ch] = _fatigue_slope(fh[i], nyq, fb)
    mdf_rec = band_limited_mdf(fh, nyq)
    options = {"openbci": bool(openbci), "acc": bool(acc), "motion_v": motion_v,
               "ecg_scale": ecg_scale, "posture_deg": float(posture_deg),
               "acc_radius_m": acc_radius_m, "duration_s": float(n / sfreq)}
    truth = GroundTruth(
        protocol=str(protocol), variant=None if variant is None else str(variant),
        sfreq=sfreq, n_times=n, snr_db=snr_db, seed=seed,
        channels=tuple(names), muscles=tuple(None if r is None else str(r) for r in refs),
        activations=tuple(activations),
        firing_order=tuple(tuple(g) for g in firing_order),
        movements=tuple(movements),
        mvc_rms_v={ch: float(v) for ch, v in zip(names, mvc_rec)},
        noise_rms_v={ch: float(v) for ch, v in zip(names, sigma)},
        mdf_hz={ch: float(v) for ch, v in zip(names, mdf_rec)},
        mdf_slope_hz_per_s=fatigued,
        r_peaks=tuple(float(x) for x in r_peaks),
        heart_rate_bpm=heart_rate_bpm if len(r_peaks) else None,
        ecg_r_v={ch: float(v) for ch, v in zip(names, ecg_r)},
        mains_hz=mains_hz if mains_hz is not None and mains_v > 0 else None,
        mains_v={ch: float(v) for ch, v in zip(names, mains_amp)},
        artifacts=tuple(artifacts),
        faults=fault_truth,
        trials=tuple(dict(tr) for tr in trials),
        dc_offset_v={ch: float(v) for ch, v in zip(names, dc)} if openbci else {},
        options=options,
    )
    rec_meta = {"simulated": True, "protocol": str(protocol), "variant": variant,
                "seed": seed, "snr_db": snr_db, "device": "emgcontrol.simulate",
                "montage": montage.name}
    if openbci:
        rec_meta.update({"board": "cyton" if n_ch <= 8 else "cyton-daisy",
                         "gain": CYTON_DEFAULT_GAIN, "lsb_v": CYTON_LSB_V})
    rec_meta.update(dict(meta or {}))
    params = {"protocol": str(protocol), "variant": variant, "sfreq": sfreq,
              "snr_db": snr_db, "seed": seed, "mains_hz": truth.mains_hz,
              "mains_v": mains_v, "ecg_scale": ecg_scale, "heart_rate_bpm": heart_rate_bpm,
              "motion_v": motion_v, "faults": dict(faults), "openbci": bool(openbci),
              "acc": bool(acc)}
    rec = Recording(data, sfreq, ch_names, ch_types=ch_types, muscles=mus,
                    events=list(events),
                    meta=rec_meta, history=[{"step": "simulate", "params": params}])
    return rec, truth


def simulate_emg(
    activation: Any,
    sfreq: float,
    *,
    rng: np.random.Generator | int | None = None,
    mdf_hz: float | Sequence[float] = 95.7,
    compression: Any = None,
) -> np.ndarray:
    """Surface EMG with a given RMS envelope: the simulator's building block.

    Parameters
    ----------
    activation : array_like, shape (n_times,) or (n_channels, n_times)
        RMS amplitude envelope (V, >= 0): the local RMS of the output.
    sfreq : float
        Sampling rate, 125-4000 Hz.  The spectrum is generated up to Nyquist only,
        so nothing aliases; the output RMS equals ``activation`` at any rate (the
        part of the spectrum above Nyquist is not in it).
    rng : Generator, int or None
        Random source (an int seeds a new generator).
    mdf_hz : float or sequence of float
        Full-band median frequency of each channel's spectrum, Hz (Shwedyk shape;
        the peak is at 0.68 x MDF).
    compression : array_like, optional
        Frequency compression factor over time, same shape as ``activation`` or
        ``(n_times,)``; values < 1 lower all frequencies (fatigue: the median
        frequency becomes ``compression * mdf_hz``).  Changes slower than ~0.5 s
        are followed.

    Returns
    -------
    ndarray
        EMG in V, same shape as ``activation``.
    """
    sfreq = check_sfreq_range(sfreq)
    act = np.asarray(activation, dtype=float)
    one_d = act.ndim == 1
    act2 = np.atleast_2d(act)
    if act2.ndim != 2 or act2.shape[1] < 2:
        raise ValidationError(
            f"activation must have shape (n_times,) or (n_channels, n_times); got {act.shape}")
    if not np.all(np.isfinite(act2)) or np.any(act2 < 0):
        raise ValidationError("activation must hold finite RMS amplitudes >= 0 (V)")
    n_ch, n = act2.shape
    mdf = np.broadcast_to(np.asarray(mdf_hz, dtype=float), (n_ch,))
    if not np.all((mdf >= 20) & (mdf <= 300)):
        raise ValidationError(f"mdf_hz must be within 20-300 Hz; got {mdf_hz!r}")
    comp_arr = None
    if compression is not None:
        comp_arr = np.asarray(compression, dtype=float)
        try:
            comp_arr = np.broadcast_to(comp_arr, act2.shape)
        except ValueError:
            raise ValidationError(
                f"compression must have shape {act.shape} or ({n},); got {comp_arr.shape}"
            ) from None
        if not np.all(np.isfinite(comp_arr)) or np.any((comp_arr <= 0.1) | (comp_arr > 5)):
            raise ValidationError("compression must hold finite factors within 0.1-5")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    out = np.empty_like(act2)
    fh = shape_fh(mdf)
    for i in range(n_ch):
        if comp_arr is None or np.all(comp_arr[i] == 1.0):
            carrier = stationary_carrier(n, sfreq, float(fh[i]), gen)
        else:
            carrier = varying_carrier(n, sfreq, float(fh[i]), comp_arr[i], gen)
        out[i] = act2[i] * carrier
    return out[0] if one_d else out
