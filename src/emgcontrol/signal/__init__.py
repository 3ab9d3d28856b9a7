"""Signal processing for surface EMG: filters, envelopes, streaming.

A Python API over numba kernels (``_kernels.py``).  Every function takes an
array ``(..., n_times)`` with ``sfreq`` in Hz, or a
:class:`~emgcontrol.Recording` (then it acts on the relevant channel types and
returns a new Recording with a history step).  ``phase="zero"`` is offline
(zero-phase filters, centred windows); ``phase="causal"`` is what a live
:class:`Pipeline` computes block by block, with the same kernels.

Filters
    :func:`bandpass`, :func:`highpass`, :func:`lowpass`, :func:`notch`,
    :func:`filter_emg` (band-pass + notch in one cascade), :func:`detect_mains`;
    scipy-compatible kernels :func:`sosfilt`, :func:`sosfiltfilt`,
    :func:`sosfilt_zi`.  Filter design is ``scipy.signal`` (imported lazily).
Envelopes
    :func:`rectify`, :func:`moving_rms`, :func:`moving_average`,
    :func:`linear_envelope`, :func:`tkeo`, :func:`envelope`.
ECG removal and quality
    :func:`remove_ecg` (template subtraction or 30 Hz high-pass),
    :func:`find_r_peaks`, :func:`quality` (per-channel checks with verdicts).
Streaming
    :class:`Pipeline` of stages (:class:`BandPass`, :class:`HighPass`,
    :class:`LowPass`, :class:`Notch`, :class:`SOSFilter`, :class:`Rectify`,
    :class:`MovingRMS`, :class:`MovingAverage`, :class:`MovingARV`,
    :class:`LinearEnvelope`, :class:`TKEO`) and :func:`warmup`.

Importing this package imports neither numba nor scipy; they load on first use.
"""

from __future__ import annotations

from .envelopes import (
    ENVELOPE_METHODS,
    envelope,
    linear_envelope,
    moving_average,
    moving_rms,
    rectify,
    tkeo,
)
from .filters import (
    H_FREQ_DEFAULT,
    L_FREQ_DEFAULT,
    bandpass,
    default_band,
    design_bandpass,
    design_notch,
    detect_mains,
    filter_emg,
    h_freq_note,
    highpass,
    lowpass,
    mains_lines,
    mains_ratios,
    notch,
    sosfilt,
    sosfilt_zi,
    sosfiltfilt,
)
from .ecg import (
    ECG_METHODS,
    HeartbeatDetection,
    NoHeartbeatError,
    ecg_contamination,
    find_r_peaks,
    remove_ecg,
)
from .quality import (
    ChannelQuality,
    QualityCheck,
    QualityReport,
    QualityThresholds,
    find_dropped_samples,
    quality,
)
from .stream import (
    TKEO,
    BandPass,
    HighPass,
    LinearEnvelope,
    LowPass,
    MovingARV,
    MovingAverage,
    MovingRMS,
    Notch,
    Pipeline,
    Rectify,
    SOSFilter,
    Stage,
    kernel_cache_dir,
    warmup,
    warmup_filter,
)

__all__ = [
    # filters
    "sosfilt",
    "sosfiltfilt",
    "sosfilt_zi",
    "bandpass",
    "highpass",
    "lowpass",
    "notch",
    "filter_emg",
    "detect_mains",
    "mains_lines",
    "mains_ratios",
    "design_bandpass",
    "design_notch",
    "default_band",
    "h_freq_note",
    "L_FREQ_DEFAULT",
    "H_FREQ_DEFAULT",
    # envelopes
    "rectify",
    "moving_rms",
    "moving_average",
    "linear_envelope",
    "tkeo",
    "envelope",
    "ENVELOPE_METHODS",
    # streaming
    "Pipeline",
    "Stage",
    "BandPass",
    "HighPass",
    "LowPass",
    "Notch",
    "SOSFilter",
    "Rectify",
    "MovingRMS",
    "MovingAverage",
    "MovingARV",
    "LinearEnvelope",
    "TKEO",
    "warmup",
    "warmup_filter",
    "kernel_cache_dir",
    # ECG removal
    "remove_ecg",
    "find_r_peaks",
    "ecg_contamination",
    "HeartbeatDetection",
    "NoHeartbeatError",
    "ECG_METHODS",
    # signal quality
    "quality",
    "QualityReport",
    "QualityThresholds",
    "ChannelQuality",
    "QualityCheck",
    "find_dropped_samples",
]
