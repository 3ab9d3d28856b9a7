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

Prefetch.  The first cold kernel of a process (the zero-phase filter, in the
usual chain filter -> detect) also starts, once, a background process that
compiles the rest of the default offline chain (the default onset detector)
into the same cache, on another core, while this process compiles its own
kernel.  :func:`wait_prefetch` (called before a detector's first use) waits
for it, and numba then loads the detector from the cache instead of
compiling it again.  On the 2-core machine this was measured on, the cold
``import -> filter_emg -> detect_onsets`` goes from about 5 s to about 3.5 s.
``EMGCONTROL_PREFETCH=0`` turns it off.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

__all__ = ["notice", "start_prefetch", "wait_prefetch"]

_said: set[str] = set()
_checked: set[int] = set()
_lock = threading.Lock()
_prefetch: subprocess.Popen | None = None
_prefetch_tried = False

PREFETCH_CODE = "from emgcontrol.onset._warmup import prefetch; prefetch()"
"""What the background process runs: the default offline chain's detector."""


def _in_cache(dispatcher: Any) -> bool:
    """True when the dispatcher's cache folder holds an index for it."""
    try:
        folder = Path(dispatcher.stats.cache_path)
        qualname = dispatcher.py_func.__qualname__
        line = dispatcher.py_func.__code__.co_firstlineno
    except Exception:  # noqa: BLE001 - no cache (or another numba): say nothing
        return True
    return any(folder.glob(f"*.{qualname}-{line}.py*.nbi"))


def notice(dispatcher: Any, what: str, seconds: float) -> bool:
    """Print "compiling ``what`` ..." once if ``dispatcher`` is about to compile.

    Parameters
    ----------
    dispatcher : numba dispatcher
        The kernel about to be called.
    what : str
        The group it belongs to, for the message ("the filter kernels").
    seconds : float
        Typical compile time of the group on a 2-core machine, s.

    Returns
    -------
    bool
        True when the kernel is about to compile (not in this process, not in
        the cache); False otherwise, and for every later call.
    """
    key = id(dispatcher)
    if key in _checked:  # fast path: each kernel is looked at once per process
        return False
    with _lock:
        if key in _checked:
            return False
        _checked.add(key)
        if getattr(dispatcher, "signatures", None) or _in_cache(dispatcher):
            return False
        if what in _said or os.environ.get("EMGCONTROL_QUIET_COMPILE", "") not in ("", "0"):
            return True
        _said.add(what)
    print(f"emgcontrol: compiling {what} for this machine (once, about {seconds:.0f} s; "
          "cached for later runs)", file=sys.stderr, flush=True)
    return True


def start_prefetch() -> None:
    """Start, once per process, the background compile of the default chain.

    Does nothing when ``EMGCONTROL_PREFETCH=0``, when numba's JIT is disabled,
    or when the process cannot be started (the kernels then compile in this
    process when first used, as without prefetch).
    """
    global _prefetch, _prefetch_tried
    with _lock:
        if _prefetch_tried:
            return
        _prefetch_tried = True
        if os.environ.get("EMGCONTROL_PREFETCH", "") == "0" or \
                os.environ.get("NUMBA_DISABLE_JIT", "") not in ("", "0"):
            return
        env = {**os.environ, "EMGCONTROL_PREFETCH": "0", "EMGCONTROL_QUIET_COMPILE": "1"}
        try:
            _prefetch = subprocess.Popen(
                [sys.executable, "-c", PREFETCH_CODE], env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:  # pragma: no cover - compile in this process instead
            _prefetch = None


def wait_prefetch(timeout: float = 120.0) -> None:
    """Wait for a running background compile (see :func:`start_prefetch`)."""
    proc = _prefetch
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:  # pragma: no cover - compile here instead
        pass
