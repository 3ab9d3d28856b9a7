"""Muscle activation onsets and offsets, offline and live.

:func:`detect_onsets` turns a Recording (or an array) into an
:class:`Activations` table: one row per burst (channel, muscle, side, trial,
onset, offset, duration, peak, area) and one per channel (status, threshold,
baseline); ``emgcontrol onsets`` prints that table.  :class:`OnsetDetector`
runs the same numba kernels block by block on a live stream.  :func:`warmup`
compiles (or loads from numba's cache) the signal kernels and the detectors,
as ``emgcontrol warmup`` does.

Methods: ``"hodges"`` (Hodges & Bui 1996; the default), ``"aglr"``
(approximate generalised likelihood ratio, Staude et al. 2001), ``"tkeo"``
(Solnik et al. 2010), ``"bonato"`` (Bonato et al. 1998); each followed by a
maximum-likelihood onset refinement; see :func:`detect_onsets`.

Importing this package imports neither numba nor scipy.
"""

from __future__ import annotations

from ._baseline import quiet_mask
from ._detect import DEFAULT_METHOD, DEFAULTS, METHODS, describe_method, detect_onsets
from ._stream import OnsetDetector, OnsetEvent
from ._table import ACTIVATION_COLUMNS, CHANNEL_COLUMNS, Activation, Activations, ChannelStatus
from ._warmup import WarmupStep, warmup, warmup_steps

__all__ = [
    "detect_onsets",
    "Activations",
    "Activation",
    "ChannelStatus",
    "OnsetDetector",
    "OnsetEvent",
    "describe_method",
    "quiet_mask",
    "METHODS",
    "DEFAULT_METHOD",
    "DEFAULTS",
    "ACTIVATION_COLUMNS",
    "CHANNEL_COLUMNS",
    "warmup",
    "warmup_steps",
    "WarmupStep",
]
