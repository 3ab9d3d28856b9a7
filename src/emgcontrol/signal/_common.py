"""Helpers shared by the signal modules: input conversion, errors, Recordings."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._compile_notice import notice, start_prefetch
from .._threads import run_row_groups
from .._util import as_real_array, window_samples
from .._validate import check_option, check_positive
from ..errors import NonFiniteDataError, ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from types import ModuleType

    from ..recording import Recording

FILTER_TYPES = ("emg", "ecg")
"""Channel types the filters act on in a Recording."""

ENVELOPE_TYPES = ("emg",)
"""Channel types rectification and envelopes act on in a Recording."""

PHASES = ("zero", "causal")

def kernels() -> ModuleType:
    """The numba kernel module, imported on first use (keeps imports light)."""
    from . import _kernels

    return _kernels


# --------------------------------------------------------------------------
# kernel runners: rows in threads (emgcontrol._threads), one specialisation each
# --------------------------------------------------------------------------
#
# Every kernel is compiled for float64, C-contiguous, *writable* arrays.  numba
# types a read-only array differently and would compile a second variant of the
# kernel (seconds, cold) for read-only input such as ``Recording.data``; the
# runners give the kernel a writable array instead (filters copy the input into
# their output and run in place; the others copy it).


def _filter_io(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The kernel input for a kernel writing ``y``: ``x``, or ``y`` holding a copy."""
    if x.flags.writeable or y is x:
        return x
    y[...] = x
    return y


def _writable(x: np.ndarray) -> np.ndarray:
    return x if x.flags.writeable else x.copy()


def sosfilt_rows(sos: np.ndarray, zi: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    """Causal SOS filtering of rows ``x`` into ``y`` (may be ``x``); ``zi`` in place."""
    k = kernels()
    x = _filter_io(x, y)
    run_row_groups(lambda a, b: k.sosfilt(sos, zi[a:b], x[a:b], y[a:b]),
                   x.shape[0], x.size * sos.shape[0])


def prefetch_if_cold() -> None:
    """Announce the zero-phase filter's compile and start the background prefetch.

    Called at the top of the usual first calls (``filter_emg``, ``bandpass``),
    before the filter design imports scipy, so that the background compile of
    the rest of the default chain starts as early as possible on a machine whose
    cache is empty; and by every zero-phase filter run (once per process).
    """
    if notice(kernels().sosfiltfilt, "the zero-phase filter", 2):
        start_prefetch()


def sosfiltfilt_rows(sos: np.ndarray, zi_unit: np.ndarray, x: np.ndarray, y: np.ndarray,
                     edge: int) -> None:
    """Zero-phase SOS filtering of rows ``x`` into ``y`` (may be ``x``)."""
    k = kernels()
    prefetch_if_cold()
    x = _filter_io(x, y)
    run_row_groups(lambda a, b: k.sosfiltfilt(sos, zi_unit, x[a:b], y[a:b], edge),
                   x.shape[0], x.size * 2 * sos.shape[0])


def rectify_rows(x: np.ndarray, y: np.ndarray, chk: np.ndarray) -> None:
    """``y = |x|`` row by row; ``chk`` receives the finiteness check values."""
    k = kernels()
    x = _filter_io(x, y)
    run_row_groups(lambda a, b: k.rectify(x[a:b], y[a:b], chk[a:b]), x.shape[0],
                   x.size * 0.25)


def moving_centred_rows(x: np.ndarray, y: np.ndarray, n_win: int, mode: int,
                        chk: np.ndarray) -> None:
    """Centred moving mean/RMS/ARV (``mode``) of rows ``x`` into ``y`` (not ``x``)."""
    k = kernels()
    notice(k.moving_centred, "the moving-window envelope", 1)
    x = _writable(x)
    run_row_groups(lambda a, b: k.moving_centred(x[a:b], y[a:b], n_win, mode, chk[a:b]),
                   x.shape[0], x.size)


def moving_trailing_rows(x: np.ndarray, y: np.ndarray, suf: np.ndarray, cur: np.ndarray,
                         pre: np.ndarray, state: np.ndarray, mode: int,
                         chk: np.ndarray) -> None:
    """Trailing moving mean/RMS/ARV with carried state (see the kernel)."""
    k = kernels()
    x = _filter_io(x, y)
    start = state.copy()
    ends: list[np.ndarray] = []

    def run(a: int, b: int) -> None:
        st = start.copy()  # the position state is shared by all rows: one copy a group
        k.moving_trailing(x[a:b], y[a:b], suf[a:b], cur[a:b], pre[a:b], st, mode, chk[a:b])
        ends.append(st)

    run_row_groups(run, x.shape[0], x.size)
    if ends:
        state[:] = ends[0]


def tkeo_causal_rows(x: np.ndarray, y: np.ndarray, st: np.ndarray, chk: np.ndarray) -> None:
    """Causal TKEO of rows; ``st`` (n_rows, 2) carries the last two samples."""
    k = kernels()
    x = _filter_io(x, y)
    run_row_groups(lambda a, b: k.tkeo_causal(x[a:b], y[a:b], st[a:b], chk[a:b]),
                   x.shape[0], x.size * 0.5)


def tkeo_centred_rows(x: np.ndarray, y: np.ndarray, chk: np.ndarray) -> None:
    """Zero-delay TKEO of rows ``x`` into ``y`` (not ``x``)."""
    k = kernels()
    x = _writable(x)
    run_row_groups(lambda a, b: k.tkeo_centred(x[a:b], y[a:b], chk[a:b]), x.shape[0],
                   x.size * 0.5)


def as_array(name: str, x: Any) -> np.ndarray:
    """Convert array-like ``x`` to a float64 ndarray (ints and float32 widened)."""
    return as_real_array(name, x,
                         scalar="must have at least one dimension (time); got a scalar")


class Rows:
    """An array viewed as rows ``(n_rows, n_times)`` along one axis.

    Parameters
    ----------
    name : str
        Argument name for messages.
    x : array_like
        The data; any number of dimensions.
    axis : int
        The time axis.
    ch_names : sequence of str, optional
        Names of the rows (Recording channels) for error messages.
    """

    def __init__(self, name: str, x: Any, axis: int = -1,
                 ch_names: Sequence[str] | None = None) -> None:
        arr = as_array(name, x)
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise ValidationError(f"axis must be an integer; got {axis!r}")
        if not -arr.ndim <= axis < arr.ndim:
            raise ValidationError(
                f"axis={axis} is out of range for {name} with {arr.ndim} dimension(s)"
            )
        self.axis = int(axis) % arr.ndim
        moved = np.moveaxis(arr, self.axis, -1)
        self.moved_shape = moved.shape
        self.data = np.ascontiguousarray(moved.reshape(-1, moved.shape[-1]))
        # True when data shares memory with the caller's array (never write into it)
        self.shared = np.may_share_memory(self.data, arr) if self.data.size else False
        self.ch_names = ch_names
        self.name = name

    @property
    def n_times(self) -> int:
        """Number of samples along the time axis."""
        return self.data.shape[1]

    def work_copy(self) -> np.ndarray:
        """A writable array for in-place output (a copy if the data are shared)."""
        if self.shared or not self.data.flags.writeable:
            return np.empty_like(self.data)
        return self.data

    def restore(self, rows: np.ndarray) -> np.ndarray:
        """Shape output rows like the input (time axis back in place)."""
        out = rows.reshape(self.moved_shape)
        return np.moveaxis(out, -1, self.axis)

    def label(self, row: int) -> str:
        """Human name of a row for messages."""
        if self.ch_names is not None:
            return f"channel {self.ch_names[row]!r}"
        prefix = self.moved_shape[:-1]
        if len(prefix) <= 1:
            return f"channel {row}"
        return f"channel {tuple(int(i) for i in np.unravel_index(row, prefix))}"

    def raise_nonfinite(self, rows: Iterable[int] | None = None) -> None:
        """Raise NonFiniteDataError for the first row (of ``rows``) holding NaN/inf.

        Returns silently if those rows are all finite.
        """
        candidates = range(self.data.shape[0]) if rows is None else rows
        for r in candidates:
            bad = ~np.isfinite(self.data[r])
            if bad.any():
                sample = int(np.argmax(bad))
                kind = "NaN" if np.isnan(self.data[r, sample]) else "infinite"
                n_bad = int(bad.sum())
                raise NonFiniteDataError(
                    f"{self.name}: {self.label(r)} holds {n_bad} non-finite sample(s); "
                    f"the first is {kind} at sample {sample}"
                )

    def precheck(self) -> None:
        """Raise for NaN/inf before the data are overwritten in place (row sums, cheap)."""
        sums = np.add.reduce(self.data, axis=1)
        bad = ~np.isfinite(sums)
        if bad.any():  # a finite row can overflow its sum: raise_nonfinite then returns
            self.raise_nonfinite(np.flatnonzero(bad))

    def check_chk(self, chk: np.ndarray) -> None:
        """Raise for rows whose kernel check value ``chk`` is not finite."""
        if not np.isfinite(chk).all():
            self.raise_nonfinite(np.flatnonzero(~np.isfinite(chk)))

    def check_output(self, *arrays: np.ndarray) -> None:
        """Raise if ``arrays`` (per-row values a filter propagates NaN to) are not finite.

        A NaN or inf entering a recursive filter makes its delays non-finite
        for good, so the last output sample and the final delays reveal it at
        no cost; the input is then scanned to name the sample.
        """
        bad = np.zeros(self.data.shape[0], dtype=bool)
        for a in arrays:
            a = a.reshape(self.data.shape[0], -1)
            bad |= ~np.isfinite(a).all(axis=1)
        if bad.any():
            self.raise_nonfinite(np.flatnonzero(bad))


def check_phase(phase: Any) -> str:
    """Validate ``phase`` ("zero" or "causal")."""
    return check_option("phase", phase, PHASES)


def check_order(order: Any, name: str = "order", max_order: int = 16) -> int:
    """Validate a filter order: an integer from 1 to ``max_order``."""
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)):
        raise ValidationError(f"{name} must be an integer from 1 to {max_order}; got {order!r}")
    if not 1 <= int(order) <= max_order:
        raise ValidationError(f"{name} must be an integer from 1 to {max_order}; got {order!r}")
    return int(order)


def check_freq_below_nyquist(name: str, value: Any, sfreq: float) -> float:
    """Validate an explicit frequency: finite, > 0 and below Nyquist."""
    f = check_positive(name, value)
    nyq = sfreq / 2.0
    if f >= nyq:
        raise ValidationError(
            f"{name}={f:g} Hz must be below the Nyquist frequency {nyq:g} Hz "
            f"(sfreq={sfreq:g} Hz)"
        )
    return f


def n_window(window: Any, sfreq: float, name: str = "window") -> int:
    """Window length in samples, ``round(window * sfreq)``; at least one sample."""
    return window_samples(name, window, sfreq)


def is_recording(x: Any) -> bool:
    """True if ``x`` is a Recording (imported lazily to avoid cycles)."""
    from ..recording import Recording

    return isinstance(x, Recording)


def resolve_sfreq(x: Any, sfreq: Any, *, needed: bool = True) -> float | None:
    """Sampling frequency from a Recording or the ``sfreq`` argument."""
    if is_recording(x):
        if sfreq is not None and not math.isclose(float(sfreq), x.sfreq):
            raise ValidationError(
                f"sfreq={sfreq!r} differs from the Recording's sampling frequency "
                f"{x.sfreq:g} Hz; leave sfreq=None for a Recording"
            )
        return float(x.sfreq)
    if sfreq is None:
        if needed:
            raise ValidationError("sfreq (Hz) is required when x is an array")
        return None
    return check_positive("sfreq", sfreq)


def apply_to_recording(
    rec: Recording,
    types: Sequence[str],
    func: Callable[[Rows], np.ndarray],
    step: str,
    params: dict[str, Any],
) -> Recording:
    """Apply ``func`` to the channels of ``types`` and return a new Recording.

    ``func`` receives a :class:`Rows` of the selected channels (a private,
    writable copy) and returns the processed rows.  Other channels are copied
    unchanged.  A history step ``step`` records ``params`` and the channels.
    """
    names = rec.ch_names
    idx = [i for i, t in enumerate(rec.ch_types) if t in types]
    data = rec.data
    if idx:
        rows = Rows("data", data[idx], ch_names=[names[i] for i in idx])
        rows.shared = False  # data[idx] is already a private copy
        done = func(rows)
        if len(idx) == len(names):
            out = done
        else:
            out = data.copy()
            out[idx] = done
    else:
        out = data
    hist = dict(params)
    hist["channels"] = [names[i] for i in idx]
    return rec.with_step(step, hist, data=out)
