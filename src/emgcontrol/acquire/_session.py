"""Board sessions: open a BrainFlow board, stream blocks, record crash-safely.

A :class:`BoardSession` wraps one ``brainflow.BoardShim``.  As a context manager
it always stops the stream and releases the BrainFlow session, whatever
happens inside the ``with`` block.  Data come as :class:`Block` objects (EMG in
volts, timestamps, markers, dropped samples, railed/flat channel flags).

Recording (``session.start(record_to=PATH)``) uses BrainFlow's file streamer
(``file://PATH:w``): BrainFlow's own thread appends every sample to the file as
it arrives, independently of Python, so a killed process or a pulled cable
leaves a readable BrainFlow CSV file (at most the C library's output buffer, a
few kB, is lost on SIGKILL).  The JSON sidecar (``PATH.json``: board,
montage, channel names, rate) is written before the first sample and updated
atomically when markers, gaps or reconnections happen, so even a killed
recording reads back with :func:`emgcontrol.read` with its muscles.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._validate import check_positive
from ..errors import EmgcontrolError, ValidationError
from ..montage import MuscleRef, as_montage
from ._boards import (CONNECTION_PARAMS, PLAYBACK, SIMULATED, BoardInfo,
                      board_info, check_connection_params, resolve_board)
from ._monitor import ChannelFlag, ChannelMonitor, CounterTracker

__all__ = ["BoardSession", "Block", "Marker", "open_board", "AcquisitionError",
           "BoardConnectionError"]

log = logging.getLogger("emgcontrol.acquire")

SIDECAR_KIND = "brainflow-csv"

FIRST_DATA_GRACE_S = 5.0
"""Extra seconds a hardware board may take to send its first sample (after a
start or a reconnection) before the connection counts as lost."""


class AcquisitionError(EmgcontrolError):
    """A board could not be opened, configured or read."""


class BoardConnectionError(AcquisitionError, ConnectionError):
    """The board could not be reached, or the connection was lost for good.

    Attributes
    ----------
    path : str or None
        The recording file holding everything received before the loss.
    """

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class Marker:
    """A marker in the stream.

    Attributes
    ----------
    sample : int
        Stream index of the sample that carries it.
    code : float
        Value in BrainFlow's marker row.
    label : str
        Its label.
    """

    sample: int
    code: float
    label: str


@dataclass
class Block:
    """Samples that arrived together.

    Attributes
    ----------
    data : ndarray, shape (n_channels, n)
        EXG channels in volts (BrainFlow's microvolts x 1e-6).
    first_sample : int
        Stream index of the first sample (counting received samples only, which
        is also the row index in the recorded file).
    sfreq : float
        Sampling rate, Hz.
    timestamps : ndarray, shape (n,)
        BrainFlow timestamps (s since the epoch; host arrival times).
    received : float
        ``time.time()`` when the block was taken from BrainFlow's buffer.
    acc : ndarray, shape (n_acc, n) or None
        Accelerometer rows in g.
    markers : list of Marker
        Markers carried by these samples.
    gaps : list of dict
        Samples lost before or inside the block (``sample``, ``time_s``,
        ``n_missing``, ``line``, ``source``).
    flags : list of ChannelFlag
        Railed/flat state changes noticed with this block.
    raw : ndarray, shape (n_rows, n)
        All board rows as BrainFlow delivered them.
    """

    data: np.ndarray
    first_sample: int
    sfreq: float
    timestamps: np.ndarray
    received: float
    acc: np.ndarray | None = None
    markers: list[Marker] = field(default_factory=list)
    gaps: list[dict[str, Any]] = field(default_factory=list)
    flags: list[ChannelFlag] = field(default_factory=list)
    raw: np.ndarray | None = None

    @property
    def n_samples(self) -> int:
        """Samples in the block."""
        return int(self.data.shape[1])

    @property
    def times(self) -> np.ndarray:
        """Stream time of each sample, s (``sample / sfreq``)."""
        return (self.first_sample + np.arange(self.n_samples)) / self.sfreq


def _now_iso() -> str:
    return _dt.datetime.now(tz=_dt.timezone.utc).isoformat()


def _brainflow_error() -> type[BaseException]:
    from brainflow.exit_codes import BrainFlowError

    return BrainFlowError


class BoardSession:
    """A BrainFlow board session (context manager).

    Parameters
    ----------
    board : str, int or BoardIds
        ``"simulated"`` (default: the project's simulator replayed through
        BrainFlow's playback board), ``"synthetic"``, ``"cyton"``,
        ``"cyton-daisy"``, ``"ganglion"``, ``"playback"`` or any BrainFlow board
        (see :func:`~emgcontrol.acquire.list_boards`).
    montage : Montage, str, sequence or mapping, optional
        Muscle under each EXG channel, in board channel order: a
        :class:`~emgcontrol.Montage`, a preset name (``"cyton-low-back-8"``), a
        list of muscles or ``{channel_name: muscle}``.  Channels beyond the
        montage are named ``EXG<k>`` without muscle.  For ``"simulated"`` it is
        the simulated subject's montage.
    channel_settings : optional
        Cyton/Daisy channel settings sent with ``config_board`` before
        streaming: ``"x1060110X"`` command strings, :class:`CytonChannel`
        objects, or ``{channel: {"gain": 8, ...}}`` (``"all"`` for every
        channel).  BrainFlow tracks the gains so microvolts stay right; the
        railed check uses each channel's range (4.5 V / gain).
    config : sequence of str, optional
        Other raw ``config_board`` strings, sent as given (board-specific).
    stall_timeout : float
        Seconds without data after which the connection is taken as lost
        (default 3 s; plus :data:`FIRST_DATA_GRACE_S` before the first sample of
        a hardware board).
    reconnect_attempts : int
        Reconnection attempts after a loss (default 3; 0: none).
    reconnect_wait : float
        Seconds before each attempt (default 1 s).
    ring_buffer_s : float
        Seconds of data BrainFlow's ring buffer holds (default 600).
    duration : float, optional
        Expected length of the session (the simulated board simulates enough
        trials for it).
    on_message : callable, optional
        Called with one-line messages (disconnection, reconnection, flags).
        Default: the ``emgcontrol.acquire`` logger.
    brainflow_log : bool
        Let BrainFlow print its own log (default off).
    **options
        Connection parameters (``serial_port``, ``mac_address``, ``ip_address``,
        ``ip_port``, ``serial_number``, ``other_info``, ``timeout``, ``file``,
        ``master_board``...) or, for ``"simulated"``, the simulation
        (``protocol``, ``variant``, ``seed``, ``snr_db``, ``faults``, ``drop``,
        ``cable_pull``, ``loop``...; see
        :class:`~emgcontrol.acquire.SimulatedBoard`).

    Examples
    --------
    >>> from emgcontrol.acquire import open_board
    >>> with open_board("simulated", variant="reversed") as s:   # doctest: +SKIP
    ...     s.start(record_to="session.csv")
    ...     for block in s.blocks(duration=5):
    ...         print(block.first_sample, block.data.shape)
    """

    def __init__(self, board: Any = SIMULATED, *, montage: Any = None,
                 channel_settings: Any = None, config: Sequence[str] | None = None,
                 stall_timeout: float = 3.0, reconnect_attempts: int = 3,
                 reconnect_wait: float = 1.0, ring_buffer_s: float = 600.0,
                 duration: float | None = None,
                 on_message: Callable[[str], None] | None = None,
                 brainflow_log: bool = False, **options: Any) -> None:
        from ._simulated import SIMULATION_OPTIONS, SimulatedBoard

        self.name, self.board_id = resolve_board(board)
        self.stall_timeout = check_positive("stall_timeout", stall_timeout)
        if isinstance(reconnect_attempts, bool) or not isinstance(reconnect_attempts, int) \
                or reconnect_attempts < 0:
            raise ValidationError(
                f"reconnect_attempts must be an integer >= 0; got {reconnect_attempts!r}")
        self.reconnect_attempts = reconnect_attempts
        self.reconnect_wait = check_positive("reconnect_wait", reconnect_wait, allow_zero=True)
        self.ring_buffer_s = check_positive("ring_buffer_s", ring_buffer_s)
        self.duration_hint = None if duration is None else check_positive("duration", duration)
        self._on_message = on_message
        self._brainflow_log = bool(brainflow_log)
        self.simulation: SimulatedBoard | None = None
        conn = {k: v for k, v in options.items() if k in CONNECTION_PARAMS}
        rest = {k: v for k, v in options.items() if k not in CONNECTION_PARAMS}
        if self.name == SIMULATED:
            bad = sorted(conn)
            if bad:
                raise ValidationError(
                    f"the simulated board takes no connection parameters; got "
                    f"{', '.join(bad)}")
            self.simulation = SimulatedBoard.from_options(rest)
            if montage is not None:
                if self.simulation.montage is not None:
                    raise ValidationError("give the montage once (montage=...)")
                self.simulation.montage = montage
        elif rest:
            allowed = ", ".join(CONNECTION_PARAMS)
            hint = ""
            if set(rest) & set(SIMULATION_OPTIONS):
                hint = " (simulation options need board='simulated')"
            raise ValidationError(
                f"unknown option(s) {', '.join(sorted(rest))} for board {self.name!r}{hint}; "
                f"connection parameters are: {allowed}")
        self.params = conn
        self._playback_side: dict[str, Any] | None = None
        self.params_master: Any = None
        if self.name == PLAYBACK:
            self._check_playback(conn)
        self.info: BoardInfo = board_info(self.name, master_board=self.params_master)
        if self.name != SIMULATED:
            check_connection_params(self.info, conn)
        self._montage_spec = montage
        self._channel_settings_spec = channel_settings
        self._config = list(config or [])
        for c in self._config:
            if not isinstance(c, str):
                raise ValidationError(f"config entries must be strings; got {c!r}")
        # filled by _setup_layout (needs brainflow)
        self.layout: dict[str, Any] = {}
        self.ch_names: list[str] = []
        self.muscles: list[MuscleRef | None] = []
        self.acc_names: list[str] = []
        self.channel_settings: list[Any] = []
        self.rails_uv: list[float] | None = None
        self._shim: Any = None
        self._streaming = False
        self._closed = False
        self._lock = threading.Lock()
        self._side_lock = threading.Lock()
        self._labels: dict[float, str] = {}
        self._codes: dict[str, float] = {}
        self.n_samples = 0
        self.gaps: list[dict[str, Any]] = []
        self.flag_events: list[ChannelFlag] = []
        self.markers: list[Marker] = []
        self.reconnections: list[dict[str, Any]] = []
        self.record_path: Path | None = None
        self.started_at: float | None = None
        self.status = "closed"
        self._counter: CounterTracker | None = None
        self._monitor: ChannelMonitor | None = None
        self._after_reconnect = False
        self._last_data = 0.0
        self._first_wait = True
        self._sim_next = 0
        self._sim_loop = 0
        self._seg_base = 0
        self._side_body: dict[str, Any] | None = None
        self._setup_layout()

    # ------------------------------------------------------------ properties
    @property
    def sfreq(self) -> float:
        """Sampling rate in Hz (BrainFlow's nominal rate of the data board)."""
        return float(self.layout["sfreq"])

    @property
    def n_channels(self) -> int:
        """EXG channels delivered in :attr:`Block.data`."""
        return len(self.ch_names)

    @property
    def data_board_id(self) -> int:
        """Board whose rows the data have (the master board of a playback)."""
        return int(self.layout["board_id"])

    @property
    def is_open(self) -> bool:
        """True while the BrainFlow session is prepared."""
        return self._shim is not None

    @property
    def is_streaming(self) -> bool:
        """True while streaming."""
        return self._streaming

    @property
    def dropped(self) -> dict[str, Any]:
        """``{"count", "gaps"}`` of the samples lost so far (emgcontrol convention)."""
        return {"count": int(sum(g["n_missing"] for g in self.gaps)),
                "gaps": [dict(g) for g in self.gaps]}

    @property
    def flags(self) -> dict[str, list[str]]:
        """Channels currently railed or flat."""
        if self._monitor is None:
            return {"railed": [], "flat": []}
        return self._monitor.status()

    @property
    def truth(self) -> Any:
        """Ground truth of the simulated board (None for other boards)."""
        return None if self.simulation is None else self.simulation.truth

    def _message(self, text: str) -> None:
        if self._on_message is None:
            log.warning(text)
        else:
            try:
                self._on_message(text)
            except Exception:  # pragma: no cover - a display must not stop acquisition
                log.exception("on_message callback failed")

    # ----------------------------------------------------------------- setup
    def _check_playback(self, conn: Mapping[str, Any]) -> None:
        f = conn.get("file")
        if f in (None, ""):
            raise ValidationError("board 'playback' needs file=PATH (a BrainFlow CSV file)")
        p = Path(os.fspath(f)).expanduser()
        if not p.is_file():
            from ..errors import RecordingFileNotFoundError

            raise RecordingFileNotFoundError(2, "no such playback file", str(p))
        from ..io import read_sidecar

        side = read_sidecar(p, SIDECAR_KIND)
        self._playback_side = side
        if conn.get("master_board") is None:
            self.params_master = side.get("board_id", 0) if side else 0
        else:
            self.params_master = conn["master_board"]

    def _setup_layout(self) -> None:
        from ..hardware import CYTON_DEFAULT_GAIN
        from ..io.brainflow_csv import board_layout
        from ._cyton import channel_settings, rail_uv

        if self.name == SIMULATED:
            sim = self.simulation
            assert sim is not None
            sim.build(self.duration_hint)
            rec = sim.recording
            lay = dict(sim.layout or {})
            exg = [i for i, t in enumerate(rec.ch_types) if t in ("emg", "ecg")]
            acc = [i for i, t in enumerate(rec.ch_types) if t == "acc"]
            names = [rec.ch_names[i] for i in exg]
            n_exg = len(lay["exg"])
            self.ch_names = names + [f"EXG{k + 1}" for k in range(len(names), n_exg)]
            self.muscles = [rec.muscles[i] for i in exg] + [None] * (n_exg - len(names))
            self.acc_names = [rec.ch_names[i] for i in acc]
            with self._lock:
                for code, label in sim.marker_labels.items():
                    self._labels[code] = label
                    self._codes.setdefault(label, code)
            self.info = BoardInfo(**{**self.info.__dict__, "data_board_id": lay["board_id"],
                                     "sfreq": lay["sfreq"], "n_exg": n_exg,
                                     "n_emg": len(names)})
        else:
            if self.name == PLAYBACK:
                lay = board_layout(self.params_master)
            else:
                try:
                    lay = board_layout(self.board_id)
                except ValidationError:
                    raise ValidationError(
                        f"board {self.name!r} has no EXG rows BrainFlow describes; "
                        "emgcontrol acquires EMG from boards with EXG/EMG channels") from None
            if not lay["exg"]:
                raise ValidationError(f"board {self.name!r} has no EXG (electrode) channels")
            n_exg = len(lay["exg"])
            names, muscles = self._montage_channels(n_exg)
            self.ch_names, self.muscles = names, muscles
            self.acc_names = ["ACC X", "ACC Y", "ACC Z"][:len(lay["accel"][:3])]
        self.layout = lay
        # Cyton-family rails and channel settings
        cyton_family = lay["board_id"] in (0, 2, 5, 6)
        if self._channel_settings_spec is not None:
            if not cyton_family:
                raise ValidationError(
                    f"channel_settings are Cyton/Daisy commands; board {self.name!r} "
                    "is not a Cyton (use config=[...] for board-specific strings)")
            self.channel_settings = channel_settings(self._channel_settings_spec,
                                                     len(lay["exg"]))
        if cyton_family:
            rails = [rail_uv(CYTON_DEFAULT_GAIN)] * len(lay["exg"])
            for cs in self.channel_settings:
                rails[cs.channel - 1] = cs.rail_uv
            self.rails_uv = rails

    def _montage_channels(self, n_exg: int) -> tuple[list[str], list[MuscleRef | None]]:
        spec = self._montage_spec
        if spec is None and self._playback_side is not None:
            side = self._playback_side
            nm = side.get("ch_names") or []
            mu = side.get("muscles") or []
            k = int(side.get("n_exg", n_exg))
            if len(nm) >= k and k <= n_exg:
                from ..montage import parse_muscle

                names = [str(x) for x in nm[:k]] + [f"EXG{j + 1}" for j in range(k, n_exg)]
                mus = [None if (j >= len(mu) or mu[j] is None) else parse_muscle(mu[j])
                       for j in range(k)] + [None] * (n_exg - k)
                return names, mus
        if spec is None:
            return [f"EXG{k + 1}" for k in range(n_exg)], [None] * n_exg
        mont = as_montage(spec)
        if len(mont) > n_exg:
            raise ValidationError(
                f"the montage has {len(mont)} channels but board {self.name!r} has "
                f"{n_exg} EXG channels")
        names = mont.ch_names + [f"EXG{k + 1}" for k in range(len(mont), n_exg)]
        if len(set(names)) != len(names):
            raise ValidationError(f"montage channel names clash with EXG<k> names: {names}")
        return names, list(mont.muscles) + [None] * (n_exg - len(mont))

    # ------------------------------------------------------------- lifecycle
    def _input_params(self, file: str | None = None) -> Any:
        from brainflow.board_shim import BrainFlowInputParams

        p = BrainFlowInputParams()
        for k, v in self.params.items():
            if v is None:
                continue
            if k == "master_board":
                p.master_board = resolve_board(v)[1]
                continue
            if not hasattr(p, k):  # pragma: no cover - guarded by CONNECTION_PARAMS
                raise ValidationError(f"BrainFlow has no connection parameter {k!r}")
            setattr(p, k, type(getattr(p, k))(v) if getattr(p, k) is not None else v)
        if self.name == SIMULATED:
            p.master_board = int(self.layout["board_id"])
            p.file = str(file)
        elif self.name == PLAYBACK:
            p.master_board = resolve_board(self.params_master)[1]
            p.file = str(Path(os.fspath(self.params["file"])).expanduser())
        return p

    def _prepare(self) -> None:
        """Create the BoardShim and prepare the session (raises BoardConnectionError)."""
        from brainflow.board_shim import BoardShim

        BrainFlowError = _brainflow_error()
        if self._brainflow_log:
            BoardShim.enable_board_logger()
        else:
            BoardShim.disable_board_logger()
        file = None
        if self.name == SIMULATED:
            assert self.simulation is not None
            file = self.simulation.next_file(time.time())
            if file is None:
                raise BoardConnectionError(
                    "simulated board: the (virtual) dongle is unplugged "
                    "(cable_pull)")
        params = self._input_params(file)
        shim = BoardShim(self.board_id, params)
        try:
            shim.prepare_session()
        except BrainFlowError as err:
            raise BoardConnectionError(self._connect_hint(err)) from None
        try:
            if self.name in (SIMULATED, PLAYBACK):
                shim.config_board("new_timestamps")
                loop = self.simulation is not None and self.simulation.loop
                shim.config_board("loopback_true" if loop else "loopback_false")
            else:
                for cs in self.channel_settings:
                    shim.config_board(cs.command())
                for c in self._config:
                    shim.config_board(c)
        except BrainFlowError as err:
            try:
                shim.release_session()
            except BrainFlowError:
                pass
            raise AcquisitionError(
                f"board {self.name!r} refused a configuration command: {err}") from None
        self._shim = shim

    def _connect_hint(self, err: Any) -> str:
        code = getattr(err, "exit_code", None)
        where = ", ".join(f"{k}={v!r}" for k, v in self.params.items() if v not in (None, ""))
        base = f"could not open board {self.name!r}" + (f" ({where})" if where else "")
        hints = {
            2: "the port cannot be opened: is the dongle plugged in, is the port right "
               "(Linux: ls /dev/ttyUSB*; Windows: Device Manager), do you have permission "
               "(Linux: add yourself to the 'dialout' group)?",
            3: "the port is busy: close the OpenBCI GUI or other programs using it",
            4: "the port cannot be configured",
            5: "no response from the board: is it switched on (PC position), is the dongle "
               "paired with it, is the battery charged?",
            6: "the board did not start streaming",
            7: "a session for this board is already open in this process",
            13: "invalid connection parameters",
            17: "the board was not found (check the MAC address / IP, that it is on and "
                "in range)",
        }
        return f"{base}: {err}. " + hints.get(code, "see BrainFlow's log (brainflow_log=True)")

    def open(self) -> BoardSession:
        """Prepare the BrainFlow session (idempotent)."""
        if self._closed:
            raise AcquisitionError("this session was closed; open a new one")
        if self._shim is None:
            self._prepare()
            self.status = "open"
        return self

    def start(self, record_to: str | os.PathLike[str] | None = None, *,
              overwrite: bool = False, meta: Mapping[str, Any] | None = None) -> None:
        """Start streaming, optionally recording every sample to a BrainFlow CSV file.

        Parameters
        ----------
        record_to : path, optional
            File to record to (BrainFlow CSV; sidecar ``PATH.json`` written first).
        overwrite : bool
            Replace an existing file (default: refuse).
        meta : mapping, optional
            Extra metadata for the sidecar (subject, protocol...).
        """
        self.open()
        if self._streaming:
            raise AcquisitionError("the session is already streaming")
        if self.n_samples:
            raise AcquisitionError(
                "a session streams once; open a new session for another recording")
        if record_to is not None:
            from ..io import check_output_file

            p = Path(os.fspath(record_to)).expanduser().resolve()
            if p.exists() and not overwrite:
                raise ValidationError(
                    f"{p} exists; choose another file or pass overwrite=True "
                    "(--overwrite)")
            check_output_file(p)
            self.record_path = p
            self._write_sidecar(status="recording", extra_meta=meta)
        self._counter = CounterTracker(self.data_board_id, self.sfreq)
        self._monitor = ChannelMonitor(self.ch_names, self.sfreq, self.rails_uv)
        self._start_stream(append=False)
        self.started_at = time.time()
        self.status = "streaming"

    def _start_stream(self, *, append: bool) -> None:
        BrainFlowError = _brainflow_error()
        streamer = ""
        if self.record_path is not None:
            streamer = f"file://{self.record_path}:{'a' if append else 'w'}"
        n_buf = int(max(self.ring_buffer_s * self.sfreq, 45000))
        try:
            self._shim.start_stream(n_buf, streamer)
        except BrainFlowError as err:
            raise BoardConnectionError(
                f"board {self.name!r} did not start streaming: {err}",
                None if self.record_path is None else str(self.record_path)) from None
        self._streaming = True
        self._last_data = time.monotonic()
        self._first_wait = self.simulation is None
        if self.simulation is not None:
            self.simulation.stream_started(time.time())
            self._seg_base = self.n_samples

    # ------------------------------------------------------------------ data
    def poll(self) -> Block | None:
        """Take everything BrainFlow has buffered as one block (None if nothing).

        Raises
        ------
        AcquisitionError
            Not streaming.
        """
        if not self._streaming or self._shim is None:
            raise AcquisitionError("the session is not streaming: call start() first")
        BrainFlowError = _brainflow_error()
        try:
            raw = self._shim.get_board_data()
        except BrainFlowError as err:
            raise BoardConnectionError(f"reading from board {self.name!r} failed: {err}",
                                       self._path_str()) from None
        if raw.shape[1] == 0:
            return None
        self._last_data = time.monotonic()
        self._first_wait = False
        blk = self._make_block(raw)
        if self.simulation is not None and self.simulation.marker_events:
            self._simulated_markers()
        return blk

    def _simulated_markers(self) -> None:
        """Insert the simulated session's events as markers once the stream reaches them."""
        sim = self.simulation
        assert sim is not None and sim.table is not None
        evs = sim.marker_events
        n_table = sim.table.shape[1]
        seg_start = sim.segments[-1]["start"] if sim.segments else 0
        pos = seg_start + (self.n_samples - self._seg_base)
        BrainFlowError = _brainflow_error()
        while True:
            if self._sim_next >= len(evs):
                if not sim.loop:
                    return
                self._sim_next = 0
                self._sim_loop += 1
            sample, code = evs[self._sim_next]
            at = self._sim_loop * n_table + sample
            if at > pos:
                return
            self._sim_next += 1
            if at < self._sim_loop * n_table + seg_start and self._sim_loop == 0:
                continue  # lost while the (virtual) cable was unplugged
            try:
                self._shim.insert_marker(code)
            except BrainFlowError:  # pragma: no cover
                return

    def _path_str(self) -> str | None:
        return None if self.record_path is None else str(self.record_path)

    def _make_block(self, raw: np.ndarray) -> Block:
        lay = self.layout
        n = raw.shape[1]
        first = self.n_samples
        now = time.time()
        data = raw[lay["exg"]] * 1e-6
        acc = raw[lay["accel"][:len(self.acc_names)]] if self.acc_names else None
        ts = raw[lay["timestamp"]] if lay["timestamp"] is not None else np.full(n, now)
        pkg = raw[lay["package"]] if lay["package"] is not None else None
        gaps: list[dict[str, Any]] = []
        assert self._counter is not None and self._monitor is not None
        if self._after_reconnect:
            g = self._counter.gap_across_reconnection(pkg, ts, first)
            if g is not None:
                gaps.append(g)
            self._counter.reset()
            self._monitor.reset()
            self._after_reconnect = False
        gaps += self._counter.update(pkg, ts, first)
        flags = self._monitor.update(raw[lay["exg"]], first + n - 1)
        markers: list[Marker] = []
        if lay["marker"] is not None:
            mk = raw[lay["marker"]]
            for k in np.flatnonzero((mk != 0) & np.isfinite(mk)):
                code = float(mk[k])
                with self._lock:
                    label = self._labels.get(code, f"{code:g}")
                markers.append(Marker(first + int(k), code, label))
        self.n_samples += n
        changed = False
        if gaps:
            self.gaps.extend(gaps)
            for g in gaps:
                self._message(f"{g['n_missing']} sample(s) lost before sample {g['sample']} "
                              f"(t={g['time_s']:.2f} s; {g['source']})")
            changed = True
        if flags:
            self.flag_events.extend(flags)
            for f in flags:
                self._message(f.message())
            changed = True
        if markers:
            self.markers.extend(markers)
            changed = True
        if changed and self.record_path is not None:
            self._write_sidecar(status="recording")
        return Block(data=data, first_sample=first, sfreq=self.sfreq, timestamps=ts,
                     received=now, acc=acc, markers=markers, gaps=gaps, flags=flags, raw=raw)

    def blocks(self, duration: float | None = None, *, poll_s: float = 0.01,
               stop: threading.Event | None = None) -> Iterator[Block]:
        """Yield blocks as they arrive; handle stalls with reconnection.

        Parameters
        ----------
        duration : float, optional
            Stop once this much stream time has passed (received plus lost
            samples reach ``duration * sfreq``); None: until ``stop`` is set or
            the loop is broken.
        poll_s : float
            Sleep between polls when no data are waiting (default 10 ms).
        stop : threading.Event, optional
            Set it (from another thread, a signal handler...) to stop.

        Raises
        ------
        BoardConnectionError
            The connection was lost and every reconnection attempt failed (the
            recording file keeps everything received).
        """
        if not self._streaming:
            self.start()
        target = None if duration is None else int(round(
            check_positive("duration", duration) * self.sfreq))
        poll_s = check_positive("poll_s", poll_s, allow_zero=True)
        while True:
            if stop is not None and stop.is_set():
                return
            if target is not None and self.n_samples + self.dropped["count"] >= target:
                return
            try:
                blk = self.poll()
            except BoardConnectionError as err:
                self._reconnect(str(err))
                continue
            if blk is not None:
                yield blk
                continue
            # boards may take a few seconds to send their first sample
            allowed = self.stall_timeout + (FIRST_DATA_GRACE_S if self._first_wait else 0.0)
            if time.monotonic() - self._last_data > allowed:
                self._reconnect(f"no data for {allowed:g} s")
                continue
            time.sleep(poll_s)

    def _reconnect(self, reason: str) -> None:
        BrainFlowError = _brainflow_error()
        t_lost = self.n_samples / self.sfreq
        saved = f"; the {t_lost:.1f} s received so far are saved in {self.record_path}" \
            if self.record_path is not None else ""
        self._message(f"board {self.name!r}: connection lost at {t_lost:.2f} s ({reason})"
                      f"{saved}")
        if self.simulation is not None and self.simulation.cable_pull is None:
            self._teardown(drain=True)
            self.status = "disconnected"
            if self.record_path is not None:
                self._write_sidecar(status="complete")
            raise BoardConnectionError(
                f"the simulated session ended at {t_lost:.1f} s: nothing more to replay "
                "(open the board with duration=..., n_trials=... or loop=True)"
                + saved, self._path_str())
        self.status = "reconnecting"
        event: dict[str, Any] = {"lost_at_sample": self.n_samples, "lost_at_s": t_lost,
                                 "reason": reason, "wall_time": _now_iso(), "attempts": 0,
                                 "resumed": False}
        self.reconnections.append(event)
        self._teardown(drain=True)
        if self.record_path is not None:
            self._write_sidecar(status="reconnecting")
        last_err: Exception | None = None
        for attempt in range(1, self.reconnect_attempts + 1):
            time.sleep(self.reconnect_wait)
            event["attempts"] = attempt
            self._message(f"board {self.name!r}: reconnection attempt {attempt}/"
                          f"{self.reconnect_attempts}")
            try:
                self._prepare()
                self._start_stream(append=True)
            except (BoardConnectionError, AcquisitionError, BrainFlowError) as err:
                last_err = err
                self._teardown(drain=False)
                continue
            event["resumed"] = True
            event["resumed_wall_time"] = _now_iso()
            self._after_reconnect = True
            self.status = "streaming"
            self._message(f"board {self.name!r}: reconnected (attempt {attempt}); "
                          "recording continues in the same file")
            if self.record_path is not None:
                self._write_sidecar(status="recording")
            return
        self.status = "disconnected"
        if self.record_path is not None:
            self._write_sidecar(status="disconnected")
        why = f" (last error: {last_err})" if last_err is not None else ""
        raise BoardConnectionError(
            f"connection to board {self.name!r} lost at {t_lost:.2f} s ({reason}); "
            f"{self.reconnect_attempts} reconnection attempt(s) failed{why}{saved}",
            self._path_str())

    def _teardown(self, *, drain: bool) -> Block | None:
        """Stop the stream, take what is left, release the session; never raises."""
        BrainFlowError = _brainflow_error()
        last = None
        shim = self._shim
        if shim is None:
            self._streaming = False
            return None
        if self._streaming:
            try:
                shim.stop_stream()
            except BrainFlowError as err:
                log.debug("stop_stream failed: %s", err)
            if drain:
                try:
                    raw = shim.get_board_data()
                    if raw.shape[1]:
                        last = self._make_block(raw)
                except BrainFlowError as err:
                    log.debug("final read failed: %s", err)
            self._streaming = False
        try:
            shim.release_session()
        except BrainFlowError as err:
            log.debug("release_session failed: %s", err)
        self._shim = None
        return last

    def marker(self, label: Any) -> float:
        """Insert a marker in the stream (BrainFlow ``insert_marker``).

        Parameters
        ----------
        label : str or number
            A numeric label keeps its value as marker code; other labels get codes
            1, 2, ... (the same label always the same code); the sidecar maps codes
            back to labels.

        Returns
        -------
        float
            The code written in the marker row.
        """
        if not self._streaming or self._shim is None:
            raise AcquisitionError("markers can be inserted only while streaming")
        code = self._code(label)
        BrainFlowError = _brainflow_error()
        try:
            self._shim.insert_marker(code)
        except BrainFlowError as err:
            raise AcquisitionError(f"could not insert marker {label!r}: {err}") from None
        return code

    def _code(self, label: Any) -> float:
        text = str(label).strip()
        if not text:
            raise ValidationError("a marker label must not be empty")
        with self._lock:
            if text in self._codes:
                return self._codes[text]
            try:
                v = float(text)
                if v != 0 and math.isfinite(v) and v not in self._labels:
                    code = v
                else:
                    raise ValueError
            except ValueError:
                code = 1.0
                while code in self._labels:
                    code += 1.0
            self._codes[text] = code
            self._labels[code] = text
        if self.record_path is not None:
            self._write_sidecar(status=self.status if self.status != "closed" else "recording")
        return code

    def stop(self) -> Block | None:
        """Stop streaming and release the board; finish the recording's sidecar.

        Returns
        -------
        Block or None
            The samples that arrived since the last poll (already counted and
            written to the file).
        """
        was_open = self._shim is not None
        last = self._teardown(drain=True)
        if was_open and self.status not in ("disconnected", "interrupted", "error"):
            self.status = "complete" if self.record_path is not None else "stopped"
            if self.record_path is not None:
                self._write_sidecar(status="complete")
        return last

    def close(self) -> None:
        """Stop (if streaming) and release the board; idempotent, never raises."""
        if self._closed:
            return
        try:
            if self._shim is not None:
                self.stop()
        finally:
            self._closed = True
            if self.simulation is not None:
                self.simulation.close()

    def __enter__(self) -> BoardSession:
        return self.open()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and self.record_path is not None and self._shim is not None:
            self.status = "interrupted" if exc_type is KeyboardInterrupt else "error"
            self._teardown(drain=True)
            self._write_sidecar(status=self.status)
        self.close()

    def __del__(self) -> None:  # pragma: no cover - last resort
        try:
            if getattr(self, "_shim", None) is not None:
                self._teardown(drain=False)
        except Exception:
            pass

    def __repr__(self) -> str:
        return (f"<BoardSession | {self.name}, {self.n_channels} channels at {self.sfreq:g} Hz, "
                f"{self.status}, {self.n_samples} samples>")

    # --------------------------------------------------------------- sidecar
    def describe(self) -> dict[str, Any]:
        """JSON-ready description of the session (board, channels, state)."""
        d: dict[str, Any] = {
            "board": self.name, "brainflow_board_id": self.board_id,
            "data_board": self.layout.get("name"), "data_board_id": self.data_board_id,
            "sfreq": self.sfreq, "ch_names": list(self.ch_names),
            "muscles": [None if m is None else str(m) for m in self.muscles],
            "connection": {k: (str(v) if not isinstance(v, (int, float)) else v)
                           for k, v in self.params.items() if v not in (None, "")},
            "channel_settings": [cs.command() for cs in self.channel_settings],
            "config": list(self._config), "status": self.status,
            "n_samples": self.n_samples, "dropped_samples": self.dropped,
            "channel_flags": [f.to_dict() for f in self.flag_events],
            "reconnections": [dict(r) for r in self.reconnections],
            "markers": {f"{c:g}": lab for c, lab in self._labels.items()},
        }
        if self.simulation is not None:
            d["simulation"] = self.simulation.describe()
        if self.rails_uv is not None:
            d["rails_uV"] = list(self.rails_uv)
        return d

    def _write_sidecar(self, status: str, extra_meta: Mapping[str, Any] | None = None) -> None:
        """(Re)write PATH.json atomically."""
        from ..io import SIDECAR_FORMAT, SIDECAR_VERSION, sidecar_path

        p = self.record_path
        assert p is not None
        if self._side_body is None:
            self._side_body = {"started": _now_iso(), **dict(extra_meta or {})}
        n_acc = len(self.acc_names)
        acc_types = ["acc"] * n_acc
        events = [{"onset": m.sample / self.sfreq, "duration": 0.0, "label": m.label,
                   "sample": m.sample, "code": m.code} for m in self.markers]
        recording = {**self.describe(), "status": status, "updated": _now_iso(),
                     "started": self._side_body["started"]}
        meta = {k: v for k, v in self._side_body.items() if k != "started"}
        meta["acquisition"] = recording
        if self.rails_uv is not None:
            meta["rail_uV"] = float(min(self.rails_uv))
        if self.simulation is not None:
            meta["simulated"] = True
        body = {
            "format": SIDECAR_FORMAT, "version": SIDECAR_VERSION, "kind": SIDECAR_KIND,
            "board": self.layout.get("name"), "board_id": self.data_board_id,
            "sfreq": self.sfreq, "n_exg": len(self.ch_names), "n_acc": n_acc,
            "units": {"exg": "uV", "accel": "g"},
            "ch_names": list(self.ch_names) + list(self.acc_names),
            "ch_types": ["emg"] * len(self.ch_names) + acc_types,
            "muscles": [None if m is None else str(m) for m in self.muscles] + [None] * n_acc,
            "events": events, "meta": meta,
        }
        side = sidecar_path(p)
        tmp = side.with_name(side.name + ".tmp")
        text = json.dumps(body, indent=1, default=str)
        with self._side_lock:  # markers may come from another thread (keyboard)
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, side)


def open_board(board: Any = SIMULATED, **kwargs: Any) -> BoardSession:
    """Open a board session (prepared, not yet streaming); use it as a context manager.

    Parameters
    ----------
    board : str, int or BoardIds
        Default ``"simulated"`` (no hardware needed).
    **kwargs
        See :class:`BoardSession`.

    Returns
    -------
    BoardSession

    Raises
    ------
    ValidationError
        Unknown board or option, missing connection parameter.
    BoardConnectionError
        BrainFlow could not open the board (the message says what to check).
    """
    session = BoardSession(board, **kwargs)
    try:
        session.open()
    except BaseException:
        session.close()
        raise
    return session
