"""Readers and writers of sEMG recordings.

:func:`read` recognises the format from the file's content and calls the
matching reader; every reader returns a :class:`~emgcontrol.Recording` with
data in volts (accelerometer channels in g).

========================  ===========================  =================================
format                    reader                       writer
========================  ===========================  =================================
OpenBCI GUI text (v1-v6)  :func:`read_openbci_txt`
BrainFlow CSV             :func:`read_brainflow_csv`   :func:`write_brainflow_csv`
EDF/EDF+, BDF/BDF+        :func:`read_edf`             :func:`write_edf`, :func:`write_bdf`
BrainVision               :func:`read_brainvision`     :func:`write_brainvision`
CSV/TSV (header or not)   :func:`read_csv`             :func:`write_csv`
NumPy .npy/.npz           :func:`read_numpy`
MATLAB .mat (v5-v7)       :func:`read_mat`
========================  ===========================  =================================

:func:`write` (and :meth:`Recording.save`) picks the writer from the extension.

Triggers and markers become events labelled with their numeric code whatever
the format (BioSemi Status low 16 bits, EDF+ annotations, BrainVision
``S  n`` markers, OpenBCI/BrainFlow marker channels): ``"1"``, ``"2"``...;
``markers={1: "trial", 2: "mvc"}`` on any reader names them.

Lost samples (sample-counter gaps, timestamp jumps) are never hidden: they are
listed in ``meta["dropped_samples"]``, marked by ``"dropped_samples"`` events and
announced by a :class:`~emgcontrol.errors.DroppedSamplesWarning`; the samples
stay contiguous.

For code that writes recordings itself (:mod:`emgcontrol.acquire`):
:func:`find_gaps` counts lost samples from a board's sample counter (its
convention: :func:`emgcontrol.hardware.counter_spec`) and timestamps;
:func:`sidecar_path`, :func:`read_sidecar`, :data:`SIDECAR_FORMAT` and
:data:`SIDECAR_VERSION` describe the JSON sidecar that travels with a CSV file;
:func:`check_output_file` checks a file can be written before any is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import FileFormatError
from ..recording import Recording
from . import _common
from ._common import (SIDECAR_FORMAT, SIDECAR_VERSION, Gap, check_output_file, find_gaps,
                      read_sidecar, sidecar_path)
from ._sniff import FORMATS, sniff_format, supported_formats_text
from .brainflow_csv import read_brainflow_csv, write_brainflow_csv
from .brainvision import read_brainvision, write_brainvision
from .edf import read_edf, write_bdf, write_edf
from .generic import read_csv, read_numpy, write_csv
from .matlab import read_mat
from .openbci import read_openbci_txt

__all__ = [
    "read",
    "write",
    "WRITERS",
    "marker_codes",
    "detect_format",
    "FORMATS",
    "read_openbci_txt",
    "read_brainflow_csv",
    "write_brainflow_csv",
    "read_edf",
    "write_edf",
    "write_bdf",
    "read_brainvision",
    "write_brainvision",
    "read_mat",
    "read_csv",
    "write_csv",
    "read_numpy",
    "find_gaps",
    "Gap",
    "sidecar_path",
    "read_sidecar",
    "SIDECAR_FORMAT",
    "SIDECAR_VERSION",
    "check_output_file",
]


def marker_codes(rec: Recording) -> dict[str, int]:
    """Numeric marker/trigger codes among a recording's events, with their counts.

    Useful to say what ``markers=`` (``--markers``) could name when a step
    finds no ``"trial"`` or ``"mvc"`` events: e.g. ``{"1": 5, "2": 1}``.
    """
    out: dict[str, int] = {}
    for ev in rec.events:
        code = _common.marker_code(ev.label)
        if code is not None:
            out[code] = out.get(code, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: float(kv[0])))


def detect_format(path: str | Path) -> str | None:
    """Return the format of a file from its content (a key of :data:`FORMATS`), or None.

    Raises
    ------
    RecordingFileNotFoundError
        If the file does not exist.
    FileFormatError
        If it is empty or a directory.
    """
    return sniff_format(_common.check_input_file(path))


_READERS = {"openbci": "read_openbci_txt", "brainflow": "read_brainflow_csv",
            "csv": "read_csv", "npy": "read_numpy", "npz": "read_numpy", "mat": "read_mat",
            "edf": "read_edf", "bdf": "read_edf", "brainvision": "read_brainvision"}


def _check_reader_kwargs(fmt: str, kwargs: dict[str, Any], path: Path) -> None:
    """A keyword the format's reader does not take is an error naming the format."""
    import inspect

    from ..errors import ValidationError

    reader = globals()[_READERS[fmt]]
    allowed = set(inspect.signature(reader).parameters) - {"path"}
    extra = sorted(set(kwargs) - allowed)
    if extra:
        raise ValidationError(
            f"{path}: the content is {FORMATS[fmt]}, whose reader takes no "
            f"{', '.join(k + '=' for k in extra)} (it takes "
            f"{', '.join(k + '=' for k in sorted(allowed))})")


def read(path: str | Path, *, sfreq: float | None = None, markers: Any = None,
         **kwargs: Any) -> Recording:
    """Read a recording, whatever its format.

    The format is recognised from the content (first bytes / lines), not only
    the extension: OpenBCI GUI text, BrainFlow CSV, EDF/BDF, BrainVision,
    generic CSV with a header, NumPy ``.npy``/``.npz``.

    Parameters
    ----------
    path : str or Path
        The file.
    sfreq : float, optional
        Sampling frequency in Hz for formats that do not store it (``.npy``,
        CSV without time column); for the others it is only checked.
    markers : mapping, optional
        ``{code: label}`` such as ``{1: "trial", 2: "mvc"}``: events labelled
        with a numeric code (triggers, markers) take the label.
    **kwargs
        Passed to the reader (e.g. ``board=`` for BrainFlow CSV, ``muscles=``,
        ``ch_types=``, ``units=`` and ``time_column=`` for CSV, ``key=`` for
        ``.npz`` and ``.mat``, ``allow_truncated=`` for EDF/BDF).

    Returns
    -------
    Recording

    Raises
    ------
    RecordingFileNotFoundError
        The file does not exist.
    FileFormatError
        Unknown format (the message lists the supported ones), or a malformed file.
    """
    p = _common.check_input_file(path)
    _common.check_markers(markers)
    fmt = sniff_format(p)
    if fmt is None:
        raise FileFormatError(
            f"unknown format: the content matches none of the supported formats "
            f"({supported_formats_text()})", p)
    _check_reader_kwargs(fmt, kwargs, p)
    if fmt == "openbci":
        rec = read_openbci_txt(p, sfreq=sfreq, **kwargs)
    elif fmt == "brainflow":
        rec = read_brainflow_csv(p, sfreq=sfreq, **kwargs)
    elif fmt == "csv":
        rec = read_csv(p, sfreq=sfreq, **kwargs)
    elif fmt in ("npy", "npz"):
        rec = read_numpy(p, sfreq=sfreq, **kwargs)
    elif fmt == "mat":
        rec = read_mat(p, sfreq=sfreq, **kwargs)
    else:
        if fmt in ("edf", "bdf"):
            rec = read_edf(p, **kwargs)
        else:
            rec = read_brainvision(p, **kwargs)
        if sfreq is not None:
            from .._validate import check_sfreq
            from ..errors import ValidationError

            sf = check_sfreq(sfreq)
            if abs(sf - rec.sfreq) > 1e-9 * rec.sfreq:
                raise ValidationError(f"sfreq={sfreq!r} contradicts the file's rate "
                                      f"{rec.sfreq:g} Hz")
    return _common.apply_markers(rec, markers, p)


WRITERS: dict[str, str] = {
    ".bdf": "bdf", ".edf": "edf", ".vhdr": "brainvision", ".csv": "csv",
}
"""Extension -> format that :func:`write` picks (BrainFlow CSV by ``format=``)."""

_WRITE_FORMATS = ("bdf", "edf", "brainvision", "csv", "brainflow")


def write(rec: Recording, path: str | Path, *, format: str | None = None,
          overwrite: bool = False, **kwargs: Any) -> Path:
    """Write a Recording; the format follows the extension (as MNE's ``export``).

    ===============  ===================================  ============================
    extension        format                               writer
    ===============  ===================================  ============================
    ``.bdf``         BDF+ (24 bit)                        :func:`write_bdf`
    ``.edf``         EDF+ (16 bit)                        :func:`write_edf`
    ``.vhdr``        BrainVision (+ ``.eeg``, ``.vmrk``)  :func:`write_brainvision`
    ``.csv``         CSV with header (+ JSON sidecar)     :func:`write_csv`
    ===============  ===================================  ============================

    Parameters
    ----------
    rec : Recording
    path : str or Path
        Output file.
    format : {"bdf", "edf", "brainvision", "csv", "brainflow"}, optional
        Overrides the extension; ``"brainflow"`` writes a BrainFlow CSV
        (:func:`write_brainflow_csv`, tab-separated, whatever the extension).
    overwrite : bool
        Replace an existing file (default: refuse).
    **kwargs
        Passed to the writer (e.g. ``units=`` for CSV, ``board=`` for BrainFlow).

    Returns
    -------
    Path
        The file written (the ``.vhdr`` for BrainVision).

    Raises
    ------
    ValidationError
        Unknown extension or format, existing file without ``overwrite=True``,
        or data the format cannot store.
    """
    from .._validate import check_option
    from ..errors import ValidationError

    p = _common.as_path(path)
    if format is None:
        fmt = WRITERS.get(p.suffix.lower())
        if fmt is None:
            raise ValidationError(
                f"cannot tell the format from the extension of {p.name!r}; use one of "
                f"{', '.join(WRITERS)} or pass format= "
                f"({', '.join(repr(f) for f in _WRITE_FORMATS)})")
    else:
        check_option("format", format, _WRITE_FORMATS)
        fmt = format
    if p.exists() and not overwrite:
        raise ValidationError(f"{str(p)!r} exists; pass overwrite=True to replace it")
    if fmt == "bdf":
        return write_bdf(rec, p, **kwargs)
    if fmt == "edf":
        return write_edf(rec, p, **kwargs)
    if fmt == "brainvision":
        return write_brainvision(rec, p, **kwargs)
    if fmt == "csv":
        return write_csv(rec, p, **kwargs)
    return write_brainflow_csv(rec, p, **kwargs)
