"""The activation table: output of onset detection, input of timing metrics."""

from __future__ import annotations

import copy
import html
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import MISSING, asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from .._util import jsonable
from ..errors import ValidationError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Activation", "ChannelStatus", "Activations", "ACTIVATION_COLUMNS",
           "CHANNEL_COLUMNS"]

ACTIVATION_COLUMNS = ("channel", "muscle", "side", "trial", "onset", "offset", "duration",
                      "peak", "area", "onset_censored", "offset_censored")
"""Columns of :meth:`Activations.to_dataframe`, in order."""

CHANNEL_COLUMNS = ("channel", "muscle", "side", "status", "reason", "threshold",
                   "baseline_mean", "baseline_sd", "baseline_start", "baseline_stop",
                   "baseline_s", "n_activations")
"""Columns of :meth:`Activations.channels_frame`, in order."""


@dataclass(frozen=True)
class Activation:
    """One detected activation burst (a row of :class:`Activations`).

    Attributes
    ----------
    channel : str
        Channel name.
    muscle : str or None
        Canonical muscle id (``"multifidus"``), None when unknown.
    side : {"left", "right"} or None
        Body side.
    trial : int or None
        Index (0-based, in time order) of the ``"trial"`` event whose window
        ``[onset, onset + duration]`` contains the activation onset; None when
        the recording has no trial events or the onset lies outside all trials
        (an onset on the boundary of two trials belongs to the later one).  An
        activation still on when a trial starts is split there into two rows.
    onset, offset : float
        Start and end of the activation, seconds from the first sample.
    duration : float
        ``offset - onset``, s.
    peak : float
        Largest value of the amplitude envelope (50 ms RMS of the band-passed
        signal) during the activation, V.
    area : float
        Integral of that envelope over the activation, V*s.
    onset_censored : bool
        True when the muscle was already active where this row starts: at the
        first sample of the recording, or at the start of a trial it ran into.
        ``onset`` is then that start, not a rise from rest, and timing metrics
        do not use it (its true onset was not observed).
    offset_censored : bool
        True when the activation was still on at the last sample, or at the
        start of the next trial where it was split: ``offset`` and ``duration``
        are lower bounds.
    """

    channel: str
    muscle: str | None
    side: str | None
    trial: int | None
    onset: float
    offset: float
    duration: float
    peak: float
    area: float
    onset_censored: bool = False
    offset_censored: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class ChannelStatus:
    """Detection settings and outcome of one channel.

    Attributes
    ----------
    channel, muscle, side :
        As in :class:`Activation`.
    status : {"ok", "not_assessable"}
        Whether the channel could be analysed.
    reason : str
        Why not (``"flat channel"``, ``"all NaN"``, ``"railed ..."``,
        ``"too short"``...); empty when ``status == "ok"``.
    threshold : float or None
        On-threshold on the detector statistic's scale (see
        ``Activations.meta["statistic"]``).
    baseline_mean, baseline_sd : float or None
        Mean and standard deviation of the statistic over the baseline.
    baseline_start, baseline_stop : float or None
        The baseline window, s.  For the automatic baseline the statistics pool
        every quiet segment found; these bound the longest of them.
    baseline_s : float or None
        Total duration of baseline used, s.
    n_activations : int
        Number of activations detected on the channel.
    """

    channel: str
    muscle: str | None
    side: str | None
    status: str
    reason: str
    threshold: float | None
    baseline_mean: float | None
    baseline_sd: float | None
    baseline_start: float | None
    baseline_stop: float | None
    baseline_s: float | None
    n_activations: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN becomes None)."""
        return {k: _clean(v) for k, v in asdict(self).items()}


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


class Activations:
    """Detected muscle activations: one row per burst, plus per-channel settings.

    Returned by :func:`~emgcontrol.onset.detect_onsets`.  Iterating gives
    :class:`Activation` rows sorted by channel order, then onset.

    Attributes
    ----------
    meta : dict
        ``{"method", "params" (every parameter used, durations in s),
        "sfreq", "n_channels", "statistic", ...}``.
    """

    __slots__ = ("_rows", "_channels", "_meta")

    def __init__(self, rows: Sequence[Activation], channels: Sequence[ChannelStatus],
                 meta: Mapping[str, Any]) -> None:
        order = {ch.channel: i for i, ch in enumerate(channels)}
        for r in rows:
            if r.channel not in order:
                raise ValidationError(
                    f"activation on channel {r.channel!r}, which is not in the channel list "
                    f"({', '.join(order)})")
        self._rows = tuple(sorted(rows, key=lambda r: (order[r.channel], r.onset)))
        self._channels = tuple(channels)
        self._meta = copy.deepcopy(dict(meta))

    # ----------------------------------------------------------- containers
    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[Activation]:
        return iter(self._rows)

    def __getitem__(self, i: int) -> Activation:
        return self._rows[i]

    @property
    def meta(self) -> dict[str, Any]:
        """A copy of the detector description (method, parameters, rate...)."""
        return copy.deepcopy(self._meta)

    @property
    def channels(self) -> list[ChannelStatus]:
        """Per-channel status, thresholds and baseline."""
        return list(self._channels)

    @property
    def ch_names(self) -> list[str]:
        """Channel names in order."""
        return [c.channel for c in self._channels]

    @property
    def rows(self) -> list[Activation]:
        """All activations (sorted by channel order, then onset)."""
        return list(self._rows)

    def _resolve(self, name_or_muscle: str) -> list[str]:
        names = [c.channel for c in self._channels if c.channel == name_or_muscle]
        if names:
            return names
        from ..montage import parse_muscle

        try:
            ref = parse_muscle(name_or_muscle)
        except ValidationError:
            ref = None
        if ref is not None:
            names = [c.channel for c in self._channels if c.muscle == ref.muscle
                     and (ref.side is None or c.side == ref.side)]
            if names:
                return names
        raise ValidationError(
            f"{name_or_muscle!r} is neither a channel nor a muscle of these activations "
            f"(channels: {', '.join(self.ch_names) or 'none'})")

    def for_channel(self, name_or_muscle: str) -> list[Activation]:
        """Activations of one channel, or of every channel on a muscle.

        Parameters
        ----------
        name_or_muscle : str
            A channel name, or a muscle (``"left multifidus"``; ``"multifidus"``
            takes both sides).

        Raises
        ------
        ValidationError
            If nothing matches; the message lists the channels.
        """
        names = set(self._resolve(name_or_muscle))
        return [r for r in self._rows if r.channel in names]

    def channel_status(self, name_or_muscle: str) -> ChannelStatus:
        """The :class:`ChannelStatus` of a channel (first match for a muscle)."""
        name = self._resolve(name_or_muscle)[0]
        return next(c for c in self._channels if c.channel == name)

    def first_onsets(self, trial: int | None = None) -> dict[str, float | None]:
        """First onset of every channel, optionally within one trial.

        Parameters
        ----------
        trial : int, optional
            Only activations whose ``trial`` equals this index.

        Returns
        -------
        dict
            Channel -> first observed onset (s), or None when it has none (or is
            not assessable).  Censored onsets (``onset_censored``: active from the
            recording's or the trial's start) are not onsets and are skipped.
        """
        out: dict[str, float | None] = {c.channel: None for c in self._channels}
        for r in self._rows:
            if (trial is not None and r.trial != trial) or r.onset_censored:
                continue
            if out[r.channel] is None:
                out[r.channel] = r.onset
        return out

    # ---------------------------------------------------------------- export
    def to_dataframe(self) -> pd.DataFrame:
        """One row per activation (columns :data:`ACTIVATION_COLUMNS`).

        ``df.attrs["detector"]`` holds :attr:`meta`; ``df.attrs["channels"]``
        the per-channel records.
        """
        import pandas as pd

        df = pd.DataFrame([r.to_dict() for r in self._rows], columns=list(ACTIVATION_COLUMNS))
        df["trial"] = df["trial"].astype("Int64")
        for col in ("onset", "offset", "duration", "peak", "area"):
            df[col] = df[col].astype(float)
        for col in ("onset_censored", "offset_censored"):
            df[col] = df[col].astype(bool)
        df.attrs["detector"] = self.meta
        df.attrs["channels"] = [c.to_dict() for c in self._channels]
        return df

    def channels_frame(self) -> pd.DataFrame:
        """One row per channel (columns :data:`CHANNEL_COLUMNS`)."""
        import pandas as pd

        df = pd.DataFrame([asdict(c) for c in self._channels], columns=list(CHANNEL_COLUMNS))
        df.attrs["detector"] = self.meta
        return df

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{"meta", "channels", "activations"}``."""
        return {"meta": jsonable(self._meta),
                "channels": [c.to_dict() for c in self._channels],
                "activations": [{k: _clean(v) for k, v in r.to_dict().items()}
                                for r in self._rows]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Activations:
        """Rebuild from :meth:`to_dict` output."""
        try:
            chans = [ChannelStatus(**{f.name: c.get(f.name) for f in fields(ChannelStatus)})
                     for c in data["channels"]]
            # fields with a default (the censoring flags) may be absent from tables
            # written before they existed
            rows = [Activation(**{f.name: (r[f.name] if f.default is MISSING
                                           else r.get(f.name, f.default))
                                  for f in fields(Activation)})
                    for r in data["activations"]]
            return cls(rows, chans, data.get("meta", {}))
        except (KeyError, TypeError) as err:
            raise ValidationError(f"not an activation table dict: {err}") from None

    def to_text(self) -> str:
        """Plain-text tables: channels, then activations (what the CLI prints)."""
        lines = []
        m = self._meta
        lines.append(f"method {m.get('method')}, {m.get('sfreq', float('nan')):g} Hz, "
                     f"{len(self._channels)} channel(s), {len(self._rows)} activation(s)")
        lines.append("")
        head = ("channel", "muscle", "status", "threshold", "baseline", "n")
        rows = []
        for c in self._channels:
            mus = ("" if c.muscle is None else (f"{c.side} " if c.side else "") + c.muscle)
            if c.status == "ok":
                base = (f"{c.baseline_start:.2f}-{c.baseline_stop:.2f} s"
                        if c.baseline_start is not None else "")
                thr = f"{c.threshold:.4g}" if c.threshold is not None else ""
                rows.append((c.channel, mus, "ok", thr, base, str(c.n_activations)))
            else:
                rows.append((c.channel, mus, f"not assessable: {c.reason}", "", "", "0"))
        lines += _format_table(head, rows)
        lines.append("")
        head = ("channel", "trial", "onset_s", "offset_s", "duration_s", "peak_uV", "area_uVs")
        # '<' : already on at the recording's (or trial's) start; '>' : still on at its end
        rows = [(r.channel, "" if r.trial is None else str(r.trial),
                 ("<" if r.onset_censored else "") + f"{r.onset:.4f}",
                 (">" if r.offset_censored else "") + f"{r.offset:.4f}",
                 (">" if r.offset_censored or r.onset_censored else "") + f"{r.duration:.4f}",
                 f"{r.peak * 1e6:.2f}", f"{r.area * 1e6:.3f}") for r in self._rows]
        lines += _format_table(head, rows) if rows else ["(no activations)"]
        if any(r.onset_censored or r.offset_censored for r in self._rows):
            lines.append("< already active at the start of the recording or trial (onset "
                         "not observed); > still active at its end (lower bound)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        n_bad = sum(c.status != "ok" for c in self._channels)
        bad = f", {n_bad} not assessable" if n_bad else ""
        return (f"<Activations | {self._meta.get('method')}, {len(self._rows)} activations on "
                f"{len(self._channels)} channels{bad}>")

    def _repr_html_(self) -> str:
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (
                r.channel, r.trial, f"{r.onset:.3f}", f"{r.offset:.3f}",
                f"{r.peak * 1e6:.1f}")) + "</tr>" for r in self._rows[:50])
        more = f"<p>... {len(self._rows) - 50} more</p>" if len(self._rows) > 50 else ""
        return (f"<p>{html.escape(repr(self))}</p><table><tr><th>channel</th><th>trial</th>"
                f"<th>onset (s)</th><th>offset (s)</th><th>peak (uV)</th></tr>{rows}</table>"
                f"{more}")


def _format_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*head), fmt.format(*("-" * w for w in widths))] + \
        [fmt.format(*r) for r in rows]
