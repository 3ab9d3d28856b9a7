"""MATLAB ``.mat`` files (v4-v7, through :func:`scipy.io.loadmat`).

Toolboxes store a recording as a struct (emgGO: ``EMG.channelData``, samples x
channels, and ``EMG.fs``) or as loose variables (``data``, ``fs``).  The reader
finds the one numeric 2-D/1-D array and the sampling-rate scalar beside it; when
there is more than one candidate it names them and asks for ``key=``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._validate import check_option, check_sfreq
from ..errors import FileFormatError, ValidationError
from ..recording import Recording
from . import _common as C

__all__ = ["read_mat", "SFREQ_KEYS"]

SFREQ_KEYS = ("fs", "sfreq", "srate", "sampling_rate", "samplingrate", "sample_rate",
              "samplerate", "samplingfrequency", "sampling_frequency", "freq", "rate")
"""Names (any case) of a sampling-rate variable or field, in the order they are tried."""

_MAX_DEPTH = 3


def _walk(obj: Any, prefix: str, depth: int, out: dict[str, Any]) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k.startswith("__"):
                continue
            name = f"{prefix}.{k}" if prefix else str(k)
            if isinstance(v, dict) and depth < _MAX_DEPTH:
                _walk(v, name, depth + 1, out)
            else:
                out[name] = v


def _numeric(v: Any) -> np.ndarray | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return np.asarray(v, dtype=np.float64)
    if isinstance(v, np.ndarray) and v.dtype.kind in "iuf":
        return v
    return None


def _parent(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else ""


def read_mat(
    path: str | Path,
    *,
    key: str | None = None,
    sfreq: float | None = None,
    sfreq_key: str | None = None,
    units: str | None = None,
    ch_names: Sequence[str] | None = None,
    layout: str = "auto",
    ch_types: Sequence[str] | None = None,
    muscles: Any = None,
    markers: Any = None,
) -> Recording:
    """Read a recording from a MATLAB ``.mat`` file.

    Parameters
    ----------
    path : str or Path
        The file (MATLAB v4 to v7; v7.3 files are HDF5 and are refused with
        what to do).
    key : str, optional
        The array to read: a variable (``"data"``), a struct field
        (``"EMG.channelData"``) or a struct holding one array (``"EMG"``).
        Default: the only numeric 1-D/2-D array with more than one value.
    sfreq : float, optional
        Sampling frequency in Hz; default from a scalar named ``fs``,
        ``sfreq``, ``srate``, ``sampling_rate``... (see :data:`SFREQ_KEYS`) in
        the array's struct, else at the top level.
    sfreq_key : str, optional
        The scalar holding the sampling rate, when its name is another one
        (``"EMG.Hz"``).
    units : {"V", "mV", "uV", "nV"}, optional
        Unit of the samples.  Default microvolts, refused (with an error that
        says ``units=``) when the numbers are too small or too large to be
        microvolts of EMG.
    ch_names : sequence of str, optional
        Channel names (default ``EMG1..EMGn``).
    layout : {"auto", "channels_first", "channels_last"}
        ``"auto"`` takes the longer axis as time (emgGO stores samples x
        channels).
    ch_types, muscles, markers
        As for the other readers.

    Returns
    -------
    Recording

    Raises
    ------
    RecordingFileNotFoundError, FileFormatError, ValidationError
    """
    p = C.check_input_file(path)
    check_option("layout", layout, ("auto", "channels_first", "channels_last"))
    if units is not None:
        check_option("units", units, ("V", "mV", "uV", "µV", "nV"))
    with open(p, "rb") as fh:
        head = fh.read(128)
    if head.startswith(b"MATLAB 7.3") or b"\x89HDF" in head[:16] or head[:8] == b"\x89HDF\r\n\x1a\n":
        raise FileFormatError(
            "MATLAB v7.3 (HDF5) files are not supported: save the variables with "
            "save(..., '-v7') in MATLAB, or export to EDF/CSV", p)
    import scipy.io

    try:
        mat = scipy.io.loadmat(p, squeeze_me=True, simplify_cells=True,
                               mat_dtype=False)
    except Exception as err:  # noqa: BLE001 - scipy raises many types on corrupt files
        raise FileFormatError(f"cannot read this MATLAB file: {type(err).__name__}: {err}",
                              p) from None
    flat: dict[str, Any] = {}
    _walk(mat, "", 0, flat)
    arrays = {k: a for k, v in flat.items()
              if (a := _numeric(v)) is not None and a.ndim in (1, 2) and a.size > 1}
    if key is None:
        if len(arrays) != 1:
            listing = ", ".join(f"{k} {np.shape(v)}" for k, v in flat.items()) or "nothing"
            raise FileFormatError(
                f"{'several arrays could be the data' if arrays else 'no numeric array'}: "
                f"pass key= to choose (the file holds {listing})", p)
        key = next(iter(arrays))
    elif key not in arrays:
        inside = [k for k in arrays if k.startswith(key + ".")]
        if len(inside) == 1:
            key = inside[0]
        else:
            raise ValidationError(
                f"key={key!r} is not a numeric array of {p.name}; its arrays: "
                f"{', '.join(f'{k} {arrays[k].shape}' for k in arrays) or 'none'}")
    arr = np.atleast_2d(np.asarray(arrays[key], dtype=np.float64))
    rate_src = None
    if sfreq is None:
        scalars = {k.lower(): (k, a) for k, v in flat.items()
                   if (a := _numeric(v)) is not None and a.size == 1}
        if sfreq_key is not None:
            hit = scalars.get(sfreq_key.lower())
            if hit is None:
                raise ValidationError(
                    f"sfreq_key={sfreq_key!r} is not a numeric scalar of {p.name}; its "
                    f"scalars: {', '.join(k for k, _ in scalars.values()) or 'none'}")
            rate_src, val = hit
        else:
            val = None
            for scope in (_parent(key), ""):
                for nm in SFREQ_KEYS:
                    full = (f"{scope}.{nm}" if scope else nm).lower()
                    if full in scalars:
                        rate_src, val = scalars[full]
                        break
                if rate_src:
                    break
            if rate_src is None:
                raise ValidationError(
                    f"{p}: no sampling-rate variable found (tried {', '.join(SFREQ_KEYS)} "
                    "beside the data and at the top level); pass sfreq= (Hz) or "
                    "sfreq_key=")
        try:
            sfreq = check_sfreq(float(np.asarray(val).reshape(())))
        except ValidationError as err:
            raise FileFormatError(f"{rate_src} = {val!r} is not a sampling rate ({err})",
                                  p) from None
    else:
        sfreq = check_sfreq(sfreq)
    transposed = False
    if layout == "channels_last" or (layout == "auto" and arr.shape[0] > arr.shape[1]):
        arr = arr.T
        transposed = True
    n = arr.shape[0]
    names = ([f"EMG{k + 1}" for k in range(n)] if ch_names is None
             else [str(c) for c in ch_names])
    if len(names) != n:
        raise ValidationError(f"ch_names has {len(names)} names but {key!r} has {n} "
                              f"channels (shape {arr.shape} after layout={layout!r})")
    if units is None:
        C.check_default_units(arr, p, what=f"the samples of {key!r}")
        units = "uV"
    from .generic import _scale_types

    types, scale = _scale_types(n, ch_types, units)
    mus = C.exg_muscles(muscles, names, n) if muscles is not None else None
    meta = {"source_format": "mat", "source_file": str(p), "key": key}
    if rate_src:
        meta["sfreq_key"] = rate_src
    params = {"path": str(p), "key": key, "units": units, "layout": layout,
              "transposed": transposed, "sfreq_key": rate_src}
    rec = C.finish_recording(arr * scale[:, None], sfreq, names, types, path=p,
                             step="read_mat", params=params, meta=meta, muscles=mus)
    return C.apply_markers(rec, markers, p)
