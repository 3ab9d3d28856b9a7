"""Reports of an assessment: figures, self-contained HTML, PDF and JSON results.

Figures (matplotlib, imported only when called; headless-safe)
    :func:`plot_traces` (raw, filtered and envelope per muscle with onsets and
    offsets), :func:`plot_timing` (activations against the target windows and
    order), :func:`plot_amounts` (amplitudes against target bands),
    :func:`plot_criteria` (per-trial values of any criterion against its target:
    ratios, co-contraction...), :func:`plot_progress` (sessions of a patient).
    Each returns a :class:`matplotlib.figure.Figure`; those drawing one axes take
    ``ax=``.
Report
    :class:`Report` (or :func:`make_report`) gathers a comparison, the recording,
    the session and the patient's history: :meth:`Report.save` writes
    ``report.html`` (figures as base64 PNG, CSS inline, no external resource;
    readable on a phone, printable), ``report.pdf`` (A4 pages laid out for paper by
    matplotlib's PDF backend: no system library, no browser) and ``results.json``
    (every measure; ``criteria`` with ``id, verdict, measured, target, reason,
    sentence``), each written under a temporary name and renamed when complete.
    Both documents are built from one content model: :func:`summarize` (page one:
    score over the assessed criteria, what was not assessable, why and what to do),
    the same tables and the same figures.
Reporting items
    :func:`reporting_items`: the ISEK / CEDE items (electrodes, amplifier,
    sampling, filters, normalisation, onset method...) filled from the
    recording's metadata and history and the comparison's processing chain.

Examples
--------
>>> from emgcontrol.patterns import compare
>>> from emgcontrol.report import Report, plot_timing
>>> result = compare(rec, "prone-hip-extension")          # doctest: +SKIP
>>> plot_timing(result)                                    # doctest: +SKIP
>>> Report(result, rec).save("assessment")                 # doctest: +SKIP
"""

from __future__ import annotations

from ._figures import (TraceSignals, amount_rows, plot_amounts, plot_criteria, plot_progress,
                       plot_timing, plot_traces, timing_rows, trace_signals)
from ._items import INFO_KEYS, NOT_RECORDED, reporting_items
from ._report import RESULTS_FORMAT, RESULTS_VERSION, Report, make_report
from ._style import fmt_value
from ._summary import Summary, summarize

__all__ = [
    "plot_traces",
    "plot_timing",
    "plot_amounts",
    "plot_criteria",
    "plot_progress",
    "trace_signals",
    "TraceSignals",
    "timing_rows",
    "amount_rows",
    "Report",
    "make_report",
    "reporting_items",
    "INFO_KEYS",
    "NOT_RECORDED",
    "RESULTS_FORMAT",
    "RESULTS_VERSION",
    "fmt_value",
    "summarize",
    "Summary",
]
