"""OpenBCI / BrainFlow board names and ids.

No brainflow import here: the ids are BrainFlow's ``BoardIds`` values.  The
boards' sample-counter conventions are :func:`emgcontrol.hardware.counter_spec`.
"""

from __future__ import annotations

from typing import Any

from ..errors import ValidationError

BOARD_IDS: dict[str, int] = {
    "cyton": 0,
    "ganglion": 1,
    "cyton-daisy": 2,
    "synthetic": -1,
}
"""Board names accepted by the readers and their BrainFlow ``BoardIds`` value."""

_ALIASES = {
    "cyton_daisy": "cyton-daisy", "daisy": "cyton-daisy", "cytondaisy": "cyton-daisy",
    "cyton-daisy-board": "cyton-daisy", "cyton_board": "cyton",
    "ganglion_board": "ganglion", "synthetic_board": "synthetic",
}


def board_id_from(board: Any) -> int:
    """Resolve a board name, ``BoardIds`` member or int to a BrainFlow board id.

    Raises
    ------
    ValidationError
        Unknown name or the playback board (whose layout is its master board's).
    """
    names = ", ".join(repr(n) for n in BOARD_IDS)
    if isinstance(board, bool):
        raise ValidationError(f"board must be one of {names} or a BrainFlow board id; "
                              f"got {board!r}")
    if hasattr(board, "value") and isinstance(getattr(board, "value"), int):  # BoardIds
        board = board.value
    if isinstance(board, int):
        if board == -3:
            raise ValidationError(
                "board=-3 (playback) has no row layout of its own: a playback file has "
                "the rows of its master board; give that board (e.g. 'cyton')")
        return board
    if isinstance(board, str):
        key = board.strip().lower().replace(" ", "-")
        key = _ALIASES.get(key, key)
        if key in BOARD_IDS:
            return BOARD_IDS[key]
        if key in ("playback", "playback_file_board", "playback-file"):
            raise ValidationError(
                "board='playback' has no row layout of its own: a playback file has the "
                "rows of its master board; give that board (e.g. 'cyton')")
        upper = board.strip().upper()
        try:  # any BrainFlow BoardIds member name, e.g. "CYTON_WIFI_BOARD"
            from brainflow.board_shim import BoardIds

            return int(BoardIds[upper if upper.endswith("_BOARD") else upper + "_BOARD"])
        except (KeyError, ImportError):
            pass
    raise ValidationError(
        f"board must be one of {names}, a brainflow BoardIds member or its int id; "
        f"got {board!r}")


def board_name(board_id: int) -> str:
    """Our name for a board id (the BoardIds member name for others)."""
    for k, v in BOARD_IDS.items():
        if v == board_id:
            return k
    try:
        from brainflow.board_shim import BoardIds

        return BoardIds(board_id).name.lower()
    except (ImportError, ValueError):
        return f"board-{board_id}"
