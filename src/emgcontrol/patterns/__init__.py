"""Target recruitment patterns, the protocol library, comparison and progress.

A *target pattern* is a TOML file describing a movement: the muscles it needs,
how trials and phases are found, and criteria -- each with an id, a
plain-language description, a weight and the literature behind it.
:func:`compare` runs the assessment chain on a recording and judges every
criterion (pass / fail / not assessable, with the reason and a sentence a patient
can read); :class:`ProgressStore` keeps the results of a person over sessions and
tells the training level.

Built-in protocols (:data:`BUILTIN_PROTOCOLS`): ``prone-hip-extension``,
``flexion-relaxation``, ``arm-raise``, ``sorensen`` and ``lift``.  Your own
files go in a directory passed as ``path=`` or listed in ``EMGCONTROL_PATTERNS``.

The format (version 1)
----------------------
.. code-block:: toml

    format = "emgcontrol-pattern"      # optional
    version = 1
    id = "my-hip-extension"            # must match the file name
    title = "Prone hip extension (my clinic)"
    description = "What the patient does and what the target is."
    evidence = "Where the literature agrees and where it does not."

    [options]                          # user-overridable values: compare(..., options=)
    side = "right"                     # resolves "ipsilateral"/"contralateral"
    tol = 20.0                         # used below as "$tol"

    [montage]
    preset = "cyton-low-back-8"        # recommended montage
    required = ["ipsilateral gluteus maximus", "ipsilateral longissimus"]

    [groups.gmax]                      # named muscle groups with patient names
    muscles = ["ipsilateral gluteus maximus"]
    plain = "buttock muscle of the lifting leg"

    [trials]                           # source = "events" | "whole" | "movement"
    label = "trial"
    min_trials = 3                     # fewest trials a criterion must be assessed in

    [movement]                         # "accelerometer" | "event:<label>" | "none"
    source = "accelerometer"

    [onsets]                           # detector parameters + search window
    anchor = "movement"                # "movement" | "trial" | "event:<label>"
    search = [-0.6, 0.6]               # s around the anchor
    method = "aglr"                    # optional: default "hodges" (onset.DEFAULT_METHOD)

    [phases.hold]                      # anchor: also "onset:<group>"
    anchor = "movement"
    start = 0.3
    stop = 1.8

    [[criteria]]
    id = "gmax-before-es"
    kind = "order"                     # first/then, or sequence = [...]
    first = "gmax"
    then = "ipsilateral longissimus"
    tolerance_ms = "$tol"
    weight = 2.0
    severity = "core"                  # or "informative" (debated norms)
    description = "The gluteus maximus switches on before the lower back."
    reference = ["Janda V (1983) Muscle Function Testing. Butterworths."]

    [[levels]]                         # optional training levels
    level = 1
    name = "Gluteus on time"
    criteria = ["gmax-before-es"]
    [levels.targets]
    gmax-before-es = { tolerance_ms = 60.0 }
    [levels.advance]
    criteria = ["gmax-before-es"]
    min_pass_share = 0.8               # of the trials of a session
    sessions = 2                       # consecutive sessions

Criterion kinds and their fields (besides ``id, kind, description, weight,
severity, reference, combine, pass_text, fail_text``):

``order``
    ``first``, ``then`` (groups or muscles), ``tolerance_ms``: passes when
    ``onset(then) - onset(first) >= -tolerance_ms`` (measured in ms, positive =
    right order).  Or ``sequence = [g1, g2, ...]`` with ``min_concordance``: the
    share of the group pairs in the right order (within the tolerance).
``latency``
    ``muscle``, ``relative_to`` (``"movement"``, ``"event:<label>"`` or a
    group/muscle), ``min_ms``/``max_ms``: onset minus reference, ms.
``amount``
    ``muscle``, ``phase``, ``measure`` (rms/peak/arv), ``min``/``max`` in %MVC
    (noise-corrected unless ``noise_correct = false``).
``ratio``
    ``numerator``, ``denominator``, ``phase``, ``measure``, ``min``/``max``.
``cocontraction``
    ``agonist``, ``antagonist``, ``phase``, ``method`` (falconer/rudolph/unnithan),
    ``min``/``max``.
``flexion_relaxation``
    ``muscle``, ``measure`` (frr/err), ``definition`` (watson/mean),
    ``min``/``max``.
``mdf_slope``
    ``muscle``, ``min``/``max`` in %/s, ``min_snr_db`` (spectral measures need the
    EMG well above the noise), ``rate_correction``.

Any scalar field may be ``"$option"``.  Errors (unknown muscle, kind, group,
phase, key, option...) raise :class:`~emgcontrol.FileFormatError` naming the file
and line.
"""

from __future__ import annotations

from ._compare import (MARGIN_K, MIN_AGREEMENT, VERDICTS, Comparison, CriterionResult,
                       compare)
from ._format import (FORMAT, FORMAT_VERSION, KINDS, SEVERITIES, Advance, Criterion, Level,
                      MovementSpec, MuscleGroup, OnsetSpec, Phase, TargetPattern, TrialSpec,
                      load_pattern, loads_pattern, pattern_from_dict, plain_muscle)
from ._library import (BUILTIN_PROTOCOLS, ENV_VAR, get_pattern, list_patterns,
                       pattern_path)
from ._markers import END_SUFFIX, events_from_markers, mvc_windows
from ._measure import HARD_CHECKS, NOISE_FLOOR_FRACTION, Measures, measure
from ._mvc import MAX_TASK_PERCENT_MVC, MIN_CONTRACTION_RATIO, MVC_MARKER_S, mvc_reference
from ._progress import LevelStatus, ProgressStore

__all__ = [
    "TargetPattern",
    "Criterion",
    "MuscleGroup",
    "Phase",
    "Level",
    "Advance",
    "TrialSpec",
    "MovementSpec",
    "OnsetSpec",
    "load_pattern",
    "loads_pattern",
    "pattern_from_dict",
    "get_pattern",
    "list_patterns",
    "pattern_path",
    "plain_muscle",
    "BUILTIN_PROTOCOLS",
    "ENV_VAR",
    "FORMAT",
    "FORMAT_VERSION",
    "KINDS",
    "SEVERITIES",
    "compare",
    "measure",
    "Measures",
    "Comparison",
    "CriterionResult",
    "VERDICTS",
    "MIN_AGREEMENT",
    "MARGIN_K",
    "HARD_CHECKS",
    "NOISE_FLOOR_FRACTION",
    "ProgressStore",
    "LevelStatus",
    "mvc_reference",
    "events_from_markers",
    "mvc_windows",
    "END_SUFFIX",
    "MIN_CONTRACTION_RATIO",
    "MAX_TASK_PERCENT_MVC",
    "MVC_MARKER_S",
]
