"""Reader of OpenBCI GUI text exports (``OpenBCI-RAW-*.txt``), all generations.

Three layouts exist (the same Cyton session exported by each reads to the same
EXG data):

``v6``  ``%OpenBCI Raw EXG Data`` header, a row of column names (``Sample Index,
        EXG Channel 0, ..., Accel Channel 0, ..., Timestamp, Marker Channel,
        Timestamp (Formatted)``).
``v5``  ``%OpenBCI Raw EEG Data`` + ``%Board = ...``, no names row, BrainFlow row
        order (index, EXG, accel, other, analog, timestamp) then the formatted
        time; starts with an all-zero row, which is dropped.
``v1-4`` ``%OpenBCI Raw EEG Data`` + ``%First Column = SampleIndex``: index, EXG,
        accel (zero where no new accelerometer value came: held from the last
        value, as later GUIs do), formatted time, optionally a unix time in ms.

EXG values are microvolts in the file and volts in the Recording; accelerometer
values are g.  The sample index wraps (Cyton 0-255, Ganglion 0-200 in old
exports); its gaps, and timestamp jumps longer than a counter period, are
reported as dropped samples.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FileFormatError, ValidationError
from ..recording import Event, Recording
from . import _common as C
from ._boards import BOARD_IDS

__all__ = ["read_openbci_txt"]

_DEFAULT_SFREQ = {"cyton": 250.0, "cyton-daisy": 125.0, "ganglion": 200.0, "synthetic": 250.0}
_N_EXG = {"cyton": 8, "cyton-daisy": 16, "ganglion": 4, "synthetic": 16}
_ACC_NAMES = ("ACC_X", "ACC_Y", "ACC_Z")


def _header(lines: list[str], path: Path) -> tuple[dict[str, str], int]:
    """Parse the ``%key = value`` header; return it and the first non-header index."""
    head: dict[str, str] = {}
    i = 0
    while i < len(lines) and lines[i].startswith("%"):
        body = lines[i][1:].strip()
        if "=" in body:
            k, v = body.split("=", 1)
            head[k.strip()] = v.strip()
        i += 1
    return head, i


def _board_from_header(head: dict[str, str], n_exg: int | None, sfreq: float | None
                       ) -> str | None:
    text = head.get("Board", "").lower()
    if "daisy" in text:
        return "cyton-daisy"
    if "ganglion" in text:
        return "ganglion"
    if "cyton" in text:
        return "cyton"
    if "synthetic" in text:
        return "synthetic"
    if n_exg == 4 or sfreq == 200.0:
        return "ganglion"
    if n_exg == 16:
        return "cyton-daisy"
    if n_exg == 8:
        return "cyton"
    return None


def _is_zero_row(row: str) -> bool:
    try:
        return all(float(f) == 0.0 for f in row.split(","))
    except ValueError:
        return False


def _looks_like_clock(text: str) -> bool:
    return re.fullmatch(r"\s*\d{1,2}:\d{2}:\d{2}(\.\d+)?\s*", text) is not None


def _columns_v6(names: list[str], path: Path, line: int) -> dict[str, Any]:
    exg, acc = [], []
    cols: dict[str, Any] = {"index": None, "unix": None, "clock": None, "marker": None}
    for j, name in enumerate(names):
        low = name.lower()
        if low == "sample index":
            cols["index"] = j
        elif re.fullmatch(r"(exg|eeg|emg) channel \d+", low):
            exg.append(j)
        elif re.fullmatch(r"accel channel \d+", low):
            acc.append(j)
        elif low == "timestamp":
            cols["unix"] = j
        elif low == "timestamp (formatted)":
            cols["clock"] = j
        elif low == "marker channel":
            cols["marker"] = j
    if cols["index"] is None or not exg:
        raise FileFormatError(
            "the column-name row lacks 'Sample Index' or 'EXG Channel n' columns", path, line)
    cols["exg"], cols["acc"] = exg, acc[:3]
    return cols


def _columns_positional(first_row: list[str], n_exg: int | None, has_board_line: bool,
                        path: Path, line: int) -> dict[str, Any]:
    """Column roles of v1-v5 exports (no names row), from the first data row."""
    n = len(first_row)
    clock = [j for j, f in enumerate(first_row) if _looks_like_clock(f)]
    unix = []
    for j, f in enumerate(first_row[1:], start=1):
        try:
            v = float(f)
        except ValueError:
            continue
        if abs(v) > 1e9 and (n_exg is None or j > n_exg):
            unix.append(j)
    n_time = len(clock) + len(unix)
    if n_exg is None:  # old Ganglion exports have an empty "%" line instead of the count
        n_exg = n - 1 - n_time - 3
        if n_exg < 1:
            raise FileFormatError(
                f"cannot tell the EXG columns: {n} fields per row and no "
                "'%Number of channels' header line", path, line)
    if 1 + n_exg > n - n_time:
        raise FileFormatError(
            f"the header announces {n_exg} channels but the rows have only {n} fields",
            path, line)
    exg = list(range(1, 1 + n_exg))
    rest = [j for j in range(1 + n_exg, n) if j not in clock and j not in unix]
    acc = rest[:3] if len(rest) >= 3 else []
    return {"index": 0, "exg": exg, "acc": acc, "unix": unix[0] if unix else None,
            "clock": clock[0] if clock else None, "marker": None,
            "generation": "v5" if has_board_line else "v1-4"}


def _hold_accel(acc: np.ndarray) -> np.ndarray:
    """Hold the last accelerometer value where a v1-4 export wrote 0, 0, 0."""
    new = np.any(acc != 0, axis=1)
    if not new.any():
        return acc
    idx = np.where(new, np.arange(len(acc)), 0)
    np.maximum.accumulate(idx, out=idx)
    return acc[idx]


def read_openbci_txt(
    path: str | Path,
    *,
    board: str | None = None,
    muscles: Any = None,
    sfreq: float | None = None,
    markers: Any = None,
) -> Recording:
    """Read an OpenBCI GUI text export (``%OpenBCI Raw ...``), GUI v1 to v6.

    Parameters
    ----------
    path : str or Path
        The ``.txt`` file.
    board : {"cyton", "cyton-daisy", "ganglion", "synthetic"}, optional
        Board that recorded it; default from the ``%Board`` header line, else from
        the channel count and sampling rate.  It fixes the counter period (Cyton
        256; Ganglion 201 in old exports).
    muscles : Montage, sequence or mapping, optional
        Muscle under each EXG channel (by position, or ``{"EXG1": "left multifidus"}``).
    sfreq : float, optional
        Only to check: a value different from the header's rate is an error.

    markers : mapping, optional
        ``{code: label}`` for the marker events, e.g. ``{1: "trial", 2: "mvc"}``.

    Returns
    -------
    Recording
        EXG channels ``EXG1..EXGn`` (type ``emg``, volts), accelerometer
        ``ACC_X/ACC_Y/ACC_Z`` (type ``acc``, g) when the file has them.  Events:
        nonzero ``Marker Channel`` values (label = the value, e.g. ``"3"``) and
        ``"dropped_samples"`` (onset at the first sample after a gap, duration
        = missing samples / sfreq).  ``meta`` holds ``board``, ``source_format``,
        ``header``, ``meas_date`` (UTC, when the file has unix times),
        ``timestamp_kind`` (per-sample timestamps, unix seconds or seconds of the
        day, are in ``rec.timestamps``), ``dropped_samples`` and ``dropped_rows``.

    Raises
    ------
    RecordingFileNotFoundError, FileFormatError, NonFiniteDataError, ValidationError

    Warns
    -----
    DroppedSamplesWarning
        When the sample counter or the timestamps show lost samples.
    """
    p = C.check_input_file(path)
    text = C.read_text(p)
    lines = text.splitlines()
    if not lines or not lines[0].startswith("%OpenBCI Raw"):
        raise FileFormatError("not an OpenBCI GUI export: the first line must start with "
                              "'%OpenBCI Raw'", p, 1)
    head, first = _header(lines, p)
    sfreq_head: float | None = None
    if "Sample Rate" in head:
        m = re.match(r"\s*([0-9.eE+-]+)", head["Sample Rate"])
        try:
            sfreq_head = float(m.group(1)) if m else None
        except ValueError:
            sfreq_head = None
        if sfreq_head is None or not np.isfinite(sfreq_head) or sfreq_head <= 0:
            raise FileFormatError(f"header 'Sample Rate = {head['Sample Rate']}' is not a "
                                  "positive number of Hz", p)
    n_exg_head: int | None = None
    if "Number of channels" in head:
        try:
            n_exg_head = int(head["Number of channels"])
        except ValueError:
            n_exg_head = -1
        if not 1 <= n_exg_head <= 1024:
            raise FileFormatError(f"header 'Number of channels = "
                                  f"{head['Number of channels']}' is not a channel count", p)

    # names row (v6) ---------------------------------------------------------
    names: list[str] | None = None
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first < len(lines):
        f0 = lines[first].split(",")[0].strip()
        try:
            float(f0)
        except ValueError:
            names = [s.strip() for s in lines[first].split(",")]
            first += 1
    rows, line_nos, n_fields, notes = C.split_data_lines(
        lines, first, p, ",", ends_with_newline=text.endswith(("\n", "\r")))

    # leading all-zero rows (v5 writes one) ------------------------------------
    n_zero = 0
    while n_zero < len(rows) and _is_zero_row(rows[n_zero]):
        n_zero += 1
    if n_zero == len(rows):
        raise FileFormatError("every data row is zero: no samples", p)
    dropped_rows = [int(x) for x in line_nos[:n_zero]]
    rows, line_nos = rows[n_zero:], line_nos[n_zero:]

    if names is not None:
        if len(names) != n_fields:
            raise FileFormatError(f"the column-name row has {len(names)} names but the rows "
                                  f"have {n_fields} fields", p, first)
        cols = _columns_v6(names, p, first)
        generation = "v6"
    else:
        cols = _columns_positional(rows[0].split(","), n_exg_head, "Board" in head, p,
                                   int(line_nos[0]))
        generation = cols["generation"]
    n_exg = len(cols["exg"])

    if board is None:
        board_key = _board_from_header(head, n_exg, sfreq_head)
    else:
        key = str(board).strip().lower().replace("_", "-")
        if key not in BOARD_IDS:
            raise ValidationError(f"board must be one of {', '.join(map(repr, BOARD_IDS))}; "
                                  f"got {board!r}")
        board_key = key
    sf = sfreq_head if sfreq_head is not None else _DEFAULT_SFREQ.get(board_key or "")
    if sf is None:
        raise FileFormatError("the header has no 'Sample Rate' and the board is unknown; "
                              "pass board=", p)
    if sfreq is not None and abs(float(sfreq) - sf) > 1e-9 * sf:
        raise ValidationError(f"sfreq={sfreq!r} contradicts the file's sample rate {sf:g} Hz")

    # numbers -------------------------------------------------------------------
    numeric = [cols["index"], *cols["exg"], *cols["acc"]]
    if cols["unix"] is not None:
        numeric.append(cols["unix"])
    if cols["marker"] is not None:
        numeric.append(cols["marker"])
    col_names = (["sample index"] + [f"EXG{k + 1}" for k in range(n_exg)]
                 + list(_ACC_NAMES[: len(cols["acc"])])
                 + ["timestamp"] * (cols["unix"] is not None)
                 + ["marker"] * (cols["marker"] is not None))
    table = C.parse_numeric(rows, line_nos, p, ",", numeric, col_names)
    index = table[:, 0]
    exg_uv = table[:, 1:1 + n_exg]
    acc = table[:, 1 + n_exg:1 + n_exg + len(cols["acc"])]
    pos = 1 + n_exg + len(cols["acc"])
    unix = table[:, pos] if cols["unix"] is not None else None
    marker = table[:, -1] if cols["marker"] is not None else None
    if generation == "v1-4" and acc.size:
        acc = _hold_accel(acc)

    # timestamps -----------------------------------------------------------------
    meta_extra: dict[str, Any] = {}
    times: np.ndarray | None = None
    if unix is not None and np.isfinite(unix).all():
        times = unix / 1000.0 if np.median(unix) > 1e11 else unix.copy()
        kind = "unix"
        try:
            meas = _dt.datetime.fromtimestamp(float(times[0]), tz=_dt.timezone.utc)
            meta_extra["meas_date"] = meas.isoformat()
        except (OverflowError, OSError, ValueError):
            pass
    elif cols["clock"] is not None:
        clock_vals = [r.split(",")[cols["clock"]] for r in rows]
        times = C.parse_clock_times(clock_vals, line_nos, p)
        kind = "time_of_day"
    if times is not None:
        meta_extra["timestamps_s"] = times  # moved to rec.timestamps
        meta_extra["timestamp_kind"] = kind

    # dropped samples ------------------------------------------------------------
    bad_idx = ~np.isfinite(index) | (index < 0) | (index != np.round(index))
    if bad_idx.any():
        k = int(np.flatnonzero(bad_idx)[0])
        raise FileFormatError(f"sample index {index[k]!r} is not a non-negative integer",
                              p, int(line_nos[k]))
    idx = index.astype(np.int64)
    max_idx = int(idx.max())
    if board_key == "ganglion" and generation in ("v5", "v6"):
        keys = np.where((idx >= 1) & (idx <= 200), (idx - 1) % 100, -1)
        gaps = C.find_gaps(None, sfreq=sf, modulus=100, times=times, packet_keys=keys,
                           samples_per_packet=2)
        counter_note = "BrainFlow Ganglion packet ids (2 samples per id)"
        modulus: int | None = 100
    else:
        base = {"cyton": 256, "cyton-daisy": 256, "synthetic": 256, "ganglion": 201}
        modulus = max(base.get(board_key or "", 0), max_idx + 1)
        d = np.mod(np.diff(idx), modulus) if len(idx) > 1 else np.array([1])
        nz = d[d > 0]
        step = 2 if nz.size and np.count_nonzero(nz == 2) > nz.size / 2 else 1
        gaps = C.find_gaps(idx, sfreq=sf, modulus=modulus, step=step, times=times)
        counter_note = f"period {modulus}, step {step}"
    dropped, gap_events = C.dropped_samples_report(gaps, sf, line_nos, p)

    events: list[Event] = list(gap_events)
    if marker is not None:
        for k in np.flatnonzero((marker != 0) & np.isfinite(marker)):
            events.append(Event(float(k) / sf, 0.0, f"{marker[k]:g}"))

    ch_names = [f"EXG{k + 1}" for k in range(n_exg)] + list(_ACC_NAMES[: acc.shape[1]])
    ch_types = ["emg"] * n_exg + ["acc"] * acc.shape[1]
    data = np.empty((len(ch_names), len(rows)), dtype=np.float64)
    data[:n_exg] = exg_uv.T * 1e-6
    data[n_exg:] = acc.T
    mus = C.exg_muscles(muscles, ch_names[:n_exg], len(ch_names))
    meta = {
        "device": "OpenBCI",
        "board": board_key,
        "source_format": f"openbci-gui-{generation}",
        "source_file": str(p),
        "header": head,
        "sample_counter": counter_note,
        **meta_extra,
        "dropped_samples": dropped,
        "dropped_rows": {"lines": dropped_rows,
                         "reason": "leading all-zero rows written by the GUI"} if dropped_rows
        else {"lines": [], "reason": None},
        **notes,
    }
    params = {"path": str(p), "generation": generation, "board": board_key,
              "dropped_leading_zero_rows": n_zero}
    if generation == "v1-4" and acc.size:
        params["accel"] = "held last value where the file wrote 0,0,0"
    rec = C.finish_recording(data, sf, ch_names, ch_types, path=p, step="read_openbci_txt",
                             params=params, meta=meta, events=events, muscles=mus,
                             lines=line_nos)
    return C.apply_markers(rec, markers, p)
