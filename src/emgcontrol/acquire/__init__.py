"""Acquisition from BrainFlow boards, with crash-safe recording.

Open any BrainFlow board by name, id or ``BoardIds`` member with its
connection parameters, as a context manager that always stops the stream and
releases the session::

    from emgcontrol.acquire import open_board, record

    with open_board("cyton", serial_port="/dev/ttyUSB0",
                    montage="cyton-low-back-8") as session:
        session.start(record_to="s01.csv")          # BrainFlow file streamer + sidecar
        for block in session.blocks(duration=30):   # EMG in volts, markers, gaps, flags
            ...
        session.marker("trial-1")

    result = record("demo.csv", duration=10)        # the built-in "simulated" board

Boards
    ``"simulated"`` (the default everywhere: the project's simulator replayed by
    BrainFlow's playback-file board, Cyton layout at 250 Hz or Cyton+Daisy at
    125 Hz for 16 channels, so BrainFlow's ring buffer, timing, markers and file
    streamer all run without hardware), ``"synthetic"``, ``"cyton"``,
    ``"cyton-daisy"``, ``"ganglion"``, ``"ganglion-native"``, the WiFi boards,
    ``"playback"`` (replay a BrainFlow CSV file) and any other BrainFlow board:
    :func:`list_boards`, :func:`board_info`.
Sampling rates
    Taken from BrainFlow (``get_sampling_rate`` of the data board); read
    :data:`SFREQ_CAVEATS` (nominal rates, Daisy at 125 Hz, WiFi rates not
    tracked, timestamps are host arrival times).
Recording
    :func:`record` and ``BoardSession.start(record_to=...)``: BrainFlow's file
    streamer appends each sample as it arrives; the JSON sidecar is written
    before the first sample.  Dropped samples (package-counter gaps) follow the
    ``meta["dropped_samples"]`` convention of :mod:`emgcontrol.io`; railed/flat
    channels are flagged live; a lost connection is retried and the partial
    session stays in the file.
Cyton settings
    :class:`CytonChannel`, :func:`cyton_channel_command` (``"x1060110X"``).

Importing this package does not import brainflow; opening a board does.
"""

from __future__ import annotations

from ._boards import (CONNECTION_PARAMS, PLAYBACK, SFREQ_CAVEATS, SIMULATED, BoardInfo,
                      board_info, list_boards, resolve_board)
from ._cyton import (CHANNEL_LETTERS, GAINS, INPUT_TYPES, CytonChannel, cyton_channel_command,
                     parse_cyton_command, rail_uv)
from ._monitor import FLAT_SD_UV, FLAT_WINDOW_S, RAIL_FRACTION, ChannelFlag
from ._record import RecordResult, record
from ._session import (AcquisitionError, Block, BoardConnectionError, BoardSession, Marker,
                       as_montage, open_board)
from ._simulated import SIMULATION_OPTIONS, SimulatedBoard

__all__ = [
    "open_board",
    "BoardSession",
    "Block",
    "Marker",
    "record",
    "RecordResult",
    "list_boards",
    "board_info",
    "resolve_board",
    "BoardInfo",
    "SimulatedBoard",
    "SIMULATION_OPTIONS",
    "SIMULATED",
    "PLAYBACK",
    "CONNECTION_PARAMS",
    "SFREQ_CAVEATS",
    "CytonChannel",
    "cyton_channel_command",
    "parse_cyton_command",
    "rail_uv",
    "GAINS",
    "INPUT_TYPES",
    "CHANNEL_LETTERS",
    "ChannelFlag",
    "RAIL_FRACTION",
    "FLAT_SD_UV",
    "FLAT_WINDOW_S",
    "AcquisitionError",
    "BoardConnectionError",
    "as_montage",
]
