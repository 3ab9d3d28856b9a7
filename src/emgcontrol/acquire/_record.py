"""``record()``: stream a board to a BrainFlow CSV file, losing nothing."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._validate import check_positive
from ..errors import ValidationError
from ._boards import SIMULATED
from ._session import Block, BoardConnectionError, BoardSession

__all__ = ["record", "RecordResult"]


@dataclass
class RecordResult:
    """What :func:`record` wrote.

    Attributes
    ----------
    path : Path
        The BrainFlow CSV file (read it with :func:`emgcontrol.read`).
    sidecar : Path
        Its JSON sidecar (board, montage, channel names, markers, status).
    board : str
        Board name.
    sfreq : float
        Sampling rate, Hz.
    n_samples : int
        Samples written (= rows of the file).
    dropped : dict
        ``{"count", "gaps": [{"sample", "time_s", "n_missing", "line", "source"}]}``.
    flags : list of dict
        Railed/flat channel events (``channel``, ``kind``, ``active``, ``sample``...).
    markers : list of dict
        ``sample``, ``time_s``, ``code``, ``label``.
    reconnections : list of dict
        Connection losses and how they ended.
    status : str
        ``"complete"``, ``"interrupted"`` (Ctrl+C / stop event) or
        ``"disconnected"``.
    stopped_by : str
        ``"duration"``, ``"stop"`` (event or callback), ``"interrupt"`` or
        ``"disconnect"``.
    """

    path: Path
    sidecar: Path
    board: str
    sfreq: float
    n_samples: int
    dropped: dict[str, Any]
    flags: list[dict[str, Any]] = field(default_factory=list)
    markers: list[dict[str, Any]] = field(default_factory=list)
    reconnections: list[dict[str, Any]] = field(default_factory=list)
    status: str = "complete"
    stopped_by: str = "duration"

    @property
    def duration(self) -> float:
        """Seconds of data written (``n_samples / sfreq``)."""
        return self.n_samples / self.sfreq

    def read(self) -> Any:
        """Read the file back as a :class:`~emgcontrol.Recording`."""
        from ..io import read

        return read(self.path)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"path": str(self.path), "sidecar": str(self.sidecar), "board": self.board,
                "sfreq": self.sfreq, "n_samples": self.n_samples,
                "duration_s": self.duration, "dropped_samples": self.dropped,
                "channel_flags": self.flags, "markers": self.markers,
                "reconnections": self.reconnections, "status": self.status,
                "stopped_by": self.stopped_by}

    def summary(self) -> str:
        """A few lines for a user."""
        lines = [f"recorded {self.duration:.2f} s ({self.n_samples} samples at {self.sfreq:g} Hz"
                 f") from board {self.board!r} to {self.path} [{self.status}]"]
        d = self.dropped
        lines.append(f"  dropped samples: {d['count']} in {len(d['gaps'])} gap(s)")
        active = {}
        for f in self.flags:
            if f["active"]:
                active.setdefault(f["kind"], set()).add(f["channel"])
        for kind, chans in active.items():
            lines.append(f"  {kind} channels: {', '.join(sorted(chans))}")
        if self.markers:
            labels: dict[str, int] = {}
            for m in self.markers:
                labels[m["label"]] = labels.get(m["label"], 0) + 1
            lines.append("  markers: " + ", ".join(f"{k} x{v}" for k, v in labels.items()))
        if self.reconnections:
            ok = sum(1 for r in self.reconnections if r.get("resumed"))
            lines.append(f"  connection lost {len(self.reconnections)} time(s), "
                         f"resumed {ok} time(s)")
        return "\n".join(lines)


def record(
    path: str | os.PathLike[str],
    board: Any = SIMULATED,
    *,
    duration: float | None = None,
    montage: Any = None,
    session: BoardSession | None = None,
    overwrite: bool = False,
    on_block: Callable[[Block], Any] | None = None,
    stop: threading.Event | None = None,
    poll_s: float = 0.02,
    meta: dict[str, Any] | None = None,
    **board_options: Any,
) -> RecordResult:
    """Record a board to a BrainFlow CSV file that survives crashes.

    Every sample is appended to ``path`` by BrainFlow's file streamer as it
    arrives (no more than the C library's output buffer, a few kB, is held in
    memory); the JSON sidecar with board, montage and channel names is written
    before the first sample and updated when markers, dropped samples,
    railed/flat channels or reconnections occur.  A killed process, a pulled
    cable or Ctrl+C leaves a file that :func:`emgcontrol.read` reads with
    everything up to that moment.

    Parameters
    ----------
    path : str or path-like
        Output file (BrainFlow CSV; the sidecar is ``path + ".json"``).
    board : str, int or BoardIds
        Board (default ``"simulated"``); ignored when ``session`` is given.
    duration : float, optional
        Seconds to record (stream time: received plus lost samples); None:
        until ``stop`` is set, ``on_block`` returns False or Ctrl+C.
    montage : optional
        Channel -> muscle montage (see :class:`BoardSession`).
    session : BoardSession, optional
        An open session to record from (it is stopped at the end, not closed).
    overwrite : bool
        Replace an existing file.
    on_block : callable, optional
        Called with every :class:`Block`; return False to stop.
    stop : threading.Event, optional
        Set it to stop recording (e.g. from a signal handler or another thread).
    poll_s : float
        Polling interval when no data are waiting, s (default 20 ms).
    meta : dict, optional
        Extra metadata stored in the sidecar (subject, protocol...).
    **board_options
        Connection parameters or simulation options (see :class:`BoardSession`).

    Returns
    -------
    RecordResult

    Raises
    ------
    BoardConnectionError
        The board could not be opened, or the connection was lost and the
        reconnection attempts failed; ``err.path`` holds the partial recording.
    KeyboardInterrupt
        Re-raised after the recording was closed properly (status
        ``"interrupted"``).
    """
    if duration is not None:
        duration = check_positive("duration", duration)
    if duration is None and stop is None and on_block is None:
        raise ValidationError(
            "record() needs duration=..., a stop event or an on_block callback; "
            "otherwise it would never end")
    own = session is None
    if own:
        session = BoardSession(board, montage=montage, duration=duration, **board_options)
    elif montage is not None or board_options:
        raise ValidationError("montage and board options belong to the session when a "
                              "session is given")
    assert session is not None
    stopped_by = "duration"
    status = "complete"
    try:
        session.open()
        session.start(record_to=path, overwrite=overwrite, meta=meta)
        try:
            for blk in session.blocks(duration, poll_s=poll_s, stop=stop):
                if on_block is not None and on_block(blk) is False:
                    stopped_by = "stop"
                    break
            else:
                if stop is not None and stop.is_set():
                    stopped_by = "stop"
        except BoardConnectionError:
            stopped_by = "disconnect"
            raise
        except KeyboardInterrupt:
            stopped_by = "interrupt"
            session.status = "interrupted"
            session._teardown(drain=True)
            session._write_sidecar(status="interrupted")
            raise
        last = session.stop()
        if last is not None and on_block is not None:
            on_block(last)
        status = session.status
    finally:
        if own:
            session.close()
    assert session.record_path is not None
    from ..io import sidecar_path

    return RecordResult(
        path=session.record_path, sidecar=sidecar_path(session.record_path),
        board=session.name, sfreq=session.sfreq, n_samples=session.n_samples,
        dropped=session.dropped, flags=[f.to_dict() for f in session.flag_events],
        markers=[{"sample": m.sample, "time_s": m.sample / session.sfreq, "code": m.code,
                  "label": m.label} for m in session.markers],
        reconnections=[dict(r) for r in session.reconnections], status=status,
        stopped_by=stopped_by)
