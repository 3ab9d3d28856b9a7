"""Physiologically plausible multichannel surface EMG with ground truth.

The simulator is the reference for every accuracy claim of emgcontrol (onset
detection, %MVC, timing, ECG removal, pattern comparison): it produces a
:class:`~emgcontrol.recording.Recording` together with a :class:`GroundTruth` that
says exactly what was put in it.

Quick start
-----------
>>> from emgcontrol.simulate import simulate, list_variants, PROTOCOLS
>>> rec, truth = simulate("arm-raise", "delayed-trunk", sfreq=250, snr_db=15, seed=3)
>>> truth.to_dataframe()          # doctest: +SKIP
>>> truth.save("arm-raise.truth.json")  # doctest: +SKIP

Model
-----
EMG
    Gaussian noise with the Shwedyk et al. (1977) sEMG power spectrum (peak at
    0.68 x median frequency; per-muscle median frequencies 88-120 Hz, so peaks at
    60-82 Hz and >= 96 % of the energy within 20-450 Hz), generated in the frequency
    domain at the requested rate, i.e. band-limited to Nyquist without aliasing,
    and amplitude-modulated by trapezoidal RMS envelopes (onset, linear ramp-up,
    plateau at a %MVC of the channel's MVC RMS, linear ramp-down, offset).
    Fatigue compresses the spectrum over time (median frequency changing at a
    stated % of its initial value per second).
Baseline noise
    White Gaussian; ``snr_db = 20 log10(A_ref / sigma)`` with ``A_ref`` the channel's
    EMG RMS at its burst plateaus (quadratic mean over its task bursts).
Artefacts
    ECG (P-QRS-T template, heart-rate variability, amplitude by muscle and side),
    mains (50/60 Hz with harmonics below Nyquist), motion transients at movement
    onsets, electrode faults (railed, flat, disconnected, intermittent), OpenBCI
    Cyton front end (DC offset, rails at +/-187.5 mV, 24-bit quantisation).
Accelerometer
    Three axes in g from minimum-jerk segment rotations (gravity + tangential +
    centripetal acceleration).

Units: V, s, Hz, g.  All randomness comes from ``seed`` through independent
streams per component and channel: the same seed gives bit-identical output, and
switching a component off (``ecg=False``) leaves the others unchanged.
"""

from __future__ import annotations

from ._builder import FAULT_KINDS, SFREQ_RANGE, SNR_RANGE, simulate_custom, simulate_emg
from ._params import (CYTON_ACC_LSB_G, CYTON_LSB_V, CYTON_RAIL_V, MUSCLE_DEFAULTS,
                      MuscleDefaults)
from ._protocols import (PROTOCOLS, SORENSEN_HOLD_S, describe, list_variants, simulate,
                         variant_summaries)
from ._spectrum import emg_psd
from ._truth import (Activation, Burst, GroundTruth, Movement, load_truth, save_truth)

__all__ = [
    "PROTOCOLS",
    "list_variants",
    "variant_summaries",
    "describe",
    "simulate",
    "simulate_custom",
    "simulate_emg",
    "emg_psd",
    "emg_spectrum",
    "Burst",
    "Movement",
    "Activation",
    "GroundTruth",
    "save_truth",
    "load_truth",
    "MUSCLE_DEFAULTS",
    "MuscleDefaults",
    "FAULT_KINDS",
    "SFREQ_RANGE",
    "SNR_RANGE",
    "SORENSEN_HOLD_S",
    "CYTON_LSB_V",
    "CYTON_RAIL_V",
    "CYTON_ACC_LSB_G",
]


def emg_spectrum(mdf_hz: float, sfreq: float | None = None) -> dict[str, float]:
    """Characteristics of the model EMG spectrum of a muscle.

    Parameters
    ----------
    mdf_hz : float
        Full-band median frequency, Hz.
    sfreq : float, optional
        Sampling rate; the recorded spectrum is the model truncated at ``sfreq / 2``.

    Returns
    -------
    dict
        ``peak_hz`` (spectral peak), ``mdf_hz`` (median frequency as recorded),
        ``power_fraction`` (fraction of the full-band power below Nyquist, 1 without
        ``sfreq``), ``fraction_20_450`` (fraction of the full-band power in 20-450 Hz).
    """
    import math

    from ._spectrum import band_fraction, band_limited_mdf, peak_frequency, shape_fh

    fh = float(shape_fh(mdf_hz))
    f_max = math.inf if sfreq is None else float(sfreq) / 2
    frac = 1.0 if sfreq is None else float(band_fraction(fh, f_max))
    mdf = float(mdf_hz) if sfreq is None else float(band_limited_mdf(fh, f_max)[0])
    return {"peak_hz": peak_frequency(fh), "mdf_hz": mdf, "power_fraction": frac,
            "fraction_20_450": float(band_fraction(fh, 450.0) - band_fraction(fh, 20.0))}
