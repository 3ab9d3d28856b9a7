"""Live onset detection: :class:`OnsetDetector`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import check_positive, check_sfreq
from ..errors import NonFiniteDataError, ValidationError
from ._baseline import quiet_mask
from ._detect import KernelState, _baseline_window, active_from_start, make_config, thresholds
from ._table import Activations

__all__ = ["OnsetDetector", "OnsetEvent"]


@dataclass(frozen=True)
class OnsetEvent:
    """An onset or offset found by :class:`OnsetDetector`.

    Attributes
    ----------
    channel : str
        Channel name.
    kind : {"onset", "offset"}
        What happened.
    sample : int
        Sample index (from the first sample given to the detector) at which the
        detector placed it, before delay corrections.
    time : float
        Time in seconds from the first sample, corrected for the filter delay
        (and, for offsets, the window lag) exactly as :func:`detect_onsets` does.
    """

    channel: str
    kind: str
    sample: int
    time: float


class OnsetDetector:
    """Detect onsets and offsets block by block on a live stream.

    The detector band-passes each block causally, computes the method's
    statistic and runs the same numba kernel as :func:`detect_onsets`, keeping
    every state (filter delays, windows, on/off runs, the samples the onset
    refinement needs) inside.  Thresholds come from ``thresholds`` (e.g. a
    calibration recording analysed offline) or from a baseline captured at the
    start of the stream: until then blocks are buffered and no event is emitted;
    once captured, the buffered data are analysed and their events returned.
    Activity already present when the stream starts has no onset event (it was
    not observed) and no offset event; :func:`detect_onsets` reports it as a
    row with ``onset_censored``.  Otherwise the events are those rows' onsets
    and offsets.

    Parameters
    ----------
    sfreq : float
        Sampling frequency, Hz.
    n_channels : int
        Rows of every block.
    method : str, optional
        As in :func:`detect_onsets` (default its default).
    baseline : float, (start_s, stop_s) or None
        A number: capture that many seconds and find the quiet part of each
        channel in them automatically (default 3 s).  A window: the baseline is
        exactly that stretch of the stream (captured until ``stop_s``).
    thresholds : Activations or mapping, optional
        Use these thresholds instead of capturing a baseline: an
        :class:`~emgcontrol.onset.Activations` from :func:`detect_onsets` run
        with the same method and parameters (its ``meta["channel_params"]``), or
        ``{"thr_on": [...], "thr_off": [...], "sig0": [...]}`` per channel.
    ch_names : sequence of str, optional
        Channel names (default ``EMG1``...).
    preprocess, l_freq, h_freq :
        Band-pass as in :func:`detect_onsets` (always causal here).
    notch : float or None
        Mains frequency to notch (50 or 60 Hz); None for none.  (Live data
        cannot be searched for the mains line before it arrives.)
    **params :
        Method parameters (``threshold``, ``min_on``, ``ramp``...).

    Examples
    --------
    >>> det = OnsetDetector(1000, 8, baseline=(0.0, 2.0))      # doctest: +SKIP
    >>> for block in stream:                                   # doctest: +SKIP
    ...     for ev in det.process(block):
    ...         print(ev.channel, ev.kind, round(ev.time, 3))
    """

    def __init__(self, sfreq: float, n_channels: int, *, method: str | None = None,
                 baseline: Any = 3.0, thresholds: Any = None,
                 ch_names: Sequence[str] | None = None, preprocess: bool = True,
                 l_freq: float | None = 20.0, h_freq: float | None = None,
                 notch: float | None = None, **params: Any) -> None:
        self._sfreq = check_sfreq(sfreq)
        if isinstance(n_channels, bool) or not isinstance(n_channels, (int, np.integer)) \
                or n_channels < 1:
            raise ValidationError(f"n_channels must be an integer >= 1; got {n_channels!r}")
        self._n = int(n_channels)
        if ch_names is None:
            names = [f"EMG{i + 1}" for i in range(self._n)]
        else:
            names = [str(c) for c in ch_names]
            if len(names) != self._n or len(set(names)) != self._n:
                raise ValidationError(
                    f"ch_names must hold {self._n} unique names; got {list(ch_names)!r}")
        self._names = names
        self._cfg = make_config(method, self._sfreq, params, preprocess=preprocess,
                                l_freq=l_freq, h_freq=h_freq,
                                notch=None if notch is None else check_positive("notch", notch),
                                phase="causal")
        self._pipe = None
        if self._cfg.sos is not None:
            from ..signal import Pipeline, SOSFilter

            self._pipe = Pipeline([SOSFilter(self._cfg.sos)], self._sfreq, self._n,
                                  ch_names=names)
        self._state = KernelState(self._cfg, self._n)
        self._last_on = np.zeros(self._n)
        self._last_off = np.zeros(self._n)
        # per channel: the next offset ends an activation whose onset was not seen
        self._unseen = np.zeros(self._n, dtype=bool)
        self._buffer: list[np.ndarray] = []
        self._n_buffered = 0
        self._n_seen = 0
        self._thr: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._auto = True
        self._capture = 0
        self._window: tuple[float, float] | None = None
        if thresholds is not None:
            self._thr = self._external_thresholds(thresholds)
        elif isinstance(baseline, (int, float, np.integer, np.floating)) \
                and not isinstance(baseline, bool):
            self._capture = max(int(round(check_positive("baseline", baseline)
                                          * self._sfreq)), 1)
        else:
            self._window = _baseline_window(baseline, float("inf"))
            if self._window is None:
                raise ValidationError(
                    "baseline must be a capture duration in seconds or a (start_s, stop_s) "
                    f"window for a live detector; got {baseline!r}")
            self._auto = False
            self._capture = max(int(round(self._window[1] * self._sfreq)), 1)

    # ----------------------------------------------------------- properties
    @property
    def sfreq(self) -> float:
        """Sampling frequency, Hz."""
        return self._sfreq

    @property
    def ch_names(self) -> list[str]:
        """Channel names."""
        return list(self._names)

    @property
    def ready(self) -> bool:
        """True once thresholds are set (baseline captured or given)."""
        return self._thr is not None

    @property
    def params(self) -> dict[str, Any]:
        """Every parameter in use (durations in s)."""
        return self._cfg.public_params()

    @property
    def thresholds(self) -> dict[str, dict[str, float]] | None:
        """Per channel ``{"thr_on", "thr_off", "sig0"}``, or None before capture."""
        if self._thr is None:
            return None
        on, off, s0 = self._thr
        return {name: {"thr_on": float(on[i]), "thr_off": float(off[i]), "sig0": float(s0[i])}
                for i, name in enumerate(self._names)}

    # --------------------------------------------------------------- intake
    def _external_thresholds(self, thr: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if isinstance(thr, Activations):
            meta = thr.meta
            if meta.get("method") != self._cfg.method:
                raise ValidationError(
                    f"thresholds come from method {meta.get('method')!r} but this detector "
                    f"runs {self._cfg.method!r}")
            cp = meta.get("channel_params", {})
            missing = [n for n in self._names if n not in cp]
            if missing:
                raise ValidationError(
                    f"thresholds have no values for channel(s) {', '.join(missing)} "
                    "(not assessable or absent in the calibration)")
            thr = {key: [cp[n][key] for n in self._names] for key in ("thr_on", "thr_off", "sig0")}
        if not isinstance(thr, Mapping):
            raise ValidationError(
                "thresholds must be an Activations or a mapping with thr_on, thr_off, sig0")
        out = []
        for key in ("thr_on", "thr_off", "sig0"):
            if key not in thr:
                raise ValidationError(f"thresholds lacks {key!r}")
            arr = np.asarray(thr[key], dtype=float).ravel()
            if arr.shape != (self._n,) or not np.all(np.isfinite(arr)):
                raise ValidationError(
                    f"thresholds[{key!r}] must hold {self._n} finite values; got {thr[key]!r}")
            out.append(np.ascontiguousarray(arr))
        return out[0], out[1], out[2]

    def _check_block(self, block: Any) -> np.ndarray:
        x = np.asarray(block, dtype=np.float64)
        if x.ndim == 1 and self._n == 1:
            x = x[np.newaxis, :]
        if x.ndim != 2 or x.shape[0] != self._n:
            raise ValidationError(f"block must have shape ({self._n}, n_samples); got {x.shape}")
        if not np.all(np.isfinite(x)):
            ch, k = (int(v) for v in np.argwhere(~np.isfinite(x))[0])
            raise NonFiniteDataError(
                f"block: channel {self._names[ch]!r} holds a non-finite sample at sample {k} "
                f"of the block (sample {self._n_seen + k} of the stream)")
        return np.ascontiguousarray(x)

    def _events(self, per_channel: Sequence[Sequence[tuple[int, int]]], *,
                end: bool = False) -> list[OnsetEvent]:
        """Events with times corrected and kept ordered as :func:`detect_onsets` does."""
        cfg = self._cfg
        dt = 1.0 / cfg.sfreq
        first_seen = cfg.n_w + cfg.n_arm + cfg.n_on  # before: no rest seen before the onset
        out = []
        for c, evs in enumerate(per_channel):
            for kind, s in evs:
                if kind == 1 and s < first_seen:
                    self._unseen[c] = True  # not an onset: active from the stream's start
                    continue
                if kind != 1 and self._unseen[c]:
                    self._unseen[c] = False
                    continue
                if kind == 1:
                    t = max((s - cfg.filter_delay) * dt, self._last_off[c], 0.0)
                    self._last_on[c] = t
                    out.append(OnsetEvent(self._names[c], "onset", s, t))
                else:
                    if end:  # closed by the end of the stream: no lag to undo
                        t = s * dt
                    else:
                        t = (s - cfg.filter_delay - cfg.offset_lag) * dt
                        t = max(t, self._last_on[c] + dt)
                    self._last_off[c] = t
                    out.append(OnsetEvent(self._names[c], "offset", s, t))
        out.sort(key=lambda e: (e.sample, e.kind != "offset"))
        return out

    def _calibrate(self, y: np.ndarray) -> None:
        cfg = self._cfg
        n_ch = self._n
        inf = np.full(n_ch, np.inf)
        probe = KernelState(cfg, n_ch)
        _, stat = probe.run(y, inf, inf, np.ones(n_ch), want_stat=True)
        masks = np.zeros(y.shape, dtype=bool)
        for c in range(n_ch):
            if self._auto:
                masks[c] = quiet_mask(y[c], cfg.sfreq, cfg.bandwidth, skip=cfg.n_w + cfg.n_arm)
            else:
                a = int(round(self._window[0] * cfg.sfreq))
                b = int(round(self._window[1] * cfg.sfreq))
                masks[c, a:b] = True
            if masks[c].sum() < max(cfg.n_w, 4) or np.ptp(y[c][masks[c]]) == 0:
                raise ValidationError(
                    f"channel {self._names[c]!r}: no usable baseline in the captured "
                    f"{y.shape[1] / cfg.sfreq:g} s (flat or no quiet stretch)")
        on = np.empty(n_ch)
        off = np.empty(n_ch)
        s0 = np.empty(n_ch)
        for c in range(n_ch):
            on[c], off[c], _, _, s0[c] = thresholds(cfg, stat[c], y[c], masks[c])
        self._thr = (on, off, s0)
        if cfg.method == "bonato":  # its statistic depends on sig0: as offline, recompute
            _, stat = KernelState(cfg, n_ch).run(y, inf, inf, s0, want_stat=True)
        # a channel active from the stream's start: the kernel starts active, as
        # offline, and the end of that activity (whose onset was not seen) is dropped
        lead = [c for c in range(n_ch)
                if active_from_start(stat[c], on[c], off[c], cfg.n_w + cfg.n_arm, cfg.n_on,
                                     cfg.n_arm)]
        self._state.start_active(lead)
        self._unseen[lead] = True

    def process(self, block: Any) -> list[OnsetEvent]:
        """Process the next block and return the events it completed.

        Parameters
        ----------
        block : array_like, shape (n_channels, n_samples)
            Raw samples (any n_samples, including 0).

        Returns
        -------
        list of OnsetEvent
            Sorted by sample.  Onsets are emitted ``look_ahead`` s after the
            detection (the refinement needs those samples), offsets after
            ``min_off``.
        """
        x = self._check_block(block)
        if x.shape[1] == 0:
            return []
        self._n_seen += x.shape[1]
        y = self._pipe.process(x) if self._pipe is not None else x
        if self._thr is None:
            self._buffer.append(y)
            self._n_buffered += y.shape[1]
            if self._n_buffered < self._capture:
                return []
            y = np.concatenate(self._buffer, axis=1)
            self._buffer = []
            self._calibrate(y)
        on, off, s0 = self._thr
        evs, _ = self._state.run(y, on, off, s0)
        return self._events(evs)

    def flush(self) -> list[OnsetEvent]:
        """End of stream: emit pending onsets and close open activations.

        An activation still open is closed at the last sample (its offset time is
        the stream length, as in :func:`detect_onsets`).
        """
        if self._thr is None:
            return []
        return self._events(self._state.flush(self._thr[2]), end=True)

    def reset(self) -> None:
        """Forget the stream (filters, detector state); thresholds given are kept."""
        if self._pipe is not None:
            self._pipe.reset()
        self._state = KernelState(self._cfg, self._n)
        self._last_on[:] = 0.0
        self._last_off[:] = 0.0
        self._unseen[:] = False
        self._buffer = []
        self._n_buffered = 0
        self._n_seen = 0
        if self._capture:
            self._thr = None

    def __repr__(self) -> str:
        state = "ready" if self.ready else f"capturing baseline ({self._n_buffered} samples)"
        return (f"<OnsetDetector | {self._cfg.method}, {self._n} channels at {self._sfreq:g} Hz, "
                f"{state}>")

