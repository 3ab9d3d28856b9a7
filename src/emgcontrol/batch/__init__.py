"""Cohort processing: one assessment per recording, on Dask, into one tidy table.

:func:`run` assesses every recording of a cohort against a protocol (the same
chain as ``emgcontrol assess --input FILE``: :func:`emgcontrol.assess.assess`,
whose report gives the ``results.json`` content) with one task per recording on
a local Dask cluster (default) or on any ``dask.distributed`` scheduler, shows a
progress bar, and collects the results into one table: one row per recording x
criterion.  ``emgcontrol batch`` is the command (in :mod:`emgcontrol.cli`).

What is written (``out="results.parquet"``):

``results.parquet`` and ``results.csv``
    The table (:data:`COLUMNS`): ``path, content_hash, protocol, level, status,
    criterion, kind, severity, weight, verdict, measured, unit, target, min, max,
    deviation, pass_share, n_assessed, n_trials, reason, score, error_type, error,
    cached, elapsed_s, worker, json``.  A recording that failed has one row with
    ``status="error"``, the exception type and message; a failure never stops the
    batch.
``results.d/<content_hash>.json``
    Per recording: what ``emgcontrol assess`` writes to ``results.json`` (the
    comparison with every measure, the session, the reporting items; readable by
    :meth:`emgcontrol.patterns.Comparison.from_dict` and
    :class:`emgcontrol.report.Report`) plus a ``"batch"`` block (path, content
    hash, settings, status, error and traceback, warnings, time, worker).

Re-running skips the recordings already done: same content (SHA-256 of the
file's bytes, :func:`content_hash`) assessed with the same settings (pattern
text, options, level, montage) and ``status="ok"``.  Failed recordings are
tried again; ``force=True`` (``--force``) re-runs everything.

Dask (``pip install 'emgcontrol[cohort]'``: ``dask[distributed]`` and
``pyarrow``) is imported only when :func:`run` starts; importing this package
imports nothing heavy.

Examples
--------
>>> from emgcontrol.batch import run
>>> res = run("cohort/*.bdf", "prone-hip-extension",
...           out="results.parquet")                             # doctest: +SKIP
>>> res.table.groupby("criterion")["verdict"].value_counts()     # doctest: +SKIP
>>> res = run("cohort/*.bdf", "arm-raise", out="arm.parquet",
...           client="tcp://scheduler:8786")                     # doctest: +SKIP

On the command line::

    emgcontrol batch 'cohort/*.bdf' --protocol prone-hip-extension --out results.parquet
    emgcontrol batch 'cohort/**/*.csv' --protocol lift --out lift.parquet \\
        --scheduler tcp://10.0.0.5:8786
"""

from __future__ import annotations

from ._run import (COLUMNS, ITEM_FORMAT, ITEM_VERSION, RECORDING_SUFFIXES, BatchResult,
                   content_hash, expand_paths, output_paths, run, run_one, warm_up)

__all__ = [
    "run",
    "run_one",
    "warm_up",
    "BatchResult",
    "expand_paths",
    "content_hash",
    "output_paths",
    "COLUMNS",
    "RECORDING_SUFFIXES",
    "ITEM_FORMAT",
    "ITEM_VERSION",
]
