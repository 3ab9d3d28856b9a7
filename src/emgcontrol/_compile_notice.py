"""Say once, before it happens, that numba is about to compile for seconds.

A kernel used for the first time on a machine compiles (seconds); later
processes load it from numba's on-disk cache (milliseconds).  Without a word,
the first call looks like a hang in Jupyter or on the command line.  Before
the first call of a kernel in a process, :func:`notice` looks for the kernel's
index file in its cache folder; when there is none, it prints one line on
stderr for the kernel's group ("the filter kernels", ...), once per process.
``EMGCONTROL_QUIET_COMPILE=1`` silences it.

A stale index (the package changed since it was written) still compiles
without a notice; that happens once after an upgrade.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

__all__ = ["notice"]

_said: set[str] = set()
_checked: set[int] = set()
_lock = threading.Lock()


def _in_cache(dispatcher: Any) -> bool:
    """True when the dispatcher's cache folder holds an index for it."""
    try:
        folder = Path(dispatcher.stats.cache_path)
        qualname = dispatcher.py_func.__qualname__
        line = dispatcher.py_func.__code__.co_firstlineno
    except Exception:  # noqa: BLE001 - no cache (or another numba): say nothing
        return True
    return any(folder.glob(f"*.{qualname}-{line}.py*.nbi"))


def notice(dispatcher: Any, what: str, seconds: float) -> None:
    """Print "compiling ``what`` ..." once if ``dispatcher`` is about to compile.

    Parameters
    ----------
    dispatcher : numba dispatcher
        The kernel about to be called.
    what : str
        The group it belongs to, for the message ("the filter kernels").
    seconds : float
        Typical compile time of the group on a 2-core machine, s.
    """
    key = id(dispatcher)
    if key in _checked:  # fast path: each kernel is looked at once per process
        return
    with _lock:
        if key in _checked:
            return
        _checked.add(key)
        if getattr(dispatcher, "signatures", None) or what in _said:
            return
        if os.environ.get("EMGCONTROL_QUIET_COMPILE", "") not in ("", "0"):
            return
        if _in_cache(dispatcher):
            return
        _said.add(what)
    print(f"emgcontrol: compiling {what} for this machine (once, about {seconds:.0f} s; "
          "cached for later runs)", file=sys.stderr, flush=True)
