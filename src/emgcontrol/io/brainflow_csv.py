"""BrainFlow CSV files, as ``brainflow.DataFilter.write_file(data, path, "w")`` writes them.

One line per sample, one tab-separated column per board row (``%f``: six
decimals), no header.  The meaning of each column comes from the board
description (``BoardShim.get_exg_channels``, ``get_accel_channels``,
``get_marker_channel``, ``get_timestamp_channel``, ``get_package_num_channel``,
``get_sampling_rate``).  EXG rows are microvolts.

BrainFlow CSV has no channel names: :func:`write_brainflow_csv` stores names,
types, muscles, event labels and durations in a JSON sidecar ``<path>.json``
that :func:`read_brainflow_csv` reads back when present.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FileFormatError, ValidationError
from ..hardware import counter_spec
from ..recording import Event, Recording
from . import _common as C
from ._boards import BOARD_IDS, board_id_from, board_name

__all__ = ["read_brainflow_csv", "write_brainflow_csv", "board_layout"]

_KIND = "brainflow-csv"
_ACC_NAMES = ("ACC_X", "ACC_Y", "ACC_Z")


def board_layout(board: Any) -> dict[str, Any]:
    """Row layout of a BrainFlow board.

    Parameters
    ----------
    board : str, int or BoardIds
        ``"cyton"``, ``"cyton-daisy"``, ``"ganglion"``, ``"synthetic"``, a
        ``BoardIds`` member or its int value.

    Returns
    -------
    dict
        ``board_id``, ``name``, ``num_rows``, ``exg`` (row indices), ``accel``,
        ``marker``, ``timestamp``, ``package``, ``sfreq`` (Hz).
    """
    board_id = board_id_from(board)
    from brainflow.board_shim import BoardShim
    from brainflow.exit_codes import BrainFlowError

    def rows(fn: Any) -> list[int]:
        try:
            return [int(r) for r in fn(board_id)]
        except BrainFlowError:
            return []

    def row(fn: Any) -> int | None:
        try:
            return int(fn(board_id))
        except BrainFlowError:
            return None

    try:
        num_rows = int(BoardShim.get_num_rows(board_id))
        sfreq = float(BoardShim.get_sampling_rate(board_id))
    except BrainFlowError:
        names = ", ".join(repr(n) for n in BOARD_IDS)
        raise ValidationError(
            f"board {board!r} has no BrainFlow row description; use one of {names} "
            "or another brainflow BoardIds member that streams data") from None
    return {
        "board_id": board_id, "name": board_name(board_id), "num_rows": num_rows,
        "exg": rows(BoardShim.get_exg_channels), "accel": rows(BoardShim.get_accel_channels),
        "marker": row(BoardShim.get_marker_channel),
        "timestamp": row(BoardShim.get_timestamp_channel),
        "package": row(BoardShim.get_package_num_channel), "sfreq": sfreq,
    }


def _boards_with_rows(n: int) -> list[str]:
    out = []
    for name in BOARD_IDS:
        try:
            if board_layout(name)["num_rows"] == n:
                out.append(name)
        except ValidationError:  # pragma: no cover
            continue
    return out


def _sidecar_sfreq(side: dict[str, Any] | None, path: Path, lay: dict[str, Any]) -> float:
    """The file's rate: the sidecar's ``sfreq`` when it states one, else the board's."""
    if not side or side.get("sfreq") is None:
        return float(lay["sfreq"])
    value = side["sfreq"]
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value) and value > 0
    if not ok:
        raise FileFormatError(f"sidecar 'sfreq' must be a positive number of Hz; got "
                              f"{value!r}", C.sidecar_path(path))
    return float(value)


def _counter_gaps(package: np.ndarray, times: np.ndarray | None, board_id: int,
                  sfreq: float) -> list[C.Gap]:
    spec = counter_spec(board_id)
    if not np.isfinite(package).all():
        return C.find_gaps(None, sfreq=sfreq, times=times) if times is not None else []
    idx = np.round(package).astype(np.int64)
    if spec.ganglion_packets:
        keys = np.where((idx >= 1) & (idx <= 200), (idx - 1) % 100, -1)
        return C.find_gaps(None, sfreq=sfreq, modulus=100, times=times, packet_keys=keys,
                           samples_per_packet=2)
    if (idx < 0).any():
        return C.find_gaps(None, sfreq=sfreq, times=times) if times is not None else []
    modulus = spec.modulus or int(idx.max()) + 1
    modulus = max(modulus, int(idx.max()) + 1)
    return C.find_gaps(idx, sfreq=sfreq, modulus=modulus, step=spec.step, times=times)


def read_brainflow_csv(
    path: str | Path,
    *,
    board: Any = None,
    muscles: Any = None,
    sfreq: float | None = None,
    markers: Any = None,
) -> Recording:
    """Read a BrainFlow CSV file (``DataFilter.write_file`` output).

    Parameters
    ----------
    path : str or Path
        The file.
    board : str, int or BoardIds, optional
        Board whose rows the file holds: ``"cyton"``, ``"cyton-daisy"``,
        ``"ganglion"``, ``"synthetic"``, a ``BoardIds`` member or its int.  Default:
        the board named in the sidecar ``<path>.json`` if there is one, else
        ``"cyton"``.  A playback file has the rows of its master board.
    muscles : Montage, sequence or mapping, optional
        Muscle under each EXG channel (overrides the sidecar's).
    sfreq : float, optional
        Only to check: BrainFlow files run at the board's rate, or at the rate
        their sidecar states (files written with ``native_rate=False``).

    markers : mapping, optional
        ``{code: label}`` for the marker events, e.g. ``{1: "trial", 2: "mvc"}``.

    Returns
    -------
    Recording
        EXG rows as ``EXG1..EXGn`` (``emg``, volts; names from the sidecar when
        present), accelerometer rows as ``ACC_X/Y/Z`` (``acc``, g).  Marker row
        values become events (label = the value, e.g. ``"2"``, or the sidecar's
        label), gaps of the package counter ``"dropped_samples"`` events.
        ``meta``: ``board``, ``board_id``, ``meas_date``,
        ``dropped_samples`` (and ``board_sfreq`` when the sidecar states
        another rate than the board's).

    Raises
    ------
    RecordingFileNotFoundError, FileFormatError, ValidationError, NonFiniteDataError

    Warns
    -----
    DroppedSamplesWarning
        When the package counter or the timestamps show lost samples.
    """
    p = C.check_input_file(path)
    side = C.read_sidecar(p, _KIND)
    if board is None and side:
        try:
            lay = board_layout(side.get("board_id", "cyton"))
        except ValidationError as err:
            raise FileFormatError(f"sidecar board_id: {err}", C.sidecar_path(p)) from None
    else:
        lay = board_layout("cyton" if board is None else board)
    sf = _sidecar_sfreq(side, p, lay)
    if sfreq is not None and abs(float(sfreq) - sf) > 1e-9 * sf:
        where = (f"board {lay['name']!r}, which runs at {sf:g} Hz" if sf == lay["sfreq"]
                 else f"the rate {sf:g} Hz stated in the sidecar")
        raise ValidationError(f"sfreq={sfreq!r} contradicts {where}")
    text = C.read_text(p)
    lines = text.splitlines()
    rows, line_nos, n_fields, notes = C.split_data_lines(
        lines, 0, p, "\t", ends_with_newline=text.endswith(("\n", "\r")))
    if n_fields != lay["num_rows"]:
        match = _boards_with_rows(n_fields)
        hint = (f"; boards with {n_fields} rows: {', '.join(match)}" if match
                else "; is it a BrainFlow file? (generic tables: read_csv)")
        raise FileFormatError(
            f"rows have {n_fields} tab-separated columns but board {lay['name']!r} "
            f"writes {lay['num_rows']}{hint}", p, int(line_nos[0]))
    table = C.parse_numeric(rows, line_nos, p, "\t", range(n_fields),
                            [f"row {j}" for j in range(n_fields)])

    n_exg_all = len(lay["exg"])
    exg_rows, acc_rows = list(lay["exg"]), list(lay["accel"][:3])
    ch_names = [f"EXG{k + 1}" for k in range(n_exg_all)] + list(_ACC_NAMES[:len(acc_rows)])
    ch_types = ["emg"] * n_exg_all + ["acc"] * len(acc_rows)
    side_muscles: list[Any] | None = None
    if side:
        try:
            n_exg = int(side.get("n_exg", n_exg_all))
            n_acc = int(side.get("n_acc", len(acc_rows)))
        except (TypeError, ValueError, OverflowError):
            raise FileFormatError(f"sidecar n_exg {side.get('n_exg')!r} / n_acc "
                                  f"{side.get('n_acc')!r} are not channel counts",
                                  C.sidecar_path(p)) from None
        if not (0 <= n_exg <= n_exg_all and 0 <= n_acc <= len(acc_rows)):
            raise FileFormatError(f"sidecar lists {n_exg} EXG and {n_acc} accelerometer "
                                  f"channels; board {lay['name']!r} has {n_exg_all} and "
                                  f"{len(acc_rows)}", C.sidecar_path(p))
        exg_rows, acc_rows = exg_rows[:n_exg], acc_rows[:n_acc]
        n_ch = n_exg + n_acc
        ch_names = C.sidecar_list(side, "ch_names", n_ch, p) or (
            [f"EXG{k + 1}" for k in range(n_exg)] + list(_ACC_NAMES[:n_acc]))
        ch_types = C.sidecar_list(side, "ch_types", n_ch, p) or (
            ["emg"] * n_exg + ["acc"] * n_acc)
        side_muscles = C.sidecar_list(side, "muscles", n_ch, p)
        bad = [t for t in ch_types if t not in ("emg", "ecg", "acc", "misc")]
        if bad:
            raise FileFormatError(f"sidecar ch_types holds {bad[0]!r}, not one of emg, "
                                  "ecg, acc, misc", C.sidecar_path(p))
        names_ok = all(isinstance(c, str) and c for c in ch_names)
        if not names_ok or len(set(ch_names)) != len(ch_names):
            raise FileFormatError(f"sidecar ch_names {ch_names!r} are not distinct "
                                  "non-empty names", C.sidecar_path(p))
    n_exg = len(exg_rows)

    data = np.empty((n_exg + len(acc_rows), len(rows)), dtype=np.float64)
    data[:n_exg] = table[:, exg_rows].T * 1e-6
    data[n_exg:] = table[:, acc_rows].T

    meta: dict[str, Any] = dict(side.get("meta") or {}) if side else {}
    times = None
    if lay["timestamp"] is not None:
        times = table[:, lay["timestamp"]].copy()
        if np.isfinite(times).all():
            kind = "unix" if np.median(times) > 1e8 else "relative"
            meta["timestamps_s"] = times  # moved to rec.timestamps
            meta["timestamp_kind"] = kind
            if kind == "unix":
                try:
                    meta["meas_date"] = _dt.datetime.fromtimestamp(
                        float(times[0]), tz=_dt.timezone.utc).isoformat()
                except (OverflowError, OSError, ValueError):
                    pass
        else:
            times = None
    gaps: list[C.Gap] = []
    if lay["package"] is not None:
        gaps = _counter_gaps(table[:, lay["package"]], times, lay["board_id"], sf)
    dropped, events = C.dropped_samples_report(gaps, sf, line_nos, p)

    if lay["marker"] is not None:
        mk = table[:, lay["marker"]]
        saved = {}
        if side:
            for ev in side.get("events") or []:
                try:
                    saved[(int(ev["sample"]), float(ev["code"]))] = ev
                except (KeyError, TypeError, ValueError, OverflowError):
                    continue
        for k in np.flatnonzero((mk != 0) & np.isfinite(mk)):
            ev = saved.get((int(k), float(mk[k])))
            if ev is not None:
                try:
                    e = Event(float(ev["onset"]), float(ev.get("duration", 0.0)),
                              str(ev["label"]))
                except (KeyError, TypeError, ValueError):
                    e = None
                if e is not None and np.isfinite(e.onset) and np.isfinite(e.duration) \
                        and e.duration >= 0:
                    events.append(e)
                    continue
                C.warn(f"{C.sidecar_path(p)}: the sidecar entry of the marker at sample "
                       f"{int(k)} is malformed ({ev!r}); the marker keeps its code")
            events.append(Event(float(k) / sf, 0.0, f"{mk[k]:g}"))

    mus: list[Any] | None
    if muscles is not None:
        mus = C.exg_muscles(muscles, ch_names[:n_exg], len(ch_names))
    else:
        mus = C.stored_muscles(side_muscles, C.sidecar_path(p))
    meta.update({
        "device": "BrainFlow", "board": lay["name"], "board_id": lay["board_id"],
        "source_format": "brainflow-csv", "source_file": str(p),
        "dropped_samples": dropped, **notes,
    })
    if sf != lay["sfreq"]:
        meta["board_sfreq"] = lay["sfreq"]
    params = {"path": str(p), "board": lay["name"], "sidecar": side is not None}
    rec = C.finish_recording(data, sf, ch_names, ch_types, path=p,
                             step="read_brainflow_csv", params=params, meta=meta,
                             events=events, muscles=mus, lines=line_nos)
    return C.apply_markers(rec, markers, p)


def _marker_codes(events: Sequence[Event]) -> dict[str, float]:
    """A nonzero numeric code per event label (numeric labels keep their value)."""
    codes: dict[str, float] = {}
    used: set[float] = set()
    for ev in events:
        try:
            v = float(ev.label)
        except ValueError:
            continue
        if v != 0 and math.isfinite(v) and abs(v) < 1e9:
            codes[ev.label] = v
            used.add(v)
    nxt = 1.0
    for ev in events:
        if ev.label in codes:
            continue
        while nxt in used:
            nxt += 1.0
        codes[ev.label] = nxt
        used.add(nxt)
    return codes


def write_brainflow_csv(
    rec: Recording,
    path: str | Path,
    *,
    board: Any = None,
    sidecar: bool = True,
    native_rate: bool = True,
) -> Path:
    """Write a Recording as a BrainFlow CSV file (``DataFilter.write_file`` format).

    The file can be replayed by BrainFlow's playback board (master board =
    ``board``) and read back by :func:`read_brainflow_csv`.

    Parameters
    ----------
    rec : Recording
        EMG/ECG channels go to the board's EXG rows (in microvolts), ``acc``
        channels to its accelerometer rows.  ``rec.sfreq`` must be the board's
        rate unless ``native_rate=False``.
    path : str or Path
        Output file.
    board : str, int or BoardIds, optional
        Row layout; default ``rec.meta["board"]`` when it names a known board,
        else ``"cyton"``.
    sidecar : bool
        Also write ``<path>.json`` with channel names, types, muscles, event
        labels and durations and the metadata (default True).
    native_rate : bool
        True (default): ``rec.sfreq`` must be the board's rate, so that
        BrainFlow's playback board replays the file at the right speed.  False:
        any rate is written, with the board's row layout; the rate is stored
        in the sidecar (required then), which :func:`read_brainflow_csv` reads.
        BrainFlow itself knows only the board's rate and would replay such a
        file at that rate.

    Returns
    -------
    Path
        The data file.

    Notes
    -----
    The package counter counts samples (wrapping as the board's does) and
    advances across the gaps marked by ``"dropped_samples"`` events, so a round
    trip reports the same dropped samples.  Timestamps are the ones read
    from a file when ``rec.timestamps`` holds them, else
    ``meas_date`` (or 0) plus the sample time.  Events other than
    ``dropped_samples`` become markers: numeric labels keep their value, other
    labels get codes 1, 2, ... (the sidecar maps them back).
    """
    if not isinstance(rec, Recording):
        raise ValidationError(f"rec must be a Recording; got {type(rec).__name__}")
    p = C.check_output_file(path)
    if board is None:
        b = rec.meta.get("board")
        board = b if isinstance(b, str) and b in BOARD_IDS else "cyton"
    if not isinstance(native_rate, (bool, np.bool_)):
        raise ValidationError(f"native_rate must be True or False; got {native_rate!r}")
    lay = board_layout(board)
    if abs(rec.sfreq - lay["sfreq"]) > 1e-6 * lay["sfreq"]:
        if native_rate:
            raise ValidationError(
                f"board {lay['name']!r} streams at {lay['sfreq']:g} Hz but the recording is "
                f"at {rec.sfreq:g} Hz; resample it, choose the board that recorded it, or "
                "pass native_rate=False to store the rate in the sidecar")
        if not sidecar:
            raise ValidationError(
                f"the recording is at {rec.sfreq:g} Hz, not board {lay['name']!r}'s "
                f"{lay['sfreq']:g} Hz: with native_rate=False the rate is stored only in the "
                "sidecar, so sidecar=False is not possible")
    types = rec.ch_types
    exg_idx = [i for i, t in enumerate(types) if t in ("emg", "ecg")]
    acc_idx = [i for i, t in enumerate(types) if t == "acc"]
    other = [rec.ch_names[i] for i, t in enumerate(types) if t not in ("emg", "ecg", "acc")]
    if other:
        raise ValidationError(
            f"BrainFlow CSV has no row for channels {other} (type misc); pick the EMG/ECG "
            "and accelerometer channels first")
    if len(exg_idx) > len(lay["exg"]):
        raise ValidationError(
            f"the recording has {len(exg_idx)} EMG/ECG channels but board {lay['name']!r} "
            f"has {len(lay['exg'])} EXG rows")
    if len(acc_idx) > len(lay["accel"]):
        raise ValidationError(
            f"the recording has {len(acc_idx)} accelerometer channels but board "
            f"{lay['name']!r} has {len(lay['accel'])} accelerometer rows")
    n = rec.n_times
    out = np.zeros((lay["num_rows"], n), dtype=np.float64)
    data = rec.data
    for r, i in zip(lay["exg"], exg_idx):
        out[r] = data[i] * 1e6
    for r, i in zip(lay["accel"], acc_idx):
        out[r] = data[i]
    meta = rec.meta
    cum = C.encode_gaps_in_counter(n, rec.sfreq, rec.events)
    seq = np.arange(n, dtype=np.int64) + cum
    spec = counter_spec(lay["board_id"])
    if lay["package"] is not None:
        if spec.ganglion_packets:
            out[lay["package"]] = 101 + (seq // 2) % 100
        else:
            out[lay["package"]] = (seq * spec.step) % (spec.modulus or 256)
    if lay["timestamp"] is not None:
        ts = rec.timestamps
        if ts is not None:
            out[lay["timestamp"]] = ts
        else:
            t0 = 0.0
            if isinstance(meta.get("meas_date"), str):
                try:
                    t0 = _dt.datetime.fromisoformat(meta["meas_date"]).timestamp()
                except ValueError:
                    t0 = 0.0
            out[lay["timestamp"]] = t0 + seq / rec.sfreq
    side_events = []
    evs = [e for e in rec.events if e.label != "dropped_samples"]
    if evs and lay["marker"] is None:
        C.warn(f"board {lay['name']!r} has no marker row: {len(evs)} events are "
               "kept only in the sidecar")
    codes = _marker_codes(evs)
    taken: set[int] = set()
    for ev in evs:
        k = min(max(int(round(ev.onset * rec.sfreq)), 0), n - 1)
        while k in taken and k < n - 1:
            k += 1
        if k in taken:
            C.warn(f"no free sample left for event {ev.label!r} at {ev.onset} s: it is "
                   "kept only in the sidecar")
            continue
        taken.add(k)
        if lay["marker"] is not None:
            out[lay["marker"], k] = codes[ev.label]
        side_events.append({"onset": ev.onset, "duration": ev.duration, "label": ev.label,
                            "sample": k, "code": codes[ev.label]})
    if not np.isfinite(out).all():  # pragma: no cover - Recording data are finite
        raise ValidationError("cannot write non-finite values")
    from brainflow.data_filter import DataFilter

    DataFilter.write_file(np.ascontiguousarray(out), str(p), "w")
    if not sidecar:
        stale = C.sidecar_path(p)
        if stale.is_file() and C.read_sidecar(p, _KIND) is not None:
            stale.unlink()  # ours, from an earlier write: it would describe other data
    else:
        order = exg_idx + acc_idx
        keep_meta = {k: v for k, v in meta.items()
                     if k not in ("dropped_samples", "source_file")}
        C.write_sidecar(p, {
            "kind": _KIND, "board": lay["name"], "board_id": lay["board_id"],
            "sfreq": rec.sfreq, "n_exg": len(exg_idx), "n_acc": len(acc_idx),
            "units": {"exg": "uV", "accel": "g"},
            "ch_names": [rec.ch_names[i] for i in order],
            "ch_types": [types[i] for i in order],
            "muscles": [None if rec.muscles[i] is None else str(rec.muscles[i]) for i in order],
            "events": side_events, "meta": keep_meta,
        })
    return p

