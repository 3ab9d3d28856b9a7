"""Which BrainFlow boards exist, what they stream, and how to connect to them.

No brainflow import at module level: every function that needs BrainFlow's
board descriptions imports it when called.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import ValidationError

__all__ = ["BoardInfo", "board_info", "list_boards", "resolve_board", "CONNECTION_PARAMS",
           "SIMULATED", "PLAYBACK", "SFREQ_CAVEATS"]

SIMULATED = "simulated"
"""Name of the built-in board: the project's simulator replayed by BrainFlow's
playback-file board."""

PLAYBACK = "playback"
"""Name of BrainFlow's playback-file board (replays a BrainFlow CSV file)."""

PLAYBACK_ID = -3

CONNECTION_PARAMS = ("serial_port", "mac_address", "ip_address", "ip_address_aux",
                     "ip_address_anc", "ip_port", "ip_port_aux", "ip_port_anc",
                     "ip_protocol", "other_info", "timeout", "serial_number", "file",
                     "file_aux", "file_anc", "master_board")
"""Fields of BrainFlow's ``BrainFlowInputParams`` that :func:`~emgcontrol.acquire.open_board`
accepts as keyword arguments."""

SFREQ_CAVEATS = (
    "BrainFlow reports each board's nominal rate (get_sampling_rate); the true rate "
    "follows the board's crystal and may differ by up to ~0.1 %, so long recordings "
    "drift against wall-clock time.",
    "Cyton+Daisy delivers 125 Hz per channel (the 16 channels alternate between the "
    "two ADCs at 250 Hz).",
    "Rates changed on the device (Cyton '~' commands, the WiFi shield's rate) are not "
    "reflected by BrainFlow's reported rate: the WiFi boards report 1000 Hz (Ganglion "
    "WiFi 1600 Hz) whatever the shield is set to.",
    "BrainFlow timestamps are host arrival times (s since the epoch), not sampling "
    "instants: samples come in radio/USB packets (the FTDI dongle buffers up to 16 ms "
    "by default), so timestamps are bunched and end-to-end latency measured from them "
    "excludes the time before the host received the packet.",
)
"""What to know about BrainFlow's sampling rates and timestamps."""

# our names for common boards -> BrainFlow id
_NAMES: dict[str, int] = {
    "synthetic": -1, "cyton": 0, "ganglion": 1, "cyton-daisy": 2, "ganglion-wifi": 4,
    "cyton-wifi": 5, "cyton-daisy-wifi": 6, "ganglion-native": 46,
}
_ALIASES = {
    "cyton_daisy": "cyton-daisy", "daisy": "cyton-daisy", "cytondaisy": "cyton-daisy",
    "openbci": "cyton", "sim": SIMULATED, "simulator": SIMULATED, "default": SIMULATED,
    "playback-file": PLAYBACK, "playback_file": PLAYBACK, "file": PLAYBACK,
}

# which connection parameters each board needs (required, optional) and what for
_CONNECT: dict[int, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    0: (("serial_port",), (), "USB dongle serial port, e.g. /dev/ttyUSB0 or COM3"),
    2: (("serial_port",), (), "USB dongle serial port, e.g. /dev/ttyUSB0 or COM3"),
    1: (("serial_port",), ("mac_address",), "BLED112 dongle port; MAC to pick one board"),
    46: ((), ("mac_address",), "native Bluetooth; MAC to pick one board"),
    4: (("ip_port",), ("ip_address", "timeout"), "WiFi shield: local port, shield IP"),
    5: (("ip_port",), ("ip_address", "timeout"), "WiFi shield: local port, shield IP"),
    6: (("ip_port",), ("ip_address", "timeout"), "WiFi shield: local port, shield IP"),
    -1: ((), (), "no hardware: BrainFlow's synthetic sine waves (not EMG-like)"),
}

_OUR_ORDER = (SIMULATED, "synthetic", "cyton", "cyton-daisy", "ganglion", "ganglion-native",
              "cyton-wifi", "cyton-daisy-wifi", "ganglion-wifi", PLAYBACK)


@dataclass(frozen=True)
class BoardInfo:
    """What a board streams and how to connect to it.

    Attributes
    ----------
    name : str
        emgcontrol's name (``"cyton"``, ``"cyton-daisy"``, ``"simulated"``...).
    board_id : int
        BrainFlow ``BoardIds`` value that is opened (-3 for ``"simulated"`` and
        ``"playback"``, which replay a file through the playback board).
    data_board_id : int or None
        Board whose row layout and rate the data have (the master board of a
        playback; the board itself otherwise).  None for ``"playback"`` until a
        master board is chosen.
    brainflow_name : str
        BrainFlow's name of the board (``BoardIds`` member).
    sfreq : float or None
        Nominal sampling rate in Hz as BrainFlow reports it (see
        :data:`SFREQ_CAVEATS`).
    n_emg : int
        EMG channels (BrainFlow ``emg_channels``).
    n_exg : int
        EXG (electrode) rows of the board.
    n_accel : int
        Accelerometer rows.
    has_markers, has_counter : bool
        Whether the board has a marker row and a package-counter row.
    required, optional : tuple of str
        Connection parameters (``BrainFlowInputParams`` fields).
    connection : str
        How the board connects.
    """

    name: str
    board_id: int
    data_board_id: int | None
    brainflow_name: str
    sfreq: float | None
    n_emg: int
    n_exg: int
    n_accel: int
    has_markers: bool
    has_counter: bool
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    connection: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        out = asdict(self)
        out["required"] = list(self.required)
        out["optional"] = list(self.optional)
        return out


def _descr(board_id: int) -> dict[str, Any] | None:
    from brainflow.board_shim import BoardShim
    from brainflow.exit_codes import BrainFlowError

    try:
        return dict(BoardShim.get_board_descr(int(board_id)))
    except BrainFlowError:
        return None


def _brainflow_name(board_id: int) -> str:
    from brainflow.board_shim import BoardIds

    try:
        return BoardIds(int(board_id)).name
    except ValueError:
        return f"BOARD_{board_id}"


def _our_name(board_id: int) -> str:
    for k, v in _NAMES.items():
        if v == board_id:
            return k
    name = _brainflow_name(board_id).lower()
    if name.endswith("_board"):
        name = name[: -len("_board")]
    return name.replace("_", "-")


def _info_from_descr(name: str, board_id: int, data_board_id: int | None,
                     connect: tuple[tuple[str, ...], tuple[str, ...], str]) -> BoardInfo:
    d = _descr(data_board_id) if data_board_id is not None else None
    d = d or {}
    exg: set[int] = set()
    for key in ("eeg_channels", "emg_channels", "ecg_channels", "eog_channels"):
        exg.update(int(r) for r in d.get(key, []))
    emg = [int(r) for r in d.get("emg_channels", [])]
    sf = d.get("sampling_rate")
    return BoardInfo(
        name=name, board_id=int(board_id), data_board_id=data_board_id,
        brainflow_name=_brainflow_name(board_id),
        sfreq=None if sf is None else float(sf), n_emg=len(emg), n_exg=len(exg),
        n_accel=len(d.get("accel_channels", [])),
        has_markers="marker_channel" in d, has_counter="package_num_channel" in d,
        required=connect[0], optional=connect[1], connection=connect[2])


def resolve_board(board: Any) -> tuple[str, int]:
    """Resolve a board given by name, ``BoardIds`` member or int id.

    Parameters
    ----------
    board : str, int or BoardIds
        ``"simulated"`` (default board), ``"playback"``, ``"synthetic"``,
        ``"cyton"``, ``"cyton-daisy"``, ``"ganglion"``, ``"ganglion-native"``,
        ``"cyton-wifi"``... any ``BoardIds`` member name (``"CYTON_WIFI_BOARD"``,
        case-insensitive, ``_BOARD`` optional) or its int value.

    Returns
    -------
    name : str
        emgcontrol's name of the board.
    board_id : int
        BrainFlow id to open (-3 for simulated and playback).

    Raises
    ------
    ValidationError
        Unknown board; the message lists close names.
    """
    if board is None:
        return SIMULATED, PLAYBACK_ID
    if isinstance(board, bool):
        raise ValidationError(f"board must be a board name or BrainFlow id; got {board!r}")
    if hasattr(board, "value") and isinstance(getattr(board, "value"), int):
        board = int(board.value)
    from brainflow.board_shim import BoardIds

    valid_ids = {int(b.value) for b in BoardIds}
    if isinstance(board, int):
        if board == PLAYBACK_ID:
            return PLAYBACK, PLAYBACK_ID
        if board not in valid_ids or board in (-100, -2):
            raise ValidationError(
                f"board id {board} is not a BrainFlow board that streams data "
                "(see `emgcontrol boards --all`)")
        return _our_name(board), board
    if not isinstance(board, str):
        raise ValidationError(
            f"board must be a board name (e.g. 'cyton') or a BrainFlow id; got {board!r}")
    key = board.strip().lower().replace(" ", "-")
    key = _ALIASES.get(key, key)
    if key == SIMULATED:
        return SIMULATED, PLAYBACK_ID
    if key == PLAYBACK:
        return PLAYBACK, PLAYBACK_ID
    if key in _NAMES:
        return key, _NAMES[key]
    upper = key.upper().replace("-", "_")
    for cand in (upper, upper + "_BOARD"):
        if cand in BoardIds.__members__:
            bid = int(BoardIds[cand].value)
            if bid == PLAYBACK_ID:
                return PLAYBACK, bid
            if bid in (-100, -2):
                break
            return _our_name(bid), bid
    try:
        return resolve_board(int(key))
    except ValueError:
        pass
    known = list(_OUR_ORDER) + [_our_name(int(b.value)) for b in BoardIds
                                if int(b.value) >= 0]
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    raise ValidationError(
        f"unknown board {board!r}{hint} (common: {', '.join(_OUR_ORDER)}; "
        "`emgcontrol boards --all` lists every BrainFlow board)")


def board_info(board: Any = SIMULATED, *, master_board: Any = None,
               channels: int | None = None) -> BoardInfo:
    """Describe a board: rate, EMG channels, connection parameters.

    Parameters
    ----------
    board : str, int or BoardIds
        See :func:`resolve_board`.
    master_board : optional
        For ``"playback"``: the board whose file is replayed (default cyton).
    channels : int, optional
        For ``"simulated"``: 8 (Cyton layout, 250 Hz) or 16 (Cyton+Daisy, 125 Hz).

    Returns
    -------
    BoardInfo
    """
    name, bid = resolve_board(board)
    if name == SIMULATED:
        data_id = 2 if channels is not None and int(channels) > 8 else 0
        info = _info_from_descr(SIMULATED, bid, data_id, ((), (), "no hardware"))
        return BoardInfo(**{**info.__dict__, "connection":
                            "no hardware: the emgcontrol simulator replayed through "
                            "BrainFlow's playback-file board (Cyton layout; 16 channels: "
                            "Cyton+Daisy)",
                            "optional": ("protocol", "variant", "seed", "snr_db")})
    if name == PLAYBACK:
        data_id = None
        if master_board is not None:
            mname, data_id = resolve_board(master_board)
            if data_id == PLAYBACK_ID:
                raise ValidationError("master_board cannot be the playback board itself")
        else:
            data_id = 0
        return _info_from_descr(PLAYBACK, bid, data_id,
                                (("file",), ("master_board",),
                                 "replays a BrainFlow CSV file at the master board's rate"))
    connect = _CONNECT.get(bid, ((), (), "see BrainFlow's supported-boards documentation "
                                         "for its connection parameters"))
    return _info_from_descr(name, bid, bid, connect)


def list_boards(*, all_boards: bool = False) -> list[BoardInfo]:
    """Boards BrainFlow offers, with sampling rates and EMG channels.

    Parameters
    ----------
    all_boards : bool
        Every BrainFlow board that streams data (default: the built-in
        ``"simulated"`` board, BrainFlow's synthetic board, the OpenBCI boards
        and playback, then every other board that has EMG channels).

    Returns
    -------
    list of BoardInfo
    """
    from brainflow.board_shim import BoardIds

    out = [board_info(SIMULATED)]
    seen = {SIMULATED, PLAYBACK}
    for name in _OUR_ORDER:
        if name in seen:
            continue
        out.append(board_info(name))
        seen.add(name)
    for b in BoardIds:
        bid = int(b.value)
        if bid < -1 or _our_name(bid) in seen:
            continue
        info = board_info(bid)
        if info.sfreq is None:
            continue
        if all_boards or info.n_emg > 0:
            out.append(info)
        seen.add(info.name)
    out.append(board_info(PLAYBACK))
    return out


def check_connection_params(info: BoardInfo, params: Mapping[str, Any]) -> None:
    """Raise if a required connection parameter is missing (named, with an example)."""
    missing = [p for p in info.required if params.get(p) in (None, "")]
    if missing:
        raise ValidationError(
            f"board {info.name!r} needs {', '.join(missing)} ({info.connection}); "
            f"e.g. open_board({info.name!r}, {missing[0]}=...) or "
            f"--{missing[0].replace('_', '-')} on the command line")
