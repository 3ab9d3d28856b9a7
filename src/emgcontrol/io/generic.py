"""Generic tables (CSV/TSV with a header row) and NumPy ``.npy``/``.npz`` arrays."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._validate import check_option, check_sfreq
from ..errors import FileFormatError, ValidationError
from ..recording import CH_TYPES, UNITS, Recording
from . import _common as C

__all__ = ["read_csv", "write_csv", "read_numpy"]

_KIND = "csv"
_TIME_NAMES = ("time", "time_s", "times", "t", "timestamp", "timestamps", "time (s)",
               "time[s]", "seconds", "time_ms", "time (ms)", "time[ms]", "time_us",
               "time (us)", "time[us]", "ms", "elapsed", "elapsed_time")
_TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}
PLAUSIBLE_SFREQ = (50.0, 100_000.0)
"""Sampling rates (Hz) a time column may imply when its unit is inferred from the
spacing: the s, ms and us readings of one spacing differ by 1000, so at most two
fall in this range; then the file is ambiguous and ``time_units=`` must say."""
_EVENT_NAMES = ("class", "label", "labels", "marker", "markers", "trigger", "triggers",
                "event", "events", "stim", "stimulus", "annotation", "condition", "task",
                "state", "phase", "gesture", "movement", "trial", "marker channel")
MAX_EVENT_CODES = 32
"""An integer column with at most this many distinct values, constant over runs
(at most 5 % of rows change value), is a label column: its runs become events."""


def _time_unit_from_name(name: str) -> str | None:
    low = name.lower().replace(" ", "")
    for u in ("us", "ms"):
        if low.endswith((f"_{u}", f"({u})", f"[{u}]")) or low == u:
            return u
    if low.endswith(("_s", "(s)", "[s]")) or low in ("seconds", "time_sec"):
        return "s"
    return None


def _infer_time_unit(dt_median: float, col: str, path: Path) -> str:
    lo, hi = PLAUSIBLE_SFREQ
    ok = [u for u, f in _TIME_UNITS.items() if lo <= 1.0 / (dt_median * f) <= hi]
    if len(ok) == 1:
        return ok[0]
    readings = ", ".join(f"{1.0 / (dt_median * f):.6g} Hz in {u}" for u, f in _TIME_UNITS.items())
    what = "could be" if ok else "gives no EMG rate as"
    raise FileFormatError(
        f"time column {col!r} does not say its unit and its spacing {dt_median:g} "
        f"{what} {' or '.join(ok) if ok else 's, ms or us'} ({readings}); pass "
        "time_units= ('s', 'ms' or 'us'), or sfreq= with time_column=False", path)


def _label_runs(values: np.ndarray, sfreq: float, prefix: str) -> list[Any]:
    """Events from a label column: each run of one nonzero value."""
    from ..recording import Event

    v = values
    starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
    stops = np.r_[starts[1:], len(v)]
    out = []
    for a, b in zip(starts, stops):
        if v[a] == 0:
            continue
        n = int(b - a)
        out.append(Event(float(a) / sfreq, n / sfreq if n > 1 else 0.0,
                         f"{prefix}{v[a]:g}"))
    return out


def _looks_like_labels(col: np.ndarray) -> bool:
    if col.size < 2 or not np.all(np.isfinite(col)) or not np.all(col == np.round(col)):
        return False
    vals = np.unique(col)
    # at least two codes, one of them 0 (no label): a flat or railed EMG channel is
    # not a label column
    if vals.size > MAX_EVENT_CODES or vals.size < 2 or 0 not in vals:
        return False
    changes = int(np.count_nonzero(col[1:] != col[:-1]))
    return changes <= max(2, 0.05 * col.size)


def _delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _scale_types(n: int, ch_types: Sequence[str] | None, units: str
                 ) -> tuple[list[str], np.ndarray]:
    check_option("units", units, UNITS)
    types = ["emg"] * n if ch_types is None else [str(t) for t in ch_types]
    if len(types) != n:
        raise ValidationError(f"ch_types has {len(types)} entries but the file has {n} "
                              "channels")
    for t in types:
        check_option("ch_types", t, CH_TYPES)
    scale = np.array([UNITS[units] if t in ("emg", "ecg") else 1.0 for t in types])
    return types, scale


def read_csv(
    path: str | Path,
    *,
    sfreq: float | None = None,
    units: str | None = None,
    time_column: str | int | bool | None = None,
    time_units: str | None = None,
    ch_types: Sequence[str] | None = None,
    muscles: Any = None,
    delimiter: str | None = None,
    event_columns: Sequence[str | int] | None = None,
    markers: Any = None,
) -> Recording:
    """Read a delimited text table: one row per sample, one column per channel.

    Parameters
    ----------
    path : str or Path
        The file.  Lines starting with ``#`` are comments; the first other line
        is the header of channel names (if it is all numbers, the file has no
        header and channels are named ``EMG1..EMGn``).
    sfreq : float, optional
        Sampling frequency in Hz; default from the time column.
    units : {"V", "mV", "uV", "nV"}, optional
        Unit of the voltage columns; default the sidecar's (from
        :func:`write_csv`), else ``"uV"`` -- refused with an error naming
        ``units=`` when the numbers are too small or too large to be microvolts
        of EMG (a file in volts read as microvolts would be 1e6 off).
    time_column : str, int, bool, optional
        Column of sample times: a name, an index, ``False`` for none; default:
        a column named ``time``, ``t``, ``time_s``, ``timestamp``... if present.
        Times must increase strictly; they give ``sfreq`` when it is not given,
        and jumps longer than 1.5 sample periods are reported as dropped samples.
        Without such a name, a column that increases on every row is not taken
        for EMG: the reader asks for ``time_column=`` (or ``False``).
    time_units : {"s", "ms", "us"}, optional
        Unit of the time column.  Default: from its name (``time_ms``,
        ``time (us)``...), else from its spacing -- the one of s, ms, us that
        gives a rate between 50 Hz and 100 kHz; when two do, an error asks for
        ``time_units=``.
    ch_types : sequence of str, optional
        Channel types (default ``"emg"``; the sidecar's when present).
    muscles : Montage, sequence or mapping, optional
        Muscle under each channel.
    delimiter : str, optional
        Field separator; default guessed from the header (``,``, tab or ``;``).
    event_columns : sequence of str or int, optional
        Columns of per-sample labels (class, marker, trigger codes) that become
        events, not channels: each run of one nonzero value is an event
        labelled with the value (``"2"``; ``"<column>:2"`` when there are
        several such columns), lasting the run.  Default: integer columns with
        at most :data:`MAX_EVENT_CODES` values that change on at most 5 % of the
        rows, or that are named ``class``, ``label``, ``marker``, ``trigger``...;
        ``[]`` for none.
    markers : mapping, optional
        ``{code: label}`` for those events, e.g. ``{1: "trial", 2: "mvc"}``.

    Returns
    -------
    Recording

    Raises
    ------
    RecordingFileNotFoundError, FileFormatError, ValidationError, NonFiniteDataError
        Ragged rows, non-numeric cells, non-increasing or duplicated times name the
        line; NaN/inf name the channel, sample and line.
    """
    p = C.check_input_file(path)
    if sfreq is not None:
        sfreq = check_sfreq(sfreq)
    side = C.read_sidecar(p, _KIND)
    text = C.read_text(p)
    lines = text.splitlines()
    first = 0
    comments = []
    while first < len(lines) and (not lines[first].strip()
                                  or lines[first].lstrip().startswith("#")):
        if lines[first].strip():
            comments.append(lines[first].strip().lstrip("#").strip())
        first += 1
    if first >= len(lines):
        raise FileFormatError("no header or data rows (only comments or blank lines)", p)
    delim = delimiter or _delimiter(lines[first])
    head = [h.strip().strip('"').strip("'") for h in lines[first].split(delim)]
    if all(_is_number(h) for h in head):
        names = None
        data_start = first
    else:
        names = head
        data_start = first + 1
    rows, line_nos, n_fields, notes = C.split_data_lines(
        lines, data_start, p, delim, ends_with_newline=text.endswith(("\n", "\r")),
        skip_comments="#")
    if names is None:
        names = [f"EMG{k + 1}" for k in range(n_fields)]
    if len(names) != n_fields:
        raise FileFormatError(f"the header names {len(names)} columns but the rows have "
                              f"{n_fields} fields", p, first + 1)
    if any(not n for n in names):
        raise FileFormatError("the header has an empty column name", p, first + 1)
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise FileFormatError(f"duplicated column names {dup}", p, first + 1)

    table = C.parse_numeric(rows, line_nos, p, delim, range(n_fields), names)
    tcol: int | None = None
    if time_column is None:
        for j, nm in enumerate(names):
            if nm.lower() in _TIME_NAMES:
                tcol = j
                break
    elif time_column is False:
        tcol = None
    elif time_column is True:
        tcol = 0
    elif isinstance(time_column, int):
        if not -n_fields <= time_column < n_fields:
            raise ValidationError(f"time_column={time_column} is out of range for "
                                  f"{n_fields} columns")
        tcol = time_column % n_fields
    elif isinstance(time_column, str):
        if time_column not in names:
            raise ValidationError(f"time_column {time_column!r} is not a column; columns: "
                                  f"{', '.join(names)}")
        tcol = names.index(time_column)
    else:
        raise ValidationError(f"time_column must be a name, an index, True/False or None; "
                              f"got {time_column!r}")
    if time_units is not None:
        check_option("time_units", time_units, _TIME_UNITS)

    # label columns -> events, not EMG
    ev_cols: list[int] = []
    if event_columns is None:
        for j in range(n_fields):
            if j == tcol:
                continue
            named = names[j].lower() in _EVENT_NAMES
            col = table[:, j]
            integral = bool(np.all(np.isfinite(col)) and np.all(col == np.round(col)))
            if (named and integral) or _looks_like_labels(col):
                ev_cols.append(j)
    else:
        if isinstance(event_columns, (str, int)):
            event_columns = [event_columns]
        for c in event_columns:
            if isinstance(c, str) and c in names:
                ev_cols.append(names.index(c))
            elif isinstance(c, int) and not isinstance(c, bool) and -n_fields <= c < n_fields:
                ev_cols.append(c % n_fields)
            else:
                raise ValidationError(f"event_columns: {c!r} is not a column of {p.name} "
                                      f"(columns: {', '.join(names)})")
        if tcol is not None and tcol in ev_cols:
            raise ValidationError(f"event_columns names the time column {names[tcol]!r}")
    ch_idx = [j for j in range(n_fields) if j != tcol and j not in ev_cols]
    if not ch_idx:
        raise FileFormatError(
            "the table has no channel column (columns: "
            + ", ".join(f"{names[j]} ({'time' if j == tcol else 'events'})"
                        for j in range(n_fields)) + "); pass event_columns=[] if a "
            "label column is a channel", p)
    if time_column is None and tcol is None and len(rows) > 10:
        for j in ch_idx:
            if np.all(np.diff(table[:, j]) > 0):
                raise FileFormatError(
                    f"column {names[j]!r} increases on every row, as a time or sample "
                    f"counter does, not as EMG: pass time_column={names[j]!r} (with "
                    "time_units= if needed) to use it as time, or time_column=False to "
                    "read it as a channel", p)
    ch_names = [names[j] for j in ch_idx]

    meta: dict[str, Any] = dict(side.get("meta") or {}) if side else {}
    gaps: list[C.Gap] = []
    tu_used = None
    if tcol is not None:
        traw = table[:, tcol]
        if not np.isfinite(traw).all():
            k = int(np.flatnonzero(~np.isfinite(traw))[0])
            raise FileFormatError(f"time {traw[k]} in column {names[tcol]!r} is not finite",
                                  p, int(line_nos[k]))
        dt_raw = np.diff(traw)
        bad = np.flatnonzero(dt_raw <= 0)
        if bad.size:
            k = int(bad[0]) + 1
            what = "repeats" if dt_raw[k - 1] == 0 else "goes back from"
            raise FileFormatError(
                f"time column {names[tcol]!r} {what} the previous row ({traw[k - 1]!r} -> "
                f"{traw[k]!r}): times must increase strictly", p, int(line_nos[k]))
        tu_used = time_units or _time_unit_from_name(names[tcol])
        if tu_used is None:
            if side is not None or sfreq is not None or len(traw) < 2:
                tu_used = "s"
                if sfreq is not None and len(traw) >= 2:  # the rate given tells the unit
                    med = float(np.median(dt_raw))
                    tu_used = min(_TIME_UNITS, key=lambda u: abs(np.log(
                        med * _TIME_UNITS[u] * sfreq)))
            else:
                tu_used = _infer_time_unit(float(np.median(dt_raw)), names[tcol], p)
        t = traw * _TIME_UNITS[tu_used]
        dt = dt_raw * _TIME_UNITS[tu_used]
        if sfreq is None:
            if len(t) < 2:
                raise FileFormatError("one row cannot give the sampling frequency; pass "
                                      "sfreq=", p)
            sfreq = float(1.0 / np.median(dt))
            if not np.isfinite(sfreq) or sfreq <= 0:
                raise FileFormatError(f"the time column gives sfreq={sfreq}", p)
            if abs(sfreq - round(sfreq)) < 1e-6 * sfreq:
                sfreq = float(round(sfreq))
        big = np.flatnonzero(dt > 1.5 / sfreq)
        gaps = [C.Gap(int(k) + 1, max(int(round(dt[k] * sfreq)) - 1, 1), "timestamps")
                for k in big]
        meta["timestamps_s"] = t  # moved to rec.timestamps
        meta["timestamp_kind"] = "relative"
        meta["time_units"] = tu_used
    if sfreq is None:
        if side and side.get("sfreq"):
            sfreq = check_sfreq(side["sfreq"])
        else:
            raise ValidationError(
                f"{p}: the file has no time column (columns: {', '.join(names)}); pass "
                "sfreq= (Hz), or time_column= naming the column of sample times")
    units_given = units is not None or bool(side and side.get("units"))
    if units is None:
        units = str(side.get("units", "uV")) if side else "uV"
    if ch_types is None and side:
        ch_types = C.sidecar_list(side, "ch_types", len(ch_idx), p)
        bad = [t for t in ch_types or () if t not in CH_TYPES]
        if bad:
            raise FileFormatError(f"sidecar ch_types holds {bad[0]!r}, not one of "
                                  f"{', '.join(CH_TYPES)}", C.sidecar_path(p))
    types, scale = _scale_types(len(ch_idx), ch_types, units)
    volt_cols = [j for j, t in zip(ch_idx, types) if t in ("emg", "ecg")]
    if not units_given and volt_cols:
        C.check_default_units(table[:, volt_cols], p, what="the EMG columns")
    data = table[:, ch_idx].T * scale[:, None]
    dropped, events = C.dropped_samples_report(gaps, sfreq, line_nos, p)
    label_events = []
    for j in ev_cols:
        prefix = f"{names[j]}:" if len(ev_cols) > 1 else ""
        label_events += _label_runs(table[:, j], sfreq, prefix)
    events = events + label_events
    if side:
        events = [e for e in C.sidecar_events(side, p) if e.label != "dropped_samples"] + events
    if ev_cols:
        meta["event_columns"] = [names[j] for j in ev_cols]
    if muscles is not None:
        mus = C.exg_muscles(muscles, ch_names, len(ch_names))
    else:
        mus = C.stored_muscles(C.sidecar_list(side, "muscles", len(ch_idx), p)
                               if side else None, C.sidecar_path(p))
    meta.update({"source_format": "csv", "source_file": str(p), "dropped_samples": dropped,
                 **notes})
    if comments:
        meta["comments"] = comments
    params = {"path": str(p), "units": units, "sfreq": sfreq,
              "time_column": names[tcol] if tcol is not None else None,
              "time_units": tu_used, "event_columns": [names[j] for j in ev_cols]}
    rec = C.finish_recording(data, sfreq, ch_names, types, path=p, step="read_csv",
                             params=params, meta=meta, events=events, muscles=mus,
                             lines=line_nos)
    return C.apply_markers(rec, markers, p)


def write_csv(
    rec: Recording,
    path: str | Path,
    *,
    units: str = "uV",
    time_column: bool = True,
    precision: int = 12,
    sidecar: bool = True,
) -> Path:
    """Write a Recording as a comma-separated table with a header row.

    Parameters
    ----------
    rec : Recording
    path : str or Path
        Output file.
    units : {"V", "mV", "uV", "nV"}
        Unit of voltage channels in the file (accelerometer channels stay in g).
    time_column : bool
        Write a first column ``time_s`` (seconds from the first sample; it
        skips the samples that ``"dropped_samples"`` events mark as lost, so
        :func:`read_csv` reports the same gaps).
    precision : int
        Significant digits (default 12: relative error below 1e-12).
    sidecar : bool
        Also write ``<path>.json`` with sfreq, units, channel types, muscles,
        events and metadata, which :func:`read_csv` reads back.

    Returns
    -------
    Path
    """
    if not isinstance(rec, Recording):
        raise ValidationError(f"rec must be a Recording; got {type(rec).__name__}")
    check_option("units", units, UNITS)
    if not isinstance(precision, int) or not 1 <= precision <= 17:
        raise ValidationError(f"precision must be an int in 1..17; got {precision!r}")
    p = C.check_output_file(path)
    for nm in rec.ch_names:
        if re.search(r'[,\n\r"]', nm):
            raise ValidationError(f"channel name {nm!r} holds a comma, quote or newline: "
                                  "it cannot be a CSV header cell")
    data = rec.get_data(units=units)
    cum = C.encode_gaps_in_counter(rec.n_times, rec.sfreq, rec.events)
    cols = [(np.arange(rec.n_times) + cum) / rec.sfreq] if time_column else []
    header = (["time_s"] if time_column else []) + rec.ch_names
    table = np.column_stack([*cols, data.T]) if cols else data.T
    np.savetxt(p, table, delimiter=",", header=",".join(header), comments="",
               fmt=f"%.{precision}g")
    if not sidecar:
        stale = C.sidecar_path(p)
        if stale.is_file() and C.read_sidecar(p, _KIND) is not None:
            stale.unlink()
    else:
        meta = {k: v for k, v in rec.meta.items()
                if k not in ("timestamp_kind", "dropped_samples",
                             "source_file")}
        C.write_sidecar(p, {
            "kind": _KIND, "sfreq": rec.sfreq, "units": units,
            "ch_types": rec.ch_types,
            "muscles": [None if m is None else str(m) for m in rec.muscles],
            "events": [e.to_dict() for e in rec.events if e.label != "dropped_samples"],
            "meta": meta,
        })
    return p


# -------------------------------------------------------------------- numpy
def _check_npy_member(fh: Any, size: int, where: Path, key: str | None) -> None:
    """Refuse a .npy header whose shape needs more bytes than the file holds."""
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
        else:  # 2.0 and 3.0 headers differ only in the length field / encoding
            shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
    except Exception as err:  # noqa: BLE001 - corrupt headers raise many types
        label = f" (array {key!r})" if key else ""
        raise FileFormatError(f"corrupt .npy header{label}: {err}", where) from None
    need = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    if need > size:
        raise FileFormatError(f"truncated array{f' {key!r}' if key else ''}: shape {shape} "
                              f"needs {need} bytes, the file holds {size}", where)


def read_numpy(
    path: str | Path,
    *,
    sfreq: float | None = None,
    key: str | None = None,
    ch_names: Sequence[str] | None = None,
    units: str | None = None,
    layout: str = "auto",
    ch_types: Sequence[str] | None = None,
    muscles: Any = None,
    markers: Any = None,
) -> Recording:
    """Read a NumPy ``.npy`` array or one array of an ``.npz`` archive.

    Parameters
    ----------
    path : str or Path
        The file (pickled objects are refused).
    sfreq : float, optional
        Sampling frequency in Hz.  Required for ``.npy``; for ``.npz`` default
        from a scalar entry ``sfreq``, ``fs`` or ``srate``.
    key : str, optional
        Array of the ``.npz`` to read (default: its only 2-D or 1-D array).
    ch_names : sequence of str, optional
        Channel names (default ``EMG1..EMGn``).
    units : {"V", "mV", "uV", "nV"}, optional
        Unit of the voltage channels in the file; default microvolts, refused
        with an error naming ``units=`` when the numbers cannot be microvolts
        of EMG.
    layout : {"auto", "channels_first", "channels_last"}
        ``(n_channels, n_times)`` or ``(n_times, n_channels)``; ``"auto"`` takes
        the longer axis as time (recorded in the history).
    ch_types : sequence of str, optional
    muscles : Montage, sequence or mapping, optional
    markers : mapping, optional
        Accepted for symmetry with the other readers (arrays hold no events).

    Returns
    -------
    Recording
    """
    p = C.check_input_file(path)
    check_option("layout", layout, ("auto", "channels_first", "channels_last"))
    size = p.stat().st_size
    fsz: float | None = None
    with open(p, "rb") as fh:
        magic = fh.read(6)
    if magic == b"\x93NUMPY":
        with open(p, "rb") as fh:
            _check_npy_member(fh, size, p, None)
        try:
            arr = np.load(p, allow_pickle=False)
        except Exception as err:  # noqa: BLE001
            raise FileFormatError(f"cannot read the .npy array: {err}", p) from None
        src = "npy"
    elif magic.startswith(b"PK"):
        try:
            with zipfile.ZipFile(p) as zf:
                infos = {i.filename[:-4]: i for i in zf.infolist()
                         if i.filename.endswith(".npy")}
                for k, info in infos.items():
                    with zf.open(info) as fh:
                        _check_npy_member(fh, info.file_size, p, k)
            with np.load(p, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except FileFormatError:
            raise
        except Exception as err:  # noqa: BLE001 - zip and npy errors of many types
            raise FileFormatError(f"cannot read the .npz archive: {err}", p) from None
        src = "npz"
        for nm in ("sfreq", "fs", "srate", "sampling_rate"):
            if nm in arrays and arrays[nm].size == 1 and arrays[nm].dtype.kind in "iuf":
                fsz = float(arrays[nm].reshape(()))
                break
        if key is None:
            cands = [k for k, a in arrays.items() if a.ndim in (1, 2) and a.size > 1
                     and a.dtype.kind in "iuf"]
            if len(cands) != 1:
                raise FileFormatError(
                    f"pass key= to choose the array; the archive holds "
                    f"{', '.join(f'{k} {arrays[k].shape}' for k in arrays) or 'nothing'}", p)
            key = cands[0]
        if key not in arrays:
            raise ValidationError(f"key {key!r} is not in the archive; it holds "
                                  f"{', '.join(arrays)}")
        arr = arrays[key]
    else:
        raise FileFormatError("not a NumPy .npy or .npz file", p)
    if arr.dtype.kind not in "iuf" or arr.ndim not in (1, 2) or arr.size == 0:
        raise FileFormatError(f"array{f' {key!r}' if key else ''} must be a 1-D or 2-D "
                              f"non-empty numeric array; got shape {arr.shape}, dtype "
                              f"{arr.dtype}", p)
    arr = np.atleast_2d(np.asarray(arr, dtype=np.float64))
    transposed = False
    if layout == "channels_last" or (layout == "auto" and arr.shape[0] > arr.shape[1]):
        arr = arr.T
        transposed = True
    if sfreq is None:
        sfreq = fsz
    if sfreq is None:
        raise ValidationError(f"{p}: NumPy arrays carry no sampling rate; pass sfreq= (Hz)")
    sfreq = check_sfreq(sfreq)
    n = arr.shape[0]
    names = [f"EMG{k + 1}" for k in range(n)] if ch_names is None else [str(c) for c in ch_names]
    if len(names) != n:
        raise ValidationError(f"ch_names has {len(names)} names but the array has {n} "
                              f"channels (shape {arr.shape} after layout={layout!r})")
    if units is None:
        units = "uV"
        types0 = ["emg"] * n if ch_types is None else [str(t) for t in ch_types]
        rows_v = [i for i, t in enumerate(types0[:n]) if t in ("emg", "ecg")]
        if rows_v:
            C.check_default_units(arr[rows_v], p, what=f"the array{f' {key!r}' if key else ''}")
    types, scale = _scale_types(n, ch_types, units)
    mus = C.exg_muscles(muscles, names, n) if muscles is not None else None
    meta = {"source_format": src, "source_file": str(p)}
    if key:
        meta["key"] = key
    params = {"path": str(p), "key": key, "units": units, "layout": layout,
              "transposed": transposed}
    rec = C.finish_recording(arr * scale[:, None], sfreq, names, types, path=p,
                             step="read_numpy", params=params, meta=meta, muscles=mus)
    return C.apply_markers(rec, markers, p)
