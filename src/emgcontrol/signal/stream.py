"""Streaming (live) processing: a :class:`Pipeline` of causal stages.

A pipeline processes blocks ``(n_channels, n_block)`` one after the other and
keeps every stage's state (filter delays, window ring buffers, last samples)
inside, so any split of a signal into blocks gives the same output as one
causal call on the whole signal (``phase="causal"`` of the offline functions):
both run the same numba kernels from the same initial state.

Example
-------
>>> import numpy as np
>>> from emgcontrol.signal import Pipeline, BandPass, Notch, MovingRMS
>>> pipe = Pipeline([BandPass(20, 450), Notch(50), MovingRMS(0.05)], sfreq=2000,
...                 n_channels=16)
>>> out = pipe.process(np.zeros((16, 20)))      # one 10 ms block
>>> out.shape
(16, 20)

Filters start in the steady state of the first sample of the first block (as
the offline causal filters do), so electrode offsets do not ring at start-up.
Call :func:`warmup` once at program start so the first block does not pay for
loading (or compiling) the kernels.
"""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validate import check_positive
from ..errors import EmgcontrolWarning, NonFiniteDataError, ValidationError
from ._common import (
    check_freq_below_nyquist,
    check_order,
    kernels,
    moving_trailing_rows,
    n_window,
    rectify_rows,
    sosfilt_rows,
    tkeo_causal_rows,
)
from .envelopes import MODE_ARV, MODE_MEAN, MODE_RMS
from .filters import (
    L_FREQ_DEFAULT,
    _check_sos,
    _default_h_freq,
    default_band,
    design_bandpass,
    design_notch,
    h_freq_note,
    sosfilt_zi,
)

__all__ = [
    "Pipeline",
    "Stage",
    "BandPass",
    "HighPass",
    "LowPass",
    "Notch",
    "SOSFilter",
    "Rectify",
    "MovingRMS",
    "MovingAverage",
    "MovingARV",
    "LinearEnvelope",
    "TKEO",
    "warmup",
    "warmup_filter",
    "kernel_cache_dir",
]


# --------------------------------------------------------------------------
# runners: the bound, stateful part of a stage
# --------------------------------------------------------------------------


class _Runner:
    """State of one stage bound to a sampling rate and channel count."""

    def process(self, x: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError

    def reset(self) -> None:  # pragma: no cover
        raise NotImplementedError


class _SosRunner(_Runner):
    def __init__(self, sos: np.ndarray) -> None:
        self.sos = sos
        self.zi_unit = sosfilt_zi(sos)
        self.z: np.ndarray | None = None

    def process(self, x: np.ndarray, out: np.ndarray) -> None:
        if self.z is None:
            self.z = np.ascontiguousarray(
                self.zi_unit[np.newaxis, :, :] * x[:, :1, np.newaxis])
        sosfilt_rows(self.sos, self.z, x, out)

    def reset(self) -> None:
        self.z = None


class _AbsRunner(_Runner):
    def __init__(self, n_channels: int) -> None:
        self.chk = np.empty(n_channels)

    def process(self, x: np.ndarray, out: np.ndarray) -> None:
        rectify_rows(x, out, self.chk)

    def reset(self) -> None:
        pass


class _MovingRunner(_Runner):
    def __init__(self, n_channels: int, n_win: int, mode: int) -> None:
        self.suf = np.zeros((n_channels, n_win))
        self.cur = np.zeros((n_channels, n_win))
        self.pre = np.zeros(n_channels)
        self.state = np.zeros(2, dtype=np.int64)
        self.mode = mode
        self.chk = np.empty(n_channels)

    def process(self, x: np.ndarray, out: np.ndarray) -> None:
        moving_trailing_rows(x, out, self.suf, self.cur, self.pre, self.state, self.mode,
                             self.chk)

    def reset(self) -> None:
        self.suf[:] = 0.0
        self.cur[:] = 0.0
        self.pre[:] = 0.0
        self.state[:] = 0


class _TkeoRunner(_Runner):
    def __init__(self, n_channels: int) -> None:
        self.st: np.ndarray | None = None
        self.chk = np.empty(n_channels)

    def process(self, x: np.ndarray, out: np.ndarray) -> None:
        if self.st is None:
            self.st = np.ascontiguousarray(np.repeat(x[:, :1], 2, axis=1))
        tkeo_causal_rows(x, out, self.st, self.chk)

    def reset(self) -> None:
        self.st = None


class _ChainRunner(_Runner):
    def __init__(self, runners: Sequence[_Runner]) -> None:
        self.runners = list(runners)

    def process(self, x: np.ndarray, out: np.ndarray) -> None:
        src = x
        for r in self.runners:
            r.process(src, out)
            src = out

    def reset(self) -> None:
        for r in self.runners:
            r.reset()


# --------------------------------------------------------------------------
# stages: what the user writes
# --------------------------------------------------------------------------


class Stage:
    """A causal processing step of a :class:`Pipeline`.

    A stage object only describes the step; the pipeline binds it to the
    sampling rate and channel count and keeps the state.
    """

    name = "stage"

    def params(self, sfreq: float) -> dict[str, Any]:
        """Parameters actually used at ``sfreq`` (JSON-ready)."""
        return {}

    def _bind(self, sfreq: float, n_channels: int) -> _Runner:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class SOSFilter(Stage):
    """Causal filter with given second-order sections.

    Parameters
    ----------
    sos : array_like, shape (n_sections, 6)
        Sections (e.g. from ``scipy.signal.butter(..., output="sos", fs=sfreq)``).
    """

    name = "sos_filter"

    def __init__(self, sos: Any) -> None:
        self.sos = _check_sos(sos)

    def params(self, sfreq: float) -> dict[str, Any]:
        return {"sos": self.sos.tolist()}

    def _bind(self, sfreq: float, n_channels: int) -> _Runner:
        return _SosRunner(self.sos)


class BandPass(Stage):
    """Causal Butterworth band-pass (defaults and checks as :func:`~emgcontrol.signal.bandpass`).

    Parameters
    ----------
    l_freq : float
        Lower edge in Hz (default 20).
    h_freq : float, optional
        Upper edge in Hz; default 450 Hz, lowered to 0.9 x Nyquist at low rates
        (the parameters then hold ``h_freq_note``).
    order : int
        Butterworth prototype order (default 4).
    """

    name = "bandpass"

    def __init__(self, l_freq: float = L_FREQ_DEFAULT, h_freq: float | None = None,
                 order: int = 4) -> None:
        self.l_freq = l_freq
        self.h_freq = h_freq
        self.order = check_order(order)

    def params(self, sfreq: float) -> dict[str, Any]:
        low, high = default_band(sfreq, self.l_freq, self.h_freq)
        return {"l_freq": low, "h_freq": high, **h_freq_note(sfreq, self.h_freq),
                "order": self.order}

    def _bind(self, sfreq: float, n_channels: int) -> _Runner:
        low, high = default_band(sfreq, self.l_freq, self.h_freq)
        return _SosRunner(design_bandpass(sfreq, low, high, self.order))


class HighPass(Stage):
    """Causal Butterworth high-pass at ``l_freq`` Hz (default 20) of ``order`` (4)."""

    name = "highpass"

    def __init__(self, l_freq: float = L_FREQ_DEFAULT, order: int = 4) -> None:
        self.l_freq = l_freq
        self.order = check_order(order)

    def params(self, sfreq: float) -> dict[str, Any]:
        return {"l_freq": check_freq_below_nyquist("l_freq", self.l_freq, sfreq),
                "order": self.order}

    def _bind(self, sfreq: float, n_channels: int) -> _Runner:
        low = check_freq_below_nyquist("l_freq", self.l_freq, sfreq)
        return _SosRunner(design_bandpass(sfreq, low, None, self.order))


class LowPass(Stage):
    """Causal Butterworth low-pass at ``h_freq`` Hz (default 450 adapted) of ``order`` (4)."""

    name = "lowpass"

    def __init__(self, h_freq: float | None = None, order: int = 4) -> None:
        self.h_freq = h_freq
        self.order = check_order(order)

    def _high(self, sfreq: float) -> float:
        if self.h_freq is None:
            return _default_h_freq(sfreq)
        return check_freq_below_nyquist("h_freq", self.h_freq, sfreq)

    def params(self, sfreq: float) -> dict[str, Any]:
        return {"h_freq": self._high(sfreq), **h_freq_note(sfreq, self.h_freq),
                "order": self.order}

    def _bind(self, sfreq: float, n_channels: int) -> _Runner:
        return _SosRunner(design_bandpass(sfreq, None, self._high(sfreq), self.order))


class Notch(Stage):
    """Causal mains notch (as :func:`~emgcontrol.signal.notch`).

    Parameters
    ----------
    freq : float
        Mains frequency in Hz (50 or 60).  ``"auto"`` needs data: detect the
        line on a calibration recording with
        :func:`~emgcontrol.signal.detect_mains` and pass the result.
    harmonics : bool
        Also notch harmonics below Nyquist (default True).
    quality : float
        Quality factor of the fundamental (default 30); every notch is
        ``freq / quality`` Hz wide.
    """

    name = "notch"

    def __init__(self, freq: float = 50.0, harmonics: bool = True,
                 quality: float = 30.0) -> None:
        if isinstance(freq, str):
            raise ValidationError(
                f"Notch(freq={freq!r}): a live notch needs a frequency in Hz; detect it "
                "beforehand with emgcontrol.signal.detect_mains(calibration_data, sfreq)"
            )
        self.freq = check_positive("freq", freq)
        self.harmonics = bool(harmonics)
        self.quality = check_positive("quality", quality)

    def params(self, sfreq: float) -> dict[str, Any]:
        return {"freq": self.freq, "harmonics": self.harmonics, "quality": self.quality}

    def _bind(self, sfreq: float, n_channels: int) -> _Runner:
        return _SosRunner(design_notch(sfreq, self.freq, harmonics=self.harmonics,
                                       quality=self.quality))


class Rectify(Stage):
    """Full-wave rectification ``|x|``."""

    name = "rectify"

    def _bind(self, sfreq: float, n_channels: int) -> _Runner:
        return _AbsRunner(n_channels)


class _Moving(Stage):
    mode = MODE_MEAN

    def __init__(self, window: float = 0.05) -> None:
        self.window = check_positive("window", window)

    def params(self, sfreq: float) -> dict[str, Any]:
        return {"window": self.window, "n_window": n_window(self.window, sfreq),
                "alignment": "trailing"}

    def _bind(self, sfreq: float, n_channels: int) -> _Runner:
        return _MovingRunner(n_channels, n_window(self.window, sfreq), self.mode)


class MovingRMS(_Moving):
    """Trailing moving RMS over ``window`` seconds (default 50 ms)."""

    name = "moving_rms"
    mode = MODE_RMS


class MovingAverage(_Moving):
    """Trailing moving average over ``window`` seconds (default 50 ms)."""

    name = "moving_average"
    mode = MODE_MEAN


class MovingARV(_Moving):
    """Trailing average rectified value over ``window`` seconds (rectifies itself)."""

    name = "moving_arv"
    mode = MODE_ARV


class LinearEnvelope(Stage):
    """Rectification + causal Butterworth low-pass at ``cutoff`` Hz (default 6, order 2)."""

    name = "linear_envelope"

    def __init__(self, cutoff: float = 6.0, order: int = 2) -> None:
        self.cutoff = check_positive("cutoff", cutoff)
        self.order = check_order(order)

    def params(self, sfreq: float) -> dict[str, Any]:
        return {"cutoff": check_freq_below_nyquist("cutoff", self.cutoff, sfreq),
                "order": self.order}

    def _bind(self, sfreq: float, n_channels: int) -> _Runner:
        fc = check_freq_below_nyquist("cutoff", self.cutoff, sfreq)
        return _ChainRunner([_AbsRunner(n_channels),
                             _SosRunner(design_bandpass(sfreq, None, fc, self.order))])


class TKEO(Stage):
    """Causal Teager-Kaiser energy operator (one sample late), V**2."""

    name = "tkeo"

    def _bind(self, sfreq: float, n_channels: int) -> _Runner:
        return _TkeoRunner(n_channels)


# --------------------------------------------------------------------------
# pipeline
# --------------------------------------------------------------------------


class Pipeline:
    """Causal stages applied block by block, with their state inside.

    Parameters
    ----------
    stages : sequence of Stage
        E.g. ``[BandPass(20, 450), Notch(50), MovingRMS(0.05)]``.
    sfreq : float
        Sampling frequency in Hz.
    n_channels : int
        Number of channels (rows of every block).
    ch_names : sequence of str, optional
        Channel names for error messages.

    Notes
    -----
    Blocks are converted to C-contiguous float64 (copied only if needed; the
    input is never modified) and checked for NaN/inf before any state changes,
    so a bad block raises :class:`~emgcontrol.NonFiniteDataError` and leaves the
    pipeline as it was.
    """

    def __init__(self, stages: Sequence[Stage], sfreq: float, n_channels: int, *,
                 ch_names: Sequence[str] | None = None) -> None:
        self._sfreq = check_positive("sfreq", sfreq)
        if isinstance(n_channels, bool) or not isinstance(n_channels, (int, np.integer)) \
                or n_channels < 1:
            raise ValidationError(f"n_channels must be an integer >= 1; got {n_channels!r}")
        self._n_channels = int(n_channels)
        stages = list(stages)
        for i, st in enumerate(stages):
            if not isinstance(st, Stage):
                raise ValidationError(
                    f"stages[{i}] must be a Stage (BandPass, Notch, Rectify, MovingRMS...); "
                    f"got {st!r}"
                )
        if ch_names is not None and len(ch_names) != self._n_channels:
            raise ValidationError(
                f"ch_names has {len(ch_names)} names for {self._n_channels} channels")
        self._ch_names = None if ch_names is None else [str(c) for c in ch_names]
        self._stages = stages
        self._runners = [st._bind(self._sfreq, self._n_channels) for st in stages]
        with warnings.catch_warnings():  # adaptations were reported by _bind already
            warnings.simplefilter("ignore", EmgcontrolWarning)
            self._params = [{"step": st.name, "params": st.params(self._sfreq)}
                            for st in stages]
        self._n_processed = 0

    @property
    def sfreq(self) -> float:
        """Sampling frequency in Hz."""
        return self._sfreq

    @property
    def n_channels(self) -> int:
        """Number of channels per block."""
        return self._n_channels

    @property
    def stages(self) -> list[Stage]:
        """The stages, in order."""
        return list(self._stages)

    @property
    def n_processed(self) -> int:
        """Samples per channel processed since creation or the last :meth:`reset`."""
        return self._n_processed

    def params(self) -> list[dict[str, Any]]:
        """Each stage's name and parameters at this rate (JSON-ready)."""
        return copy.deepcopy(self._params)

    def reset(self) -> None:
        """Forget all state: the next block is processed like the first one."""
        for r in self._runners:
            r.reset()
        self._n_processed = 0

    def _check_block(self, block: Any) -> np.ndarray:
        x = block if isinstance(block, np.ndarray) else np.asarray(block)
        if x.dtype != np.float64:
            if x.dtype == object or x.dtype.kind not in "biuf":
                raise ValidationError(f"block must hold real numbers; got dtype {x.dtype}")
            x = x.astype(np.float64)
        if x.ndim == 1 and self._n_channels == 1:
            x = x[np.newaxis, :]
        if x.ndim != 2 or x.shape[0] != self._n_channels:
            raise ValidationError(
                f"block must have shape ({self._n_channels}, n_samples); got {x.shape}"
            )
        if not x.flags.c_contiguous:
            x = np.ascontiguousarray(x)
        if not np.isfinite(np.add.reduce(x, axis=None)):
            bad = ~np.isfinite(x)
            if bad.any():  # (a finite block can overflow the sum: then nothing is wrong)
                ch, k = (int(i) for i in np.argwhere(bad)[0])
                name = self._ch_names[ch] if self._ch_names else str(ch)
                kind = "NaN" if np.isnan(x[ch, k]) else "infinite"
                raise NonFiniteDataError(
                    f"block: channel {name!r} holds {int(bad[ch].sum())} non-finite "
                    f"sample(s); the first is {kind} at sample {k} of the block "
                    f"(sample {self._n_processed + k} of the stream)"
                )
        return x

    def process(self, block: Any) -> np.ndarray:
        """Process one block and return the output of the last stage.

        Parameters
        ----------
        block : array_like, shape (n_channels, n_samples)
            The next samples (any n_samples, including 0).

        Returns
        -------
        ndarray, shape (n_channels, n_samples), float64
            A new array.
        """
        x = self._check_block(block)
        out = np.empty_like(x)
        if x.shape[1] == 0:
            return out
        if not self._runners:
            out[:] = x
        src = x
        for r in self._runners:
            r.process(src, out)
            src = out
        self._n_processed += x.shape[1]
        return out

    def __repr__(self) -> str:
        names = " -> ".join(st.name for st in self._stages) or "(empty)"
        return (f"<Pipeline | {names} | {self._n_channels} channels at {self._sfreq:g} Hz, "
                f"{self._n_processed} samples processed>")


# --------------------------------------------------------------------------
# warm-up
# --------------------------------------------------------------------------


def warmup(*, offline: bool = True) -> float:
    """Compile (or load from the on-disk cache) the signal kernels.

    Call it once at program start, before a live session, so the first block
    does not wait for numba.  Each kernel has one specialisation (float64,
    2-D, C-contiguous, writable arrays; read-only input is copied before it
    reaches a kernel), so what this prepares is what every later call uses.

    Parameters
    ----------
    offline : bool
        Also prepare the kernels only the offline functions use (zero-phase
        filtering, centred windows), default True.

    Returns
    -------
    float
        Seconds spent.
    """
    t0 = time.perf_counter()
    k = kernels()
    x = np.linspace(-1.0, 1.0, 128).reshape(2, 64)
    y = np.empty_like(x)
    sos = np.array([[0.2, 0.4, 0.2, 1.0, -0.3, 0.1]])
    chk = np.empty(2)
    k.sosfilt(sos, np.zeros((2, 1, 2)), x, y)
    k.rectify(x, y, chk)
    k.moving_trailing(x, y, np.zeros((2, 8)), np.zeros((2, 8)), np.zeros(2),
                      np.zeros(2, dtype=np.int64), MODE_RMS, chk)
    k.tkeo_causal(x, y, np.zeros((2, 2)), chk)
    if offline:
        k.sosfiltfilt(sos, sosfilt_zi(sos), x, y, 3)
        k.moving_centred(x, y, 8, MODE_RMS, chk)
        k.tkeo_centred(x, y, chk)
    return time.perf_counter() - t0


def warmup_filter() -> float:
    """Compile (or load from the on-disk cache) the causal filter kernel alone.

    The cheapest part of :func:`warmup`: what a background prefetch prepares
    while another process compiles the zero-phase filter.

    Returns
    -------
    float
        Seconds spent.
    """
    t0 = time.perf_counter()
    x = np.linspace(-1.0, 1.0, 128).reshape(2, 64)
    sos = np.array([[0.2, 0.4, 0.2, 1.0, -0.3, 0.1]])
    kernels().sosfilt(sos, np.zeros((2, 1, 2)), x, np.empty_like(x))
    return time.perf_counter() - t0


def kernel_cache_dir() -> str | None:
    """The folder where numba caches the compiled signal kernels.

    Returns
    -------
    str or None
        The folder, or None when numba's JIT is disabled (nothing is cached).
    """
    try:
        return str(kernels().sosfilt.stats.cache_path)
    except Exception:  # noqa: BLE001 - JIT disabled: plain functions, no cache
        return None
