"""A second EMG model, independent of :mod:`emgcontrol.simulate`, and fault injection.

Shared by the tests (``test_patterns_failsafe.py``, ``test_patterns_faults.py``) and
``benchmarks/bench_patterns.py --faults`` so that the verdicts are checked on sessions
the chain was not developed on.

The model
---------
Every EMG channel is Gaussian white noise shaped by a 2nd-order high-pass (30 Hz) and a
2nd-order low-pass (120 Hz, at most 0.42 x the sampling rate), scaled to unit RMS and
multiplied by a known amplitude envelope: bursts with half-cosine ramps of their own
(``Burst``), the largest burst counting where they overlap.  Amplitudes are fractions of
the channel's MVC RMS.  On top: white amplifier noise whose RMS follows the requested
SNR (``20 log10(A_ref / sigma)``, ``A_ref`` the quadratic mean of the channel's task
burst amplitudes, 10 % of its MVC without task bursts) and 5 uV of 50 Hz mains.  The
accelerometer (three channels, g) is the gravity vector rotated by a segment angle with
half-cosine angle ramps (thigh, wrist or trunk), plus 1 mg noise.  A fatiguing muscle
(Sorensen hold) gets a carrier whose band edges shrink linearly in time: overlap-added
0.5 s segments (sine windows, 50 % overlap) each filtered with its own scaled edges, so
the median frequency falls by the stated %/s of its initial value.

This is deliberately not the simulator's model (its spectrum, envelopes, kinematics and
noise are different), so a chain that works on both is not tuned to one generator.

Each protocol has a typical and a faulty variant whose verdict for every criterion of
the built-in pattern follows from the numbers below (``TRUTH``, with the reasons next to
the burst tables).

Faults (:func:`inject`)
-----------------------
``flat`` (zeros), ``railed`` (held at the Cyton rail, +187.5 mV), ``disconnected``
(300 uV mains, a drifting offset and amplifier noise, no EMG), ``nan`` (the channel is
not a number), ``noise`` (broadband white noise as strong as the channel's bursts,
instead of its EMG), ``ecg`` (an ECG of 1 mV R waves at 72 /min added to the EMG),
``mvc-missing`` (the MVC marker of one muscle lost), ``trials-missing`` (no trial
markers), ``trials-zero`` (zero-duration trial markers), ``dropped`` (2 % of the samples
lost in gaps of 4-40 ms, reported as BrainFlow readers report them: contiguous samples,
``meta["dropped_samples"]``, ``"dropped_samples"`` events, markers on the sample after a
gap, timestamps with the gaps).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfilt

from emgcontrol.recording import Event, Recording

RAIL_V = 4.5 / 24
"""Cyton input range: +-187.5 mV (4.5 V reference, gain 24), V."""

# =============================================================== arm-raise model (500 Hz)
# A small arm-raise session of its own (the fail-safe tests of combine rules): Gaussian
# noise band-limited by a 3rd-order Butterworth band-pass (25-180 Hz), amplitude-modulated
# by bursts with raised-cosine ramps (40 ms up, 80 ms down), over white Gaussian baseline
# noise; no accelerometer (the onsets are searched in the whole trial).

FS = 500.0
NOISE_V = 2e-6             # baseline noise RMS, V
EMG_V = 30e-6              # burst RMS, V
TRIAL_S = 5.0
N_TRIALS = 6

# cyton-trunk-8 muscles, right arm moving
CHANNELS = [
    ("EXG1", "left longissimus"), ("EXG2", "right longissimus"),
    ("EXG3", "left multifidus"), ("EXG4", "right multifidus"),
    ("EXG5", "left internal oblique"), ("EXG6", "right internal oblique"),
    ("EXG7", "right rectus abdominis"), ("EXG8", "right anterior deltoid"),
]
IO_L, IO_R, MF_L, MF_R = "EXG5", "EXG6", "EXG3", "EXG4"


def _band_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    sos = butter(3, [25.0, 180.0], btype="bandpass", fs=FS, output="sos")
    x = sosfilt(sos, rng.standard_normal(n + 500))[500:]
    return x / x.std()


def _envelope(n: int, onsets_s: list[float], dur_s: float = 0.7) -> np.ndarray:
    env = np.zeros(n)
    up, down = int(0.04 * FS), int(0.08 * FS)
    for t in onsets_s:
        a = round(t * FS)
        b = a + int(dur_s * FS)
        env[a:a + up] = np.maximum(env[a:a + up], 0.5 - 0.5 * np.cos(np.pi * np.arange(up) / up))
        env[a + up:b] = 1.0
        env[b:b + down] = np.maximum(env[b:b + down],
                                     0.5 + 0.5 * np.cos(np.pi * np.arange(down) / down))
    return env


def _fault(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / FS
    if kind == "railed":
        return np.full(n, RAIL_V) - np.abs(rng.normal(0, 1e-7, n))
    if kind == "flat":
        return np.zeros(n)
    if kind == "disconnected":
        drift = np.cumsum(rng.normal(0, 2e-6, n))
        drift = sosfilt(butter(1, 1.0, fs=FS, output="sos"), drift)
        return 300e-6 * np.sin(2 * np.pi * 50.0 * t) + drift + rng.normal(0, 1e-6, n)
    raise AssertionError(kind)


def arm_raise_session(latency_ms: dict[str, float], *, fault: tuple[str, str] | None = None,
                      seed: int = 0) -> tuple[Recording, list[float]]:
    """An arm-raise recording: per channel its onset relative to the deltoid, ms.

    Returns the recording and the deltoid onsets (s)."""
    rng = np.random.default_rng(seed)
    n = int((1.0 + N_TRIALS * TRIAL_S + 1.0) * FS)
    data = np.zeros((len(CHANNELS), n))
    starts = [1.0 + k * TRIAL_S for k in range(N_TRIALS)]
    delt = [s + 2.0 + rng.uniform(-0.2, 0.2) for s in starts]
    for i, (ch, _) in enumerate(CHANNELS):
        ons = [d + latency_ms.get(ch, 0.0) / 1000.0 + rng.normal(0, 0.004) for d in delt]
        data[i] = (EMG_V * _band_noise(rng, n) * _envelope(n, ons)
                   + rng.normal(0, NOISE_V, n))
        if fault is not None and fault[1] == ch:
            data[i] = _fault(fault[0], n, rng)
    events = [Event(s, TRIAL_S - 0.5, "trial") for s in starts]
    rec = Recording.from_array(data, FS, [c for c, _ in CHANNELS], units="V",
                               muscles=[m for _, m in CHANNELS], events=events)
    return rec, delt


# =============================================================== the protocol model
P, F = "pass", "fail"

CHANNEL_FAULTS = ("flat", "railed", "disconnected", "nan", "noise", "ecg")
HARD_FAULTS = ("flat", "railed", "disconnected", "nan")
SESSION_FAULTS = ("trials-missing", "trials-zero", "dropped")
MVC_PROTOCOLS = ("prone-hip-extension", "lift")

MVC_V = {"longissimus": 110e-6, "iliocostalis": 100e-6, "multifidus": 90e-6,
         "gluteus maximus": 140e-6, "biceps femoris": 120e-6, "vastus lateralis": 180e-6,
         "internal oblique": 80e-6, "rectus abdominis": 90e-6, "anterior deltoid": 150e-6}
"""MVC RMS of each muscle of the model, V."""

_ABBR = {"longissimus": "LES", "iliocostalis": "ILC", "multifidus": "LMF",
         "gluteus maximus": "GLM", "biceps femoris": "BFE", "vastus lateralis": "VLA",
         "internal oblique": "IOB", "rectus abdominis": "RAB", "anterior deltoid": "ADL"}


@dataclass(frozen=True)
class Burst:
    """A burst of one channel, times relative to the trial's movement onset (s).

    ``level``: plateau RMS as a fraction of the channel's MVC RMS; ``up``/``down``:
    half-cosine ramp durations (s); the ramp up starts at ``on`` (the true onset is
    where the envelope leaves zero) and the ramp down at ``off``."""

    on: float
    off: float
    level: float
    up: float = 0.05
    down: float = 0.12


@dataclass(frozen=True)
class Angle:
    """Segment angle during a trial, relative to the movement onset (s): ``start`` deg
    until 0, then half-cosine ramps to ``peak`` over ``rise`` s, held until ``back``,
    then back to ``start`` over ``fall`` s."""

    start: float
    peak: float
    rise: float
    back: float
    fall: float


@dataclass(frozen=True)
class Spec:
    channels: tuple[tuple[str, str], ...]   # (side, muscle)
    bursts: dict[str, tuple[Burst, ...]]    # "side muscle" -> bursts
    angle: Angle
    n_trials: int
    trial_s: float
    move_at: float                          # movement onset, s after the trial start
    jitter_s: float                         # uniform +- on the movement onset
    mvc: bool = False
    mdf_slope: dict[str, float] | None = None   # "side muscle" -> %/s during the hold


def _both(*muscles: str) -> tuple[tuple[str, str], ...]:
    return tuple((s, m) for m in muscles for s in ("left", "right"))


def _spec(protocol: str, variant: str) -> Spec:
    if protocol == "prone-hip-extension":
        # typical: hamstrings -120 ms, gluteus -60 ms, other-side back +40 ms, same-side
        # back +110 ms (every order criterion and Janda's sequence pass with 60-100 ms
        # margins), gluteus 30 %MVC in the hold (>= 18: pass), on time (-60 ms).
        # reversed-weak: same-side back -120 ms, other side -60 ms, hamstrings +80 ms,
        # gluteus +160 ms (after the 100 ms limit) at 8 %MVC: every criterion fails.
        if variant == "typical":
            t = {"right biceps femoris": (-0.12, 0.28), "right gluteus maximus": (-0.06, 0.30),
                 "left longissimus": (0.04, 0.12), "left multifidus": (0.04, 0.12),
                 "right longissimus": (0.11, 0.15), "right multifidus": (0.11, 0.15)}
        elif variant == "reversed-weak":
            t = {"right longissimus": (-0.12, 0.20), "right multifidus": (-0.12, 0.20),
                 "left longissimus": (-0.06, 0.15), "left multifidus": (-0.06, 0.15),
                 "right biceps femoris": (0.08, 0.25), "right gluteus maximus": (0.16, 0.08)}
        else:
            raise KeyError(variant)
        bursts = {k: (Burst(on, 2.6, lev),) for k, (on, lev) in t.items()}
        return Spec(_both("longissimus", "multifidus", "gluteus maximus", "biceps femoris"),
                    bursts, Angle(0.0, 12.0, 0.4, 2.6, 0.5), 5, 8.0, 2.5, 0.3, mvc=True)
    if protocol == "arm-raise":
        # onsets relative to the anterior deltoid (which starts 50 ms before the wrist
        # moves).  typical: internal oblique -45/-40 ms (before the deltoid: pass),
        # multifidus -30/-20 and longissimus -10/-5 ms (in -100..+50 ms: pass).
        # delayed-abdominals: internal oblique +70/+55 ms (after the deltoid: fail), the
        # back unchanged (pass).
        io = (-0.045, -0.040) if variant == "typical" else (0.070, 0.055)
        if variant not in ("typical", "delayed-abdominals"):
            raise KeyError(variant)
        lat = {"left internal oblique": (io[0], 0.25), "right internal oblique": (io[1], 0.25),
               "left multifidus": (-0.030, 0.2), "right multifidus": (-0.020, 0.2),
               "left longissimus": (-0.010, 0.2), "right longissimus": (-0.005, 0.2),
               "right rectus abdominis": (0.02, 0.1), "right anterior deltoid": (0.0, 0.4)}
        bursts = {k: (Burst(on - 0.05, on + 0.6, lev, up=0.04, down=0.1),)
                  for k, (on, lev) in lat.items()}
        chans = _both("longissimus", "multifidus", "internal oblique") + (
            ("right", "rectus abdominis"), ("right", "anterior deltoid"))
        return Spec(chans, bursts, Angle(0.0, 70.0, 0.35, 1.2, 0.6), 6, 5.0, 2.0, 0.3)
    if protocol == "flexion-relaxation":
        # flexion 0-3 s (back 20 %MVC), full flexion 3-6 s, extension 6-9 s (30 %MVC).
        # typical: the back is silent at full flexion (FRR and ERR far above 2.5 / 3:
        # pass).  absent: the back holds 16 %MVC at full flexion (FRR about 1.25, ERR
        # about 1.9: fail).
        hold = {"typical": 0.0, "absent": 0.16}[variant]
        bursts = {}
        for m in ("longissimus", "multifidus"):
            for s in ("left", "right"):
                b = [Burst(0.0, 2.7, 0.20, up=0.3, down=0.3),
                     Burst(6.0, 8.8, 0.30, up=0.3, down=0.3)]
                if hold:
                    b.append(Burst(2.7, 6.0, hold, up=0.05, down=0.05))
                bursts[f"{s} {m}"] = tuple(b)
        return Spec(_both("longissimus", "multifidus"), bursts,
                    Angle(0.0, 80.0, 3.0, 6.0, 3.0), 5, 14.0, 2.0, 0.2)
    if protocol == "sorensen":
        # a 60 s hold at 45 %MVC; the back extensors' median frequency falls by 0.2 %/s
        # (typical, >= -0.4: pass) or 0.8 %/s (fast-fatigue: fail).
        slope = {"typical": -0.2, "fast-fatigue": -0.8}[variant]
        bursts = {f"{s} {m}": (Burst(0.3, 60.3, 0.45, up=0.3, down=0.5),)
                  for m in ("longissimus", "multifidus") for s in ("left", "right")}
        bursts.update({f"{s} biceps femoris": (Burst(0.3, 60.3, 0.3, up=0.3, down=0.5),)
                       for s in ("left", "right")})
        return Spec(_both("longissimus", "multifidus", "biceps femoris"), bursts,
                    Angle(-30.0, 0.0, 1.0, 60.5, 1.0), 1, 66.0, 2.0, 0.0,
                    mdf_slope={k: slope for k in bursts if "biceps" not in k})
    if protocol == "lift":
        # typical: vastus lateralis -100 ms at 45 %MVC, back (longissimus, iliocostalis,
        # multifidus) +100 ms at 28 %MVC: knee/back share 1.6 (>= 0.75), knee leads,
        # back 28 %MVC (<= 50): pass.  back-dominant: back -100 ms at 62 %MVC, vastus
        # +120 ms at 15 %MVC: share 0.24, back first, back above 50 %MVC: fail.
        if variant == "typical":
            t = {"vastus lateralis": (-0.10, 0.45), "gluteus maximus": (-0.06, 0.35),
                 "biceps femoris": (-0.06, 0.30), "longissimus": (0.10, 0.28),
                 "iliocostalis": (0.10, 0.28), "multifidus": (0.10, 0.28)}
        elif variant == "back-dominant":
            t = {"vastus lateralis": (0.12, 0.15), "gluteus maximus": (0.10, 0.10),
                 "biceps femoris": (-0.05, 0.40), "longissimus": (-0.10, 0.62),
                 "iliocostalis": (-0.10, 0.62), "multifidus": (-0.10, 0.62)}
        else:
            raise KeyError(variant)
        bursts = {f"{s} {m}": (Burst(on, 2.5, lev),) for m, (on, lev) in t.items()
                  for s in ("left", "right")}
        return Spec(_both("longissimus", "iliocostalis", "multifidus", "gluteus maximus",
                          "biceps femoris", "vastus lateralis"), bursts,
                    Angle(45.0, 0.0, 1.2, 2.7, 1.5), 5, 8.0, 2.0, 0.3, mvc=True)
    raise KeyError(protocol)


VARIANTS = {"prone-hip-extension": ("typical", "reversed-weak"),
            "arm-raise": ("typical", "delayed-abdominals"),
            "flexion-relaxation": ("typical", "absent"),
            "sorensen": ("typical", "fast-fatigue"),
            "lift": ("typical", "back-dominant")}
"""Variants of the model per protocol (typical first)."""

TRUTH: dict[tuple[str, str], dict[str, str]] = {
    ("prone-hip-extension", "typical"): {
        "gmax-before-ipsilateral-es": P, "gmax-before-contralateral-es": P,
        "hamstrings-before-es": P, "gmax-on-time": P, "janda-sequence": P, "gmax-amount": P},
    ("prone-hip-extension", "reversed-weak"): {
        "gmax-before-ipsilateral-es": F, "gmax-before-contralateral-es": F,
        "hamstrings-before-es": F, "gmax-on-time": F, "janda-sequence": F, "gmax-amount": F},
    ("arm-raise", "typical"): {
        "deep-abdominals-feedforward": P, "multifidus-anticipatory": P,
        "erector-spinae-anticipatory": P},
    ("arm-raise", "delayed-abdominals"): {
        "deep-abdominals-feedforward": F, "multifidus-anticipatory": P,
        "erector-spinae-anticipatory": P},
    ("flexion-relaxation", "typical"): {
        "flexion-relaxation-ratio": P, "extension-relaxation-ratio": P},
    ("flexion-relaxation", "absent"): {
        "flexion-relaxation-ratio": F, "extension-relaxation-ratio": F},
    ("sorensen", "typical"): {"back-mdf-slope": P},
    ("sorensen", "fast-fatigue"): {"back-mdf-slope": F},
    ("lift", "typical"): {"knee-extensor-share": P, "knee-extensors-lead": P, "back-load": P},
    ("lift", "back-dominant"): {"knee-extensor-share": F, "knee-extensors-lead": F,
                                "back-load": F},
}
"""True verdict of every criterion of the built-in pattern per (protocol, variant)."""


def _carrier(rng: np.random.Generator, n: int, sfreq: float, scale: float = 1.0
             ) -> np.ndarray:
    hi = min(120.0 * scale, 0.42 * sfreq)
    lo = 30.0 * scale
    sos = np.vstack([butter(2, lo, btype="highpass", fs=sfreq, output="sos"),
                     butter(2, hi, btype="lowpass", fs=sfreq, output="sos")])
    pad = int(0.5 * sfreq)
    x = sosfilt(sos, rng.standard_normal(n + pad))[pad:]
    return x / np.sqrt(np.mean(x * x))


def _fatiguing_carrier(rng: np.random.Generator, n: int, sfreq: float, t0: float,
                       slope_pct_s: float) -> np.ndarray:
    """Carrier whose band edges scale by ``1 + slope/100 * (t - t0)`` (t >= t0)."""
    seg = int(round(0.5 * sfreq))
    hop = seg // 2
    win = np.sin(np.pi * (np.arange(seg) + 0.5) / seg)
    out = np.zeros(n + seg)
    for a in range(0, n, hop):
        tc = (a + seg / 2) / sfreq
        scale = max(0.2, 1.0 + slope_pct_s / 100.0 * max(0.0, tc - t0))
        out[a:a + seg] += win * _carrier(rng, seg, sfreq, scale)
    return out[:n]


def _ramp_env(t: np.ndarray, b: Burst) -> np.ndarray:
    env = np.zeros_like(t)
    up = (t >= b.on) & (t < b.on + b.up)
    env[up] = 0.5 - 0.5 * np.cos(np.pi * (t[up] - b.on) / b.up)
    env[(t >= b.on + b.up) & (t <= b.off)] = 1.0
    dn = (t > b.off) & (t < b.off + b.down)
    env[dn] = 0.5 + 0.5 * np.cos(np.pi * (t[dn] - b.off) / b.down)
    return env * b.level


def _angle(t: np.ndarray, a: Angle) -> np.ndarray:
    th = np.full_like(t, a.start)
    r = (t >= 0) & (t < a.rise)
    th[r] = a.start + (a.peak - a.start) * (0.5 - 0.5 * np.cos(np.pi * t[r] / a.rise))
    th[(t >= a.rise) & (t <= a.back)] = a.peak
    f = (t > a.back) & (t < a.back + a.fall)
    th[f] = a.peak + (a.start - a.peak) * (0.5 - 0.5 * np.cos(np.pi * (t[f] - a.back) / a.fall))
    return th


def channel_name(side: str, muscle: str) -> str:
    """Channel name of a muscle in the model (``"GLM R"``...)."""
    return f"{_ABBR[muscle]} {side[0].upper()}"


def session(protocol: str, variant: str = "typical", *, sfreq: float = 1000.0,
            snr_db: float = 10.0, seed: int = 0) -> tuple[Recording, dict[str, str]]:
    """A session of the second model with the true verdict of every criterion.

    Parameters
    ----------
    protocol : str
        A built-in protocol.
    variant : str
        One of ``VARIANTS[protocol]``.
    sfreq : float
        Sampling rate, Hz.
    snr_db : float
        Per-channel SNR, dB (see the module docstring).
    seed : int
        Random seed.

    Returns
    -------
    rec : Recording
        EMG channels (V) named ``channel_name(side, muscle)``, accelerometer ``ACC X/Y/Z``
        (g), events ``"mvc"`` (one per muscle, both sides, in channel order; sessions of
        ``MVC_PROTOCOLS``) and ``"trial"``.
    truth : dict
        Criterion id -> ``"pass"`` or ``"fail"``.
    """
    spec = _spec(protocol, variant)
    rng = np.random.default_rng(seed)
    t_mvc = 2.0
    mvc_blocks: list[tuple[str, float, float]] = []
    if spec.mvc:
        for m in dict.fromkeys(m for _, m in spec.channels):
            mvc_blocks.append((m, t_mvc + 0.3, t_mvc + 3.3))
            t_mvc += 0.6 + 3.0 + 3.0
    trial0 = t_mvc + 1.0 if spec.mvc else 1.0
    starts = [trial0 + k * spec.trial_s for k in range(spec.n_trials)]
    moves = [s + spec.move_at + (rng.uniform(-spec.jitter_s, spec.jitter_s)
                                 if spec.jitter_s else 0.0) for s in starts]
    dur = starts[-1] + spec.trial_s + 1.0
    n = int(round(dur * sfreq))
    t = np.arange(n) / sfreq
    names, muscles, rows = [], [], []
    for side, m in spec.channels:
        key = f"{side} {m}"
        mvc = MVC_V[m]
        env = np.zeros(n)
        for mm, a, b in mvc_blocks:
            if mm == m:
                env = np.maximum(env, _ramp_env(t, Burst(a - 0.3, b, 1.0, up=0.3, down=0.3)))
        bursts = spec.bursts.get(key, ())
        for mv in moves:
            for b in bursts:
                jit = rng.normal(0.0, 0.005)
                env = np.maximum(env, _ramp_env(t - mv - jit, b))
        if spec.mdf_slope and key in spec.mdf_slope:
            carrier = _fatiguing_carrier(rng, n, sfreq, moves[0] + 0.3, spec.mdf_slope[key])
        else:
            carrier = _carrier(rng, n, sfreq)
        a_ref = (np.sqrt(np.mean([b.level ** 2 for b in bursts])) if bursts else 0.1) * mvc
        sigma = a_ref / 10 ** (snr_db / 20.0)
        x = (mvc * env * carrier + sigma * rng.standard_normal(n)
             + 5e-6 * np.sin(2 * np.pi * 50.0 * t + rng.uniform(0, 2 * np.pi)))
        names.append(channel_name(side, m))
        muscles.append(key)
        rows.append(x)
    theta = np.full(n, spec.angle.start)
    for k, mv in enumerate(moves):
        lo, hi = starts[k], starts[k] + spec.trial_s
        sel = (t >= lo) & (t < hi)
        theta[sel] = _angle(t[sel] - mv, spec.angle)
    th = np.radians(theta)
    acc = np.vstack([np.sin(th), np.zeros(n), np.cos(th)]) + rng.normal(0, 1e-3, (3, n))
    data = np.vstack(rows + [acc])
    events = [Event(a, b - a, "mvc") for _, a, b in mvc_blocks]
    events += [Event(s, spec.trial_s, "trial") for s in starts]
    rec = Recording.from_array(data, sfreq, names + ["ACC X", "ACC Y", "ACC Z"], units="V",
                               muscles=muscles + [None] * 3,
                               ch_types=["emg"] * len(names) + ["acc"] * 3, events=events)
    return rec, dict(TRUTH[(protocol, variant)])


# =============================================================== fault injection

def _ecg(n: int, sfreq: float, rng: np.random.Generator, r_v: float = 1e-3) -> np.ndarray:
    """An ECG of its own: Gaussian P, Q, R, S and T waves at 72 /min (+-5 % per beat)."""
    t = np.arange(n) / sfreq
    x = np.zeros(n)
    beat = rng.uniform(0.0, 0.8)
    waves = ((-0.20, 0.025, 0.12), (-0.025, 0.008, -0.12), (0.0, 0.010, 1.0),
             (0.025, 0.008, -0.25), (0.25, 0.040, 0.30))
    while beat < t[-1] + 0.5:
        i0, i1 = int((beat - 0.4) * sfreq), int((beat + 0.5) * sfreq)
        i0, i1 = max(i0, 0), min(i1, n)
        if i1 > i0:
            tt = t[i0:i1] - beat
            for dt, sd, amp in waves:
                x[i0:i1] += amp * np.exp(-0.5 * ((tt - dt) / sd) ** 2)
        beat += (60.0 / 72.0) * rng.uniform(0.95, 1.05)
    return r_v * x


def channel_fault(x: np.ndarray, kind: str, sfreq: float, rng: np.random.Generator
                  ) -> np.ndarray:
    """One EMG channel (V) with a fault (``CHANNEL_FAULTS``)."""
    n = x.size
    t = np.arange(n) / sfreq
    if kind == "flat":
        return np.zeros(n)
    if kind == "railed":
        return np.full(n, RAIL_V) - np.abs(rng.normal(0, 1e-7, n))
    if kind == "disconnected":
        drift = np.cumsum(rng.normal(0, 2e-6, n))
        drift = sosfilt(butter(1, 1.0, fs=sfreq, output="sos"), drift)
        return 300e-6 * np.sin(2 * np.pi * 50.0 * t) + drift + rng.normal(0, 1e-6, n)
    if kind == "nan":
        return np.full(n, np.nan)
    if kind == "noise":
        # as strong as the channel's strongest 1 s of activity, white, all the time
        k = max(1, int(sfreq))
        m = n // k
        level = float(np.sqrt(np.max(np.mean(x[:m * k].reshape(m, k) ** 2, axis=1))))
        return rng.normal(0.0, level, n)
    if kind == "ecg":
        return x + _ecg(n, sfreq, rng)
    raise ValueError(f"unknown channel fault {kind!r}")


def mvc_muscles(rec: Recording) -> list[str]:
    """Muscle of each ``"mvc"`` event, in order (one MVC per muscle, channel order)."""
    return list(dict.fromkeys(m.muscle for m, ty in zip(rec.muscles, rec.ch_types)
                              if m is not None and ty == "emg"))


def _rebuild(rec: Recording, data: np.ndarray, events, meta=None, timestamps=None
             ) -> Recording:
    return Recording.from_array(data, rec.sfreq, rec.ch_names, units="V", muscles=rec.muscles,
                                ch_types=rec.ch_types, events=events,
                                meta=dict(rec.meta) if meta is None else meta,
                                timestamps=timestamps)


def inject(rec: Recording, fault: str, target: str | None = None, *, seed: int = 0
           ) -> Recording:
    """A copy of ``rec`` with one fault.

    Parameters
    ----------
    fault : str
        One of ``CHANNEL_FAULTS`` (``target``: the channel name), ``"mvc-missing"``
        (``target``: the muscle id whose ``"mvc"`` marker is lost) or
        ``SESSION_FAULTS``.
    seed : int
        Seed of the fault's random parts.

    Raises
    ------
    emgcontrol.errors.NonFiniteDataError
        For ``"nan"``: a Recording cannot hold it (the error names the channel).
    """
    rng = np.random.default_rng(seed)
    data = rec.data.copy()
    events = list(rec.events)
    if fault in CHANNEL_FAULTS:
        i = rec.ch_names.index(target)
        data[i] = channel_fault(data[i], fault, rec.sfreq, rng)
        return _rebuild(rec, data, events)
    if fault == "mvc-missing":
        order = mvc_muscles(rec)
        mvc = [e for e in events if e.label == "mvc"]
        if len(mvc) != len(order):
            raise ValueError(f"{len(mvc)} 'mvc' events for {len(order)} muscles")
        lost = mvc[order.index(target)]
        return _rebuild(rec, data, [e for e in events if e is not lost])
    if fault == "trials-missing":
        return _rebuild(rec, data, [e for e in events if e.label != "trial"])
    if fault == "trials-zero":
        return _rebuild(rec, data, [Event(e.onset, 0.0, e.label) if e.label == "trial" else e
                                    for e in events])
    if fault == "dropped":
        return drop_packets(rec, 0.02, rng)
    raise ValueError(f"unknown fault {fault!r}")


def drop_packets(rec: Recording, share: float, rng: np.random.Generator) -> Recording:
    """Remove ``share`` of the samples in gaps of 4-40 ms, reported as readers do."""
    sf = rec.sfreq
    n = rec.n_times
    keep = np.ones(n, bool)
    target = int(round(share * n))
    while (~keep).sum() < target:
        length = max(1, int(round(rng.uniform(0.004, 0.040) * sf)))
        a = int(rng.integers(int(sf), n - length - 1))
        if keep[a - 1:a + length + 1].all():     # separate gaps
            keep[a:a + length] = False
    kept = np.flatnonzero(keep)
    new_index = np.cumsum(keep) - 1            # index of each kept sample in the output
    gaps, events = [], []
    d = np.diff(np.concatenate(([1], keep.astype(np.int8), [1])))
    for a, b in zip(np.flatnonzero(d == -1), np.flatnonzero(d == 1)):
        s = int(new_index[b]) if b < n else int(kept.size)
        gaps.append({"sample": s, "time_s": s / sf, "n_missing": int(b - a),
                     "source": "package_num"})
        events.append(Event(s / sf, (b - a) / sf, "dropped_samples"))

    def where(t: float) -> float:
        i = min(max(int(round(t * sf)), 0), n - 1)
        j = np.searchsorted(kept, i)            # the kept sample at or after i
        return float(min(j, kept.size - 1)) / sf

    for e in rec.events:
        on = where(e.onset)
        off = where(e.onset + e.duration) if e.duration > 0 else on
        events.append(Event(on, max(0.0, off - on), e.label))
    meta = dict(rec.meta)
    meta["dropped_samples"] = {"count": int(n - kept.size), "gaps": gaps}
    data = rec.data[:, kept]
    return _rebuild(rec, data, sorted(events, key=lambda e: e.onset), meta=meta,
                    timestamps=kept / sf)
