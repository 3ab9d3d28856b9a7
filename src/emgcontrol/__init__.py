"""emgcontrol: surface-EMG muscle-recruitment analysis.

Measure how a person recruits their muscles -- how much (amount), which
muscles (selection) and when (timing) -- compare it with a target pattern for
a movement, and give live biofeedback.

Importing this package is light: mne, matplotlib, brainflow, dask, pandas,
scipy and numba are imported only by the functions that need them, and the
subpackages below load on first use.

Subpackages
-----------
io, montage, simulate, datasets
    Recordings in and out, muscles, the simulator, sample sessions.
signal, onset, metrics
    Filters, envelopes, ECG removal, quality; onset detection; recruitment measures.
patterns, report, assess, batch
    Target patterns and comparison; figures and reports; the assessment
    command; cohorts on Dask.
acquire, feedback
    BrainFlow boards and live biofeedback.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import datasets, io, montage, simulate
from ._version import __version__
from .errors import (
    DroppedSamplesWarning,
    EmgcontrolError,
    EmgcontrolWarning,
    FileFormatError,
    NonFiniteDataError,
    RecordingFileNotFoundError,
    UnitsDefaultWarning,
    UnknownMuscleError,
    ValidationError,
)
from .io import read, write
from .montage import Montage, MuscleRef, get_preset, make_montage, parse_muscle
from .recording import Event, Recording

if TYPE_CHECKING:  # pragma: no cover
    from . import acquire, assess, batch, feedback, metrics, onset, patterns, report, signal
    from .onset import detect_onsets
    from .patterns import compare, get_pattern, load_pattern
    from .onset import warmup
    from .signal.quality import quality


_LAZY_MODULES = {"signal", "onset", "metrics", "patterns", "report", "assess", "batch",
                 "acquire", "feedback"}
_LAZY_FUNCTIONS = {
    "warmup": ("onset", "warmup"),
    "detect_onsets": ("onset", "detect_onsets"),
    "compare": ("patterns", "compare"),
    "load_pattern": ("patterns", "load_pattern"),
    "get_pattern": ("patterns", "get_pattern"),
    "quality": ("signal.quality", "quality"),
}


def __getattr__(name: str) -> Any:
    """Load subpackages and their main functions on first use."""
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_FUNCTIONS:
        module, attr = _LAZY_FUNCTIONS[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module 'emgcontrol' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY_MODULES | set(_LAZY_FUNCTIONS))


__all__ = [
    "Recording",
    "Event",
    "read",
    "write",
    "Montage",
    "MuscleRef",
    "parse_muscle",
    "make_montage",
    "get_preset",
    "detect_onsets",
    "compare",
    "load_pattern",
    "get_pattern",
    "quality",
    "warmup",
    "io",
    "montage",
    "simulate",
    "datasets",
    "signal",
    "onset",
    "metrics",
    "patterns",
    "report",
    "assess",
    "batch",
    "acquire",
    "feedback",
    "EmgcontrolError",
    "ValidationError",
    "UnknownMuscleError",
    "NonFiniteDataError",
    "FileFormatError",
    "RecordingFileNotFoundError",
    "EmgcontrolWarning",
    "DroppedSamplesWarning",
    "UnitsDefaultWarning",
    "__version__",
]
