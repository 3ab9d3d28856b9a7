"""The ``emgcontrol`` command: a thin layer over the public API.

Subcommands
-----------
info FILE [--json]
    Channels, muscles, sampling rate, duration, events and dropped samples.
simulate PROTOCOL --out FILE [--variant NAME] [--sfreq HZ] [--snr DB] [--seed N]
         [--mvc] [--trials N] [--board NAME] [--format F]
    Write a simulated session (BDF, EDF, BrainFlow CSV or CSV table) and its
    ground truth (``FILE.truth.json``).
simulate PROTOCOL --list-variants
    Print the protocol's variants, one a line: name and what it simulates.
onsets FILE [--method M] [--json]
    Detected activations: channel, muscle, onset, offset, peak, area.
assess PROTOCOL [--input FILE | --board NAME] [--out DIR] ...
    Assess a recording (or a session recorded now) against a target pattern:
    report.html, report.pdf, results.json.
boards [--all] [--json]
    The BrainFlow boards, with sampling rates and EMG channels.
record --out FILE [--board NAME] [--duration S] [--montage M] ...
    Record from a board (default: the built-in simulated board) straight to a
    BrainFlow CSV file (.csv or .txt) and its JSON sidecar.
live [--board NAME] [--pattern P] [--duration S] [--display terminal|matplotlib|none] ...
    Live biofeedback: envelopes in %MVC against target zones, onsets and order checks.
batch RECORDING... --protocol P --out results.parquet [--scheduler ADDRESS] [--workers N]
    Assess a cohort on Dask: one row per recording x criterion, one JSON per recording.
warmup [--methods M[,M...]|all] [--large]
    Compile the numba kernels once (or load them from the cache) and say where
    the cache is; later commands start without compiling.

Errors from emgcontrol (bad file, bad argument) are printed as one line on
stderr with exit code 2; they never show a traceback.  Warnings are printed as
one line each on stderr, ``warning: <message>``, once per message.

All command-line code lives in this package, a thin layer over the public API:
``_main`` (parser and entry point), ``_commands`` (info, simulate, onsets,
warmup), ``_acquire`` (boards, record, live), ``_assess`` and ``_batch``.
Protocol names in the help come from the protocol lists
(:data:`emgcontrol.patterns.BUILTIN_PROTOCOLS` and the pattern library,
:data:`emgcontrol.simulate.PROTOCOLS`).  ``python -m emgcontrol.cli`` runs the
command too.
"""

from __future__ import annotations

from ._main import build_parser, main

__all__ = ["main", "build_parser"]
