"""Physiological and device parameters of the simulator (values and their sources).

Every number here is a *representative* value for a healthy adult with bipolar
surface electrodes (Ag/AgCl, ~2 cm inter-electrode distance) placed as in
:mod:`emgcontrol.montage`.  They are not taken from one study; the ranges they fall in
are those reported in the sEMG literature cited next to them.  A simulated subject
draws per-channel factors around them (see :func:`emgcontrol.simulate.simulate_custom`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..hardware import ADC_MAX_CODE
from ..hardware import CYTON_LSB_V as _CYTON_LSB_V

__all__ = ["MuscleDefaults", "MUSCLE_DEFAULTS", "CYTON_LSB_V", "CYTON_RAIL_V",
           "CYTON_ACC_LSB_G", "CYTON_ACC_RATE_HZ"]


@dataclass(frozen=True)
class MuscleDefaults:
    """Default simulation parameters of one muscle.

    Attributes
    ----------
    mvc_rms_v : float
        RMS amplitude (V) of the full-band surface EMG at a maximal voluntary
        contraction (100 %MVC).
    mdf_hz : float
        Median frequency (Hz) of the full-band (unfatigued) EMG power spectrum.
    ecg_left_v, ecg_right_v : float
        Peak R-wave amplitude (V) of the ECG seen on the left / right side channel of
        this muscle (midline channels take the mean).  The sign is the polarity.
    """

    mvc_rms_v: float
    mdf_hz: float
    ecg_left_v: float
    ecg_right_v: float


def _d(mvc_uv: float, mdf: float, ecg_l_uv: float, ecg_r_uv: float) -> MuscleDefaults:
    return MuscleDefaults(mvc_uv * 1e-6, mdf, ecg_l_uv * 1e-6, ecg_r_uv * 1e-6)


# MVC RMS amplitudes: lumbar paraspinals 150-300 uV, gluteus maximus 100-250 uV (thick
# subcutaneous tissue), hamstrings 200-400 uV, abdominals 100-300 uV, deltoid and vasti
# 300-500 uV, leg 400-600 uV (De Luca 1997; Konrad 2005 ABC of EMG; Vera-Garcia et al. 2010
# for abdominal/back MVC amplitudes).
# Median frequencies: lumbar erector spinae 60-100 Hz at the start of a contraction
# (Roy et al. 1989; Mannion & Dolan 1994), hip and thigh muscles 80-100 Hz, abdominals
# 90-110 Hz, tibialis anterior 100-130 Hz (Merletti & Parker 2004).  With the spectral
# shape used here (Shwedyk et al. 1977, f_l = f_h / 2) the peak lies at 0.68 x MDF, so
# every muscle's spectral peak is in 60-85 Hz and >= 96 % of the energy in 20-450 Hz.
# ECG: R waves of tens of uV on lumbar channels up to several hundred uV on the abdominal
# wall and upper trunk, larger on the left (Drake & Callaghan 2006; Marker & Maluf 2014);
# polarity follows the electrode axis relative to the cardiac vector (left +, right -).
MUSCLE_DEFAULTS: Mapping[str, MuscleDefaults] = {
    "longissimus": _d(250, 88, 60, -30),
    "iliocostalis": _d(220, 88, 50, -25),
    "multifidus": _d(200, 90, 15, -8),
    "gluteus_maximus": _d(150, 90, 5, -3),
    "gluteus_medius": _d(200, 95, 6, -4),
    "biceps_femoris": _d(250, 90, 0, 0),
    "semitendinosus": _d(300, 95, 0, 0),
    "rectus_abdominis": _d(200, 95, 150, -100),
    "external_oblique": _d(250, 100, 120, -60),
    "internal_oblique": _d(150, 105, 60, -30),
    "anterior_deltoid": _d(400, 95, 120, -60),
    "rectus_femoris": _d(300, 100, 0, 0),
    "vastus_lateralis": _d(400, 100, 0, 0),
    "vastus_medialis": _d(400, 100, 0, 0),
    "tibialis_anterior": _d(450, 120, 0, 0),
    "gastrocnemius_medialis": _d(450, 110, 0, 0),
    "gastrocnemius_lateralis": _d(400, 110, 0, 0),
}
"""Default parameters per muscle id of :data:`emgcontrol.montage.MUSCLES`."""

FALLBACK_DEFAULTS = _d(250, 95, 0, 0)
"""Parameters for a muscle id missing from :data:`MUSCLE_DEFAULTS`."""

CYTON_LSB_V: float = _CYTON_LSB_V
"""OpenBCI Cyton (ADS1299, Vref 4.5 V, gain 24) voltage of one 24-bit code step, V
(:data:`emgcontrol.hardware.CYTON_LSB_V`)."""

CYTON_RAIL_V: float = ADC_MAX_CODE * CYTON_LSB_V
"""Positive full scale of the Cyton at gain 24 (+187,500 uV, the largest code times
the LSB: :data:`emgcontrol.hardware.CYTON_RAIL_V`), V."""

CYTON_ACC_LSB_G: float = 0.002 / 2**4
"""Cyton accelerometer (LIS3DH) scale as BrainFlow applies it, g per count."""

CYTON_ACC_RATE_HZ: float = 25.0
"""Rate at which the Cyton sends accelerometer samples, Hz."""
