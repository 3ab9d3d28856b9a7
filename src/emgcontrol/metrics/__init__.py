"""Recruitment metrics: how much (amount), which muscles (selection), when (timing),
fatigue and protocol-specific measures.

Every ``compute_*`` function returns a table (:class:`MetricTable` or a subclass)
with ``.to_dataframe()`` (pandas, metadata in ``df.attrs``) and ``.to_dict()``
(JSON-ready); units are in a ``unit`` column or in the column names.  A channel
that cannot be assessed (flat, railed, non-finite, no reference...) gives rows with
``status="not_assessable"`` and a ``reason`` instead of failing the whole
recording; impossible windows or parameters raise
:class:`~emgcontrol.ValidationError`.

Amount (:mod:`.amount`)
    :func:`compute_amount` (RMS, ARV, iEMG, peak over windows / trials / phases),
    :func:`compute_mvc_reference` (MVC, RVC, peak dynamic), :func:`normalize`,
    :func:`compute_envelopes`.
Selection (:mod:`.selection`)
    :func:`compute_active_set`, :func:`compute_contributions`, :func:`compute_ratios`,
    :func:`compute_cocontraction` (Falconer & Winter, Rudolph, Unnithan),
    :func:`compute_synergies` (NMF with VAF), :func:`nmf`, :func:`vaf`.
Timing (:mod:`.timing`)
    :func:`detect_movement_onset`, :func:`compute_latencies`,
    :func:`compute_relative_latencies`, :func:`compute_firing_order`,
    :func:`compute_durations`, :func:`summarize_timing`, :func:`kendall_w`.
Fatigue and protocols (:mod:`.fatigue`, :mod:`.protocols`)
    :func:`compute_spectral_fatigue` (MDF/MNF slopes), :func:`compute_sorensen`,
    :func:`compute_flexion_relaxation` (FRR, ERR), :func:`detect_flexion_phases`.

Importing this package imports neither pandas nor scipy.
"""

from __future__ import annotations

from ._common import STATUS_NA, STATUS_OK, MetricTable, activation_rows
from .amount import (MEASURES, MVC_WINDOW_S, NORM_METHODS, PEAK_WINDOW_S, AmountTable,
                     Envelopes, NormalizationReference, compute_amount, compute_envelopes,
                     compute_mvc_reference, normalize)
from .fatigue import (SpectralFatigue, compute_spectral_fatigue, mean_frequency,
                      median_frequency, spectral_bias)
from .protocols import (FRR_DEFINITIONS, compute_flexion_relaxation, compute_sorensen,
                        detect_flexion_phases, trunk_angle)
from .selection import (COCONTRACTION_METHODS, Synergies, cocontraction_indices,
                        compute_active_set, compute_cocontraction, compute_contributions,
                        compute_ratios, compute_synergies, nmf, vaf)
from .timing import (FiringOrder, compute_durations, compute_firing_order,
                     compute_latencies, compute_relative_latencies, detect_movement_onset,
                     kendall_w, summarize_timing)

__all__ = [
    "MetricTable",
    "activation_rows",
    "STATUS_OK",
    "STATUS_NA",
    # amount
    "MEASURES",
    "NORM_METHODS",
    "MVC_WINDOW_S",
    "PEAK_WINDOW_S",
    "AmountTable",
    "NormalizationReference",
    "Envelopes",
    "compute_amount",
    "compute_mvc_reference",
    "normalize",
    "compute_envelopes",
    # selection
    "COCONTRACTION_METHODS",
    "compute_active_set",
    "compute_contributions",
    "compute_ratios",
    "compute_cocontraction",
    "cocontraction_indices",
    "compute_synergies",
    "Synergies",
    "nmf",
    "vaf",
    # timing
    "detect_movement_onset",
    "compute_latencies",
    "compute_relative_latencies",
    "compute_firing_order",
    "FiringOrder",
    "compute_durations",
    "summarize_timing",
    "kendall_w",
    # fatigue and protocols
    "compute_spectral_fatigue",
    "SpectralFatigue",
    "median_frequency",
    "mean_frequency",
    "spectral_bias",
    "compute_flexion_relaxation",
    "detect_flexion_phases",
    "compute_sorensen",
    "FRR_DEFINITIONS",
    "trunk_angle",
]
