"""Channels in parallel: serial ``nogil`` kernels over row groups in a thread pool.

Every numba kernel of the package is compiled once, serially, with
``nogil=True``.  Large arrays are cut into contiguous groups of rows (channels)
and the groups run in threads, which release the GIL inside the kernel.  This
gives the speed of ``parallel=True`` kernels (one task per thread over
independent channels) without their cost: a ``prange`` kernel is a second
specialisation of every algorithm and the slowest kind to compile (measured
here: 3-4 s per parallel twin, cold), and a parallel region on a busy machine
can stall on one descheduled worker.

The number of threads is :func:`numba.get_num_threads` of the calling thread,
so ``numba.set_num_threads(n)`` (and ``NUMBA_NUM_THREADS``) limit this pool as
they would limit numba's own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

__all__ = ["PARALLEL_MIN_WORK", "n_threads", "row_groups", "run_row_groups"]

PARALLEL_MIN_WORK = 1 << 20
"""Work (samples x relative cost) above which rows run in threads.

Below it, waking a thread costs more than the work: live blocks of 20-200
samples and short offline arrays run in the calling thread.
"""

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_lock = threading.Lock()


def _forget_pool() -> None:  # pragma: no cover - runs in forked children
    global _pool, _pool_size
    _pool, _pool_size = None, 0  # the parent's threads do not exist in a child


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def n_threads() -> int:
    """Threads the kernels may use from the calling thread (numba's setting)."""
    from numba import get_num_threads

    return max(1, int(get_num_threads()))


def row_groups(n_rows: int, work: float, threads: int | None = None) -> list[tuple[int, int]]:
    """Contiguous ``(start, stop)`` row groups, one per thread when the work pays.

    Parameters
    ----------
    n_rows : int
        Number of rows (channels).
    work : float
        Samples times relative cost per sample (about 1 for a moving window or
        one filter section).
    threads : int, optional
        Threads available (default :func:`n_threads`).

    Returns
    -------
    list of (int, int)
        One group (all rows) when the work is small or there is one row or one
        thread; otherwise up to ``threads`` groups whose sizes are multiples of
        4 (or 2) where possible, since the filter kernels interleave four rows.
    """
    if n_rows <= 1 or work < PARALLEL_MIN_WORK:
        return [(0, n_rows)]
    t = n_threads() if threads is None else max(1, int(threads))
    if t == 1:
        return [(0, n_rows)]
    unit = 4 if n_rows >= 4 * t else 2 if n_rows >= 2 * t else 1
    n_units = -(-n_rows // unit)
    n_groups = min(t, n_units)
    out = []
    start = 0
    for g in range(n_groups):
        stop = min(n_rows, (n_units * (g + 1) // n_groups) * unit)
        if stop > start:
            out.append((start, stop))
        start = stop
    return out


def _get_pool(size: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < size:
            old = _pool
            _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="emgcontrol-rows")
            _pool_size = size
            if old is not None:
                old.shutdown(wait=False)
        return _pool


def run_row_groups(fn: Callable[[int, int], object], n_rows: int, work: float) -> None:
    """Call ``fn(start, stop)`` for each row group, in threads when the work pays.

    The calling thread runs the first group itself; the others go to a shared
    pool.  ``fn`` must only touch its own rows.  Exceptions propagate.

    Parameters
    ----------
    fn : callable
        ``fn(start, stop)`` processes rows ``start:stop``.
    n_rows : int
        Number of rows.
    work : float
        See :func:`row_groups`.
    """
    groups = row_groups(n_rows, work)
    if len(groups) == 1:
        if n_rows:
            fn(0, n_rows)
        return
    pool = _get_pool(len(groups) - 1)
    futures: list[Future] = [pool.submit(fn, a, b) for a, b in groups[1:]]
    try:
        fn(*groups[0])
    finally:
        for f in futures:
            f.result()
