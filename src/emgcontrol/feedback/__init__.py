"""Live biofeedback: a causal pipeline on each block, targets, displays.

::

    from emgcontrol.feedback import run_feedback

    result = run_feedback(duration=20, display="terminal")            # simulated board
    result = run_feedback(board="cyton", serial_port="/dev/ttyUSB0",
                          montage="cyton-low-back-8", targets="prone-hip-extension",
                          reference="capture", display="matplotlib", record_to="s01.csv")
    print(result.summary())

Chain (:class:`FeedbackProcessor`, the kernels of the offline functions via
:class:`emgcontrol.signal.Pipeline`): band-pass + notch, moving RMS (0.1 s for
the display, 0.5 s for the zone checks), %MVC from a reference
(:func:`capture_reference`: a short guided MVC or RVC capture; or an MVC
recording; the simulated board knows its subject), onsets with
:class:`emgcontrol.onset.OnsetDetector`, and per movement the zone and order
checks of the targets (:class:`Targets`: from a pattern of
:mod:`emgcontrol.patterns`, a mapping, or :data:`BUILTIN_TARGETS`).

Displays (:class:`Display`): :class:`TerminalDisplay` (headless),
:class:`MatplotlibDisplay` (desktop window, Jupyter, Agg), :class:`CallbackDisplay`,
and :class:`WebDisplay` (a page in the browser: patient view and clinician panel,
:mod:`emgcontrol.feedback.web`; :func:`serve_feedback` adds the clinician's
start/stop, level, MVC and marker controls).

Latency is measured end to end from BrainFlow's timestamps to ``time.time()``
after processing and after each redraw, and per block with ``perf_counter``
(:attr:`FeedbackResult.latency`).

Importing this package imports neither brainflow nor matplotlib nor the web
server (aiohttp is imported when a page is served).
"""

from __future__ import annotations

from ._display import CallbackDisplay, Display, MatplotlibDisplay, TerminalDisplay, make_display
from ._loop import (FeedbackResult, capture_reference, filter_stages, latency_stats,
                    reference_from_capture, run_feedback, warmup)
from ._processor import LIVE_ONSET_METHOD, FeedbackEvent, FeedbackProcessor, FeedbackState
from ._targets import (BUILTIN_TARGETS, OrderTarget, Targets, ZoneTarget, get_targets,
                       match_channels)
from .web import WebDisplay, serve_feedback

__all__ = [
    "run_feedback",
    "FeedbackResult",
    "FeedbackProcessor",
    "FeedbackState",
    "FeedbackEvent",
    "Targets",
    "ZoneTarget",
    "OrderTarget",
    "BUILTIN_TARGETS",
    "get_targets",
    "match_channels",
    "capture_reference",
    "reference_from_capture",
    "filter_stages",
    "latency_stats",
    "warmup",
    "Display",
    "TerminalDisplay",
    "MatplotlibDisplay",
    "CallbackDisplay",
    "WebDisplay",
    "serve_feedback",
    "make_display",
    "LIVE_ONSET_METHOD",
]
