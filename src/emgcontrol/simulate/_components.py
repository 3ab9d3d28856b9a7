"""Signal components of a simulated session, each a small vectorised function.

All functions work in SI units (V, s, g) on sample grids ``t_n = n / sfreq``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..hardware import ADC_MAX_CODE
from ._params import CYTON_ACC_LSB_G, CYTON_ACC_RATE_HZ, CYTON_LSB_V

G = 9.80665  # standard gravity, m/s**2


# ------------------------------------------------------------------ envelopes
def add_burst_power(power: np.ndarray, sfreq: float, onset: float, offset: float,
                    ramp_on: float, ramp_off: float, amplitude: float,
                    compression: np.ndarray | None = None, slope: float = 0.0) -> None:
    """Add the squared trapezoidal RMS envelope of one burst to ``power`` in place.

    Overlapping bursts add in power (independent motor-unit pools).  With
    ``compression`` given and ``slope`` != 0, multiply it over the burst by
    ``1 + slope/100 * (t - onset)`` (linear median-frequency change).
    """
    n = power.shape[-1]
    i0 = max(0, int(math.ceil(onset * sfreq)))
    i1 = min(n, int(math.floor(offset * sfreq)) + 1)
    if i1 <= i0:
        return
    t = np.arange(i0, i1) / sfreq
    env = np.ones(i1 - i0)
    if ramp_on > 0:
        env = np.minimum(env, (t - onset) / ramp_on)
    if ramp_off > 0:
        env = np.minimum(env, (offset - t) / ramp_off)
    np.clip(env, 0.0, 1.0, out=env)
    power[i0:i1] += (amplitude * env) ** 2
    if compression is not None and slope != 0.0:
        compression[i0:i1] *= np.maximum(1.0 + slope / 100.0 * (t - onset), 0.2)


# ------------------------------------------------------------------------ ECG
# P-QRS-T template as a sum of Gaussians (McSharry et al. 2003), amplitudes relative to
# the R wave, centres in s relative to the R peak at a 1 s RR interval; the T wave
# moves with sqrt(RR) (Bazett).
_ECG_WAVES = (
    # amplitude, centre (s), width sigma (s), scales with sqrt(RR)
    (0.10, -0.165, 0.022, False),   # P
    (-0.12, -0.028, 0.008, False),  # Q
    (1.00, 0.000, 0.010, False),    # R
    (-0.22, 0.030, 0.009, False),   # S
    (0.28, 0.270, 0.045, True),     # T
)


def ecg_beats(duration: float, heart_rate_bpm: float,
              rng: np.random.Generator) -> np.ndarray:
    """R-peak times (s) with heart-rate variability.

    RR intervals follow the mean rate with respiratory sinus arrhythmia (4 % at
    0.25 Hz) and 2 % random beat-to-beat variation: SDNN about 30 ms at 70 bpm,
    in the range of short-term resting recordings (Task Force 1996).
    """
    rr0 = 60.0 / heart_rate_bpm
    phase = rng.uniform(0, 2 * np.pi)
    n_max = int(duration / rr0 * 1.3) + 8
    eps = rng.standard_normal(n_max)
    t = rng.uniform(-2 * rr0, -rr0)  # one beat before 0: its T wave may reach the start
    out = []
    for k in range(n_max):
        rr = rr0 * (1 + 0.04 * math.sin(2 * math.pi * 0.25 * t + phase) + 0.02 * eps[k])
        t += rr
        if t > duration + 1.0:
            break
        out.append(t)
    return np.asarray(out)


def ecg_trace(n: int, sfreq: float, r_times: np.ndarray) -> np.ndarray:
    """Unit-R-amplitude ECG waveform with beats at ``r_times`` (sub-sample exact)."""
    out = np.zeros(n)
    if len(r_times) == 0:
        return out
    rr = np.diff(r_times, prepend=r_times[0] - (r_times[1] - r_times[0]
                                                  if len(r_times) > 1 else 0.85))
    half_before, half_after = 0.30, 0.55
    for r, interval in zip(r_times, rr):
        i0 = max(0, int(math.floor((r - half_before) * sfreq)))
        i1 = min(n, int(math.ceil((r + half_after) * sfreq)) + 1)
        if i1 <= i0:
            continue
        tt = np.arange(i0, i1) / sfreq - r
        scale = math.sqrt(min(max(interval, 0.4), 1.5))
        beat = np.zeros(i1 - i0)
        for amp, centre, sigma, stretch in _ECG_WAVES:
            c = centre * scale if stretch else centre
            s = sigma * scale if stretch else sigma
            beat += amp * np.exp(-0.5 * ((tt - c) / s) ** 2)
        out[i0:i1] += beat
    return out


# ---------------------------------------------------------------------- mains
_MAINS_HARMONICS = ((1, 1.0), (2, 0.05), (3, 0.30), (4, 0.02), (5, 0.10), (7, 0.05))


def mains(n: int, sfreq: float, mains_hz: float, amplitudes: np.ndarray,
          rng: np.random.Generator) -> np.ndarray:
    """Mains interference (n_channels, n): fundamental and odd-dominated harmonics.

    Only harmonics strictly below Nyquist are present (the anti-aliasing filter
    removes the rest).  Phases are common to all channels (capacitive coupling of
    the same field) with a small per-channel spread.

    Parameters
    ----------
    amplitudes : ndarray, shape (n_channels,)
        Peak amplitude of the fundamental per channel, V.
    """
    n_ch = len(amplitudes)
    t = np.arange(n) / sfreq
    harm = [(h, rel) for h, rel in _MAINS_HARMONICS if h * mains_hz < sfreq / 2]
    base_phase = rng.uniform(0, 2 * np.pi, len(_MAINS_HARMONICS))
    spread = rng.normal(0, 0.2, (n_ch, len(_MAINS_HARMONICS)))
    basis = np.empty((2 * len(harm), n))
    coef = np.empty((n_ch, 2 * len(harm)))
    for j, (h, rel) in enumerate(harm):
        k = [hh for hh, _ in _MAINS_HARMONICS].index(h)
        w = 2 * np.pi * h * mains_hz * t
        basis[2 * j] = np.sin(w)
        basis[2 * j + 1] = np.cos(w)
        ph = base_phase[k] + spread[:, k]
        coef[:, 2 * j] = amplitudes * rel * np.cos(ph)
        coef[:, 2 * j + 1] = amplitudes * rel * np.sin(ph)
    if not harm:
        return np.zeros((n_ch, n))
    return coef @ basis


# ------------------------------------------------------------- motion artefacts
def motion_transient(n: int, sfreq: float, onset: float, tau: float,
                     amplitude: float) -> tuple[int, np.ndarray]:
    """Low-frequency motion artefact starting at ``onset``.

    A derivative-of-Gaussian wobble (electrode-skin interface deformation, cable
    sway) centred at ``onset + 2.5 tau``, peak ``amplitude`` (V); its energy lies
    below ~1 / (2 pi tau) x 3, i.e. under 10-15 Hz for tau >= 40 ms.

    Returns
    -------
    start : int
        First sample index.
    values : ndarray
        Samples to add from ``start`` on.
    """
    centre = onset + 2.5 * tau
    i0 = max(0, int(math.ceil(onset * sfreq)))
    i1 = min(n, int(math.floor((onset + 5 * tau) * sfreq)) + 1)
    tt = (np.arange(i0, i1) / sfreq - centre) / tau
    # x exp(-x^2/2) peaks at x = 1 with value exp(-1/2)
    return i0, amplitude * tt * np.exp(-0.5 * tt * tt) / math.exp(-0.5)


# -------------------------------------------------------------- accelerometer
def _min_jerk(tau: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minimum-jerk position, velocity and acceleration for tau in [0, 1]."""
    s = tau * tau * tau * (10 - 15 * tau + 6 * tau * tau)
    v = 30 * tau * tau * (1 - tau) ** 2
    a = 60 * tau - 180 * tau * tau + 120 * tau ** 3
    return s, v, a


def segment_kinematics(n: int, sfreq: float, posture_deg: float,
                       movements: Sequence[tuple[float, float, float]]
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Angle (rad), angular velocity (rad/s) and acceleration (rad/s**2) over time.

    ``movements`` are ``(onset_s, duration_s, delta_deg)``; each adds a
    minimum-jerk change of the segment angle, so successive movements compose.
    """
    phi = np.full(n, math.radians(posture_deg))
    dphi = np.zeros(n)
    ddphi = np.zeros(n)
    for onset, duration, delta in movements:
        d = math.radians(delta)
        i0 = max(0, int(math.ceil(onset * sfreq)))
        i1 = min(n, int(math.floor((onset + duration) * sfreq)) + 1)
        if i0 >= n:
            continue
        tau = np.clip((np.arange(i0, i1) / sfreq - onset) / duration, 0.0, 1.0)
        s, v, a = _min_jerk(tau)
        phi[i0:i1] += d * s
        phi[i1:] += d
        dphi[i0:i1] += d * v / duration
        ddphi[i0:i1] += d * a / duration**2
    return phi, dphi, ddphi


def accelerometer(n: int, sfreq: float, posture_deg: float,
                  movements: Sequence[tuple[float, float, float]], radius_m: float,
                  rng: np.random.Generator, noise_g: float = 0.003) -> np.ndarray:
    """Three-axis accelerometer (3, n) in g on a segment rotating in the sagittal plane.

    The sensor sits ``radius_m`` from the joint; x points along the segment away
    from the joint, z perpendicular to it in the plane of motion, y lateral.  A
    MEMS accelerometer measures specific force: gravity projection plus the
    tangential (r phi'') and centripetal (-r phi'**2) accelerations.  The segment
    angle phi is measured from the horizontal.
    """
    phi, dphi, ddphi = segment_kinematics(n, sfreq, posture_deg, movements)
    out = np.empty((3, n))
    out[0] = np.sin(phi) - radius_m * dphi**2 / G
    out[1] = 0.0
    out[2] = np.cos(phi) + radius_m * ddphi / G
    out += rng.normal(0.0, noise_g, (3, n))
    return out


def cyton_accelerometer(acc: np.ndarray, sfreq: float) -> np.ndarray:
    """Hold accelerometer samples at the Cyton's 25 Hz and quantise to its LSB."""
    n = acc.shape[-1]
    idx = np.floor(np.floor(np.arange(n) / sfreq * CYTON_ACC_RATE_HZ)
                   * sfreq / CYTON_ACC_RATE_HZ).astype(np.int64)
    held = acc[:, np.minimum(idx, n - 1)]
    return np.round(held / CYTON_ACC_LSB_G) * CYTON_ACC_LSB_G


# --------------------------------------------------------------------- faults
def slow_drift(n: int, sfreq: float, rms: float, rng: np.random.Generator,
               f_max: float = 0.3) -> np.ndarray:
    """Smooth random drift below ``f_max`` Hz with RMS ``rms`` (sum of sinusoids)."""
    t = np.arange(n) / sfreq
    k = 6
    freqs = rng.uniform(0.02, f_max, k)
    phases = rng.uniform(0, 2 * np.pi, k)
    amps = rng.uniform(0.5, 1.0, k)
    amps *= rms * math.sqrt(2.0) / math.sqrt(float(np.sum(amps**2)))
    return (amps[:, None] * np.sin(2 * np.pi * freqs[:, None] * t + phases[:, None])).sum(0)


def dropout_intervals(duration: float, rng: np.random.Generator) -> list[list[float]]:
    """3-6 non-overlapping contact losses of 0.1-0.8 s, at least 0.5 s apart."""
    k = int(rng.integers(3, 7))
    lengths = rng.uniform(0.1, 0.8, k)
    free = duration - 1.0 - lengths.sum() - 0.5 * k
    if free <= 0:
        k = max(1, int((duration - 1.0) // 1.5))
        lengths = np.full(k, min(0.3, max(duration / (4 * k), 0.02)))
        free = max(duration - 1.0 - lengths.sum() - 0.5 * k, 0.0)
    gaps = np.sort(rng.uniform(0, free, k))
    out = []
    t = 0.5
    prev = 0.0
    for g, length in zip(gaps, lengths):
        t += (g - prev)
        prev = g
        out.append([float(t), float(t + length)])
        t += length + 0.5
    return out


# -------------------------------------------------------------------- OpenBCI
def quantise_cyton(x: np.ndarray) -> np.ndarray:
    """Clip to the Cyton's 24-bit range at gain 24 and round to its LSB (V)."""
    codes = np.clip(np.round(x / CYTON_LSB_V), -(ADC_MAX_CODE + 1), ADC_MAX_CODE)
    return codes * CYTON_LSB_V
