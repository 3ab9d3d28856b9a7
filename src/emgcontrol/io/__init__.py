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
BrainVision               :func:`read_brainvision`
CSV/TSV with header       :func:`read_csv`             :func:`write_csv`
NumPy .npy/.npz           :func:`read_numpy`
========================  ===========================  =================================

Lost samples (sample-counter gaps, timestamp jumps) are never hidden: they are
listed in ``meta["dropped_samples"]``, marked by ``"dropped_samples"`` events and
announced by a :class:`~emgcontrol.errors.DroppedSamplesWarning`; the samples
stay contiguous.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import FileFormatError
from ..recording import Recording
from . import _common
from ._sniff import FORMATS, sniff_format, supported_formats_text
from .brainflow_csv import read_brainflow_csv, write_brainflow_csv
from .brainvision import read_brainvision
from .edf import read_edf, write_bdf, write_edf
from .generic import read_csv, read_numpy, write_csv
from .openbci import read_openbci_txt

__all__ = [
    "read",
    "detect_format",
    "FORMATS",
    "read_openbci_txt",
    "read_brainflow_csv",
    "write_brainflow_csv",
    "read_edf",
    "write_edf",
    "write_bdf",
    "read_brainvision",
    "read_csv",
    "write_csv",
    "read_numpy",
]


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


def read(path: str | Path, *, sfreq: float | None = None, **kwargs: Any) -> Recording:
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
    **kwargs
        Passed to the reader (e.g. ``board=`` for BrainFlow CSV, ``muscles=``,
        ``units=`` and ``time_column=`` for CSV, ``key=`` for ``.npz``).

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
    fmt = sniff_format(p)
    if fmt is None:
        raise FileFormatError(
            f"unknown format: the content matches none of the supported formats "
            f"({supported_formats_text()})", p)
    if fmt == "openbci":
        return read_openbci_txt(p, sfreq=sfreq, **kwargs)
    if fmt == "brainflow":
        return read_brainflow_csv(p, sfreq=sfreq, **kwargs)
    if fmt in ("edf", "bdf"):
        rec = read_edf(p, **kwargs)
    elif fmt == "brainvision":
        rec = read_brainvision(p, **kwargs)
    elif fmt == "csv":
        return read_csv(p, sfreq=sfreq, **kwargs)
    else:
        return read_numpy(p, sfreq=sfreq, **kwargs)
    if sfreq is not None:
        from .._validate import check_sfreq
        from ..errors import ValidationError

        sf = check_sfreq(sfreq)
        if abs(sf - rec.sfreq) > 1e-9 * rec.sfreq:
            raise ValidationError(f"sfreq={sfreq!r} contradicts the file's rate "
                                  f"{rec.sfreq:g} Hz")
    return rec
