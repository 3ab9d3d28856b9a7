"""The assessment: one call (or one command) from electrodes to a report.

:func:`assess` reads a recording (``input=``) or records a guided session on a
board (:func:`record_session`: an MVC capture for the muscles whose %MVC the
pattern needs, then the repetitions, with prompts and markers; on the built-in
simulated board the virtual subject follows the simulator and the default
prone-hip-extension session streams about 30 s), compares it with the
protocol's target pattern (:func:`emgcontrol.patterns.compare`), stores it in
the patient's progress (:class:`emgcontrol.patterns.ProgressStore`) and writes
the report (:class:`emgcontrol.report.Report`: ``report.html``, ``report.pdf``,
``results.json``).  The ``emgcontrol assess`` command (:mod:`emgcontrol.cli`) calls
:func:`assess`.

Markers become windows with :func:`events_from_markers` (``"trial"`` ...
``"trial_end"``, ``"mvc:<muscle>"`` ... ``"mvc_end"``); :func:`mvc_reference`
computes the MVC reference and rejects channels whose muscle did not contract
(both live in :mod:`emgcontrol.patterns`, which :func:`emgcontrol.patterns.compare`
uses as well, and are re-exported here).

Importing this package imports nothing heavy.

Examples
--------
>>> from emgcontrol.assess import assess
>>> result = assess("prone-hip-extension", out="assessment")      # doctest: +SKIP
>>> print(result.summary())                                        # doctest: +SKIP
>>> result = assess("prone-hip-extension", input="s01.bdf", mvc="mvc01.bdf",
...                 patient="p001", out="p001-2026-03-01")          # doctest: +SKIP
"""

from __future__ import annotations

from ..patterns import (END_SUFFIX, MIN_CONTRACTION_RATIO, events_from_markers, mvc_reference,
                        mvc_windows)
from ._run import (OUTPUT_NAMES, STORE_ENV, Assessment, Interrupted, assess,
                   check_assess_args, default_store)
from ._session import (MVC_INSTRUCTIONS, PROTOCOL_INSTRUCTIONS, TRIAL_SECONDS, SessionPlan,
                       SessionRecording, mvc_muscles, plan_session, record_session)

__all__ = [
    "assess",
    "Assessment",
    "record_session",
    "plan_session",
    "SessionPlan",
    "SessionRecording",
    "mvc_muscles",
    "mvc_reference",
    "events_from_markers",
    "mvc_windows",
    "default_store",
    "STORE_ENV",
    "END_SUFFIX",
    "MIN_CONTRACTION_RATIO",
    "PROTOCOL_INSTRUCTIONS",
    "MVC_INSTRUCTIONS",
    "TRIAL_SECONDS",
    "check_assess_args",
    "Interrupted",
    "OUTPUT_NAMES",
]
