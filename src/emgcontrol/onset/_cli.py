"""The ``emgcontrol onsets FILE [--method M] [--json]`` command as a function."""

from __future__ import annotations

import json
import os
from typing import Any

from ._detect import detect_onsets

__all__ = ["onsets_command"]


def onsets_command(path: str | os.PathLike[str], method: str | None = None,
                   as_json: bool = False, **kwargs: Any) -> str:
    """Read a recording, detect onsets and return the table as text or JSON.

    This is the body of ``emgcontrol onsets FILE [--method M] [--json]``.

    Parameters
    ----------
    path : str or path-like
        Any file :func:`emgcontrol.read` understands.
    method : str, optional
        Detection method (default: :data:`~emgcontrol.onset.DEFAULT_METHOD`).
    as_json : bool
        Return JSON: a list of activation row objects (channel, muscle, side,
        trial, onset, offset, duration, peak, area; times in s, peak in V, area
        in V*s).  Otherwise two plain-text tables: channels (status, threshold,
        baseline) and activations.
    **kwargs :
        Passed to :func:`~emgcontrol.onset.detect_onsets`.

    Returns
    -------
    str
        The text to print.

    Raises
    ------
    RecordingFileNotFoundError, FileFormatError
        From the reader.
    ValidationError
        Bad method or parameter.
    """
    from .. import read

    rec = read(path)
    acts = detect_onsets(rec, method=method, **kwargs)
    if as_json:
        return json.dumps(acts.to_dict()["activations"], indent=2)
    return f"{os.fspath(path)}\n" + acts.to_text()
