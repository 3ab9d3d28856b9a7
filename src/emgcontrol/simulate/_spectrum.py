"""sEMG power spectrum model and generation of spectrally shaped Gaussian noise.

The power spectral density is the Shwedyk et al. (1977) shape used throughout the
sEMG simulation literature (Merletti & Parker 2004)::

    P(f) = f**2 * fh**4 / ((f**2 + fl**2) * (f**2 + fh**2)**2),   fl = fh / 2

It rises as f**2 below fl (the electrode pair's differential filtering) and falls as
f**-4 above fh (tissue low-pass filtering).  With fl = 60 Hz, fh = 120 Hz its peak is
at 65 Hz and its median frequency at 95.7 Hz; a muscle's spectrum is this shape
scaled in frequency so that its median frequency is the muscle's MDF.  Muscle fatigue
is a further compression of the frequency axis by a factor c(t) <= 1 (conduction
velocity slowing, Lindstrom & Magnusson 1977), which moves the median frequency to
c(t) * MDF.

Signals are generated directly at the output sampling rate: the spectrum is defined
only up to Nyquist (an ideal anti-aliasing filter), so nothing aliases.
"""

from __future__ import annotations

import math

import numpy as np

# Ratio fl / fh of the spectral shape.
_FL_RATIO = 0.5


def _primitive(x: np.ndarray | float, fh: np.ndarray | float) -> np.ndarray:
    """Integral from 0 to x of f**2 / ((f**2 + a)(f**2 + b)**2), a = fl**2, b = fh**2.

    Closed form from the partial fractions
    u / ((u + a)(u + b)**2) = A/(u + a) - A/(u + b) + C/(u + b)**2 (u = f**2),
    A = -a / (b - a)**2, C = b / (b - a).  ``x`` may be ``inf``.
    """
    x = np.asarray(x, dtype=float)
    fh = np.asarray(fh, dtype=float)
    fl = _FL_RATIO * fh
    a, b = fl * fl, fh * fh
    sa, sb = fl, fh
    A = -a / (b - a) ** 2
    C = b / (b - a)
    with np.errstate(invalid="ignore", divide="ignore"):
        at_a = np.arctan(x / sa) / sa
        at_b = np.arctan(x / sb) / sb
        ratio = np.where(np.isinf(x), 0.0, x / (x * x + b))
    return A * at_a - A * at_b + C / (2 * b) * (ratio + at_b)


def shape_fh(mdf_hz: float | np.ndarray) -> np.ndarray:
    """Upper corner frequency fh giving a full-band median frequency ``mdf_hz``."""
    return np.asarray(mdf_hz, dtype=float) / _mdf_over_fh()


_KAPPA: list[float] = []


def _mdf_over_fh() -> float:
    """Full-band MDF / fh of the shape (a constant, 0.7976), solved once."""
    if not _KAPPA:
        total = float(_primitive(np.inf, 1.0))
        lo, hi = 0.0, 10.0
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            if _primitive(mid, 1.0) < 0.5 * total:
                lo = mid
            else:
                hi = mid
        _KAPPA.append(0.5 * (lo + hi))
    return _KAPPA[0]


def psd_shape(freqs: np.ndarray, fh: np.ndarray | float) -> np.ndarray:
    """Unnormalised Shwedyk PSD at ``freqs`` (Hz) for corner(s) ``fh`` (broadcast)."""
    f2 = np.asarray(freqs, dtype=float) ** 2
    fh = np.asarray(fh, dtype=float)
    fl = _FL_RATIO * fh
    return f2 * fh**4 / ((f2 + fl * fl) * (f2 + fh * fh) ** 2)


def emg_psd(freqs: np.ndarray, *, mdf_hz: float = 95.7) -> np.ndarray:
    """Model power spectral density of surface EMG, normalised to unit power.

    Parameters
    ----------
    freqs : array_like
        Frequencies in Hz (>= 0).
    mdf_hz : float
        Median frequency of the full-band spectrum, Hz.

    Returns
    -------
    ndarray
        One-sided PSD in 1/Hz: its integral over 0..inf is 1 (multiply by the
        squared RMS amplitude for V**2/Hz).
    """
    fh = float(shape_fh(mdf_hz))
    fh4 = fh**4
    total = fh4 * float(_primitive(np.inf, fh))
    return psd_shape(freqs, fh) / total


def band_fraction(fh: np.ndarray | float, f_max: float) -> np.ndarray:
    """Fraction of the shape's power below ``f_max`` (Hz)."""
    return _primitive(f_max, fh) / _primitive(np.inf, fh)


def band_limited_mdf(fh: np.ndarray | float, f_max: float) -> np.ndarray:
    """Median frequency (Hz) of the shape with corner(s) ``fh`` truncated at ``f_max``."""
    fh = np.atleast_1d(np.asarray(fh, dtype=float))
    half = 0.5 * _primitive(f_max, fh)
    lo = np.zeros_like(fh)
    hi = np.full_like(fh, float(f_max))
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        below = _primitive(mid, fh) < half
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def peak_frequency(fh: float) -> float:
    """Frequency (Hz) of the maximum of the shape with corner ``fh``."""
    a, b = (_FL_RATIO * fh) ** 2, fh**2
    return math.sqrt((-a + math.sqrt(a * a + 8 * a * b)) / 4)


def _fast_len(n: int) -> int:
    """Smallest 5-smooth integer >= n (fast FFT length)."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            q = p35
            while q < n:
                q *= 2
            best = min(best, q)
            p35 *= 3
        p5 *= 5
    return best


def _full_weights(n_fft: int) -> np.ndarray:
    """Multiplicity of each rfft bin in the full two-sided spectrum."""
    w = np.full(n_fft // 2 + 1, 2.0)
    w[0] = 1.0
    if n_fft % 2 == 0:
        w[-1] = 1.0
    return w


def _shape_filters(n_fft: int, sfreq: float, fh: np.ndarray) -> np.ndarray:
    """Amplitude responses (len(fh), n_fft//2+1) giving unit-variance output."""
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sfreq)
    power = psd_shape(freqs[np.newaxis, :], fh[:, np.newaxis])
    weights = _full_weights(n_fft)
    norm = n_fft / (power @ weights)
    return np.sqrt(power * norm[:, np.newaxis])


def stationary_carrier(n: int, sfreq: float, fh: float,
                       rng: np.random.Generator) -> np.ndarray:
    """Unit-variance Gaussian noise of length ``n`` with the shape of corner ``fh``.

    White noise is shaped in the frequency domain over one (circular) period of a
    fast FFT length >= n, then truncated: the result is stationary, exactly
    band-limited to Nyquist, and has variance 1 in expectation.
    """
    n_fft = _fast_len(n)
    white = rng.standard_normal(n_fft)
    h = _shape_filters(n_fft, sfreq, np.array([fh]))[0]
    return np.fft.irfft(np.fft.rfft(white) * h, n_fft)[:n]


def segment_length(sfreq: float) -> int:
    """Even segment length (samples, ~0.5 s) of the time-varying generator."""
    n = max(32, int(round(0.5 * sfreq)))
    return n + (n % 2)


def varying_carrier(n: int, sfreq: float, fh: float, compression: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
    """Unit-variance shaped noise whose spectrum is compressed over time.

    Independent segments of ~0.5 s, each shaped with corner ``fh * c_k`` (``c_k`` the
    compression at the segment centre), are weighted by a sine window and
    overlap-added at 50 %; sin**2 + cos**2 = 1 keeps the variance at 1 everywhere.

    Parameters
    ----------
    n : int
        Number of samples.
    sfreq : float
        Sampling rate, Hz.
    fh : float
        Corner frequency of the uncompressed shape.
    compression : ndarray, shape (n,)
        Frequency compression factor per sample (1 = unfatigued).
    rng : Generator
        Random source.
    """
    seg = segment_length(sfreq)
    hop = seg // 2
    n_seg = -(-n // hop) + 2
    # segment k covers samples [(k - 1) * hop, (k + 1) * hop): its centre is k * hop
    centres = np.arange(n_seg) * float(hop)
    c = np.interp(centres, np.arange(n), compression)
    white = rng.standard_normal((n_seg, seg))
    h = _shape_filters(seg, sfreq, fh * c)
    segs = np.fft.irfft(np.fft.rfft(white, axis=1) * h, seg, axis=1)
    segs *= np.sin(np.pi * (np.arange(seg) + 0.5) / seg)
    blocks = np.zeros((n_seg + 1, hop))
    blocks[:-1] += segs[:, :hop]
    blocks[1:] += segs[:, hop:]
    # block k covers samples [(k - 1) * hop, k * hop); block 0 has one half only
    return blocks[1:].reshape(-1)[:n].copy()
