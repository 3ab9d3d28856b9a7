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



# ------------------------------------------------------- v5 structure check
# scipy's MAT v5 reader trusts the sizes in the file: a corrupted file can make it
# allocate for minutes or crash the interpreter.  The structure is checked here
# first, element by element (sizes inside their parent, dimensions matching the
# data), and compressed variables are inflated once with a size cap.
_MI_SIZE = {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2,
            18: 4}
_MI_MATRIX, _MI_COMPRESSED = 14, 15
_NUMERIC_CLASSES = set(range(6, 16))
MAX_INFLATED_BYTES = 4 * 1024**3
"""Largest size (bytes) a compressed .mat variable may inflate to."""


class _Bad(Exception):
    pass


def _tag(buf: bytes | memoryview, pos: int, end: int, order: str) -> tuple[int, int, int, int]:
    """(type, nbytes, data start, next element) of the element at ``pos``."""
    if pos + 8 > end:
        raise _Bad(f"an element tag at byte {pos} runs past its end ({end})")
    first = int.from_bytes(buf[pos:pos + 4], order)
    if first >> 16:  # small data element: 2-byte size, 2-byte type, 4 bytes of data
        mtype, nbytes = first & 0xFFFF, first >> 16
        if nbytes > 4:
            raise _Bad(f"small element at byte {pos} claims {nbytes} bytes")
        return mtype, nbytes, pos + 4, pos + 8
    mtype = first
    nbytes = int.from_bytes(buf[pos + 4:pos + 8], order)
    start = pos + 8
    stop = start + nbytes
    nxt = stop if mtype == _MI_COMPRESSED else start + ((nbytes + 7) // 8) * 8
    if stop > end:
        raise _Bad(f"element of type {mtype} at byte {pos} claims {nbytes} bytes; only "
                   f"{end - start} remain")
    return mtype, nbytes, start, min(nxt, end)


def _check_matrix(buf: bytes | memoryview, start: int, end: int, order: str,
                  depth: int) -> None:
    """Check one miMATRIX body (``buf[start:end]``)."""
    if depth > 32:
        raise _Bad("structs or cells nested more than 32 deep")
    if start == end:
        return  # an empty array
    t, n, d, pos = _tag(buf, start, end, order)
    if t != 6 or n != 8:
        raise _Bad(f"array flags at byte {start} are not 8 bytes of uint32")
    cls = int.from_bytes(buf[d:d + 4], order) & 0xFF
    cplx = bool(int.from_bytes(buf[d:d + 4], order) & 0x800)
    t, n, d, pos = _tag(buf, pos, end, order)
    if t != 5 or n % 4 or n < 8:
        raise _Bad(f"dimensions at byte {d - 8} are not two or more int32")
    dims = [int.from_bytes(buf[d + 4 * k:d + 4 * k + 4], order, signed=True)
            for k in range(n // 4)]
    if any(x < 0 for x in dims):
        raise _Bad(f"negative dimension {dims}")
    count = 1
    for x in dims:
        count *= x
    t, n, d, pos = _tag(buf, pos, end, order)  # name
    if t not in (1, 2, 16):
        raise _Bad(f"array name at byte {d - 8} has type {t}")
    if cls in _NUMERIC_CLASSES or cls == 4:  # numbers or char
        for _part in range(2 if cplx else 1):
            t, n, d, pos = _tag(buf, pos, end, order)
            size = _MI_SIZE.get(t)
            if size is None or n != count * size:
                raise _Bad(f"array {dims} of class {cls}: its data element holds {n} bytes "
                           f"of type {t}, not {count} values")
    elif cls == 2:  # struct: field-name length, names, count * n_fields matrices
        t, n, d, pos = _tag(buf, pos, end, order)
        if t != 5 or n != 4:
            raise _Bad("struct field-name length is not one int32")
        flen = int.from_bytes(buf[d:d + 4], order)
        t, n, d, pos = _tag(buf, pos, end, order)
        if flen <= 0 or t not in (1, 2) or n % flen:
            raise _Bad(f"struct field names ({n} bytes) do not divide into {flen}-byte names")
        nfields = n // flen
        for _ in range(count * nfields):
            pos = _check_element(buf, pos, end, order, depth + 1, matrix_only=True)
    elif cls == 1:  # cell
        for _ in range(count):
            pos = _check_element(buf, pos, end, order, depth + 1, matrix_only=True)
    elif cls in (3, 5, 16, 17):  # object, sparse, function, opaque: sizes only
        while pos < end:
            _, _, _, pos = _tag(buf, pos, end, order)
    else:
        raise _Bad(f"unknown array class {cls}")


def _check_element(buf: bytes | memoryview, pos: int, end: int, order: str, depth: int,
                   matrix_only: bool = False) -> int:
    t, n, d, nxt = _tag(buf, pos, end, order)
    if t == _MI_MATRIX:
        _check_matrix(buf, d, d + n, order, depth)
    elif matrix_only:
        raise _Bad(f"a struct field or cell at byte {pos} has type {t}, not a matrix")
    return nxt


def _checked_v5_bytes(p: Path) -> bytes:
    """The file's bytes with compressed variables inflated, after the structure check.

    Raises
    ------
    FileFormatError
        Naming the problem.
    """
    import zlib

    raw = p.read_bytes()
    if len(raw) < 128:
        raise FileFormatError(f"truncated MATLAB file: {len(raw)} bytes, the header alone "
                              "needs 128", p)
    mark = raw[126:128]
    if mark not in (b"IM", b"MI"):
        raise FileFormatError(f"not a MATLAB v5 file (endian mark {mark!r})", p)
    order = "little" if mark == b"IM" else "big"
    out = [raw[:128]]
    pos = 128
    try:
        while pos < len(raw):
            t, n, d, nxt = _tag(raw, pos, len(raw), order)
            if t == _MI_COMPRESSED:
                z = zlib.decompressobj()
                body = z.decompress(raw[d:d + n], MAX_INFLATED_BYTES)
                if z.unconsumed_tail:
                    raise _Bad(f"a compressed variable inflates beyond "
                               f"{MAX_INFLATED_BYTES} bytes")
                if len(body) < 8:
                    raise _Bad(f"compressed variable at byte {pos} holds {len(body)} bytes")
                end = _check_element(body, 0, len(body), order, 0)
                out.append(body[:end])
            else:
                _check_element(raw, pos, len(raw), order, 0)
                out.append(raw[pos:nxt])
            pos = nxt
    except zlib.error as err:
        raise FileFormatError(f"corrupt compressed variable: {err}", p) from None
    except _Bad as err:
        raise FileFormatError(f"corrupt MATLAB v5 structure: {err}", p) from None
    return b"".join(out)


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
    import io

    import scipy.io

    source: Any = p
    if len(head) >= 128 and head[126:128] in (b"IM", b"MI") and head[124:126] in (
            b"\x00\x01", b"\x01\x00"):
        source = io.BytesIO(_checked_v5_bytes(p))  # v5-v7: structure checked first
    try:
        mat = scipy.io.loadmat(source, squeeze_me=True, simplify_cells=True,
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
