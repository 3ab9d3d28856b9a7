"""Compile (or load from numba's cache) every kernel of the analysis chain."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .._validate import check_option
from ..errors import ValidationError
from ._detect import DEFAULT_METHOD, METHODS

__all__ = ["WarmupStep", "prefetch", "warmup", "warmup_steps"]


@dataclass(frozen=True)
class WarmupStep:
    """One group of kernels prepared by :func:`warmup_steps`.

    Attributes
    ----------
    name : str
        What was prepared ("signal kernels", "'hodges' onset detector", ...).
    seconds : float
        Time it took, s: seconds when it compiled, milliseconds when it loaded
        from the cache.
    cache_dir : str or None
        The numba cache folder of the group's kernels.
    """

    name: str
    seconds: float
    cache_dir: str | None


def _cache_dir(dispatcher: object) -> str | None:
    try:
        return str(dispatcher.stats.cache_path)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - JIT disabled: no cache
        return None


def _detector_steps(names: list[str], large: bool) -> list[WarmupStep]:
    from . import _kernels as ko
    from ._detect import KernelState, make_config

    steps = []
    n = 2
    x = np.linspace(-1e-5, 1e-5, 2 * 64).reshape(n, 64)
    inf = np.full(n, np.inf)
    for m in names:
        t0 = time.perf_counter()
        cfg = make_config(m, 1000.0, {}, preprocess=False)
        for parallel in (False, True) if large else (False,):
            KernelState(cfg, n).run(x, inf, inf, np.ones(n), parallel=parallel)
        KernelState(cfg, n).flush(np.ones(n))
        steps.append(WarmupStep(f"{m!r} onset detector" + (" (and its parallel twin)"
                                                           if large else ""),
                                time.perf_counter() - t0, _cache_dir(ko.hodges)))
    return steps


def prefetch() -> None:
    """Compile the default detector and the causal filter into the cache.

    What the background process started by the first cold kernel of a
    process runs (see ``emgcontrol._compile_notice``): the rest of the usual
    offline chain, while that process compiles its zero-phase filter.
    """
    from ..signal import warmup_filter

    _detector_steps([DEFAULT_METHOD], large=False)
    warmup_filter()


def warmup_steps(methods: Iterable[str] | str | None = None, *, offline: bool = True,
                 large: bool = False) -> list[WarmupStep]:
    """Prepare the kernels group by group; see :func:`warmup`.

    Returns
    -------
    list of WarmupStep
    """
    from ..signal import kernel_cache_dir
    from ..signal import warmup as signal_warmup

    if methods is None:
        names = [DEFAULT_METHOD]
    elif isinstance(methods, str):
        names = list(METHODS) if methods == "all" else [methods]
    elif isinstance(methods, Iterable):
        names = list(methods)
    else:
        raise ValidationError(
            f"methods must be None, 'all', a method name or a list of them "
            f"({', '.join(METHODS)}); got {methods!r}")
    for m in names:
        check_option("methods", m, METHODS)
    steps = []
    t0 = time.perf_counter()
    signal_warmup(offline=offline)
    steps.append(WarmupStep("signal kernels", time.perf_counter() - t0,
                            kernel_cache_dir()))
    steps += _detector_steps(names, large)
    return steps


def warmup(methods: Iterable[str] | str | None = None, *, offline: bool = True,
           large: bool = False) -> float:
    """Compile (or load from the on-disk cache) the kernels of the analysis chain.

    The first use of a kernel on a machine compiles it (seconds); numba
    caches the result on disk, so later processes load it in milliseconds.
    Call this once after installing (``emgcontrol warmup`` does the same), or
    at the start of a live session so the first block does not wait.

    Parameters
    ----------
    methods : str, sequence of str or None
        Onset detectors to prepare: None for the default method, ``"all"``, a
        method name or a list of them.
    offline : bool
        Also prepare the kernels only offline processing uses (zero-phase
        filter, centred windows); default True.
    large : bool
        Also prepare the detectors' parallel twins, used on arrays of more
        than 2 M samples (several seconds more each); default False.

    Returns
    -------
    float
        Seconds spent.
    """
    return sum(s.seconds for s in warmup_steps(methods, offline=offline, large=large))
