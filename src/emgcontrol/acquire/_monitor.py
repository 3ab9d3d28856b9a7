"""Live checks on the incoming stream: package-counter gaps, railed and flat channels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["CounterTracker", "ChannelMonitor", "ChannelFlag", "RAIL_FRACTION", "FLAT_SD_UV",
           "FLAT_WINDOW_S"]

RAIL_FRACTION = 0.90
"""A sample is railed at >= 90 % of the input range (the OpenBCI GUI's limit; the
same default as :class:`emgcontrol.signal.quality.QualityThresholds`)."""

FLAT_SD_UV = 0.1
"""A channel is flat when its SD over :data:`FLAT_WINDOW_S` is below 0.1 uV
(amplifier noise of a connected electrode is >= 0.3 uV RMS; Cyton LSB 0.022 uV)."""

FLAT_WINDOW_S = 0.25
"""Window of the live railed/flat checks, s."""


@dataclass(frozen=True)
class ChannelFlag:
    """A channel became (or stopped being) railed or flat.

    Attributes
    ----------
    channel : str
        Channel name.
    kind : {"railed", "flat"}
        The problem.
    active : bool
        True when it starts, False when it ends.
    sample : int
        Stream sample at which it was noticed (end of the block).
    time_s : float
        ``sample / sfreq``.
    value_uv : float
        Largest absolute value (railed) or SD (flat) in the window, uV.
    """

    channel: str
    kind: str
    active: bool
    sample: int
    time_s: float
    value_uv: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)

    def message(self) -> str:
        """One line for a user."""
        if self.kind == "railed":
            what = ("railed (input saturated: electrode off or large offset)" if self.active
                    else "no longer railed")
        else:
            what = ("flat (no signal: lead disconnected or channel dead)" if self.active
                    else "no longer flat")
        return f"channel {self.channel} {what} at {self.time_s:.2f} s"


class CounterTracker:
    """Count samples lost between consecutive blocks from the package counter.

    Parameters
    ----------
    board_id : int
        Board whose counter convention applies (the data board of a playback).
    sfreq : float
        Sampling rate, Hz.
    """

    def __init__(self, board_id: int, sfreq: float) -> None:
        from ..hardware import counter_spec

        self.board_id = int(board_id)
        self.sfreq = float(sfreq)
        self.spec = counter_spec(self.board_id)
        self._last_pkg: float | None = None
        self._last_ts: float | None = None
        self._max = -1

    def reset(self) -> None:
        """Forget the last sample (after a reconnection the counter may restart)."""
        self._last_pkg = None
        self._last_ts = None

    @property
    def last_timestamp(self) -> float | None:
        """Timestamp of the last sample seen."""
        return self._last_ts

    @property
    def last_counter(self) -> float | None:
        """Counter value of the last sample seen."""
        return self._last_pkg

    def update(self, package: np.ndarray | None, timestamps: np.ndarray | None,
               first_sample: int) -> list[dict[str, Any]]:
        """Gaps before or inside a block.

        Parameters
        ----------
        package : ndarray, shape (n,), optional
            Counter values of the block.
        timestamps : ndarray, shape (n,), optional
            BrainFlow timestamps of the block.
        first_sample : int
            Stream index of the block's first sample.

        Returns
        -------
        list of dict
            ``{"sample", "time_s", "n_missing", "line", "source"}`` with ``sample`` the
            stream index of the first sample after the gap (``line`` its 1-based
            line in the recorded BrainFlow CSV file).
        """
        out: list[dict[str, Any]] = []
        if package is not None and package.size and np.isfinite(package).all():
            from ..io import find_gaps

            pkg = package if self._last_pkg is None else np.concatenate(
                ([self._last_pkg], package))
            ts = None
            if timestamps is not None:
                ts = timestamps if self._last_ts is None else np.concatenate(
                    ([self._last_ts], timestamps))
            base = first_sample - (0 if self._last_pkg is None else 1)
            idx = np.round(pkg).astype(np.int64)
            gaps: list[Any] = []
            if self.spec.ganglion_packets:
                keys = np.where((idx >= 1) & (idx <= 200), (idx - 1) % 100, -1)
                gaps = find_gaps(None, sfreq=self.sfreq, modulus=100, packet_keys=keys,
                                 samples_per_packet=2)
            elif (idx >= 0).all():
                self._max = max(self._max, int(idx.max()))
                modulus = self.spec.modulus or (self._max + 1)
                if modulus > 1:
                    gaps = find_gaps(idx, sfreq=self.sfreq, modulus=modulus,
                                     step=self.spec.step)
            period = self._period_samples()
            for g in gaps:
                n_missing = int(g.n_missing)
                if ts is not None and period is not None and g.sample < len(ts):
                    # a loss longer than a counter period: the counter wrapped; use time
                    dt = float(ts[g.sample] - ts[g.sample - 1])
                    n_time = int(round(dt * self.sfreq)) - 1
                    if n_time > period:
                        n_missing = _congruent_near(n_missing, int(period), n_time)
                s = base + int(g.sample)
                out.append({"sample": s, "time_s": s / self.sfreq, "n_missing": n_missing,
                            "line": s + 1, "source": "counter"})
            self._last_pkg = float(package[-1])
        if timestamps is not None and timestamps.size:
            self._last_ts = float(timestamps[-1])
        return out

    def _period_samples(self) -> int | None:
        if self.spec.ganglion_packets:
            return 200
        if self.spec.modulus:
            return int(self.spec.modulus // max(self.spec.step, 1))
        return None

    def gap_across_reconnection(self, package: np.ndarray | None, timestamps: np.ndarray,
                                first_sample: int) -> dict[str, Any] | None:
        """Samples lost while the board was disconnected.

        Estimated from the timestamps on both sides of the outage and refined by
        the package counter when the board kept counting (the count congruent with
        the counter difference that is closest to the time estimate).
        """
        if self._last_ts is None or not timestamps.size:
            return None
        n_time = int(round((float(timestamps[0]) - self._last_ts) * self.sfreq)) - 1
        n = max(n_time, 0)
        period = self._period_samples()
        if (package is not None and package.size and self._last_pkg is not None
                and period and not self.spec.ganglion_packets):
            step = max(self.spec.step, 1)
            mod = int(self.spec.modulus or period * step)
            d = (int(round(package[0])) - int(round(self._last_pkg))) % mod
            by_counter = ((d - step) % mod) // step
            n = _congruent_near(by_counter, period, n)
        if n <= 0:
            return None
        return {"sample": int(first_sample), "time_s": first_sample / self.sfreq,
                "n_missing": int(n), "line": int(first_sample) + 1, "source": "reconnection"}


def _congruent_near(residue: int, period: int, target: int) -> int:
    """The value congruent to ``residue`` modulo ``period`` closest to ``target`` (>= 0)."""
    if period <= 0:
        return max(target, 0)
    k = round((target - residue) / period)
    return max(int(residue + k * period), int(residue))


class ChannelMonitor:
    """Flag railed and flat channels live, over a trailing window.

    Parameters
    ----------
    ch_names : sequence of str
        EXG channel names.
    sfreq : float
        Sampling rate, Hz.
    rail_uv : float, sequence of float or None
        Input range per channel in uV (None: no railed check, e.g. boards whose
        range is unknown).
    rail_fraction, flat_sd_uv, window_s : float
        Thresholds (defaults :data:`RAIL_FRACTION`, :data:`FLAT_SD_UV`,
        :data:`FLAT_WINDOW_S`).
    """

    def __init__(self, ch_names: Sequence[str], sfreq: float, rail_uv: Any = None, *,
                 rail_fraction: float = RAIL_FRACTION, flat_sd_uv: float = FLAT_SD_UV,
                 window_s: float = FLAT_WINDOW_S) -> None:
        self.ch_names = [str(c) for c in ch_names]
        n = len(self.ch_names)
        self.sfreq = float(sfreq)
        self.n_win = max(int(round(window_s * self.sfreq)), 2)
        if rail_uv is None:
            self.rail = None
        else:
            r = np.broadcast_to(np.asarray(rail_uv, dtype=float), (n,)).copy()
            self.rail = r * float(rail_fraction)
        self.flat_sd = float(flat_sd_uv)
        self._buf = np.zeros((n, self.n_win))
        self._filled = 0
        self._pos = 0
        self.railed = np.zeros(n, dtype=bool)
        self.flat = np.zeros(n, dtype=bool)

    def set_rails(self, rail_uv: Any, rail_fraction: float = RAIL_FRACTION) -> None:
        """Change the input range (after a gain change)."""
        n = len(self.ch_names)
        self.rail = np.broadcast_to(np.asarray(rail_uv, dtype=float), (n,)).copy() * float(
            rail_fraction)

    def reset(self) -> None:
        """Forget the window (after a reconnection)."""
        self._filled = 0
        self._pos = 0

    def update(self, x_uv: np.ndarray, last_sample: int) -> list[ChannelFlag]:
        """Push a block (uV, shape (n_channels, n)) and return the state changes."""
        n = x_uv.shape[1]
        if n == 0:
            return []
        w = self.n_win
        if n >= w:
            self._buf[:] = x_uv[:, n - w:]
            self._pos = 0
        else:
            end = self._pos + n
            if end <= w:
                self._buf[:, self._pos:end] = x_uv
            else:
                k = w - self._pos
                self._buf[:, self._pos:] = x_uv[:, :k]
                self._buf[:, :n - k] = x_uv[:, k:]
            self._pos = end % w
        self._filled = min(self._filled + n, w)
        if self._filled < w:
            return []
        out: list[ChannelFlag] = []
        t = last_sample / self.sfreq
        if self.rail is not None:
            peak = np.abs(self._buf).max(axis=1)
            railed = peak >= self.rail
            for i in np.flatnonzero(railed != self.railed):
                out.append(ChannelFlag(self.ch_names[i], "railed", bool(railed[i]),
                                       int(last_sample), t, float(peak[i])))
            self.railed = railed
        sd = self._buf.std(axis=1)
        flat = (sd < self.flat_sd) & ~self.railed  # a railed channel is flat at the rail
        for i in np.flatnonzero(flat != self.flat):
            out.append(ChannelFlag(self.ch_names[i], "flat", bool(flat[i]), int(last_sample),
                                   t, float(sd[i])))
        self.flat = flat
        return out

    def status(self) -> dict[str, list[str]]:
        """Channels currently railed and flat."""
        return {"railed": [c for c, r in zip(self.ch_names, self.railed) if r],
                "flat": [c for c, f in zip(self.ch_names, self.flat) if f]}
