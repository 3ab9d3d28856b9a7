"""A second surface-EMG model, independent of ``emgcontrol.simulate``.

Used by the quality tests and ``benchmarks/bench_quality.py`` so that the checks
are not tuned to one generator.  Nothing here imports emgcontrol.

Model
-----
EMG
    White Gaussian noise shaped in the frequency domain by a smooth band-pass
    magnitude ``|H(f)| = (f/fl)^2 / (1 + (f/fl)^2) / sqrt(1 + (f/fh)^4)``
    (fl = 35 Hz, fh = 140 Hz by default; not the Shwedyk shape of the
    simulator), normalised to unit RMS at the sampling rate used, and
    multiplied by an RMS envelope of trapezoids (linear ramps) with a slow
    force tremor (5 % RMS, < 3 Hz).
Noise
    White Gaussian, ``sigma = A_ref / 10**(snr_db/20)`` with ``A_ref`` the mean
    plateau RMS of the channel's bursts (a quiet channel: 10 uV).
Artefacts (optional)
    Mains (fundamental and 3rd harmonic, random phase), ECG (own template:
    Q-R-S Gaussians and a T wave, RR intervals with 4 % variability), slow
    baseline drift (integrated noise, low-passed), DC offset, loose-contact
    steps.

Units: microvolts, seconds, Hz.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def shaped_noise(n: int, sfreq: float, rng: np.random.Generator, fl: float = 35.0,
                 fh: float = 140.0) -> np.ndarray:
    """Unit-RMS Gaussian noise with the model's band-pass spectrum."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / sfreq)
    mag = (f / fl) ** 2 / (1.0 + (f / fl) ** 2) / np.sqrt(1.0 + (f / fh) ** 4)
    y = np.fft.irfft(spec * mag, n)
    return y / y.std()


def trapezoid(t: np.ndarray, onset: float, offset: float, ramp_on: float, ramp_off: float,
              level: float) -> np.ndarray:
    """RMS envelope of one burst: linear ramps around a plateau ``level``."""
    up = np.clip((t - onset) / ramp_on, 0.0, 1.0)
    down = np.clip((offset - t) / ramp_off, 0.0, 1.0)
    return level * np.minimum(up, down)


def ecg_wave(t: np.ndarray, r_times: np.ndarray) -> np.ndarray:
    """Unit-peak ECG: Q, R, S Gaussians and a T wave at each R time."""
    out = np.zeros_like(t)
    for r in r_times:
        lo, hi = np.searchsorted(t, [r - 0.2, r + 0.45])
        tt = t[lo:hi] - r
        out[lo:hi] += (-0.15 * np.exp(-0.5 * ((tt + 0.025) / 0.008) ** 2)
                       + 1.0 * np.exp(-0.5 * (tt / 0.010) ** 2)
                       - 0.25 * np.exp(-0.5 * ((tt - 0.028) / 0.009) ** 2)
                       + 0.25 * np.exp(-0.5 * ((tt - 0.25) / 0.045) ** 2))
    return out


def r_times_for(duration: float, bpm: float, rng: np.random.Generator,
                variability: float = 0.04) -> np.ndarray:
    rr = 60.0 / bpm
    times = [0.4 + rng.uniform(0, rr)]
    while times[-1] < duration - 0.5:
        times.append(times[-1] + rr * (1.0 + variability * rng.standard_normal()))
    return np.array(times[:-1])


@dataclass
class Session:
    """A generated session: data (uV), sampling rate and what was put in."""

    data: np.ndarray
    sfreq: float
    ch_names: list[str]
    quiet: list[str]
    r_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    bursts: dict[str, list[tuple[float, float, float]]] = field(default_factory=dict)


def session(sfreq: float = 1000.0, duration: float = 30.0, *, seed: int = 0,
            n_active: int = 4, n_quiet: int = 2, snr_db: float = 20.0,
            holds: bool = False, mains_uv: float = 0.0, mains_hz: float = 50.0,
            ecg_uv: float = 0.0, bpm: float = 72.0, drift_uv: float = 0.0,
            dc_uv: float = 0.0, fl: float = 35.0, fh: float = 140.0) -> Session:
    """A healthy multichannel session of the second model.

    Parameters
    ----------
    holds : bool
        False: bursts of 1.5-3 s with rest between them (a task with pauses).
        True: sustained holds at 20-60 % of the channel's maximum with ramps
        between levels and no rest at all (the envelope never drops below
        15 % of the maximum).
    mains_uv, ecg_uv, drift_uv, dc_uv : float
        Peak mains (per channel x 0.5-1.5), ECG R amplitude (per channel x
        0.3-1), drift RMS and DC offset, uV.
    """
    rng = np.random.default_rng(seed)
    n = int(round(duration * sfreq))
    t = np.arange(n) / sfreq
    names = [f"A{i}" for i in range(n_active)] + [f"Q{i}" for i in range(n_quiet)]
    rows = []
    bursts: dict[str, list[tuple[float, float, float]]] = {}
    r_times = r_times_for(duration, bpm, rng) if ecg_uv > 0 else np.zeros(0)
    ecg = ecg_wave(t, r_times) if ecg_uv > 0 else np.zeros(n)
    for ci, name in enumerate(names):
        active = ci < n_active
        peak = rng.uniform(80.0, 300.0)  # uV RMS at the channel's maximum
        env = np.zeros(n)
        bursts[name] = []
        if active and not holds:
            a = rng.uniform(0.5, 2.0)
            while a < duration - 3.5:
                dur = rng.uniform(1.5, 3.0)
                ro, rf = rng.uniform(0.1, 0.5), rng.uniform(0.1, 0.5)
                lvl = peak * rng.uniform(0.2, 0.6)
                env = np.sqrt(env**2 + trapezoid(t, a, a + dur, ro, rf, lvl) ** 2)
                bursts[name].append((a, a + dur, lvl))
                a += dur + rng.uniform(1.0, 3.0)
        elif active:
            # piecewise-linear levels between 20 and 60 % of the maximum, ramps of
            # 0.5-1.5 s, never below 15 %
            knots_t = [0.0]
            knots_v = [rng.uniform(0.2, 0.6)]
            while knots_t[-1] < duration:
                hold = rng.uniform(4.0, 10.0)
                ramp = rng.uniform(0.5, 1.5)
                knots_t += [knots_t[-1] + hold, knots_t[-1] + hold + ramp]
                knots_v += [knots_v[-1], rng.uniform(0.2, 0.6)]
            env = peak * np.maximum(np.interp(t, knots_t, knots_v), 0.15)
            bursts[name].append((0.0, duration, float(np.mean(env))))
        tremor = shaped_noise(n, sfreq, rng, fl=0.2, fh=2.0) * 0.05
        env = env * (1.0 + tremor)
        emg = shaped_noise(n, sfreq, rng, fl, fh) * env
        a_ref = (np.sqrt(np.mean([b[2] ** 2 for b in bursts[name]])) if bursts[name]
                 else 10.0)
        x = emg + rng.standard_normal(n) * a_ref / 10 ** (snr_db / 20.0)
        if mains_uv > 0:
            ph = rng.uniform(0, 2 * np.pi, 2)
            amp = mains_uv * rng.uniform(0.5, 1.5)
            x += amp * (np.sin(2 * np.pi * mains_hz * t + ph[0])
                        + (0.3 * np.sin(2 * np.pi * 3 * mains_hz * t + ph[1])
                           if 3 * mains_hz < sfreq / 2 else 0.0))
        if ecg_uv > 0:
            x += ecg_uv * rng.uniform(0.3, 1.0) * ecg
        if drift_uv > 0:
            d = np.cumsum(rng.standard_normal(n))
            d = d - np.linspace(d[0], d[-1], n)
            x += drift_uv * d / d.std()
        x += dc_uv
        rows.append(x)
    return Session(np.array(rows), sfreq, names, names[n_active:], r_times, bursts)


def non_emg_channel(sfreq: float, duration: float, *, seed: int = 0, kind: str = "goniometer",
                    noise_uv: float = 0.8) -> np.ndarray:
    """A channel that is not EMG, in uV, with amplifier noise of ``noise_uv`` RMS.

    ``"goniometer"``: smooth joint-angle-like movement (0.1-1.5 Hz) of a few uV
    (an unconnected sensor input, or a mis-typed analogue channel after scaling);
    ``"force"``: ramps to plateaus (load cell); ``"motion"``: slow swings with
    occasional 2-8 Hz bumps; ``"ecg"``: an ECG lead (R 1 mV at 70 bpm) with
    baseline wander.
    """
    rng = np.random.default_rng(seed)
    n = int(round(duration * sfreq))
    t = np.arange(n) / sfreq
    if kind == "goniometer":
        sig = 4.0 * shaped_noise(n, sfreq, rng, fl=0.1, fh=1.5)
    elif kind == "force":
        sig = np.zeros(n)
        a = 1.0
        while a < duration - 4:
            sig += trapezoid(t, a, a + 3.0, 0.6, 0.6, rng.uniform(2.0, 6.0))
            a += rng.uniform(4.5, 6.0)
    elif kind == "motion":
        sig = 3.0 * shaped_noise(n, sfreq, rng, fl=0.2, fh=1.0)
        sig += 1.0 * shaped_noise(n, sfreq, rng, fl=2.0, fh=8.0)
    elif kind == "ecg":
        sig = 1000.0 * ecg_wave(t, r_times_for(duration, 70.0, rng))
        sig += 50.0 * shaped_noise(n, sfreq, rng, fl=0.05, fh=0.5)
    else:
        raise ValueError(kind)
    return sig + noise_uv * rng.standard_normal(n)
