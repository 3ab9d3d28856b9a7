"""emgcontrol: surface-EMG muscle-recruitment analysis.

Measure how a person recruits their muscles -- how much (amount), which
muscles (selection) and when (timing) -- compare it with a target pattern for
a movement, and give live biofeedback.

Importing this package is light: mne, matplotlib, brainflow and dask are
imported only by the functions that need them.
"""

from __future__ import annotations

from . import datasets, io, metrics, montage, simulate
from .errors import (
    DroppedSamplesWarning,
    EmgcontrolError,
    EmgcontrolWarning,
    FileFormatError,
    NonFiniteDataError,
    RecordingFileNotFoundError,
    UnknownMuscleError,
    ValidationError,
)
from .montage import Montage, MuscleRef, get_preset, make_montage, parse_muscle
from .io import read
from .recording import Event, Recording

__version__ = "0.1.0.dev0"

__all__ = [
    "Recording",
    "Event",
    "read",
    "io",
    "simulate",
    "datasets",
    "metrics",
    "Montage",
    "MuscleRef",
    "montage",
    "parse_muscle",
    "make_montage",
    "get_preset",
    "EmgcontrolError",
    "ValidationError",
    "UnknownMuscleError",
    "NonFiniteDataError",
    "FileFormatError",
    "RecordingFileNotFoundError",
    "EmgcontrolWarning",
    "DroppedSamplesWarning",
    "__version__",
]
