"""Helpers shared by the readers and writers: paths, sidecars, dropped samples.

Nothing here imports a heavy package; numpy only.  :mod:`emgcontrol.io` exports
the ones that recording code outside ``io`` uses too (sidecars, output checks,
sample-counter gaps).
"""

from __future__ import annotations

import errno
import json
import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._validate import check_finite
from ..errors import (
    DroppedSamplesWarning,
    EmgcontrolWarning,
    FileFormatError,
    NonFiniteDataError,
    RecordingFileNotFoundError,
    ValidationError,
)
from ..montage import Montage, parse_muscle
from ..recording import Event, Recording

SIDECAR_FORMAT: str = "emgcontrol-sidecar"
"""Value of the ``"format"`` key that marks a JSON sidecar as written by emgcontrol."""

SIDECAR_VERSION: int = 1
"""Version of the sidecar layout (the ``"version"`` key)."""


# ---------------------------------------------------------------------- paths
def as_path(path: Any, name: str = "path") -> Path:
    """Return ``path`` as a :class:`~pathlib.Path` (str or path-like), else raise."""
    if isinstance(path, Path):
        return path.expanduser()
    if isinstance(path, (str, os.PathLike)):
        return Path(os.fspath(path)).expanduser()
    raise ValidationError(f"{name} must be a str or path-like; got {type(path).__name__}")


def check_input_file(path: Any) -> Path:
    """Check that ``path`` names an existing, non-empty regular file.

    Raises
    ------
    RecordingFileNotFoundError
        The file does not exist.
    FileFormatError
        It is a directory or it is empty.
    """
    p = as_path(path)
    if not p.exists():
        raise RecordingFileNotFoundError(errno.ENOENT, "no such recording file", str(p))
    if p.is_dir():
        raise FileFormatError("is a directory, not a recording file", p)
    if p.stat().st_size == 0:
        raise FileFormatError("the file is empty (0 bytes)", p)
    return p


def check_output_file(path: str | os.PathLike[str]) -> Path:
    """Check that a file can be written at ``path`` (its folder exists, it is not a folder).

    Whether the file exists already is the caller's decision (``overwrite=``).

    Parameters
    ----------
    path : str or path-like
        The output file.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path` (``~`` expanded).

    Raises
    ------
    ValidationError
        ``path`` is not a str or path-like, is a directory, or its folder does not exist.
    """
    p = as_path(path)
    if p.is_dir():
        raise ValidationError(f"path {str(p)!r} is a directory; give a file name")
    if not p.parent.exists():
        raise ValidationError(f"cannot write {str(p)!r}: folder {str(p.parent)!r} does not exist")
    return p


def read_text(path: Path) -> str:
    """Read a text file; undecodable bytes become U+FFFD (parsing then fails cleanly)."""
    with open(path, encoding="utf-8", errors="replace", newline=None) as fh:
        return fh.read()


def warn(message: str, category: type[Warning] = EmgcontrolWarning) -> None:
    """Warn with the location of the first caller outside the emgcontrol package."""
    pkg = str(Path(__file__).resolve().parents[1])
    frame = sys._getframe(1)
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(pkg):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


# ----------------------------------------------------------------- sidecars
def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """The JSON sidecar next to a data file: ``<path>.json``.

    Parameters
    ----------
    path : str or path-like
        The data file (it need not exist).

    Returns
    -------
    Path
        ``rec.csv`` -> ``rec.csv.json``, in the same folder.
    """
    p = as_path(path)
    return p.with_name(p.name + ".json")


def write_sidecar(path: Path, content: Mapping[str, Any]) -> Path:
    """Write the sidecar of ``path`` (channel names, muscles, events...)."""
    side = sidecar_path(path)
    body = {"format": SIDECAR_FORMAT, "version": SIDECAR_VERSION, **content}
    side.write_text(json.dumps(body, indent=1, default=str), encoding="utf-8")
    return side


def read_sidecar(path: str | os.PathLike[str], kind: str) -> dict[str, Any] | None:
    """Read the sidecar of a data file if there is one written for ``kind``.

    Parameters
    ----------
    path : str or path-like
        The data file (the sidecar is :func:`sidecar_path` of it).
    kind : str
        Kind of data file the sidecar must describe (its ``"kind"`` key), e.g.
        ``"brainflow-csv"`` or ``"csv"``.

    Returns
    -------
    dict or None
        The sidecar's content; None if there is no sidecar, or if it is a JSON
        file that emgcontrol did not write (no ``"format":`` :data:`SIDECAR_FORMAT`).

    Raises
    ------
    FileFormatError
        The sidecar is not valid JSON, or it is ours but describes another kind
        of file: it would otherwise silently change the channel names or events.
    """
    side = sidecar_path(path)
    if not side.is_file():
        return None
    try:
        body = json.loads(side.read_text(encoding="utf-8", errors="replace"))
    except ValueError as err:
        raise FileFormatError(f"sidecar is not valid JSON ({err})", side) from None
    if not isinstance(body, dict) or body.get("format") != SIDECAR_FORMAT:
        return None  # someone else's JSON file: not ours, ignore it
    if body.get("kind") != kind:
        raise FileFormatError(
            f"sidecar describes a {body.get('kind')!r} file, not a {kind!r} file", side)
    return body


def sidecar_list(body: Mapping[str, Any], key: str, n: int, side: Path) -> list[Any] | None:
    """Return ``body[key]`` if it is a list of length ``n`` (else raise), None if absent."""
    val = body.get(key)
    if val is None:
        return None
    if not isinstance(val, list) or len(val) != n:
        raise FileFormatError(
            f"sidecar entry {key!r} must list {n} values (one per channel); got {val!r}",
            sidecar_path(side))
    return val


def sidecar_events(body: Mapping[str, Any], side: Path) -> list[Event]:
    """Events stored in a sidecar (validated)."""
    out = []
    for i, ev in enumerate(body.get("events") or []):
        try:
            e = Event(float(ev["onset"]), float(ev.get("duration", 0.0)), str(ev["label"]))
        except (KeyError, TypeError, ValueError):
            e = None
        if e is None or not (np.isfinite(e.onset) and np.isfinite(e.duration)
                             and e.duration >= 0):
            raise FileFormatError(f"sidecar events[{i}] is malformed: {ev!r}",
                                  sidecar_path(side))
        out.append(e)
    return out


# ----------------------------------------------------------- finite checks
def check_finite_rows(data: np.ndarray, ch_names: Sequence[str], path: Path,
                      lines: np.ndarray | None = None) -> None:
    """Like :func:`check_finite` but the message also names the file and line.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_times)
    ch_names : sequence of str
    path : Path
    lines : ndarray of int, optional
        1-based file line of every sample.
    """
    try:
        check_finite(data, ch_names)
    except NonFiniteDataError as err:
        bad = ~np.isfinite(data)
        sample = int(np.argwhere(bad)[0][1])
        where = str(path)
        if lines is not None and sample < len(lines):
            where += f", line {int(lines[sample])}"
        raise NonFiniteDataError(f"{where}: {err}") from None


# ------------------------------------------------------------ muscles
def exg_muscles(muscles: Any, exg_names: Sequence[str], n_total: int) -> list[Any] | None:
    """Muscles for a reader's EXG channels (the first ``len(exg_names)`` channels).

    ``muscles`` may be None, a :class:`Montage` (its muscles, by position), a
    sequence (by position, at most one per EXG channel, None to skip) or a
    mapping ``{channel name: muscle}``.
    """
    if muscles is None:
        return None
    n_exg = len(exg_names)
    out: list[Any] = [None] * n_total
    if isinstance(muscles, Montage):
        seq: list[Any] = list(muscles.muscles)
    elif isinstance(muscles, Mapping):
        for ch, mus in muscles.items():
            if ch not in exg_names:
                raise ValidationError(
                    f"muscles names channel {ch!r}, which is not an EXG channel of the file "
                    f"(EXG channels: {', '.join(exg_names)})")
            out[list(exg_names).index(ch)] = mus
        return out
    elif isinstance(muscles, Sequence) and not isinstance(muscles, str):
        seq = list(muscles)
    else:
        raise ValidationError(
            "muscles must be a Montage, a list (one muscle per EXG channel) or a mapping "
            f"channel -> muscle; got {muscles!r}")
    if len(seq) > n_exg:
        raise ValidationError(
            f"muscles lists {len(seq)} muscles but the file has {n_exg} EXG channels")
    out[: len(seq)] = seq
    return out


def stored_muscles(values: Sequence[Any] | None, where: Path) -> list[Any] | None:
    """Parse muscles stored in a file or sidecar; unknown ones warn and become None.

    A damaged or foreign muscle text must not make the samples unreadable.
    """
    if values is None:
        return None
    out: list[Any] = []
    for v in values:
        if v is None or (isinstance(v, str) and not v.strip()):
            out.append(None)
            continue
        try:
            out.append(parse_muscle(str(v)))
        except ValidationError as err:
            warn(f"{where}: muscle {v!r} stored in the file is not understood ({err}); "
                 "the channel is left without muscle")
            out.append(None)
    return out


# ---------------------------------------------------------- dropped samples
@dataclass(frozen=True)
class Gap:
    """Samples lost between data row ``sample - 1`` and data row ``sample``.

    Attributes
    ----------
    sample : int
        Index (0-based) of the first data row after the loss.
    n_missing : int
        Number of samples lost there.
    source : str
        What showed the loss: ``"counter"`` (the sample counter), ``"timestamps"``
        (a time jump, when the counter wrapped during the loss or there is none)
        or another reader-specific source such as ``"record onsets"`` (EDF+D).
    """

    sample: int
    n_missing: int
    source: str


def _robust_offsets(times: np.ndarray, sfreq: float, lo: int, hi: int) -> float:
    """Median of ``times[k] - k / sfreq`` over ``k`` in ``[lo, hi)``."""
    k = np.arange(lo, hi)
    return float(np.median(times[lo:hi] - k / sfreq))


def find_gaps(
    counter: np.ndarray | None,
    *,
    sfreq: float,
    modulus: int | None = None,
    step: int = 1,
    times: np.ndarray | None = None,
    packet_keys: np.ndarray | None = None,
    samples_per_packet: int = 1,
) -> list[Gap]:
    """Find dropped samples from a wrapping sample counter and/or timestamps.

    Parameters
    ----------
    counter : ndarray of int, shape (n_times,), optional
        Sample counter as written by the board (wraps at ``modulus``).
    sfreq : float
        Sampling frequency in Hz.
    modulus : int, optional
        Counter period (256 for Cyton, 201 for the old Ganglion GUI export);
        default ``max(counter) + 1``.
    step : int
        Counter increment per sample (2 for Cyton+Daisy in BrainFlow).
    times : ndarray of float, shape (n_times,), optional
        Timestamps in seconds.  A jump larger than one counter period means
        that the counter wrapped (or restarted) during the loss: the number of
        missing samples then comes from the timestamps, estimated robustly from
        the median offset of up to one period of samples on each side.
    packet_keys : ndarray of int, shape (n_times,), optional
        For boards that send several samples per packet (BrainFlow Ganglion):
        replaces ``counter`` (one key per sample, equal within a packet,
        wrapping at ``modulus``); samples without a key are marked with -1 and
        skipped.
    samples_per_packet : int
        Samples per packet key (2 for the BrainFlow Ganglion).

    Returns
    -------
    list of Gap
        Sorted by sample; empty for fewer than two samples.  The data rows stay
        contiguous: each gap says where samples are missing and how many.
    """
    n = next((len(a) for a in (counter, packet_keys, times) if a is not None), 0)
    if n < 2:
        return []
    cand: dict[int, int] = {}  # sample after the gap -> missing by counter
    period_samples: float | None = None
    if packet_keys is not None:
        keys = np.asarray(packet_keys, dtype=np.int64)
        mod = int(modulus) if modulus else int(keys.max()) + 1
        valid = keys >= 0
        change = np.flatnonzero((np.diff(keys) != 0) & valid[1:] & valid[:-1]) + 1
        if change.size:
            prev = keys[change - 1]
            d = np.mod(keys[change] - prev, mod)
            missing = (d - 1) * samples_per_packet
            for pos, m in zip(change[missing > 0], missing[missing > 0]):
                cand[int(pos)] = int(m)
        period_samples = mod * samples_per_packet
    elif counter is not None:
        c = np.asarray(counter, dtype=np.int64)
        mod = int(modulus) if modulus else int(c.max()) + 1
        if mod > 1:
            d = np.mod(np.diff(c), mod)
            missing = np.mod(d - step, mod) // max(step, 1)
            # d == 0 is a repeated counter value, not a loss of a whole period
            missing[d == 0] = 0
            for pos in np.flatnonzero(missing > 0):
                cand[int(pos) + 1] = int(missing[pos])
            period_samples = mod / max(step, 1)
    if times is not None:
        t = np.asarray(times, dtype=np.float64)
        if np.isfinite(t).all():
            wrap_s = (period_samples or sfreq) / sfreq
            dt = np.diff(t)
            for pos in np.flatnonzero(dt > wrap_s):
                cand.setdefault(int(pos) + 1, 0)
            if cand:
                bounds = sorted(cand)
                w = int(period_samples or sfreq)
                for j, s in enumerate(bounds):
                    lo = max(bounds[j - 1] if j else 0, s - w)
                    hi = min(bounds[j + 1] if j + 1 < len(bounds) else n, s + w)
                    jump = _robust_offsets(t, sfreq, s, hi) - _robust_offsets(t, sfreq, lo, s)
                    if jump > wrap_s:
                        cand[s] = -max(int(round(jump * sfreq)), 1)  # negative: from times
    gaps = []
    for s in sorted(cand):
        m = cand[s]
        if m < 0:
            gaps.append(Gap(s, -m, "timestamps"))
        elif m > 0:
            gaps.append(Gap(s, m, "counter"))
    return gaps


def dropped_samples_report(
    gaps: Sequence[Gap], sfreq: float, lines: np.ndarray | None, path: Path,
    *, announce: bool = True,
) -> tuple[dict[str, Any], list[Event]]:
    """Turn gaps into ``meta["dropped_samples"]``, events and a warning.

    Returns
    -------
    meta : dict
        ``{"count": total missing, "gaps": [{"sample", "time_s", "n_missing",
        "line", "source"}]}``; ``sample`` is the index in the data of the first
        sample after the gap, ``line`` its 1-based line in the file.
    events : list of Event
        One ``"dropped_samples"`` event per gap, at the first sample after the
        gap, lasting ``n_missing / sfreq`` seconds.
    """
    items = []
    events = []
    for g in gaps:
        line = int(lines[g.sample]) if lines is not None and g.sample < len(lines) else None
        items.append({"sample": int(g.sample), "time_s": g.sample / sfreq,
                      "n_missing": int(g.n_missing), "line": line, "source": g.source})
        events.append(Event(g.sample / sfreq, g.n_missing / sfreq, "dropped_samples"))
    total = int(sum(g.n_missing for g in gaps))
    if gaps and announce:
        shown = "; ".join(
            f"{it['n_missing']} before sample {it['sample']} (t={it['time_s']:.3f} s"
            + (f", line {it['line']}" if it["line"] is not None else "") + ")"
            for it in items[:5])
        more = f"; and {len(items) - 5} more gaps" if len(items) > 5 else ""
        warn(f"{path}: {total} dropped sample(s) in {len(items)} gap(s): {shown}{more}. "
             "The data stay contiguous; see meta['dropped_samples'] and the "
             "'dropped_samples' events.", DroppedSamplesWarning)
    return {"count": total, "gaps": items}, events


def encode_gaps_in_counter(n_times: int, sfreq: float, events: Sequence[Event]) -> np.ndarray:
    """Cumulative missing samples before each sample, from ``"dropped_samples"`` events.

    Writers use it to advance the sample counter and timestamps across the
    gaps a reader reported, so that a round trip reports the same gaps.  The
    events (not ``meta``) are used because :meth:`Recording.crop` keeps them
    aligned with the samples.
    """
    cum = np.zeros(n_times, dtype=np.int64)
    for ev in events:
        if ev.label != "dropped_samples":
            continue
        s, m = int(round(ev.onset * sfreq)), int(round(ev.duration * sfreq))
        if 0 < s < n_times and m > 0:
            cum[s:] += m
    return cum


def finish_recording(
    data: np.ndarray, sfreq: float, ch_names: Sequence[str], ch_types: Sequence[str],
    *, path: Path, step: str, params: Mapping[str, Any], meta: Mapping[str, Any],
    events: Sequence[Event] = (), muscles: Sequence[Any] | None = None,
    lines: np.ndarray | None = None,
) -> Recording:
    """Build the Recording a reader returns (data already in SI units)."""
    check_finite_rows(data, ch_names, path, lines)
    meta = dict(meta)
    timestamps = meta.pop("timestamps_s", None)  # per-sample: kept beside the data
    return Recording(data, sfreq, ch_names, ch_types=ch_types, muscles=muscles,
                     events=events, meta=meta, timestamps=timestamps,
                     history=[{"step": step, "params": dict(params)}])


# ------------------------------------------------------------- text tables
def split_data_lines(
    lines: Sequence[str], first: int, path: Path, delim: str, *,
    ends_with_newline: bool, skip_comments: str | None = None,
) -> tuple[list[str], np.ndarray, int, dict[str, Any]]:
    """Collect the data lines of a delimited text table and check the field counts.

    Parameters
    ----------
    lines : sequence of str
        All lines of the file.
    first : int
        0-based index of the first data line.
    path : Path
        For messages.
    delim : str
        Field delimiter.
    ends_with_newline : bool
        Whether the file ends with a newline; a short last line without one is
        taken as a row cut by an interrupted recording: it is dropped with a
        warning (recorded in the returned notes), not an error.
    skip_comments : str, optional
        Lines starting with this prefix are skipped.

    Returns
    -------
    rows : list of str
        The data lines (blank lines skipped).
    line_numbers : ndarray of int
        1-based file line of each row.
    n_fields : int
        Fields per row.
    notes : dict
        ``{"dropped_incomplete_last_line": line}`` when that happened.

    Raises
    ------
    FileFormatError
        No data rows, or a row with a different number of fields (ragged).
    """
    rows: list[str] = []
    numbers: list[int] = []
    for i in range(first, len(lines)):
        s = lines[i]
        if not s.strip() or (skip_comments and s.lstrip().startswith(skip_comments)):
            continue
        rows.append(s)
        numbers.append(i + 1)
    if not rows:
        raise FileFormatError("the file has a header but no data rows", path)
    counts = np.fromiter((r.count(delim) for r in rows), dtype=np.int64, count=len(rows)) + 1
    n_fields = int(np.bincount(counts).argmax())
    notes: dict[str, Any] = {}
    bad = np.flatnonzero(counts != n_fields)
    if bad.size and bad[0] == len(rows) - 1 and counts[-1] < n_fields and not ends_with_newline:
        notes["dropped_incomplete_last_line"] = numbers[-1]
        warn(f"{path}, line {numbers[-1]}: the last row is incomplete "
             f"({counts[-1]} of {n_fields} fields; the file ends without a newline, "
             "as an interrupted recording does): it was dropped")
        rows.pop()
        numbers.pop()
        bad = bad[:-1]
        if not rows:
            raise FileFormatError("the file has no complete data row", path)
    if bad.size:
        k = int(bad[0])
        raise FileFormatError(
            f"ragged rows: this row has {counts[k]} fields but the rows have {n_fields} "
            f"(delimiter {delim!r})", path, numbers[k])
    return rows, np.asarray(numbers, dtype=np.int64), n_fields, notes


def parse_numeric(rows: Sequence[str], line_numbers: np.ndarray, path: Path, delim: str,
                  usecols: Sequence[int], col_names: Sequence[str] | None = None
                  ) -> np.ndarray:
    """Parse numeric columns of checked rows with :func:`numpy.loadtxt`.

    Returns an array of shape (n_rows, len(usecols)).  A cell that is not a
    number raises :class:`FileFormatError` naming the line and the column.
    """
    import re

    try:
        return np.loadtxt(rows, delimiter=delim, usecols=list(usecols), dtype=np.float64,
                          ndmin=2, comments=None)
    except ValueError as err:
        m = re.search(r"string '(.*)' to float64 at row (\d+), column (\d+)", str(err))
        if m:
            row, col = int(m.group(2)), int(m.group(3)) - 1
            name = col_names[col] if col_names is not None and col < len(col_names) else \
                f"column {usecols[col] + 1 if col < len(usecols) else '?'}"
            line = int(line_numbers[row]) if row < len(line_numbers) else None
            raise FileFormatError(f"{name}: {m.group(1).strip()!r} is not a number",
                                  path, line) from None
        raise FileFormatError(f"cannot parse the numbers: {err}", path) from None


def parse_clock_times(values: Sequence[str], line_numbers: np.ndarray, path: Path
                      ) -> np.ndarray:
    """Parse ``hh:mm:ss.mmm`` strings to seconds, unwrapping midnight."""
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values):
        parts = v.strip().split(":")
        try:
            if len(parts) != 3:
                raise ValueError
            h, m, s = int(parts[0]), int(parts[1]), float(parts[2])
        except ValueError:
            raise FileFormatError(f"timestamp {v.strip()!r} is not hh:mm:ss.mmm", path,
                                  int(line_numbers[i])) from None
        out[i] = h * 3600 + m * 60 + s
    back = np.flatnonzero(np.diff(out) < -43200)  # passed midnight
    for pos in back:
        out[pos + 1:] += 86400.0
    return out


# ------------------------------------------------------------ markers, types
def check_markers(markers: Any) -> dict[str, str] | None:
    """Validate ``markers=``: ``{code: label}`` -> ``{"<code>": label}``.

    Codes are the numeric marker or trigger values a file stores (``1``,
    ``2``...; int, or a str holding a number); labels are non-empty text such
    as ``"trial"``, ``"mvc"``, ``"trial_end"`` or ``"mvc:left gluteus maximus"``.
    A str ``"1=trial,2=mvc"`` (the command-line form) is accepted too.
    """
    if markers is None:
        return None
    if isinstance(markers, str):
        items: list[tuple[Any, Any]] = []
        for part in markers.split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise ValidationError(
                    f"markers: {part.strip()!r} is not CODE=LABEL (e.g. "
                    "'1=trial,2=mvc')")
            k, v = part.split("=", 1)
            items.append((k.strip(), v.strip()))
    elif isinstance(markers, Mapping):
        items = list(markers.items())
    else:
        raise ValidationError("markers must be a mapping {code: label} such as "
                              f"{{1: 'trial', 2: 'mvc'}}; got {markers!r}")
    out: dict[str, str] = {}
    for k, v in items:
        code: float | None
        if isinstance(k, bool):
            code = None
        elif isinstance(k, (int, np.integer, float, np.floating)):
            code = float(k)
        elif isinstance(k, str):
            try:
                code = float(k)
            except ValueError:
                code = None
        else:
            code = None
        if code is None or not np.isfinite(code):
            raise ValidationError(f"markers: code {k!r} is not a number (the codes are the "
                                  "numeric marker values of the file, e.g. 1, 2)")
        if not isinstance(v, str) or not v.strip():
            raise ValidationError(f"markers: the label of code {k!r} must be a non-empty "
                                  f"str such as 'trial' or 'mvc'; got {v!r}")
        out[f"{code:g}"] = v.strip()
    if not out:
        raise ValidationError("markers is empty; give {code: label}, e.g. {1: 'trial'}")
    return out


def marker_code(label: str) -> str | None:
    """The numeric code of an event label (``"1"``, ``"2.0"`` -> ``"1"``, ``"2"``), or None."""
    try:
        v = float(label)
    except ValueError:
        return None
    return f"{v:g}" if np.isfinite(v) else None


def apply_markers(rec: Recording, markers: Any, path: Path | None = None) -> Recording:
    """Relabel numeric marker events by ``markers`` (see :func:`check_markers`).

    Events whose label is a code of the mapping take its label; other events
    stay.  A code of the mapping that the file never holds warns (naming the
    codes it does hold), since a misspelt mapping would otherwise silently
    leave the trials unmarked.
    """
    table = check_markers(markers)
    if table is None:
        return rec
    found: dict[str, int] = {}
    events = []
    for ev in rec.events:
        code = marker_code(ev.label)
        if code is not None and code in table:
            found[code] = found.get(code, 0) + 1
            events.append(Event(ev.onset, ev.duration, table[code]))
        else:
            events.append(ev)
    missing = [c for c in table if c not in found]
    if missing:
        held = sorted({c for e in rec.events if (c := marker_code(e.label)) is not None},
                      key=float)
        where = f"{path}: " if path is not None else ""
        warn(f"{where}markers names code(s) {', '.join(missing)} that the file does not "
             f"hold (its numeric markers: {', '.join(held) or 'none'})")
    return rec.with_step("markers", {"markers": table, "relabelled": found},
                         events=events)


def override_types(types: list[str], names: Sequence[str], ch_types: Any,
                   voltage: Sequence[bool], path: Path) -> list[str]:
    """Apply ``ch_types=`` (a sequence, one per channel, or ``{channel: type}``).

    ``voltage[i]`` tells whether channel ``i`` holds volts (its file unit is a
    voltage); a channel whose unit is not a voltage cannot become ``emg`` or
    ``ecg``, since its values could not be put in volts.
    """
    from ..recording import CH_TYPES

    if ch_types is None:
        return types
    out = list(types)
    if isinstance(ch_types, Mapping):
        pairs = []
        for ch, t in ch_types.items():
            if ch not in names:
                raise ValidationError(f"ch_types names channel {ch!r}, which is not in "
                                      f"{path.name} (channels: {', '.join(names)})")
            pairs.append((list(names).index(ch), t))
    elif isinstance(ch_types, str):
        pairs = [(i, ch_types) for i in range(len(names))]
    elif isinstance(ch_types, Sequence):
        if len(ch_types) != len(names):
            raise ValidationError(f"ch_types lists {len(ch_types)} types but {path.name} "
                                  f"has {len(names)} channels ({', '.join(names)})")
        pairs = list(enumerate(ch_types))
    else:
        raise ValidationError("ch_types must be a type for all channels, a list (one per "
                              f"channel) or a mapping channel -> type; got {ch_types!r}")
    for i, t in pairs:
        if t not in CH_TYPES:
            raise ValidationError(f"ch_types: {t!r} for channel {names[i]!r} is not one "
                                  f"of {', '.join(CH_TYPES)}")
        if t in ("emg", "ecg") and not voltage[i]:
            raise ValidationError(
                f"ch_types: channel {names[i]!r} of {path.name} is not stored in a "
                f"voltage unit, so it cannot be typed {t!r}")
        out[i] = t
    return out


# ------------------------------------------------------------ units default
PLAUSIBLE_UV = (1.0, 2e6)
"""Range of the typical amplitude (99th percentile of |x - median|, or the
offset if larger) that sEMG numbers in microvolts take.  Below 1: the
recording would stay under the noise floor of any sEMG amplifier (about
0.3-1 uV RMS, so its 99th percentile is above 1 uV) -- the file is in mV or V;
above 2e6 (2 V) no EMG amplifier delivers (ADC counts or nV)."""


def check_default_units(values: np.ndarray, path: Path, what: str = "the data",
                        keyword: str = "units") -> None:
    """Refuse the ``"uV"`` default where the numbers cannot be microvolts.

    Called only when the caller did not give ``units=`` and the file does not
    state them: a recording in volts read as microvolts would be a million
    times too small, silently.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return
    med = float(np.median(x))
    spread = float(np.percentile(np.abs(x - med), 99))
    level = max(spread, abs(med))
    if level == 0.0:
        return
    lo, hi = PLAUSIBLE_UV
    if level < lo:
        guess = "'V'" if level < 1e-3 else "'mV' or 'V'"
        raise FileFormatError(
            f"{what} do not say their unit and their typical size is {level:.3g}: as "
            f"microvolts (the default) that is {level:.3g} uV, below the noise of any EMG "
            f"amplifier. Pass "
            f"{keyword}= (probably {guess}; one of V, mV, uV, nV)", path)
    if level > hi:
        raise FileFormatError(
            f"{what} do not say their unit and their typical size is {level:.3g}: as "
            f"microvolts (the default) that is {level * 1e-6:.3g} V, more than any EMG "
            f"amplifier gives. Pass {keyword}= (one of V, mV, uV, nV), or convert ADC "
            "counts first", path)
