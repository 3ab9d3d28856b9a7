"""The :class:`Recording` container: multichannel sEMG with its context.

A Recording holds data of shape ``(n_channels, n_times)`` in float64, in SI
units (volts for EMG/ECG channels, g for accelerometer channels), the sampling
frequency, channel names, types and muscles, events, measurement metadata and
the processing history.  It is immutable in practice: every method returns a
new Recording and appends a step to :attr:`Recording.history`.
"""

from __future__ import annotations

import copy
import html
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validate import as_float_2d, check_finite, check_option, check_sfreq
from .errors import UnitsDefaultWarning, ValidationError
from .montage import Montage, MuscleRef, parse_muscle

if TYPE_CHECKING:  # pragma: no cover
    import mne
    import pandas as pd

__all__ = ["Recording", "Event", "CH_TYPES", "UNITS"]

CH_TYPES = ("emg", "ecg", "acc", "misc")
"""Channel types.  ``emg`` and ``ecg`` are voltages (V); ``acc`` is acceleration (g)."""

_VOLTAGE_TYPES = frozenset({"emg", "ecg"})

UNITS: Mapping[str, float] = {"V": 1.0, "mV": 1e-3, "uV": 1e-6, "µV": 1e-6, "nV": 1e-9}
"""Voltage units accepted by ``units=`` arguments and their size in volts."""


@dataclass(frozen=True, order=True)
class Event:
    """A marked interval or instant.

    Attributes
    ----------
    onset : float
        Start, in seconds from the first sample of the recording.
    duration : float
        Length in seconds (0 for an instant).
    label : str
        What happened (``"trial"``, ``"mvc"``, ``"dropped_samples"``...).
    """

    onset: float
    duration: float
    label: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"onset": self.onset, "duration": self.duration, "label": self.label}


def _as_events(events: Iterable[Any] | None) -> tuple[Event, ...]:
    if events is None:
        return ()
    out = []
    for i, ev in enumerate(events):
        if isinstance(ev, Event):
            out.append(ev)
            continue
        try:
            if isinstance(ev, Mapping):
                onset, duration, label = ev["onset"], ev.get("duration", 0.0), ev["label"]
            else:
                onset, duration, label = ev
            e = Event(float(onset), float(duration), str(label))
        except (KeyError, TypeError, ValueError):
            raise ValidationError(
                f"events[{i}] must be an Event, a mapping with onset/duration/label or a "
                f"tuple (onset_s, duration_s, label); got {ev!r}"
            ) from None
        if not np.isfinite(e.onset) or not np.isfinite(e.duration) or e.duration < 0:
            raise ValidationError(
                f"events[{i}] needs a finite onset and a duration >= 0; got {ev!r}"
            )
        out.append(e)
    return tuple(sorted(out))


def _crop_meta(meta: Mapping[str, Any], start: int, stop: int, sfreq: float) -> dict[str, Any]:
    """Metadata of a crop: dropped-sample gaps kept only inside the new span and
    re-indexed, start time moved."""
    out = copy.deepcopy(dict(meta))
    dropped = out.get("dropped_samples")
    if isinstance(dropped, Mapping) and isinstance(dropped.get("gaps"), list):
        gaps = []
        for gap in dropped["gaps"]:
            sample = int(gap.get("sample", -1))
            if start < sample < stop:  # a gap lies between sample-1 and sample
                gap = dict(gap, sample=sample - start, time_s=(sample - start) / sfreq)
                gaps.append(gap)
        out["dropped_samples"] = {**dropped, "gaps": gaps,
                                  "count": int(sum(g.get("n_missing", 0) for g in gaps))}
    if start and isinstance(out.get("meas_date"), str):
        import datetime as _dt

        try:
            t0 = _dt.datetime.fromisoformat(out["meas_date"])
        except ValueError:
            pass
        else:
            out["meas_date"] = (t0 + _dt.timedelta(seconds=start / sfreq)).isoformat()
    return out


def _as_timestamps(timestamps: Any, n_times: int) -> np.ndarray | None:
    if timestamps is None:
        return None
    ts = np.array(timestamps, dtype=np.float64).ravel()
    if ts.shape[0] != n_times:
        raise ValidationError(
            f"timestamps has {ts.shape[0]} values but data has {n_times} samples")
    if not np.all(np.isfinite(ts)):
        raise ValidationError("timestamps must be finite")
    ts.setflags(write=False)
    return ts


def _as_units_scale(units: str) -> float:
    check_option("units", units, UNITS)
    return UNITS[units]


def _output_units(units: str | None, method: str, has_voltage: bool) -> str:
    """Unit of voltage channels for ``get_data``/``to_dataframe``: ``units`` or,
    when it is None, volts with a :class:`UnitsDefaultWarning` (the default was
    microvolts before; no warning when no voltage channel is involved, since the
    result does not depend on the unit then)."""
    if units is not None:
        _as_units_scale(units)
        return units
    if has_voltage:
        warnings.warn(
            f"Recording.{method}() returns volts when units= is not given; it returned "
            "microvolts (units='uV') before.  Pass units='V' (or 'mV', 'uV') explicitly "
            "to choose the unit and silence this warning.",
            UnitsDefaultWarning, stacklevel=3)
    return "V"


class Recording:
    """Multichannel surface-EMG recording.

    Build one with :meth:`from_array`, a reader (:func:`emgcontrol.read`) or the
    simulator; the constructor takes data already in SI units.

    Parameters
    ----------
    data : array_like, shape (n_channels, n_times)
        Samples in SI units (V for EMG/ECG, g for accelerometer channels).
    sfreq : float
        Sampling frequency in Hz.
    ch_names : sequence of str
        Unique channel names.
    ch_types : sequence of str, optional
        One of :data:`CH_TYPES` per channel (default ``"emg"``).
    muscles : sequence of (str or MuscleRef or None), optional
        Muscle under each channel (see :func:`emgcontrol.montage.parse_muscle`).
    events : iterable, optional
        :class:`Event` objects or ``(onset_s, duration_s, label)`` tuples.
    meta : mapping, optional
        Measurement metadata (device, board, subject, start time, dropped samples...).
        Values should be JSON-serialisable.
    history : sequence of mapping, optional
        Processing steps so far, each ``{"step": name, "params": {...}}``.
    timestamps : array_like, shape (n_times,), optional
        Per-sample acquisition timestamps in seconds as the device or host
        stamped them (e.g. unix time); ``meta["timestamp_kind"]`` says which.
    allow_nonfinite : bool
        Accept NaN/inf samples (default False: they raise an error naming the
        channel and sample).

    Attributes
    ----------
    data : ndarray
        Read-only view of the samples, SI units.
    """

    __slots__ = ("_data", "_sfreq", "_ch_names", "_ch_types", "_muscles", "_events",
                 "_meta", "_history", "_timestamps")

    def __init__(
        self,
        data: Any,
        sfreq: float,
        ch_names: Sequence[str],
        *,
        ch_types: Sequence[str] | None = None,
        muscles: Sequence[str | MuscleRef | None] | None = None,
        events: Iterable[Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        history: Sequence[Mapping[str, Any]] | None = None,
        timestamps: Any = None,
        allow_nonfinite: bool = False,
    ) -> None:
        arr = as_float_2d("data", data)
        n_ch = arr.shape[0]
        self._sfreq = check_sfreq(sfreq)
        names = [str(c) for c in ch_names] if ch_names is not None else []
        if len(names) != n_ch:
            raise ValidationError(
                f"ch_names has {len(names)} names but data has {n_ch} channels"
            )
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise ValidationError(f"ch_names must be unique; duplicated: {dup}")
        types = ["emg"] * n_ch if ch_types is None else [str(t) for t in ch_types]
        if len(types) != n_ch:
            raise ValidationError(
                f"ch_types has {len(types)} entries but data has {n_ch} channels"
            )
        for t in types:
            check_option("ch_types", t, CH_TYPES)
        if muscles is None:
            refs: list[MuscleRef | None] = [None] * n_ch
        else:
            if len(muscles) != n_ch:
                raise ValidationError(
                    f"muscles has {len(muscles)} entries but data has {n_ch} channels"
                )
            refs = [None if m is None else parse_muscle(m) for m in muscles]
        if not allow_nonfinite:
            check_finite(arr, names)
        arr.setflags(write=False)
        self._data = arr
        self._ch_names = tuple(names)
        self._ch_types = tuple(types)
        self._muscles = tuple(refs)
        self._events = _as_events(events)
        self._meta = dict(meta or {})
        self._history = tuple(dict(h) for h in (history or ()))
        self._timestamps = _as_timestamps(timestamps, arr.shape[1])

    # ------------------------------------------------------------------ build
    @classmethod
    def from_array(
        cls,
        data: Any,
        sfreq: float,
        ch_names: Sequence[str] | None = None,
        *,
        units: str | None = None,
        muscles: Sequence[str | MuscleRef | None] | Montage | None = None,
        ch_types: Sequence[str] | None = None,
        events: Iterable[Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        timestamps: Any = None,
    ) -> Recording:
        """Create a Recording from an array.

        Parameters
        ----------
        data : array_like, shape (n_channels, n_times) or (n_times,)
            Samples.  EMG/ECG channels are in ``units``; accelerometer channels in g.
        sfreq : float
            Sampling frequency in Hz.
        ch_names : sequence of str, optional
            Channel names; default ``EMG1..EMGn`` or the montage's names.
        units : {"V", "mV", "uV", "nV"}
            Unit of the voltage (EMG/ECG) channels in ``data``: ``"uV"`` for
            arrays from BrainFlow or the OpenBCI GUI, ``"V"`` for SI data (MNE,
            :attr:`Recording.data`).  Give it always.  When it is omitted the
            data are taken as microvolts, as before, and a
            :class:`~emgcontrol.errors.UnitsDefaultWarning` (a
            :class:`FutureWarning`) says so; a future release will require it.
            Data without voltage channels need no unit.

            .. versionchanged:: 0.1
               Omitting ``units`` is deprecated.  The default stays microvolts
               during the deprecation rather than following
               :meth:`get_data` to volts: switching it would silently shrink
               existing callers' microvolt data by 1e6, whereas a warning
               leaves their results unchanged and names the fix.
        muscles : sequence or Montage, optional
            Muscle under each channel (``"left multifidus"``...) or a montage.
        ch_types : sequence of str, optional
            Channel types (default all ``"emg"``).
        events : iterable, optional
            ``(onset_s, duration_s, label)`` tuples or :class:`Event` objects.
        meta : mapping, optional
            Measurement metadata.
        timestamps : array_like, shape (n_times,), optional
            Per-sample acquisition timestamps in seconds.

        Returns
        -------
        Recording

        Warns
        -----
        UnitsDefaultWarning
            If ``units`` is omitted and there are voltage channels.

        Examples
        --------
        >>> import numpy as np
        >>> rec = Recording.from_array(np.full((1, 4), 2.0), 1000.0, units="mV")
        >>> float(rec.get_data(units="V")[0, 0])
        0.002
        """
        arr = as_float_2d("data", data)
        if units is not None:
            _as_units_scale(units)
        if isinstance(muscles, Montage):
            if ch_names is None:
                ch_names = muscles.ch_names
            muscles = muscles.muscles
        if ch_names is None:
            ch_names = [f"EMG{i + 1}" for i in range(arr.shape[0])]
        types = ["emg"] * arr.shape[0] if ch_types is None else list(ch_types)
        if units is None:
            if any(t in _VOLTAGE_TYPES for t in types):
                warnings.warn(
                    "Recording.from_array() took the EMG/ECG data as microvolts because "
                    "units= was not given; a future release will require units=.  Pass "
                    "units='uV' (BrainFlow/OpenBCI arrays) or units='V' (SI data) to "
                    "silence this warning.", UnitsDefaultWarning, stacklevel=2)
            units = "uV"
        scale = UNITS[units]
        if len(types) == arr.shape[0]:
            volt = np.array([t in _VOLTAGE_TYPES for t in types])
            if scale != 1.0 and volt.any():
                arr = arr.copy()
                arr[volt] *= scale
        return cls(arr, sfreq, ch_names, ch_types=types, muscles=muscles,
                   events=events, meta=meta, timestamps=timestamps,
                   history=[{"step": "from_array", "params": {"units": units}}])

    def _replace(self, **changes: Any) -> Recording:
        """Return a copy with some fields replaced (no validation of data skipped)."""
        new = object.__new__(Recording)
        new._data = changes.pop("data", self._data)
        if new._data is not self._data:
            new._data = np.ascontiguousarray(new._data, dtype=np.float64)
            new._data.setflags(write=False)
        new._sfreq = changes.pop("sfreq", self._sfreq)
        new._ch_names = tuple(changes.pop("ch_names", self._ch_names))
        new._ch_types = tuple(changes.pop("ch_types", self._ch_types))
        new._muscles = tuple(changes.pop("muscles", self._muscles))
        new._events = _as_events(changes.pop("events", self._events))
        new._meta = dict(changes.pop("meta", self._meta))
        new._history = tuple(changes.pop("history", self._history))
        new._timestamps = changes.pop("timestamps", self._timestamps)
        if new._timestamps is not None and len(new._timestamps) != new._data.shape[1]:
            raise ValidationError("timestamps must have one value per sample")
        if changes:
            raise TypeError(f"unknown fields {sorted(changes)}")
        return new

    def with_step(self, step: str, params: Mapping[str, Any] | None = None,
                  **changes: Any) -> Recording:
        """Return a copy with ``changes`` applied and a history step appended.

        This is how processing functions build their result: the step name and
        its parameters are recorded so the processing chain can be reported.
        """
        hist = (*self._history, {"step": step, "params": dict(params or {})})
        return self._replace(history=hist, **changes)

    # ------------------------------------------------------------- properties
    @property
    def data(self) -> np.ndarray:
        """Samples, shape (n_channels, n_times), SI units, read-only."""
        return self._data

    @property
    def sfreq(self) -> float:
        """Sampling frequency in Hz."""
        return self._sfreq

    @property
    def ch_names(self) -> list[str]:
        """Channel names."""
        return list(self._ch_names)

    @property
    def ch_types(self) -> list[str]:
        """Channel types (see :data:`CH_TYPES`)."""
        return list(self._ch_types)

    @property
    def muscles(self) -> list[MuscleRef | None]:
        """Muscle under each channel (None where unknown)."""
        return list(self._muscles)

    @property
    def events(self) -> list[Event]:
        """Events sorted by onset."""
        return list(self._events)

    @property
    def meta(self) -> dict[str, Any]:
        """A copy of the measurement metadata."""
        return copy.deepcopy(self._meta)

    @property
    def history(self) -> list[dict[str, Any]]:
        """Processing steps applied so far, oldest first."""
        return copy.deepcopy(list(self._history))

    @property
    def timestamps(self) -> np.ndarray | None:
        """Per-sample acquisition timestamps in seconds (read-only), or None."""
        return self._timestamps

    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return self._data.shape[0]

    @property
    def n_times(self) -> int:
        """Number of samples per channel."""
        return self._data.shape[1]

    @property
    def duration(self) -> float:
        """Length in seconds (``n_times / sfreq``)."""
        return self.n_times / self._sfreq

    @property
    def times(self) -> np.ndarray:
        """Sample times in seconds from the first sample."""
        return np.arange(self.n_times) / self._sfreq

    def __len__(self) -> int:
        return self.n_channels

    # --------------------------------------------------------------- picking
    def _pick_indices(self, picks: Any) -> list[int]:
        """Resolve ``picks`` to channel indices.

        ``picks`` may be None (all), a channel type (``"emg"``), a channel name,
        a muscle (``"left multifidus"`` or ``"multifidus"`` for both sides), an
        int, or a sequence of those.
        """
        if picks is None:
            return list(range(self.n_channels))
        items = [picks] if isinstance(picks, (str, int, np.integer, MuscleRef)) else list(picks)
        out: list[int] = []
        for item in items:
            if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
                idx = int(item)
                if not -self.n_channels <= idx < self.n_channels:
                    raise ValidationError(
                        f"pick index {idx} out of range for {self.n_channels} channels"
                    )
                out.append(idx % self.n_channels)
            elif isinstance(item, str) and item in self._ch_names:
                out.append(self._ch_names.index(item))
            elif isinstance(item, str) and item in CH_TYPES:
                out.extend(i for i, t in enumerate(self._ch_types) if t == item)
            elif isinstance(item, (str, MuscleRef)):
                try:
                    ref = parse_muscle(item)
                except ValidationError:
                    raise ValidationError(
                        f"pick {item!r} is neither a channel ({', '.join(self._ch_names)}), "
                        f"a channel type ({', '.join(CH_TYPES)}) nor a known muscle"
                    ) from None
                found = [i for i, m in enumerate(self._muscles) if m is not None
                         and m.muscle == ref.muscle and (ref.side is None or m.side == ref.side)]
                if not found:
                    raise ValidationError(f"no channel records muscle {str(ref)!r}")
                out.extend(found)
            else:
                raise ValidationError(f"cannot pick channels with {item!r}")
        return list(dict.fromkeys(out))

    def pick(self, picks: Any) -> Recording:
        """Return a Recording with only the picked channels, in the order given.

        Parameters
        ----------
        picks : str, int, MuscleRef or sequence of those
            Channel names, indices, types (``"emg"``) or muscles.
        """
        idx = self._pick_indices(picks)
        if not idx:
            raise ValidationError(f"picks {picks!r} selects no channel")
        return self.with_step(
            "pick", {"channels": [self._ch_names[i] for i in idx]},
            data=self._data[idx],
            ch_names=[self._ch_names[i] for i in idx],
            ch_types=[self._ch_types[i] for i in idx],
            muscles=[self._muscles[i] for i in idx],
        )

    def crop(self, tmin: float = 0.0, tmax: float | None = None) -> Recording:
        """Return the part between ``tmin`` and ``tmax`` (seconds, both included).

        Event onsets are shifted so they stay relative to the new first sample;
        events that lie outside are dropped, events that overlap are clipped.
        """
        tmin = float(tmin)
        if tmin >= self.duration:
            raise ValidationError(
                f"tmin={tmin} s is past the end of the recording ({self.duration:.3f} s)"
            )
        tmax = self.duration - 1.0 / self._sfreq if tmax is None else float(tmax)
        if not (np.isfinite(tmin) and np.isfinite(tmax)) or tmin < 0 or tmax < tmin:
            raise ValidationError(
                f"crop needs 0 <= tmin <= tmax; got tmin={tmin}, tmax={tmax}"
            )
        start = int(round(tmin * self._sfreq))
        stop = min(int(round(tmax * self._sfreq)) + 1, self.n_times)
        t0, t1 = start / self._sfreq, stop / self._sfreq
        events = []
        for ev in self._events:
            end = ev.onset + ev.duration
            if end < t0 or ev.onset >= t1:
                continue
            on = max(ev.onset, t0)
            events.append(Event(on - t0, min(end, t1) - on, ev.label))
        return self.with_step("crop", {"tmin": tmin, "tmax": tmax},
                              data=self._data[:, start:stop], events=events,
                              timestamps=(None if self._timestamps is None
                                          else self._timestamps[start:stop]),
                              meta=_crop_meta(self._meta, start, stop, self._sfreq))

    def get_data(self, picks: Any = None, units: str | None = None) -> np.ndarray:
        """Return a copy of the samples.

        Parameters
        ----------
        picks : optional
            As for :meth:`pick`.
        units : {"V", "mV", "uV", "nV"}, optional
            Unit of voltage channels (EMG/ECG) in the result; other channel types
            keep their own units (g for ``acc``).  Default volts, the unit of
            :attr:`data` and of MNE's ``get_data()``.

            .. versionchanged:: 0.1
               The default is volts; it was microvolts.  Until the next release
               a call without ``units`` that returns voltage channels emits a
               :class:`~emgcontrol.errors.UnitsDefaultWarning` (a
               :class:`FutureWarning`); pass ``units=`` explicitly to silence it.

        Returns
        -------
        ndarray, shape (n_picked, n_times)
            Voltage channels in ``units``, the others in their own unit.

        Warns
        -----
        UnitsDefaultWarning
            If ``units`` is omitted and voltage channels are picked.

        Examples
        --------
        >>> import numpy as np
        >>> rec = Recording.from_array(np.full((1, 4), 2.0), 1000.0, units="mV")
        >>> float(rec.get_data(units="V")[0, 0]), float(rec.get_data(units="mV")[0, 0])
        (0.002, 2.0)
        """
        if units is not None:
            _as_units_scale(units)
        idx = self._pick_indices(picks)
        volt = np.array([self._ch_types[i] in _VOLTAGE_TYPES for i in idx], dtype=bool)
        scale = UNITS[_output_units(units, "get_data", bool(volt.any()))]
        out = self._data[idx].copy()
        if volt.any() and scale != 1.0:
            out[volt] /= scale
        return out

    def add_events(self, events: Iterable[Any]) -> Recording:
        """Return a copy with more events (tuples or :class:`Event` objects)."""
        new = _as_events(events)
        return self.with_step("add_events", {"n": len(new)},
                              events=(*self._events, *new))

    def set_montage(self, montage: Montage | Mapping[str, str] | Sequence[Any]) -> Recording:
        """Assign muscles to channels.

        Parameters
        ----------
        montage : Montage, mapping or sequence
            A :class:`~emgcontrol.montage.Montage` or ``{channel: muscle}`` (matched
            by channel name, or by position when the names differ and the counts
            match), or one muscle per channel.
        """
        muscles = list(self._muscles)
        if isinstance(montage, Montage) or isinstance(montage, Mapping):
            pairs = (list(montage.channels) if isinstance(montage, Montage)
                     else [(str(k), v) for k, v in montage.items()])
            if all(ch in self._ch_names for ch, _ in pairs):
                for ch, mus in pairs:
                    muscles[self._ch_names.index(ch)] = None if mus is None else parse_muscle(mus)
            elif len(pairs) <= self.n_channels and isinstance(montage, Montage):
                for i, (_, mus) in enumerate(pairs):
                    muscles[i] = parse_muscle(mus)
            else:
                missing = [ch for ch, _ in pairs if ch not in self._ch_names]
                raise ValidationError(
                    f"montage names channels not in the recording: {missing} "
                    f"(channels: {', '.join(self._ch_names)})"
                )
        else:
            seq = list(montage)
            if len(seq) != self.n_channels:
                raise ValidationError(
                    f"montage lists {len(seq)} muscles but the recording has "
                    f"{self.n_channels} channels"
                )
            muscles = [None if m is None else parse_muscle(m) for m in seq]
        return self.with_step("set_montage", {"muscles": [None if m is None else str(m)
                                                          for m in muscles]},
                              muscles=muscles)

    # ------------------------------------------------------------- interop
    def to_dataframe(self, units: str | None = None, *,
                     time_index: bool = True) -> pd.DataFrame:
        """Samples as a pandas DataFrame, one column per channel.

        Parameters
        ----------
        units : {"V", "mV", "uV", "nV"}, optional
            Unit of voltage channels, as in :meth:`get_data` (default volts).

            .. versionchanged:: 0.1
               The default is volts; it was microvolts.  Until the next release
               a call without ``units`` warns as :meth:`get_data` does.
        time_index : bool
            Index by time in seconds (default) instead of sample number.

        Returns
        -------
        pandas.DataFrame
            Shape ``(n_times, n_channels)``.
        """
        import pandas as pd

        has_voltage = any(t in _VOLTAGE_TYPES for t in self._ch_types)
        units = _output_units(units, "to_dataframe", has_voltage)
        frame = pd.DataFrame(self.get_data(units=units).T, columns=list(self._ch_names))
        if time_index:
            frame.index = pd.Index(self.times, name="time_s")
        return frame

    def channels_frame(self) -> pd.DataFrame:
        """One row per channel: name, type, unit, muscle, side, label."""
        import pandas as pd

        rows = [self._channel_row(i) for i in range(self.n_channels)]
        return pd.DataFrame(rows)

    def _channel_row(self, i: int) -> dict[str, Any]:
        m = self._muscles[i]
        t = self._ch_types[i]
        return {"channel": self._ch_names[i], "type": t,
                "unit": "V" if t in _VOLTAGE_TYPES else ("g" if t == "acc" else ""),
                "muscle": m.muscle if m else None, "side": m.side if m else None,
                "label": m.label if m else None}

    def events_frame(self) -> pd.DataFrame:
        """Events as a DataFrame with columns onset, duration, label (seconds)."""
        import pandas as pd

        return pd.DataFrame([e.to_dict() for e in self._events],
                            columns=["onset", "duration", "label"])

    def to_mne(self) -> mne.io.RawArray:
        """Convert to an :class:`mne.io.RawArray` (EMG channels type ``emg``, volts).

        Events become annotations; muscles, metadata and history are kept in
        ``raw.info["description"]`` (JSON) so :meth:`from_mne` restores them.
        """
        import json

        import mne

        mne_types = {"emg": "emg", "ecg": "ecg", "acc": "misc", "misc": "misc"}
        info = mne.create_info(list(self._ch_names), self._sfreq,
                               [mne_types[t] for t in self._ch_types])
        extra = {"emgcontrol": {"ch_types": list(self._ch_types),
                                "muscles": [None if m is None else str(m) for m in self._muscles],
                                "meta": self._meta, "history": list(self._history)}}
        info["description"] = json.dumps(extra, default=str)
        raw = mne.io.RawArray(self._data.copy(), info, verbose="error")
        if self._events:
            raw.set_annotations(mne.Annotations(
                [e.onset for e in self._events], [e.duration for e in self._events],
                [e.label for e in self._events]))
        return raw

    @classmethod
    def from_mne(cls, raw: Any, *, muscles: Sequence[Any] | Montage | None = None) -> Recording:
        """Create a Recording from an MNE Raw object (data in volts).

        Channel types EMG/ECG are kept; ``misc`` channels stay ``misc`` (or
        ``acc`` when a Recording wrote them); EEG channels are taken as EMG (the
        OpenBCI boards call every input EEG).  Annotations become events.
        """
        import json

        data = raw.get_data()
        mne_types = raw.get_channel_types()
        types = [t if t in ("emg", "ecg") else ("emg" if t in ("eeg", "seeg") else "misc")
                 for t in mne_types]
        mus: list[Any] = [None] * len(types)
        meta: dict[str, Any] = {}
        history: list[dict[str, Any]] = []
        desc = raw.info.get("description") or ""
        try:
            saved = json.loads(desc)["emgcontrol"]
        except (ValueError, TypeError, KeyError):
            saved = None
        if saved is not None and len(saved.get("ch_types", [])) == len(types):
            types = saved["ch_types"]
            mus = saved["muscles"]
            meta = saved.get("meta", {})
            history = saved.get("history", [])
        if raw.info.get("meas_date") is not None:
            meta.setdefault("meas_date", raw.info["meas_date"].isoformat())
        ann = raw.annotations
        first = raw.first_time if ann.orig_time is not None else 0.0
        events = [(float(o) - first, float(d), str(lab))
                  for o, d, lab in zip(ann.onset, ann.duration, ann.description)]
        rec = cls(data, raw.info["sfreq"], raw.ch_names, ch_types=types, muscles=mus,
                  events=events, meta=meta,
                  history=[*history, {"step": "from_mne", "params": {}}])
        if muscles is not None:
            rec = rec.set_montage(muscles)
        return rec

    def save(self, path: Any, *, format: str | None = None, overwrite: bool = False,
             **kwargs: Any) -> Any:
        """Write the recording; the format follows the extension.

        ``.bdf`` (BDF+), ``.edf`` (EDF+), ``.vhdr`` (BrainVision), ``.csv``
        (CSV + JSON sidecar), or ``format="brainflow"``; see
        :func:`emgcontrol.io.write`.  Returns the path written.
        """
        from .io import write

        return write(self, path, format=format, overwrite=overwrite, **kwargs)

    def to_dict(self, *, data: bool = False) -> dict[str, Any]:
        """Description as a JSON-ready dict (samples only if ``data=True``, in volts)."""
        out: dict[str, Any] = {
            "sfreq": self._sfreq, "n_times": self.n_times, "duration_s": self.duration,
            "channels": [self._channel_row(i) for i in range(self.n_channels)],
            "events": [e.to_dict() for e in self._events],
            "meta": copy.deepcopy(self._meta), "history": self.history,
        }
        if data:
            out["data_V"] = self._data.tolist()
        return out

    # ------------------------------------------------------------- display
    def __repr__(self) -> str:
        n_mus = sum(m is not None for m in self._muscles)
        return (f"<Recording | {self.n_channels} channels ({n_mus} with muscles), "
                f"{self.n_times} samples at {self._sfreq:g} Hz ({self.duration:.2f} s), "
                f"{len(self._events)} events>")

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = "".join(
            "<tr>" + "".join(f"<td>{esc('' if v is None else str(v))}</td>"
                             for v in (r["channel"], r["type"], r["muscle"], r["side"]))
            + "</tr>"
            for r in (self._channel_row(i) for i in range(self.n_channels)))
        labels: dict[str, int] = {}
        for ev in self._events:
            labels[ev.label] = labels.get(ev.label, 0) + 1
        ev_text = ", ".join(f"{esc(k)} &times; {v}" for k, v in labels.items()) or "none"
        steps = " &rarr; ".join(esc(h["step"]) for h in self._history) or "none"
        return (
            "<div class='emgcontrol-recording'><strong>Recording</strong>"
            f"<table><tr><th>Sampling frequency</th><td>{self._sfreq:g} Hz</td></tr>"
            f"<tr><th>Duration</th><td>{self.duration:.2f} s ({self.n_times} samples)</td></tr>"
            f"<tr><th>Events</th><td>{ev_text}</td></tr>"
            f"<tr><th>History</th><td>{steps}</td></tr></table>"
            "<table><tr><th>Channel</th><th>Type</th><th>Muscle</th><th>Side</th></tr>"
            f"{rows}</table></div>"
        )

    # ------------------------------------------------------ signal processing
    # Thin methods over emgcontrol.signal (imported lazily: numba and scipy load
    # only when a method is used).  Each returns a new Recording with a history
    # step; filters act on EMG and ECG channels, envelopes on EMG channels.

    def bandpass(self, l_freq: float = 20.0, h_freq: float | None = None, *,
                 order: int = 4, phase: str = "zero") -> Recording:
        """Band-pass EMG/ECG channels; see :func:`emgcontrol.signal.bandpass`."""
        from .signal import bandpass

        return bandpass(self, None, l_freq, h_freq, order=order, phase=phase)

    def highpass(self, l_freq: float = 20.0, *, order: int = 4,
                 phase: str = "zero") -> Recording:
        """High-pass EMG/ECG channels; see :func:`emgcontrol.signal.highpass`."""
        from .signal import highpass

        return highpass(self, None, l_freq, order=order, phase=phase)

    def lowpass(self, h_freq: float | None = None, *, order: int = 4,
                phase: str = "zero") -> Recording:
        """Low-pass EMG/ECG channels; see :func:`emgcontrol.signal.lowpass`."""
        from .signal import lowpass

        return lowpass(self, None, h_freq, order=order, phase=phase)

    def notch(self, freq: float | str = 50.0, *, harmonics: bool = True,
              quality: float = 30.0, phase: str = "zero") -> Recording:
        """Notch mains (50, 60 or "auto"); see :func:`emgcontrol.signal.notch`."""
        from .signal import notch

        return notch(self, None, freq, harmonics=harmonics, quality=quality, phase=phase)

    def filter_emg(self, *, l_freq: float = 20.0, h_freq: float | None = None,
                   order: int = 4, notch: float | str | None = None, harmonics: bool = True,
                   quality: float = 30.0, phase: str = "zero") -> Recording:
        """Band-pass + notch in one pass; see :func:`emgcontrol.signal.filter_emg`."""
        from .signal import filter_emg

        return filter_emg(self, None, l_freq=l_freq, h_freq=h_freq, order=order, notch=notch,
                          harmonics=harmonics, quality=quality, phase=phase)

    def rectify(self) -> Recording:
        """Full-wave rectify EMG channels; see :func:`emgcontrol.signal.rectify`."""
        from .signal import rectify

        return rectify(self)

    def envelope(self, method: str = "rms", *, window: float = 0.05, cutoff: float = 6.0,
                 order: int = 2, phase: str = "zero") -> Recording:
        """Envelope of EMG channels; see :func:`emgcontrol.signal.envelope`."""
        from .signal import envelope

        return envelope(self, None, method, window=window, cutoff=cutoff, order=order,
                        phase=phase)

    def tkeo(self, *, phase: str = "zero") -> Recording:
        """Teager-Kaiser energy of EMG channels (V**2); see :func:`emgcontrol.signal.tkeo`."""
        from .signal import tkeo

        return tkeo(self, phase=phase)

    def remove_ecg(self, **kwargs: Any) -> Recording:
        """Remove heartbeat (ECG) contamination from EMG channels.

        See :func:`emgcontrol.signal.remove_ecg` (template subtraction by default,
        or ``method="highpass"`` at 30 Hz); the R-peaks used are in the history.
        """
        from .signal import remove_ecg

        return remove_ecg(self, **kwargs)

    def quality(self, **kwargs: Any) -> Any:
        """Per-channel signal quality (railed, flat, clipping, DC offset, mains, ECG,
        SNR, dropped samples) with verdicts and reasons.

        See :func:`emgcontrol.signal.quality`; returns a ``QualityReport``
        (``.to_dataframe()``, ``.to_dict()``).
        """
        from .signal import quality

        return quality(self, **kwargs)
